//! `#[dynorm(extra)]`: a field keeping the attributes the type does not name (dynamo_query's
//! extra data), round-tripped on Table and Entity derives, never shadowing a field, key or
//! computed attribute.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use dynorm::entity::{IndexLayout, Layout, RawItem, SingleTable};
use dynorm::{AttributeValue, EncodeError, Error, Item, Table};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "records")]
struct Record {
    #[dynorm(partition_key)]
    id: String,
    name: String,
    nickname: Option<String>,
    #[dynorm(extra)]
    extra: Item,
}

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        entity_attribute: Some("_type"),
        ..Layout::new("app", "pk", Some("sk"))
    };
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
#[dynorm(index(name = "gsi1", pk = "E#{email}", sk = "{tenant_user}"))]
#[dynorm(join(attribute = "tenant_user", fields(tenant, id)))]
struct User {
    tenant: String,
    id: String,
    email: String,
    #[dynorm(extra)]
    data: BTreeMap<String, AttributeValue>,
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

#[tokio::test]
async fn a_table_keeps_the_attributes_it_does_not_name() {
    let db = dynorm::testing::client().await.expect("test client");
    db.create_table(Record::definition()).await.unwrap();
    let records = db.table::<Record>();
    // An item another tool wrote, with attributes the type does not name.
    let raw = Item::from([
        ("id".to_owned(), s("r1")),
        ("name".to_owned(), s("Ada")),
        ("color".to_owned(), s("red")),
        ("size".to_owned(), AttributeValue::N("3".into())),
    ]);
    db.sdk()
        .put_item()
        .table_name(db.physical_table_name("records"))
        .set_item(Some(raw.clone()))
        .send()
        .await
        .unwrap();
    let read = records.get(Record::key("r1")).await.unwrap().unwrap();
    assert_eq!(read.name, "Ada");
    assert_eq!(read.nickname, None);
    assert_eq!(
        read.extra,
        Item::from([
            ("color".to_owned(), s("red")),
            ("size".to_owned(), AttributeValue::N("3".into()))
        ])
    );
    // Written back through dynorm: nothing lost, byte for byte.
    records.put(&read).await.unwrap();
    let stored = records.get(Record::key("r1")).await.unwrap().unwrap();
    assert_eq!(stored, read);
    assert_eq!(read.to_item().unwrap(), raw);
    // The definition does not list the extra field.
    assert!(Record::definition().attribute("extra").is_none());

    // Extra attributes never shadow a field, even one left empty.
    for name in ["name", "nickname", "id"] {
        let mut shadowing = read.clone();
        shadowing.extra.insert(name.to_owned(), s("x"));
        match records.put(&shadowing).await {
            Err(Error::Encode(EncodeError {
                table,
                attribute,
                reason,
                ..
            })) => {
                assert_eq!(
                    (table.as_deref(), attribute.as_deref()),
                    (Some("records"), Some(name))
                );
                assert!(reason.contains("set it through its field"), "{reason}");
            }
            other => panic!("expected an encode error for `{name}`, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_entity_keeps_them_apart_from_its_keys_and_computed_attributes() {
    let db = dynorm::testing::client().await.expect("test client");
    db.create_table(User::definition()).await.unwrap();
    let users = db.table::<User>();
    let user = User {
        tenant: "acme".into(),
        id: "u1".into(),
        email: "ann@acme.test".into(),
        data: BTreeMap::from([
            ("plan".to_owned(), s("pro")),
            ("seats".to_owned(), AttributeValue::N("5".into())),
        ]),
    };
    users.put(&user).await.unwrap();
    let raw = db
        .table::<RawItem<App>>()
        .get(RawItem::<App>::key(User::key("acme", "u1")))
        .await
        .unwrap()
        .unwrap()
        .item;
    assert_eq!(raw.get("plan"), Some(&s("pro")));
    assert_eq!(raw.get("gsi1sk"), Some(&s("acme~u1")));
    // Read back: keys, the joined attribute and the entity type stay out of the extra field.
    let read = users.get(User::key("acme", "u1")).await.unwrap().unwrap();
    assert_eq!(read, user);
    let found = users
        .entity_query()
        .field("email", "ann@acme.test")
        .all()
        .await
        .unwrap();
    assert_eq!(found, std::slice::from_ref(&user));

    // A key, a joined attribute, the entity type or a field in the extra data is refused.
    for name in ["pk", "gsi1pk", "tenant_user", "_type", "email"] {
        let mut shadowing = user.clone();
        shadowing.data.insert(name.to_owned(), s("x"));
        let err = users.put(&shadowing).await.unwrap_err();
        assert!(
            matches!(&err, Error::Encode(e) if e.attribute.as_deref() == Some(name)),
            "{name}: {err:?}"
        );
    }
}

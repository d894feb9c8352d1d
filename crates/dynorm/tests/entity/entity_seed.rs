//! Seed rows of single-table-orm, dynamo_query and ElectroDB on entities: consistent reads,
//! `begins_with` on a field's prefix, capped and paged entity queries and collections, entity
//! updates that add / append / remove from a set (keys kept fresh or the update refused), and
//! updates that would move an item.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use dynorm::entity::{Collection, EntityError, IndexLayout, Layout, RawItem, SingleTable};
use dynorm::testing::instrument;
use dynorm::{Client, Error, Table as _};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        ..Layout::new("seed", "pk", Some("sk"))
    };
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{name}#{id}")]
#[dynorm(index(name = "gsi1", pk = "R#{role}", sk = "L#{level:03}"))]
#[dynorm(join(attribute = "tenant_role", fields(tenant, role)))]
struct User {
    tenant: String,
    name: String,
    id: String,
    role: String,
    level: u32,
    logins: u64,
    tags: BTreeSet<String>,
    history: Vec<String>,
}

fn user(name: &str, id: &str) -> User {
    User {
        tenant: "acme".into(),
        name: name.into(),
        id: id.into(),
        role: "dev".into(),
        level: 1,
        logins: 0,
        tags: ["a", "b"].into_iter().map(String::from).collect(),
        history: vec!["signup".into()],
    }
}

async fn db() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client.create_table(User::definition()).await.unwrap();
    let users = client.table::<User>();
    for (name, id) in [
        ("alice", "1"),
        ("alfred", "2"),
        ("bob", "3"),
        ("al", "4"),
        ("alba", "5"),
    ] {
        users.put(&user(name, id)).await.unwrap();
    }
    client
}

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.name.as_str()).collect()
}

#[tokio::test]
async fn begins_with_on_a_fields_prefix() {
    let client = db().await;
    let (recorded_client, recorded) = instrument(&client);
    let users = recorded_client.table::<User>();
    let found = users
        .entity_query()
        .field("tenant", "acme")
        .field_begins_with("name", "alf")
        .all()
        .await
        .unwrap();
    assert_eq!(names(&found), ["alfred"]);
    let sent = &recorded.requests()[0];
    assert_eq!(
        sent.key_condition.as_deref(),
        Some("pk = :v0 AND begins_with(sk, :v1)"),
        "{sent:?}"
    );
    let al = users
        .entity_query()
        .field("tenant", "acme")
        .field_begins_with("name", "al")
        .all()
        .await
        .unwrap();
    assert_eq!(names(&al), ["al", "alba", "alfred", "alice"]);
    // Not the sort-key field after those given: a typed refusal naming the index.
    let err = users
        .entity_query()
        .field("tenant", "acme")
        .field_begins_with("id", "1")
        .all()
        .await
        .unwrap_err();
    assert!(matches!(err, EntityError::NoIndex { .. }), "{err}");
    // A number is no prefix.
    let err = users
        .entity_query()
        .field("tenant", "acme")
        .field_begins_with("name", 3)
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("must be text"), "{err}");
}

#[tokio::test]
async fn consistent_entity_reads_and_capped_pages() {
    let client = db().await;
    let (recorded_client, recorded) = instrument(&client);
    let users = recorded_client.table::<User>();
    let first = users
        .entity_query()
        .field("tenant", "acme")
        .consistent_read()
        .limit(2)
        .page()
        .await
        .unwrap();
    assert_eq!(names(&first.items), ["al", "alba"]);
    assert!(recorded.requests().iter().all(|r| r.consistent_read));
    let rest = users
        .entity_query()
        .field("tenant", "acme")
        .start_after(first.cursor.unwrap())
        .all()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["alfred", "alice", "bob"]);
    // A global index cannot be read consistently: DynamoDB's rule, as a typed error.
    let err = users
        .entity_query()
        .field("role", "dev")
        .consistent_read()
        .all()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EntityError::Dynamo(Error::InvalidRequest { index: Some(i), .. }) if i == "gsi1"),
        "{err:?}"
    );
    // Collections cap the items read too.
    let capped = Collection::<App>::new(&client)
        .entity::<User>()
        .field("tenant", "acme")
        .page_size(1)
        .limit(3)
        .all()
        .await
        .unwrap()
        .take::<User>();
    assert_eq!(names(&capped), ["al", "alba", "alfred"]);
}

#[tokio::test]
async fn entity_updates_add_append_and_remove_from_a_set() {
    let client = db().await;
    let users = client.table::<User>();
    let key = || User::key("acme", "bob", "3");
    let updated = users
        .entity_update(key())
        .add("logins", 2u64)
        .append("history", vec!["login".to_owned()])
        .remove_from_set("tags", BTreeSet::from(["a".to_owned()]))
        .send_returning()
        .await
        .unwrap();
    assert_eq!(updated.logins, 2);
    assert_eq!(updated.history, ["signup", "login"]);
    assert_eq!(updated.tags, BTreeSet::from(["b".to_owned()]));
    let again = users
        .entity_update(key())
        .add("logins", 3u64)
        .add("tags", BTreeSet::from(["c".to_owned()]))
        .send_returning()
        .await
        .unwrap();
    assert_eq!(again.logins, 5);
    assert_eq!(again.tags, BTreeSet::from(["b".to_owned(), "c".to_owned()]));
    // Keys stay as a fresh put renders them.
    let raw = client
        .table::<RawItem<App>>()
        .get(RawItem::<App>::key(key()))
        .await
        .unwrap()
        .unwrap()
        .item;
    let fresh = again.to_item().unwrap();
    for attribute in ["pk", "sk", "gsi1pk", "gsi1sk", "tenant_role"] {
        assert_eq!(raw.get(attribute), fresh.get(attribute), "{attribute}");
    }
    // `level` feeds gsi1sk: an ADD computes its new value in DynamoDB, so the key could not be
    // rebuilt. Refused, naming the field, the action and the attribute.
    let err = users
        .entity_update(key())
        .add("level", 1u32)
        .send()
        .await
        .unwrap_err();
    match &err {
        EntityError::ComputedChange {
            field,
            action,
            attribute,
            ..
        } => {
            assert_eq!((field.as_str(), *action, *attribute), ("level", "add", "gsi1sk"));
        }
        other => panic!("expected ComputedChange, got {other:?}"),
    }
    assert!(err.to_string().contains(".set("), "{err}");
    // A misspelt field is named, as for `set`.
    let err = users
        .entity_update(key())
        .add("login", 1u64)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, EntityError::UnknownField { .. }), "{err:?}");
}

#[tokio::test]
async fn changing_a_table_key_field_says_the_item_would_move() {
    let client = db().await;
    let users = client.table::<User>();
    // `tenant` feeds the table key and the joined `tenant_role`, whose other source is not
    // given: the answer is still that the item would move, not a missing join source.
    let err = users
        .entity_update(User::key("acme", "bob", "3"))
        .set("tenant", "globex")
        .send()
        .await
        .unwrap_err();
    match &err {
        EntityError::KeyFieldChanged { field, attribute, .. } => {
            assert_eq!((field.as_str(), *attribute), ("tenant", "pk"));
        }
        other => panic!("expected KeyFieldChanged, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("move the item"), "{message}");
    assert!(
        message.contains("delete the old item and put the new one"),
        "{message}"
    );
    assert!(message.contains("transaction"), "{message}");
}

//! Entity operations on the embedded engine: key-synchronised partial updates, queries by
//! fields, collections, table name context.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use dynorm::entity::{Entity as _, EntityError, IndexLayout, Layout, SingleTable};
use dynorm::{AttributeValue, Table as _};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[
            IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk")),
            IndexLayout::global("gsi2", "gsi2pk", Some("gsi2sk")),
        ],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User")]
#[dynorm(pk = "T#{tenant}", sk = "U#{user_id}")]
#[dynorm(index(name = "gsi1", pk = "EMAIL#{email}", sk = "T#{tenant}#S#{status}"))]
#[dynorm(index(name = "gsi2", pk = "T#{tenant}#TEAM#{team}", sk = "U#{user_id}"))]
struct User {
    tenant: String,
    user_id: String,
    email: String,
    status: String,
    team: Option<String>,
    age: u32,
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Run")]
#[dynorm(pk = "T#{tenant}", sk = "R#{run:06}")]
struct Run {
    tenant: String,
    run: u32,
    ok: bool,
}

fn user(id: &str, team: Option<&str>) -> User {
    User {
        tenant: "acme".into(),
        user_id: id.into(),
        email: format!("{id}@acme.test"),
        status: "active".into(),
        team: team.map(str::to_owned),
        age: 30,
    }
}

async fn db() -> dynorm::Client {
    dynorm::testing::database(&[User::definition()]).await.unwrap()
}

async fn stored(client: &dynorm::Client, id: &str) -> dynorm::Item {
    let raw = client.table_named::<dynorm::entity::RawItem<App>>("app");
    raw.get(dynorm::entity::RawItem::key(User::key("acme", id)))
        .send()
        .await
        .unwrap()
        .unwrap()
        .item
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

#[tokio::test]
async fn update_rebuilds_every_affected_key() {
    let client = db().await;
    let users = client.table::<User>();
    users.put(&user("u1", Some("red"))).send().await.unwrap();
    // status feeds gsi1sk, which also needs tenant: known from the primary key.
    let after = users
        .entity_update(User::key("acme", "u1"))
        .set("status", "suspended")
        .send_returning()
        .await
        .unwrap();
    assert_eq!(after.status, "suspended");
    let item = stored(&client, "u1").await;
    assert_eq!(item["gsi1sk"], s("T#acme#S#suspended"));
    assert_eq!(item["gsi1pk"], s("EMAIL#u1@acme.test"));
    // The stored item is exactly what a fresh put of the new value writes: nothing stale.
    let mut expected = user("u1", Some("red"));
    expected.status = "suspended".into();
    assert_eq!(item, expected.to_entity_item().unwrap());
}

#[tokio::test]
async fn table_key_fields_cannot_change_and_unreadable_keys_are_refused() {
    let client = db().await;
    let users = client.table::<User>();
    users.put(&user("u1", Some("red"))).send().await.unwrap();
    // A field of the table's own key is the item's identity.
    let err = users
        .entity_update(User::key("acme", "u1"))
        .set("user_id", "u2")
        .plan()
        .unwrap_err();
    assert!(
        matches!(err, EntityError::KeyFieldChanged { attribute: "sk", .. }),
        "{err}"
    );
    // A key the templates cannot read back gives no fields: refused, not guessed.
    let raw_key =
        dynorm::Key::<User>::from_item([("pk".to_owned(), s("OTHER")), ("sk".to_owned(), s("OTHER"))].into());
    let err = users
        .entity_update(raw_key)
        .set("status", "x")
        .plan()
        .unwrap_err();
    assert!(matches!(err, EntityError::Template(_)), "{err}");
    // A field no key reads changes alone.
    users
        .entity_update(User::key("acme", "u1"))
        .set("age", 31u32)
        .send()
        .await
        .unwrap();
    let mut expected = user("u1", Some("red"));
    expected.age = 31;
    assert_eq!(stored(&client, "u1").await, expected.to_entity_item().unwrap());
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Membership")]
#[dynorm(pk = "T#{tenant}", sk = "M#{member}")]
#[dynorm(index(name = "gsi1", pk = "ORG#{org}#R#{region}", sk = "M#{member}"))]
struct Membership {
    tenant: String,
    member: String,
    org: String,
    region: String,
}

#[tokio::test]
async fn refusal_names_missing_fields() {
    let client = dynorm::testing::database(&[Membership::definition()])
        .await
        .unwrap();
    let table = client.table::<Membership>();
    let m = Membership {
        tenant: "acme".into(),
        member: "m1".into(),
        org: "o1".into(),
        region: "eu".into(),
    };
    table.put(&m).send().await.unwrap();
    let err = table
        .entity_update(Membership::key("acme", "m1"))
        .set("org", "o2")
        .send()
        .await
        .unwrap_err();
    match &err {
        EntityError::MissingFields {
            entity,
            index,
            attribute,
            missing,
        } => {
            assert_eq!(*entity, "Membership");
            assert_eq!(*index, Some("gsi1"));
            assert_eq!(*attribute, "gsi1pk");
            assert_eq!(missing, &["region"]);
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("`gsi1pk`") && text.contains("`region`"), "{text}");
    // Nothing was written.
    assert_eq!(
        table.get(Membership::key("acme", "m1")).send().await.unwrap(),
        Some(m.clone())
    );
    // Given the field, the key is rebuilt.
    table
        .entity_update(Membership::key("acme", "m1"))
        .set("org", "o2")
        .known("region", "eu")
        .send()
        .await
        .unwrap();
    let raw = client.table_named::<dynorm::entity::RawItem<App>>("app");
    let item = raw
        .get(dynorm::entity::RawItem::key(Membership::key("acme", "m1")))
        .send()
        .await
        .unwrap()
        .unwrap()
        .item;
    assert_eq!(item["gsi1pk"], s("ORG#o2#R#eu"));
    // Removing a field a non-sparse index needs is refused.
    let err = table
        .entity_update(Membership::key("acme", "m1"))
        .remove("region")
        .known("org", "o2")
        .plan()
        .unwrap_err();
    assert!(
        matches!(
            err,
            EntityError::RequiredFieldRemoved {
                attribute: "gsi1pk",
                ..
            }
        ),
        "{err}"
    );
    // An update of a missing item never creates a half entity.
    let err = table
        .entity_update(Membership::key("acme", "nobody"))
        .set("org", "o2")
        .known("region", "eu")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, EntityError::Dynamo(_)), "{err}");
}

#[tokio::test]
async fn sparse_index_keys_are_removed_and_restored() {
    let client = db().await;
    let users = client.table::<User>();
    users.put(&user("u1", Some("red"))).send().await.unwrap();
    assert_eq!(stored(&client, "u1").await["gsi2pk"], s("T#acme#TEAM#red"));
    users
        .entity_update(User::key("acme", "u1"))
        .set("team", None::<String>)
        .send()
        .await
        .unwrap();
    let item = stored(&client, "u1").await;
    for gone in ["team", "gsi2pk", "gsi2sk"] {
        assert!(!item.contains_key(gone), "{gone} left behind: {item:?}");
    }
    assert_eq!(item, user("u1", None).to_entity_item().unwrap());
    // Setting the field again writes both keys of the index, not just the one reading it.
    users
        .entity_update(User::key("acme", "u1"))
        .set("team", "blue")
        .send()
        .await
        .unwrap();
    let item = stored(&client, "u1").await;
    assert_eq!(item["gsi2pk"], s("T#acme#TEAM#blue"));
    assert_eq!(item["gsi2sk"], s("U#u1"));
    assert_eq!(item, user("u1", Some("blue")).to_entity_item().unwrap());
}

async fn seeded() -> dynorm::Client {
    let client = db().await;
    let users = client.table::<User>();
    for (id, team) in [("u1", Some("red")), ("u2", Some("blue")), ("u3", None)] {
        users.put(&user(id, team)).send().await.unwrap();
    }
    let runs = client.table::<Run>();
    for run in [1, 2, 10] {
        runs.put(&Run {
            tenant: "acme".into(),
            run,
            ok: run != 2,
        })
        .send()
        .await
        .unwrap();
    }
    client
}

fn ids(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.user_id.as_str()).collect()
}

#[tokio::test]
async fn query_by_fields_builds_the_key_condition() {
    let client = seeded().await;
    let users = client.table::<User>();
    // Partition fields only: begins_with the sort key's literal prefix, on the table.
    let q = users.entity_query().field("tenant", "acme");
    let (index, condition) = q.key_condition().unwrap();
    assert_eq!(index, None);
    assert_eq!(condition.sort_key(), Some("sk"));
    let all = q.all().await.unwrap();
    assert_eq!(
        ids(&all),
        ["u1", "u2", "u3"],
        "runs in the same partition are not users"
    );
    // The full sort key: `=`.
    let one = users
        .entity_query()
        .field("tenant", "acme")
        .field("user_id", "u2")
        .all()
        .await
        .unwrap();
    assert_eq!(one, [user("u2", Some("blue"))]);
    // Padded numbers: a prefix of the sort key.
    let runs = client
        .table::<Run>()
        .entity_query()
        .field("tenant", "acme")
        .descending()
        .all()
        .await
        .unwrap();
    let numbers: Vec<u32> = runs.iter().map(|r| r.run).collect();
    assert_eq!(numbers, [10, 2, 1]);
}

#[tokio::test]
async fn the_index_is_picked_from_the_fields() {
    let client = seeded().await;
    let users = client.table::<User>();
    let q = users.entity_query().field("email", "u2@acme.test");
    assert_eq!(q.key_condition().unwrap().0, Some("gsi1"));
    assert_eq!(ids(&q.all().await.unwrap()), ["u2"]);
    // tenant alone fits the table and gsi2 would need team: with team, gsi2 is the fit.
    let q = users.entity_query().field("tenant", "acme").field("team", "red");
    assert_eq!(q.key_condition().unwrap().0, Some("gsi2"));
    assert_eq!(ids(&q.all().await.unwrap()), ["u1"]);
    // A leading subset of an index's sort key: begins_with on it.
    let q = users
        .entity_query()
        .field("email", "u1@acme.test")
        .field("tenant", "acme");
    assert_eq!(q.key_condition().unwrap().0, Some("gsi1"));
    assert_eq!(ids(&q.all().await.unwrap()), ["u1"]);
    // Named.
    let q = users
        .entity_query()
        .on_index("gsi2")
        .field("tenant", "acme")
        .field("team", "blue");
    assert_eq!(ids(&q.all().await.unwrap()), ["u2"]);
    // Nothing fits: a typed error saying what each candidate needs.
    let err = users
        .entity_query()
        .field("status", "active")
        .key_condition()
        .unwrap_err();
    match &err {
        EntityError::NoIndex { given, needs, .. } => {
            assert_eq!(given, &["status"]);
            assert_eq!(needs.len(), 3);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("`email`"), "{err}");
    let err = users
        .entity_query()
        .on_index("gsi2")
        .field("tenant", "acme")
        .key_condition()
        .unwrap_err();
    assert!(
        matches!(&err, EntityError::BadIndex { reason, .. } if reason.contains("`team`")),
        "{err}"
    );
    assert!(matches!(
        users.entity_query().on_index("nope").key_condition(),
        Err(EntityError::BadIndex { .. })
    ));
}

#[tokio::test]
async fn items_of_other_tools_are_read_when_ownership_is_ignored() {
    let client = seeded().await;
    let mut item = user("u9", None).to_entity_item().unwrap();
    item.remove("__entity");
    client
        .table_named::<dynorm::entity::RawItem<App>>("app")
        .put(&dynorm::entity::RawItem::new(item))
        .send()
        .await
        .unwrap();
    let users = client.table::<User>();
    let q = || {
        users
            .entity_query()
            .field("tenant", "acme")
            .field("user_id", "u9")
    };
    assert!(q().all().await.unwrap().is_empty());
    assert_eq!(q().ignore_ownership().all().await.unwrap(), [user("u9", None)]);
}

#[tokio::test]
async fn a_collection_decodes_each_type_and_reports_unknown_items() {
    use dynorm::entity::{Collection, RawItem};
    let client = seeded().await;
    // An item of a type nobody registered, and one without an entity type that reads as a Run.
    let raw = client.table_named::<RawItem<App>>("app");
    let mut odd = dynorm::Item::new();
    odd.insert("pk".into(), s("T#acme"));
    odd.insert("sk".into(), s("Z#1"));
    odd.insert("__entity".into(), s("Invoice"));
    raw.put(&RawItem::new(odd.clone())).send().await.unwrap();
    let mut legacy = Run {
        tenant: "acme".into(),
        run: 77,
        ok: true,
    }
    .to_entity_item()
    .unwrap();
    legacy.remove("__entity");
    raw.put(&RawItem::new(legacy)).send().await.unwrap();

    let mut found = Collection::<App>::new(&client)
        .entity::<User>()
        .entity::<Run>()
        .partition("T#acme")
        .all()
        .await
        .unwrap();
    assert_eq!(found.count::<User>(), 3);
    assert_eq!(ids(&found.take::<User>()), ["u1", "u2", "u3"]);
    let runs: Vec<u32> = found.take::<Run>().iter().map(|r| r.run).collect();
    assert_eq!(runs, [1, 2, 10, 77]);
    assert_eq!(found.unknown, [odd], "unregistered types are reported");
    assert!(found.take::<User>().is_empty(), "taken once");

    // Only runs are registered: the users are reported, not dropped.
    let found = Collection::<App>::new(&client)
        .entity::<Run>()
        .partition("T#acme")
        .sort_begins_with("U#")
        .all()
        .await
        .unwrap();
    assert_eq!(found.count::<Run>(), 0);
    assert_eq!(found.unknown.len(), 3);

    // On an index.
    let mut found = Collection::<App>::new(&client)
        .entity::<User>()
        .index("gsi2")
        .partition("T#acme#TEAM#red")
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&found.take::<User>()), ["u1"]);
    assert!(matches!(
        Collection::<App>::new(&client)
            .index("nope")
            .partition("x")
            .all()
            .await,
        Err(EntityError::BadIndex { .. })
    ));
}

#[tokio::test]
async fn table_names_come_from_the_context() {
    use dynorm::entity::TableContext;
    let vars = |k: &str| match k {
        "DB_TABLE_NAME" => Some("shared-table".to_owned()),
        _ => None,
    };
    assert_eq!(TableContext::from_lookup(vars).resolve("app"), "shared-table");
    let stage = TableContext::from_lookup(|k| match k {
        "DB_TABLE_PREFIX" => Some("dev-".to_owned()),
        "DB_TABLE_SUFFIX" => Some("-v2".to_owned()),
        _ => None,
    });
    assert_eq!(stage.resolve("app"), "dev-app-v2");
    assert_eq!(TableContext::new().resolve("app"), "app");

    // A scoped override points code at another table (and client) for one scope only.
    let main = db().await;
    let mut other_def = User::definition().clone();
    other_def.name = "scratch".into();
    let other = dynorm::testing::database(&[&other_def]).await.unwrap();
    let scoped = TableContext::new()
        .with_table_name("scratch")
        .with_client(other.clone());
    let written = scoped
        .clone()
        .scope(async {
            let users = main.table_in_context::<User>();
            assert_eq!(users.name(), "scratch");
            users.put(&user("u1", None)).send().await.unwrap();
            // Nested scopes win, then the outer one is back.
            TableContext::new()
                .with_prefix("x-")
                .scope(async { assert_eq!(main.table_in_context::<User>().name(), "x-app") })
                .await;
            main.table_in_context::<User>().name().to_owned()
        })
        .await;
    assert_eq!(written, "scratch");
    // Another task, run at the same time, does not see the scope.
    let (a, b) = tokio::join!(
        scoped.scope(async { TableContext::current().resolve("app") }),
        async { TableContext::current().table_name.is_none() || std::env::var("DB_TABLE_NAME").is_ok() }
    );
    assert_eq!(a, "scratch");
    assert!(b);
    // The write went to the other client's table, not the main one.
    let got = other
        .table_named::<User>("scratch")
        .get(User::key("acme", "u1"))
        .send()
        .await
        .unwrap();
    assert_eq!(got, Some(user("u1", None)));
    assert_eq!(
        main.table::<User>()
            .get(User::key("acme", "u1"))
            .send()
            .await
            .unwrap(),
        None
    );
}

//! Entities that evolve: items of an older version of an entity, stored raw as that version
//! wrote them, are read upgraded through get, batch get, queries, collections and change
//! streams; every write route stores the current version; an update never half-upgrades an
//! item; the upgrade rewrites only the entity's own items (dry run, verification count,
//! optimistic locking honoured) while the application keeps writing, losing nothing; a bad
//! upgrade is a typed error naming the entity, the key and both versions.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use dynorm::entity::{Collection, Entity as _, IndexLayout, Layout, RawItem, SingleTable};
use dynorm::evolve::{SCHEMA_VERSION_ATTRIBUTE, Upgrade};
use dynorm::stream::{Change, EntityChanges, StreamRecord};
use dynorm::{AttributeValue, Client, DecodeErrorKind, Error, Item, Table as _};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

/// Version 1, as first deployed: one full name.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
struct UserV1 {
    tenant: String,
    id: String,
    name: String,
    visits: u32,
    #[dynorm(version)]
    version: u64,
}

/// Version 2: the name split, and users found by last name (a new index over a new field).
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
#[dynorm(index(name = "gsi1", pk = "LAST#{last}", sk = "T#{tenant}#U#{id}"))]
#[dynorm(schema_version = 2, upgrades(UserV1))]
struct User {
    tenant: String,
    id: String,
    first: String,
    last: String,
    visits: u32,
    #[dynorm(version)]
    version: u64,
}

impl TryFrom<UserV1> for User {
    type Error = String;

    fn try_from(old: UserV1) -> Result<Self, String> {
        let (first, last) = old
            .name
            .split_once(' ')
            .ok_or_else(|| format!("name `{}` has no last name", old.name))?;
        Ok(User {
            tenant: old.tenant,
            id: old.id,
            first: first.into(),
            last: last.into(),
            visits: old.visits,
            version: old.version,
        })
    }
}

/// Another entity of the same partition, with no schema version: never touched by the upgrade.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Order", pk = "T#{tenant}", sk = "O#{order}")]
struct Order {
    tenant: String,
    order: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An item exactly as version 1 stored it: no schema version attribute.
fn v1_item(id: &str, name: &str) -> Item {
    Item::from([
        ("pk".to_owned(), s("T#acme")),
        ("sk".to_owned(), s(&format!("U#{id}"))),
        ("__entity".to_owned(), s("User")),
        ("tenant".to_owned(), s("acme")),
        ("id".to_owned(), s(id)),
        ("name".to_owned(), s(name)),
        ("visits".to_owned(), n(0)),
        ("version".to_owned(), n(1)),
    ])
}

async fn db() -> Client {
    let client = Client::embedded().unwrap();
    client.create_table(User::definition()).await.unwrap();
    client
}

async fn put_raw(client: &Client, item: Item) {
    client
        .table::<RawItem<App>>()
        .put(&RawItem::new(item))
        .await
        .unwrap();
}

async fn stored(client: &Client, id: &str) -> Item {
    client
        .table::<RawItem<App>>()
        .get(RawItem::<App>::key(User::key("acme", id)))
        .await
        .unwrap()
        .expect("stored")
        .item
}

fn version_of(item: &Item) -> Option<&str> {
    item.get(SCHEMA_VERSION_ATTRIBUTE)
        .and_then(|v| v.as_n().ok())
        .map(String::as_str)
}

fn ada(id: &str) -> User {
    User {
        tenant: "acme".into(),
        id: id.into(),
        first: "Ada".into(),
        last: "Lovelace".into(),
        visits: 0,
        version: 0,
    }
}

#[tokio::test]
async fn old_items_are_read_upgraded_everywhere() {
    let client = db().await;
    put_raw(&client, v1_item("u1", "Ada Lovelace")).await;
    client
        .table::<UserV1>()
        .put(&UserV1 {
            tenant: "acme".into(),
            id: "u2".into(),
            name: "Alan Turing".into(),
            visits: 3,
            version: 0,
        })
        .await
        .unwrap();
    client.table::<User>().put(&ada("u3")).await.unwrap();
    client
        .table::<Order>()
        .put(&Order {
            tenant: "acme".into(),
            order: "o1".into(),
        })
        .await
        .unwrap();
    let users = client.table::<User>();

    let got = users.get(User::key("acme", "u1")).await.unwrap().unwrap();
    assert_eq!(
        (got.first.as_str(), got.last.as_str(), got.version),
        ("Ada", "Lovelace", 1)
    );

    let batch = users
        .batch_get([User::key("acme", "u1"), User::key("acme", "u2")])
        .send()
        .await
        .unwrap();
    let mut lasts: Vec<String> = batch.items.into_iter().map(|u| u.last).collect();
    lasts.sort();
    assert_eq!(lasts, ["Lovelace", "Turing"]);

    // The entity query mixes versions: two old items, one current.
    let queried = users.entity_query().field("tenant", "acme").all().await.unwrap();
    let mut firsts: Vec<String> = queried.into_iter().map(|u| u.first).collect();
    firsts.sort();
    assert_eq!(firsts, ["Ada", "Ada", "Alan"]);

    let mut found = Collection::<App>::new(&client)
        .entity::<User>()
        .entity::<Order>()
        .field("tenant", "acme")
        .all()
        .await
        .unwrap();
    assert_eq!(found.take::<User>().len(), 3);
    assert_eq!(found.take::<Order>().len(), 1);
    assert!(found.unknown.is_empty());
}

#[derive(Debug)]
enum AppChange {
    User(Change<User>),
    #[allow(dead_code)] // built by the decoder for records of no known type
    Unknown(StreamRecord),
}

#[test]
fn a_change_record_of_an_old_item_decodes_upgraded() {
    let item = v1_item("u1", "Ada Lovelace");
    let record = StreamRecord {
        table: "app".into(),
        event_id: "1".into(),
        event_name: "MODIFY".into(),
        sequence_number: "100000000000000000001".into(),
        keys: Item::from([("pk".to_owned(), s("T#acme")), ("sk".to_owned(), s("U#u1"))]),
        new_image: Some(item.clone()),
        old_image: Some(item),
        view_type: None,
        approximate_creation: None,
    };
    let decoder = EntityChanges::<App, AppChange>::new(AppChange::Unknown).variant(AppChange::User);
    let change = decoder.decode(&record).unwrap().change;
    let AppChange::User(change) = change else {
        panic!("not a user change: {change:?}");
    };
    assert_eq!(change.new_item().map(|u| u.last.as_str()), Some("Lovelace"));
    assert_eq!(change.old_item().map(|u| u.first.as_str()), Some("Ada"));
}

#[tokio::test]
async fn every_write_route_stores_the_current_version() {
    let client = db().await;
    let users = client.table::<User>();
    users.put(&ada("put")).await.unwrap();
    users.put(&ada("create")).create_only().await.unwrap();
    let mut saved = ada("save");
    users.save(&mut saved).await.unwrap();
    users.upsert(&ada("upsert")).await.unwrap();
    users.batch_put([ada("batch")]).await.unwrap();
    users.batch_put([ada("unguarded")]).unguarded().await.unwrap();
    users.batch_upsert([ada("batch_upsert")]).await.unwrap();
    client
        .transact_write()
        .put(&users, &ada("tx"))
        .send()
        .await
        .unwrap();
    let routes = [
        "put",
        "create",
        "save",
        "upsert",
        "batch",
        "unguarded",
        "batch_upsert",
        "tx",
    ];
    for id in routes {
        assert_eq!(version_of(&stored(&client, id).await), Some("2"), "{id}");
    }
    // An entity update of a current item keeps it current.
    users
        .entity_update(User::key("acme", "put"))
        .set("last", "Byron")
        .send()
        .await
        .unwrap();
    let item = stored(&client, "put").await;
    assert_eq!(version_of(&item), Some("2"));
    assert_eq!(item["gsi1pk"].as_s().unwrap(), "LAST#Byron");
}

#[tokio::test]
async fn an_update_never_half_upgrades_an_old_item() {
    let client = db().await;
    let users = client.table::<User>();
    put_raw(&client, v1_item("u1", "Ada Lovelace")).await;
    // `last` is not stored by version 1: refused, typed, the item untouched.
    let error = users
        .entity_update(User::key("acme", "u1"))
        .set("last", "Byron")
        .send()
        .await
        .unwrap_err();
    let dynorm::entity::EntityError::Dynamo(Error::OutdatedSchemaVersion {
        what,
        key,
        stored: at,
        current,
        ..
    }) = error
    else {
        panic!("not an outdated schema version: {error}");
    };
    assert_eq!((what.as_str(), at, current), ("entity `User`", 1, 2));
    assert!(key.contains("U#u1"), "{key}");
    assert_eq!(stored(&client, "u1").await, v1_item("u1", "Ada Lovelace"));
    // Attributes every version stores (a counter, the lock's version) apply to any version and
    // leave its version as it is.
    users
        .update(User::key("acme", "u1"))
        .increment("visits", 1u32)
        .send()
        .await
        .unwrap();
    let item = stored(&client, "u1").await;
    assert_eq!(
        (version_of(&item), item["visits"].as_n().unwrap().as_str()),
        (None, "1")
    );
    // An upsert stores the whole current shape and drops what only version 1 stored.
    let mut upgraded = users.get(User::key("acme", "u1")).await.unwrap().unwrap();
    upgraded.last = "King".into();
    users.upsert(&upgraded).await.unwrap();
    let item = stored(&client, "u1").await;
    assert_eq!(version_of(&item), Some("2"));
    assert!(!item.contains_key("name"), "{item:?}");
    assert_eq!(item["gsi1pk"].as_s().unwrap(), "LAST#King");
}

#[tokio::test]
async fn a_bad_upgrade_or_a_newer_item_is_a_typed_error() {
    let client = db().await;
    let users = client.table::<User>();
    // The upgrade step fails: no last name.
    put_raw(&client, v1_item("u1", "Plato")).await;
    let error = users.get(User::key("acme", "u1")).await.unwrap_err();
    let Error::Decode(e) = error else {
        panic!("not a decode error: {error}")
    };
    let DecodeErrorKind::SchemaVersion(refused) = e.kind else {
        panic!("not a schema version error: {e}")
    };
    let dynorm::SchemaVersionError {
        what,
        key,
        stored,
        current,
        reason,
    } = *refused;
    assert_eq!((what.as_str(), stored, current), ("entity `User`", 1, 2));
    assert!(
        key.contains("U#u1") && reason.contains("no last name"),
        "{key} / {reason}"
    );
    // The old shape does not decode.
    let mut broken = v1_item("u2", "Ada Lovelace");
    broken.remove("name");
    put_raw(&client, broken).await;
    let error = users.get(User::key("acme", "u2")).await.unwrap_err().to_string();
    assert!(
        error.contains("entity `User`") && error.contains("version 1 shape does not decode"),
        "{error}"
    );
    // A newer build wrote it.
    let mut newer = ada("u3").to_item().unwrap();
    newer.insert(SCHEMA_VERSION_ATTRIBUTE.into(), n(3));
    put_raw(&client, newer).await;
    let error = users.get(User::key("acme", "u3")).await.unwrap_err().to_string();
    assert!(
        error.contains("entity `User` item")
            && error.contains("stored at schema version 3 and this build's is 2"),
        "{error}"
    );
}

#[tokio::test]
async fn the_upgrade_rewrites_only_the_entitys_old_items() {
    let client = db().await;
    for i in 0..5 {
        put_raw(&client, v1_item(&format!("u{i}"), "Ada Lovelace")).await;
    }
    client.table::<User>().put(&ada("current")).await.unwrap();
    client
        .table::<Order>()
        .put(&Order {
            tenant: "acme".into(),
            order: "o1".into(),
        })
        .await
        .unwrap();
    let users = client.table::<User>();
    let before = stored(&client, "u0").await;

    let plan = Upgrade::new(&users).dry_run().run().await.unwrap();
    assert_eq!((plan.scanned, plan.upgraded, plan.dry_run), (5, 5, true));
    assert_eq!(stored(&client, "u0").await, before, "a dry run writes nothing");
    assert_eq!(Upgrade::new(&users).remaining().await.unwrap(), 5);

    let done = Upgrade::new(&users)
        .segments(3)
        .per_second(1000)
        .run()
        .await
        .unwrap();
    assert_eq!(done.upgraded, 5);
    assert_eq!(Upgrade::new(&users).remaining().await.unwrap(), 0);
    let item = stored(&client, "u0").await;
    assert_eq!(version_of(&item), Some("2"));
    assert!(!item.contains_key("name"));
    // The new index finds the upgraded items; the lock's version was bumped by the rewrite.
    assert_eq!(item["gsi1pk"].as_s().unwrap(), "LAST#Lovelace");
    assert_eq!(item["version"].as_n().unwrap(), "2");
    let order = client
        .table::<Order>()
        .get(Order::key("acme", "o1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.order, "o1");
    let raw_order = client
        .table::<RawItem<App>>()
        .get(RawItem::<App>::key(Order::key("acme", "o1")))
        .await
        .unwrap()
        .unwrap();
    assert!(
        !raw_order.item.contains_key(SCHEMA_VERSION_ATTRIBUTE),
        "the order was left alone"
    );
    // A save holding the version read before the rewrite is a conflict, not a lost write.
    let mut stale = ada("u0");
    stale.version = 1;
    assert!(users.save(&mut stale).await.unwrap_err().is_version_conflict());
}

/// The application keeps incrementing every user's visits and saving (optimistic locking)
/// while the upgrade runs over the same items in parallel segments: every write survives,
/// every old item ends current.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_running_beside_the_application_loses_nothing() {
    const ITEMS: usize = 40;
    const ROUNDS: u32 = 4;
    let client = db().await;
    for i in 0..ITEMS {
        put_raw(&client, v1_item(&format!("u{i:02}"), "Ada Lovelace")).await;
    }
    let users = client.table::<User>();
    let writer = {
        let users = users.clone();
        tokio::spawn(async move {
            for _ in 0..ROUNDS {
                for i in 0..ITEMS {
                    let key = User::key("acme", format!("u{i:02}"));
                    users.update(key).increment("visits", 1u32).send().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
            // Read (upgraded), change, save with the lock: retried on a conflict.
            for i in (0..ITEMS).step_by(4) {
                loop {
                    let key = User::key("acme", format!("u{i:02}"));
                    let mut user = users.get(key).await.unwrap().unwrap();
                    user.first = "Augusta".into();
                    match users.save(&mut user).await {
                        Ok(()) => break,
                        Err(e) if e.is_version_conflict() => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        })
    };
    let upgrade = Upgrade::new(&users).segments(4).run().await.unwrap();
    writer.await.unwrap();
    assert_eq!(upgrade.scanned, ITEMS);
    assert_eq!(Upgrade::new(&users).remaining().await.unwrap(), 0);
    let raw = client.table::<RawItem<App>>().scan().all().await.unwrap();
    assert_eq!(raw.len(), ITEMS);
    for r in raw {
        assert_eq!(version_of(&r.item), Some("2"), "{:?}", r.item);
        let user = User::from_item(r.item).unwrap();
        assert_eq!(user.visits, ROUNDS, "{user:?}");
        let id: usize = user.id[1..].parse().unwrap();
        let first = if id.is_multiple_of(4) { "Augusta" } else { "Ada" };
        assert_eq!(
            (user.first.as_str(), user.last.as_str()),
            (first, "Lovelace"),
            "{user:?}"
        );
    }
}

#[test]
fn the_entity_definition_carries_its_version() {
    assert_eq!(User::entity_definition().schema_version, Some(2));
    assert_eq!(UserV1::entity_definition().schema_version, None);
}

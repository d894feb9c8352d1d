//! Types that evolve: older items upgraded on read through each `From`, writes storing the
//! current version, and the upgrade backfill (dry run, verification count, rerun, attributes
//! only older versions stored removed, unknown ones kept) — run while the application keeps
//! writing, losing nothing.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use dynorm::evolve::{SCHEMA_VERSION_ATTRIBUTE, Upgrade};
use dynorm::{AttributeValue, Client, Error, Table};

/// Version 1: a full name.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "people")]
struct PersonV1 {
    #[dynorm(partition_key)]
    id: String,
    name: String,
    visits: u32,
}

/// Version 2: the name split.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "people")]
struct PersonV2 {
    #[dynorm(partition_key)]
    id: String,
    first: String,
    last: String,
    visits: u32,
}

/// Version 3: an e-mail address, empty until known.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "people", schema_version = 3, upgrades(PersonV1, PersonV2))]
struct Person {
    #[dynorm(partition_key)]
    id: String,
    first: String,
    last: String,
    visits: u32,
    email: Option<String>,
}

impl From<PersonV1> for PersonV2 {
    fn from(old: PersonV1) -> Self {
        let (first, last) = old.name.split_once(' ').unwrap_or((&old.name, ""));
        PersonV2 {
            id: old.id,
            first: first.into(),
            last: last.into(),
            visits: old.visits,
        }
    }
}

impl From<PersonV2> for Person {
    fn from(old: PersonV2) -> Self {
        Person {
            id: old.id,
            first: old.first,
            last: old.last,
            visits: old.visits,
            email: None,
        }
    }
}

fn v1(id: &str, name: &str) -> PersonV1 {
    PersonV1 {
        id: id.into(),
        name: name.into(),
        visits: 0,
    }
}

async fn stored_version(client: &Client, id: &str) -> Option<String> {
    let item = client
        .sdk()
        .get_item()
        .table_name(client.physical_table_name("people"))
        .key("id", AttributeValue::S(id.into()))
        .send()
        .await
        .unwrap();
    item.item()
        .unwrap()
        .get(SCHEMA_VERSION_ATTRIBUTE)
        .map(|v| v.as_n().unwrap().clone())
}

#[tokio::test]
async fn older_items_are_upgraded_on_read_and_writes_store_the_current_version() {
    let client = dynorm::testing::client().await.expect("test client");
    let people = client.table::<Person>();
    people.create().await.unwrap();
    client
        .table::<PersonV1>()
        .put(&v1("p1", "Ada Lovelace"))
        .await
        .unwrap();
    client
        .table::<PersonV2>()
        .put(&PersonV2 {
            id: "p2".into(),
            first: "Alan".into(),
            last: "Turing".into(),
            visits: 2,
        })
        .await
        .unwrap();
    // `PersonV2` declares no version, so its item reads as version 1 ... unless marked: mark it 2.
    client
        .sdk()
        .update_item()
        .table_name(client.physical_table_name("people"))
        .key("id", AttributeValue::S("p2".into()))
        .update_expression("SET #v = :v")
        .expression_attribute_names("#v", SCHEMA_VERSION_ATTRIBUTE)
        .expression_attribute_values(":v", AttributeValue::N("2".into()))
        .send()
        .await
        .unwrap();
    let grace = Person {
        id: "p3".into(),
        first: "Grace".into(),
        last: "Hopper".into(),
        visits: 1,
        email: Some("g@navy.mil".into()),
    };
    people.put(&grace).await.unwrap();
    assert_eq!(stored_version(&client, "p3").await.as_deref(), Some("3"));
    assert_eq!(stored_version(&client, "p1").await, None);

    let ada = people.get(Person::key("p1")).await.unwrap().unwrap();
    assert_eq!(
        ada,
        Person {
            id: "p1".into(),
            first: "Ada".into(),
            last: "Lovelace".into(),
            visits: 0,
            email: None
        }
    );
    // A scan mixes the three versions, each read as `Person`.
    let mut all = people.scan().all().await.unwrap();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let names: Vec<(&str, &str)> = all.iter().map(|p| (p.first.as_str(), p.last.as_str())).collect();
    assert_eq!(
        names,
        [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")]
    );
}

#[tokio::test]
async fn an_item_of_a_newer_version_is_refused_naming_the_attribute() {
    let client = dynorm::testing::client().await.expect("test client");
    client.table::<Person>().create().await.unwrap();
    client
        .sdk()
        .put_item()
        .table_name(client.physical_table_name("people"))
        .item("id", AttributeValue::S("p9".into()))
        .item(SCHEMA_VERSION_ATTRIBUTE, AttributeValue::N("4".into()))
        .send()
        .await
        .unwrap();
    match client.table::<Person>().get(Person::key("p9")).await.unwrap_err() {
        Error::Decode(e) => {
            assert_eq!(e.attribute.as_deref(), Some(SCHEMA_VERSION_ATTRIBUTE));
            assert!(e.to_string().contains("a newer build wrote it"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_upgrade_dry_runs_rewrites_verifies_and_keeps_attributes_no_version_declares() {
    let client = dynorm::testing::client().await.expect("test client");
    let people = client.table::<Person>();
    people.create().await.unwrap();
    for i in 0..10 {
        client
            .table::<PersonV1>()
            .put(&v1(&format!("p{i}"), "Ada Lovelace"))
            .await
            .unwrap();
    }
    // An attribute another tool added, which no version of the type declares.
    client
        .sdk()
        .update_item()
        .table_name(client.physical_table_name("people"))
        .key("id", AttributeValue::S("p0".into()))
        .update_expression("SET audit = :a")
        .expression_attribute_values(":a", AttributeValue::S("kept".into()))
        .send()
        .await
        .unwrap();

    let dry = Upgrade::new(&people).dry_run().run().await.unwrap();
    assert_eq!((dry.scanned, dry.upgraded, dry.dry_run), (10, 10, true));
    assert_eq!(Upgrade::new(&people).remaining().await.unwrap(), 10);

    let report = Upgrade::new(&people)
        .segments(3)
        .per_second(10_000)
        .run()
        .await
        .unwrap();
    assert_eq!((report.scanned, report.upgraded, report.retried), (10, 10, 0));
    assert_eq!(Upgrade::new(&people).remaining().await.unwrap(), 0);
    // Running it again finds nothing left: resuming after an interruption is rerunning it.
    assert_eq!(Upgrade::new(&people).run().await.unwrap().scanned, 0);

    let raw = client
        .sdk()
        .get_item()
        .table_name(client.physical_table_name("people"))
        .key("id", AttributeValue::S("p0".into()))
        .send()
        .await
        .unwrap();
    let item = raw.item().unwrap();
    assert_eq!(item[SCHEMA_VERSION_ATTRIBUTE].as_n().unwrap(), "3");
    assert_eq!(item["first"].as_s().unwrap(), "Ada");
    assert!(
        !item.contains_key("name"),
        "version 1's `name` is removed: {item:?}"
    );
    assert_eq!(item["audit"].as_s().unwrap(), "kept");
}

#[tokio::test]
async fn a_type_without_a_schema_version_cannot_be_upgraded() {
    let client = dynorm::testing::client().await.expect("test client");
    let v1s = client.table::<PersonV1>();
    v1s.create().await.unwrap();
    let error = Upgrade::new(&v1s).run().await.unwrap_err();
    assert!(
        error.to_string().contains("declares no schema version"),
        "{error}"
    );
}

/// The application increments every item's `visits` while the upgrade runs over the same items
/// in parallel segments: every increment survives, every item ends at version 3, upgraded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_running_beside_the_application_loses_no_write() {
    const ITEMS: usize = 60;
    const ROUNDS: u32 = 5;
    let client = dynorm::testing::client().await.expect("test client");
    let people = client.table::<Person>();
    people.create().await.unwrap();
    for i in 0..ITEMS {
        client
            .table::<PersonV1>()
            .put(&v1(&format!("p{i:03}"), "Ada Lovelace"))
            .await
            .unwrap();
    }
    let writer = {
        let people = people.clone();
        tokio::spawn(async move {
            for _ in 0..ROUNDS {
                for i in 0..ITEMS {
                    people
                        .update(Person::key(format!("p{i:03}")))
                        .increment("visits", 1u32)
                        .send()
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let upgrade = Upgrade::new(&people).segments(4).run().await.unwrap();
    writer.await.unwrap();
    // Items the writer changed between the upgrade's read and its rewrite were read again and
    // retried (without the condition on what was read, increments are lost: checked by hand).
    assert_eq!(upgrade.scanned, ITEMS);
    assert_eq!(upgrade.upgraded + upgrade.already_current, ITEMS);
    assert_eq!(Upgrade::new(&people).remaining().await.unwrap(), 0);
    let all = people.scan().all().await.unwrap();
    assert_eq!(all.len(), ITEMS);
    for person in all {
        assert_eq!(person.visits, ROUNDS, "{person:?}");
        assert_eq!((person.first.as_str(), person.last.as_str()), ("Ada", "Lovelace"));
    }
}

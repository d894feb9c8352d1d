//! Upsert: every attribute of the value SET, the creation time stamped once and the
//! modification time always, attributes set only when absent, empty ones removed, and items
//! written by other tools (without the timestamps) still readable.

use chrono::{DateTime, TimeZone, Utc};
use dynorm::expr::attr;
use dynorm::{AttributeValue, Client, DecodeError, EncodeError, Error, Item, Table, TableDefinition};

use crate::support::both_paths;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "profiles")]
struct ProfileRow {
    #[dynorm(partition_key)]
    id: String,
    name: String,
    nickname: Option<String>,
    referrer: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

/// The same table with timestamps (what `#[dynorm(created_at)]` / `#[dynorm(updated_at)]`
/// will generate).
#[derive(Debug, Clone, PartialEq)]
struct Profile(ProfileRow);

impl Table for Profile {
    fn definition() -> &'static TableDefinition {
        ProfileRow::definition()
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        self.0.to_item()
    }

    fn from_item(item: Item) -> Result<Self, DecodeError> {
        ProfileRow::from_item(item).map(Profile)
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        self.0.key_item()
    }

    const CREATED_AT_ATTRIBUTE: Option<&'static str> = Some("created_at");
    const UPDATED_AT_ATTRIBUTE: Option<&'static str> = Some("updated_at");
}

fn profile(id: &str, name: &str) -> Profile {
    Profile(ProfileRow {
        id: id.to_owned(),
        name: name.to_owned(),
        nickname: None,
        referrer: None,
        created_at: None,
        updated_at: None,
    })
}

fn long_ago(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().expect("date")
}

async fn embedded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(Profile::definition())
        .await
        .expect("create profiles");
    client
}

#[tokio::test]
async fn created_is_stamped_once_and_updated_always() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let profiles = client.table::<Profile>();
        let mut p = profile(path, "Ada");
        p.0.nickname = Some("ada".into());
        let first = profiles.upsert(&p).await.expect("upsert");
        let created = first.0.created_at.expect("created stamped");
        let updated = first.0.updated_at.expect("updated stamped");
        assert_eq!(created, updated, "{path}: both stamped with the same instant");
        assert!(created > long_ago(2020));
        // Stored as ISO 8601 UTC text.
        let raw = client
            .sdk()
            .get_item()
            .table_name(client.physical_table_name("profiles"))
            .key("id", AttributeValue::S(path.into()))
            .send()
            .await
            .expect("raw get")
            .item
            .expect("item");
        match &raw["created_at"] {
            AttributeValue::S(s) => assert!(s.ends_with('Z') && s.contains('T'), "{s}"),
            other => panic!("{other:?}"),
        }

        // Make both stamps old, then upsert again: created stays, updated moves.
        profiles
            .update(p.key_of())
            .set("created_at", long_ago(2001))
            .set("updated_at", long_ago(2001))
            .await
            .expect("age the stamps");
        let mut again = profile(path, "Ada L.");
        // Whatever the value carries for the stamps is not what is stored.
        again.0.created_at = Some(long_ago(2010));
        again.0.updated_at = Some(long_ago(2010));
        let second = profiles.upsert(&again).await.expect("upsert");
        assert_eq!(second.0.created_at, Some(long_ago(2001)), "{path}: created once");
        assert!(
            second.0.updated_at.expect("updated") > long_ago(2020),
            "{path}: updated always"
        );
        assert_eq!(second.0.name, "Ada L.");
        // `nickname` is None in the value: removed.
        assert_eq!(second.0.nickname, None, "{path}");
        assert_eq!(profiles.get(p.key_of()).await.expect("get"), Some(second));
    }
}

#[tokio::test]
async fn set_if_not_exists_keeps_the_first_value() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let profiles = client.table::<Profile>();
        let mut p = profile(path, "Bo");
        p.0.referrer = Some("first".into());
        let stored = profiles
            .upsert(&p)
            .set_if_not_exists(["referrer"])
            .await
            .expect("upsert");
        assert_eq!(stored.0.referrer.as_deref(), Some("first"));
        p.0.referrer = Some("second".into());
        p.0.name = "Bo B.".into();
        let stored = profiles
            .upsert(&p)
            .set_if_not_exists(["referrer"])
            .await
            .expect("upsert");
        assert_eq!(stored.0.referrer.as_deref(), Some("first"), "{path}");
        assert_eq!(stored.0.name, "Bo B.");
        // Empty in the value and set-if-absent: left alone, not removed.
        p.0.referrer = None;
        let stored = profiles
            .upsert(&p)
            .set_if_not_exists(["referrer"])
            .await
            .expect("upsert");
        assert_eq!(stored.0.referrer.as_deref(), Some("first"), "{path}");
        // Without the option it is overwritten / removed.
        let stored = profiles.upsert(&p).await.expect("upsert");
        assert_eq!(stored.0.referrer, None, "{path}");
    }
}

#[tokio::test]
async fn items_written_by_other_tools_are_read_and_upserted() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let profiles = client.table::<Profile>();
        client
            .sdk()
            .put_item()
            .table_name(client.physical_table_name("profiles"))
            .item("id", AttributeValue::S(path.into()))
            .item("name", AttributeValue::S("Legacy".into()))
            .item("extra", AttributeValue::S("kept".into()))
            .send()
            .await
            .expect("raw put");
        let legacy = profiles
            .get_or_fail(profile(path, "").key_of())
            .await
            .expect("read without timestamps");
        assert_eq!(legacy.0.created_at, None);
        assert_eq!(legacy.0.updated_at, None);
        let stored = profiles.upsert(&legacy).await.expect("upsert");
        assert!(stored.0.created_at.is_some(), "{path}");
        assert!(stored.0.updated_at.is_some());
        // An attribute the type does not know is kept by an upsert (a put would drop it).
        let raw = client
            .sdk()
            .get_item()
            .table_name(client.physical_table_name("profiles"))
            .key("id", AttributeValue::S(path.into()))
            .send()
            .await
            .expect("raw get")
            .item
            .expect("item");
        assert_eq!(
            raw.get("extra"),
            Some(&AttributeValue::S("kept".into())),
            "{path}"
        );
    }
}

#[tokio::test]
async fn upsert_conditions() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let profiles = client.table::<Profile>();
        let p = profile(path, "Cy");
        let err = profiles.upsert(&p).must_exist().await.expect_err("absent");
        assert!(err.is_not_found(), "{path}: {err:?}");
        profiles.upsert(&p).create_only().await.expect("create");
        match profiles
            .upsert(&p)
            .condition(attr("name").eq("other"))
            .return_item_on_condition_failure(true)
            .await
        {
            Err(Error::ConditionalCheckFailed { item: Some(item), .. }) => {
                assert_eq!(item["name"], AttributeValue::S("Cy".into()))
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}

// ---- epoch-seconds timestamps ----

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "events")]
struct EventRow {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(epoch_seconds)]
    first_seen: Option<DateTime<Utc>>,
    #[dynorm(epoch_seconds)]
    last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Event(EventRow);

impl Table for Event {
    fn definition() -> &'static TableDefinition {
        EventRow::definition()
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        self.0.to_item()
    }

    fn from_item(item: Item) -> Result<Self, DecodeError> {
        EventRow::from_item(item).map(Event)
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        self.0.key_item()
    }

    const CREATED_AT_ATTRIBUTE: Option<&'static str> = Some("first_seen");
    const UPDATED_AT_ATTRIBUTE: Option<&'static str> = Some("last_seen");
}

#[tokio::test]
async fn renamed_epoch_second_stamps_are_numbers() {
    let embedded = dynorm::testing::client().await.expect("test client");
    embedded.create_table(Event::definition()).await.expect("create");
    for (path, client) in both_paths(&embedded) {
        let events = client.table::<Event>();
        let e = Event(EventRow {
            id: path.to_owned(),
            first_seen: None,
            last_seen: None,
        });
        let stored = events.upsert(&e).await.expect("upsert");
        assert!(stored.0.first_seen.expect("first") > long_ago(2020));
        let raw = client
            .sdk()
            .get_item()
            .table_name(client.physical_table_name("events"))
            .key("id", AttributeValue::S(path.into()))
            .send()
            .await
            .expect("raw get")
            .item
            .expect("item");
        for name in ["first_seen", "last_seen"] {
            assert!(
                matches!(raw[name], AttributeValue::N(_)),
                "{path}: {name} = {:?}",
                raw[name]
            );
        }
    }
}

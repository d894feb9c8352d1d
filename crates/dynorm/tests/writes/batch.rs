//! Batch get, put, delete and upsert, and clearing, on both engine paths.

use std::sync::OnceLock;

use dynorm::batch::UnprocessedWrite;
use dynorm::testing::{FaultPlan, with_faults};
use dynorm::{
    AttributeType, AttributeValue, Client, DecodeError, EncodeError, Error, Item, Key, RetryPolicy, Table,
    TableDefinition,
};

use crate::support::{User, both_paths, users_definition};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "events")]
struct Event {
    #[dynorm(partition_key)]
    stream: String,
    #[dynorm(sort_key)]
    seq: i64,
    body: String,
}

fn event(stream: &str, seq: i64) -> Event {
    Event {
        stream: stream.to_owned(),
        seq,
        body: format!("{stream}/{seq}"),
    }
}

async fn embedded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(&users_definition())
        .await
        .expect("create users");
    client.table::<Event>().create().await.expect("create events");
    client.table::<Doc>().create().await.expect("create docs");
    client
}

fn users(prefix: &str, n: usize) -> Vec<User> {
    (0..n)
        .map(|i| User::new(&format!("{prefix}-{i}"), &format!("name {i}"), i as i64))
        .collect()
}

#[tokio::test]
async fn a_thousand_and_one_items_are_chunked_and_read_back() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let table = client.table::<User>();
        let all = users(path, 1001);
        let outcome = table.batch_put(&all).await.expect("batch put");
        assert_eq!(outcome.written, 1001, "{path}");
        assert_eq!(outcome.superseded, 0, "{path}");
        assert!(outcome.is_complete(), "{path}");

        let mut keys: Vec<Key<User>> = all.iter().map(Table::key_of).collect();
        keys.push(User::key(&format!("{path}-absent-1")));
        keys.push(User::key(&format!("{path}-absent-2")));
        let read = table.batch_get(keys).concurrency(2).await.expect("batch get");
        assert_eq!(read.items, all, "{path}: every item, in key order");
        assert_eq!(
            read.missing,
            vec![
                User::key(&format!("{path}-absent-1")),
                User::key(&format!("{path}-absent-2"))
            ],
            "{path}"
        );
        assert!(read.is_complete());

        let deleted = table
            .batch_delete(all.iter().map(Table::key_of))
            .concurrency(1)
            .await
            .expect("batch delete");
        assert_eq!(deleted.written, 1001, "{path}");
        let read = table.batch_get(all.iter().map(Table::key_of)).await.expect("get");
        assert!(read.items.is_empty(), "{path}");
        assert_eq!(read.missing.len(), 1001, "{path}");
    }
}

#[tokio::test]
async fn duplicate_keys_are_handled() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let table = client.table::<User>();
        let first = User::new(&format!("{path}-dup"), "first", 1);
        let second = User::new(&format!("{path}-dup"), "second", 2);
        let other = User::new(&format!("{path}-other"), "other", 3);
        // The last write of a key wins.
        let outcome = table
            .batch_put([first.clone(), other.clone(), second.clone()])
            .await
            .expect("put duplicates");
        assert_eq!((outcome.written, outcome.superseded), (2, 1), "{path}");
        // Gets are deduplicated, results in first-given order.
        let read = table
            .batch_get([second.key_of(), other.key_of(), first.key_of()])
            .await
            .expect("get duplicates");
        assert_eq!(read.items, vec![second.clone(), other.clone()], "{path}");
        assert!(read.missing.is_empty());
        // More than 25 writes of one key still go out as one request.
        let many: Vec<User> = (0..60)
            .map(|i| User::new(&format!("{path}-dup"), "many", i))
            .collect();
        let outcome = table.batch_put(&many).await.expect("put many duplicates");
        assert_eq!((outcome.written, outcome.superseded), (1, 59), "{path}");
        assert_eq!(
            table.get(first.key_of()).await.expect("get"),
            Some(User::new(&format!("{path}-dup"), "many", 59))
        );
        let deleted = table
            .batch_delete([other.key_of(), other.key_of()])
            .await
            .expect("delete duplicates");
        assert_eq!((deleted.written, deleted.superseded), (1, 1), "{path}");
        assert_eq!(table.get(other.key_of()).await.expect("get"), None);
    }
}

#[tokio::test]
async fn unprocessed_items_and_throttling_are_retried() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let (faulty, faulty_faults) = with_faults(
            &client,
            FaultPlan {
                seed: 42,
                throttle_probability: 0.3,
                unprocessed_fraction: 0.5,
            },
        );
        let table = faulty.table::<User>();
        let all = users(path, 500);
        let outcome = table
            .batch_put(&all)
            .retry(RetryPolicy::immediate(200))
            .await
            .expect("batch put");
        assert_eq!(outcome.written, 500, "{path}");
        assert!(outcome.is_complete(), "{path}");
        let read = table
            .batch_get(all.iter().map(Table::key_of))
            .retry(RetryPolicy::immediate(200))
            .await
            .expect("batch get");
        assert_eq!(read.items, all, "{path}");
        let counts = faulty_faults.fault_counts();
        assert!(counts.throttled > 0, "{path}: {counts:?}");
        assert!(counts.held_back > 0, "{path}: {counts:?}");
        // The faults really were in the way: a read without them sees every item.
        let clean = client
            .table::<User>()
            .batch_get(all.iter().map(Table::key_of))
            .await
            .expect("get");
        assert_eq!(clean.items.len(), 500);
    }
}

#[tokio::test]
async fn work_left_after_the_bound_is_returned() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let (always_throttled, always_throttled_faults) = with_faults(
            &client,
            FaultPlan {
                seed: 1,
                throttle_probability: 1.0,
                unprocessed_fraction: 0.0,
            },
        );
        let table = always_throttled.table::<User>();
        let all = users(&format!("{path}-left"), 30);
        let outcome = table
            .batch_put(&all)
            .retry(RetryPolicy::immediate(3))
            .await
            .expect("batch put");
        assert_eq!(outcome.written, 0, "{path}");
        let mut left: Vec<Item> = outcome
            .unprocessed
            .into_iter()
            .map(|w| match w {
                UnprocessedWrite::Put(item) => item,
                other => panic!("expected puts, got {other:?}"),
            })
            .collect();
        let mut expected: Vec<Item> = all.iter().map(|u| u.to_item().expect("encode")).collect();
        let by_id = |i: &Item| format!("{:?}", i.get("id"));
        left.sort_by_key(by_id);
        expected.sort_by_key(by_id);
        assert_eq!(left, expected, "{path}: every write comes back");
        assert_eq!(
            Some(always_throttled_faults.fault_counts().requests),
            Some(6),
            "2 chunks × 3 attempts"
        );

        let read = table
            .batch_get(all.iter().map(Table::key_of))
            .retry(RetryPolicy::no_retry())
            .await
            .expect("batch get");
        assert!(read.items.is_empty());
        assert!(
            read.missing.is_empty(),
            "{path}: unread keys are not reported missing"
        );
        assert_eq!(read.unprocessed.len(), 30, "{path}");

        // Half of the items held back each time, a single attempt: written + left = total.
        let (half, _) = with_faults(
            &client,
            FaultPlan {
                seed: 9,
                throttle_probability: 0.0,
                unprocessed_fraction: 0.5,
            },
        );
        let outcome = half
            .table::<User>()
            .batch_put(&all)
            .retry(RetryPolicy::no_retry())
            .await
            .expect("batch put");
        assert!(outcome.written > 0 && !outcome.unprocessed.is_empty(), "{path}");
        assert_eq!(outcome.written + outcome.unprocessed.len(), 30, "{path}");
        let stored = client
            .table::<User>()
            .batch_get(all.iter().map(Table::key_of))
            .await
            .expect("get");
        assert_eq!(
            stored.items.len(),
            outcome.written,
            "{path}: only what was reported written"
        );
    }
}

#[tokio::test]
async fn oversized_items_are_refused_before_sending() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let table = client.table::<User>();
        let big = User::new(&format!("{path}-big"), &"x".repeat(410 * 1024), 1);
        let small = User::new(&format!("{path}-small"), "small", 1);
        let err = table
            .batch_put([small.clone(), big])
            .await
            .expect_err("too large");
        match err {
            Error::ItemTooLarge {
                table,
                key,
                size,
                limit,
            } => {
                assert_eq!(table, "users");
                assert!(key.contains(&format!("{path}-big")), "{key}");
                assert!(size > limit && limit == 400 * 1024);
            }
            other => panic!("{path}: expected ItemTooLarge, got {other:?}"),
        }
        assert_eq!(
            table.get(small.key_of()).await.expect("get"),
            None,
            "nothing sent"
        );
    }
}

#[tokio::test]
async fn streams_and_lazy_iterators_are_written_as_they_come() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let table = client.table::<User>();
        let user = |i: usize| User::new(&format!("{path}-lazy-{i}"), "lazy", i as i64);
        // Values made as the batch takes them: nothing collects them first.
        let outcome = table
            .batch_put_stream(futures::stream::iter((0..3000).map(user)))
            .await
            .expect("batch put stream");
        assert_eq!((outcome.written, outcome.superseded), (3000, 0), "{path}");
        let read = table
            .batch_get((0..3000).map(|i| User::key(&format!("{path}-lazy-{i}"))))
            .await
            .expect("get");
        assert_eq!(read.items, (0..3000).map(user).collect::<Vec<_>>(), "{path}");
        let deleted = table
            .batch_delete_stream(futures::stream::iter(
                (0..3000).map(|i| User::key(&format!("{path}-lazy-{i}"))),
            ))
            .await
            .expect("batch delete stream");
        assert_eq!(deleted.written, 3000, "{path}");

        // A value that cannot be written ends the batch: the chunks sent before it stay written,
        // the chunk being gathered and everything after it is not sent.
        let with_a_bad_one = (0..100).map(|i| match i {
            60 => User::new(&format!("{path}-bad-{i}"), &"x".repeat(410 * 1024), 1),
            _ => User::new(&format!("{path}-bad-{i}"), "ok", i),
        });
        let err = table.batch_put(with_a_bad_one).await.expect_err("too large");
        assert!(matches!(err, Error::ItemTooLarge { .. }), "{path}: {err:?}");
        let read = table
            .batch_get((0..100).map(|i| User::key(&format!("{path}-bad-{i}"))))
            .await
            .expect("get");
        let written: Vec<i64> = read.items.iter().map(|u| u.age).collect();
        assert_eq!(
            written,
            (0..50).collect::<Vec<_>>(),
            "{path}: two full chunks were sent"
        );
    }
}

#[tokio::test]
async fn errors_name_the_table() {
    let embedded = dynorm::testing::client().await.expect("test client");
    for (path, client) in both_paths(&embedded) {
        let err = client
            .table::<User>()
            .batch_put(users(path, 3))
            .await
            .expect_err("no table");
        assert!(
            matches!(&err, Error::TableNotFound { table, .. } if table == "users"),
            "{path}: {err:?}"
        );
        let err = client
            .table::<User>()
            .batch_get([User::key("a")])
            .await
            .expect_err("no table");
        assert!(err.is_table_not_found(), "{path}: {err:?}");
    }
}

#[tokio::test]
async fn clear_a_partition_or_the_table() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let events = client.table::<Event>();
        let mut all = Vec::new();
        for stream in ["a", "b", "c"] {
            all.extend((0..120).map(|i| event(&format!("{path}-{stream}"), i)));
        }
        events.batch_put(&all).await.expect("put");
        let cleared = events
            .clear_partition(format!("{path}-b"))
            .await
            .expect("clear b");
        assert_eq!(cleared.written, 120, "{path}");
        let read = events
            .batch_get(all.iter().map(Table::key_of))
            .await
            .expect("get");
        assert_eq!(read.items.len(), 240, "{path}");
        assert!(
            read.items.iter().all(|e| e.stream != format!("{path}-b")),
            "{path}"
        );
        let cleared = events.clear().await.expect("clear");
        assert_eq!(cleared.written, 240, "{path}");
        assert!(cleared.is_complete());
        let read = events
            .batch_get(all.iter().map(Table::key_of))
            .await
            .expect("get");
        assert!(read.items.is_empty(), "{path}");
        assert_eq!(events.clear().await.expect("clear empty").written, 0);
    }
}

/// A document with creation and update stamps, implemented by hand (the derive does not
/// generate the hooks yet).
#[derive(Debug, Clone, PartialEq)]
struct Doc {
    id: String,
    body: String,
    owner: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
}

impl Doc {
    fn new(id: &str, body: &str, owner: &str) -> Self {
        Self {
            id: id.to_owned(),
            body: body.to_owned(),
            owner: Some(owner.to_owned()),
            created_at: None,
            updated_at: None,
        }
    }
}

impl Table for Doc {
    const CREATED_AT_ATTRIBUTE: Option<&'static str> = Some("created_at");
    const UPDATED_AT_ATTRIBUTE: Option<&'static str> = Some("updated_at");

    fn definition() -> &'static TableDefinition {
        static D: OnceLock<TableDefinition> = OnceLock::new();
        D.get_or_init(|| TableDefinition::new("docs", "id", AttributeType::String))
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        let mut item = self.key_item()?;
        item.insert("body".into(), AttributeValue::S(self.body.clone()));
        for (name, value) in [
            ("owner", &self.owner),
            ("created_at", &self.created_at),
            ("updated_at", &self.updated_at),
        ] {
            if let Some(v) = value {
                item.insert(name.into(), AttributeValue::S(v.clone()));
            }
        }
        Ok(item)
    }

    fn from_item(mut item: Item) -> Result<Self, DecodeError> {
        let mut take = |name: &str| match item.remove(name) {
            Some(AttributeValue::S(s)) => Ok(Some(s)),
            Some(other) => Err(DecodeError::wrong_type("S", &other).at("docs", name)),
            None => Ok(None),
        };
        Ok(Self {
            id: take("id")?.ok_or_else(|| DecodeError::missing().at("docs", "id"))?,
            body: take("body")?.unwrap_or_default(),
            owner: take("owner")?,
            created_at: take("created_at")?,
            updated_at: take("updated_at")?,
        })
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        Ok(Item::from([(
            "id".to_owned(),
            AttributeValue::S(self.id.clone()),
        )]))
    }
}

#[tokio::test]
async fn batch_upsert_keeps_creation_stamp_and_set_once_attributes() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let docs = client.table::<Doc>();
        let old_id = format!("{path}-old");
        let new_id = format!("{path}-new");
        let mut stored = Doc::new(&old_id, "v1", "alice");
        stored.created_at = Some("2020-01-01T00:00:00Z".into());
        stored.updated_at = Some("2020-01-01T00:00:00Z".into());
        docs.put(&stored).await.expect("put");

        let outcome = docs
            .batch_upsert([Doc::new(&old_id, "v2", "mallory"), Doc::new(&new_id, "n1", "bob")])
            .keep_existing(["owner"])
            .await
            .expect("upsert");
        assert_eq!(outcome.written, 2, "{path}");
        let read = docs
            .batch_get([
                Key::from_item(Item::from([("id".into(), AttributeValue::S(old_id.clone()))])),
                Key::from_item(Item::from([("id".into(), AttributeValue::S(new_id.clone()))])),
            ])
            .await
            .expect("get");
        let [old, new] = <[Doc; 2]>::try_from(read.items).expect("two docs");
        assert_eq!(old.body, "v2", "{path}: the new value is written");
        assert_eq!(
            old.owner.as_deref(),
            Some("alice"),
            "{path}: set-once attribute kept"
        );
        assert_eq!(
            old.created_at.as_deref(),
            Some("2020-01-01T00:00:00Z"),
            "{path}: creation kept"
        );
        let updated = old.updated_at.expect("updated stamp");
        assert_ne!(updated, "2020-01-01T00:00:00Z", "{path}: update stamped");
        assert!(updated.starts_with("20") && updated.ends_with('Z'), "{updated}");
        assert_eq!(new.owner.as_deref(), Some("bob"), "{path}");
        assert!(
            new.created_at.is_some() && new.updated_at.is_some(),
            "{path}: a new item gets both"
        );
    }
}

//! Optimistic locking: a version attribute checked and incremented on every write through
//! dynorm, conflicts as typed errors distinct from failed user conditions, and many concurrent
//! writers ending with exactly the expected total.

use dynorm::expr::attr;
use dynorm::{Client, DecodeError, EncodeError, Error, Item, Table, TableDefinition};

use crate::support::both_paths;

/// The stored shape, derived.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "counters")]
struct CounterRow {
    #[dynorm(partition_key)]
    id: String,
    value: i64,
    #[dynorm(default)]
    version: u64,
}

/// The same table with optimistic locking on `version` (what `#[dynorm(version)]` will generate).
#[derive(Debug, Clone, PartialEq)]
struct Counter(CounterRow);

impl Counter {
    fn new(id: &str, value: i64) -> Self {
        Self(CounterRow {
            id: id.to_owned(),
            value,
            version: 0,
        })
    }

    fn key(id: &str) -> dynorm::Key<Counter> {
        dynorm::Key::from_result(CounterRow::key(id).into_item())
    }
}

impl Table for Counter {
    fn definition() -> &'static TableDefinition {
        CounterRow::definition()
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        self.0.to_item()
    }

    fn from_item(item: Item) -> Result<Self, DecodeError> {
        CounterRow::from_item(item).map(Counter)
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        self.0.key_item()
    }

    const VERSION_ATTRIBUTE: Option<&'static str> = Some("version");

    fn version(&self) -> Option<u64> {
        Some(self.0.version)
    }

    fn set_version(&mut self, version: u64) {
        self.0.version = version;
    }
}

async fn embedded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(Counter::definition())
        .await
        .expect("create counters");
    client
}

#[tokio::test]
async fn save_checks_and_bumps_the_version() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let counters = client.table::<Counter>();
        let mut c = Counter::new(path, 1);
        counters.save(&mut c).await.expect("first save");
        assert_eq!(c.0.version, 1, "{path}");
        let stored = counters.get_or_fail(c.key_of()).await.expect("get");
        assert_eq!(stored, c);

        // A second writer starting from version 0 conflicts.
        let stale = Counter::new(path, 99);
        match counters.save(&mut stale.clone()).await {
            Err(Error::VersionConflict {
                table,
                key,
                expected,
                found,
            }) => {
                assert_eq!(table, "counters");
                assert_eq!(key, format!("id = \"{path}\""));
                assert_eq!(expected, 0);
                assert_eq!(found, Some(1));
            }
            other => panic!("{path}: expected VersionConflict, got {other:?}"),
        }
        // put(&T) checks too, writes version + 1, but leaves the value alone.
        c.0.value = 2;
        counters.put(&c).await.expect("put at version 1");
        assert_eq!(c.0.version, 1);
        let stored = counters.get_or_fail(c.key_of()).await.expect("get");
        assert_eq!((stored.0.value, stored.0.version), (2, 2), "{path}");
        // The same value again is now stale.
        let err = counters.put(&c).await.expect_err("stale");
        assert!(err.is_version_conflict(), "{path}: {err:?}");
        assert!(!err.is_conditional_check_failed());
        // Nothing was lost: the stored item is unchanged.
        assert_eq!(counters.get_or_fail(c.key_of()).await.expect("get"), stored);
    }
}

#[tokio::test]
async fn a_failing_user_condition_is_not_a_version_conflict() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let counters = client.table::<Counter>();
        let mut c = Counter::new(path, 5);
        counters.save(&mut c).await.expect("save");
        // Right version, false condition.
        match counters.put(&c).condition(attr("value").gt(10)).await {
            Err(Error::ConditionalCheckFailed { item, .. }) => {
                assert!(item.is_none(), "{path}: not asked for")
            }
            other => panic!("{path}: expected ConditionalCheckFailed, got {other:?}"),
        }
        match counters
            .put(&c)
            .condition(attr("value").gt(10))
            .return_item_on_condition_failure(true)
            .await
        {
            Err(Error::ConditionalCheckFailed { item: Some(item), .. }) => {
                assert_eq!(item["version"], dynorm::AttributeValue::N("1".into()))
            }
            other => panic!("{path}: {other:?}"),
        }
        // Right version, true condition.
        counters
            .put(&c)
            .condition(attr("value").eq(5))
            .await
            .expect("both hold");
        // Wrong version and true condition: a conflict.
        let err = counters
            .put(&c)
            .condition(attr("value").eq(5))
            .await
            .expect_err("stale");
        assert!(err.is_version_conflict(), "{path}: {err:?}");
    }
}

#[tokio::test]
async fn update_and_delete_are_versioned() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let counters = client.table::<Counter>();
        let mut c = Counter::new(path, 0);
        counters.save(&mut c).await.expect("save");

        // Every update increments the version; an expected version is checked.
        let after = counters
            .update(c.key_of())
            .increment("value", 1)
            .expected_version(1)
            .return_new()
            .await
            .expect("update at version 1");
        assert_eq!((after.0.value, after.0.version), (1, 2), "{path}");
        match counters
            .update(c.key_of())
            .increment("value", 1)
            .expected_version(1)
            .await
        {
            Err(Error::VersionConflict { expected, found, .. }) => {
                assert_eq!((expected, found), (1, Some(2)))
            }
            other => panic!("{path}: {other:?}"),
        }
        let after = counters
            .update(c.key_of())
            .increment("value", 1)
            .return_new()
            .await
            .expect("unchecked update");
        assert_eq!((after.0.value, after.0.version), (2, 3));
        // Setting the version by hand is refused (it overlaps the version action).
        assert!(counters.update(c.key_of()).set("version", 7u64).await.is_err());

        // delete_value checks the value's version.
        let err = counters.delete_value(&c).await.expect_err("stale delete");
        assert!(err.is_version_conflict(), "{path}: {err:?}");
        assert!(counters.get(c.key_of()).await.expect("get").is_some());
        let err = counters
            .delete(c.key_of())
            .expected_version(2)
            .await
            .expect_err("stale delete");
        assert!(err.is_version_conflict());
        let current = counters.get_or_fail(c.key_of()).await.expect("get");
        counters
            .delete_value(&current)
            .await
            .expect("delete at the current version");
        assert!(counters.get(c.key_of()).await.expect("get").is_none());
        // An item that is gone conflicts with any version but 0.
        match counters.delete(Counter::key(path)).expected_version(3).await {
            Err(Error::VersionConflict { found, .. }) => assert_eq!(found, None),
            other => panic!("{path}: {other:?}"),
        }
    }
}

/// Read, add one, write with the version read; on a conflict, read again.
async fn increment(counters: &dynorm::TableClient<Counter>, id: &str) -> u32 {
    let mut conflicts = 0;
    loop {
        let mut c = counters
            .get_or_fail(Counter::key(id))
            .consistent_read(true)
            .await
            .expect("read");
        c.0.value += 1;
        match counters.save(&mut c).await {
            Ok(()) => return conflicts,
            Err(e) if e.is_version_conflict() => conflicts += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

fn concurrent_counter(client: Client, tasks: usize, increments: usize) -> (i64, u64, u32) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let counters = client.table::<Counter>();
        counters
            .save(&mut Counter::new("shared", 0))
            .await
            .expect("create the counter");
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let counters = counters.clone();
                tokio::spawn(async move {
                    let mut conflicts = 0;
                    for _ in 0..increments {
                        conflicts += increment(&counters, "shared").await;
                    }
                    conflicts
                })
            })
            .collect();
        let mut conflicts = 0;
        for h in handles {
            conflicts += h.await.expect("task");
        }
        let c = counters.get_or_fail(Counter::key("shared")).await.expect("get");
        (c.0.value, c.0.version, conflicts)
    })
}

#[test]
fn thirty_two_tasks_incrementing_one_counter_end_at_exactly_800() {
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(embedded());
    let (value, version, _conflicts) = concurrent_counter(client, 32, 25);
    assert_eq!(value, 800);
    // One version per successful write: the creation plus 800 increments.
    assert_eq!(version, 801);
}

#[test]
fn concurrent_versioned_writes_through_the_sdk_path_lose_nothing() {
    let embedded = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(embedded());
    let client = Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone());
    let (value, version, _) = concurrent_counter(client, 8, 25);
    assert_eq!(value, 200);
    assert_eq!(version, 201);
}

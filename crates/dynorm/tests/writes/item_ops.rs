//! Single-item operations on both engine paths: get (consistent, projected, or-fail), put,
//! delete and update with conditions and return values, the raw condition escape hatch, TTL
//! sweeping, and the tracing span of each call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use dynorm::expr::{Update, attr};
use dynorm::{AttributeValue, Client, DecodeError, EpochSeconds, Error, Item, Projection, Table};

use crate::support::both_paths;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "things")]
struct Thing {
    #[dynorm(partition_key)]
    pk: String,
    #[dynorm(sort_key)]
    sk: i64,
    name: String,
    count: i64,
    note: Option<String>,
}

fn thing(pk: &str, sk: i64, name: &str) -> Thing {
    Thing {
        pk: pk.to_owned(),
        sk,
        name: name.to_owned(),
        count: 0,
        note: Some("n".to_owned()),
    }
}

/// A projection that records which attributes came back.
#[derive(Debug, PartialEq)]
struct NameOnly {
    name: String,
    received: Vec<String>,
}

impl Projection for NameOnly {
    type Table = Thing;

    fn attributes() -> &'static [&'static str] {
        &["name", "count"]
    }

    fn from_item(mut item: Item) -> Result<Self, DecodeError> {
        let mut received: Vec<String> = item.keys().cloned().collect();
        received.sort();
        match item.remove("name") {
            Some(AttributeValue::S(name)) => Ok(Self { name, received }),
            _ => Err(DecodeError::missing().at("things", "name")),
        }
    }
}

async fn embedded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(Thing::definition())
        .await
        .expect("create things");
    client
}

#[tokio::test]
async fn get_absent_is_none_and_get_or_fail_names_the_key() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let things = client.table::<Thing>();
        assert_eq!(
            things.get(Thing::key(path, 1)).await.expect("get"),
            None,
            "{path}"
        );
        match things.get_or_fail(Thing::key(path, 1)).await {
            Err(Error::NotFound { table, key }) => {
                assert_eq!(table, "things");
                assert_eq!(key, format!("pk = \"{path}\", sk = 1"));
            }
            other => panic!("{path}: expected NotFound, got {other:?}"),
        }
        let t = thing(path, 1, "one");
        things.put(&t).await.expect("put");
        assert_eq!(
            things
                .get_or_fail(t.key_of())
                .consistent_read(true)
                .await
                .expect("get"),
            t,
            "{path}"
        );
        assert_eq!(
            things.get(t.key_of()).consistent_read(true).await.expect("get"),
            Some(t.clone())
        );
    }
}

#[tokio::test]
async fn projected_get_reads_only_the_projection() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let things = client.table::<Thing>();
        let t = thing(path, 2, "two");
        things.put(&t).await.expect("put");
        let projected = things
            .get(t.key_of())
            .project::<NameOnly>()
            .consistent_read(true)
            .await
            .expect("get");
        assert_eq!(
            projected,
            Some(NameOnly {
                name: "two".to_owned(),
                received: vec!["count".to_owned(), "name".to_owned()],
            }),
            "{path}"
        );
        let absent = things
            .get(Thing::key(path, 99))
            .project::<NameOnly>()
            .await
            .expect("get");
        assert_eq!(absent, None);
    }
}

#[tokio::test]
async fn put_conditions_and_return_values() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let things = client.table::<Thing>();
        let first = thing(path, 3, "first");
        // must_exist on an absent item fails.
        let err = things.put(&first).must_exist().await.expect_err("absent");
        assert!(err.is_not_found(), "{path}: {err:?}");
        assert!(things.get(first.key_of()).await.expect("get").is_none());

        // create_only succeeds once, then fails, carrying the old item when asked.
        let old = things
            .put(&first)
            .create_only()
            .return_old()
            .await
            .expect("create");
        assert_eq!(old, None, "{path}");
        let second = thing(path, 3, "second");
        match things
            .put(&second)
            .create_only()
            .return_item_on_condition_failure(true)
            .await
        {
            Err(Error::ConditionalCheckFailed { table, item }) => {
                assert_eq!(table, "things");
                let item = item.expect("old item returned");
                assert_eq!(item.get("name"), Some(&AttributeValue::S("first".into())));
            }
            other => panic!("{path}: expected ConditionalCheckFailed, got {other:?}"),
        }
        // Without asking, no item comes back.
        match things.put(&second).create_only().await {
            Err(Error::ConditionalCheckFailed { item, .. }) => assert!(item.is_none()),
            other => panic!("{path}: {other:?}"),
        }

        // A built condition: replace only if the stored name is "first"; return the old item.
        let old = things
            .put(&second)
            .must_exist()
            .condition(attr("name").eq("first"))
            .return_old()
            .await
            .expect("conditional put");
        assert_eq!(old, Some(first.clone()), "{path}");
        let err = things
            .put(&first)
            .condition(attr("name").eq("first"))
            .await
            .expect_err("stale condition");
        assert!(err.is_conditional_check_failed());
        assert_eq!(things.get(first.key_of()).await.expect("get"), Some(second));
    }
}

#[tokio::test]
async fn raw_condition_expression_still_works_and_combines() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let things = client.table::<Thing>();
        let t = thing(path, 4, "raw");
        things.put(&t).await.expect("put");
        let err = things
            .put(&t)
            .condition_expression("#x = :y")
            .expression_attribute_name("#x", "name")
            .expression_attribute_value(":y", AttributeValue::S("other".into()))
            .await
            .expect_err("raw condition false");
        assert!(err.is_conditional_check_failed(), "{path}: {err:?}");
        // Raw AND built, both true.
        things
            .put(&t)
            .condition_expression("#x = :y")
            .expression_attribute_name("#x", "name")
            .expression_attribute_value(":y", AttributeValue::S("raw".into()))
            .condition(attr("count").eq(0))
            .await
            .expect("both hold");
        // Raw true, built false.
        let err = things
            .put(&t)
            .condition_expression("#x = :y")
            .expression_attribute_name("#x", "name")
            .expression_attribute_value(":y", AttributeValue::S("raw".into()))
            .condition(attr("count").eq(5))
            .await
            .expect_err("built false");
        assert!(err.is_conditional_check_failed());
        // Placeholders that collide with generated ones are refused before sending.
        let err = things
            .put(&t)
            .condition_expression("#n0 = :v0")
            .expression_attribute_name("#n0", "name")
            .expression_attribute_value(":v0", AttributeValue::S("raw".into()))
            .condition(attr("count").eq(0))
            .await
            .expect_err("collision");
        match err {
            Error::InvalidExpression { table, message } => {
                assert_eq!(table, "things");
                assert!(message.contains("#n0"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn delete_conditions_and_return_old() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let things = client.table::<Thing>();
        let t = thing(path, 5, "del");
        things.put(&t).await.expect("put");
        let err = things
            .delete(t.key_of())
            .condition(attr("name").eq("nope"))
            .return_item_on_condition_failure(true)
            .await
            .expect_err("condition false");
        match err {
            Error::ConditionalCheckFailed { item: Some(item), .. } => {
                assert_eq!(item.get("name"), Some(&AttributeValue::S("del".into())))
            }
            other => panic!("{path}: {other:?}"),
        }
        let old = things
            .delete(t.key_of())
            .must_exist()
            .return_old()
            .await
            .expect("delete");
        assert_eq!(old, Some(t.clone()), "{path}");
        assert_eq!(things.delete(t.key_of()).return_old().await.expect("again"), None);
        assert!(
            things
                .delete(t.key_of())
                .must_exist()
                .await
                .expect_err("gone")
                .is_not_found()
        );
    }
}

#[tokio::test]
async fn update_actions_conditions_and_return_values() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let things = client.table::<Thing>();
        let key = || Thing::key(path, 6);
        // must_exist on an absent item fails and creates nothing.
        let err = things
            .update(key())
            .set("name", "x")
            .must_exist()
            .await
            .expect_err("absent");
        // Named as a missing item (single-table-orm's ObjectDoesNotExist), not a failed condition.
        match &err {
            Error::NotFound { table, key } => {
                assert_eq!(table, "things", "{path}");
                assert!(key.contains('6'), "{path}: {key}");
            }
            other => panic!("{path}: expected NotFound, got {other:?}"),
        }
        assert_eq!(things.get(key()).await.expect("get"), None);
        // A failed condition of the caller's on an existing item stays a failed condition.
        things.update(key()).set("name", "x").await.expect("create");
        let err = things
            .update(key())
            .set("name", "y")
            .must_exist()
            .condition(dynorm::expr::attr("name").eq("z"))
            .await
            .expect_err("condition");
        assert!(err.is_conditional_check_failed(), "{path}: {err:?}");
        things.delete(key()).await.expect("delete");

        // An update creates the item; return_old says there was none.
        let old = things
            .update(key())
            .set("name", "six")
            .set("count", 1)
            .set("note", "hello")
            .return_old()
            .await
            .expect("create by update");
        assert_eq!(old, None, "{path}");

        let new = things
            .update(key())
            .increment("count", 2)
            .remove("note")
            .condition(attr("count").eq(1))
            .return_new()
            .await
            .expect("update");
        assert_eq!(
            new,
            Thing {
                pk: path.to_owned(),
                sk: 6,
                name: "six".to_owned(),
                count: 3,
                note: None
            },
            "{path}"
        );

        let updated = things
            .update(key())
            .apply(Update::new().add("count", 10).set("name", "renamed"))
            .return_updated()
            .await
            .expect("update");
        let mut names: Vec<_> = updated.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["count", "name"], "{path}");
        assert_eq!(updated["count"], AttributeValue::N("13".into()));

        let old = things
            .update(key())
            .set("name", "again")
            .return_old()
            .await
            .expect("update");
        assert_eq!(old.map(|t| t.name), Some("renamed".to_owned()));

        // A failing condition carries the item when asked.
        match things
            .update(key())
            .decrement("count", 1)
            .condition(attr("count").gt(100))
            .return_item_on_condition_failure(true)
            .await
        {
            Err(Error::ConditionalCheckFailed { item: Some(item), .. }) => {
                assert_eq!(item["count"], AttributeValue::N("13".into()))
            }
            other => panic!("{path}: {other:?}"),
        }

        // Key attributes are never touched.
        for (attribute, update) in [
            ("pk", Update::new().set("pk", "other")),
            ("sk", Update::new().set("name", "n").increment("sk", 1)),
            ("pk", Update::new().remove("pk")),
        ] {
            match things.update(key()).apply(update).await {
                Err(Error::InvalidKey {
                    table,
                    attribute: a,
                    reason,
                }) => {
                    assert_eq!(table, "things");
                    assert_eq!(a, attribute);
                    assert!(reason.contains("cannot change a key attribute"), "{reason}");
                }
                other => panic!("{path}: expected InvalidKey, got {other:?}"),
            }
        }
        // Reading a key attribute, or a nested path that merely shares its name, is fine.
        things
            .update(key())
            .set_to("name", dynorm::expr::SetValue::path("pk"))
            .await
            .expect("copy the key");
        assert_eq!(
            things.get(key()).await.expect("get").map(|t| t.name),
            Some(path.to_owned())
        );
    }
}

#[tokio::test]
async fn an_empty_update_is_a_named_error() {
    let client = embedded().await;
    let err = client
        .table::<Thing>()
        .update(Thing::key("a", 1))
        .await
        .expect_err("no actions");
    match err {
        Error::InvalidExpression { table, .. } => assert_eq!(table, "things"),
        other => panic!("{other:?}"),
    }
}

// ---- TTL ----

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "sessions", ttl = expires)]
struct Session {
    #[dynorm(partition_key)]
    id: String,
    expires: EpochSeconds,
}

#[derive(Debug)]
struct FixedClock(AtomicU64);

impl dynoxide::storage_backend::Clock for FixedClock {
    fn now_unix_secs(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    fn now_unix_secs_f64(&self) -> f64 {
        self.0.load(Ordering::SeqCst) as f64
    }
}

#[tokio::test]
async fn ttl_from_the_definition_sweeps_expired_items() {
    use chrono::TimeZone;
    let now = 1_700_000_000u64;
    let clock = Arc::new(FixedClock(AtomicU64::new(now)));
    let db = dynoxide::Database::memory_with_clock(clock.clone()).expect("db");
    let client = Client::from_database(db.clone());
    assert_eq!(Session::definition().ttl_attribute.as_deref(), Some("expires"));
    client
        .create_table(Session::definition())
        .await
        .expect("create sessions with TTL");
    let sessions = client.table::<Session>();
    let at = |secs: u64| EpochSeconds(chrono::Utc.timestamp_opt(secs as i64, 0).single().expect("time"));
    let old = Session {
        id: "old".into(),
        expires: at(now - 10),
    };
    let live = Session {
        id: "live".into(),
        expires: at(now + 3600),
    };
    sessions.put(&old).await.expect("put");
    sessions.put(&live).await.expect("put");
    let swept = db.sweep_ttl().expect("sweep");
    assert_eq!(swept, 1);
    assert_eq!(sessions.get(old.key_of()).await.expect("get"), None);
    assert_eq!(
        sessions.get(live.key_of()).await.expect("get"),
        Some(live.clone())
    );
    // Time passes: the live one expires too.
    clock.0.store(now + 7200, Ordering::SeqCst);
    assert_eq!(db.sweep_ttl().expect("sweep"), 1);
    assert_eq!(sessions.get(live.key_of()).await.expect("get"), None);
}

// ---- tracing ----

/// A subscriber that keeps the fields of every `dynamodb` span.
#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<std::collections::BTreeMap<u64, HashMap<String, String>>>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        if span.metadata().name() == "dynamodb" {
            let mut fields = HashMap::new();
            span.record(&mut Fields(&mut fields));
            self.spans.lock().expect("lock").insert(id, fields);
        }
        tracing::span::Id::from_u64(id)
    }

    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        if let Some(fields) = self.spans.lock().expect("lock").get_mut(&span.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn every_call_has_a_span_with_operation_table_and_capacity() {
    // A global subscriber: a thread-local one races with the callsite registrations of the
    // tests running beside this one. Only spans of this test's own table are looked at.
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).expect("the only global subscriber");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let embedded = Client::embedded().expect("embedded");
        let mut definition = Thing::definition().clone();
        definition.name = "traced".to_owned();
        embedded.create_table(&definition).await.expect("create");
        let mut seen = 0;
        for (path, client) in both_paths(&embedded) {
            let things = client.table_named::<Thing>("traced");
            let t = thing(path, 7, "traced");
            things.put(&t).await.expect("put");
            things.get(t.key_of()).await.expect("get");
            things
                .update(t.key_of())
                .increment("count", 1)
                .await
                .expect("update");
            things.delete(t.key_of()).await.expect("delete");
            // Spans of this path only: the ones after those already checked.
            let spans: Vec<_> = capture
                .spans
                .lock()
                .expect("lock")
                .values()
                .filter(|s| s.get("table").map(String::as_str) == Some("traced"))
                .skip(seen)
                .cloned()
                .collect();
            seen += spans.len();
            let operations: Vec<&str> = spans.iter().map(|s| s["operation"].as_str()).collect();
            assert_eq!(
                operations,
                ["PutItem", "GetItem", "UpdateItem", "DeleteItem"],
                "{path}"
            );
            for span in &spans {
                assert!(!span.contains_key("index"), "{path}: no index on item calls");
                let units: f64 = span
                    .get("consumed_capacity")
                    .unwrap_or_else(|| panic!("{path}: no capacity in {span:?}"))
                    .parse()
                    .expect("a number");
                assert!(units > 0.0, "{path}: {span:?}");
            }
        }
    });
}

//! Strict reads: attributes an item holds that the type does not name are reported (an error or a
//! warning event) on gets, queries, scans and projections, per read or per type; collections hand
//! back items of unknown entity types instead of skipping them.

use std::sync::{Arc, Mutex};

use dynorm::entity::{Collection, Layout, SingleTable};
use dynorm::strict::Strict;
use dynorm::{AttributeValue, Client, Error, Projection, Table};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    id: String,
    name: String,
}

/// The same table, strict by default.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users", strict)]
struct StrictUser {
    #[dynorm(partition_key)]
    id: String,
    name: String,
}

/// The same table, warning by default.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users", strict = "warn")]
struct WarnUser {
    #[dynorm(partition_key)]
    id: String,
    name: String,
}

#[derive(Projection, Debug, PartialEq)]
#[dynorm(table = User)]
struct UserName {
    name: String,
}

/// Two users, `u2` holding `plan` and `tier`, which no type names (another service wrote them).
async fn users() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client.table::<User>().create().await.expect("create");
    let users = client.table::<User>();
    users
        .put(&User {
            id: "u1".into(),
            name: "Ada".into(),
        })
        .await
        .expect("put");
    client
        .sdk()
        .put_item()
        .table_name(client.physical_table_name("users"))
        .item("id", AttributeValue::S("u2".into()))
        .item("name", AttributeValue::S("Bob".into()))
        .item("tier", AttributeValue::N("3".into()))
        .item("plan", AttributeValue::S("pro".into()))
        .send()
        .await
        .expect("foreign put");
    client
}

fn assert_unexpected(error: Error) {
    match error {
        Error::UnexpectedAttributes {
            table,
            key,
            attributes,
        } => {
            assert_eq!(table, "users");
            assert_eq!(key, "id = \"u2\"");
            assert_eq!(attributes, ["plan", "tier"]);
        }
        other => panic!("expected UnexpectedAttributes, found {other:?}"),
    }
}

#[tokio::test]
async fn lenient_reads_drop_unknown_attributes_as_before() {
    let client = users().await;
    let users = client.table::<User>();
    let bob = users.get(User::key("u2")).await.expect("get").expect("bob");
    assert_eq!(bob.name, "Bob");
    assert_eq!(users.scan().all().await.expect("scan").len(), 2);
}

#[tokio::test]
async fn strict_reads_refuse_items_with_unknown_attributes_naming_them() {
    let client = users().await;
    let users = client.table::<User>();
    // An item the type names fully passes.
    let ada = users
        .get(User::key("u1"))
        .strict(Strict::Refuse)
        .await
        .expect("get");
    assert_eq!(ada.map(|u| u.name).as_deref(), Some("Ada"));

    assert_unexpected(
        users
            .get(User::key("u2"))
            .strict(Strict::Refuse)
            .await
            .expect_err("get"),
    );
    assert_unexpected(
        users
            .get_or_fail(User::key("u2"))
            .strict(Strict::Refuse)
            .await
            .expect_err("get_or_fail"),
    );
    assert_unexpected(
        users
            .query_partition("u2")
            .strict(Strict::Refuse)
            .all()
            .await
            .expect_err("query"),
    );
    assert_unexpected(users.scan().strict(Strict::Refuse).all().await.expect_err("scan"));
    assert_unexpected(
        users
            .scan()
            .strict(Strict::Refuse)
            .page()
            .await
            .expect_err("page"),
    );
}

#[tokio::test]
async fn projections_are_strict_about_the_table_model_not_the_fields_left_out() {
    let client = users().await;
    let users = client.table::<User>();
    // The projection expression asks only for `name`: nothing unknown can come back.
    let name = users
        .get(User::key("u2"))
        .strict(Strict::Refuse)
        .project::<UserName>()
        .await;
    assert_eq!(name.expect("projection").map(|n| n.name).as_deref(), Some("Bob"));
    let names = users
        .scan()
        .strict(Strict::Refuse)
        .project::<UserName>()
        .all()
        .await
        .expect("scan");
    assert_eq!(names.len(), 2);
    // Per-item cursors add key attributes for themselves; they are never reported.
    let page = users
        .scan()
        .strict(Strict::Refuse)
        .project::<UserName>()
        .page_with_cursors()
        .await
        .expect("page");
    assert_eq!(page.items.len(), 2);
}

#[tokio::test]
async fn a_type_can_be_strict_by_default_and_a_read_lenient() {
    let client = users().await;
    let strict = client.table::<StrictUser>();
    assert_eq!(StrictUser::STRICT_READS, Some(Strict::Refuse));
    assert_unexpected(strict.get(StrictUser::key("u2")).await.expect_err("get"));
    assert_unexpected(strict.scan().all().await.expect_err("scan"));
    assert_eq!(strict.scan().lenient().all().await.expect("lenient").len(), 2);
    assert!(strict.get(StrictUser::key("u1")).await.expect("get").is_some());
}

/// Records the `dynorm::strict` warning events of the current thread.
#[derive(Default, Clone)]
struct Warnings(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Warnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={:?} ", field.name(), value));
            }
        }
        if event.metadata().target() == "dynorm::strict" && *event.metadata().level() == tracing::Level::WARN
        {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().expect("lock").push(fields.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn warn_mode_decodes_the_item_and_emits_one_event_naming_the_attributes() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let warnings = Warnings::default();
    let found = tracing::subscriber::with_default(warnings.clone(), || {
        runtime.block_on(async {
            let client = users().await;
            let by_read = client
                .table::<User>()
                .scan()
                .strict(Strict::Warn)
                .all()
                .await
                .expect("scan");
            let by_type = client
                .table::<WarnUser>()
                .get(WarnUser::key("u2"))
                .await
                .expect("get");
            (by_read.len(), by_type.map(|u| u.name))
        })
    });
    assert_eq!(found, (2, Some("Bob".to_owned())));
    let events = warnings.0.lock().expect("lock").clone();
    assert_eq!(events.len(), 2, "{events:?}");
    for event in &events {
        assert!(event.contains("table=\"users\""), "{event}");
        assert!(event.contains("attributes=[\"plan\", \"tier\"]"), "{event}");
        assert!(event.contains("key=\"id = \\\"u2\\\"\""), "{event}");
    }
}

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "U#{user_id}")]
struct Member {
    tenant: String,
    user_id: String,
}

#[tokio::test]
async fn collections_return_items_of_unknown_entity_types_instead_of_skipping_them() {
    let client = dynorm::testing::client().await.expect("test client");
    client.create_table(Member::definition()).await.expect("create");
    client
        .table::<Member>()
        .put(&Member {
            tenant: "acme".into(),
            user_id: "u1".into(),
        })
        .await
        .expect("put");
    // An entity type this service does not know, in the same partition.
    client
        .sdk()
        .put_item()
        .table_name(client.physical_table_name("app"))
        .item("pk", AttributeValue::S("T#acme".into()))
        .item("sk", AttributeValue::S("INVOICE#1".into()))
        .item("_type", AttributeValue::S("Invoice".into()))
        .send()
        .await
        .expect("foreign put");
    let mut found = Collection::<App>::new(&client)
        .entity::<Member>()
        .field("tenant", "acme")
        .all()
        .await
        .expect("collection");
    assert_eq!(found.take::<Member>().len(), 1);
    assert_eq!(found.unknown.len(), 1);
    assert_eq!(
        found.unknown[0].get("sk"),
        Some(&AttributeValue::S("INVOICE#1".into()))
    );
}

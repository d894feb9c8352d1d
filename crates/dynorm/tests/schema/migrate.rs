//! Migrations on the embedded engine: plans, applying them, refusing destructive steps, and
//! changes that need a new table.

use dynorm::migrate::{ApplyOptions, MigrateError, Plan, Step, apply, plan};
use dynorm::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, Client, GlobalSecondaryIndex,
    IndexProjection as Projection, StreamViewType, TableDefinition,
};

fn users() -> TableDefinition {
    let mut d = TableDefinition::new("users", "id", AttributeType::String);
    d.attributes
        .push(AttributeDefinition::new("email", AttributeType::String));
    d.attributes
        .push(AttributeDefinition::new("expires", AttributeType::DatetimeEpoch));
    d
}

fn email_index(projection: Projection) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex {
        name: "email_index".into(),
        partition_key: "email".into(),
        sort_key: None,
        additional_partition_keys: Vec::new(),
        additional_sort_keys: Vec::new(),
        projection,
        capacity: None,
    }
}

const ALLOW: ApplyOptions = ApplyOptions {
    allow_destructive: true,
    wait_timeout: std::time::Duration::from_secs(60),
};

/// Plans, applies with destructive steps allowed, and checks a second plan is empty.
async fn migrate(client: &Client, want: &TableDefinition) -> Plan {
    let p = plan(client, std::slice::from_ref(want)).await.unwrap();
    apply(client, &p, ALLOW).await.unwrap();
    let again = plan(client, std::slice::from_ref(want)).await.unwrap();
    assert!(again.is_empty(), "second plan not empty:\n{again}");
    let differences = client.compare_table(want).await.unwrap();
    assert!(differences.is_empty(), "{differences:?}");
    p
}

#[tokio::test]
async fn creates_then_changes_every_in_place_setting() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut want = users();

    let p = migrate(&client, &want).await;
    assert_eq!(p.to_string(), "+ users: create table (id S), on demand\n");

    want.global_secondary_indexes
        .push(email_index(Projection::KeysOnly));
    want.ttl_attribute = Some("expires".into());
    want.stream = Some(StreamViewType::NewImage);
    want.tags.insert("team".into(), "identity".into());
    want.deletion_protection = true;
    let p = migrate(&client, &want).await;
    assert_eq!(
        p.to_string(),
        "+ users: add GSI email_index (email, projection keys_only)\n\
         ~ users: stream off -> NEW_IMAGE\n\
         ~ users: TTL off -> expires\n\
         ~ users: tags set team=identity\n\
         ~ users: deletion protection on\n"
    );
    assert_eq!(p.destructive_steps().count(), 0);

    // A projection change is a removal and an addition.
    want.global_secondary_indexes[0].projection = Projection::All;
    want.tags.clear();
    want.tags.insert("owner".into(), "me".into());
    let p = migrate(&client, &want).await;
    assert_eq!(
        p.to_string(),
        "- users: remove GSI email_index to add it again (projection changes from keys_only to all) [destructive]\n\
         + users: add GSI email_index (email, projection all)\n\
         ~ users: tags set owner=me, remove team\n"
    );

    // Switching everything off again.
    want.global_secondary_indexes.clear();
    want.ttl_attribute = None;
    want.stream = None;
    want.deletion_protection = false;
    let p = migrate(&client, &want).await;
    assert_eq!(p.destructive_steps().count(), 4, "{p}");
}

#[tokio::test]
async fn billing_changes_to_provisioned_and_back() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut want = users();
    want.global_secondary_indexes.push(email_index(Projection::All));
    migrate(&client, &want).await;

    want.billing = BillingMode::Provisioned(Capacity { read: 5, write: 3 });
    let p = migrate(&client, &want).await;
    assert_eq!(
        p.to_string(),
        "~ users: billing on demand -> provisioned (5 read, 3 write), GSI email_index (5 read, 3 write)\n"
    );

    want.billing = BillingMode::OnDemand;
    let p = migrate(&client, &want).await;
    assert_eq!(
        p.to_string(),
        "~ users: billing provisioned (5 read, 3 write) -> on demand\n"
    );
}

#[tokio::test]
async fn destructive_steps_are_refused_unless_allowed() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut want = users();
    want.global_secondary_indexes.push(email_index(Projection::All));
    want.stream = Some(StreamViewType::KeysOnly);
    migrate(&client, &want).await;

    want.global_secondary_indexes.clear();
    want.stream = None;
    want.tags.insert("team".into(), "x".into());
    let p = plan(&client, std::slice::from_ref(&want)).await.unwrap();
    let err = apply(&client, &p, ApplyOptions::default()).await.unwrap_err();
    let MigrateError::DestructiveRefused { steps } = &err else {
        panic!("expected a refusal, got {err}");
    };
    assert_eq!(steps.len(), 2);
    assert!(
        err.to_string().contains("- users: remove GSI email_index"),
        "{err}"
    );
    assert!(
        err.to_string().contains("~ users: stream KEYS_ONLY -> off"),
        "{err}"
    );
    // Nothing was changed, not even the harmless tag.
    assert_eq!(plan(&client, std::slice::from_ref(&want)).await.unwrap(), p);
}

#[tokio::test]
async fn key_changes_need_a_new_table_and_are_never_attempted() {
    let client = dynorm::testing::client().await.expect("test client");
    let before = users();
    migrate(&client, &before).await;

    let mut want = TableDefinition::new("users", "id", AttributeType::Number);
    want.sort_key = Some("email".into());
    want.attributes
        .push(AttributeDefinition::new("email", AttributeType::String));
    want.stream = Some(StreamViewType::NewImage);
    let other = TableDefinition::new("accounts", "id", AttributeType::String);
    let p = plan(&client, &[want.clone(), other.clone()]).await.unwrap();
    assert_eq!(
        p.to_string(),
        "! users: needs a new table, not changed in place: partition key id changes type from S to N; sort key changes from none to email\n\
         + accounts: create table (id S), on demand\n"
    );
    let applied = apply(&client, &p, ApplyOptions::default()).await.unwrap();
    assert_eq!(applied.done.len(), 1);
    assert_eq!(applied.skipped.len(), 1);
    assert_eq!(
        client.describe_table("users").await.unwrap(),
        client.describe_table("users").await.unwrap()
    );
    assert!(client.compare_table(&before).await.unwrap().is_empty());
    assert!(client.compare_table(&other).await.unwrap().is_empty());
}

#[tokio::test]
async fn plans_serialise_to_json_and_back() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut want = users();
    want.global_secondary_indexes
        .push(email_index(Projection::Include(vec!["id".into()])));
    let p = plan(&client, &[want]).await.unwrap();
    let json = p.to_json();
    assert!(json.contains("\"step\": \"create_table\""), "{json}");
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    assert!(matches!(back.steps[0], Step::CreateTable { .. }));
}

/// The embedded engine takes UpdateTable's new index capacity without making it; `apply` describes
/// the table afterwards and says so instead of reporting success alone.
#[tokio::test]
async fn apply_reports_changes_the_engine_did_not_take() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut want = users();
    want.billing = BillingMode::Provisioned(Capacity { read: 5, write: 3 });
    let mut index = email_index(Projection::All);
    index.capacity = Some(Capacity { read: 5, write: 3 });
    want.global_secondary_indexes.push(index);
    let p = plan(&client, std::slice::from_ref(&want)).await.unwrap();
    let first = apply(&client, &p, ALLOW).await.unwrap();

    want.global_secondary_indexes[0].capacity = Some(Capacity { read: 9, write: 8 });
    let p = plan(&client, std::slice::from_ref(&want)).await.unwrap();
    let applied = apply(&client, &p, ALLOW).await.unwrap();
    let live = client.describe_table("users").await.unwrap().unwrap();
    let shown = live.global_secondary_indexes[0].capacity;
    if shown == Some(Capacity { read: 9, write: 8 }) {
        assert!(applied.not_taken.is_empty(), "{:?}", applied.not_taken);
    } else {
        assert_eq!(
            applied.not_taken,
            [format!(
                "users: GSI email_index asked for 9 read, 8 write but shows {}",
                shown.map_or("no capacity (0 read, 0 write)".to_owned(), |c| format!(
                    "{} read, {} write",
                    c.read, c.write
                ))
            )],
            "first apply: {:?}",
            first.not_taken
        );
    }
}

#[tokio::test]
async fn a_local_index_change_names_the_old_and_the_new_definition() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut before = TableDefinition::new("events", "user", AttributeType::String);
    before.sort_key = Some("at".into());
    before
        .attributes
        .push(AttributeDefinition::new("at", AttributeType::String));
    before
        .attributes
        .push(AttributeDefinition::new("kind", AttributeType::String));
    before
        .attributes
        .push(AttributeDefinition::new("n", AttributeType::Number));
    before
        .local_secondary_indexes
        .push(dynorm::definition::LocalSecondaryIndex {
            name: "by_kind".into(),
            sort_key: "kind".into(),
            projection: Projection::KeysOnly,
        });
    migrate(&client, &before).await;
    let mut want = before.clone();
    want.local_secondary_indexes[0].sort_key = "n".into();
    want.local_secondary_indexes[0].projection = Projection::Include(vec!["kind".into()]);
    let p = plan(&client, &[want]).await.unwrap();
    assert_eq!(
        p.to_string(),
        "! events: needs a new table, not changed in place: LSI by_kind changes from (sort key kind S, projection KEYS_ONLY) \
         to (sort key n N, projection INCLUDE (kind)); local secondary indexes can only be set when a table is created\n"
    );
}

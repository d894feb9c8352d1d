//! Table lifecycle: idempotent creation, mismatches, describe/compare, delete and waits.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use dynorm::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, Client, Error, GlobalSecondaryIndex,
    IndexProjection as Projection, LocalSecondaryIndex, StreamViewType, Table, TableDefinition,
};

use crate::support::{User, users_definition};

/// A definition using every table setting: sort key, GSIs (one with its own capacity, one
/// inheriting the table's), an LSI, provisioned billing, a stream, TTL, tags, deletion protection.
fn orders_definition() -> TableDefinition {
    let mut d = TableDefinition::new("orders", "customer", AttributeType::String);
    d.sort_key = Some("order_id".into());
    for (name, t) in [
        ("order_id", AttributeType::Number),
        ("status", AttributeType::String),
        ("placed_at", AttributeType::Datetime),
        ("total", AttributeType::Number),
        ("checksum", AttributeType::Binary),
        ("expires", AttributeType::DatetimeEpoch),
        ("lines", AttributeType::List),
    ] {
        d.attributes.push(AttributeDefinition::new(name, t));
    }
    d.global_secondary_indexes = vec![
        GlobalSecondaryIndex {
            name: "by_status".into(),
            partition_key: "status".into(),
            sort_key: Some("placed_at".into()),
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::Include(vec!["total".into(), "lines".into()]),
            capacity: Some(Capacity { read: 2, write: 3 }),
        },
        GlobalSecondaryIndex {
            name: "by_checksum".into(),
            partition_key: "checksum".into(),
            sort_key: None,
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::KeysOnly,
            capacity: None,
        },
    ];
    d.local_secondary_indexes = vec![LocalSecondaryIndex {
        name: "by_total".into(),
        sort_key: "total".into(),
        projection: Projection::All,
    }];
    d.billing = BillingMode::Provisioned(Capacity { read: 5, write: 6 });
    d.stream = Some(StreamViewType::NewAndOldImages);
    d.ttl_attribute = Some("expires".into());
    d.tags = BTreeMap::from([("team".into(), "shop".into()), ("stage".into(), "test".into())]);
    d.deletion_protection = true;
    d
}

#[tokio::test]
async fn create_is_idempotent_and_describe_matches() {
    let client = dynorm::testing::client().await.expect("test client");
    let orders = orders_definition();
    client.create_table(&orders).await.expect("create");
    client.create_table(&orders).await.expect("create again is fine");
    assert_eq!(
        client.compare_table(&orders).await.expect("compare"),
        Vec::<String>::new()
    );

    let live = client
        .describe_table("orders")
        .await
        .expect("describe")
        .expect("exists");
    assert_eq!(live.partition_key, "customer");
    assert_eq!(live.sort_key.as_deref(), Some("order_id"));
    // Key attributes (and the TTL attribute) only, with their key types.
    let mut names: Vec<_> = live.attributes.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "checksum",
            "customer",
            "expires",
            "order_id",
            "placed_at",
            "status",
            "total"
        ]
    );
    assert_eq!(
        live.attribute("placed_at").map(|a| a.attribute_type),
        Some(AttributeType::String)
    );
    assert_eq!(
        live.attribute("checksum").map(|a| a.attribute_type),
        Some(AttributeType::Binary)
    );
    assert_eq!(live.global_secondary_indexes.len(), 2);
    let by_status = live
        .global_secondary_indexes
        .iter()
        .find(|g| g.name == "by_status")
        .expect("gsi");
    assert_eq!(by_status.capacity, Some(Capacity { read: 2, write: 3 }));
    let by_checksum = live
        .global_secondary_indexes
        .iter()
        .find(|g| g.name == "by_checksum")
        .expect("gsi");
    assert_eq!(
        by_checksum.capacity,
        Some(Capacity { read: 5, write: 6 }),
        "inherits the table's"
    );
    assert_eq!(by_checksum.projection, Projection::KeysOnly);
    assert_eq!(live.local_secondary_indexes[0].sort_key, "total");
    assert_eq!(
        live.billing,
        BillingMode::Provisioned(Capacity { read: 5, write: 6 })
    );
    assert_eq!(live.stream, Some(StreamViewType::NewAndOldImages));
    assert_eq!(live.ttl_attribute.as_deref(), Some("expires"));
    assert_eq!(live.tags, orders.tags);
    assert!(live.deletion_protection);
    // The described definition is itself a valid definition that creates the same table.
    live.validate().expect("described definition is valid");
    assert_eq!(
        client.compare_table(&live).await.expect("compare"),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_different_existing_table_is_a_mismatch_naming_each_difference() {
    let client = dynorm::testing::client().await.expect("test client");
    client.create_table(&users_definition()).await.expect("create");

    let mut changed = users_definition();
    changed.sort_key = Some("name".into());
    changed.stream = Some(StreamViewType::KeysOnly);
    changed.global_secondary_indexes.push(GlobalSecondaryIndex {
        name: "by_age".into(),
        partition_key: "age".into(),
        sort_key: None,
        additional_partition_keys: Vec::new(),
        additional_sort_keys: Vec::new(),
        projection: Projection::All,
        capacity: None,
    });
    changed.tags.insert("owner".into(), "me".into());
    match client.create_table(&changed).await {
        Err(Error::TableMismatch { table, differences }) => {
            assert_eq!(table, "users");
            assert_eq!(
                differences,
                [
                    "sort key: definition `name`, table none",
                    "global index `by_age` is in the definition but not in the table",
                    "stream: definition KEYS_ONLY, table disabled",
                    "tag `owner`: definition `me`, table none",
                ]
            );
        }
        other => panic!("expected TableMismatch, got {other:?}"),
    }

    let mut retyped = users_definition();
    retyped.attributes[0].attribute_type = AttributeType::Number;
    let differences = client.compare_table(&retyped).await.expect("compare");
    assert_eq!(
        differences,
        ["type of key attribute `id`: definition `N`, table `S`"]
    );

    let mut billed = users_definition();
    billed.billing = BillingMode::Provisioned(Capacity { read: 1, write: 1 });
    billed.ttl_attribute = Some("age".into());
    billed.deletion_protection = true;
    let differences = client.compare_table(&billed).await.expect("compare");
    assert_eq!(
        differences,
        [
            "billing: definition provisioned (1 read, 1 write), table on demand",
            "TTL attribute: definition `age`, table none",
            "deletion protection: definition on, table off",
        ]
    );
}

#[tokio::test]
async fn invalid_definitions_are_refused_before_anything_is_sent() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut bad = users_definition();
    bad.sort_key = Some("missing".into());
    bad.name = "x".into();
    match client.create_table(&bad).await {
        Err(Error::InvalidDefinition(e)) => assert_eq!(e.problems.len(), 2, "{e}"),
        other => panic!("expected InvalidDefinition, got {other:?}"),
    }
    assert!(own_tables(&client).await.is_empty());
}

/// The logical names of the tables this client's names reach (every table on the embedded
/// engine; the test's own prefix against an endpoint, which other tests share).
async fn own_tables(client: &Client) -> Vec<String> {
    client.list_tables().await.expect("list")
}

#[tokio::test]
async fn delete_and_wait() {
    let client = dynorm::testing::client().await.expect("test client");
    client.create_table(&users_definition()).await.expect("create");
    client
        .wait_until_active("users", Duration::from_secs(5))
        .await
        .expect("active");
    client.delete_table("users").await.expect("delete");
    client
        .wait_until_deleted("users", Duration::from_secs(5))
        .await
        .expect("deleted");
    assert!(client.describe_table("users").await.expect("describe").is_none());
    client
        .delete_table("users")
        .await
        .expect("deleting an absent table is fine");
    assert!(matches!(
        client.compare_table(&users_definition()).await,
        Err(Error::TableNotFound { .. })
    ));
    match client
        .wait_until_active("users", Duration::from_millis(100))
        .await
    {
        Err(Error::Timeout { table, what }) => {
            assert_eq!(table, "users");
            assert_eq!(what, "become active");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    // Recreated after deletion, through a table client.
    client.table::<User>().create().await.expect("create again");
    assert!(client.describe_table("users").await.expect("describe").is_some());
}

#[tokio::test]
async fn deletion_protection_is_honoured() {
    let client = dynorm::testing::client().await.expect("test client");
    let mut protected = users_definition();
    protected.deletion_protection = true;
    client.create_table(&protected).await.expect("create");
    let err = client.delete_table("users").await.expect_err("protected");
    assert!(err.is_validation(), "{err:?}");
}

#[tokio::test]
async fn lifecycle_works_through_a_remote_client_too() {
    let embedded = dynorm::testing::client().await.expect("test client");
    let remote = Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone());
    remote.create_table(&orders_definition()).await.expect("create");
    assert!(
        embedded
            .compare_table(&orders_definition())
            .await
            .expect("compare")
            .is_empty()
    );
}

static USERS: LazyLock<TableDefinition> = LazyLock::new(users_definition);
static ORDERS: LazyLock<TableDefinition> = LazyLock::new(orders_definition);

#[test]
fn run_test_gives_each_test_its_tables() {
    let names = dynorm::testing::run_test(&[&USERS, &ORDERS], |client| async move {
        client
            .table::<User>()
            .put(&User::new("a", "A", 1))
            .await
            .expect("put");
        own_tables(&client).await
    });
    assert_eq!(names, ["orders", "users"]);
    // A second test starts from an empty database.
    dynorm::testing::run_test(&[&USERS], |client| async move {
        assert_eq!(
            client.table::<User>().get(User::key("a")).await.expect("get"),
            None
        );
    });
}

#[tokio::test]
async fn database_creates_the_tables() {
    let client = dynorm::testing::database(&[&users_definition()])
        .await
        .expect("database");
    assert_eq!(client.is_embedded(), dynorm::testing::endpoint().is_none());
    assert!(
        client
            .describe_table(User::definition().name.as_str())
            .await
            .expect("describe")
            .is_some()
    );
}

#[tokio::test]
async fn table_status_is_typed_without_the_sdk() {
    let client = dynorm::testing::client().await.expect("test client");
    assert_eq!(client.table_status("users").await.expect("status"), None);
    let users = client.table::<User>();
    assert_eq!(users.status().await.expect("status"), None);
    users.create().await.expect("create");
    let status = users.status().await.expect("status").expect("exists");
    assert_eq!(status, dynorm::TableStatus::Active);
    assert!(status.is_active());
    assert_eq!(status.to_string(), "ACTIVE");
    // DynamoDB's every spelling, and one it may add later, kept as given.
    for name in [
        "ACTIVE",
        "CREATING",
        "UPDATING",
        "DELETING",
        "ARCHIVING",
        "ARCHIVED",
        "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        "RESTORING",
    ] {
        assert_eq!(dynorm::TableStatus::from_name(name).as_str(), name);
    }
    assert_eq!(
        dynorm::TableStatus::from_name("DELETING"),
        dynorm::TableStatus::Deleting
    );
    client.delete_table("users").await.expect("delete");
    assert_eq!(client.table_status("users").await.expect("status"), None);
}

/// What the engine says of a table, less what differs between any two creations (times, ARNs,
/// ids), with its TTL and tags.
async fn described(client: &Client, name: &str) -> String {
    let sdk = client.sdk();
    let mut table = sdk
        .describe_table()
        .table_name(client.physical_table_name(name))
        .send()
        .await
        .expect("describe")
        .table
        .expect("a table");
    table.creation_date_time = None;
    table.table_arn = None;
    table.table_id = None;
    table.latest_stream_arn = None;
    table.latest_stream_label = None;
    for index in table.global_secondary_indexes.iter_mut().flatten() {
        index.index_arn = None;
    }
    for index in table.local_secondary_indexes.iter_mut().flatten() {
        index.index_arn = None;
    }
    if let Some(attributes) = table.attribute_definitions.as_mut() {
        attributes.sort_by(|a, b| a.attribute_name.cmp(&b.attribute_name));
    }
    let ttl = sdk
        .describe_time_to_live()
        .table_name(client.physical_table_name(name))
        .send()
        .await
        .expect("ttl")
        .time_to_live_description;
    let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}");
    let tags = sdk
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .map(|t| t.tags)
        .ok();
    format!("{table:#?}\n{ttl:#?}\n{tags:#?}")
}

#[tokio::test]
async fn the_test_database_creates_tables_exactly_as_create_table_does() {
    // The embedded fixture's own route (CreateTable on the engine) against create_table's.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    let orders = orders_definition();
    let users = users_definition();
    let fixture = dynorm::testing::database(&[&orders, &users])
        .await
        .expect("database");
    let reference = Client::embedded().expect("embedded");
    for definition in [&orders, &users] {
        reference.create_table(definition).await.expect("create");
        let name = definition.name.as_str();
        assert_eq!(
            described(&fixture, name).await,
            described(&reference, name).await,
            "{name}"
        );
        // And `create_table` finds nothing to object to in the fixture's table.
        fixture.create_table(definition).await.expect("the same table");
    }
    // An invalid definition is refused by name, as `create_table` refuses it.
    let mut broken = users_definition();
    broken.partition_key = "nowhere".into();
    let err = dynorm::testing::database(&[&broken]).await.expect_err("invalid");
    assert!(err.to_string().contains("nowhere"), "{err}");
}

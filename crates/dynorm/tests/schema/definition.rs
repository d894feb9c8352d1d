//! Validation of table definitions against DynamoDB's rules, and their plain-data form.

use dynorm::definition::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, Composite, GlobalSecondaryIndex,
    LocalSecondaryIndex, Projection, StreamViewType, TableDefinition,
};

fn orders() -> TableDefinition {
    let mut def = TableDefinition::new("orders", "customer_id", AttributeType::String);
    def.sort_key = Some("order_date".into());
    for (name, ty) in [
        ("order_date", AttributeType::String),
        ("status", AttributeType::String),
        ("total", AttributeType::Number),
    ] {
        def.attributes.push(AttributeDefinition::new(name, ty));
    }
    def.local_secondary_indexes.push(LocalSecondaryIndex {
        name: "status-index".into(),
        sort_key: "status".into(),
        projection: Projection::Include(vec!["total".into()]),
    });
    def.global_secondary_indexes.push(GlobalSecondaryIndex {
        name: "status-total-index".into(),
        partition_key: "status".into(),
        sort_key: Some("total".into()),
        additional_partition_keys: Vec::new(),
        additional_sort_keys: Vec::new(),
        projection: Projection::All,
        capacity: None,
    });
    def
}

fn problems(def: &TableDefinition) -> Vec<String> {
    match def.validate() {
        Ok(()) => Vec::new(),
        Err(e) => {
            assert_eq!(e.table, def.name);
            e.problems
        }
    }
}

fn assert_problem(def: &TableDefinition, needle: &str) {
    let found = problems(def);
    assert!(
        found.iter().any(|p| p.contains(needle)),
        "expected a problem containing {needle:?}, got {found:#?}"
    );
}

#[test]
fn stelvio_orders_table_is_valid() {
    assert_eq!(problems(&orders()), Vec::<String>::new());
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut def = orders();
    def.name = "x".into();
    def.sort_key = None;
    def.attributes
        .push(AttributeDefinition::new("status", AttributeType::String));
    def.global_secondary_indexes[0].name = "ab".into();
    def.global_secondary_indexes[0].partition_key = "missing".into();
    let found = problems(&def);
    assert!(found.len() >= 5, "{found:#?}");
    for needle in [
        "table name `x`",
        "attribute `status` is declared twice",
        "global index name `ab`",
        "partition key of index `ab` `missing` is not a declared attribute",
        "local secondary indexes (`status-index`) need a table with a sort key",
    ] {
        assert!(
            found.iter().any(|p| p.contains(needle)),
            "missing {needle:?} in {found:#?}"
        );
    }
    let message = def.validate().unwrap_err().to_string();
    assert!(message.starts_with("table `x` has"), "{message}");
}

#[test]
fn index_limits() {
    let mut def = orders();
    def.global_secondary_indexes = (0..21)
        .map(|i| GlobalSecondaryIndex {
            name: format!("gsi{i:02}"),
            partition_key: "status".into(),
            sort_key: None,
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::KeysOnly,
            capacity: None,
        })
        .collect();
    assert_problem(
        &def,
        "21 global secondary indexes, more than DynamoDB's limit of 20",
    );

    let mut def = orders();
    def.local_secondary_indexes = (0..6)
        .map(|i| LocalSecondaryIndex {
            name: format!("lsi{i}x"),
            sort_key: "status".into(),
            projection: Projection::KeysOnly,
        })
        .collect();
    assert_problem(&def, "6 local secondary indexes, more than DynamoDB's limit of 5");
}

#[test]
fn index_names_follow_dynamodb_rules() {
    let mut def = orders();
    def.global_secondary_indexes[0].name = "has space".into();
    assert_problem(&def, "global index name `has space` must be 3-255 characters");
    let mut def = orders();
    def.global_secondary_indexes[0].name = "a".repeat(256);
    assert_problem(&def, "must be 3-255 characters");
    let mut def = orders();
    def.global_secondary_indexes[0].name = "status-index".into();
    assert_problem(&def, "index name `status-index` is used twice");
    let mut def = orders();
    def.global_secondary_indexes[0].name = "ok_name.v-1".into();
    assert_eq!(problems(&def), Vec::<String>::new());
}

#[test]
fn keys_must_be_declared_scalar_and_required() {
    let mut def = orders();
    def.attributes
        .push(AttributeDefinition::new("tags", AttributeType::StringSet));
    def.global_secondary_indexes[0].partition_key = "tags".into();
    assert_problem(
        &def,
        "partition key of index `status-total-index` `tags` has type `string_set`, but key attributes must be string, number or binary",
    );

    let mut def = orders();
    def.attributes[0].optional = true;
    assert_problem(
        &def,
        "partition key `customer_id` is optional, but the table's key attributes are always required",
    );

    let mut def = orders();
    def.partition_key = "nope".into();
    assert_problem(&def, "partition key `nope` is not a declared attribute");
}

#[test]
fn local_index_needs_a_different_sort_key() {
    let mut def = orders();
    def.local_secondary_indexes[0].sort_key = "order_date".into();
    assert_problem(&def, "uses the table's own sort key `order_date`");
}

#[test]
fn include_projection_limit_counts_distinct_attributes_across_indexes() {
    let mut def = orders();
    let attrs: Vec<String> = (0..101).map(|i| format!("a{i}")).collect();
    def.global_secondary_indexes[0].projection = Projection::Include(attrs[..60].to_vec());
    def.local_secondary_indexes[0].projection = Projection::Include(attrs[40..].to_vec());
    assert_problem(
        &def,
        "project 101 distinct non-key attributes, more than DynamoDB's limit of 100",
    );

    def.local_secondary_indexes[0].projection = Projection::Include(attrs[40..100].to_vec());
    assert_eq!(problems(&def), Vec::<String>::new());
}

#[test]
fn ttl_and_capacity_rules() {
    let mut def = orders();
    def.ttl_attribute = Some("status".into());
    assert_problem(&def, "TTL attribute `status` has type `string`");
    def.attributes
        .push(AttributeDefinition::new("expires", AttributeType::DatetimeEpoch));
    def.ttl_attribute = Some("expires".into());
    assert_eq!(problems(&def), Vec::<String>::new());

    def.global_secondary_indexes[0].capacity = Some(Capacity { read: 1, write: 1 });
    assert_problem(
        &def,
        "index `status-total-index` sets provisioned capacity, but the table is billed on demand",
    );
    def.billing = BillingMode::Provisioned(Capacity { read: 0, write: 5 });
    assert_problem(
        &def,
        "provisioned capacity must be at least 1 read and 1 write unit",
    );
}

#[test]
fn definitions_are_plain_serde_data() {
    let mut def = orders();
    def.description = Some("Customer orders".into());
    def.stream = Some(StreamViewType::NewAndOldImages);
    def.billing = BillingMode::Provisioned(Capacity { read: 5, write: 2 });
    def.tags.insert("team".into(), "core".into());
    def.attributes.push(AttributeDefinition {
        composite: Some(Composite {
            fields: vec!["a".into(), "b".into()],
            separator: "#".into(),
            escaped: true,
        }),
        ..AttributeDefinition::new("ab", AttributeType::CompositeString)
    });
    let json = serde_json::to_string_pretty(&def).unwrap();
    let back: TableDefinition = serde_json::from_str(&json).unwrap();
    assert_eq!(back, def);
    assert!(json.contains("\"type\": \"composite_string\""), "{json}");
    assert!(json.contains("\"include\": [\n"), "{json}");

    // Unknown fields are refused with their name rather than silently dropped.
    let err = serde_json::from_str::<TableDefinition>(
        r#"{"name":"t1x","partition_key":"id","attributes":[],"sort_keys":"x"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `sort_keys`"), "{err}");
}

#[test]
fn key_attributes_are_listed_once() {
    assert_eq!(
        orders().key_attributes(),
        vec!["customer_id", "order_date", "status", "total"]
    );
}

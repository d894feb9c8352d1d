//! Stored formats of single-table-orm, dynamojo and dynamo_query reproduced byte for byte, and
//! their ready-made table definitions.

#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use dynorm::entity::Entity as _;
use dynorm::entity::formats::{dynamo_query, dynamojo, storm};
use dynorm::{AttributeValue, BillingMode, Item};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

#[test]
fn storm_keys_match_its_tests() {
    assert_eq!(
        storm::key(&[("A", "aaa"), ("B", "bbb")], Some("TestModel")),
        "A#aaa#B#bbb#TestModel"
    );
    assert_eq!(storm::key(&[("C", "ccc"), ("D", "ddd")], None), "C#ccc#D#ddd");
    assert_eq!(
        storm::key(&[("E", "eee"), ("F", "fff")], Some("TestModel")),
        "E#eee#F#fff#TestModel"
    );
    assert_eq!(storm::identifier("apple"), "A");
    assert_eq!(storm::key(&[("U", "user123")], Some("USER")), "U#user123#USER");
    // Falsy (empty) parts are dropped.
    assert_eq!(storm::key(&[("A", ""), ("B", "b")], Some("M")), "A#B#b#M");
}

/// The wiki's tenant/integration row, written through `#[derive(Entity)]` on STORM's layout.
#[derive(dynorm::Entity, Debug, PartialEq)]
#[dynorm(table = storm::Table, pk = "T#{tenant_name}#Integrations", sk = "I#{integration_id}")]
#[dynorm(index(name = "GSI1", pk = "R#{last_seen_run}#Integrations"))]
struct Integration {
    tenant_name: String,
    integration_id: String,
    locked: bool,
    last_seen_run: Option<String>,
    enabled: bool,
    notebook_path: String,
    created_on: u64,
}

#[test]
fn storm_wiki_row() {
    let i = Integration {
        tenant_name: "tenant-2".into(),
        integration_id: "INT0001".into(),
        locked: true,
        last_seen_run: Some("run_21901".into()),
        enabled: true,
        notebook_path: "s3://buckentname/notebooks/".into(),
        created_on: 17_000_000,
    };
    let item = i.to_entity_item().unwrap();
    let expected: Item = [
        ("PK", s("T#tenant-2#Integrations")),
        ("SK", s("I#INT0001")),
        ("GSI1PK", s("R#run_21901#Integrations")),
        ("tenant_name", s("tenant-2")),
        ("integration_id", s("INT0001")),
        ("locked", AttributeValue::Bool(true)),
        ("last_seen_run", s("run_21901")),
        ("enabled", AttributeValue::Bool(true)),
        ("notebook_path", s("s3://buckentname/notebooks/")),
        ("created_on", AttributeValue::N("17000000".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(item, expected);
    // Same strings as STORM's own join.
    assert_eq!(
        item["PK"],
        s(&storm::key(&[("T", "tenant-2")], Some("Integrations")))
    );
    assert_eq!(item["SK"], s(&storm::key(&[("I", "INT0001")], None)));
    assert_eq!(Integration::from_entity_item(item).unwrap(), i);
}

#[test]
fn storm_standard_definition() {
    let def = storm::table_definition("my-table");
    def.validate().unwrap();
    assert_eq!(def.name, "my-table");
    assert_eq!(
        (def.partition_key.as_str(), def.sort_key.as_deref()),
        ("PK", Some("SK"))
    );
    let g = &def.global_secondary_indexes[0];
    assert_eq!(
        (g.name.as_str(), g.partition_key.as_str(), g.sort_key.as_deref()),
        ("GSI1", "GSI1PK", Some("SK"))
    );
    assert_eq!(g.projection, dynorm::IndexProjection::All);
    assert!(matches!(def.billing, BillingMode::Provisioned(c) if c.read == 1 && c.write == 1));
}

#[test]
fn dynamojo_table_and_index_maps() {
    let def = dynamojo::table_definition("test-dynamojo");
    def.validate().unwrap();
    assert_eq!(def.global_secondary_indexes.len(), 20);
    assert_eq!(def.local_secondary_indexes.len(), 5);
    assert_eq!(def.attributes.len(), 2 + 40 + 5);
    assert!(
        def.attributes
            .iter()
            .all(|a| a.attribute_type == dynorm::AttributeType::String)
    );
    assert_eq!(def.global_secondary_indexes[19].partition_key, "gsi19_pk");
    assert_eq!(
        def.global_secondary_indexes[19].sort_key.as_deref(),
        Some("gsi19_sk")
    );
    assert_eq!(def.local_secondary_indexes[4].sort_key, "lsi4_sk");
    assert_eq!(def.billing, BillingMode::OnDemand);

    let mut item: Item = [
        ("userid", s("u1")),
        ("action", s("login")),
        ("date", s("2024-05-01")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let joined = dynojo_join(&item);
    item.insert("user_action".into(), s(&joined));
    let maps = [
        dynamojo::IndexMap {
            index: "table",
            partition_key: Some("userid"),
            sort_key: Some("user_action"),
        },
        dynamojo::IndexMap {
            index: "gsi0",
            partition_key: Some("action"),
            sort_key: Some("date"),
        },
        dynamojo::IndexMap {
            index: "gsi1",
            partition_key: Some("missing"),
            sort_key: Some("date"),
        },
        dynamojo::IndexMap {
            index: "lsi0",
            partition_key: None,
            sort_key: Some("date"),
        },
    ];
    dynamojo::apply_index_maps(&mut item, &maps).unwrap();
    assert_eq!(item["pk"], s("u1"));
    assert_eq!(item["sk"], s("u1~~login"));
    assert_eq!(item["gsi0_pk"], s("login"));
    assert_eq!(item["gsi0_sk"], s("2024-05-01"));
    assert!(!item.contains_key("gsi1_pk"), "null index keys are dropped");
    assert_eq!(item["gsi1_sk"], s("2024-05-01"));
    assert_eq!(item["lsi0_sk"], s("2024-05-01"));
    assert!(
        dynamojo::apply_index_maps(
            &mut item,
            &[dynamojo::IndexMap {
                index: "lsi0",
                partition_key: Some("x"),
                sort_key: None
            }]
        )
        .is_err()
    );
    assert!(
        dynamojo::apply_index_maps(
            &mut item,
            &[dynamojo::IndexMap {
                index: "gsi20",
                partition_key: Some("x"),
                sort_key: None
            }]
        )
        .is_err()
    );
}

fn dynojo_join(item: &Item) -> String {
    let get = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str);
    dynamojo::join(
        &[get("userid"), get("nothing"), get("action")],
        dynamojo::JOIN_SEPARATOR,
    )
}

#[test]
fn dynamo_query_timestamps_and_prefixes() {
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    assert_eq!(dynamo_query::timestamp(at), "2024-05-01T12:00:00");
    let micro = at + chrono::Duration::microseconds(123_456);
    assert_eq!(dynamo_query::timestamp(micro), "2024-05-01T12:00:00.123456");
    let nano = micro + chrono::Duration::nanoseconds(789);
    assert_eq!(dynamo_query::timestamp(nano), "2024-05-01T12:00:00.123456");
    assert_eq!(
        dynamo_query::parse_timestamp("2024-05-01T12:00:00.123456").unwrap(),
        micro
    );
    assert_eq!(dynamo_query::parse_timestamp("2024-05-01T12:00:00").unwrap(), at);
    assert!(dynamo_query::parse_timestamp("2024-05-01T12:00:00Z").is_err());

    let mut item: Item = [
        ("pk", s("user#1")),
        ("sk", s(&dynamo_query::prefixed("order_", "0001"))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    dynamo_query::stamp(&mut item, micro);
    dynamo_query::stamp(&mut item, at);
    assert_eq!(item["dt_created"], s("2024-05-01T12:00:00.123456"));
    assert_eq!(item["dt_modified"], s("2024-05-01T12:00:00"));
    assert_eq!(
        dynamo_query::record_type("order_0001", &["order_", "user_"]),
        Some("order_")
    );
    assert_eq!(dynamo_query::record_type("invoice_1", &["order_", "user_"]), None);

    let def = dynamo_query::table_definition("records");
    def.validate().unwrap();
    assert_eq!(
        (def.partition_key.as_str(), def.sort_key.as_deref()),
        ("pk", Some("sk"))
    );
    assert_eq!(def.billing, BillingMode::OnDemand);
}

/// dynamojo's joined attribute and index maps, declared in the derive: the same item as
/// dynamojo writes (compared with the helpers that reproduce its rules).
// Clippy's `duplicated_attributes` mistakes repeated helper options (`sk = "{date}"` in two
// indexes) for repeated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(dynorm::Entity, Debug, PartialEq)]
#[dynorm(table = dynamojo::Table, pk = "{userid}", sk = "{user_action}")]
#[dynorm(join(attribute = "user_action", fields(userid, nothing, action)))]
#[dynorm(index(name = "gsi0", pk = "{action}", sk = "{date}"))]
#[dynorm(index(name = "gsi1", pk = "{missing}", sk = "{date}"))]
#[dynorm(index(name = "lsi0", sk = "{date}"))]
struct Login {
    userid: String,
    action: String,
    date: String,
    nothing: Option<String>,
    missing: Option<String>,
}

#[test]
fn dynamojo_joins_and_index_maps_from_the_derive() {
    let login = Login {
        userid: "u1".into(),
        action: "login".into(),
        date: "2024-05-01".into(),
        nothing: None,
        missing: None,
    };
    let item = login.to_entity_item().unwrap();
    let mut expected: Item = [
        ("userid", s("u1")),
        ("action", s("login")),
        ("date", s("2024-05-01")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let joined = dynojo_join(&expected);
    expected.insert("user_action".into(), s(&joined));
    // dynamojo stores `None` as NULL.
    expected.insert("nothing".into(), AttributeValue::Null(true));
    expected.insert("missing".into(), AttributeValue::Null(true));
    dynamojo::apply_index_maps(
        &mut expected,
        &[
            dynamojo::IndexMap {
                index: "table",
                partition_key: Some("userid"),
                sort_key: Some("user_action"),
            },
            dynamojo::IndexMap {
                index: "gsi0",
                partition_key: Some("action"),
                sort_key: Some("date"),
            },
            dynamojo::IndexMap {
                index: "gsi1",
                partition_key: Some("missing"),
                sort_key: Some("date"),
            },
            dynamojo::IndexMap {
                index: "lsi0",
                partition_key: None,
                sort_key: Some("date"),
            },
        ],
    )
    .unwrap();
    // In dynamojo's form a null index key (gsi1_pk) is dropped on its own: gsi1_sk stays, as
    // dynamojo writes it.
    assert_eq!(item, expected);
    assert_eq!(item["sk"], s("u1~~login"));
    assert!(!item.contains_key("gsi1_pk") && item.contains_key("gsi1_sk"));
    assert_eq!(Login::from_entity_item(item).unwrap(), login);
}

/// single-table-orm's manager semantics: `create` fails if the item exists, `update` if it
/// does not.
#[cfg(feature = "embedded")]
#[tokio::test]
async fn storm_create_and_update_semantics() {
    use dynorm::Table as _;
    let client = dynorm::testing::database(&[Integration::definition()])
        .await
        .unwrap();
    let table = client.table::<Integration>();
    let i = Integration {
        tenant_name: "tenant-2".into(),
        integration_id: "INT0001".into(),
        locked: false,
        last_seen_run: None,
        enabled: true,
        notebook_path: "s3://b/".into(),
        created_on: 1,
    };
    table.put(&i).create_only().await.unwrap();
    let err = table.put(&i).create_only().await.unwrap_err();
    assert!(
        matches!(err, dynorm::Error::ConditionalCheckFailed { .. }),
        "{err}"
    );
    let err = table
        .entity_update(Integration::key("tenant-2", "INT0002"))
        .set("enabled", false)
        .send()
        .await
        .unwrap_err();
    // STORM's `ObjectDoesNotExist`: a typed not-found naming the table and key.
    assert!(
        matches!(
            &err,
            dynorm::entity::EntityError::Dynamo(dynorm::Error::NotFound { key, .. }) if key.contains("INT0002")
        ),
        "{err}"
    );
    table
        .entity_update(Integration::key("tenant-2", "INT0001"))
        .set("enabled", false)
        .send()
        .await
        .unwrap();
}

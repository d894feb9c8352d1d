//! Byte for byte with the Python libraries, both ways: the items single-table-orm, dynamojo and
//! dynamo_query really wrote (captured by `interop/capture.py`, committed under
//! `interop/fixtures/`) are what dynorm writes for the same values, and dynorm reads them back
//! into those values.

#![allow(clippy::unwrap_used, non_snake_case)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use dynorm::entity::Entity as _;
use dynorm::entity::formats::{dynamo_query, dynamojo, storm};
use dynorm::{AttributeValue, Item};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::support::{naive_stamp, raw_item};

fn fixture(library: &str, case: &str) -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../interop/fixtures")
        .join(library)
        .join(format!("{case}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// An attribute value from DynamoDB JSON (`{"S": "x"}`; `B` as base64), as the fixtures hold it.
fn attribute(json: &Json) -> AttributeValue {
    let (kind, v) = json.as_object().unwrap().iter().next().unwrap();
    let strings = || -> Vec<String> {
        let mut out: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        out.sort();
        out
    };
    match kind.as_str() {
        "S" => AttributeValue::S(v.as_str().unwrap().to_owned()),
        "N" => AttributeValue::N(v.as_str().unwrap().to_owned()),
        "BOOL" => AttributeValue::Bool(v.as_bool().unwrap()),
        "NULL" => AttributeValue::Null(true),
        "B" => AttributeValue::B(
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap()
                .into(),
        ),
        "SS" => AttributeValue::Ss(strings()),
        "NS" => AttributeValue::Ns(strings()),
        "L" => AttributeValue::L(v.as_array().unwrap().iter().map(attribute).collect()),
        "M" => AttributeValue::M(item(v)),
        other => panic!("unknown type {other}"),
    }
}

fn item(json: &Json) -> Item {
    json.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), attribute(v)))
        .collect()
}

/// Sets sorted, so two items compare by content (DynamoDB keeps no set order).
fn normalised(item: Item) -> BTreeMap<String, AttributeValue> {
    item.into_iter()
        .map(|(k, v)| {
            let v = match v {
                AttributeValue::Ss(mut s) => {
                    s.sort();
                    AttributeValue::Ss(s)
                }
                other => other,
            };
            (k, v)
        })
        .collect()
}

/// The only item a case stored.
fn stored(case: &Json) -> Item {
    let items = case["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", case["case"]);
    item(&items[0])
}

/// Writes the case's input as `E` and compares with what the library stored; reads the stored
/// item back and compares with the input.
fn both_ways<E>(case: &Json)
where
    E: dynorm::entity::Entity + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    let value: E = serde_json::from_value(case["input"].clone()).unwrap();
    let expected = stored(case);
    let written = value.to_entity_item().unwrap();
    assert_eq!(
        normalised(written),
        normalised(expected.clone()),
        "writing {}",
        case["case"]
    );
    let read = E::from_item_checked(expected, dynorm::entity::Ownership::Ignore).unwrap();
    assert_eq!(read, value, "reading {}", case["case"]);
}

/// Every key the library rendered is the key dynorm renders.
fn same_keys<E>(case: &Json)
where
    E: dynorm::entity::Entity + for<'de> Deserialize<'de>,
{
    let value: E = serde_json::from_value(case["input"].clone()).unwrap();
    let written = value.to_entity_item().unwrap();
    for (attribute, key) in case["keys"].as_object().unwrap() {
        let Some(key) = key.as_str() else { continue };
        if let Some(AttributeValue::S(ours)) = written.get(attribute) {
            assert_eq!(ours, key, "{} of {}", attribute, case["case"]);
        } else if E::JOINED.iter().all(|j| j.attribute != attribute) || E::STORE_ALIASES {
            panic!("{attribute} not written for {}", case["case"]);
        }
    }
}

// ---- single-table-orm ----

/// STORM's `TenantIntegration` (PK tenant `T`, SK integration `I`, GSI1PK provider `P`, suffix
/// the class name).
#[derive(dynorm::Entity, Deserialize, Debug, PartialEq)]
#[dynorm(table = storm::Table, pk = "T#{tenant_name}#TenantIntegration", sk = "I#{integration_id}")]
#[dynorm(index(name = "GSI1", pk = "P#{provider}#TenantIntegration"))]
struct TenantIntegration {
    tenant_name: String,
    integration_id: String,
    provider: String,
    locked: Option<bool>,
    last_seen_run: Option<String>,
    notebook_path: Option<String>,
    created_on: Option<i64>,
    static_files: Option<Vec<String>>,
}

#[test]
fn storm_tenant_integration_both_ways() {
    for case in [
        "tenant_integration_ordinary",
        "tenant_integration_hash_in_values",
        "tenant_integration_empty_strings",
        "tenant_integration_none_optional",
    ] {
        let case = fixture("single-table-orm", case);
        both_ways::<TenantIntegration>(&case);
        same_keys::<TenantIntegration>(&case);
    }
}

#[test]
fn storm_keys_are_not_read_back_when_ambiguous() {
    // STORM writes `a#b` unescaped: the key alone cannot say where the tenant ends, and dynorm
    // says so instead of guessing (the fields themselves are stored, so items still read).
    let case = fixture("single-table-orm", "tenant_integration_hash_in_values");
    let pk = TenantIntegration::KEYS[0].plan();
    assert_eq!(
        pk.parse_key("T#a#b#TenantIntegration").unwrap()["tenant_name"],
        "a#b"
    );
    let sk = TenantIntegration::KEYS[1].plan();
    assert_eq!(sk.parse_key("I#c#d").unwrap()["integration_id"], "c#d");
    let two = dynorm::entity::Template::parse("T#{a}#{b}").unwrap();
    let plan = two.plan().with_form(dynorm::StoredForm::STORM);
    assert!(matches!(
        plan.parse_key("T#x#y#z"),
        Err(dynorm::entity::TemplateError::Ambiguous { .. })
    ));
    assert_eq!(
        stored(&case)["PK"],
        AttributeValue::S("T#a#b#TenantIntegration".into())
    );
}

// ---- dynamojo ----

#[derive(dynorm::Entity, Deserialize, Debug, PartialEq)]
#[dynorm(table = dynamojo::Table, pk = "{accountId}", sk = "{incidentId}")]
#[dynorm(join(attribute = "providerKey", fields(provider, region)))]
#[dynorm(join(attribute = "statusDate", fields(status, createdAt)))]
#[dynorm(index(name = "gsi0", pk = "{status}", sk = "{createdAt}"))]
#[dynorm(index(name = "gsi1", pk = "{owner}", sk = "{statusDate}"))]
#[dynorm(index(name = "lsi0", sk = "{providerKey}"))]
struct Incident {
    accountId: String,
    incidentId: String,
    status: String,
    createdAt: String,
    provider: String,
    region: String,
    email: Option<String>,
    owner: Option<String>,
}

#[test]
fn dynamojo_incident_both_ways() {
    for case in [
        "incident_ordinary",
        "incident_tilde_in_values",
        "incident_none_fields",
    ] {
        let case = fixture("dynamojo", case);
        both_ways::<Incident>(&case);
        same_keys::<Incident>(&case);
    }
    // An empty owner is sent as `gsi1_pk = ""` (DynamoDB refuses it); the keys agree.
    same_keys::<Incident>(&fixture("dynamojo", "incident_empty_strings"));
}

/// `store_aliases=False`: the fields a key holds whole live only in the keys.
#[derive(dynorm::Entity, Deserialize, Debug, PartialEq)]
#[dynorm(table = dynamojo::Table, pk = "{accountId}", sk = "{timestamp}", store_aliases = false)]
#[dynorm(join(attribute = "alarmKey", fields(alarmType, metric, timestamp)))]
#[dynorm(index(name = "gsi0", pk = "{alarmType}", sk = "{timestamp}"))]
#[dynorm(index(name = "lsi0", sk = "{alarmKey}"))]
struct Alarm {
    accountId: String,
    timestamp: String,
    alarmType: String,
    metric: String,
    message: String,
}

#[test]
fn dynamojo_store_aliases_false_both_ways() {
    let case = fixture("dynamojo", "alarm_store_aliases_false");
    both_ways::<Alarm>(&case);
    same_keys::<Alarm>(&case);
}

#[derive(dynorm::Entity, Deserialize, Debug, PartialEq)]
#[dynorm(table = dynamojo::Table, pk = "{userId}", sk = "{displayName}")]
struct UserProfile {
    userId: String,
    displayName: String,
    loginCount: i64,
    isAdmin: bool,
    tagList: Vec<String>,
    #[dynorm(json)]
    settingsMap: Json,
    lastLoginAt: Option<String>,
}

#[test]
fn dynamojo_camel_case_types_both_ways() {
    let case = fixture("dynamojo", "camel_case_types");
    both_ways::<UserProfile>(&case);
}

// ---- dynamo_query ----

#[derive(dynorm::Entity, Deserialize, Debug, PartialEq)]
#[dynorm(table = dynamo_query::Table, pk = "{project_id}", sk = "user_{email}")]
struct UserRecord {
    project_id: String,
    email: String,
    name: String,
    age: Option<i64>,
    nickname: Option<String>,
    #[dynorm(created_at)]
    #[serde(default)]
    dt_created: Option<chrono::DateTime<chrono::Utc>>,
    #[dynorm(updated_at)]
    #[serde(default)]
    dt_modified: Option<chrono::DateTime<chrono::Utc>>,
}

#[test]
fn dynamo_query_upserted_item_both_ways() {
    let case = fixture("dynamo_query", "upsert_record");
    let first = &case["steps"][0];
    let expected = item(&first["items_after"][0]);
    let read = UserRecord::from_item_checked(expected.clone(), dynorm::entity::Ownership::Ignore).unwrap();
    assert_eq!(read.name, "Ada");
    // The stamps are written back in dynamo_query's naive form, microseconds and all.
    let written = read.to_entity_item().unwrap();
    assert_eq!(normalised(written), normalised(expected));
}

/// dynamo_query's `types` case: every DynamoDB type through a record (`int`/`Decimal` → N,
/// `bool`, `list`, `dict`, a set of strings, `bytes`).
#[derive(dynorm::Entity, Debug, PartialEq)]
#[dynorm(table = dynamo_query::Table, pk = "{project_id}", sk = "user_{email}")]
struct TypedRecord {
    project_id: String,
    email: String,
    name: String,
    b: bool,
    i: i64,
    #[dynorm(json)]
    l: Json,
    #[dynorm(json)]
    m: Json,
    n: dynorm::Number,
    raw: dynorm::Bytes,
    s: std::collections::BTreeSet<String>,
    #[dynorm(created_at)]
    dt_created: Option<chrono::DateTime<chrono::Utc>>,
    #[dynorm(updated_at)]
    dt_modified: Option<chrono::DateTime<chrono::Utc>>,
}

#[test]
fn dynamo_query_types_both_ways() {
    let expected = stored(&fixture("dynamo_query", "types"));
    let read = TypedRecord::from_item_checked(expected.clone(), dynorm::entity::Ownership::Ignore).unwrap();
    assert_eq!(read.n.to_string(), "1.25");
    assert_eq!(read.raw.0, vec![0, 1]);
    assert_eq!(read.l, serde_json::json!(["x", 1]));
    assert_eq!(normalised(read.to_entity_item().unwrap()), normalised(expected));
}

// ---- single-table-orm keys from field flags ----

/// STORM's own `TestModel`: two pk fields, two sk fields, two gsi fields, suffix the name.
#[derive(dynorm::Entity, Deserialize, Debug, PartialEq)]
#[dynorm(table = storm::Table, storm)]
struct TestModel {
    #[dynorm(storm(pk))]
    a_pk: String,
    #[dynorm(storm(pk))]
    b_pk: String,
    #[dynorm(storm(sk))]
    c_sk: String,
    #[dynorm(storm(sk))]
    d_sk: String,
    #[dynorm(storm(gsi))]
    e_gsi: String,
    #[dynorm(storm(gsi))]
    f_gsi: String,
    another_attribute: String,
}

/// `identifier=` and `Meta.suffix`.
#[derive(dynorm::Entity, Deserialize, Debug, PartialEq)]
#[dynorm(table = storm::Table, storm(suffix = "USER"))]
struct User {
    #[dynorm(storm(pk))]
    user_id: String,
    #[dynorm(storm(sk, identifier = "EMAIL"))]
    email: String,
    #[dynorm(storm(gsi, identifier = "ORG"))]
    org: String,
}

#[test]
fn storm_keys_from_field_flags() {
    let case = fixture("single-table-orm", "keys_from_flags");
    let cases = &case["cases"];
    both_ways::<TestModel>(&cases["TestModel"]);
    same_keys::<TestModel>(&cases["TestModel"]);
    both_ways::<User>(&cases["User"]);
    same_keys::<User>(&cases["User"]);
    assert_eq!(TestModel::KEYS[0].template, "A#{a_pk}#B#{b_pk}#TestModel");
}

/// dynamo_query's `upsert_record` / `batch_upsert_records` semantics, in its form: `None` leaves
/// the stored attribute alone, `dt_created` is kept, a new item's stamps are one string.
#[cfg(feature = "embedded")]
#[tokio::test]
async fn dynamo_query_upserts_keep_what_none_leaves() {
    use dynorm::Table as _;
    let client = dynorm::testing::database(&[UserRecord::definition()])
        .await
        .unwrap();
    let users = client.table::<UserRecord>();
    let raw = |email: &str| raw_item(&client, UserRecord::key("p1", email));
    let ada = |name: &str, age: Option<i64>, nickname: Option<&str>| UserRecord {
        project_id: "p1".into(),
        email: "ada@example.com".into(),
        name: name.into(),
        age,
        nickname: nickname.map(str::to_owned),
        dt_created: None,
        dt_modified: None,
    };
    users
        .upsert(&ada("Ada", Some(36), Some("countess")))
        .await
        .unwrap();
    let first = raw("ada@example.com").await;
    let created = naive_stamp(&first, "dt_created");
    assert_eq!(created, naive_stamp(&first, "dt_modified"));

    users.upsert(&ada("Ada B", None, None)).await.unwrap();
    let second = raw("ada@example.com").await;
    assert_eq!(
        second["age"],
        AttributeValue::N("36".into()),
        "None leaves age alone"
    );
    assert_eq!(second["nickname"], AttributeValue::S("countess".into()));
    assert_eq!(naive_stamp(&second, "dt_created"), created);
    assert!(naive_stamp(&second, "dt_modified") >= created);

    users
        .upsert(&ada("Ada C", Some(99), None))
        .set_if_not_exists(["age"])
        .await
        .unwrap();
    assert_eq!(
        raw("ada@example.com").await["age"],
        AttributeValue::N("36".into())
    );

    let grace = UserRecord {
        email: "grace@example.com".into(),
        name: "Grace".into(),
        age: Some(85),
        ..ada("", None, None)
    };
    let outcome = users
        .batch_upsert([ada("Ada D", None, None), grace])
        .await
        .unwrap();
    assert_eq!(outcome.written, 2);
    let (a, g) = (raw("ada@example.com").await, raw("grace@example.com").await);
    assert_eq!(a["name"], AttributeValue::S("Ada D".into()));
    assert_eq!(a["age"], AttributeValue::N("36".into()));
    assert_eq!(naive_stamp(&a, "dt_created"), created);
    assert_eq!(naive_stamp(&g, "dt_created"), naive_stamp(&g, "dt_modified"));
    assert_eq!(
        naive_stamp(&a, "dt_modified"),
        naive_stamp(&g, "dt_modified"),
        "one stamp per batch"
    );
}

/// dynamojo's own update sequence (`incident_update_semantics`), replayed with entity updates:
/// after each step the stored item is the one dynamojo left (NULL for `None`, a null index key
/// dropped alone, joined attributes and the keys reading them rebuilt).
#[cfg(feature = "embedded")]
#[tokio::test]
async fn dynamojo_updates_leave_the_items_dynamojo_leaves() {
    use dynorm::Table as _;
    let case = fixture("dynamojo", "incident_update_semantics");
    let after = |step: usize| normalised(item(&case["steps"][step]["items_after"][0]));
    let client = dynorm::testing::database(&[Incident::definition()])
        .await
        .unwrap();
    let incidents = client.table::<Incident>();
    let input: Incident =
        serde_json::from_value(fixture("dynamojo", "incident_ordinary")["input"].clone()).unwrap();
    incidents.put(&input).await.unwrap();
    let key = || Incident::key("acct-1", "inc-1");
    assert_eq!(normalised(raw_item(&client, key()).await), after(0));

    incidents
        .entity_update(key())
        .set("status", "CLOSED")
        .read_first()
        .send()
        .await
        .unwrap();
    assert_eq!(normalised(raw_item(&client, key()).await), after(2));

    incidents
        .entity_update(key())
        .set("owner", None::<String>)
        .set("email", None::<String>)
        .read_first()
        .send()
        .await
        .unwrap();
    assert_eq!(normalised(raw_item(&client, key()).await), after(3));

    incidents
        .entity_update(key())
        .set("owner", "bob")
        .read_first()
        .send()
        .await
        .unwrap();
    assert_eq!(normalised(raw_item(&client, key()).await), after(4));
}

// ---- live, both ways, against a DynamoDB endpoint with the real libraries ----

/// One fixture case checked live: dynorm writes the value, the Python library reads it back
/// (raw bytes and its own read API, `interop/read_back.py --case`); then the library writes it
/// and dynorm reads it back into the same value.
#[cfg(feature = "embedded")]
async fn live_case<E>(client: &dynorm::Client, table: &str, case: &str, stored: Item)
where
    E: dynorm::entity::Entity + dynorm::Table + PartialEq + std::fmt::Debug + Send + 'static,
{
    let value = E::from_item_checked(stored, dynorm::entity::Ownership::Ignore).unwrap();
    let tables = client.table_named::<E>(table);
    tables.delete(value.key_of()).await.unwrap();
    tables.put(&value).await.unwrap_or_else(|e| panic!("{case}: {e}"));
    read_back(case, &[]);
    tables.delete(value.key_of()).await.unwrap();
    read_back(case, &["--write", "library", "--no-check"]);
    let read = tables
        .get(value.key_of())
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        read.as_ref(),
        Some(&value),
        "{case}: dynorm reading what the library wrote"
    );
}

/// Runs `interop/read_back.py` for one case against the endpoint; fails the test if it fails.
fn read_back(case: &str, extra: &[&str]) {
    let python = std::env::var("DYNORM_INTEROP_PYTHON").unwrap();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/read_back.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(["--endpoint", &endpoint, "--case", case])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "read_back.py --case {case} {extra:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ci/interop.sh` runs this against `dynorm serve` (tables created by the Python side) with
/// `AWS_ENDPOINT_URL_DYNAMODB` and `DYNORM_INTEROP_PYTHON` (the venv with the three libraries).
#[cfg(feature = "embedded")]
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint and the Python libraries: bash ci/interop.sh runs it"]
async fn live_both_ways_with_the_python_libraries() {
    let client = dynorm::Client::from_env().await;
    let storm_case = |name: &str| stored(&fixture("single-table-orm", name));
    for name in [
        "tenant_integration_ordinary",
        "tenant_integration_hash_in_values",
        "tenant_integration_empty_strings",
        "tenant_integration_none_optional",
    ] {
        live_case::<TenantIntegration>(&client, "storm-table", name, storm_case(name)).await;
    }
    let flags = fixture("single-table-orm", "keys_from_flags");
    let flag_item = |model: &str| item(&flags["cases"][model]["items"][0]);
    live_case::<TestModel>(
        &client,
        "storm-table",
        "keys_from_flags/TestModel",
        flag_item("TestModel"),
    )
    .await;
    live_case::<User>(&client, "storm-table", "keys_from_flags/User", flag_item("User")).await;
    for name in [
        "incident_ordinary",
        "incident_tilde_in_values",
        "incident_none_fields",
    ] {
        live_case::<Incident>(&client, "test-dynamojo", name, stored(&fixture("dynamojo", name))).await;
    }
    let alarm = stored(&fixture("dynamojo", "alarm_store_aliases_false"));
    live_case::<Alarm>(&client, "test-dynamojo", "alarm_store_aliases_false", alarm).await;
    let camel = stored(&fixture("dynamojo", "camel_case_types"));
    live_case::<UserProfile>(&client, "test-dynamojo", "camel_case_types", camel).await;
    let upserted = fixture("dynamo_query", "upsert_record");
    let steps = upserted["steps"].as_array().unwrap();
    let last = item(&steps.last().unwrap()["items_after"][0]);
    live_case::<UserRecord>(&client, "dq-table", "upsert_record/user_ada@example.com", last).await;
    let typed = stored(&fixture("dynamo_query", "types"));
    live_case::<TypedRecord>(&client, "dq-table", "types/user_t@example.com", typed).await;
}

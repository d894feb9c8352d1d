//! The tables of a fresh test database, created directly on the embedded engine.
//!
//! A test database is new and empty, so [`Client::create_table`]'s describe–create–describe
//! rounds (which make it idempotent and wait for ACTIVE) have nothing to find, and the SDK route
//! they take costs more than the engine's own work (measured: 3.96 ms for 5 tables × 2 GSIs
//! against 1.23 ms on the engine). Here each definition is validated, written as DynamoDB's
//! CreateTable request and handed to the engine in one call. A test
//! (`tests/schema/lifecycle.rs`) checks that every table comes out exactly as `create_table` makes it.

use std::future::Future;

use serde_json::{Map, Value, json};

use super::endpoint::{Capability, endpoint, require_for};
use crate::definition::{BillingMode, Capacity, Projection, TableDefinition};
use crate::engine::error_map::from_dynoxide;
use crate::{Client, Error, Result};

/// [`database`]'s work, which needs no waiting.
fn fresh_database(definitions: &[&TableDefinition]) -> Result<Client> {
    let client = Client::embedded()?;
    let Some(db) = client.database() else {
        return Err(Error::EmbeddedOpen {
            path: None,
            message: "the in-memory client has no embedded engine".to_owned(),
        });
    };
    for definition in definitions {
        definition.validate()?;
        create(db, definition)?;
    }
    Ok(client)
}

/// Runs an async test on a fresh current-thread runtime, with a [`database`] holding the tables
/// `definitions` describe.
///
/// This is what `#[dynorm::test(tables(A, B))]` expands to. In endpoint mode
/// ([`ENDPOINT_VAR`](super::ENDPOINT_VAR)) the test's tables are deleted when its last client
/// is dropped, also when it fails ([`database`]).
///
/// # Panics
///
/// When the runtime cannot be built, or the database opened, or a table created (an invalid
/// definition, say): the test fails with the reason.
pub fn run_test<F, Fut, R>(definitions: &[&'static TableDefinition], test: F) -> R
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = R>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => panic!("dynorm::testing: could not build a tokio runtime: {e}"),
    };
    runtime.block_on(async {
        let client = match database(definitions).await {
            Ok(client) => client,
            Err(e) => panic!("dynorm::testing: could not set up the test database: {e}"),
        };
        // Held to the end: in endpoint mode the tables go with the last client, and a test may
        // drop the one it was given (keeping a client made from its SDK client, say).
        let _tables = client.clone();
        test(client).await
    })
}

/// What a test returns when it is skipped: `()`, or `Ok` of a default value.
pub trait Skippable {
    /// The value a skipped test returns.
    fn skipped() -> Self;
}

impl Skippable for () {
    fn skipped() -> Self {}
}

impl<T: Default, E> Skippable for Result<T, E> {
    fn skipped() -> Self {
        Ok(T::default())
    }
}

/// [`run_test`] for a test that needs `requires`: skipped, with the reason printed
/// ([`require_for`]), when the engine lacks one. `#[dynorm::test(tables(..), requires(embedded))]`
/// expands to it.
pub fn run_test_requiring<F, Fut, R>(
    test_name: &str,
    requires: &[Capability],
    definitions: &[&'static TableDefinition],
    test: F,
) -> R
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = R>,
    R: Skippable,
{
    if !require_for(test_name, requires) {
        return R::skipped();
    }
    run_test(definitions, test)
}

/// A fresh [`Client`] with the tables `definitions` describe created.
///
/// By default an in-memory embedded database: the database is new, so the tables are created
/// directly on the engine, each in one call (validated first, as [`Client::create_table`]
/// does), not through the SDK route that `create_table` takes to find, compare and wait for
/// tables.
///
/// In endpoint mode ([`ENDPOINT_VAR`](super::ENDPOINT_VAR)): a client of that endpoint under a
/// table prefix of its own, its tables made with [`Client::create_table`] (waiting until they
/// are ACTIVE). Every table under the prefix (the ones made here and any the test makes) is
/// deleted when the last clone of the client, or of a client made from it, is dropped;
/// [`drop_tables`](super::drop_tables) deletes them earlier. A client kept in a `static` is never dropped.
pub async fn database(definitions: &[&TableDefinition]) -> Result<Client> {
    let Some(endpoint) = endpoint() else {
        return fresh_database(definitions);
    };
    let client = super::endpoint::test_client(&endpoint).await?;
    for definition in definitions {
        client.create_table(definition).await?;
    }
    Ok(client)
}

/// A fresh [`Client`] with no tables: [`database`] with none, for tests that create their own.
pub async fn client() -> Result<Client> {
    database(&[]).await
}

fn create(db: &dynoxide::Database, d: &TableDefinition) -> Result<()> {
    let name = d.name.as_str();
    let request = serde_json::from_value(create_table_request(d)?).map_err(|e| invalid(name, &e))?;
    db.create_table(request).map_err(|e| from_dynoxide(name, e))?;
    if let Some(ttl) = &d.ttl_attribute {
        let request = json!({
            "TableName": name,
            "TimeToLiveSpecification": {"Enabled": true, "AttributeName": ttl},
        });
        let request = serde_json::from_value(request).map_err(|e| invalid(name, &e))?;
        db.update_time_to_live(request)
            .map_err(|e| from_dynoxide(name, e))?;
    }
    Ok(())
}

fn invalid(table: &str, e: &serde_json::Error) -> Error {
    Error::Validation {
        table: table.to_owned(),
        message: format!("the CreateTable request does not read back: {e}"),
    }
}

/// DynamoDB's CreateTable request for `d`, in its JSON form.
fn create_table_request(d: &TableDefinition) -> Result<Value> {
    let name = d.name.as_str();
    let mut attribute_definitions = Vec::new();
    for key in d.key_attributes() {
        let scalar = d.key_type(key).ok_or_else(|| Error::Validation {
            table: name.to_owned(),
            message: format!("key attribute `{key}` has no scalar type"),
        })?;
        attribute_definitions.push(json!({"AttributeName": key, "AttributeType": scalar.as_str()}));
    }
    let table_capacity = match d.billing {
        BillingMode::Provisioned(c) => Some(c),
        BillingMode::OnDemand => None,
    };
    let mut request = Map::new();
    request.insert("TableName".into(), json!(name));
    request.insert(
        "KeySchema".into(),
        key_schema(&d.partition_key, d.sort_key.as_deref()),
    );
    request.insert("AttributeDefinitions".into(), Value::Array(attribute_definitions));
    let gsis: Vec<Value> = d
        .global_secondary_indexes
        .iter()
        .map(|g| {
            let mut index = json!({
                "IndexName": g.name,
                "KeySchema": key_schema(&g.partition_key, g.sort_key.as_deref()),
                "Projection": projection(&g.projection),
            });
            if let Some(c) = g.capacity.or(table_capacity) {
                index["ProvisionedThroughput"] = throughput(c);
            }
            index
        })
        .collect();
    if !gsis.is_empty() {
        request.insert("GlobalSecondaryIndexes".into(), Value::Array(gsis));
    }
    let lsis: Vec<Value> = d
        .local_secondary_indexes
        .iter()
        .map(|l| {
            json!({
                "IndexName": l.name,
                "KeySchema": key_schema(&d.partition_key, Some(&l.sort_key)),
                "Projection": projection(&l.projection),
            })
        })
        .collect();
    if !lsis.is_empty() {
        request.insert("LocalSecondaryIndexes".into(), Value::Array(lsis));
    }
    match table_capacity {
        Some(c) => {
            request.insert("BillingMode".into(), json!("PROVISIONED"));
            request.insert("ProvisionedThroughput".into(), throughput(c));
        }
        None => {
            request.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
        }
    }
    if let Some(view) = d.stream {
        request.insert(
            "StreamSpecification".into(),
            json!({"StreamEnabled": true, "StreamViewType": view.as_str()}),
        );
    }
    if !d.tags.is_empty() {
        let tags: Vec<Value> = d
            .tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        request.insert("Tags".into(), Value::Array(tags));
    }
    if d.deletion_protection {
        request.insert("DeletionProtectionEnabled".into(), json!(true));
    }
    Ok(Value::Object(request))
}

fn key_schema(partition: &str, sort: Option<&str>) -> Value {
    let mut schema = vec![json!({"AttributeName": partition, "KeyType": "HASH"})];
    if let Some(sort) = sort {
        schema.push(json!({"AttributeName": sort, "KeyType": "RANGE"}));
    }
    Value::Array(schema)
}

fn projection(p: &Projection) -> Value {
    match p {
        Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
        Projection::All => json!({"ProjectionType": "ALL"}),
        Projection::Include(attributes) => {
            json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": attributes})
        }
    }
}

fn throughput(c: Capacity) -> Value {
    json!({"ReadCapacityUnits": c.read, "WriteCapacityUnits": c.write})
}

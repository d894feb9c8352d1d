//! The web console under `/console/`: plain HTML, CSS and JavaScript compiled into the binary,
//! talking to a small JSON API under `/console/api/`.
//!
//! Reads and raw writes go through the same wire dispatch as the DynamoDB API on `/`. Items
//! saved or imported from the console go through the CLI's item model (the one `dynorm import`
//! uses): plain JSON gets the schema's attribute types, and an item of an entity gets the keys
//! its fields give (never a stale key), after its required fields are checked.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dynorm::AttributeValue;
use dynorm::definition::TableDefinition;
use dynorm::entity::EntityDefinition;
use serde_json::{Value, json};

use super::ServeOptions;
use super::safety::{Guard, TOKEN_COOKIE};
use crate::data::{self, ItemFormat, Model};
use crate::exact_json::Json;

mod model;
mod snapshots;
mod transfer;

pub use snapshots::SnapshotStore;

const INDEX_HTML: &str = include_str!("console/assets/index.html");
const APP_JS: &str = include_str!("console/assets/app.js");
const APP_CSS: &str = include_str!("console/assets/app.css");

/// The operations the console may call through the wire dispatch.
const OPERATIONS: &[&str] = &[
    "ListTables",
    "DescribeTable",
    "DescribeTimeToLive",
    "CreateTable",
    "DeleteTable",
    "UpdateTable",
    "UpdateTimeToLive",
    "Scan",
    "Query",
    "GetItem",
    "DeleteItem",
    "ExecuteStatement",
    "ListStreams",
    "DescribeStream",
    "GetShardIterator",
    "GetRecords",
];

/// What the console's handlers share.
#[derive(Clone)]
pub struct Console {
    db: dynoxide::Database,
    guard: Guard,
    tables: Vec<TableDefinition>,
    entities: Vec<EntityDefinition>,
    snapshots: std::sync::Arc<SnapshotStore>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("tables", &self.tables.len())
            .field("entities", &self.entities.len())
            .finish()
    }
}

impl Console {
    /// The console over `db`, knowing the schema's tables and entities.
    pub fn new(db: dynoxide::Database, options: &ServeOptions, guard: Guard) -> Self {
        Console {
            db,
            guard,
            tables: options.tables.clone(),
            entities: options.entities.clone(),
            snapshots: std::sync::Arc::new(SnapshotStore::new(
                options.snapshots.clone(),
                options.db.as_deref(),
            )),
        }
    }

    fn definition(&self, table: &str) -> Option<&TableDefinition> {
        self.tables.iter().find(|t| t.name == table)
    }

    /// The attribute versioning this item of `table` (its entity's, else the table's).
    fn version_of(&self, table: &str, item: &dynorm::Item) -> Option<String> {
        let entities = self.entities_of(table);
        Model {
            definition: self.definition(table),
            entities: &entities,
        }
        .version_attribute(item)
    }

    fn entities_of(&self, table: &str) -> Vec<EntityDefinition> {
        self.entities
            .iter()
            .filter(|e| e.table == table)
            .cloned()
            .collect()
    }
}

/// A console error: DynamoDB's error type and message, or the console's own.
#[derive(Debug)]
pub struct ConsoleError {
    status: StatusCode,
    kind: String,
    message: String,
}

impl ConsoleError {
    fn new(kind: &str, message: impl Into<String>) -> Self {
        ConsoleError {
            status: StatusCode::BAD_REQUEST,
            kind: kind.to_owned(),
            message: message.into(),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "type": self.kind, "message": self.message } });
        (self.status, axum::Json(body)).into_response()
    }
}

type Answer = Result<axum::Json<Value>, ConsoleError>;

/// The console's routes.
pub fn router(console: Console) -> Router {
    Router::new()
        .route("/console", get(page))
        .route("/console/", get(page))
        .route("/console/app.js", get(script))
        .route("/console/app.css", get(style))
        .route("/console/api/model", get(model::model))
        .route("/console/api/tables", get(model::tables))
        .route("/console/api/call", post(call_route))
        .route("/console/api/pattern", post(model::pattern))
        .route("/console/api/create-from-schema", post(model::create_from_schema))
        .route("/console/api/put", post(put_route))
        .route("/console/api/delete-matching", post(transfer::delete_matching))
        .route("/console/api/purge", post(transfer::purge))
        .route("/console/api/import", post(transfer::import))
        .route("/console/api/export", post(transfer::export))
        .route(
            "/console/api/snapshots",
            get(snapshots::list).post(snapshots::take),
        )
        .route("/console/api/snapshots/restore", post(snapshots::restore))
        .route("/console/api/snapshots/delete", post(snapshots::delete))
        .with_state(console)
}

/// Checks a request with the console's guard.
fn allow(
    console: &Console,
    headers: &HeaderMap,
    query_token: Option<&str>,
    changes: bool,
) -> Result<(), ConsoleError> {
    console
        .guard
        .check(headers, query_token, changes)
        .map_err(|refusal| ConsoleError {
            status: refusal.status(),
            kind: refusal.kind().to_owned(),
            message: refusal.to_string(),
        })
}

async fn page(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let token = query.get("token").map(String::as_str);
    if let Err(e) = allow(&console, &headers, token, false) {
        return e.into_response();
    }
    let html = INDEX_HTML.replace("{{CSRF}}", console.guard.csrf());
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    if let Some(token) = token
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{TOKEN_COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict"
        ))
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn script(State(console): State<Console>, headers: HeaderMap) -> Response {
    asset(&console, &headers, "text/javascript; charset=utf-8", APP_JS)
}

async fn style(State(console): State<Console>, headers: HeaderMap) -> Response {
    asset(&console, &headers, "text/css; charset=utf-8", APP_CSS)
}

fn asset(console: &Console, headers: &HeaderMap, content_type: &'static str, body: &'static str) -> Response {
    match allow(console, headers, None, false) {
        Ok(()) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Runs one DynamoDB operation through the wire dispatch, off the async workers.
pub(crate) async fn call(console: &Console, operation: &str, request: &Value) -> Answer {
    if !OPERATIONS.contains(&operation) {
        return Err(ConsoleError::new(
            "UnsupportedOperation",
            format!("the console does not call `{operation}`"),
        ));
    }
    let db = console.db.clone();
    let target = format!("DynamoDB_20120810.{operation}");
    let body = request.to_string();
    let answer = tokio::task::spawn_blocking(move || {
        dynorm::engine::answer_wire_on_large_stack(&db, &target, body.as_bytes())
    })
    .await
    .map_err(|e| ConsoleError::new("InternalServerError", e.to_string()))?;
    let value: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    if answer.status == 200 {
        return Ok(axum::Json(value));
    }
    let kind = answer
        .error_type
        .map_or("Error", |t| t.rsplit('#').next().unwrap_or(t));
    let message = value
        .get("message")
        .or_else(|| value.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or(kind);
    Err(ConsoleError::new(kind, message))
}

#[derive(serde::Deserialize)]
struct CallRequest {
    operation: String,
    #[serde(default)]
    request: Value,
}

async fn call_route(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<CallRequest>,
) -> Answer {
    let read_only = matches!(
        body.operation.as_str(),
        "ListTables" | "DescribeTable" | "DescribeTimeToLive" | "Scan" | "Query" | "GetItem"
    ) || body.operation.contains("Stream")
        || body.operation == "GetShardIterator"
        || body.operation == "GetRecords";
    allow(&console, &headers, None, !read_only)?;
    let mut answer = call(&console, &body.operation, &body.request).await?;
    if matches!(body.operation.as_str(), "Scan" | "Query") {
        let table = body
            .request
            .get("TableName")
            .and_then(Value::as_str)
            .unwrap_or("");
        model::annotate(&console.entities_of(table), &mut answer.0);
    }
    Ok(answer)
}

#[derive(serde::Deserialize)]
struct PutRequest {
    table: String,
    /// `json` (plain) or `dynamodb-json`.
    format: String,
    item: Value,
}

async fn put_route(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<PutRequest>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let format = item_format(&body.format)?;
    let keys = live_keys(&console, &body.table).await?;
    let item = model_item(&console, &body.table, &keys, format, &body.item.to_string())?;
    let stored = put_item(&console, &body.table, &keys, item, true).await?;
    Ok(axum::Json(
        json!({ "item": data::item_to_dynamodb_json(&stored) }),
    ))
}

/// Writes one checked item; a versioned one (when `guarded`) expects the version it carries and
/// stores the next, as typed writes do. The item stored.
async fn put_item(
    console: &Console,
    table: &str,
    keys: &data::Keys,
    item: dynorm::Item,
    guarded: bool,
) -> Result<dynorm::Item, ConsoleError> {
    let version = guarded.then(|| console.version_of(table, &item)).flatten();
    let client = dynorm::Client::from_database(console.db.clone());
    data::put_checked(&client, table, keys, version.as_deref(), item)
        .await
        .map_err(|r| ConsoleError::new(&r.kind, r.message))
}

fn item_format(format: &str) -> Result<ItemFormat, ConsoleError> {
    match format {
        "json" => Ok(ItemFormat::Json),
        "dynamodb-json" => Ok(ItemFormat::DynamodbJson),
        other => Err(ConsoleError::new(
            "UnknownFormat",
            format!("unknown item format `{other}`: use `json` or `dynamodb-json`"),
        )),
    }
}

/// The table's live keys, as `dynorm import` reads them.
pub(crate) async fn live_keys(console: &Console, table: &str) -> Result<data::Keys, ConsoleError> {
    let client = dynorm::Client::from_database(console.db.clone());
    data::describe(&client, table)
        .await
        .map_err(|e| ConsoleError::new("ResourceNotFoundException", format!("{e:#}")))
}

/// One item of the console, read as `dynorm import` reads a line and checked against the
/// model: an entity's required fields present, its keys computed from its fields.
pub(crate) fn model_item(
    console: &Console,
    table: &str,
    keys: &data::Keys,
    format: ItemFormat,
    text: &str,
) -> Result<dynorm::Item, ConsoleError> {
    let entities = console.entities_of(table);
    let model = Model {
        definition: console.definition(table),
        entities: &entities,
    };
    let invalid = |e: anyhow::Error| ConsoleError::new("ValidationError", format!("{e:#}"));
    let item = match format {
        ItemFormat::Json => {
            let value = Json::parse(text).map_err(|e| ConsoleError::new("InvalidJson", e.to_string()))?;
            data::item_from_json(&value, model.definition, keys).map_err(invalid)?
        }
        ItemFormat::DynamodbJson => {
            let value: Value =
                serde_json::from_str(text).map_err(|e| ConsoleError::new("InvalidJson", e.to_string()))?;
            data::item_from_dynamodb_json(&value).map_err(invalid)?
        }
    };
    model::check_fields(&entities, &item)?;
    let item =
        model::with_table_keys(&entities, item).map_err(|e| ConsoleError::new("ValidationError", e))?;
    data::with_computed_keys(item, &entities).map_err(invalid)
}

/// A plain JSON rendering of an attribute value, for the CSV export.
pub(crate) fn plain(value: &AttributeValue) -> String {
    let mut item = dynorm::Item::new();
    item.insert(String::new(), value.clone());
    match data::item_to_json(&item) {
        Json::Object(members) => members
            .into_iter()
            .next()
            .map(|(_, v)| match v {
                Json::String(s) => s,
                other => other.to_string(),
            })
            .unwrap_or_default(),
        other => other.to_string(),
    }
}

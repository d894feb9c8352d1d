//! Moving many items at once: delete what a query matches, purge a table, import a file,
//! export a table or a query's result.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Answer, Console, ConsoleError, allow, call, item_format, live_keys, model_item, put_item};
use crate::data::{self, ItemFormat};

/// Pages of a Scan or Query at most read by one console action (at 1 MB a page: 1 GB).
const MAX_PAGES: usize = 1000;

#[derive(serde::Deserialize)]
pub(super) struct Matching {
    /// `Scan` or `Query`.
    operation: String,
    request: Value,
}

/// Every item a Scan or Query returns, page by page.
async fn all_items(console: &Console, matching: &Matching) -> Result<Vec<Value>, ConsoleError> {
    if !matches!(matching.operation.as_str(), "Scan" | "Query") {
        return Err(ConsoleError::new(
            "UnsupportedOperation",
            format!("`{}` is neither Scan nor Query", matching.operation),
        ));
    }
    let mut request = matching.request.clone();
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = call(console, &matching.operation, &request).await?.0;
        items.extend(page["Items"].as_array().into_iter().flatten().cloned());
        match page.get("LastEvaluatedKey") {
            Some(cursor) if !cursor.is_null() => request["ExclusiveStartKey"] = cursor.clone(),
            _ => return Ok(items),
        }
    }
    Ok(items)
}

/// The table's key attributes (partition, then sort).
async fn key_names(console: &Console, table: &str) -> Result<Vec<String>, ConsoleError> {
    let described = call(console, "DescribeTable", &json!({ "TableName": table }))
        .await?
        .0;
    Ok(described["Table"]["KeySchema"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["AttributeName"].as_str().map(str::to_owned))
        .collect())
}

/// Deletes each item by its table key; the number deleted.
async fn delete_items(console: &Console, table: &str, items: &[Value]) -> Result<usize, ConsoleError> {
    let keys = key_names(console, table).await?;
    let mut deleted = 0;
    for item in items {
        let key: serde_json::Map<String, Value> = keys
            .iter()
            .filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone())))
            .collect();
        let _ = call(console, "DeleteItem", &json!({ "TableName": table, "Key": key })).await?;
        deleted += 1;
    }
    Ok(deleted)
}

/// `POST /console/api/delete-matching`: deletes everything a Scan or Query matches.
pub(super) async fn delete_matching(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<Matching>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let table = body.request["TableName"].as_str().unwrap_or("").to_owned();
    let mut matching = body.0;
    // Deleting needs the table keys whatever the projection asked for.
    if let Some(map) = matching.request.as_object_mut() {
        map.remove("ProjectionExpression");
        map.remove("Limit");
        map.remove("ExclusiveStartKey");
    }
    let items = all_items(&console, &matching).await?;
    let deleted = delete_items(&console, &table, &items).await?;
    Ok(axum::Json(json!({ "deleted": deleted })))
}

#[derive(serde::Deserialize)]
pub(super) struct TableOnly {
    table: String,
}

/// `POST /console/api/purge`: deletes every item of a table, keeping the table.
pub(super) async fn purge(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<TableOnly>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let matching = Matching {
        operation: "Scan".into(),
        request: json!({ "TableName": body.table }),
    };
    let items = all_items(&console, &matching).await?;
    let deleted = delete_items(&console, &body.table, &items).await?;
    Ok(axum::Json(json!({ "deleted": deleted })))
}

#[derive(serde::Deserialize)]
pub(super) struct ImportRequest {
    table: String,
    /// `jsonl`, `json` (an array of objects), `csv` (a header row), or `dynamodb-jsonl`.
    format: String,
    text: String,
    /// Records before this part of a larger file (the page sends a big file in parts, to show
    /// progress): added to the reported line numbers so they count from the file's start.
    #[serde(default)]
    records_before: usize,
    /// Write versioned items as given (restoring a dump), not expecting the version they carry.
    #[serde(default)]
    unguarded: bool,
}

/// `POST /console/api/import`: every line (or element, or row) read as `dynorm import` reads
/// it and checked against the model; the good ones are written, the rejected ones reported
/// with their line number and reason.
pub(super) async fn import(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<ImportRequest>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let records = records(&body.format, &body.text)?;
    let keys = live_keys(&console, &body.table).await?;
    let format = if body.format == "dynamodb-jsonl" {
        "dynamodb-json"
    } else {
        "json"
    };
    let format = item_format(format)?;
    let mut imported = 0;
    let mut rejected = Vec::new();
    for (line, text) in records {
        let written = match model_item(&console, &body.table, &keys, format, &text) {
            Ok(item) => put_item(&console, &body.table, &keys, item, !body.unguarded).await,
            Err(e) => Err(e),
        };
        match written {
            Ok(_) => imported += 1,
            Err(e) => rejected.push(json!({
                "line": line + body.records_before,
                "type": e.kind,
                "message": e.message,
            })),
        }
    }
    Ok(axum::Json(json!({ "imported": imported, "rejected": rejected })))
}

/// The records of an import, each with its line number, as JSON text.
fn records(format: &str, text: &str) -> Result<Vec<(usize, String)>, ConsoleError> {
    match format {
        "jsonl" | "dynamodb-jsonl" => Ok(text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l.to_owned()))
            .collect()),
        "json" => {
            let value: Value =
                serde_json::from_str(text).map_err(|e| ConsoleError::new("InvalidJson", e.to_string()))?;
            let Value::Array(items) = value else {
                return Err(ConsoleError::new(
                    "InvalidJson",
                    "a JSON import is an array of objects",
                ));
            };
            Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| (i + 1, v.to_string()))
                .collect())
        }
        "csv" => csv_records(text),
        other => Err(ConsoleError::new(
            "UnknownFormat",
            format!("unknown import format `{other}`: use jsonl, dynamodb-jsonl, json or csv"),
        )),
    }
}

/// CSV with a header row: each row an object of strings (empty cells left out).
fn csv_records(text: &str) -> Result<Vec<(usize, String)>, ConsoleError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| ConsoleError::new("InvalidCsv", e.to_string()))?
        .clone();
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                out.push((line, format!("\"{}\"", e.to_string().replace('"', "'"))));
                continue;
            }
        };
        let object: serde_json::Map<String, Value> = header
            .iter()
            .zip(row.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(name, cell)| (name.to_owned(), Value::String(cell.to_owned())))
            .collect();
        out.push((line, Value::Object(object).to_string()));
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
pub(super) struct ExportRequest {
    #[serde(flatten)]
    matching: Matching,
    /// `jsonl`, `dynamodb-jsonl` or `csv`.
    format: String,
}

/// `POST /console/api/export`: a table's items or a query's result as a download.
pub(super) async fn export(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<ExportRequest>,
) -> Response {
    if let Err(e) = allow(&console, &headers, None, false) {
        return e.into_response();
    }
    let ExportRequest { mut matching, format } = body.0;
    if let Some(map) = matching.request.as_object_mut() {
        map.remove("Limit");
        map.remove("ExclusiveStartKey");
    }
    let items = match all_items(&console, &matching).await {
        Ok(items) => items,
        Err(e) => return e.into_response(),
    };
    let (text, content_type) = match render(&items, &format) {
        Ok(rendered) => rendered,
        Err(e) => return e.into_response(),
    };
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

fn render(items: &[Value], format: &str) -> Result<(String, &'static str), ConsoleError> {
    let parsed: Vec<dynorm::Item> = items
        .iter()
        .filter_map(|v| data::item_from_dynamodb_json(v).ok())
        .collect();
    match format {
        "jsonl" => Ok((lines(&parsed, ItemFormat::Json), "application/x-ndjson")),
        "dynamodb-jsonl" => Ok((lines(&parsed, ItemFormat::DynamodbJson), "application/x-ndjson")),
        "csv" => Ok((csv_text(&parsed)?, "text/csv")),
        other => Err(ConsoleError::new(
            "UnknownFormat",
            format!("unknown export format `{other}`: use jsonl, dynamodb-jsonl or csv"),
        )),
    }
}

fn lines(items: &[dynorm::Item], format: ItemFormat) -> String {
    items
        .iter()
        .map(|item| match format {
            ItemFormat::Json => data::item_to_json(item).to_string(),
            ItemFormat::DynamodbJson => data::item_to_dynamodb_json(item).to_string(),
        })
        .map(|line| line + "\n")
        .collect()
}

/// CSV with a column per attribute name (sorted), nested values as JSON.
fn csv_text(items: &[dynorm::Item]) -> Result<String, ConsoleError> {
    let mut columns: Vec<&String> = items.iter().flat_map(|i| i.keys()).collect();
    columns.sort();
    columns.dedup();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| ConsoleError::new("CsvWrite", e.to_string());
    writer.write_record(&columns).map_err(failed)?;
    for item in items {
        let row: Vec<String> = columns
            .iter()
            .map(|c| item.get(*c).map(super::plain).unwrap_or_default())
            .collect();
        writer.write_record(&row).map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ConsoleError::new("CsvWrite", e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

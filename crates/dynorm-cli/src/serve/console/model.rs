//! What the console knows of the data model: tables as the engine describes them, entities,
//! their access patterns and the data-model diagram; items labelled with their entity.

use axum::extract::State;
use axum::http::HeaderMap;
use dynorm::AttributeValue;
use dynorm::entity::backfill::classify;
use dynorm::entity::{EntityDefinition, EntityKey, Template};
use serde_json::{Value, json};

use super::{Answer, Console, ConsoleError, allow, call};

/// `GET /console/api/model`: entities, their access patterns and the Mermaid diagram.
pub(super) async fn model(State(console): State<Console>, headers: HeaderMap) -> Answer {
    allow(&console, &headers, None, false)?;
    let schema =
        dynorm::schema_file::Schema::new(console.tables.clone()).with_entities(console.entities.clone());
    let markdown = dynorm::infra::docs::schema_markdown(&schema).unwrap_or_default();
    let entities: Vec<Value> = console
        .entities
        .iter()
        .map(|e| json!({ "definition": e, "patterns": patterns(e) }))
        .collect();
    Ok(axum::Json(json!({
        "entities": entities,
        "tables": console.tables,
        "mermaid": mermaid_block(&markdown),
    })))
}

/// The first ```mermaid block of the data-model document.
fn mermaid_block(markdown: &str) -> String {
    markdown
        .split("```mermaid")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// The reads an entity's keys allow: per target (the table or an index), the partition key's
/// fields (asked for) and the sort key's template (its known prefix: `begins_with`).
fn patterns(entity: &EntityDefinition) -> Vec<Value> {
    let mut targets: Vec<Option<&str>> = vec![None];
    targets.extend(entity.indexes().into_iter().map(Some));
    targets
        .into_iter()
        .filter_map(|index| {
            let mut keys = entity.keys_of(index);
            let partition = keys.next()?;
            let sort = keys.next();
            Some(json!({
                "name": format!("{} by {}", entity.name, fields_of(partition).join(", ")),
                "index": index,
                "partition": { "attribute": partition.attribute, "template": partition.template, "fields": fields_of(partition) },
                "sort": sort.map(|s| json!({ "attribute": s.attribute, "template": s.template })),
            }))
        })
        .collect()
}

fn fields_of(key: &EntityKey) -> Vec<String> {
    Template::parse(&key.template)
        .map(|t| t.fields().into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[derive(serde::Deserialize)]
pub(super) struct PatternRequest {
    entity: String,
    #[serde(default)]
    index: Option<String>,
    #[serde(default)]
    params: serde_json::Map<String, Value>,
    #[serde(default)]
    limit: Option<u32>,
}

/// `POST /console/api/pattern`: runs an access pattern: the partition key rendered from the
/// parameters, the sort key's known prefix as `begins_with`.
pub(super) async fn pattern(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<PatternRequest>,
) -> Answer {
    allow(&console, &headers, None, false)?;
    let request = pattern_query(&console, &body)?;
    let mut answer = call(&console, "Query", &request).await?;
    let table = request["TableName"].as_str().unwrap_or("").to_owned();
    annotate(&console.entities_of(&table), &mut answer.0);
    answer.0["request"] = request;
    Ok(answer)
}

fn pattern_query(console: &Console, body: &PatternRequest) -> Result<Value, ConsoleError> {
    let entity = console
        .entities
        .iter()
        .find(|e| e.name == body.entity)
        .ok_or_else(|| {
            ConsoleError::new(
                "UnknownEntity",
                format!("no entity `{}` in the schema", body.entity),
            )
        })?;
    let mut keys = entity.keys_of(body.index.as_deref());
    let missing = || {
        ConsoleError::new(
            "UnknownIndex",
            format!("entity `{}` has no keys on that index", entity.name),
        )
    };
    let partition = keys.next().ok_or_else(missing)?;
    let values: Vec<(&str, AttributeValue)> = body
        .params
        .iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .map(|(k, v)| {
            (
                k.as_str(),
                AttributeValue::S(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
            )
        })
        .collect();
    let template_error = |key: &EntityKey, e: dynorm::entity::TemplateError| {
        ConsoleError::new(
            "KeyTemplate",
            format!("entity `{}`, key `{}`: {e}", entity.name, key.attribute),
        )
    };
    let plan = |key: &EntityKey| Template::parse(&key.template).map_err(|e| template_error(key, e));
    let pk = plan(partition)?
        .plan()
        .with_form(entity.stored_form())
        .render(&values)
        .map_err(|e| template_error(partition, e))?;
    let mut request = json!({
        "TableName": entity.table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": { "#pk": partition.attribute },
        "ExpressionAttributeValues": { ":pk": { "S": pk } },
        "Limit": body.limit.unwrap_or(50),
    });
    if let Some(index) = &body.index {
        request["IndexName"] = json!(index);
    }
    if let Some(sort) = keys.next() {
        let prefix = plan(sort)?
            .plan()
            .with_form(entity.stored_form())
            .render_prefix(&values)
            .map_err(|e| template_error(sort, e))?;
        request["KeyConditionExpression"] = json!("#pk = :pk AND begins_with(#sk, :sk)");
        request["ExpressionAttributeNames"]["#sk"] = json!(sort.attribute);
        request["ExpressionAttributeValues"][":sk"] = json!({ "S": prefix });
    }
    Ok(request)
}

/// `GET /console/api/tables`: every table as the engine describes it, with its TTL.
pub(super) async fn tables(State(console): State<Console>, headers: HeaderMap) -> Answer {
    allow(&console, &headers, None, false)?;
    let listed = call(&console, "ListTables", &json!({})).await?;
    let mut out = Vec::new();
    for name in listed.0["TableNames"].as_array().into_iter().flatten() {
        let mut described = call(&console, "DescribeTable", &json!({ "TableName": name }))
            .await?
            .0;
        let ttl = call(&console, "DescribeTimeToLive", &json!({ "TableName": name }))
            .await
            .map(|a| a.0["TimeToLiveDescription"].clone())
            .unwrap_or(Value::Null);
        described["Table"]["TimeToLiveDescription"] = ttl;
        out.push(described["Table"].take());
    }
    Ok(axum::Json(json!({ "tables": out })))
}

/// Adds `__dynorm` to each item of a Scan or Query answer: its entity and each key attribute
/// split into its template's parts.
pub(super) fn annotate(entities: &[EntityDefinition], answer: &mut Value) {
    if entities.is_empty() {
        return;
    }
    let Some(items) = answer.get("Items").and_then(Value::as_array) else {
        return;
    };
    let labels: Vec<Value> = items.iter().map(|raw| label(entities, raw)).collect();
    answer["Labels"] = Value::Array(labels);
}

fn label(entities: &[EntityDefinition], raw: &Value) -> Value {
    let Ok(item) = crate::data::item_from_dynamodb_json(raw) else {
        return Value::Null;
    };
    let Some(entity) = classify(entities, &item) else {
        return Value::Null;
    };
    let mut parts = serde_json::Map::new();
    for key in &entity.keys {
        let (Some(AttributeValue::S(text)), Ok(template)) =
            (item.get(&key.attribute), Template::parse(&key.template))
        else {
            continue;
        };
        if let Ok(fields) = template.plan().with_form(entity.stored_form()).parse_key(text) {
            parts.insert(key.attribute.clone(), json!(fields));
        }
    }
    json!({ "entity": entity.name, "keys": parts })
}

/// Refuses an item of an entity that lacks a required field, naming the entity and the field.
pub(super) fn check_fields(entities: &[EntityDefinition], item: &dynorm::Item) -> Result<(), ConsoleError> {
    let Some(entity) = classify(entities, item) else {
        return Ok(());
    };
    let missing: Vec<&str> = entity
        .fields
        .iter()
        .filter(|f| !f.optional && matches!(item.get(f.stored_name()), None | Some(AttributeValue::Null(_))))
        .map(|f| f.stored_name())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ConsoleError::new(
        "ValidationError",
        format!(
            "entity `{}`: required field(s) {} missing (the model declares them not optional)",
            entity.name,
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// A new item of an entity written without its table keys gets them from its fields (an item
/// that has them keeps them: `with_computed_keys` then refuses one whose fields disagree).
pub(super) fn with_table_keys(
    entities: &[EntityDefinition],
    mut item: dynorm::Item,
) -> Result<dynorm::Item, String> {
    let Some(entity) = classify(entities, &item) else {
        return Ok(item);
    };
    let expected = entity
        .expected_keys(&item)
        .map_err(|e| format!("entity `{}`: {e}", entity.name))?;
    let missing: Vec<(String, String)> = expected
        .into_iter()
        .filter(|(key, _)| key.index.is_none() && !item.contains_key(&key.attribute))
        .filter_map(|(key, text)| Some((key.attribute.clone(), text?)))
        .collect();
    for (attribute, text) in missing {
        item.insert(attribute, AttributeValue::S(text));
    }
    Ok(item)
}

#[derive(serde::Deserialize)]
pub(super) struct SchemaTable {
    table: String,
}

/// `POST /console/api/create-from-schema`: creates one of the schema's tables as `dynorm apply`
/// would (its indexes, stream, TTL and billing), through dynorm's own `create_table`.
pub(super) async fn create_from_schema(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<SchemaTable>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let definition = console.definition(&body.table).ok_or_else(|| {
        ConsoleError::new("UnknownTable", format!("no table `{}` in the schema", body.table))
    })?;
    dynorm::Client::from_database(console.db.clone())
        .create_table(definition)
        .await
        .map_err(|e| ConsoleError::new("CreateTableFailed", format!("table `{}`: {e}", body.table)))?;
    Ok(axum::Json(json!({ "created": body.table })))
}

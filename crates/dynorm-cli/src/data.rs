//! Items in and out of live tables: `import`, `dump`, `get`, `query` and `scan`.
//!
//! These commands work on raw items (no Rust type), through the AWS SDK client of
//! [`dynorm::Client`], with dynorm's [`RetryPolicy`] for batch writes.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::progress;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::ValueEnum;
use dynorm::aws_sdk_dynamodb::types::ScalarAttributeType;
use dynorm::definition::{AttributeType, TableDefinition};
use dynorm::entity::EntityDefinition;
use dynorm::{AttributeValue, Item, RetryPolicy};
use serde_json::{Map, Value};

use crate::exact_json::Json;

/// How items are written as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ItemFormat {
    /// Plain JSON objects: `{"id":"a","age":3}`.
    #[default]
    Json,
    /// DynamoDB JSON: `{"id":{"S":"a"},"age":{"N":"3"}}`.
    DynamodbJson,
}

/// The key attributes of a live table and of its indexes, with their types.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    partition: (String, ScalarAttributeType),
    sort: Option<(String, ScalarAttributeType)>,
    indexes: HashMap<String, KeyPair>,
    /// DynamoDB's item count (updated about every six hours: approximate), for progress.
    item_count: Option<u64>,
}

type KeyPair = (
    (String, ScalarAttributeType),
    Option<(String, ScalarAttributeType)>,
);

/// The keys of `table`, read from the live table.
pub(crate) async fn describe(client: &dynorm::Client, table: &str) -> anyhow::Result<Keys> {
    let out = client
        .sdk()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot read table `{table}`: {}", sdk_message(&e)))?;
    let Some(desc) = out.table else {
        bail!("table `{table}` was not found");
    };
    let types: HashMap<String, ScalarAttributeType> = desc
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name().to_owned(), a.attribute_type().clone()))
        .collect();
    let typed = |name: &str| {
        (
            name.to_owned(),
            types.get(name).cloned().unwrap_or(ScalarAttributeType::S),
        )
    };
    let pair = |schema: &[dynorm::aws_sdk_dynamodb::types::KeySchemaElement]| -> KeyPair {
        use dynorm::aws_sdk_dynamodb::types::KeyType;
        let find = |kind: KeyType| {
            schema
                .iter()
                .find(|k| *k.key_type() == kind)
                .map(|k| typed(k.attribute_name()))
        };
        (
            find(KeyType::Hash).unwrap_or_else(|| typed("")),
            find(KeyType::Range),
        )
    };
    let (partition, sort) = pair(desc.key_schema());
    let mut indexes = HashMap::new();
    for g in desc.global_secondary_indexes() {
        indexes.insert(
            g.index_name().unwrap_or_default().to_owned(),
            pair(g.key_schema()),
        );
    }
    for l in desc.local_secondary_indexes() {
        indexes.insert(
            l.index_name().unwrap_or_default().to_owned(),
            pair(l.key_schema()),
        );
    }
    Ok(Keys {
        partition,
        sort,
        indexes,
        item_count: desc.item_count().and_then(|n| u64::try_from(n).ok()),
    })
}

/// The message of an SDK error, with the service's own message when there is one.
fn sdk_message<E, R>(e: &dynorm::aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: dynorm::aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use dynorm::aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => dynorm::aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON <-> attribute values

/// An item as a plain JSON object (numbers exactly as stored), attributes sorted by name so the
/// output is the same on every run.
pub(crate) fn item_to_json(item: &Item) -> Json {
    let mut members: Vec<(String, Json)> = item.iter().map(|(k, v)| (k.clone(), value_to_json(v))).collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    Json::Object(members)
}

fn value_to_json(v: &AttributeValue) -> Json {
    match v {
        AttributeValue::S(s) => Json::String(s.clone()),
        AttributeValue::N(n) => Json::number(n),
        AttributeValue::Bool(b) => Json::Bool(*b),
        AttributeValue::Null(_) => Json::Null,
        AttributeValue::B(b) => Json::String(BASE64.encode(b.as_ref())),
        AttributeValue::M(m) => item_to_json(m),
        AttributeValue::L(l) => Json::Array(l.iter().map(value_to_json).collect()),
        AttributeValue::Ss(s) => Json::Array(s.iter().cloned().map(Json::String).collect()),
        AttributeValue::Ns(s) => Json::Array(s.iter().map(|n| Json::number(n)).collect()),
        AttributeValue::Bs(s) => Json::Array(
            s.iter()
                .map(|b| Json::String(BASE64.encode(b.as_ref())))
                .collect(),
        ),
        _ => Json::Null,
    }
}

/// An item as DynamoDB JSON.
pub(crate) fn item_to_dynamodb_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), value_to_dynamodb_json(v)))
            .collect(),
    )
}

fn value_to_dynamodb_json(v: &AttributeValue) -> Value {
    let (tag, inner) = match v {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.clone())),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null(_) => ("NULL", Value::Bool(true)),
        AttributeValue::B(b) => ("B", Value::String(BASE64.encode(b.as_ref()))),
        AttributeValue::M(m) => ("M", item_to_dynamodb_json(m)),
        AttributeValue::L(l) => ("L", Value::Array(l.iter().map(value_to_dynamodb_json).collect())),
        AttributeValue::Ss(s) => ("SS", Value::Array(s.iter().cloned().map(Value::String).collect())),
        AttributeValue::Ns(s) => ("NS", Value::Array(s.iter().cloned().map(Value::String).collect())),
        AttributeValue::Bs(s) => (
            "BS",
            Value::Array(
                s.iter()
                    .map(|b| Value::String(BASE64.encode(b.as_ref())))
                    .collect(),
            ),
        ),
        _ => ("NULL", Value::Bool(true)),
    };
    let mut m = Map::new();
    m.insert(tag.to_owned(), inner);
    Value::Object(m)
}

/// An item from DynamoDB JSON.
pub(crate) fn item_from_dynamodb_json(value: &Value) -> anyhow::Result<Item> {
    let Value::Object(map) = value else {
        bail!("expected a JSON object of attributes");
    };
    map.iter()
        .map(|(k, v)| {
            value_from_dynamodb_json(v)
                .with_context(|| format!("attribute `{k}`"))
                .map(|v| (k.clone(), v))
        })
        .collect()
}

fn value_from_dynamodb_json(value: &Value) -> anyhow::Result<AttributeValue> {
    let Value::Object(map) = value else {
        bail!("expected a typed value such as {{\"S\": \"text\"}}");
    };
    let mut entries = map.iter();
    let (Some((tag, inner)), None) = (entries.next(), entries.next()) else {
        bail!("expected exactly one type tag (S, N, B, BOOL, NULL, M, L, SS, NS, BS)");
    };
    let string = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        _ => bail!("`{tag}` needs a string"),
    };
    let strings = |v: &Value| -> anyhow::Result<Vec<String>> {
        match v {
            Value::Array(a) => a.iter().map(string).collect(),
            _ => bail!("`{tag}` needs an array of strings"),
        }
    };
    let bytes = |s: String| -> anyhow::Result<dynorm::aws_sdk_dynamodb::primitives::Blob> {
        Ok(dynorm::aws_sdk_dynamodb::primitives::Blob::new(
            BASE64.decode(s).context("not base64")?,
        ))
    };
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(string(inner)?),
        "N" => AttributeValue::N(check_number(&string(inner)?)?),
        "B" => AttributeValue::B(bytes(string(inner)?)?),
        "BOOL" => match inner {
            Value::Bool(b) => AttributeValue::Bool(*b),
            _ => bail!("`BOOL` needs true or false"),
        },
        "NULL" => AttributeValue::Null(true),
        "M" => AttributeValue::M(item_from_dynamodb_json(inner)?),
        "L" => match inner {
            Value::Array(a) => AttributeValue::L(
                a.iter()
                    .map(value_from_dynamodb_json)
                    .collect::<anyhow::Result<_>>()?,
            ),
            _ => bail!("`L` needs an array"),
        },
        "SS" => AttributeValue::Ss(strings(inner)?),
        "NS" => AttributeValue::Ns(
            strings(inner)?
                .iter()
                .map(|n| check_number(n))
                .collect::<anyhow::Result<_>>()?,
        ),
        "BS" => AttributeValue::Bs(
            strings(inner)?
                .into_iter()
                .map(bytes)
                .collect::<anyhow::Result<_>>()?,
        ),
        other => bail!("unknown type tag `{other}`"),
    })
}

fn check_number(n: &str) -> anyhow::Result<String> {
    let t = n.trim();
    if t.is_empty() || t.parse::<f64>().is_err() {
        bail!("`{n}` is not a number");
    }
    Ok(t.to_owned())
}

/// A plain JSON object as an item: types come from the table's definition where it names the
/// attribute, from the live key types for key attributes, and from the JSON value otherwise.
pub(crate) fn item_from_json(
    value: &Json,
    definition: Option<&TableDefinition>,
    keys: &Keys,
) -> anyhow::Result<Item> {
    let Json::Object(map) = value else {
        bail!("expected a JSON object");
    };
    let key_types: Vec<&(String, ScalarAttributeType)> = std::iter::once(&keys.partition)
        .chain(keys.sort.as_ref())
        .collect();
    let mut item = Item::new();
    for (name, v) in map {
        let typed = definition
            .and_then(|d| d.attribute(name))
            .map(|a| a.attribute_type);
        let key = key_types.iter().find(|(k, _)| k == name).map(|(_, t)| t);
        let av = match (key, typed) {
            (Some(t), _) => key_value(v, t),
            (None, Some(t)) => typed_value(v, t),
            (None, None) => Ok(plain_value(v)),
        }
        .with_context(|| format!("attribute `{name}`"))?;
        item.insert(name.clone(), av);
    }
    Ok(item)
}

fn key_value(v: &Json, t: &ScalarAttributeType) -> anyhow::Result<AttributeValue> {
    let text = match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.clone(),
        _ => bail!("a key must be a string or a number"),
    };
    scalar(&text, t)
}

/// A key value given as text, as the attribute type `t`.
fn scalar(text: &str, t: &ScalarAttributeType) -> anyhow::Result<AttributeValue> {
    Ok(match t {
        ScalarAttributeType::N => AttributeValue::N(check_number(text)?),
        ScalarAttributeType::B => AttributeValue::B(dynorm::aws_sdk_dynamodb::primitives::Blob::new(
            BASE64.decode(text).context("a binary key must be base64")?,
        )),
        _ => AttributeValue::S(text.to_owned()),
    })
}

fn typed_value(v: &Json, t: AttributeType) -> anyhow::Result<AttributeValue> {
    if v.is_null() {
        return Ok(AttributeValue::Null(true));
    }
    let strings = |v: &Json| -> anyhow::Result<Vec<String>> {
        match v {
            Json::Array(a) => a
                .iter()
                .map(|x| match x {
                    Json::String(s) => Ok(s.clone()),
                    Json::Number(n) => Ok(n.clone()),
                    _ => bail!("expected strings or numbers"),
                })
                .collect(),
            _ => bail!("expected an array"),
        }
    };
    Ok(match t {
        AttributeType::Number | AttributeType::DatetimeEpoch => match v {
            Json::Number(n) => AttributeValue::N(n.clone()),
            Json::String(s) => AttributeValue::N(check_number(s)?),
            _ => bail!("expected a number"),
        },
        AttributeType::Boolean => match v {
            Json::Bool(b) => AttributeValue::Bool(*b),
            _ => bail!("expected true or false"),
        },
        AttributeType::String | AttributeType::Datetime | AttributeType::CompositeString => match v {
            Json::String(s) => AttributeValue::S(s.clone()),
            Json::Number(n) => AttributeValue::S(n.clone()),
            _ => bail!("expected a string"),
        },
        AttributeType::JsonString => match v {
            Json::String(s) => AttributeValue::S(s.clone()),
            other => AttributeValue::S(other.to_string()),
        },
        AttributeType::JsonStringList => match v {
            Json::Array(a) => AttributeValue::L(
                a.iter()
                    .map(|x| match x {
                        Json::String(s) => AttributeValue::S(s.clone()),
                        other => AttributeValue::S(other.to_string()),
                    })
                    .collect(),
            ),
            _ => bail!("expected an array"),
        },
        AttributeType::StringSet => AttributeValue::Ss(strings(v)?),
        AttributeType::NumberSet => AttributeValue::Ns(
            strings(v)?
                .iter()
                .map(|n| check_number(n))
                .collect::<anyhow::Result<_>>()?,
        ),
        AttributeType::Binary => match v {
            Json::String(s) => scalar(s, &ScalarAttributeType::B)?,
            _ => bail!("expected base64 text"),
        },
        AttributeType::BinarySet => AttributeValue::Bs(
            strings(v)?
                .iter()
                .map(|s| {
                    BASE64
                        .decode(s)
                        .map(dynorm::aws_sdk_dynamodb::primitives::Blob::new)
                        .context("expected base64 text")
                })
                .collect::<anyhow::Result<_>>()?,
        ),
        AttributeType::NumberList => match v {
            Json::Array(a) => AttributeValue::L(
                a.iter()
                    .map(|x| typed_value(x, AttributeType::Number))
                    .collect::<anyhow::Result<_>>()?,
            ),
            _ => bail!("expected an array of numbers"),
        },
        _ => plain_value(v),
    })
}

fn plain_value(v: &Json) -> AttributeValue {
    match v {
        Json::Null => AttributeValue::Null(true),
        Json::Bool(b) => AttributeValue::Bool(*b),
        Json::Number(n) => AttributeValue::N(n.clone()),
        Json::String(s) => AttributeValue::S(s.clone()),
        Json::Array(a) => AttributeValue::L(a.iter().map(plain_value).collect()),
        Json::Object(m) => AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), plain_value(v))).collect()),
    }
}

fn render_line(item: &Item, format: ItemFormat) -> String {
    match format {
        ItemFormat::Json => item_to_json(item).to_string(),
        ItemFormat::DynamodbJson => item_to_dynamodb_json(item).to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// import

/// What [`write_batches`] did.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// Items written.
    pub(crate) written: usize,
    /// Items still unwritten after the last attempt.
    pub(crate) left: Vec<Item>,
}

/// What a schema file says about the table imported into: attribute types for plain JSON, and
/// the entities whose key attributes are computed from their fields.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Model<'a> {
    pub(crate) definition: Option<&'a TableDefinition>,
    pub(crate) entities: &'a [EntityDefinition],
}

impl Model<'_> {
    /// The attribute versioning this item (its entity's, else the table's), if any.
    pub(crate) fn version_attribute(&self, item: &Item) -> Option<String> {
        match dynorm::entity::backfill::classify(self.entities, item) {
            Some(entity) => entity.version.clone(),
            None => self.definition.and_then(|d| d.version_attribute.clone()),
        }
    }

    /// Whether any item of the table may be versioned.
    pub(crate) fn is_versioned(&self) -> bool {
        self.definition.is_some_and(|d| d.version_attribute.is_some())
            || self.entities.iter().any(|e| e.version.is_some())
    }
}

impl Keys {
    /// The table key of an item.
    pub(crate) fn key_of(&self, item: &Item) -> Item {
        std::iter::once(&self.partition.0)
            .chain(self.sort.as_ref().map(|(s, _)| s))
            .filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone())))
            .collect()
    }
}

/// Why [`put_checked`] did not write an item: DynamoDB's error type (or `VersionConflict`) and
/// the message.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) kind: String,
    pub(crate) message: String,
}

impl Refusal {
    fn model(e: &dynorm::Error) -> Self {
        let kind = if e.is_version_conflict() {
            "VersionConflict"
        } else {
            "ValidationError"
        };
        Refusal {
            kind: kind.to_owned(),
            message: e.to_string(),
        }
    }

    fn sdk<E, R>(e: &dynorm::aws_sdk_dynamodb::error::SdkError<E, R>) -> Self
    where
        E: dynorm::aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        use dynorm::aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
        Refusal {
            kind: e.code().unwrap_or("Error").to_owned(),
            message: e.message().map_or_else(|| sdk_message(e), str::to_owned),
        }
    }
}

/// Puts an item under the model's optimistic locking when it is versioned (expecting the
/// version it carries, storing the next: [`dynorm::untyped::VersionedPut`]), else as it is.
/// A refused version is a `VersionConflict` naming the table, key and both versions.
pub(crate) async fn put_checked(
    client: &dynorm::Client,
    table: &str,
    keys: &Keys,
    version: Option<&str>,
    item: Item,
) -> Result<Item, Refusal> {
    use dynorm::aws_sdk_dynamodb::operation::put_item::PutItemError;
    use dynorm::aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
    let Some(attribute) = version else {
        let sent = client
            .sdk()
            .put_item()
            .table_name(table)
            .set_item(Some(item.clone()))
            .send()
            .await;
        return sent.map(|_| item).map_err(|e| Refusal::sdk(&e));
    };
    let put = dynorm::untyped::VersionedPut::new(table, attribute, item).map_err(|e| Refusal::model(&e))?;
    let mut attributes = dynorm::expr::ExpressionAttributes::new();
    let condition = put
        .condition
        .render(&mut attributes)
        .map_err(|e| Refusal::model(&e))?;
    let (names, values) = attributes.into_parts();
    let key = keys.key_of(&put.item);
    let stored = put.item.clone();
    let sent = client
        .sdk()
        .put_item()
        .table_name(table)
        .set_item(Some(stored))
        .condition_expression(condition)
        .set_expression_attribute_names(names)
        .set_expression_attribute_values(values)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match sent {
        Ok(_) => Ok(put.item),
        Err(e) => match e.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                Err(Refusal::model(&put.conflict(&key, failed.item())))
            }
            _ => Err(Refusal::sdk(&e)),
        },
    }
}

/// The item with the key attributes and joined attributes its entity computes from its fields
/// (never written stale); an item whose table key disagrees with its fields is refused (it would
/// be another item).
pub(crate) fn with_computed_keys(mut item: Item, entities: &[EntityDefinition]) -> anyhow::Result<Item> {
    let Some(entity) = dynorm::entity::backfill::classify(entities, &item) else {
        return Ok(item);
    };
    let rewrite = entity
        .key_rewrite(&item)
        .map_err(|e| anyhow::anyhow!("entity `{}`: {e}", entity.name))?;
    if rewrite.needs_new_item() {
        bail!(
            "entity `{}`: the item's fields give another key ({rewrite}); fix the key or the fields",
            entity.name
        );
    }
    for (attribute, text) in rewrite.set.into_iter().chain(rewrite.joined) {
        item.insert(attribute, AttributeValue::S(text));
    }
    for attribute in rewrite.remove {
        item.remove(&attribute);
    }
    Ok(item)
}

/// The items of a file to import, read a line at a time (the file is never held whole): a bad
/// line is an error naming it. Items of an entity get the keys their fields give. Owns what it
/// reads with, so a batch can take the items as its requests go out.
struct ItemLines {
    path: PathBuf,
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    line: usize,
    format: ItemFormat,
    definition: Option<TableDefinition>,
    entities: Vec<EntityDefinition>,
    keys: Keys,
}

impl ItemLines {
    fn open(file: &Path, format: ItemFormat, model: Model<'_>, keys: &Keys) -> anyhow::Result<Self> {
        let reader = std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?,
        );
        Ok(Self {
            path: file.to_owned(),
            lines: reader.lines(),
            line: 0,
            format,
            definition: model.definition.cloned(),
            entities: model.entities.to_vec(),
            keys: keys.clone(),
        })
    }

    fn parse(&self, line: &str) -> anyhow::Result<Item> {
        let keys = &self.keys;
        let item = match self.format {
            ItemFormat::Json => Json::parse(line)
                .map_err(anyhow::Error::from)
                .and_then(|v| item_from_json(&v, self.definition.as_ref(), keys)),
            ItemFormat::DynamodbJson => serde_json::from_str::<Value>(line)
                .map_err(anyhow::Error::from)
                .and_then(|v| item_from_dynamodb_json(&v)),
        }?;
        for (k, _) in std::iter::once(&keys.partition).chain(keys.sort.as_ref()) {
            if !item.contains_key(k) {
                bail!("the key attribute `{k}` is missing");
            }
        }
        with_computed_keys(item, &self.entities)
    }
}

impl Iterator for ItemLines {
    type Item = anyhow::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = self.lines.next()?;
            self.line += 1;
            let n = self.line;
            let path = self.path.display();
            let item = line
                .with_context(|| format!("{path}:{n}: cannot read the line"))
                .and_then(|line| match line.trim().is_empty() {
                    true => Ok(None),
                    false => self
                        .parse(&line)
                        .map(Some)
                        .map_err(|e| anyhow::anyhow!("{path}:{n}: {}", super::one_message(&e))),
                });
            if let Some(item) = item.transpose() {
                return Some(item);
            }
        }
    }
}

/// `dynorm import`.
/// `versioned`: items of a versioned type are written one by one under optimistic locking
/// ([`put_checked`]); otherwise in batches, as given.
pub(crate) async fn import(
    client: &dynorm::Client,
    table: &str,
    file: &Path,
    format: ItemFormat,
    model: Model<'_>,
    versioned: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let keys = describe(client, table).await?;
    // Every line is checked before anything is written (a first pass that keeps nothing), then
    // read again as the batch sends it: memory stays bounded whatever the file's size.
    let mut total = 0;
    for item in ItemLines::open(file, format, model, &keys)? {
        item.map_err(|e| anyhow::anyhow!("{e}; nothing was imported: fix the line and run again"))?;
        total += 1;
    }
    if versioned {
        return import_versioned(client, table, file, format, model, &keys, total, out).await;
    }
    let bar = progress::items(
        Some(total as u64),
        &format!("importing into {table}"),
        progress::visible(false),
    );
    let key_names =
        std::iter::once(keys.partition.0.clone()).chain(keys.sort.as_ref().map(|(s, _)| s.clone()));
    let progress = bar.clone();
    // A line that no longer reads (the file changed since the check) ends the batch there.
    let changed = std::sync::Arc::new(std::sync::Mutex::new(None::<anyhow::Error>));
    let seen = changed.clone();
    let items = ItemLines::open(file, format, model, &keys)?.map_while(move |item| {
        item.map_err(|e| {
            if let Ok(mut slot) = seen.lock() {
                *slot = Some(e);
            }
        })
        .ok()
    });
    let outcome = client
        .batch_put_items(table, key_names, items)
        .retry(RetryPolicy::default())
        .on_progress(move |n| progress.inc(n as u64))
        .await;
    bar.finish_and_clear();
    let outcome = outcome.with_context(|| format!("writing to `{table}` failed"))?;
    if let Some(e) = changed.lock().ok().and_then(|mut slot| slot.take()) {
        bail!(
            "{e}: the file changed during the import; the {} item(s) before that line were written",
            outcome.written + outcome.superseded
        );
    }
    // A repeated key in a row is written once (the last line wins): every line counts as imported.
    let written = Written {
        written: outcome.written + outcome.superseded,
        left: outcome
            .unprocessed
            .into_iter()
            .map(|w| match w {
                dynorm::batch::UnprocessedWrite::Put(item)
                | dynorm::batch::UnprocessedWrite::Delete(item) => item,
            })
            .collect(),
    };

    writeln!(
        out,
        "imported {} of {total} item(s) into {table}",
        written.written
    )?;
    if !written.left.is_empty() {
        let rest = leftover_path(file);
        let mut text = String::new();
        for item in &written.left {
            let _ = writeln!(text, "{}", item_to_dynamodb_json(item));
        }
        std::fs::write(&rest, text)
            .with_context(|| format!("cannot write the unwritten items to {}", rest.display()))?;
        bail!(
            "{} item(s) were still throttled after {} attempts; they are in {}: run `dynorm import {table} {} --format dynamodb-json` again later",
            written.left.len(),
            RetryPolicy::default().max_attempts,
            rest.display(),
            rest.display()
        );
    }
    Ok(())
}

/// [`import`] of a table whose items may be versioned: one conditional put each; the items
/// refused for their version are saved next to the file and reported.
#[allow(clippy::too_many_arguments)]
async fn import_versioned(
    client: &dynorm::Client,
    table: &str,
    file: &Path,
    format: ItemFormat,
    model: Model<'_>,
    keys: &Keys,
    total: usize,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let bar = progress::items(
        Some(total as u64),
        &format!("importing into {table}"),
        progress::visible(false),
    );
    let (mut written, mut refused) = (0, Vec::new());
    for item in ItemLines::open(file, format, model, keys)? {
        let item = item.map_err(|e| {
            anyhow::anyhow!("{e}: the file changed during the import; {written} item(s) were written")
        })?;
        let version = model.version_attribute(&item);
        match put_checked(client, table, keys, version.as_deref(), item.clone()).await {
            Ok(_) => written += 1,
            Err(r) if r.kind == "VersionConflict" => refused.push((item, r.message)),
            Err(r) => bail!(
                "{}: {}; {written} item(s) were written before it",
                r.kind,
                r.message
            ),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    writeln!(out, "imported {written} of {total} item(s) into {table}")?;
    let Some((_, first)) = refused.first() else {
        return Ok(());
    };
    let rest = leftover_path(file);
    let text: String = refused
        .iter()
        .map(|(item, _)| format!("{}\n", item_to_dynamodb_json(item)))
        .collect();
    std::fs::write(&rest, text)
        .with_context(|| format!("cannot write the refused items to {}", rest.display()))?;
    bail!(
        "{} item(s) were refused for their version (the first: {first}); they are in {}: check them, or write them as given with `dynorm import {table} {} --format dynamodb-json --unguarded`",
        refused.len(),
        rest.display(),
        rest.display()
    )
}

fn leftover_path(file: &Path) -> PathBuf {
    let mut name = file.file_stem().unwrap_or_default().to_os_string();
    name.push(".unwritten.jsonl");
    file.with_file_name(name)
}

// ---------------------------------------------------------------------------------------------
// dump, get, query, scan

/// Scans or queries page by page, calling `each` with every item, until `limit` items.
async fn pages(
    client: &dynorm::Client,
    table: &str,
    query: Option<&Query>,
    limit: Option<usize>,
    mut each: impl FnMut(Item) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let mut start: Option<Item> = None;
    let mut count = 0;
    loop {
        if limit.is_some_and(|l| count >= l) {
            break;
        }
        let (items, next) = if let Some(q) = query {
            let out = client
                .sdk()
                .query()
                .table_name(table)
                .set_index_name(q.index.clone())
                .key_condition_expression(&q.condition)
                .set_expression_attribute_names(Some(q.names.clone()))
                .set_expression_attribute_values(Some(q.values.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("querying `{table}` failed: {}", sdk_message(&e)))?;
            (out.items.unwrap_or_default(), out.last_evaluated_key)
        } else {
            let out = client
                .sdk()
                .scan()
                .table_name(table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("scanning `{table}` failed: {}", sdk_message(&e)))?;
            (out.items.unwrap_or_default(), out.last_evaluated_key)
        };
        for item in items {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            each(item)?;
            count += 1;
        }
        match next {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    Ok(count)
}

/// A key condition.
#[derive(Debug)]
struct Query {
    index: Option<String>,
    condition: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

/// `dynorm dump`.
pub(crate) async fn dump(
    client: &dynorm::Client,
    table: &str,
    format: ItemFormat,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let keys = describe(client, table).await?;
    let bar = progress::items(
        keys.item_count,
        &format!("dumping {table}"),
        progress::visible(output.is_none()),
    );
    let mut file = match output {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let count = pages(client, table, None, None, |item| {
        let line = render_line(&item, format);
        match &mut file {
            Some(f) => writeln!(f, "{line}")?,
            None => writeln!(out, "{line}")?,
        }
        bar.inc(1);
        Ok(())
    })
    .await;
    bar.finish_and_clear();
    let count = count?;
    if let (Some(mut f), Some(p)) = (file, output) {
        f.flush()
            .with_context(|| format!("cannot write {}", p.display()))?;
        writeln!(out, "dumped {count} item(s) from {table} to {}", p.display())?;
    }
    Ok(())
}

/// `dynorm get`.
pub(crate) async fn get(
    client: &dynorm::Client,
    table: &str,
    key: &[String],
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let keys = describe(client, table).await?;
    let wanted = 1 + usize::from(keys.sort.is_some());
    if key.len() != wanted {
        let names: Vec<&str> = std::iter::once(&keys.partition)
            .chain(keys.sort.as_ref())
            .map(|(n, _)| n.as_str())
            .collect();
        bail!(
            "table `{table}` has the key {}: give {wanted} value(s), not {}",
            names.join(", "),
            key.len()
        );
    }
    let mut k = Item::new();
    for ((name, t), value) in std::iter::once(&keys.partition)
        .chain(keys.sort.as_ref())
        .zip(key)
    {
        k.insert(
            name.clone(),
            scalar(value, t).with_context(|| format!("key `{name}`"))?,
        );
    }
    let found = client
        .sdk()
        .get_item()
        .table_name(table)
        .set_key(Some(k))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("reading `{table}` failed: {}", sdk_message(&e)))?;
    let Some(item) = found.item.filter(|i| !i.is_empty()) else {
        bail!("no item in `{table}` with the key {}", key.join(", "));
    };
    print_items(&[item], &keys, json, out)
}

/// `dynorm query`.
pub(crate) async fn query(
    client: &dynorm::Client,
    table: &str,
    partition: &str,
    index: Option<&str>,
    begins_with: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let keys = describe(client, table).await?;
    let (pk, sk) = match index {
        None => (keys.partition.clone(), keys.sort.clone()),
        Some(i) => match keys.indexes.get(i) {
            Some(pair) => pair.clone(),
            None => {
                let mut known: Vec<&str> = keys.indexes.keys().map(String::as_str).collect();
                known.sort_unstable();
                bail!(
                    "table `{table}` has no index `{i}` (its indexes: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            }
        },
    };
    let mut q = Query {
        index: index.map(str::to_owned),
        condition: "#pk = :pk".to_owned(),
        names: HashMap::from([("#pk".to_owned(), pk.0.clone())]),
        values: HashMap::from([(
            ":pk".to_owned(),
            scalar(partition, &pk.1).with_context(|| format!("key `{}`", pk.0))?,
        )]),
    };
    if let Some(prefix) = begins_with {
        let Some((sk_name, sk_type)) = &sk else {
            bail!("--sort-begins-with needs a sort key, and `{table}` has none here");
        };
        if *sk_type == ScalarAttributeType::N {
            bail!("--sort-begins-with needs a string or binary sort key; `{sk_name}` is a number");
        }
        q.condition.push_str(" AND begins_with(#sk, :sk)");
        q.names.insert("#sk".to_owned(), sk_name.clone());
        q.values.insert(":sk".to_owned(), scalar(prefix, sk_type)?);
    }
    let mut items = Vec::new();
    pages(client, table, Some(&q), None, |item| {
        items.push(item);
        Ok(())
    })
    .await?;
    print_items(&items, &keys, json, out)
}

/// `dynorm scan`.
pub(crate) async fn scan(
    client: &dynorm::Client,
    table: &str,
    limit: Option<usize>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let keys = describe(client, table).await?;
    let total = match limit {
        Some(l) => keys.item_count.map(|n| n.min(l as u64)),
        None => keys.item_count,
    };
    let bar = progress::items(total, &format!("scanning {table}"), progress::visible(true));
    let mut items = Vec::new();
    let scanned = pages(client, table, None, limit, |item| {
        items.push(item);
        bar.inc(1);
        Ok(())
    })
    .await;
    bar.finish_and_clear();
    scanned?;
    print_items(&items, &keys, json, out)
}

/// Items as JSON Lines, or as an aligned text table: key attributes first, then the others by
/// name.
fn print_items(items: &[Item], keys: &Keys, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if json {
        for item in items {
            writeln!(out, "{}", item_to_json(item))?;
        }
        return Ok(());
    }
    out.write_all(text_table(items, keys).as_bytes())?;
    Ok(())
}

fn text_table(items: &[Item], keys: &Keys) -> String {
    if items.is_empty() {
        return "(no items)\n".to_owned();
    }
    let mut columns: Vec<String> = std::iter::once(&keys.partition)
        .chain(keys.sort.as_ref())
        .map(|(n, _)| n.clone())
        .collect();
    let rest: BTreeSet<&String> = items
        .iter()
        .flat_map(|i| i.keys())
        .filter(|k| !columns.contains(k))
        .collect();
    columns.extend(rest.into_iter().cloned());
    let cell = |v: &AttributeValue| match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.clone(),
        other => value_to_json(other).to_string(),
    };
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            columns
                .iter()
                .map(|c| i.get(c).map(cell).unwrap_or_default().replace('\n', "\\n"))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(c, name)| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain(std::iter::once(name.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (c, text) in cells.iter().enumerate() {
            if c > 0 {
                l.push_str("  ");
            }
            l.push_str(text);
            l.extend(std::iter::repeat_n(' ', widths[c] - text.chars().count()));
        }
        let _ = writeln!(s, "{}", l.trim_end());
    };
    line(&columns);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&rule);
    for r in &rows {
        line(r);
    }
    let _ = writeln!(s, "{} item(s)", items.len());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamodb_json_round_trips() {
        let v: Value = serde_json::json!({
            "id": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AAE="}, "ok": {"BOOL": true},
            "none": {"NULL": true}, "m": {"M": {"x": {"L": [{"S": "y"}]}}},
            "ss": {"SS": ["p", "q"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AAE="]}
        });
        let item = item_from_dynamodb_json(&v).unwrap();
        assert_eq!(item_to_dynamodb_json(&item), v);
        assert!(item_from_dynamodb_json(&serde_json::json!({"id": {"Q": "a"}})).is_err());
    }
}

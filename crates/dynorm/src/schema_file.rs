//! Schema files: an application's table definitions saved to and loaded from TOML, YAML or JSON,
//! chosen by the file's extension (`.toml`, `.yaml`/`.yml`, `.json`).
//!
//! JSON always works; TOML and YAML need the `schema-files` feature. The file holds one top-level
//! `tables` list, each entry a [`TableDefinition`] in its serde form. In TOML:
//!
//! ```toml
//! [[tables]]
//! name = "users"
//! description = "People who can sign in."
//! partition_key = "id"
//! billing = { provisioned = { read = 5, write = 5 } }
//! ttl_attribute = "expires_at"
//!
//! [[tables.attributes]]
//! name = "id"
//! type = "string"
//!
//! [[tables.attributes]]
//! name = "email"
//! type = "string"
//!
//! [[tables.attributes]]
//! name = "expires_at"
//! type = "datetime_epoch"
//! optional = true
//!
//! [[tables.global_secondary_indexes]]
//! name = "by-email"
//! partition_key = "email"
//! projection = { include = ["id"] }   # or "all" (the default) or "keys_only"
//! ```
//!
//! A single table shared by several entity types also lists its `entities`, each an
//! [`EntityDefinition`] (what `#[derive(Entity)]` declares): its fields, the template of each
//! key attribute of the table and of its indexes, and its joined attributes. `dynorm schema docs`
//! documents their access patterns and `dynorm backfill` rewrites stored keys from them:
//!
//! ```toml
//! [[entities]]
//! name = "Integration"
//! table = "app"
//! entity_attribute = "__entity"
//! fields = [
//!     { name = "tenant_name" },
//!     { name = "integration_id", stored = "IntegrationId" },
//!     { name = "enabled" },
//!     { name = "owner", optional = true },
//! ]
//! keys = [
//!     { attribute = "pk", template = "T#{tenant_name}#Integrations" },
//!     { attribute = "sk", template = "I#{integration_id}" },
//!     { index = "gsi1", attribute = "gsi1pk", template = "OWNER#{owner}", sparse = true },
//!     { index = "gsi1", attribute = "gsi1sk", template = "I#{integration_id}", sparse = true },
//! ]
//! ```
//!
//! Loading checks every table against DynamoDB's rules, and every entity against its table (each
//! key attribute a string key of the table or of the index named, templates that parse and read
//! fields or joined attributes), and reports every problem at once, each with the file, the line
//! and column (of the syntax error, or where the table or entity starts) and its name:
//!
//! ```
//! use dynorm::schema_file::{Schema, SchemaFormat};
//!
//! let text = r#"{ "tables": [
//!   { "name": "users", "partition_key": "id",
//!     "attributes": [{ "name": "id", "type": "string" }] },
//!   { "name": "x", "partition_key": "pk" }
//! ] }"#;
//! let err = Schema::parse(text, SchemaFormat::Json, "schema.json").unwrap_err();
//! let message = err.to_string();
//! assert!(message.contains("schema.json:4:3: table `x`: table name `x` must be"), "{message}");
//! assert!(message.contains("schema.json:4:3: table `x`: partition key `pk` is not a declared attribute"));
//!
//! let text = r#"{
//!   "tables": [{ "name": "app", "partition_key": "pk",
//!                "attributes": [{ "name": "pk", "type": "string" }] }],
//!   "entities": [{ "name": "User", "table": "app", "fields": [{ "name": "id" }],
//!                  "keys": [{ "attribute": "pk", "template": "U#{user_id}" }] }]
//! }"#;
//! let err = Schema::parse(text, SchemaFormat::Json, "schema.json").unwrap_err();
//! assert!(err.to_string().contains(
//!     "schema.json:4:16: entity `User`: the table key `pk`: template `U#{user_id}` reads `{user_id}`, \
//!      which is neither a field nor a joined attribute (fields: `id`)"
//! ), "{err}");
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::definition::TableDefinition;
use crate::entity::EntityDefinition;

/// The table definitions of an application, and the entities stored in its single tables: what a
/// schema file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The tables, in file order.
    #[serde(default)]
    pub tables: Vec<TableDefinition>,
    /// The entity types of single tables (what `#[derive(Entity)]` declares, as
    /// [`Entity::entity_definition`](crate::entity::Entity::entity_definition) gives it), in
    /// file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<EntityDefinition>,
}

/// The format of a schema file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaFormat {
    /// TOML (`.toml`; needs the `schema-files` feature).
    Toml,
    /// YAML (`.yaml`, `.yml`; needs the `schema-files` feature).
    Yaml,
    /// JSON (`.json`).
    Json,
}

impl SchemaFormat {
    /// The format a file's extension names (case-insensitive).
    ///
    /// ```
    /// use dynorm::schema_file::SchemaFormat;
    /// assert_eq!(SchemaFormat::from_path("app/schema.yml".as_ref())?, SchemaFormat::Yaml);
    /// assert!(SchemaFormat::from_path("schema.txt".as_ref()).is_err());
    /// # Ok::<(), dynorm::schema_file::SchemaError>(())
    /// ```
    pub fn from_path(path: &Path) -> Result<Self, SchemaError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Ok(SchemaFormat::Toml),
            "yaml" | "yml" => Ok(SchemaFormat::Yaml),
            "json" => Ok(SchemaFormat::Json),
            _ => Err(SchemaError::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }

    /// `TOML`, `YAML` or `JSON`.
    pub fn name(self) -> &'static str {
        match self {
            SchemaFormat::Toml => "TOML",
            SchemaFormat::Yaml => "YAML",
            SchemaFormat::Json => "JSON",
        }
    }
}

impl fmt::Display for SchemaFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A line and column in a schema file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column (in characters), from 1.
    pub column: usize,
}

impl Location {
    /// The location of a byte offset in a text.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let before = text.get(..offset.min(text.len())).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
        Self { line, column }
    }
}

/// One problem found in a schema file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// Where: the syntax error itself, or the start of the table concerned.
    pub location: Option<Location>,
    /// The table concerned (its name, or `#<n>` counted from 1 when it has none).
    pub table: Option<String>,
    /// The entity concerned (its name, or `#<n>` counted from 1 when it has none).
    pub entity: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in one schema file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SchemaProblems {
    /// The file (or the origin given to [`Schema::parse`]).
    pub file: String,
    /// The problems, in file order.
    pub problems: Vec<SchemaProblem>,
}

impl fmt::Display for SchemaProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} has {} problem(s):", self.file, self.problems.len())?;
        for p in &self.problems {
            write!(f, "\n  {}", self.file)?;
            if let Some(l) = p.location {
                write!(f, ":{}:{}", l.line, l.column)?;
            }
            f.write_str(": ")?;
            if let Some(t) = &p.table {
                write!(f, "table `{t}`: ")?;
            }
            if let Some(e) = &p.entity {
                write!(f, "entity `{e}`: ")?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

/// Why a schema file could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The extension names no supported format.
    #[error("cannot tell the format of `{}`: use a .toml, .yaml, .yml or .json file", .path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },

    /// The format needs a crate feature that is not enabled.
    #[error("{format} schema files need dynorm's `schema-files` feature (file `{file}`)")]
    FeatureDisabled {
        /// The format asked for.
        format: SchemaFormat,
        /// The file.
        file: String,
    },

    /// The file could not be read or written.
    #[error("cannot {action} `{}`: {source}", .path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The file is not a valid schema; every problem is listed with its location.
    #[error(transparent)]
    Invalid(#[from] SchemaProblems),

    /// The schema could not be written in the format.
    #[error("cannot write the schema as {format}: {message}")]
    Serialize {
        /// The format.
        format: SchemaFormat,
        /// The serializer's message.
        message: String,
    },
}

impl Schema {
    /// A schema of these tables (and no entities).
    pub fn new(tables: Vec<TableDefinition>) -> Self {
        Self {
            tables,
            entities: Vec::new(),
        }
    }

    /// The schema with these entities too.
    pub fn with_entities(mut self, entities: impl IntoIterator<Item = EntityDefinition>) -> Self {
        self.entities.extend(entities);
        self
    }

    /// The table with this name.
    pub fn table(&self, name: &str) -> Option<&TableDefinition> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The entities stored in the table with this name, in file order.
    pub fn entities_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a EntityDefinition> + 'a {
        self.entities.iter().filter(move |e| e.table == table)
    }

    /// Reads a schema file, in the format its extension names, and checks every table and entity.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let path = path.as_ref();
        let format = SchemaFormat::from_path(path)?;
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, format, &path.display().to_string())
    }

    /// Parses schema text and checks every table and entity; `origin` names the text in problems.
    ///
    /// JSON also accepts a bare array of tables (the older `dynorm schema check` form).
    pub fn parse(text: &str, format: SchemaFormat, origin: &str) -> Result<Self, SchemaError> {
        let raw = match format {
            SchemaFormat::Json => raw_json(text),
            SchemaFormat::Toml => raw_toml(text, origin)?,
            SchemaFormat::Yaml => raw_yaml(text, origin)?,
        };
        let raw = raw.map_err(|p| SchemaProblems {
            file: origin.to_owned(),
            problems: vec![p],
        })?;
        Ok(check(raw, origin)?)
    }

    /// Checks every table and entity, and that names are unique; problems carry no location.
    pub fn validate(&self) -> Result<(), SchemaProblems> {
        fn unlocated<T: Serialize>(list: &[T]) -> Vec<RawEntry> {
            list.iter()
                .map(|t| RawEntry {
                    location: None,
                    value: serde_json::to_value(t).unwrap_or(serde_json::Value::Null),
                })
                .collect()
        }
        let raw = RawSchema {
            tables: unlocated(&self.tables),
            entities: unlocated(&self.entities),
        };
        check(raw, "schema").map(|_| ())
    }

    /// The schema as text in a format (trailing newline included).
    pub fn to_text(&self, format: SchemaFormat) -> Result<String, SchemaError> {
        let serialize = |message: String| SchemaError::Serialize { format, message };
        match format {
            SchemaFormat::Json => serde_json::to_string_pretty(self)
                .map(|mut s| {
                    s.push('\n');
                    s
                })
                .map_err(|e| serialize(e.to_string())),
            #[cfg(feature = "schema-files")]
            SchemaFormat::Toml => toml::to_string_pretty(self).map_err(|e| serialize(e.to_string())),
            #[cfg(feature = "schema-files")]
            SchemaFormat::Yaml => serde_saphyr::to_string(self).map_err(|e| serialize(e.to_string())),
            #[cfg(not(feature = "schema-files"))]
            SchemaFormat::Toml | SchemaFormat::Yaml => Err(SchemaError::FeatureDisabled {
                format,
                file: String::new(),
            }),
        }
    }

    /// Writes the schema to a file, in the format its extension names.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SchemaError> {
        let path = path.as_ref();
        let format = SchemaFormat::from_path(path)?;
        let text = self.to_text(format).map_err(|e| match e {
            SchemaError::FeatureDisabled { format, .. } => SchemaError::FeatureDisabled {
                format,
                file: path.display().to_string(),
            },
            other => other,
        })?;
        std::fs::write(path, text).map_err(|source| SchemaError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
    }
}

/// One table or entity as parsed, before it is read as a definition.
struct RawEntry {
    location: Option<Location>,
    value: serde_json::Value,
}

/// The tables and entities as parsed.
#[derive(Default)]
struct RawSchema {
    tables: Vec<RawEntry>,
    entities: Vec<RawEntry>,
}

type RawResult = Result<RawSchema, SchemaProblem>;

fn syntax(location: Option<Location>, message: impl fmt::Display) -> SchemaProblem {
    SchemaProblem {
        location,
        table: None,
        entity: None,
        message: message.to_string(),
    }
}

/// Reads a definition, naming the path inside it where it went wrong.
fn read<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let message = e.inner().to_string();
        let mut path = e.path().to_string();
        if message.starts_with("unknown field") {
            // The path ends with the unknown field, which the message names already.
            path = path
                .rsplit_once('.')
                .map_or(String::new(), |(parent, _)| parent.to_owned());
        }
        if path.is_empty() || path == "." {
            message
        } else {
            format!("at `{path}`: {message}")
        }
    })
}

/// The entry's name, or `#<n>` counted from 1.
fn label(value: &serde_json::Value, i: usize) -> String {
    value
        .get("name")
        .and_then(|n| n.as_str())
        .map_or_else(|| format!("#{}", i + 1), str::to_owned)
}

/// Reads each table, then validates it, then checks names are unique; then each entity, checked
/// against its table; collects every problem.
fn check(raw: RawSchema, origin: &str) -> Result<Schema, SchemaProblems> {
    let mut problems = Vec::new();
    let mut tables = Vec::new();
    let mut names = BTreeSet::new();
    for (i, RawEntry { location, value }) in raw.tables.into_iter().enumerate() {
        let label = label(&value, i);
        let problem = |message: String| SchemaProblem {
            location,
            table: Some(label.clone()),
            entity: None,
            message,
        };
        match read::<TableDefinition>(value) {
            Err(message) => problems.push(problem(message)),
            Ok(t) => {
                problems.extend(t.problems().into_iter().map(&problem));
                if !names.insert(t.name.clone()) {
                    problems.push(problem("another table has the same name".to_owned()));
                }
                tables.push(t);
            }
        }
    }
    let mut entities: Vec<EntityDefinition> = Vec::new();
    for (i, RawEntry { location, value }) in raw.entities.into_iter().enumerate() {
        let label = label(&value, i);
        let problem = |message: String| SchemaProblem {
            location,
            table: None,
            entity: Some(label.clone()),
            message,
        };
        let e = match read::<EntityDefinition>(value) {
            Err(message) => {
                problems.push(problem(message));
                continue;
            }
            Ok(e) => e,
        };
        match tables.iter().find(|t| t.name == e.table) {
            Some(t) => problems.extend(e.problems_in(t).into_iter().map(&problem)),
            None => {
                problems.extend(e.problems().into_iter().map(&problem));
                let known: Vec<String> = tables.iter().map(|t| format!("`{}`", t.name)).collect();
                problems.push(problem(format!(
                    "its table `{}` is not in the schema (its tables: {})",
                    e.table,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        let same_table = entities.iter().filter(|o| o.table == e.table);
        for other in same_table {
            if other.name == e.name {
                problems.push(problem(format!(
                    "another entity of table `{}` has the same name",
                    e.table
                )));
            } else if other.entity_attribute != e.entity_attribute {
                let shown =
                    |a: &Option<String>| a.as_ref().map_or_else(|| "none".to_owned(), |a| format!("`{a}`"));
                problems.push(problem(format!(
                    "its entity-type attribute is {}, but entity `{}` of the same table uses {}; a table has one layout",
                    shown(&e.entity_attribute),
                    other.name,
                    shown(&other.entity_attribute)
                )));
            }
        }
        entities.push(e);
    }
    if problems.is_empty() {
        Ok(Schema { tables, entities })
    } else {
        Err(SchemaProblems {
            file: origin.to_owned(),
            problems,
        })
    }
}

/// The keys a schema file may have at its top level.
const TOP_LEVEL: [&str; 2] = ["tables", "entities"];

fn raw_json(text: &str) -> RawResult {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        syntax(
            Some(Location {
                line: e.line(),
                column: e.column(),
            }),
            e,
        )
    })?;
    let located = |list: Vec<serde_json::Value>, offsets: Vec<usize>| -> Vec<RawEntry> {
        list.into_iter()
            .enumerate()
            .map(|(i, value)| RawEntry {
                location: offsets.get(i).map(|&o| Location::of_offset(text, o)),
                value,
            })
            .collect()
    };
    match value {
        serde_json::Value::Array(list) => Ok(RawSchema {
            tables: located(list, json_list_offsets(text, None)),
            entities: Vec::new(),
        }),
        serde_json::Value::Object(mut map) => {
            if let Some(key) = map.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
                return Err(syntax(
                    None,
                    format!("unknown top-level key `{key}`, expected `tables` or `entities`"),
                ));
            }
            let mut list = |key: &str, what: &str| match map.remove(key) {
                None => Ok(Vec::new()),
                Some(serde_json::Value::Array(list)) => Ok(located(list, json_list_offsets(text, Some(key)))),
                Some(_) => Err(syntax(None, format!("`{key}` must be a list of {what}"))),
            };
            Ok(RawSchema {
                tables: list("tables", "table definitions")?,
                entities: list("entities", "entity definitions")?,
            })
        }
        _ => Err(syntax(None, "expected an object with a `tables` list")),
    }
}

/// Byte offsets where the elements of a list start: those of the top-level array (`key` `None`),
/// or those of the array under the top-level key `key`. The text is known to be valid JSON.
fn json_list_offsets(text: &str, key: Option<&str>) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut offsets = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    // The depth of the list's elements, once known; and whether one may start next.
    let mut list_depth: Option<usize> = None;
    let mut expect_element = false;
    // The last string read at depth 1 in the top-level object, to spot the key.
    let mut last_key: Option<(usize, usize)> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if expect_element && Some(depth) == list_depth && b != b']' {
            offsets.push(i);
            expect_element = false;
        }
        match b {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 {
                    last_key = Some((start, i.min(bytes.len())));
                }
            }
            b'[' | b'{' => {
                if depth == 0 && b == b'[' && key.is_none() {
                    list_depth = Some(1);
                    expect_element = true;
                } else if depth == 1
                    && b == b'['
                    && list_depth.is_none()
                    && key.is_some()
                    && last_key.and_then(|(s, e)| text.get(s..e)) == key
                {
                    list_depth = Some(2);
                    expect_element = true;
                }
                depth += 1;
            }
            b']' | b'}' => {
                if Some(depth) == list_depth && b == b']' {
                    list_depth = Some(usize::MAX);
                }
                depth = depth.saturating_sub(1);
            }
            b',' if Some(depth) == list_depth => expect_element = true,
            _ => {}
        }
        i += 1;
    }
    offsets
}

#[cfg(feature = "schema-files")]
fn raw_toml(text: &str, _origin: &str) -> Result<RawResult, SchemaError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[serde(default)]
        tables: Vec<toml::Spanned<serde_json::Value>>,
        #[serde(default)]
        entities: Vec<toml::Spanned<serde_json::Value>>,
    }
    let located = |list: Vec<toml::Spanned<serde_json::Value>>, header: &str| -> Vec<RawEntry> {
        list.into_iter()
            .map(|t| RawEntry {
                location: Some(Location::of_offset(
                    text,
                    toml_entry_start(text, t.span().start, header),
                )),
                value: t.into_inner(),
            })
            .collect()
    };
    Ok(match toml::from_str::<Raw>(text) {
        Ok(raw) => Ok(RawSchema {
            tables: located(raw.tables, "[[tables]]"),
            entities: located(raw.entities, "[[entities]]"),
        }),
        Err(e) => {
            let location = e.span().map(|s| Location::of_offset(text, s.start));
            Err(syntax(location, e.message().trim_end()))
        }
    })
}

/// The start of the `header` (`[[tables]]`, `[[entities]]`) owning a body that starts at
/// `offset` (TOML gives the body's span), or `offset` itself for inline tables.
#[cfg(feature = "schema-files")]
fn toml_entry_start(text: &str, offset: usize, header: &str) -> usize {
    let before = text.get(..offset).unwrap_or(text);
    match before.rfind(header) {
        Some(at) if before[at..].trim_end().len() == header.len() => at,
        _ => offset,
    }
}

#[cfg(feature = "schema-files")]
fn raw_yaml(text: &str, _origin: &str) -> Result<RawResult, SchemaError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[serde(default)]
        tables: Vec<serde_saphyr::Spanned<serde_json::Value>>,
        #[serde(default)]
        entities: Vec<serde_saphyr::Spanned<serde_json::Value>>,
    }
    let location = |l: serde_saphyr::Location| {
        (l.line() > 0).then(|| Location {
            line: usize::try_from(l.line()).unwrap_or(usize::MAX),
            column: usize::try_from(l.column()).unwrap_or(usize::MAX),
        })
    };
    let located = |list: Vec<serde_saphyr::Spanned<serde_json::Value>>| -> Vec<RawEntry> {
        list.into_iter()
            .map(|t| RawEntry {
                location: location(t.referenced),
                value: t.value,
            })
            .collect()
    };
    Ok(match serde_saphyr::from_str::<Raw>(text) {
        Ok(raw) => Ok(RawSchema {
            tables: located(raw.tables),
            entities: located(raw.entities),
        }),
        Err(e) => Err(syntax(e.location().and_then(location), yaml_message(&e))),
    })
}

/// The parser's message without its rendered source snippet.
#[cfg(feature = "schema-files")]
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // Drop the parser's own "line L column C: " prefix; the location is reported separately.
    match first.split_once(": ") {
        Some((place, rest)) if place.starts_with("line ") && place.contains(" column ") => rest.to_owned(),
        _ => first.to_owned(),
    }
}

#[cfg(not(feature = "schema-files"))]
fn raw_toml(_text: &str, origin: &str) -> Result<RawResult, SchemaError> {
    Err(SchemaError::FeatureDisabled {
        format: SchemaFormat::Toml,
        file: origin.to_owned(),
    })
}

#[cfg(not(feature = "schema-files"))]
fn raw_yaml(_text: &str, origin: &str) -> Result<RawResult, SchemaError> {
    Err(SchemaError::FeatureDisabled {
        format: SchemaFormat::Yaml,
        file: origin.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_offsets_find_each_table() {
        let text = r#"{"x": [[1]], "tables": [ {"name": "a,]"}, [], {"b": [1, 2]} ]}"#;
        let offsets = json_list_offsets(text, Some("tables"));
        let starts: Vec<&str> = offsets.iter().map(|&o| &text[o..o + 2]).collect();
        assert_eq!(starts, ["{\"", "[]", "{\""]);
        assert_eq!(json_list_offsets("[ {}, {} ]", None), [2, 6]);
        let text = r#"{"entities": [{"name": "E"}], "tables": [{}]}"#;
        assert_eq!(json_list_offsets(text, Some("entities")), [14]);
        assert_eq!(json_list_offsets(text, Some("tables")), [41]);
    }

    #[test]
    fn locations_count_from_one() {
        assert_eq!(Location::of_offset("ab\ncd", 4), Location { line: 2, column: 2 });
        assert_eq!(Location::of_offset("", 0), Location { line: 1, column: 1 });
    }
}

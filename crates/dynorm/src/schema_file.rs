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
//! projection = { include = ["id"] }   # or "all" (the default) or "keys_only" / "keys-only"
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
//! schema_version = 2   # optional: the version of the shape it stores (`schema docs` shows it)
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
//! fields or joined attributes), and reports every problem of the file at once, sorted by
//! position, each with the file, the line and column of the key or value concerned (or of the
//! syntax error), the table or entity it is in, and that line with a caret under the place, the
//! way rustc and cargo show them. A file that defines no table is refused too:
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
//! assert!(message.contains("schema.json:4:13: table `x`: table name `x` must be"), "{message}");
//! assert!(message.contains("schema.json:4:35: table `x`: partition key `pk` is not a declared attribute"));
//!
//! let text = r#"{
//!   "tables": [{ "name": "app", "partition_key": "pk",
//!                "attributes": [{ "name": "pk", "type": "string" }] }],
//!   "entities": [{ "name": "User", "table": "app", "fields": [{ "name": "id" }],
//!                  "keys": [{ "attribute": "pk", "template": "U#{user_id}" }] }]
//! }"#;
//! let err = Schema::parse(text, SchemaFormat::Json, "schema.json").unwrap_err();
//! assert!(err.to_string().contains(
//!     "schema.json:5:60: entity `User`: the table key `pk`: template `U#{user_id}` reads `{user_id}`, \
//!      which is neither a field nor a joined attribute (fields: `id`)"
//! ), "{err}");
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::definition::TableDefinition;
use crate::entity::EntityDefinition;
use crate::infra::iam::Consumer;

mod tree;
use tree::{Kind, Node, Step};

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
    /// What may use the tables, each with an access level per table (Stelvio's `links`); each
    /// gets one IAM policy ([`crate::infra::iam::consumers_cloudformation`] and siblings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<Consumer>,
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
    /// Where: the syntax error itself, or the key or value concerned.
    pub location: Option<Location>,
    /// The table concerned (its name, or `#<n>` counted from 1 when it has none).
    pub table: Option<String>,
    /// The entity concerned (its name, or `#<n>` counted from 1 when it has none).
    pub entity: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The text of the line at `location`, shown under the problem with a caret.
    pub source_line: Option<String>,
}

/// Every problem found in one schema file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SchemaProblems {
    /// The file (or the origin given to [`Schema::parse`]).
    pub file: String,
    /// The problems, in file order (by line and column).
    pub problems: Vec<SchemaProblem>,
}

impl SchemaProblems {
    /// The problems of a file, sorted by where they are, each with its line of `text`.
    fn of_text(file: &str, text: Option<&str>, mut problems: Vec<SchemaProblem>) -> Self {
        problems.sort_by_key(|p| p.location);
        if let Some(text) = text {
            for p in &mut problems {
                p.source_line = p
                    .location
                    .and_then(|l| text.lines().nth(l.line.saturating_sub(1)))
                    .map(|l| l.trim_end().to_owned());
            }
        }
        Self {
            file: file.to_owned(),
            problems,
        }
    }
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
            if let (Some(l), Some(line)) = (p.location, &p.source_line) {
                // As rustc and cargo show it: the line, and a caret under the place.
                let number = l.line.to_string();
                let pad = " ".repeat(number.len());
                let indent: String = line
                    .chars()
                    .take(l.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let carets = "^".repeat(caret_width(line, l.column));
                write!(
                    f,
                    "\n   {pad} |\n   {number} | {line}\n   {pad} | {indent}{carets}"
                )?;
            }
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
            consumers: Vec::new(),
        }
    }

    /// The schema with these consumers too.
    pub fn with_consumers(mut self, consumers: impl IntoIterator<Item = Consumer>) -> Self {
        self.consumers.extend(consumers);
        self
    }

    /// The consumer with this name.
    pub fn consumer(&self, name: &str) -> Option<&Consumer> {
        self.consumers.iter().find(|c| c.name == name)
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
        let root = match format {
            SchemaFormat::Json => tree::json(text),
            #[cfg(feature = "schema-files")]
            SchemaFormat::Toml => tree::toml(text),
            #[cfg(feature = "schema-files")]
            SchemaFormat::Yaml => tree::yaml(text),
            #[cfg(not(feature = "schema-files"))]
            SchemaFormat::Toml | SchemaFormat::Yaml => {
                return Err(SchemaError::FeatureDisabled {
                    format,
                    file: origin.to_owned(),
                });
            }
        };
        let mut problems = Problems::default();
        match root {
            Err((location, message)) => problems.push(location, None, None, message),
            Ok(root) => {
                let [tables, entities, consumers] = top_level(&root, &mut problems);
                let schema = check(
                    [entries(tables), entries(entities), entries(consumers)],
                    &mut problems,
                );
                if problems.list.is_empty() {
                    return Ok(schema);
                }
            }
        }
        Err(SchemaProblems::of_text(origin, Some(text), problems.list).into())
    }

    /// Checks every table and entity, and that names are unique; problems carry no location.
    pub fn validate(&self) -> Result<(), SchemaProblems> {
        fn unlocated<T: Serialize>(list: &[T]) -> Vec<Entry<'static>> {
            list.iter()
                .map(|t| Entry {
                    node: None,
                    value: serde_json::to_value(t).unwrap_or(serde_json::Value::Null),
                })
                .collect()
        }
        let mut problems = Problems::default();
        let lists = [
            unlocated(&self.tables),
            unlocated(&self.entities),
            unlocated(&self.consumers),
        ];
        check(lists, &mut problems);
        if problems.list.is_empty() {
            Ok(())
        } else {
            Err(SchemaProblems::of_text("schema", None, problems.list))
        }
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

/// One table or entity to read: its value, and where it sits in the file (when it came from one).
struct Entry<'a> {
    node: Option<&'a Node>,
    value: serde_json::Value,
}

/// The entries of these nodes.
fn entries(list: Vec<&Node>) -> Vec<Entry<'_>> {
    list.into_iter()
        .map(|n| Entry {
            node: Some(n),
            value: n.to_json(),
        })
        .collect()
}

impl Entry<'_> {
    fn at(&self) -> Option<Location> {
        self.node.map(|n| n.at)
    }
}

/// The problems found so far.
#[derive(Default)]
struct Problems {
    list: Vec<SchemaProblem>,
}

impl Problems {
    fn push(
        &mut self,
        location: Option<Location>,
        table: Option<&str>,
        entity: Option<&str>,
        message: String,
    ) {
        self.list.push(SchemaProblem {
            location,
            table: table.map(str::to_owned),
            entity: entity.map(str::to_owned),
            message,
            source_line: None,
        });
    }
}

/// A problem found by serde while reading an entry: where (a path inside it) and what.
struct ReadError {
    path: Vec<Step>,
    message: String,
}

impl ReadError {
    /// `at `path`: message`, or the message alone for the entry itself.
    fn describe(&self) -> String {
        let mut path = String::new();
        // The unknown field is named by the message already.
        let shown = if self.message.starts_with("unknown field") {
            self.path.split_last().map_or(&[][..], |(_, rest)| rest)
        } else {
            &self.path[..]
        };
        for step in shown {
            match step {
                Step::Key(k) if path.is_empty() => path.push_str(k),
                Step::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        // Messages that start by naming their key need no path.
        let named = shown
            .last()
            .is_some_and(|s| matches!(s, Step::Key(k) if self.message.starts_with(&format!("`{k}` "))));
        if path.is_empty() || named {
            self.message.clone()
        } else {
            format!("at `{path}`: {}", self.message)
        }
    }

    /// Where in the entry's tree the problem is: the unknown key, the map missing a field, or
    /// the value serde refused.
    fn location(&self, node: &Node) -> Location {
        let found = node.find(&self.path);
        if self.message.starts_with("unknown field") && found.complete {
            return found.key_at.unwrap_or(found.node.at);
        }
        found.node.at
    }
}

/// The path serde reports, as steps into the tree (an enum's variant is a key there).
fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    path.iter()
        .filter_map(|s| match s {
            serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
            serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => Some(Step::Key(variant.clone())),
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect()
}

/// Removes the value at `path`, returning whether there was one.
fn remove_at(value: &mut serde_json::Value, path: &[Step]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let mut current = value;
    for step in parent {
        let next = match (step, current) {
            (Step::Key(k), serde_json::Value::Object(m)) => m.get_mut(k),
            (Step::Index(i), serde_json::Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => current = n,
            None => return false,
        }
    }
    match (last, current) {
        (Step::Key(k), serde_json::Value::Object(m)) => m.remove(k).is_some(),
        (Step::Index(i), serde_json::Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

/// What [`read_every`] found: the definition, or what was left of it once every value serde
/// refused was dropped, with the problems.
struct Read<T> {
    value: Option<T>,
    errors: Vec<ReadError>,
    /// The dropped values were all top-level keys that no other check reads: the checks of
    /// what is left report real problems.
    checkable: bool,
}

/// Reads a definition, reporting every problem serde finds rather than the first: after each
/// one the offending value is dropped and the rest read again. Paths are given in the entry as
/// written (indexes counted before any removal). `independent` names the top-level keys no
/// other check depends on.
fn read_every<T: serde::de::DeserializeOwned>(value: serde_json::Value, independent: &[&str]) -> Read<T> {
    // Enough for any hand-written entry; stops a pathological file from looping long.
    const MAX_PASSES: usize = 64;
    let mut current = value;
    let mut errors: Vec<ReadError> = Vec::new();
    // Elements removed from lists (the list's path as written, the element's index as written),
    // and keys removed from maps (their paths as written).
    let mut removed_items: Vec<(Vec<Step>, usize)> = Vec::new();
    let mut removed_keys: Vec<Vec<Step>> = Vec::new();
    let mut value = None;
    for _ in 0..MAX_PASSES {
        let e = match serde_path_to_error::deserialize::<_, T>(current.clone()) {
            Ok(t) => {
                value = Some(t);
                break;
            }
            Err(e) => e,
        };
        let now = steps(e.path());
        let written = as_written(&now, &removed_items);
        let message = e.inner().to_string();
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            let mut path = written.clone();
            path.push(Step::Key(field.to_owned()));
            // A field dropped after an earlier problem is missing now: that one was reported. So
            // was a misspelt key, reported as unknown with this field suggested.
            let misspelt = errors.iter().any(|e| {
                e.path.split_last().is_some_and(|(_, parent)| parent == written)
                    && e.message.ends_with(&format!("did you mean `{field}`?"))
            });
            if !removed_keys.contains(&path) && !misspelt {
                errors.push(ReadError {
                    path: written.clone(),
                    message,
                });
            }
            // Read on without the map that lacks it.
            if !remove_at(&mut current, &now) {
                break;
            }
            match written.split_last() {
                Some((Step::Index(i), list)) => removed_items.push((list.to_vec(), *i)),
                Some((Step::Key(_), _)) => removed_keys.push(written),
                None => break,
            }
            continue;
        }
        // Drop the whole enum value when the problem is inside one of its variants.
        let mut drop = now.clone();
        let mut drop_written = written.clone();
        if let Some(at) = e
            .path()
            .iter()
            .filter(|s| !matches!(s, serde_path_to_error::Segment::Unknown))
            .position(|s| matches!(s, serde_path_to_error::Segment::Enum { .. }))
        {
            drop.truncate(at);
            drop_written.truncate(at);
        }
        let message = with_suggestion(message);
        let error = match allowed_forms(&written, &message) {
            // Said of the enum's key, not of the variant serde tried.
            Some((at, forms)) => ReadError {
                path: written[..at].to_vec(),
                message: forms.to_owned(),
            },
            None => ReadError {
                path: written,
                message,
            },
        };
        errors.push(error);
        if !remove_at(&mut current, &drop) {
            break;
        }
        match drop_written.split_last() {
            Some((Step::Index(i), list)) => removed_items.push((list.to_vec(), *i)),
            Some((Step::Key(_), _)) => removed_keys.push(drop_written),
            None => break,
        }
    }
    let checkable = removed_items.is_empty()
        && removed_keys
            .iter()
            .all(|k| matches!(&k[..], [Step::Key(k)] if independent.contains(&k.as_str())));
    Read {
        value,
        errors,
        checkable,
    }
}

/// The forms an enum-valued key takes, for values of the wrong shape (serde would speak of
/// "unit" and "newtype variants").
const ENUM_FORMS: [(&str, &str); 2] = [
    (
        "billing",
        "`billing` must be `on_demand`, or `provisioned` with `read` and `write` capacity units \
         (TOML: `billing = { provisioned = { read = 5, write = 5 } }`)",
    ),
    (
        "projection",
        "`projection` must be `all` (the default), `keys_only` (or `keys-only`), or `include` with a \
         list of attribute names (TOML: `projection = { include = [\"id\"] }`)",
    ),
];

/// For serde's message about an enum value of the wrong shape, the forms allowed instead, and the
/// length of the path to the enum's key.
fn allowed_forms(path: &[Step], message: &str) -> Option<(usize, &'static str)> {
    if !(message.contains(" variant") || message.starts_with("invalid type")) {
        return None;
    }
    // The enum's key is the last step, or the one before its variant.
    let start = path.len().saturating_sub(2);
    path.iter().enumerate().skip(start).find_map(|(i, s)| match s {
        Step::Key(k) => ENUM_FORMS
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, forms)| (i + 1, *forms)),
        Step::Index(_) => None,
    })
}

/// serde's "unknown field `x`, expected one of …" with the likeliest intended key named.
fn with_suggestion(message: String) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message;
    };
    let mut quoted = rest.split('`').step_by(2);
    let Some(unknown) = quoted.next() else {
        return message;
    };
    let best = quoted
        .filter(|known| !known.is_empty())
        .map(|known| (strsim::damerau_levenshtein(unknown, known), known))
        .filter(|(distance, known)| *distance <= 2.max(known.len() / 4))
        .min_by_key(|(distance, _)| *distance);
    match best {
        Some((_, known)) => format!("{message}; did you mean `{known}`?"),
        None => message,
    }
}

/// A path in the value being read, with each index as it was before earlier removals.
fn as_written(path: &[Step], removed: &[(Vec<Step>, usize)]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::with_capacity(path.len());
    for step in path {
        match step {
            Step::Index(i) => {
                let mut gone: Vec<usize> = removed
                    .iter()
                    .filter(|(list, _)| *list == out)
                    .map(|(_, at)| *at)
                    .collect();
                gone.sort_unstable();
                let mut index = *i;
                for g in gone {
                    if g <= index {
                        index += 1;
                    }
                }
                out.push(Step::Index(index));
            }
            Step::Key(_) => out.push(step.clone()),
        }
    }
    out
}

/// Words of a check's message that name the key it is about, most specific first.
const MESSAGE_KEYS: [(&str, &str); 13] = [
    ("sort key of local index", "sort_key"),
    ("partition key of index", "partition_key"),
    ("sort key of index", "sort_key"),
    ("uses the table's own sort key", "sort_key"),
    ("partition key", "partition_key"),
    ("sort key", "sort_key"),
    ("TTL attribute", "ttl_attribute"),
    (" projects ", "projection"),
    ("sets provisioned capacity", "capacity"),
    ("composite attribute", "composite"),
    ("same name", "name"),
    ("template", "template"),
    ("entity-type attribute", "entity_attribute"),
];

/// Words of a check's message about one of the table's own keys (not one inside it).
const MESSAGE_TABLE_KEYS: [(&str, &str); 4] = [
    ("provisioned capacity must", "billing"),
    ("local secondary indexes (", "local_secondary_indexes"),
    ("global secondary indexes, more", "global_secondary_indexes"),
    ("local secondary indexes, more", "local_secondary_indexes"),
];

/// Where a check's message (about a whole table or entity) points: the value it quotes, in the
/// map that quotes most of what it names, preferring the key its wording names.
fn locate_message(node: &Node, message: &str) -> Location {
    let own_key = MESSAGE_TABLE_KEYS
        .iter()
        .find(|(words, _)| message.contains(words))
        .and_then(|(_, key)| node.get(key));
    if let Some((at, _)) = own_key {
        return *at;
    }
    let tokens: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let key = MESSAGE_KEYS
        .iter()
        .find(|(words, _)| message.contains(words))
        .map(|(_, key)| *key);
    let repeated = message.contains("twice") || message.contains("same name");
    let quotes = |v: &Node, t: &str| match &v.kind {
        Kind::Scalar(serde_json::Value::String(s)) => s == t,
        Kind::List(items) => items
            .iter()
            .any(|i| matches!(&i.kind, Kind::Scalar(serde_json::Value::String(s)) if s == t)),
        _ => false,
    };
    let mut best: Option<(usize, &Node)> = None;
    for (_, map) in node.maps() {
        let Kind::Map(entries) = &map.kind else {
            continue;
        };
        // Names quoted first are what the message is about; later ones are context.
        let mut score: usize = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| entries.iter().any(|(_, _, v)| quotes(v, t)))
            .map(|(i, _)| tokens.len() - i)
            .sum();
        if score == 0 {
            continue;
        }
        if let Some((_, _, v)) = key.and_then(|k| entries.iter().find(|(name, _, _)| name == k))
            && tokens.iter().any(|t| quotes(v, t))
        {
            score += 1;
        }
        // A repeated name is reported where it is repeated: the later of equal candidates.
        if best.is_none_or(|(s, _)| score > s || (score == s && repeated)) {
            best = Some((score, map));
        }
    }
    let Some((_, map)) = best else {
        return key.and_then(|k| node.get(k)).map_or(node.at, |(at, _)| *at);
    };
    if let Some((_, v)) = key.and_then(|k| map.get(k)) {
        // In a list (a multi-attribute key), the item the message quotes.
        if let Kind::List(items) = &v.kind
            && let Some(item) = tokens.iter().find_map(|t| items.iter().find(|i| quotes(i, t)))
        {
            return item.at;
        }
        return v.at;
    }
    let Kind::Map(entries) = &map.kind else {
        return map.at;
    };
    tokens
        .iter()
        .rev()
        .find_map(|t| entries.iter().find(|(_, _, v)| quotes(v, t)))
        .map_or(map.at, |(_, _, v)| v.at)
}

/// The entry's name, or `#<n>` counted from 1.
fn label(value: &serde_json::Value, i: usize) -> String {
    value
        .get("name")
        .and_then(|n| n.as_str())
        .map_or_else(|| format!("#{}", i + 1), str::to_owned)
}

/// A table's top-level keys that no check of the rest of the table reads: when one of them is
/// refused, the rest of the table is still checked.
const INDEPENDENT_TABLE_KEYS: [&str; 6] = [
    "description",
    "schema_version",
    "stream",
    "tags",
    "deletion_protection",
    "ttl_attribute",
];

/// Reads each table, then validates it, then checks names are unique; then each entity, checked
/// against its table; collects every problem.
fn check(lists: [Vec<Entry<'_>>; 3], problems: &mut Problems) -> Schema {
    let [tables_in, entities_in, consumers_in] = lists;
    let mut tables = Vec::new();
    let mut names = BTreeSet::new();
    for (i, entry) in tables_in.into_iter().enumerate() {
        let label = label(&entry.value, i);
        let at = |m: &str| entry.node.map(|n| locate_message(n, m));
        let read = read_every::<TableDefinition>(entry.value.clone(), &INDEPENDENT_TABLE_KEYS);
        for e in &read.errors {
            let location = entry.node.map(|n| e.location(n)).or(entry.at());
            problems.push(location, Some(&label), None, e.describe());
        }
        let Some(t) = read.value else {
            continue;
        };
        if read.checkable {
            for message in t.problems() {
                problems.push(at(&message), Some(&label), None, message);
            }
        }
        if !names.insert(t.name.clone()) {
            let message = "another table has the same name".to_owned();
            let location = entry.node.and_then(|n| n.get("name")).map(|(_, v)| v.at);
            problems.push(location.or(entry.at()), Some(&label), None, message);
        }
        tables.push(t);
    }
    let mut entities: Vec<EntityDefinition> = Vec::new();
    for (i, entry) in entities_in.into_iter().enumerate() {
        let label = label(&entry.value, i);
        let read = read_every::<EntityDefinition>(entry.value.clone(), &[]);
        for e in &read.errors {
            let location = entry.node.map(|n| e.location(n)).or(entry.at());
            problems.push(location, None, Some(&label), e.describe());
        }
        let (Some(e), true) = (read.value, read.errors.is_empty()) else {
            continue;
        };
        for message in entity_problems(&e, &tables, &entities) {
            let location = entry.node.map(|n| locate_message(n, &message));
            problems.push(location, None, Some(&label), message);
        }
        entities.push(e);
    }
    let consumers = check_consumers(consumers_in, &tables, problems);
    Schema {
        tables,
        entities,
        consumers,
    }
}

/// Reads each consumer and checks it against the tables; names must be unique.
fn check_consumers(
    list: Vec<Entry<'_>>,
    tables: &[TableDefinition],
    problems: &mut Problems,
) -> Vec<Consumer> {
    let mut consumers: Vec<Consumer> = Vec::new();
    for (i, entry) in list.into_iter().enumerate() {
        let label = format!("consumer `{}`: ", self::label(&entry.value, i));
        let read = read_every::<Consumer>(entry.value.clone(), &[]);
        for e in &read.errors {
            let location = entry.node.map(|n| e.location(n)).or(entry.at());
            problems.push(location, None, None, format!("{label}{}", e.describe()));
        }
        let (Some(c), true) = (read.value, read.errors.is_empty()) else {
            continue;
        };
        let mut messages = c.problems(tables);
        if consumers.iter().any(|o| o.name == c.name) {
            messages.push("another consumer has the same name".to_owned());
        }
        for message in messages {
            let location = entry.node.map(|n| locate_message(n, &message));
            problems.push(location, None, None, format!("{label}{message}"));
        }
        consumers.push(c);
    }
    consumers
}

/// The problems of an entity: in itself, against its table, and against the entities before it.
fn entity_problems(
    e: &EntityDefinition,
    tables: &[TableDefinition],
    before: &[EntityDefinition],
) -> Vec<String> {
    let mut problems = Vec::new();
    match tables.iter().find(|t| t.name == e.table) {
        Some(t) => problems.extend(e.problems_in(t)),
        None => {
            problems.extend(e.problems());
            let known: Vec<String> = tables.iter().map(|t| format!("`{}`", t.name)).collect();
            problems.push(format!(
                "its table `{}` is not in the schema (its tables: {})",
                e.table,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    for other in before.iter().filter(|o| o.table == e.table) {
        if other.name == e.name {
            problems.push(format!("another entity of table `{}` has the same name", e.table));
        } else if other.entity_attribute != e.entity_attribute {
            let shown =
                |a: &Option<String>| a.as_ref().map_or_else(|| "none".to_owned(), |a| format!("`{a}`"));
            problems.push(format!(
                "its entity-type attribute is {}, but entity `{}` of the same table uses {}; a table has one layout",
                shown(&e.entity_attribute),
                other.name,
                shown(&other.entity_attribute)
            ));
        }
    }
    problems
}

/// The tables and entities of a parsed file; problems with its shape go to `problems`.
fn top_level<'a>(root: &'a Node, problems: &mut Problems) -> [Vec<&'a Node>; 3] {
    let mut tables = Vec::new();
    let mut entities = Vec::new();
    let mut consumers = Vec::new();
    match &root.kind {
        // The older `dynorm schema check` form: a bare list of tables (JSON).
        Kind::List(items) => tables.extend(items),
        Kind::Map(entries) => {
            for (key, key_at, value) in entries {
                let (list, what) = match key.as_str() {
                    "tables" => (&mut tables, "table definitions"),
                    "entities" => (&mut entities, "entity definitions"),
                    "consumers" => (&mut consumers, "consumers"),
                    _ => {
                        problems.push(
                            Some(*key_at),
                            None,
                            None,
                            format!(
                                "unknown top-level key `{key}`, expected `tables`, `entities` or `consumers`"
                            ),
                        );
                        continue;
                    }
                };
                match &value.kind {
                    Kind::List(items) => list.extend(items),
                    _ => problems.push(
                        Some(value.at),
                        None,
                        None,
                        format!("`{key}` must be a list of {what}"),
                    ),
                }
            }
        }
        Kind::Scalar(serde_json::Value::Null) => {}
        Kind::Scalar(_) => problems.push(
            Some(root.at),
            None,
            None,
            "expected a `tables` list (and optionally `entities` and `consumers`)".to_owned(),
        ),
    }
    if tables.is_empty() && problems.list.is_empty() {
        problems.push(
            Some(Location { line: 1, column: 1 }),
            None,
            None,
            "the schema defines no tables: a schema file lists at least one under `tables`".to_owned(),
        );
    }
    [tables, entities, consumers]
}

/// How many characters the caret under a problem spans: the quoted string, or the word, there.
fn caret_width(line: &str, column: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column.saturating_sub(1)).collect();
    match rest.first() {
        Some(&q @ ('"' | '\'')) => rest
            .iter()
            .skip(1)
            .position(|&c| c == q)
            .map_or(rest.len(), |end| end + 2),
        Some('{' | '[') | None => 1,
        Some(_) => rest
            .iter()
            .enumerate()
            .position(|(i, c)| {
                // A YAML key ends at `: `; `#` starts a comment only after a space.
                let colon = *c == ':' && rest.get(i + 1).is_none_or(|n| n.is_whitespace());
                c.is_whitespace() || colon || matches!(c, ',' | '=')
            })
            .unwrap_or(rest.len())
            .max(1),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_placed() {
        let text = "{\"x\": [[1]], \"tables\": [ {\"name\": \"a,]\"}, [], {\"b\": [1, 2]} ]}";
        let root = tree::json(text).expect("json");
        let (_, tables) = root.get("tables").expect("tables");
        let Kind::List(items) = &tables.kind else {
            panic!("a list")
        };
        let columns: Vec<usize> = items.iter().map(|n| n.at.column).collect();
        assert_eq!(columns, [26, 43, 47]);
        assert_eq!(
            root.to_json(),
            serde_json::from_str::<serde_json::Value>(text).expect("json")
        );
    }

    #[test]
    fn carets_span_the_word_or_string() {
        assert_eq!(caret_width("billing = \"provisioned\"", 11), 13);
        assert_eq!(caret_width("type: text", 7), 4);
        assert_eq!(caret_width("    partition_kee: id", 5), 13);
        assert_eq!(caret_width("template: U#{user}", 11), 8);
        assert_eq!(caret_width("a = { b = 1 }", 5), 1);
        assert_eq!(caret_width("", 3), 1);
    }

    #[test]
    fn locations_count_from_one() {
        assert_eq!(Location::of_offset("ab\ncd", 4), Location { line: 2, column: 2 });
        assert_eq!(Location::of_offset("", 0), Location { line: 1, column: 1 });
    }
}

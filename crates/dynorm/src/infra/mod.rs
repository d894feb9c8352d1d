//! Infrastructure generated from table definitions: CloudFormation, Terraform, IAM policies and
//! data-model documentation.
//!
//! Every generator reads the same [`TableDefinition`]s the code uses, so the deployed tables, the
//! permissions and the documentation cannot drift from the code. Output is deterministic (stable
//! key order, no timestamps), so it can be committed and compared in review.
//!
//! Physical table names are the definition's name prefixed by a deployment stage:
//! `${Stage}-users` in CloudFormation, `${var.stage}-users` in Terraform, and
//! `<stage>-users` in plain IAM documents (see [`physical_name`]).
//!
//! ```
//! use dynorm::definition::{AttributeType, TableDefinition};
//! use dynorm::infra::{cloudformation, ExportOptions};
//!
//! let users = TableDefinition::new("users", "id", AttributeType::String);
//! let template = cloudformation::template(&[users], &ExportOptions::default())?;
//! assert!(template.to_yaml().contains("TableName: !Sub \"${Stage}-users\""));
//! # Ok::<(), dynorm::infra::InfraError>(())
//! ```

pub mod cloudformation;
pub mod docs;
pub mod iam;
pub mod terraform;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::definition::TableDefinition;
use crate::error::DefinitionErrors;

/// Why infrastructure could not be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InfraError {
    /// No table definitions were given.
    #[error("no table definitions were given")]
    NoTables,

    /// One or more definitions break DynamoDB's rules; every problem of every table is listed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    InvalidDefinitions(Vec<DefinitionErrors>),

    /// Two definitions have the same table name.
    #[error("table `{table}` is defined more than once")]
    DuplicateTable {
        /// The repeated name.
        table: String,
    },

    /// A stream permission was asked for a table that has no stream.
    #[error("table `{table}` has no stream, so stream read access cannot be granted")]
    NoStream {
        /// The table without a stream.
        table: String,
    },

    /// A consumer names a table the schema does not define.
    #[error("consumer `{consumer}` names table `{table}`, which is not in the schema")]
    UnknownTable {
        /// The consumer.
        consumer: String,
        /// The table it names.
        table: String,
    },

    /// No table of the schema has a stream, so a stream read policy would grant nothing.
    #[error("no table has a stream, so stream read access cannot be granted")]
    NoStreams,

    /// An entity of the document is invalid for its table (or its table is not in the document);
    /// every problem is listed.
    #[error(transparent)]
    InvalidEntity(#[from] crate::entity::model::EntityProblems),

    /// A name given to the generator (a stage, a policy name) cannot be used.
    #[error("{what} `{name}` cannot be used: {reason}")]
    InvalidName {
        /// What the name is for (e.g. `policy name`).
        what: &'static str,
        /// The name given.
        name: String,
        /// Why it cannot be used.
        reason: &'static str,
    },
}

/// Options shared by the CloudFormation and Terraform exports.
///
/// Build it with [`ExportOptions::default`] and the `with_*` methods:
///
/// ```
/// let options = dynorm::infra::ExportOptions::default()
///     .with_point_in_time_recovery(false)
///     .with_default_stage("dev");
/// assert_eq!(options.default_stage.as_deref(), Some("dev"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportOptions {
    /// Whether point-in-time recovery is enabled on every table (default: enabled).
    pub point_in_time_recovery: bool,
    /// Whether CloudFormation keeps a table when it is removed from the stack or replaced
    /// (`DeletionPolicy` and `UpdateReplacePolicy` are `Retain`; default: kept) or deletes it
    /// (both `Delete`, stated explicitly).
    pub retain_on_delete: bool,
    /// The default value of the stage parameter (default: none, the stage must be given).
    pub default_stage: Option<String>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            point_in_time_recovery: true,
            retain_on_delete: true,
            default_stage: None,
        }
    }
}

impl ExportOptions {
    /// Enables or disables point-in-time recovery on every table.
    #[must_use]
    pub fn with_point_in_time_recovery(mut self, enabled: bool) -> Self {
        self.point_in_time_recovery = enabled;
        self
    }

    /// Keeps (the default) or deletes tables that CloudFormation removes or replaces.
    #[must_use]
    pub fn with_retain_on_delete(mut self, retain: bool) -> Self {
        self.retain_on_delete = retain;
        self
    }

    /// Gives the stage parameter a default value.
    #[must_use]
    pub fn with_default_stage(mut self, stage: impl Into<String>) -> Self {
        self.default_stage = Some(stage.into());
        self
    }
}

/// The deployed name of a table in a stage: `<stage>-<name>`.
///
/// ```
/// assert_eq!(dynorm::infra::physical_name("prod", "users"), "prod-users");
/// ```
pub fn physical_name(stage: &str, table: &str) -> String {
    crate::table_names::stage_prefix(stage) + table
}

/// A CloudFormation logical ID for a table name: PascalCase letters and digits plus `Table`
/// (`user-events` → `UserEventsTable`).
///
/// ```
/// assert_eq!(dynorm::infra::logical_id("user-events"), "UserEventsTable");
/// assert_eq!(dynorm::infra::logical_id("2fa_codes"), "T2faCodesTable");
/// ```
pub fn logical_id(table: &str) -> String {
    format!("{}Table", pascal_case(table))
}

/// A Terraform resource name for a table name: lower-case letters, digits and `_`
/// (`user-events` → `user_events`).
///
/// ```
/// assert_eq!(dynorm::infra::terraform_name("User.Events"), "user_events");
/// assert_eq!(dynorm::infra::terraform_name("2fa"), "t_2fa");
/// ```
pub fn terraform_name(table: &str) -> String {
    let mut out = String::new();
    for part in words(table) {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&part.to_ascii_lowercase());
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "t_");
    }
    out
}

fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

pub(crate) fn pascal_case(name: &str) -> String {
    let mut out = String::new();
    for word in words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// Makes each name unique by appending `2`, `3`, ... to later repeats, keeping order.
pub(crate) fn unique_names(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let names: Vec<String> = names.into_iter().collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut candidate = name.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{name}{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        out.push(candidate);
    }
    out
}

/// Checks the definitions generators are given: at least one, each valid, names unique.
pub(crate) fn check_tables(tables: &[TableDefinition]) -> Result<(), InfraError> {
    if tables.is_empty() {
        return Err(InfraError::NoTables);
    }
    let invalid: Vec<DefinitionErrors> = tables.iter().filter_map(|t| t.validate().err()).collect();
    if !invalid.is_empty() {
        return Err(InfraError::InvalidDefinitions(invalid));
    }
    let mut seen = BTreeSet::new();
    for t in tables {
        if !seen.insert(t.name.as_str()) {
            return Err(InfraError::DuplicateTable {
                table: t.name.clone(),
            });
        }
    }
    Ok(())
}

/// Checks a name used inside resource names and ARNs (stage, policy name).
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<(), InfraError> {
    if name.is_empty() || name.len() > 64 {
        return Err(InfraError::InvalidName {
            what,
            name: name.to_owned(),
            reason: "it must be 1-64 characters long",
        });
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(InfraError::InvalidName {
            what,
            name: name.to_owned(),
            reason: "it may only hold letters, digits, `_`, `-` and `.`",
        });
    }
    Ok(())
}

/// A generated document (a template, a Terraform module, a policy), rendered as JSON or YAML.
///
/// Keys keep the order the generator chose, so output is the same on every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document(pub(crate) Node);

impl Document {
    /// Pretty-printed JSON (two-space indent, trailing newline). CloudFormation intrinsic
    /// functions use their long form (`{"Fn::Sub": ...}`).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        json(&self.0, 0, &mut out);
        out.push('\n');
        out
    }

    /// YAML (block style, trailing newline). CloudFormation intrinsic functions use their short
    /// form (`!Sub`, `!Ref`, `!GetAtt`).
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match &self.0 {
            Node::Map(entries) if !entries.is_empty() => yaml_entries(entries, 0, &mut out),
            Node::Seq(items) if !items.is_empty() => yaml_items(items, 0, &mut out),
            other => {
                yaml_inline(other, &mut out);
                out.push('\n');
            }
        }
        out
    }
}

/// A CloudFormation intrinsic function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intrinsic {
    Ref,
    Sub,
    GetAtt,
}

impl Intrinsic {
    fn json_key(self) -> &'static str {
        match self {
            Intrinsic::Ref => "Ref",
            Intrinsic::Sub => "Fn::Sub",
            Intrinsic::GetAtt => "Fn::GetAtt",
        }
    }

    fn yaml_tag(self) -> &'static str {
        match self {
            Intrinsic::Ref => "!Ref",
            Intrinsic::Sub => "!Sub",
            Intrinsic::GetAtt => "!GetAtt",
        }
    }
}

/// An ordered JSON-like tree that both emitters render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Str(String),
    Int(u64),
    Bool(bool),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
    Fn(Intrinsic, Box<Node>),
}

impl Node {
    pub(crate) fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    pub(crate) fn strs<'a>(items: impl IntoIterator<Item = &'a str>) -> Node {
        Node::Seq(items.into_iter().map(Node::str).collect())
    }

    pub(crate) fn sub(s: impl Into<String>) -> Node {
        Node::Fn(Intrinsic::Sub, Box::new(Node::Str(s.into())))
    }

    pub(crate) fn reference(s: impl Into<String>) -> Node {
        Node::Fn(Intrinsic::Ref, Box::new(Node::Str(s.into())))
    }

    pub(crate) fn get_att(resource: &str, attribute: &str) -> Node {
        Node::Fn(
            Intrinsic::GetAtt,
            Box::new(Node::Seq(vec![Node::str(resource), Node::str(attribute)])),
        )
    }
}

/// Builds a [`Node::Map`] entry by entry.
#[derive(Debug, Default)]
pub(crate) struct MapBuilder(Vec<(String, Node)>);

impl MapBuilder {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn put(&mut self, key: impl Into<String>, value: Node) -> &mut Self {
        self.0.push((key.into(), value));
        self
    }

    pub(crate) fn with(mut self, key: impl Into<String>, value: Node) -> Self {
        self.0.push((key.into(), value));
        self
    }

    pub(crate) fn build(self) -> Node {
        Node::Map(self.0)
    }
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A JSON string literal (also a valid YAML double-quoted scalar).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json(node: &Node, depth: usize, out: &mut String) {
    match node {
        Node::Str(s) => out.push_str(&quote(s)),
        Node::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Seq(items) if items.is_empty() => out.push_str("[]"),
        Node::Seq(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, (depth + 1) * 2);
                json(item, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, depth * 2);
            out.push(']');
        }
        Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Node::Map(entries) => {
            out.push_str("{\n");
            for (i, (key, value)) in entries.iter().enumerate() {
                indent(out, (depth + 1) * 2);
                out.push_str(&quote(key));
                out.push_str(": ");
                json(value, depth + 1, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            indent(out, depth * 2);
            out.push('}');
        }
        Node::Fn(f, arg) => {
            let map = Node::Map(vec![(f.json_key().to_owned(), (**arg).clone())]);
            json(&map, depth, out);
        }
    }
}

fn yaml_plain_ok(s: &str) -> bool {
    const RESERVED: [&str; 9] = ["y", "yes", "n", "no", "true", "false", "on", "off", "null"];
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | ' ' | ',' | '(' | ')')
        })
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

fn yaml_scalar(s: &str) -> String {
    if yaml_plain_ok(s) { s.to_owned() } else { quote(s) }
}

/// Whether a node is written on the same line as its key or dash.
fn yaml_is_inline(node: &Node) -> bool {
    match node {
        Node::Str(_) | Node::Int(_) | Node::Bool(_) => true,
        Node::Seq(items) => items.is_empty(),
        Node::Map(entries) => entries.is_empty(),
        Node::Fn(f, arg) => get_att_dotted(*f, arg).is_some() || yaml_is_inline(arg),
    }
}

fn get_att_dotted(f: Intrinsic, arg: &Node) -> Option<String> {
    match (f, arg) {
        (Intrinsic::GetAtt, Node::Seq(parts)) => match parts.as_slice() {
            [Node::Str(resource), Node::Str(attribute)] => Some(format!("{resource}.{attribute}")),
            _ => None,
        },
        _ => None,
    }
}

fn yaml_inline(node: &Node, out: &mut String) {
    match node {
        Node::Str(s) => out.push_str(&yaml_scalar(s)),
        Node::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Seq(_) => out.push_str("[]"),
        Node::Map(_) => out.push_str("{}"),
        Node::Fn(f, arg) => {
            out.push_str(f.yaml_tag());
            out.push(' ');
            match get_att_dotted(*f, arg) {
                Some(dotted) => out.push_str(&yaml_scalar(&dotted)),
                None => yaml_inline(arg, out),
            }
        }
    }
}

/// Writes a block node (non-empty map or sequence, or a function of one) at `depth` spaces.
fn yaml_block(node: &Node, depth: usize, out: &mut String) {
    match node {
        Node::Map(entries) => yaml_entries(entries, depth, out),
        Node::Seq(items) => yaml_items(items, depth, out),
        Node::Fn(_, arg) => yaml_block(arg, depth, out),
        scalar => {
            indent(out, depth);
            yaml_inline(scalar, out);
            out.push('\n');
        }
    }
}

fn yaml_entries(entries: &[(String, Node)], depth: usize, out: &mut String) {
    for (key, value) in entries {
        indent(out, depth);
        yaml_entry(key, value, depth, out);
    }
}

/// Writes `key: value` (the indent is already written).
fn yaml_entry(key: &str, value: &Node, depth: usize, out: &mut String) {
    out.push_str(&yaml_scalar(key));
    out.push(':');
    if yaml_is_inline(value) {
        out.push(' ');
        yaml_inline(value, out);
        out.push('\n');
    } else {
        if let Node::Fn(f, _) = value {
            out.push(' ');
            out.push_str(f.yaml_tag());
        }
        out.push('\n');
        yaml_block(value, depth + 2, out);
    }
}

fn yaml_items(items: &[Node], depth: usize, out: &mut String) {
    for item in items {
        indent(out, depth);
        out.push('-');
        match item {
            Node::Map(entries) if !entries.is_empty() => {
                out.push(' ');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        indent(out, depth + 2);
                    }
                    yaml_entry(key, value, depth + 2, out);
                }
            }
            item if yaml_is_inline(item) => {
                out.push(' ');
                yaml_inline(item, out);
                out.push('\n');
            }
            item => {
                if let Node::Fn(f, _) = item {
                    out.push(' ');
                    out.push_str(f.yaml_tag());
                }
                out.push('\n');
                yaml_block(item, depth + 2, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_quotes_what_would_change_meaning() {
        assert_eq!(yaml_scalar("users"), "users");
        assert_eq!(yaml_scalar("yes"), "\"yes\"");
        assert_eq!(yaml_scalar("123"), "\"123\"");
        assert_eq!(yaml_scalar("a: b"), "\"a: b\"");
        assert_eq!(yaml_scalar("a:"), "\"a:\"");
        assert_eq!(yaml_scalar("AWS::DynamoDB::Table"), "AWS::DynamoDB::Table");
        assert_eq!(yaml_scalar("Name of the users table"), "Name of the users table");
        assert_eq!(yaml_scalar("N"), "\"N\"");
        assert_eq!(yaml_scalar(""), "\"\"");
        assert_eq!(yaml_scalar("${Stage}-x"), "\"${Stage}-x\"");
    }

    #[test]
    fn names() {
        assert_eq!(pascal_case("orders"), "Orders");
        assert_eq!(pascal_case("my_table.v2"), "MyTableV2");
        assert_eq!(
            unique_names(["A".to_owned(), "A".to_owned(), "A2".to_owned()]),
            ["A", "A2", "A22"]
        );
    }

    #[test]
    fn nested_yaml() {
        let doc = Document(
            MapBuilder::new()
                .with(
                    "a",
                    Node::Seq(vec![Node::Seq(vec![Node::Int(1)]), Node::Map(vec![])]),
                )
                .with("b", Node::get_att("X", "Arn"))
                .build(),
        );
        assert_eq!(doc.to_yaml(), "a:\n  -\n    - 1\n  - {}\nb: !GetAtt X.Arn\n");
        assert_eq!(
            doc.to_json(),
            "{\n  \"a\": [\n    [\n      1\n    ],\n    {}\n  ],\n  \"b\": {\n    \"Fn::GetAtt\": [\n      \"X\",\n      \"Arn\"\n    ]\n  }\n}\n"
        );
    }
}

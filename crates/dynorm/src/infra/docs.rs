//! A Markdown document of the data model: tables, keys, indexes with their projections,
//! attributes with their types, optionality, defaults and descriptions, and a Mermaid
//! `erDiagram` of the tables.
//!
//! [`DataModelDoc`] is the extension point: extra sections can be attached to a table (single-table
//! entities will add their key templates and access patterns this way) or to the whole document.
//!
//! ```
//! use dynorm::definition::{AttributeType, TableDefinition};
//! use dynorm::infra::docs::DataModelDoc;
//!
//! let users = TableDefinition::new("users", "id", AttributeType::String);
//! let markdown = DataModelDoc::new(std::slice::from_ref(&users))
//!     .table_section("users", "Access patterns", "- get a user by `id`")
//!     .render()?;
//! assert!(markdown.contains("### Access patterns"));
//! assert!(markdown.contains("```mermaid\nerDiagram"));
//! # Ok::<(), dynorm::infra::InfraError>(())
//! ```

use std::fmt::Write as _;

use crate::definition::{AttributeDefinition, BillingMode, Projection, TableDefinition};

use super::{InfraError, check_tables};

/// The Markdown document of the data model, with [`DataModelDoc::render`] for the default layout.
pub fn markdown(tables: &[TableDefinition]) -> Result<String, InfraError> {
    DataModelDoc::new(tables).render()
}

/// A section added to the document, under one table or at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The table it belongs to, or `None` for a document-level section (before the diagram).
    pub table: Option<String>,
    /// Its heading text (without `#`).
    pub heading: String,
    /// Its Markdown body.
    pub body: String,
}

/// Builds the data-model document.
#[derive(Debug, Clone)]
#[must_use]
pub struct DataModelDoc<'a> {
    tables: &'a [TableDefinition],
    title: String,
    intro: Option<String>,
    sections: Vec<Section>,
}

impl<'a> DataModelDoc<'a> {
    /// A document of these tables titled "Data model".
    pub fn new(tables: &'a [TableDefinition]) -> Self {
        Self {
            tables,
            title: "Data model".to_owned(),
            intro: None,
            sections: Vec::new(),
        }
    }

    /// Replaces the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// A paragraph under the title.
    pub fn intro(mut self, text: impl Into<String>) -> Self {
        self.intro = Some(text.into());
        self
    }

    /// A section at the end of a table's part (e.g. its entities' key templates or its access
    /// patterns); sections keep the order they were added in.
    pub fn table_section(
        mut self,
        table: impl Into<String>,
        heading: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        self.sections.push(Section {
            table: Some(table.into()),
            heading: heading.into(),
            body: body.into(),
        });
        self
    }

    /// A document-level section, placed after the tables and before the diagram.
    pub fn section(mut self, heading: impl Into<String>, body: impl Into<String>) -> Self {
        self.sections.push(Section {
            table: None,
            heading: heading.into(),
            body: body.into(),
        });
        self
    }

    /// Renders the document; every table must be valid and each section must name a table of
    /// the document.
    pub fn render(&self) -> Result<String, InfraError> {
        check_tables(self.tables)?;
        if let Some(s) = self.sections.iter().find(|s| {
            s.table
                .as_ref()
                .is_some_and(|t| !self.tables.iter().any(|d| &d.name == t))
        }) {
            return Err(InfraError::InvalidName {
                what: "documentation section table",
                name: s.table.clone().unwrap_or_default(),
                reason: "no table of the document has this name",
            });
        }
        let mut out = String::new();
        let o = &mut out;
        let _ = writeln!(o, "# {}\n", one_line(&self.title));
        if let Some(intro) = &self.intro {
            let _ = writeln!(o, "{}\n", intro.trim_end());
        }

        let _ = writeln!(o, "| Table | Partition key | Sort key | Indexes | Capacity |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for t in self.tables {
            let indexes = t.global_secondary_indexes.len() + t.local_secondary_indexes.len();
            let _ = writeln!(
                o,
                "| [{}](#{}) | {} | {} | {} | {} |",
                cell(&t.name),
                anchor(&t.name),
                key_cell(t, &t.partition_key),
                t.sort_key.as_deref().map_or("—".to_owned(), |sk| key_cell(t, sk)),
                indexes,
                billing(t.billing),
            );
        }
        o.push('\n');

        for t in self.tables {
            self.table_part(t, o);
        }
        for s in self.sections.iter().filter(|s| s.table.is_none()) {
            let _ = writeln!(o, "## {}\n\n{}\n", one_line(&s.heading), s.body.trim_end());
        }
        diagram(self.tables, o);
        Ok(out)
    }

    fn table_part(&self, t: &TableDefinition, o: &mut String) {
        let _ = writeln!(o, "## {}\n", t.name);
        if let Some(d) = &t.description {
            let _ = writeln!(o, "{}\n", d.trim_end());
        }
        let _ = writeln!(o, "- Partition key: {}", key_cell(t, &t.partition_key));
        if let Some(sk) = &t.sort_key {
            let _ = writeln!(o, "- Sort key: {}", key_cell(t, sk));
        }
        let _ = writeln!(o, "- Capacity: {}", billing(t.billing));
        if let Some(ttl) = &t.ttl_attribute {
            let _ = writeln!(o, "- Time to live: {}", code(ttl));
        }
        if let Some(s) = t.stream {
            let _ = writeln!(o, "- Stream: `{}`", s.as_str());
        }
        if t.deletion_protection {
            let _ = writeln!(o, "- Deletion protection: enabled");
        }
        if !t.tags.is_empty() {
            let tags: Vec<String> = t.tags.iter().map(|(k, v)| code(&format!("{k}={v}"))).collect();
            let _ = writeln!(o, "- Tags: {}", tags.join(", "));
        }
        o.push('\n');

        let _ = writeln!(o, "### Attributes\n");
        let _ = writeln!(
            o,
            "| Attribute | Type | Stored as | Key | Required | Default | Description |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|");
        for a in &t.attributes {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                match &a.field {
                    Some(field) if field != &a.name => format!("{} (field {})", code(&a.name), code(field)),
                    _ => code(&a.name),
                },
                type_cell(a),
                stored_as(a),
                key_roles(t, &a.name).join(", "),
                if a.optional { "no" } else { "yes" },
                a.default.as_deref().map_or(String::new(), code),
                a.description.as_deref().map_or(String::new(), cell),
            );
        }
        o.push('\n');

        if !t.global_secondary_indexes.is_empty() || !t.local_secondary_indexes.is_empty() {
            let _ = writeln!(o, "### Indexes\n");
            let _ = writeln!(
                o,
                "| Index | Kind | Partition key | Sort key | Projection | Capacity |"
            );
            let _ = writeln!(o, "|---|---|---|---|---|---|");
            for g in &t.global_secondary_indexes {
                let capacity = match (t.billing, g.capacity) {
                    (BillingMode::OnDemand, _) => "on demand".to_owned(),
                    (_, Some(c)) => format!("{} read / {} write", c.read, c.write),
                    (BillingMode::Provisioned(c), None) => {
                        format!("{} read / {} write (table's)", c.read, c.write)
                    }
                };
                let _ = writeln!(
                    o,
                    "| {} | global | {} | {} | {} | {} |",
                    code(&g.name),
                    key_cell(t, &g.partition_key),
                    g.sort_key.as_deref().map_or("—".to_owned(), |sk| key_cell(t, sk)),
                    projection(&g.projection),
                    capacity,
                );
            }
            for l in &t.local_secondary_indexes {
                let _ = writeln!(
                    o,
                    "| {} | local | {} | {} | {} | table's |",
                    code(&l.name),
                    key_cell(t, &t.partition_key),
                    key_cell(t, &l.sort_key),
                    projection(&l.projection),
                );
            }
            o.push('\n');
        }

        for s in self
            .sections
            .iter()
            .filter(|s| s.table.as_deref() == Some(t.name.as_str()))
        {
            let _ = writeln!(o, "### {}\n\n{}\n", one_line(&s.heading), s.body.trim_end());
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text safe inside a table cell.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

fn code(s: &str) -> String {
    let s = cell(s);
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// A GitHub-style heading anchor.
fn anchor(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            '-' | '_' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

fn key_cell(t: &TableDefinition, name: &str) -> String {
    match t.key_type(name) {
        Some(k) => format!("{} ({})", code(name), k.as_str()),
        None => code(name),
    }
}

fn billing(b: BillingMode) -> String {
    match b {
        BillingMode::OnDemand => "on demand".to_owned(),
        BillingMode::Provisioned(c) => format!("{} read / {} write", c.read, c.write),
    }
}

fn projection(p: &Projection) -> String {
    match p {
        Projection::KeysOnly => "keys only".to_owned(),
        Projection::All => "all".to_owned(),
        Projection::Include(attrs) => {
            format!(
                "keys + {}",
                attrs.iter().map(|a| code(a)).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

fn type_cell(a: &AttributeDefinition) -> String {
    match &a.composite {
        Some(c) => format!(
            "{} of {} joined by {}",
            a.attribute_type.as_str(),
            c.fields.iter().map(|f| code(f)).collect::<Vec<_>>().join(", "),
            code(&c.separator)
        ),
        None => a.attribute_type.as_str().to_owned(),
    }
}

fn stored_as(a: &AttributeDefinition) -> &'static str {
    use crate::definition::AttributeType as T;
    match a.attribute_type {
        T::String | T::Datetime | T::JsonString | T::CompositeString => "S",
        T::Number | T::DatetimeEpoch => "N",
        T::Boolean => "BOOL",
        T::Json => "M / L",
        T::StringList | T::NumberList | T::JsonList | T::JsonStringList | T::List => "L",
        T::StringSet => "SS",
        T::NumberSet => "NS",
        T::Binary => "B",
        T::BinarySet => "BS",
        T::Map => "M",
    }
}

/// What key roles an attribute plays: `partition key`, `sort key`, `<index> partition key`, ...
fn key_roles(t: &TableDefinition, name: &str) -> Vec<String> {
    let mut roles = Vec::new();
    if t.partition_key == name {
        roles.push("partition key".to_owned());
    }
    if t.sort_key.as_deref() == Some(name) {
        roles.push("sort key".to_owned());
    }
    for g in &t.global_secondary_indexes {
        if g.partition_key == name {
            roles.push(format!("{} partition key", code(&g.name)));
        }
        if g.sort_key.as_deref() == Some(name) {
            roles.push(format!("{} sort key", code(&g.name)));
        }
    }
    for l in &t.local_secondary_indexes {
        if l.sort_key == name {
            roles.push(format!("{} sort key", code(&l.name)));
        }
    }
    if t.ttl_attribute.as_deref() == Some(name) {
        roles.push("TTL".to_owned());
    }
    roles
}

/// A Mermaid identifier: letters, digits and `_`.
fn mermaid_id(s: &str) -> String {
    let mut id: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert(0, 'a');
    }
    id
}

fn diagram(tables: &[TableDefinition], o: &mut String) {
    let _ = writeln!(o, "## Diagram\n\n```mermaid\nerDiagram");
    for t in tables {
        let _ = writeln!(o, "    {} {{", mermaid_id(&t.name));
        for a in &t.attributes {
            let key = t.partition_key == a.name || t.sort_key.as_deref() == Some(a.name.as_str());
            let mut notes = key_roles(t, &a.name)
                .into_iter()
                .map(|r| r.replace('`', ""))
                .collect::<Vec<_>>();
            if a.optional {
                notes.push("optional".to_owned());
            }
            if mermaid_id(&a.name) != a.name {
                notes.insert(0, format!("stored as {}", a.name));
            }
            let _ = write!(
                o,
                "        {} {}{}",
                a.attribute_type.as_str(),
                mermaid_id(&a.name),
                if key { " PK" } else { "" }
            );
            if !notes.is_empty() {
                let _ = write!(o, " \"{}\"", notes.join(", ").replace('"', "'"));
            }
            o.push('\n');
        }
        let _ = writeln!(o, "    }}");
    }
    let _ = writeln!(o, "```");
}

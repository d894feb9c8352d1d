//! A Markdown document of the data model: tables, keys, indexes with their projections,
//! attributes with their types, optionality, defaults and descriptions, the entities of single
//! tables with their key templates, fields and access patterns, and a Mermaid `erDiagram` of the
//! tables and entities.
//!
//! [`DataModelDoc`] is the extension point: entities are added with
//! [`DataModelDoc::entities`], extra sections can be attached to a table or to the whole document.
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

use crate::definition::{AttributeDefinition, BillingMode, IndexRef, Projection, TableDefinition};
use crate::entity::model::{EntityDefinition, EntityKey, EntityProblems};
use crate::entity::{Segment, Template};
use crate::evolve::SCHEMA_VERSION_ATTRIBUTE;
use crate::schema_file::Schema;

use super::{InfraError, check_tables};

/// The Markdown document of the data model, with [`DataModelDoc::render`] for the default layout.
pub fn markdown(tables: &[TableDefinition]) -> Result<String, InfraError> {
    DataModelDoc::new(tables).render()
}

/// The Markdown document of a schema: its tables and their entities.
pub fn schema_markdown(schema: &Schema) -> Result<String, InfraError> {
    DataModelDoc::new(&schema.tables)
        .entities(&schema.entities)
        .render()
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
    entities: &'a [EntityDefinition],
    title: String,
    intro: Option<String>,
    sections: Vec<Section>,
}

impl<'a> DataModelDoc<'a> {
    /// A document of these tables titled "Data model".
    pub fn new(tables: &'a [TableDefinition]) -> Self {
        Self {
            tables,
            entities: &[],
            title: "Data model".to_owned(),
            intro: None,
            sections: Vec::new(),
        }
    }

    /// Documents these entities under their tables: key templates, fields, joined attributes,
    /// access patterns, and the collections entities sharing a partition form.
    pub fn entities(mut self, entities: &'a [EntityDefinition]) -> Self {
        self.entities = entities;
        self
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

    /// Renders the document; every table must be valid, every entity valid for its table (which
    /// must be in the document), and each section must name a table of the document.
    pub fn render(&self) -> Result<String, InfraError> {
        check_tables(self.tables)?;
        for e in self.entities {
            match self.tables.iter().find(|t| t.name == e.table) {
                Some(t) => e.validate(t)?,
                None => {
                    return Err(EntityProblems {
                        entity: e.name.clone(),
                        table: e.table.clone(),
                        problems: vec![format!("its table `{}` is not in the document", e.table)],
                    }
                    .into());
                }
            }
        }
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
        diagram(self.tables, self.entities, o);
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
        if let Some(v) = t.schema_version {
            let _ = writeln!(o, "- Schema version: {}", versions(v));
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
                    key_cells(t, &g.partition_keys()),
                    key_cells(t, &g.sort_keys()),
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
            // A schema file's index without a projection projects every attribute.
            let _ = writeln!(o, "\nAn index that names no projection projects all attributes.");
            o.push('\n');
        }

        let entities: Vec<&EntityDefinition> = self.entities.iter().filter(|e| e.table == t.name).collect();
        if !entities.is_empty() {
            entities_part(t, &entities, o);
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

/// The keys an entity composes for the table (`index` `None`) or one index.
struct Target<'a> {
    index: Option<&'a str>,
    pk: &'a EntityKey,
    sk: Option<&'a EntityKey>,
}

/// The table and each index the entity writes keys for, with its key templates, in the table's
/// order. The definition is known to be valid for the table.
fn targets<'a>(t: &'a TableDefinition, e: &'a EntityDefinition) -> Vec<Target<'a>> {
    let key = |index: Option<&str>, attribute: &str| {
        e.keys
            .iter()
            .find(|k| k.index.as_deref() == index && k.attribute == attribute)
    };
    let mut out = Vec::new();
    let table_pk = key(None, &t.partition_key);
    let table_sk = t.sort_key.as_deref().and_then(|sk| key(None, sk));
    if let Some(pk) = table_pk {
        out.push(Target {
            index: None,
            pk,
            sk: table_sk,
        });
    }
    // An index may share a key attribute with the table (STORM's `GSI1` on `GSI1PK` + `SK`).
    let index_key =
        |index: &str, attribute: &str| key(Some(index), attribute).or_else(|| key(None, attribute));
    for index in e.indexes() {
        let (pk, sk) = match t.index(index) {
            Some(IndexRef::Global(g)) => (
                index_key(index, &g.partition_key),
                g.sort_key.as_deref().and_then(|sk| index_key(index, sk)),
            ),
            Some(IndexRef::Local(l)) => (table_pk, key(Some(index), &l.sort_key)),
            None => continue,
        };
        if let Some(pk) = pk {
            out.push(Target {
                index: Some(index),
                pk,
                sk,
            });
        }
    }
    out
}

/// The template's text up to its `n`-th placeholder (from 0), as a template (braces doubled).
fn template_prefix(template: &Template, n: usize) -> String {
    let mut out = String::new();
    let mut seen = 0;
    for s in template.segments() {
        match s {
            Segment::Literal(l) => out.push_str(&l.replace('{', "{{").replace('}', "}}")),
            Segment::Field { name, width } => {
                if seen == n {
                    break;
                }
                seen += 1;
                match width {
                    Some(w) => {
                        let _ = write!(out, "{{{name}:0{w}}}");
                    }
                    None => {
                        let _ = write!(out, "{{{name}}}");
                    }
                }
            }
        }
    }
    out
}

/// The fields a list of placeholders reads (joined attributes give their sources), each once.
fn fields_of<'a>(e: &'a EntityDefinition, placeholders: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for p in placeholders {
        for f in e.placeholder_fields(p) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

fn code_list(names: &[&str]) -> String {
    if names.is_empty() {
        "—".to_owned()
    } else {
        names.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ")
    }
}

/// The access patterns of one entity on one target: the reads its keys allow, as table rows.
fn access_rows(e: &EntityDefinition, target: &Target<'_>, o: &mut String) {
    let (Ok(pk), sk) = (
        Template::parse(&target.pk.template),
        target.sk.map(|k| (k, Template::parse(&k.template))),
    ) else {
        return;
    };
    let pk_fields = fields_of(e, &pk.fields());
    let on = match target.index {
        None => "table".to_owned(),
        Some(i) => {
            // A sparse index holds only the items whose optional fields its keys read are set.
            let optional: Vec<&str> = e
                .keys_of(Some(i))
                .flat_map(|k| e.key_fields(k))
                .filter(|f| e.field(f).is_some_and(|f| f.optional))
                .fold(Vec::new(), |mut v, f| {
                    if !v.contains(&f) {
                        v.push(f);
                    }
                    v
                });
            if optional.is_empty() {
                code(i)
            } else {
                format!("{} (sparse: items with {})", code(i), code_list(&optional))
            }
        }
    };
    let partition = format!("{} = {}", code(&target.pk.attribute), code(&target.pk.template));
    let row = |o: &mut String, read: &str, give: &[&str], condition: String| {
        let _ = writeln!(o, "| {read} | {on} | {} | {condition} |", code_list(give));
    };
    let Some((sk_key, Ok(sk))) = sk else {
        row(
            o,
            if target.index.is_none() {
                "get one"
            } else {
                "query"
            },
            &pk_fields,
            partition,
        );
        return;
    };
    let placeholders = sk.fields();
    let mut full: Vec<&str> = pk_fields.clone();
    for f in fields_of(e, &placeholders) {
        if !full.contains(&f) {
            full.push(f);
        }
    }
    let exact = format!(
        "{partition} and {} = {}",
        code(&sk_key.attribute),
        code(&sk_key.template)
    );
    if target.index.is_none() {
        row(o, "get one", &full, exact.clone());
    }
    // Every leading run of sort-key placeholders narrows the partition with `begins_with`.
    for n in 0..placeholders.len() {
        let prefix = template_prefix(&sk, n);
        let mut give = pk_fields.clone();
        for f in fields_of(e, &placeholders[..n]) {
            if !give.contains(&f) {
                give.push(f);
            }
        }
        let condition = if prefix.is_empty() {
            partition.clone()
        } else {
            format!(
                "{partition} and {} begins with {}",
                code(&sk_key.attribute),
                code(&prefix)
            )
        };
        row(o, "query", &give, condition);
    }
    if target.index.is_some() {
        row(o, "query", &full, exact);
    }
}

/// An entity's heading: its name, how its items are told apart, its schema version.
fn entity_heading(e: &EntityDefinition, o: &mut String) {
    let _ = writeln!(o, "#### Entity {}\n", code(&e.name));
    match &e.entity_attribute {
        Some(a) => {
            let _ = writeln!(o, "Its items hold {} = {}.\n", code(a), code(&e.name));
        }
        None => {
            let _ = writeln!(
                o,
                "The table stores no entity type: its items are told apart by their keys.\n"
            );
        }
    }
    if let Some(v) = e.schema_version {
        let _ = writeln!(o, "Schema version: {}.\n", versions(v));
    }
}

/// The key rows of an entity's multi-attribute indexes: each attribute a field stored whole,
/// with its place in the key and its type.
fn multi_index_keys(e: &EntityDefinition, o: &mut String) {
    for index in &e.indexes {
        let [partition, sort] = e.index_attributes(index);
        for (role, attributes, keys) in [
            ("partition key", &partition, &index.partition_key),
            ("sort key", &sort, &index.sort_key),
        ] {
            for (n, ((attribute, key_type), key)) in attributes.iter().zip(keys).enumerate() {
                let _ = writeln!(
                    o,
                    "| {} {role} ({} of {}) | {} | field {} ({}) |",
                    code(&index.name),
                    n + 1,
                    attributes.len(),
                    code(attribute),
                    code(&key.field),
                    key_type.as_str()
                );
            }
        }
    }
}

/// The fields of a multi-attribute key, in order.
fn key_fields(keys: &[crate::entity::model::EntityIndexKey]) -> Vec<&str> {
    keys.iter().map(|k| k.field.as_str()).collect()
}

/// The access pattern of each multi-attribute index of an entity: every partition field given,
/// then a leading run of the sort fields (DynamoDB's rule); sparse over its optional fields.
fn multi_index_reads(e: &EntityDefinition, o: &mut String) {
    for index in &e.indexes {
        let optional: Vec<&str> = index
            .keys()
            .map(|k| k.field.as_str())
            .filter(|f| e.field(f).is_some_and(|f| f.optional))
            .collect();
        let on = if optional.is_empty() {
            code(&index.name)
        } else {
            format!(
                "{} (sparse: items with {})",
                code(&index.name),
                code_list(&optional)
            )
        };
        let sort = key_fields(&index.sort_key);
        let condition = if sort.is_empty() {
            "an equality on each partition attribute".to_owned()
        } else {
            format!(
                "an equality on each partition attribute; then equalities on a leading run of {} and at most one range on the next",
                code_list(&sort)
            )
        };
        let give = code_list(&key_fields(&index.partition_key));
        let _ = writeln!(o, "| query | {on} | {give} | {condition} |");
    }
}

/// The table of an entity's joined attributes, if it has any.
fn joined_rows(e: &EntityDefinition, o: &mut String) {
    if e.joined.is_empty() {
        return;
    }
    let _ = writeln!(o, "| Joined attribute | Joins | Separator |");
    let _ = writeln!(o, "|---|---|---|");
    for j in &e.joined {
        let fields: Vec<&str> = j.fields.iter().map(String::as_str).collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            code(&j.attribute),
            code_list(&fields),
            code(&j.separator)
        );
    }
    o.push('\n');
}

/// The entities of one table: each with its keys, fields, joined attributes and access patterns;
/// then the collections (entities sharing a partition).
fn entities_part(t: &TableDefinition, entities: &[&EntityDefinition], o: &mut String) {
    let _ = writeln!(o, "### Entities\n");
    for e in entities {
        entity_heading(e, o);
        let _ = writeln!(o, "| Key | Attribute | Template |");
        let _ = writeln!(o, "|---|---|---|");
        for k in &e.keys {
            let role = if Some(k.attribute.as_str()) == t.sort_key.as_deref() && k.index.is_none() {
                "sort key"
            } else {
                match k.index.as_deref().and_then(|i| t.index(i)) {
                    Some(IndexRef::Global(g)) if g.partition_key == k.attribute => "partition key",
                    Some(_) => "sort key",
                    None => "partition key",
                }
            };
            let place = match &k.index {
                Some(i) => format!("{} {role}", code(i)),
                None => format!("table {role}"),
            };
            let _ = writeln!(
                o,
                "| {place}{} | {} | {} |",
                if k.sparse { " (sparse)" } else { "" },
                code(&k.attribute),
                code(&k.template)
            );
        }
        multi_index_keys(e, o);
        o.push('\n');

        let _ = writeln!(o, "| Field | Stored as | Required | Immutable |");
        let _ = writeln!(o, "|---|---|---|---|");
        for f in &e.fields {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                code(&f.name),
                code(f.stored_name()),
                if f.optional { "no" } else { "yes" },
                if f.immutable { "yes" } else { "no" }
            );
        }
        o.push('\n');

        joined_rows(e, o);

        let _ = writeln!(o, "| Read | On | Give | Key condition |");
        let _ = writeln!(o, "|---|---|---|---|");
        for target in targets(t, e) {
            access_rows(e, &target, o);
        }
        multi_index_reads(e, o);
        o.push('\n');
    }

    // Entities whose keys on the same table or index share a partition template: one query
    // of that partition reads them together.
    let mut groups: Vec<(Option<&str>, &str, &str, Vec<&str>)> = Vec::new();
    for e in entities {
        for target in targets(t, e) {
            let template = target.pk.template.as_str();
            match groups
                .iter_mut()
                .find(|(i, a, p, _)| *i == target.index && *a == target.pk.attribute && *p == template)
            {
                Some(g) => g.3.push(&e.name),
                None => groups.push((
                    target.index,
                    &target.pk.attribute,
                    template,
                    vec![e.name.as_str()],
                )),
            }
        }
    }
    groups.retain(|g| g.3.len() > 1);
    if !groups.is_empty() {
        let _ = writeln!(o, "### Collections\n");
        let _ = writeln!(
            o,
            "Entities whose keys share a partition: one query of the partition reads them together.\n"
        );
        for (index, attribute, template, names) in groups {
            let _ = writeln!(
                o,
                "- {}, {} = {}: {}",
                index.map_or_else(|| "table".to_owned(), code),
                code(attribute),
                code(template),
                code_list(&names)
            );
        }
        o.push('\n');
    }
}

/// A schema version and the older ones its items may still be stored at: `3 (items stored
/// at versions 1-2 are upgraded as they are read)`.
fn versions(current: u32) -> String {
    let stored = code(&format!("{SCHEMA_VERSION_ATTRIBUTE} = {current}"));
    match current {
        0 | 1 => format!("{current}, stored in every item as {stored}"),
        2 => format!(
            "{current}, stored in every item as {stored}; items stored at version 1 are upgraded as they are read"
        ),
        _ => format!(
            "{current}, stored in every item as {stored}; items stored at versions 1 to {} are upgraded as they are read",
            current - 1
        ),
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

/// The attributes of a key, in order (a multi-attribute key lists several, joined with `+`:
/// each keeps its own type, nothing is concatenated in the item); `—` for none.
fn key_cells(t: &TableDefinition, names: &[&str]) -> String {
    if names.is_empty() {
        return "—".to_owned();
    }
    names
        .iter()
        .map(|n| key_cell(t, n))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// An attribute's place in an index key: `partition key`, or `partition key 2 of 3` in a
/// multi-attribute key.
fn index_role(role: &str, names: &[&str], name: &str) -> Option<String> {
    let position = names.iter().position(|n| *n == name)?;
    Some(if names.len() == 1 {
        role.to_owned()
    } else {
        format!("{role} {} of {}", position + 1, names.len())
    })
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
        if let Some(role) = index_role("partition key", &g.partition_keys(), name) {
            roles.push(format!("{} {role}", code(&g.name)));
        }
        if let Some(role) = index_role("sort key", &g.sort_keys(), name) {
            roles.push(format!("{} {role}", code(&g.name)));
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

/// An attribute name in a Mermaid entity, quoted in backticks (mermaid 11): a bare name must be
/// a plain word and must not be `PK`, `FK` or `UK` in any case (key markers to the parser),
/// while the usual single-table key is named `pk`. Quoted, every name is shown as it is; a
/// backtick, the one character the quotes cannot hold, becomes `'`.
fn mermaid_name(name: &str) -> String {
    let shown: String = name
        .chars()
        .map(|c| if c == '`' || c.is_control() { '\'' } else { c })
        .collect();
    format!("`{shown}`")
}

fn diagram(tables: &[TableDefinition], entities: &[EntityDefinition], o: &mut String) {
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
            let _ = write!(
                o,
                "        {} {}{}",
                a.attribute_type.as_str(),
                mermaid_name(&a.name),
                if key { " PK" } else { "" }
            );
            if !notes.is_empty() {
                let _ = write!(o, " \"{}\"", notes.join(", ").replace('"', "'"));
            }
            o.push('\n');
        }
        let _ = writeln!(o, "    }}");
    }
    let mut ids: Vec<String> = tables.iter().map(|t| mermaid_id(&t.name)).collect();
    let mut links = Vec::new();
    for e in entities {
        let mut id = mermaid_id(&e.name);
        if ids.contains(&id) {
            id = mermaid_id(&format!("{}_{}", e.table, e.name));
        }
        ids.push(id.clone());
        links.push(format!("    {} ||--o{{ {id} : holds", mermaid_id(&e.table)));
        let _ = writeln!(o, "    {id} {{");
        for f in &e.fields {
            let mut notes = Vec::new();
            if f.stored_name() != f.name {
                notes.push(format!("stored as {}", f.stored_name()));
            }
            let keys: Vec<&str> = e
                .keys
                .iter()
                .filter(|k| e.key_fields(k).contains(&f.name.as_str()))
                .map(|k| k.attribute.as_str())
                .collect();
            if !keys.is_empty() {
                notes.push(format!("in {}", keys.join(", ")));
            }
            if f.optional {
                notes.push("optional".to_owned());
            }
            if f.immutable {
                notes.push("immutable".to_owned());
            }
            mermaid_attribute(o, "field", &f.name, &notes);
        }
        for j in &e.joined {
            mermaid_attribute(
                o,
                "joined",
                &j.attribute,
                &[format!("joins {}", j.fields.join(", "))],
            );
        }
        let _ = writeln!(o, "    }}");
    }
    for l in links {
        let _ = writeln!(o, "{l}");
    }
    let _ = writeln!(o, "```");
}

/// One attribute line of a Mermaid entity.
fn mermaid_attribute(o: &mut String, kind: &str, name: &str, notes: &[String]) {
    let _ = write!(o, "        {kind} {}", mermaid_name(name));
    if !notes.is_empty() {
        let _ = write!(o, " \"{}\"", notes.join(", ").replace('"', "'"));
    }
    o.push('\n');
}

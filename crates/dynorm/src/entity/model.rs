//! Entities as plain data: what `#[derive(Entity)]` declares (fields, key templates, joined
//! attributes), owned and serde-ready, for tools that work without the Rust type — the data-model
//! document, schema files and `dynorm backfill`.

use serde::{Deserialize, Serialize};

use super::Entity;
use crate::definition::{IndexRef, ScalarType, TableDefinition};

/// An entity type of a shared table, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityDefinition {
    /// The entity type (the value of the entity-type attribute).
    pub name: String,
    /// The shared table's name.
    pub table: String,
    /// The attribute holding each item's entity type; `None`: the layout stores none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_attribute: Option<String>,
    /// The stored fields, in declaration order.
    #[serde(default)]
    pub fields: Vec<EntityField>,
    /// Every composed key attribute: the table's keys first, then each index's.
    pub keys: Vec<EntityKey>,
    /// Attributes joined from several fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<EntityJoin>,
    /// The entity's own global indexes with multi-attribute keys: fields stored whole, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<EntityIndex>,
    /// The table's stored form by name (`single_table_orm`, `dynamojo`, `dynamo_query`);
    /// absent: dynorm's own. See [`StoredForm::NAMED`](crate::StoredForm::NAMED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// The stored attribute of the entity's optimistic-locking version (`#[dynorm(version)]`):
    /// `dynorm import` and the console expect the version an item carries and store the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The version of the shape the entity stores (`#[dynorm(schema_version = N)]`): its items
    /// carry it, and those stored at versions 1 to N - 1 are upgraded as they are read.
    /// `None`: the entity declares no version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
}

/// A field of an [`EntityDefinition`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityField {
    /// The name templates use.
    pub name: String,
    /// The stored attribute, when it differs from the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    /// The field may be absent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    /// Once written, the value cannot change.
    #[serde(default, skip_serializing_if = "is_false")]
    pub immutable: bool,
}

impl EntityField {
    /// The attribute the field is stored under.
    pub fn stored_name(&self) -> &str {
        self.stored.as_deref().unwrap_or(&self.name)
    }
}

/// A composed key attribute of an [`EntityDefinition`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityKey {
    /// The index it belongs to; `None`: the table's own key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// The stored key attribute (`pk`, `gsi1sk`, ...).
    pub attribute: String,
    /// The template, e.g. `T#{tenant_name}#Integrations`.
    pub template: String,
    /// Left out (with the rest of its index's keys) when a field it reads is absent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sparse: bool,
}

/// A global index of an [`EntityDefinition`] whose keys are its fields (DynamoDB's
/// multi-attribute keys): written in schema files as
/// `{"name": "by_region", "partition_key": [{"field": "tournament", "type": "S"}], ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityIndex {
    /// The index name.
    pub name: String,
    /// The partition-key attributes, in order (1 to 4).
    pub partition_key: Vec<EntityIndexKey>,
    /// The sort-key attributes, in order (0 to 4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort_key: Vec<EntityIndexKey>,
}

/// One attribute of an [`EntityIndex`]'s key: a field and its key type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityIndexKey {
    /// The field (by name; the index reads its stored attribute).
    pub field: String,
    /// The key type: `S`, `N` or `B`.
    #[serde(rename = "type")]
    pub key_type: ScalarType,
}

impl EntityIndex {
    /// The index a derived entity declares.
    pub fn of(index: &super::MultiAttributeIndex) -> Self {
        let keys = |fields: &[super::IndexField]| {
            fields
                .iter()
                .map(|f| EntityIndexKey {
                    field: f.field.to_owned(),
                    key_type: f.key_type,
                })
                .collect()
        };
        Self {
            name: index.name.to_owned(),
            partition_key: keys(index.partition_key),
            sort_key: keys(index.sort_key),
        }
    }

    /// Every key attribute: the partition key's, then the sort key's.
    pub fn keys(&self) -> impl Iterator<Item = &EntityIndexKey> {
        self.partition_key.iter().chain(&self.sort_key)
    }
}

/// A joined attribute of an [`EntityDefinition`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityJoin {
    /// The stored attribute.
    pub attribute: String,
    /// The source fields, in order.
    pub fields: Vec<String>,
    /// The separator.
    pub separator: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl EntityDefinition {
    /// The definition of a derived entity.
    ///
    /// Without the schema version, which [`Entity::entity_definition`] adds (it is the
    /// [`Table`](crate::Table) side of the type that declares it).
    pub fn of<E: Entity>() -> Self {
        let layout = E::layout();
        Self {
            name: E::ENTITY_TYPE.to_owned(),
            table: layout.name.to_owned(),
            entity_attribute: layout.entity_attribute.map(str::to_owned),
            fields: E::FIELDS
                .iter()
                .map(|f| EntityField {
                    name: f.name.to_owned(),
                    stored: (f.stored != f.name).then(|| f.stored.to_owned()),
                    optional: f.optional,
                    immutable: f.immutable,
                })
                .collect(),
            keys: E::KEYS
                .iter()
                .map(|k| EntityKey {
                    index: k.index.map(str::to_owned),
                    attribute: k.attribute.to_owned(),
                    template: k.template.to_owned(),
                    sparse: k.sparse,
                })
                .collect(),
            joined: E::JOINED
                .iter()
                .map(|j| EntityJoin {
                    attribute: j.attribute.to_owned(),
                    fields: j.fields.iter().map(|f| (*f).to_owned()).collect(),
                    separator: j.separator.to_owned(),
                })
                .collect(),
            indexes: E::INDEXES.iter().map(EntityIndex::of).collect(),
            form: layout.form.name().filter(|n| *n != "dynorm").map(str::to_owned),
            version: E::VERSIONED_BY.map(str::to_owned),
            schema_version: None,
        }
    }

    /// The attribute names and key types of an index's partition key and sort key, as stored;
    /// a field that is not declared is named as it is.
    pub fn index_attributes(&self, index: &EntityIndex) -> [Vec<(String, ScalarType)>; 2] {
        let stored = |keys: &[EntityIndexKey]| {
            keys.iter()
                .map(|k| {
                    let name = self
                        .field(&k.field)
                        .map_or(k.field.as_str(), EntityField::stored_name);
                    (name.to_owned(), k.key_type)
                })
                .collect()
        };
        [stored(&index.partition_key), stored(&index.sort_key)]
    }

    /// The stored form its keys are rendered in (dynorm's when the name is absent or unknown,
    /// which [`validate`](Self::validate) reports).
    pub fn stored_form(&self) -> crate::StoredForm {
        self.form
            .as_deref()
            .and_then(crate::StoredForm::named)
            .unwrap_or_default()
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&EntityField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Every problem of an [`EntityDefinition`], as [`EntityDefinition::validate`] reports them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entity `{entity}` of table `{table}`: {}", .problems.join("; "))]
pub struct EntityProblems {
    /// The entity type.
    pub entity: String,
    /// The table it names.
    pub table: String,
    /// What is wrong, one sentence each.
    pub problems: Vec<String>,
}

/// Where a key attribute belongs, in messages.
pub(crate) fn place(index: Option<&str>) -> String {
    match index {
        Some(i) => format!("index `{i}`"),
        None => "the table".to_owned(),
    }
}

fn list<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{}`", n.as_ref())).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

impl EntityJoin {
    /// The joined text from the sources' stored values, looked up by field name: strings as they
    /// are, numbers as their text, `""` for an absent (or NULL) source — the rule of
    /// [`JoinedAttribute::render`](super::JoinedAttribute::render). Other types cannot be joined;
    /// the error names the source and the type found.
    pub fn render(
        &self,
        lookup: impl FnMut(&str) -> Option<crate::AttributeValue>,
    ) -> Result<String, String> {
        super::join_sources(self.fields.iter().map(String::as_str), &self.separator, lookup).map_err(
            |(field, found)| {
                format!("source field `{field}` holds {found} (only strings and numbers can be joined)")
            },
        )
    }
}

impl EntityDefinition {
    /// The joined attribute with this name.
    pub fn joined_attribute(&self, name: &str) -> Option<&EntityJoin> {
        self.joined.iter().find(|j| j.attribute == name)
    }

    /// The composed keys of the table (`None`) or of one index.
    pub fn keys_of<'a>(&'a self, index: Option<&'a str>) -> impl Iterator<Item = &'a EntityKey> + 'a {
        self.keys.iter().filter(move |k| k.index.as_deref() == index)
    }

    /// The key of this attribute.
    pub fn key(&self, attribute: &str) -> Option<&EntityKey> {
        self.keys.iter().find(|k| k.attribute == attribute)
    }

    /// The indexes the entity composes keys for, each once, in declaration order.
    pub fn indexes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for k in &self.keys {
            if let Some(i) = k.index.as_deref()
                && !out.contains(&i)
            {
                out.push(i);
            }
        }
        out
    }

    /// The fields a template placeholder reads: the field itself, or a joined attribute's
    /// sources. Empty when the name is neither.
    pub fn placeholder_fields<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        if self.field(name).is_some() {
            return vec![name];
        }
        match self.joined_attribute(name) {
            Some(j) => j.fields.iter().map(String::as_str).collect(),
            None => Vec::new(),
        }
    }

    /// The fields a key reads, directly or through joined attributes, each once, in template
    /// order (none when the template does not parse).
    pub fn key_fields<'a>(&'a self, key: &'a EntityKey) -> Vec<&'a str> {
        let Ok(template) = super::Template::parse(&key.template) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = Vec::new();
        for name in template.fields() {
            // `name` borrows the local template; look the field up again to borrow `self`.
            let fields = self
                .field(name)
                .map(|f| vec![f.name.as_str()])
                .or_else(|| {
                    self.joined_attribute(name)
                        .map(|j| j.fields.iter().map(String::as_str).collect())
                })
                .unwrap_or_default();
            for f in fields {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// Every problem of the definition on its own: field, joined and key attribute names unique
    /// and distinct; templates that parse and whose placeholders name fields or joined
    /// attributes; joined sources that are fields; table keys never sparse nor reading optional
    /// fields; a non-sparse index key never reading an optional field (it could not be written
    /// when the field is absent). Empty when it is valid.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        self.heading_problems(&mut p);
        let mut stored: Vec<&str> = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            if f.name.is_empty() {
                p.push(format!("field #{} has no name", i + 1));
            }
            if self.fields[..i].iter().any(|o| o.name == f.name) {
                p.push(format!("field `{}` is declared twice", f.name));
            }
            if stored.contains(&f.stored_name()) {
                p.push(format!(
                    "two fields are stored under the attribute `{}`",
                    f.stored_name()
                ));
            }
            stored.push(f.stored_name());
        }
        for (i, j) in self.joined.iter().enumerate() {
            if self.joined[..i].iter().any(|o| o.attribute == j.attribute) {
                p.push(format!("joined attribute `{}` is declared twice", j.attribute));
            }
            if self.field(&j.attribute).is_some() || stored.contains(&j.attribute.as_str()) {
                p.push(format!(
                    "joined attribute `{}` has the name of a field",
                    j.attribute
                ));
            }
            if j.fields.is_empty() {
                p.push(format!("joined attribute `{}` joins no fields", j.attribute));
            }
            for source in &j.fields {
                if self.field(source).is_none() {
                    p.push(format!(
                        "joined attribute `{}` reads `{source}`, which is not a field (fields: {})",
                        j.attribute,
                        list(self.fields.iter().map(|f| &f.name))
                    ));
                }
            }
        }
        for (i, k) in self.keys.iter().enumerate() {
            let at = format!("{} key `{}`", place(k.index.as_deref()), k.attribute);
            if self.keys[..i].iter().any(|o| o.attribute == k.attribute) {
                p.push(format!("key attribute `{}` has two templates", k.attribute));
            }
            if stored.contains(&k.attribute.as_str()) || self.joined_attribute(&k.attribute).is_some() {
                p.push(format!(
                    "{at}: `{}` is also a field's or joined attribute's name; key attributes are written from templates only",
                    k.attribute
                ));
            }
            if self.entity_attribute.as_deref() == Some(k.attribute.as_str()) {
                p.push(format!("{at}: `{}` is the entity-type attribute", k.attribute));
            }
            if k.index.is_none() && k.sparse {
                p.push(format!(
                    "{at} is marked sparse, but the table's keys are always present"
                ));
            }
            let template = match super::Template::parse(&k.template) {
                Ok(t) => t,
                Err(e) => {
                    p.push(format!("{at}: {e}"));
                    continue;
                }
            };
            for name in template.fields() {
                if let Some(f) = self.field(name) {
                    if f.optional && k.index.is_none() {
                        p.push(format!(
                            "{at} reads optional field `{name}`, but the table's keys are always present"
                        ));
                    } else if f.optional && !k.sparse {
                        p.push(format!(
                            "{at} reads optional field `{name}` and is not sparse: it could not be written when `{name}` is absent; mark it `sparse`"
                        ));
                    }
                } else if self.joined_attribute(name).is_none() {
                    p.push(format!(
                        "{at}: template `{}` reads `{{{name}}}`, which is neither a field nor a joined attribute (fields: {})",
                        k.template,
                        list(self.fields.iter().map(|f| &f.name))
                    ));
                }
            }
        }
        if let Some(a) = &self.entity_attribute
            && (stored.contains(&a.as_str()) || self.joined_attribute(a).is_some())
        {
            p.push(format!(
                "the entity-type attribute `{a}` is also a field's or joined attribute's name"
            ));
        }
        self.index_problems(&mut p);
        p
    }

    /// The problems of what the entity says of itself: its name, table, schema version, stored
    /// form and optimistic-locking version attribute.
    fn heading_problems(&self, p: &mut Vec<String>) {
        if self.name.is_empty() {
            p.push("the entity has no name".to_owned());
        }
        if self.table.is_empty() {
            p.push("the entity names no table".to_owned());
        }
        if self.schema_version == Some(0) {
            p.push("schema versions start at 1, found `schema_version = 0`".to_owned());
        }
        if let Some(form) = self.form.as_deref()
            && crate::StoredForm::named(form).is_none()
        {
            let known: Vec<&str> = crate::StoredForm::NAMED.iter().map(|(n, _)| *n).collect();
            p.push(format!(
                "unknown stored form `{form}` (known: {})",
                known.join(", ")
            ));
        }
        if let Some(version) = self.version.as_deref()
            && !self.fields.iter().any(|f| f.stored_name() == version)
        {
            p.push(format!(
                "version attribute `{version}` is not one of the entity's stored fields"
            ));
        }
    }

    /// The problems of the entity's multi-attribute indexes on their own: each named once and
    /// not also given key templates, 1 to 4 partition and 0 to 4 sort attributes (DynamoDB's
    /// limits), each a field, none twice.
    fn index_problems(&self, p: &mut Vec<String>) {
        for (i, index) in self.indexes.iter().enumerate() {
            let name = &index.name;
            if self.indexes[..i].iter().any(|o| o.name == *name) {
                p.push(format!("index `{name}` is declared twice"));
            }
            if self.keys_of(Some(name)).next().is_some() {
                p.push(format!(
                    "index `{name}` has both key templates and field keys; a multi-attribute index reads fields only"
                ));
            }
            for (role, keys, min) in [
                ("partition key", &index.partition_key, 1),
                ("sort key", &index.sort_key, 0),
            ] {
                if keys.len() < min || keys.len() > 4 {
                    p.push(format!(
                        "{role} of index `{name}` has {} attributes; DynamoDB allows {min} to 4",
                        keys.len()
                    ));
                }
            }
            let mut seen: Vec<&str> = Vec::new();
            for key in index.keys() {
                if self.field(&key.field).is_none() {
                    p.push(format!(
                        "index `{name}` reads `{}`, which is not a field (fields: {})",
                        key.field,
                        list(self.fields.iter().map(|f| &f.name))
                    ));
                } else if seen.contains(&key.field.as_str()) {
                    p.push(format!("index `{name}` names field `{}` twice", key.field));
                }
                seen.push(&key.field);
            }
        }
    }

    /// The problems of the entity's multi-attribute indexes against its table: each a global
    /// index of the table with the same attributes, in the same order, of the same types.
    fn index_problems_in(&self, table: &TableDefinition, p: &mut Vec<String>) {
        for index in &self.indexes {
            let name = &index.name;
            let g = match table.index(name) {
                Some(IndexRef::Global(g)) => g,
                Some(IndexRef::Local(_)) => {
                    p.push(format!(
                        "index `{name}` is a local index of table `{}`; multi-attribute keys are for global indexes only",
                        table.name
                    ));
                    continue;
                }
                None => {
                    p.push(format!("table `{}` has no global index `{name}`", table.name));
                    continue;
                }
            };
            let [partition, sort] = self.index_attributes(index);
            for (role, declared, live) in [
                ("partition key", partition, g.partition_keys()),
                ("sort key", sort, g.sort_keys()),
            ] {
                let names: Vec<&str> = declared.iter().map(|(n, _)| n.as_str()).collect();
                if names != live {
                    p.push(format!(
                        "{role} of index `{name}`: the entity reads {}, table `{}` declares {}",
                        list(&names),
                        table.name,
                        list(&live)
                    ));
                    continue;
                }
                for (attribute, key_type) in &declared {
                    let found = table.key_type(attribute);
                    if found != Some(*key_type) {
                        p.push(format!(
                            "index `{name}` attribute `{attribute}`: the entity stores {}, table `{}` declares {}",
                            key_type.as_str(),
                            table.name,
                            found.map_or("no key type", ScalarType::as_str)
                        ));
                    }
                }
            }
        }
    }

    /// [`problems`](Self::problems), and every problem against the definition of its table:
    /// the table's name; each key attribute one of the keys of the table or of the index it
    /// names, declared as a string (`S`); a template for each of the table's keys; and for each
    /// global index the entity writes, templates for all of its keys (an item missing one is not
    /// in the index).
    pub fn problems_in(&self, table: &TableDefinition) -> Vec<String> {
        let mut p = self.problems();
        if self.table != table.name {
            p.push(format!(
                "the entity belongs to table `{}`, not `{}`",
                self.table, table.name
            ));
        }
        let table_keys: Vec<&str> = std::iter::once(table.partition_key.as_str())
            .chain(table.sort_key.as_deref())
            .collect();
        for k in &self.keys {
            let at = format!("{} key `{}`", place(k.index.as_deref()), k.attribute);
            let allowed: Vec<&str> = match k.index.as_deref() {
                None => table_keys.clone(),
                Some(name) => match table.index(name) {
                    // Its attributes are plain stored attributes, not rendered from templates.
                    Some(IndexRef::Global(g)) if g.is_multi_attribute() => {
                        p.push(format!(
                            "{at}: index `{name}` has a multi-attribute key, whose attributes are stored fields, not keys an entity composes from a template"
                        ));
                        continue;
                    }
                    Some(IndexRef::Global(g)) => std::iter::once(g.partition_key.as_str())
                        .chain(g.sort_key.as_deref())
                        .collect(),
                    Some(IndexRef::Local(l)) => vec![l.sort_key.as_str()],
                    None => {
                        let known: Vec<&str> = table
                            .global_secondary_indexes
                            .iter()
                            .map(|g| g.name.as_str())
                            .chain(table.local_secondary_indexes.iter().map(|l| l.name.as_str()))
                            .collect();
                        p.push(format!(
                            "{at}: table `{}` has no index `{name}` (its indexes: {})",
                            table.name,
                            list(known)
                        ));
                        continue;
                    }
                },
            };
            if !allowed.contains(&k.attribute.as_str()) {
                p.push(format!(
                    "{at}: `{}` is not a key attribute of {} (its keys: {})",
                    k.attribute,
                    match k.index.as_deref() {
                        Some(i) => format!("index `{i}`"),
                        None => format!("table `{}`", table.name),
                    },
                    list(allowed)
                ));
                continue;
            }
            match table.key_type(&k.attribute) {
                Some(ScalarType::S) | None => {}
                Some(other) => p.push(format!(
                    "{at}: table `{}` declares `{}` as {}, but templates write strings (S)",
                    table.name,
                    k.attribute,
                    other.as_str()
                )),
            }
        }
        for attribute in &table_keys {
            if !self.keys_of(None).any(|k| k.attribute == *attribute) {
                p.push(format!(
                    "no template for the table's key `{attribute}` (every item needs it)"
                ));
            }
        }
        for index in self.indexes() {
            if let Some(IndexRef::Global(g)) = table.index(index) {
                for attribute in std::iter::once(g.partition_key.as_str()).chain(g.sort_key.as_deref()) {
                    // A key the index shares with the table (STORM's `GSI1` on `GSI1PK` + `SK`)
                    // is written by the table's template.
                    if !table_keys.contains(&attribute)
                        && !self.keys_of(Some(index)).any(|k| k.attribute == attribute)
                    {
                        p.push(format!(
                            "index `{index}`: no template for its key `{attribute}`, so no item of the entity would be in the index"
                        ));
                    }
                }
            }
        }
        self.index_problems_in(table, &mut p);
        p
    }

    /// Checks the definition against its table's; the error lists every problem.
    pub fn validate(&self, table: &TableDefinition) -> Result<(), EntityProblems> {
        let problems = self.problems_in(table);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(EntityProblems {
                entity: self.name.clone(),
                table: self.table.clone(),
                problems,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn definition() -> EntityDefinition {
        serde_json::from_value(serde_json::json!({
            "name": "User", "table": "app", "entity_attribute": "__entity",
            "fields": [{ "name": "tenant" }, { "name": "user" }, { "name": "team", "optional": true }],
            "keys": [
                { "attribute": "pk", "template": "T#{tenant}" },
                { "attribute": "sk", "template": "U#{user}" },
                { "index": "gsi1", "attribute": "gsi1pk", "template": "TEAM#{team}", "sparse": true }
            ]
        }))
        .unwrap()
    }

    #[test]
    fn a_valid_definition_has_no_problems() {
        assert_eq!(definition().problems(), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_named() {
        let mut d = definition();
        d.fields.push(EntityField {
            name: "team2".into(),
            stored: Some("team".into()),
            optional: false,
            immutable: false,
        });
        d.keys[0].sparse = true;
        d.keys[1].template = "U#{team}".into();
        d.keys[2].sparse = false;
        d.keys.push(EntityKey {
            index: Some("gsi1".into()),
            attribute: "__entity".into(),
            template: "X".into(),
            sparse: false,
        });
        d.joined.push(EntityJoin {
            attribute: "user".into(),
            fields: vec![],
            separator: "~".into(),
        });
        let problems = d.problems();
        for needle in [
            "two fields are stored under the attribute `team`",
            "joined attribute `user` has the name of a field",
            "joined attribute `user` joins no fields",
            "the table key `pk` is marked sparse, but the table's keys are always present",
            "the table key `sk` reads optional field `team`, but the table's keys are always present",
            "index `gsi1` key `gsi1pk` reads optional field `team` and is not sparse",
            "index `gsi1` key `__entity`: `__entity` is the entity-type attribute",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "{needle:?} not in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), 7, "{problems:#?}");
    }
}

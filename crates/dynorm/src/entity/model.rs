//! Entities as plain data: what `#[derive(Entity)]` declares (fields, key templates, joined
//! attributes), owned and serde-ready, for tools that work without the Rust type — the data-model
//! document, schema files and `dynorm backfill`.

use serde::{Deserialize, Serialize};

use super::Entity;

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
        }
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&EntityField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

//! Single-table design: many entity types stored in one table, their keys composed from their
//! fields by [templates](template).
//!
//! The shared table is declared once as a [`Layout`] (its key attribute names, its generic
//! indexes, the entity-type attribute) on a marker type implementing [`SingleTable`]. Each
//! entity type then derives [`Entity`](derive@crate::Entity) against it:
//!
//! ```
//! use dynorm::entity::{Entity as _, IndexLayout, Layout, SingleTable};
//!
//! struct App;
//! impl SingleTable for App {
//!     const LAYOUT: Layout = Layout {
//!         global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
//!         ..Layout::new("app", "pk", Some("sk"))
//!     };
//! }
//!
//! #[derive(dynorm::Entity, Debug, PartialEq)]
//! #[dynorm(table = App, entity = "Integration")]
//! #[dynorm(pk = "T#{tenant_name}#Integrations", sk = "I#{integration_id}")]
//! #[dynorm(index(name = "gsi1", pk = "INTEGRATION#{integration_id}", sk = "T#{tenant_name}"))]
//! struct Integration {
//!     tenant_name: String,
//!     integration_id: String,
//!     enabled: bool,
//! }
//!
//! let i = Integration { tenant_name: "tenant-2".into(), integration_id: "INT0001".into(), enabled: true };
//! let item = i.to_entity_item().unwrap();
//! assert_eq!(item["pk"].as_s().unwrap(), "T#tenant-2#Integrations");
//! assert_eq!(item["sk"].as_s().unwrap(), "I#INT0001");
//! assert_eq!(item["__entity"].as_s().unwrap(), "Integration");
//! assert_eq!(item["tenant_name"].as_s().unwrap(), "tenant-2"); // readable fields are stored too
//! assert_eq!(Integration::from_entity_item(item).unwrap(), i);
//! ```
//!
//! **Field options.** Besides `rename`, `default`, `skip` and the codecs of
//! [`#[derive(Table)]`](derive@crate::Table) (`with = module`, `json`, `epoch_seconds`, ...), an
//! entity field can be `immutable` (written once: later writes that would change it fail with
//! [`Error::ImmutableAttribute`](crate::Error::ImmutableAttribute)) and have a mutator
//! (`mutate = path`, a `fn(T) -> T` run on every write: puts, key builders, partial updates,
//! query values). `version`, `created_at` and `updated_at` work as on tables (optimistic locking
//! with [`TableClient::save`](crate::TableClient::save) and
//! [`EntityUpdate::expected_version`], timestamps stamped by upserts).
//! `join(attribute = "..", fields(a, b), separator = "~")` stores dynamojo's joined
//! attribute, which templates can read like a field:
//!
//! ```
//! # use dynorm::entity::{Entity as _, Layout, SingleTable};
//! # struct App;
//! # impl SingleTable for App { const LAYOUT: Layout = Layout::new("app", "pk", Some("sk")); }
//! fn lower(s: String) -> String { s.to_lowercase() }
//!
//! #[derive(dynorm::Entity)]
//! #[dynorm(table = App, pk = "U#{email}", sk = "{name_city}")]
//! #[dynorm(join(attribute = "name_city", fields(name, city)))]
//! struct Person {
//!     #[dynorm(mutate = lower, immutable)]
//!     email: String,
//!     name: String,
//!     city: Option<String>,
//! }
//!
//! let p = Person { email: "Ann@X.org".into(), name: "Ann".into(), city: None };
//! let item = p.to_entity_item().unwrap();
//! assert_eq!(item["pk"].as_s().unwrap(), "U#ann@x.org");
//! assert_eq!(item["sk"].as_s().unwrap(), "Ann~"); // an absent source joins as ""
//! ```
//!
//! Clippy's `duplicated_attributes` lint (1.95) mistakes the same option text in two
//! `#[dynorm(index(..))]` attributes (say `sk = "{date}"` in two indexes) for a repeated
//! attribute; allow it on such a type.
//!
//! Stored layouts of other libraries are in [`formats`].

use std::collections::BTreeSet;

use crate::Item;
use crate::definition::{
    AttributeDefinition, AttributeType, GlobalSecondaryIndex, LocalSecondaryIndex, Projection,
    TableDefinition,
};
use crate::error::{DecodeError, EncodeError};
use crate::format::{SparseKeys, StoredForm};

pub mod backfill;
pub(crate) mod classify;
pub mod collection;
pub mod context;
pub mod formats;
pub mod index;
pub mod model;
pub mod ops;
mod records;
pub mod shared;
mod stored;
pub mod template;

pub use collection::{Collection, CollectionItems, EnumCollection, EnumItems};
pub use context::TableContext;
pub use index::{IndexField, MultiAttributeIndex};
pub use model::{
    EntityDefinition, EntityField, EntityIndex, EntityIndexKey, EntityJoin, EntityKey, EntityProblems,
};
pub use ops::{EntityError, EntityQuery, EntityUpdate, RawItem, complete_update, stored_attributes};
pub use shared::{IndexConflict, definition_of, table_definition};
#[doc(hidden)]
pub use stored::{finish_item, restore_fields};
pub use template::{Segment, Template, TemplateError, TemplatePart, TemplatePlan};

/// The default name of the attribute holding an item's entity type.
pub const DEFAULT_ENTITY_ATTRIBUTE: &str = "__entity";

/// The key layout of a table shared by several entity types.
///
/// Every key attribute is a string (`S`). Build one in a `const` with [`Layout::new`] and struct
/// update syntax for the indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The table name (before any stage prefix or suffix).
    pub name: &'static str,
    /// The partition key attribute.
    pub partition_key: &'static str,
    /// The sort key attribute, if any.
    pub sort_key: Option<&'static str>,
    /// Global secondary indexes.
    pub global_indexes: &'static [IndexLayout],
    /// Local secondary indexes (their `partition_key` is `None`).
    pub local_indexes: &'static [IndexLayout],
    /// The attribute naming each item's entity type; `None` stores none (as single-table-orm,
    /// dynamojo and dynamo_query do).
    pub entity_attribute: Option<&'static str>,
    /// Provisioned capacity (read, write) for the table and every index; `None`: on demand.
    pub provisioned: Option<(u64, u64)>,
    /// How items are written where libraries differ (escaping in keys, `None`, sparse index
    /// keys, stamps); [`StoredForm::DYNORM`] unless the table is shared with another library.
    pub form: StoredForm,
}

/// One index of a [`Layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexLayout {
    /// The index name.
    pub name: &'static str,
    /// The partition key attribute (`None` for a local index, which shares the table's).
    pub partition_key: Option<&'static str>,
    /// The sort key attribute, if any (always set for a local index).
    pub sort_key: Option<&'static str>,
}

impl IndexLayout {
    /// A global secondary index.
    pub const fn global(
        name: &'static str,
        partition_key: &'static str,
        sort_key: Option<&'static str>,
    ) -> Self {
        Self {
            name,
            partition_key: Some(partition_key),
            sort_key,
        }
    }

    /// A local secondary index.
    pub const fn local(name: &'static str, sort_key: &'static str) -> Self {
        Self {
            name,
            partition_key: None,
            sort_key: Some(sort_key),
        }
    }
}

/// Whether two strings are equal, in a `const` context.
#[doc(hidden)]
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Layout {
    /// A table with these key attributes, no indexes, the entity attribute
    /// [`DEFAULT_ENTITY_ATTRIBUTE`], billed on demand.
    pub const fn new(
        name: &'static str,
        partition_key: &'static str,
        sort_key: Option<&'static str>,
    ) -> Self {
        Self {
            name,
            partition_key,
            sort_key,
            global_indexes: &[],
            local_indexes: &[],
            entity_attribute: Some(DEFAULT_ENTITY_ATTRIBUTE),
            provisioned: None,
            form: StoredForm::DYNORM,
        }
    }

    /// The index with this name, global or local.
    pub const fn index(&self, name: &str) -> Option<&IndexLayout> {
        let mut i = 0;
        while i < self.global_indexes.len() {
            if str_eq(self.global_indexes[i].name, name) {
                return Some(&self.global_indexes[i]);
            }
            i += 1;
        }
        let mut i = 0;
        while i < self.local_indexes.len() {
            if str_eq(self.local_indexes[i].name, name) {
                return Some(&self.local_indexes[i]);
            }
            i += 1;
        }
        None
    }

    /// Whether `name` is one of the layout's key attributes (the table's or an index's).
    pub const fn is_key_attribute(&self, name: &str) -> bool {
        if str_eq(self.partition_key, name) {
            return true;
        }
        if let Some(sk) = self.sort_key
            && str_eq(sk, name)
        {
            return true;
        }
        let mut i = 0;
        while i < self.global_indexes.len() + self.local_indexes.len() {
            let index = if i < self.global_indexes.len() {
                &self.global_indexes[i]
            } else {
                &self.local_indexes[i - self.global_indexes.len()]
            };
            if let Some(a) = index.partition_key
                && str_eq(a, name)
            {
                return true;
            }
            if let Some(a) = index.sort_key
                && str_eq(a, name)
            {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The table definition: every key attribute a string, every index projecting all
    /// attributes.
    pub fn definition(&self) -> TableDefinition {
        let mut def = TableDefinition::new(self.name, self.partition_key, AttributeType::String);
        def.sort_key = self.sort_key.map(str::to_owned);
        let capacity = self
            .provisioned
            .map(|(read, write)| crate::Capacity { read, write });
        if let Some(c) = capacity {
            def.billing = crate::BillingMode::Provisioned(c);
        }
        def.global_secondary_indexes = self
            .global_indexes
            .iter()
            .filter_map(|g| {
                let mut index =
                    GlobalSecondaryIndex::new(g.name, g.partition_key?, g.sort_key.map(str::to_owned));
                index.capacity = capacity;
                Some(index)
            })
            .collect();
        def.local_secondary_indexes = self
            .local_indexes
            .iter()
            .filter_map(|l| {
                Some(LocalSecondaryIndex {
                    name: l.name.to_owned(),
                    sort_key: l.sort_key?.to_owned(),
                    projection: Projection::All,
                })
            })
            .collect();
        let mut seen: BTreeSet<String> = def.attributes.iter().map(|a| a.name.clone()).collect();
        let keys: Vec<String> = def.key_attributes().into_iter().map(str::to_owned).collect();
        let table_keys = [Some(self.partition_key), self.sort_key];
        for k in keys {
            if seen.insert(k.clone()) {
                let mut attribute = AttributeDefinition::new(k, AttributeType::String);
                // Index keys are absent from items not in the index (sparse indexes).
                attribute.optional = !table_keys.contains(&Some(attribute.name.as_str()));
                def.attributes.push(attribute);
            }
        }
        def
    }
}

/// A marker type naming a shared table's [`Layout`].
pub trait SingleTable {
    /// The table's key layout.
    const LAYOUT: Layout;
}

/// One key attribute an entity composes from a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTemplate {
    /// The index it belongs to; `None` for the table's own keys.
    pub index: Option<&'static str>,
    /// The stored attribute (`pk`, `gsi1sk`, ...).
    pub attribute: &'static str,
    /// The template text.
    pub template: &'static str,
    /// The template, parsed when the entity was compiled (see [`plan`](Self::plan)).
    pub parts: &'static [TemplatePart],
    /// The fields the template reads, in order.
    pub fields: &'static [&'static str],
    /// Whether the attribute is left out when one of its fields is absent (index keys over
    /// `Option` fields: a sparse index).
    pub sparse: bool,
    /// The table's stored form (its layout's): how values are escaped, empty ones dropped.
    pub form: StoredForm,
}

impl KeyTemplate {
    /// The template, compiled with the entity: renders and reads keys without parsing.
    pub const fn plan(&self) -> TemplatePlan<'static> {
        TemplatePlan::compiled(self.template, self.parts).with_form(self.form)
    }

    /// The template parsed again from its text; [`plan`](Self::plan) gives the same without
    /// parsing.
    pub fn parsed(&self) -> Result<Template, TemplateError> {
        Template::parse(self.template)
    }

    /// The fields this key needs that are not among `known`, in template order.
    pub fn missing(&self, known: &[&str]) -> Vec<&'static str> {
        self.fields
            .iter()
            .copied()
            .filter(|f| !known.contains(f))
            .collect()
    }

    /// Whether the key reads any of these fields.
    pub fn reads_any(&self, fields: &[&str]) -> bool {
        self.fields.iter().any(|f| fields.contains(f))
    }
}

/// One field of an entity: the name templates and updates use, and the attribute it is
/// stored under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// The field's name (as in `{field}` placeholders).
    pub name: &'static str,
    /// The stored attribute (`#[dynorm(rename)]`; otherwise the name).
    pub stored: &'static str,
    /// The field is an `Option` (absent when `None`).
    pub optional: bool,
    /// Once written, the value cannot change (`#[dynorm(immutable)]`).
    pub immutable: bool,
}

/// An attribute joined from several fields with a separator, stored beside them (dynamojo's
/// `JoinedAttribute`): the sources' values as text, `""` for an absent one. Templates can read it
/// like a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinedAttribute {
    /// The stored attribute (and the name templates use).
    pub attribute: &'static str,
    /// The source fields, in order.
    pub fields: &'static [&'static str],
    /// The separator (`~` in dynamojo).
    pub separator: &'static str,
}

impl JoinedAttribute {
    /// The joined text from the sources' stored values: strings as they are, numbers as their
    /// text, `""` for an absent source. Other types cannot be joined.
    pub fn render(
        &self,
        lookup: impl FnMut(&str) -> Option<crate::AttributeValue>,
    ) -> Result<String, EncodeError> {
        join_sources(self.fields.iter().copied(), self.separator, lookup).map_err(|(field, found)| {
            EncodeError::new(format!(
                "joined attribute `{}` reads field `{field}`, which holds {found} (only strings and numbers can be joined)",
                self.attribute
            ))
        })
    }
}

/// dynamojo's join rule: the sources' values as text (strings as they are, numbers as their
/// text), `""` for an absent or NULL source, joined unescaped (composite strings join with the
/// same function, escaped); another type is the error, with its source.
pub(crate) fn join_sources<'a>(
    fields: impl IntoIterator<Item = &'a str>,
    separator: &str,
    mut lookup: impl FnMut(&str) -> Option<crate::AttributeValue>,
) -> Result<String, (&'a str, crate::error::TypeName)> {
    let mut parts = Vec::new();
    for field in fields {
        parts.push(match lookup(field) {
            None | Some(crate::AttributeValue::Null(_)) => String::new(),
            Some(crate::AttributeValue::S(s)) => s,
            Some(crate::AttributeValue::N(n)) => n,
            Some(other) => return Err((field, crate::attribute::type_name(&other))),
        });
    }
    Ok(dynorm_template::join(
        &parts,
        separator,
        dynorm_template::Escaping::Verbatim,
    ))
}

/// A type stored as items of a shared single table; derive it with
/// [`#[derive(Entity)]`](derive@crate::Entity).
///
/// Every field is stored as its own attribute (readable and filterable), beside the composed key
/// attributes and the entity-type attribute.
pub trait Entity: Sized {
    /// The shared table.
    type Table: SingleTable;

    /// The entity-type name stored in the layout's entity attribute.
    const ENTITY_TYPE: &'static str;

    /// Every composed key attribute: the table's keys first, then each index's.
    const KEYS: &'static [KeyTemplate];

    /// Every stored field, in declaration order.
    const FIELDS: &'static [FieldInfo];

    /// The attributes joined from several fields.
    const JOINED: &'static [JoinedAttribute] = &[];

    /// The stored attribute holding the entity's optimistic-locking version (its
    /// `#[dynorm(version)]` field, as [`Table::VERSION_ATTRIBUTE`](crate::Table::VERSION_ATTRIBUTE)
    /// names it), for the definition that tools without the Rust type read.
    const VERSIONED_BY: Option<&'static str> = None;
    /// The global indexes whose keys are the entity's own fields, several attributes each
    /// (`#[dynorm(index(name = "..", pk(a, b), sk(c)))]`); the entity's table definition
    /// ([`definition_of`]) carries them.
    const INDEXES: &'static [MultiAttributeIndex] = &[];

    /// Whether a field (or joined attribute) that a key holds whole (`pk = "{account_id}"`) is
    /// also stored as its own attribute. `false` (`#[dynorm(store_aliases = false)]`, dynamojo's
    /// `store_aliases=False`) keeps it only in the key and reads it back from there.
    const STORE_ALIASES: bool = true;

    /// The field with this name.
    fn field(name: &str) -> Option<&'static FieldInfo> {
        Self::FIELDS.iter().find(|f| f.name == name)
    }

    /// Normalises a field's stored value as the field's mutator would on write
    /// (`#[dynorm(mutate = ..)]`); fields without a mutator are returned unchanged.
    /// `None`: the value encodes to nothing (the field is removed).
    fn mutate_stored(
        field: &str,
        value: crate::AttributeValue,
    ) -> Result<Option<crate::AttributeValue>, EncodeError> {
        let _ = field;
        Ok(Some(value))
    }

    /// The entity as plain data (fields, key templates, joined attributes), for tools that work
    /// without the Rust type: documentation, schema files, `dynorm backfill`.
    fn entity_definition() -> EntityDefinition {
        EntityDefinition::of::<Self>()
    }

    /// The table's layout.
    fn layout() -> &'static Layout {
        &<Self::Table as SingleTable>::LAYOUT
    }

    /// Encodes the value as a whole item: fields, composed keys (sparse index keys whose fields
    /// are absent left out) and the entity type.
    fn to_entity_item(&self) -> Result<Item, EncodeError>;

    /// Decodes an item, checking its entity type when the layout has an entity attribute.
    fn from_entity_item(item: Item) -> Result<Self, DecodeError> {
        Self::from_item_checked(item, Ownership::Check)
    }

    /// Decodes an item; [`Ownership::Ignore`] reads items written by other tools, which lack
    /// the entity-type attribute (or carry another value).
    fn from_item_checked(item: Item, ownership: Ownership) -> Result<Self, DecodeError>;

    /// The key attributes (table and index) whose templates read any of `fields`: what a partial
    /// update touching those fields must rebuild. With [`KeyTemplate::missing`] it tells which
    /// other fields the update needs, so no index key is left stale.
    fn index_keys_affected_by(fields: &[&str]) -> Vec<&'static KeyTemplate> {
        Self::KEYS.iter().filter(|k| k.reads_any(fields)).collect()
    }

    /// The key template of one attribute.
    fn key_template(attribute: &str) -> Option<&'static KeyTemplate> {
        Self::KEYS.iter().find(|k| k.attribute == attribute)
    }
}

/// Whether decoding checks the entity-type attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ownership {
    /// The item must carry this entity's type (when the layout stores one).
    #[default]
    Check,
    /// Accept any item with the right fields.
    Ignore,
}

/// Checks an item's entity type (used by generated code).
#[doc(hidden)]
pub fn check_entity_type(
    item: &Item,
    layout: &Layout,
    expected: &str,
    ownership: Ownership,
) -> Result<(), DecodeError> {
    let Some(attribute) = layout.entity_attribute else {
        return Ok(());
    };
    if ownership == Ownership::Ignore {
        return Ok(());
    }
    match item.get(attribute) {
        Some(crate::AttributeValue::S(found)) if found == expected => Ok(()),
        Some(crate::AttributeValue::S(found)) => Err(DecodeError::custom(format!(
            "the item holds entity type `{found}`, not `{expected}`"
        ))
        .at(layout.name, attribute)),
        Some(other) => Err(DecodeError::wrong_type("S", other).at(layout.name, attribute)),
        None => Err(DecodeError::custom(format!(
            "the item has no entity type (expected `{expected}`); read it with `Ownership::Ignore` if another tool wrote it"
        ))
        .at(layout.name, attribute)),
    }
}

/// Renders every composed key into an item (used by generated code). When a key of a sparse
/// index has absent (or NULL) fields, every key attribute of that index is left out, so the item
/// is simply not in the index (or, in a [`SparseKeys::EachKey`] form, only that attribute); a
/// table key with absent fields is an error naming them.
#[doc(hidden)]
pub fn put_keys<'v>(
    item: &mut Item,
    keys: &[KeyTemplate],
    layout: &Layout,
    mut lookup: impl FnMut(&str) -> Option<&'v crate::AttributeValue>,
) -> Result<(), EncodeError> {
    let each_key = layout.form.sparse_keys == SparseKeys::EachKey;
    let mut left_out: Vec<Option<&str>> = Vec::new();
    let mut rendered: Vec<(&str, Option<&str>, String)> = Vec::with_capacity(keys.len());
    for key in keys {
        match key.plan().render_borrowed(&mut lookup) {
            Ok(text) => rendered.push((key.attribute, key.index, text)),
            Err(TemplateError::MissingFields { .. }) if key.sparse && each_key => {}
            Err(TemplateError::MissingFields { .. }) if key.sparse => left_out.push(key.index),
            Err(e) => return Err(EncodeError::new(e.to_string()).at(layout.name, key.attribute)),
        }
    }
    for (attribute, index, text) in rendered {
        if !left_out.contains(&index) {
            item.insert(attribute.to_owned(), crate::AttributeValue::S(text));
        }
    }
    Ok(())
}

/// Whether a stored item of the shared table is of entity `E`: by the layout's entity
/// attribute, or by `E`'s table key templates when the layout stores none (used by generated
/// code for [`Table::owns_stored`](crate::Table::owns_stored)).
#[doc(hidden)]
pub fn owns_item<E: Entity>(item: &Item) -> bool {
    classify::classify(E::layout(), [(E::ENTITY_TYPE, E::KEYS)], item).is_some()
}

//! Operations on entities of a shared table: partial updates that keep every composed key in
//! sync ([`EntityUpdate`]) and queries expressed in fields ([`EntityQuery`]).
//!
//! **Field names.** Both take *field* names, the names the key templates use; a renamed field
//! (`#[dynorm(rename)]`) is written under its stored name, and a field's mutator
//! (`#[dynorm(mutate)]`) normalises the values given, as it does on a put. An unknown name is
//! refused with [`EntityError::UnknownField`].

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock};

use super::{Entity, KeyTemplate, Ownership, SingleTable, TemplateError};
use crate::error::{DecodeError, EncodeError};
use crate::expr::{self, FieldValue, IntoValue, KeyCondition, TypedPath, Update, Value};
use crate::{AttributeValue, Item, Key, Table, TableClient, TableDefinition};

/// Why an entity operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntityError {
    /// A key attribute reads a changed field, and the update lacks other fields it needs to be
    /// rebuilt; it was refused rather than leave the key stale.
    #[error(
        "updating `{entity}`: {} `{attribute}` reads a changed field and needs field(s) {} to be rebuilt; give them with `.known(..)` or `.set(..)`, or use `.read_first()`",
        place(*index),
        list(missing)
    )]
    MissingFields {
        /// The entity type.
        entity: &'static str,
        /// The index (`None`: the table's own key).
        index: Option<&'static str>,
        /// The key attribute that would go stale.
        attribute: &'static str,
        /// The fields it needs that were not given.
        missing: Vec<&'static str>,
    },
    /// The update changes a field of the table's own key (the item's identity): the item would
    /// move to another key, which an update cannot do.
    #[error(
        "updating `{entity}`: field `{field}` makes up the table key attribute `{attribute}`, so changing it would move the item to another key, which an update cannot do; delete the old item and put the new one (together in a transaction, `Client::transact_write`, to do it atomically)"
    )]
    KeyFieldChanged {
        /// The entity type.
        entity: &'static str,
        /// The field.
        field: String,
        /// The table key attribute reading it.
        attribute: &'static str,
    },
    /// The update removes a field a key of a non-sparse index needs.
    #[error(
        "updating `{entity}`: field `{field}` cannot be removed: {} `{attribute}` needs it (only keys over `Option` fields are sparse)",
        place(*index)
    )]
    RequiredFieldRemoved {
        /// The entity type.
        entity: &'static str,
        /// The index.
        index: Option<&'static str>,
        /// The key attribute.
        attribute: &'static str,
        /// The field.
        field: String,
    },
    /// An action whose result DynamoDB computes (ADD, list append, DELETE from a set) on a field
    /// a computed attribute reads: the new value is unknown, so that attribute could not be
    /// rebuilt.
    #[error(
        "updating `{entity}`: `{action}` on field `{field}` computes its new value in DynamoDB, but `{attribute}` is built from it and would go stale; set the new value with `.set(..)` instead"
    )]
    ComputedChange {
        /// The entity type.
        entity: &'static str,
        /// The field.
        field: String,
        /// The action (`add`, `append`, `remove_from_set`).
        action: &'static str,
        /// A computed attribute reading the field.
        attribute: &'static str,
    },
    /// A joined attribute reads a changed field, and the update lacks other sources it needs.
    #[error(
        "updating `{entity}`: joined attribute `{attribute}` reads a changed field and needs field(s) {} to be rebuilt; give them with `.known(..)` or `.set(..)`, or use `.read_first()`",
        list(missing)
    )]
    MissingJoinSources {
        /// The entity type.
        entity: &'static str,
        /// The joined attribute.
        attribute: &'static str,
        /// The sources not given.
        missing: Vec<&'static str>,
    },
    /// The name is not a stored field of the entity.
    #[error("`{entity}` has no stored field `{field}`{}; its fields are: {}", hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default(), list(fields))]
    UnknownField {
        /// The entity type.
        entity: &'static str,
        /// The name given.
        field: String,
        /// A likely intended name, or why the name cannot be used.
        hint: Option<String>,
        /// The stored fields.
        fields: Vec<&'static str>,
    },
    /// No index (nor the table) can be queried with the fields given.
    #[error(
        "querying `{entity}` by {}: no index fits; {}",
        list(given),
        needs.join("; ")
    )]
    NoIndex {
        /// The entity type.
        entity: &'static str,
        /// The fields given.
        given: Vec<String>,
        /// What each candidate needs, as text.
        needs: Vec<String>,
    },
    /// The named index is not one the entity composes keys for, or its partition key fields
    /// were not all given.
    #[error("querying `{entity}` on {}: {reason}", place(index.as_deref()))]
    BadIndex {
        /// The entity type.
        entity: &'static str,
        /// The index (`None`: the table).
        index: Option<String>,
        /// Why.
        reason: String,
    },
    /// A template could not be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A value could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// An item could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The request failed.
    #[error(transparent)]
    Dynamo(#[from] crate::Error),
}

fn place(index: Option<&str>) -> String {
    match index {
        Some(i) => format!("index `{i}`'s key"),
        None => "the table's key".to_owned(),
    }
}

fn list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An item of a shared table read as it is stored (any entity type).
pub struct RawItem<Tb> {
    /// The stored attributes.
    pub item: Item,
    table: PhantomData<fn() -> Tb>,
}

impl<Tb> RawItem<Tb> {
    /// Wraps an item.
    pub fn new(item: Item) -> Self {
        Self {
            item,
            table: PhantomData,
        }
    }
}

impl<Tb> RawItem<Tb> {
    /// An entity's key as the key of a raw item of its table.
    pub fn key<E>(key: Key<E>) -> Key<Self> {
        Key::from_result(key.into_item())
    }
}

impl<Tb> fmt::Debug for RawItem<Tb> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.item.fmt(f)
    }
}

/// The table definition of a layout, built once per marker type.
pub fn layout_definition<Tb: SingleTable + 'static>() -> &'static TableDefinition {
    static DEFINITIONS: OnceLock<Mutex<HashMap<TypeId, &'static TableDefinition>>> = OnceLock::new();
    let mut map = DEFINITIONS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(TypeId::of::<Tb>())
        .or_insert_with(|| Box::leak(Box::new(Tb::LAYOUT.definition())))
}

// Not a type users implement Table for; keep it out of "the trait is implemented for" hints.
#[diagnostic::do_not_recommend]
impl<Tb: SingleTable + 'static> Table for RawItem<Tb> {
    fn definition() -> &'static TableDefinition {
        layout_definition::<Tb>()
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        Ok(self.item.clone())
    }

    fn from_item(item: Item) -> Result<Self, DecodeError> {
        Ok(Self::new(item))
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        let layout = Tb::LAYOUT;
        let mut key = Item::new();
        for attribute in std::iter::once(layout.partition_key).chain(layout.sort_key) {
            let value = self.item.get(attribute).ok_or_else(|| {
                EncodeError::new("the item has no key attribute").at(layout.name, attribute)
            })?;
            key.insert(attribute.to_owned(), value.clone());
        }
        Ok(key)
    }
}

/// An item of entity `E`'s table as stored, read by an entity query: checked against `E`'s table
/// definition (its layout's, with the entity's own multi-attribute indexes).
struct EntityRead<E> {
    item: Item,
    entity: PhantomData<fn() -> E>,
}

impl<E: Entity + Table> Table for EntityRead<E> {
    fn definition() -> &'static TableDefinition {
        E::definition()
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        Ok(self.item.clone())
    }

    fn from_item(item: Item) -> Result<Self, DecodeError> {
        Ok(Self {
            item,
            entity: PhantomData,
        })
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        E::from_item_checked(self.item.clone(), Ownership::Ignore)
            .map_err(|e| EncodeError::new(e.to_string()))?
            .key_item()
    }
}

/// The value a template reads for a field parsed back from a key: a padded field's text is a
/// number, any other renders the same as a string.
fn parsed_values(template: &KeyTemplate, key: &str) -> Result<Vec<(String, AttributeValue)>, TemplateError> {
    let parsed = template.plan();
    let padded: Vec<&str> = parsed
        .segments()
        .iter()
        .filter_map(|s| match s {
            super::Segment::Field { name, width: Some(_) } => Some(*name),
            _ => None,
        })
        .collect();
    Ok(parsed
        .parse_key(key)?
        .into_iter()
        .map(|(name, text)| {
            let value = if padded.contains(&name.as_str()) {
                AttributeValue::N(text)
            } else {
                AttributeValue::S(text)
            };
            (name, value)
        })
        .collect())
}

fn table_keys<E: Entity>() -> impl Iterator<Item = &'static KeyTemplate> {
    E::KEYS.iter().filter(|k| k.index.is_none())
}

/// One change of an [`EntityUpdate`], by field name.
#[derive(Debug, Clone)]
enum Change {
    Set(AttributeValue),
    Remove,
    /// An action whose result DynamoDB computes (ADD, list append, DELETE from a set), named
    /// for errors; refused on a field a computed attribute reads, as its new value is unknown.
    Compute(&'static str, Update),
}

/// How many times a read-first update re-reads the item when it changed in between.
const READ_FIRST_ATTEMPTS: usize = 3;

impl<E: Entity + Table> TableClient<E> {
    /// A partial update of the entity with this key that keeps every composed key in sync: each
    /// key attribute (and joined attribute) reading a changed field is rebuilt, or the update is
    /// refused with [`EntityError::MissingFields`]; index keys of a sparse index whose fields are
    /// removed are removed. The fields of the table's key are known from `key`; give the others
    /// a rebuilt key reads with [`known`](EntityUpdate::known), or have them read from the stored
    /// item with [`read_first`](EntityUpdate::read_first).
    ///
    /// The item must exist (a partial update never creates a half entity): an absent item is
    /// [`Error::ConditionalCheckFailed`](crate::Error::ConditionalCheckFailed) (as single-table-orm's
    /// `update` fails on a missing item).
    pub fn entity_update(&self, key: Key<E>) -> EntityUpdate<E> {
        EntityUpdate {
            table: self.clone(),
            key,
            known: Vec::new(),
            changes: Vec::new(),
            error: None,
            condition: None,
            read_first: false,
            expected_version: None,
        }
    }

    /// A query of this entity by field values; see [`EntityQuery`].
    pub fn entity_query(&self) -> EntityQuery<E> {
        EntityQuery {
            table: self.clone(),
            fields: Vec::new(),
            index: IndexChoice::Auto,
            ownership: Ownership::Check,
            descending: false,
            consistent_read: false,
            page_size: None,
            limit: None,
            start: None,
            filter: None,
            range: None,
            key: None,
            error: None,
        }
    }
}

/// A partial update of an entity; see [`TableClient::entity_update`].
#[must_use = "an update does nothing until it is sent"]
pub struct EntityUpdate<E> {
    table: TableClient<E>,
    key: Key<E>,
    known: Vec<(String, AttributeValue)>,
    changes: Vec<(String, Change)>,
    error: Option<EntityError>,
    condition: Option<expr::Condition>,
    read_first: bool,
    expected_version: Option<u64>,
}

impl<E> fmt::Debug for EntityUpdate<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntityUpdate")
            .field("key", &self.key)
            .field("known", &self.known)
            .field("changes", &self.changes)
            .field("read_first", &self.read_first)
            .finish_non_exhaustive()
    }
}

/// The stored field `name` of `E`, or why not.
fn stored_field<E: Entity>(name: &str) -> Result<&'static super::FieldInfo, EntityError> {
    if let Some(f) = E::field(name) {
        return Ok(f);
    }
    let fields: Vec<&'static str> = E::FIELDS.iter().map(|f| f.name).collect();
    let hint = if E::JOINED.iter().any(|j| j.attribute == name) {
        Some("it is a joined attribute, computed from its fields: change those".to_owned())
    } else if let Some(f) = E::FIELDS.iter().find(|f| f.stored == name) {
        Some(format!("`{name}` is the stored name of field `{}`", f.name))
    } else {
        crate::validate::closest(name, fields.iter().copied()).map(|c| format!("did you mean `{c}`?"))
    };
    Err(EntityError::UnknownField {
        entity: E::ENTITY_TYPE,
        field: name.to_owned(),
        hint,
        fields,
    })
}

/// A value as field `info` stores it: its mutator applied (`None`: it encodes to nothing).
fn mutated<E: Entity>(
    info: &super::FieldInfo,
    value: impl IntoValue,
) -> Result<Option<AttributeValue>, EncodeError> {
    match value.into_value().attribute_value().map(|v| v.cloned())? {
        Some(v) => E::mutate_stored(info.name, v).map_err(|e| e.at(E::layout().name, info.stored)),
        None => Ok(None),
    }
}

/// The field stored under `stored` (what a typed path names); stored names are unique among an
/// entity's fields (checked when it is derived).
fn field_stored_as<E: Entity>(stored: &str) -> Option<&'static super::FieldInfo> {
    E::FIELDS.iter().find(|f| f.stored == stored)
}

/// What an update plan needs from outside: the update and the given-or-read fields it used.
struct Plan {
    update: Update,
    /// The actions on computed attributes alone (keys and joined attributes).
    derived: Update,
    /// Fields (not changed by the update) whose values rebuilt a key or joined attribute.
    used: Vec<&'static str>,
}

/// Plans a partial update of entity `E`: the field actions, and every key attribute and joined
/// attribute reading a changed field rebuilt from the key's fields, the `known` values, the
/// changed ones and those `read` (or the update refused naming what is missing).
fn plan_changes<E: Entity>(
    key: &Item,
    known: &[(String, AttributeValue)],
    changes: &[(String, Change)],
    read: &[(String, AttributeValue)],
) -> Result<Plan, EntityError> {
    let mut planner = Planner::<E>::new(key, known, changes, read)?;
    let mut update = Update::new();
    // Forms that store `None` as NULL (single-table-orm, dynamojo) write NULL, never remove.
    let null = E::layout().form.none == crate::format::NoneForm::Null;
    for (field, change) in changes {
        let info = stored_field::<E>(field)?;
        update = match change {
            Change::Set(value) => update.set(info.stored, Value::from(value.clone())),
            Change::Remove if null && info.optional => {
                update.set(info.stored, Value::from(AttributeValue::Null(true)))
            }
            Change::Remove => update.remove(info.stored),
            Change::Compute(action, computed) => {
                refuse_computed_change::<E>(field, action)?;
                update.merge(computed.clone())
            }
        };
    }
    // The table key first: a changed key field (or a source of a joined attribute the key
    // reads) means the item would move, whatever else.
    planner.refuse_table_key_changes()?;
    // Joined attributes reading a changed field, rebuilt next: keys may read them.
    planner.rebuild_joins()?;
    planner.rebuild_index_keys()?;
    let Planner { derived, used, .. } = planner;
    Ok(Plan {
        update: update.merge(derived.clone()),
        derived,
        used,
    })
}

/// Refuses an action computed by DynamoDB on a field that a key, joined attribute or the table
/// key reads: the new value is unknown here, so they could not be rebuilt.
fn refuse_computed_change<E: Entity>(field: &str, action: &'static str) -> Result<(), EntityError> {
    let reader = E::KEYS
        .iter()
        .find(|k| k.fields.contains(&field))
        .map(|k| k.attribute)
        .or_else(|| {
            E::JOINED
                .iter()
                .find(|j| j.fields.contains(&field))
                .map(|j| j.attribute)
        });
    match reader {
        Some(attribute) => Err(EntityError::ComputedChange {
            entity: E::ENTITY_TYPE,
            field: field.to_owned(),
            action,
            attribute,
        }),
        None => Ok(()),
    }
}

/// The state of planning one partial update: every field value known, what is removed and
/// changed, the fields used from outside the update, and the derived actions so far.
struct Planner<'a, E> {
    values: Vec<(String, AttributeValue)>,
    removed: Vec<&'a str>,
    changed: Vec<&'a str>,
    used: Vec<&'static str>,
    derived: Update,
    entity: std::marker::PhantomData<fn() -> E>,
}

impl<'a, E: Entity> Planner<'a, E> {
    /// The fields of the table's key, parsed back from it; then what was given; then what was
    /// read; the changes last.
    fn new(
        key: &Item,
        known: &[(String, AttributeValue)],
        changes: &'a [(String, Change)],
        read: &[(String, AttributeValue)],
    ) -> Result<Self, EntityError> {
        let mut values: Vec<(String, AttributeValue)> = Vec::new();
        for k in table_keys::<E>() {
            if let Some(AttributeValue::S(text)) = key.get(k.attribute) {
                values.extend(parsed_values(k, text)?);
            }
        }
        values.extend(known.iter().cloned());
        let given: Vec<String> = values.iter().map(|(n, _)| n.clone()).collect();
        for (name, value) in read {
            if !given.contains(name) && !changes.iter().any(|(f, _)| f == name) {
                values.push((name.clone(), value.clone()));
            }
        }
        let mut removed: Vec<&str> = Vec::new();
        for (field, change) in changes {
            values.retain(|(n, _)| n != field);
            removed.retain(|n| n != field);
            match change {
                Change::Set(value) => values.push((field.clone(), value.clone())),
                Change::Remove => removed.push(field),
                Change::Compute(..) => {}
            }
        }
        Ok(Self {
            values,
            removed,
            changed: changes.iter().map(|(f, _)| f.as_str()).collect(),
            used: Vec::new(),
            derived: Update::new(),
            entity: std::marker::PhantomData,
        })
    }

    /// Notes the fields (not changed by the update) whose values a rebuilt attribute read.
    fn note_used(&mut self, fields: &[&'static str]) {
        for f in fields {
            if !self.changed.contains(f) && !self.used.contains(f) {
                self.used.push(f);
            }
        }
    }

    fn rebuild_joins(&mut self) -> Result<(), EntityError> {
        let joins: Vec<&'static super::JoinedAttribute> = E::JOINED
            .iter()
            .filter(|j| j.fields.iter().any(|f| self.changed.contains(f)))
            .collect();
        for join in joins {
            let missing: Vec<&'static str> = join
                .fields
                .iter()
                .copied()
                .filter(|f| !self.removed.contains(f) && !self.values.iter().any(|(n, _)| n == f))
                .collect();
            if !missing.is_empty() {
                return Err(EntityError::MissingJoinSources {
                    entity: E::ENTITY_TYPE,
                    attribute: join.attribute,
                    missing,
                });
            }
            self.note_used(join.fields);
            let text = join
                .render(|f| self.values.iter().find(|(n, _)| n == f).map(|(_, v)| v.clone()))
                .map_err(|e| e.at(E::layout().name, join.attribute))?;
            self.derived = std::mem::take(&mut self.derived)
                .set(join.attribute, Value::from(AttributeValue::S(text.clone())));
            self.values.retain(|(n, _)| n != join.attribute);
            self.values
                .push((join.attribute.to_owned(), AttributeValue::S(text)));
            self.changed.push(join.attribute);
        }
        Ok(())
    }

    /// Refuses a change of a field the table's key reads, directly or through a joined
    /// attribute (dynamojo's `sk = <user>~<date>`): the item would move. The error names the
    /// changed field.
    fn refuse_table_key_changes(&self) -> Result<(), EntityError> {
        for k in table_keys::<E>() {
            for source in k.fields {
                let fields = E::JOINED
                    .iter()
                    .find(|j| j.attribute == *source)
                    .map_or(std::slice::from_ref(source), |j| j.fields);
                if let Some(field) = fields.iter().find(|f| self.changed.contains(f)) {
                    return Err(EntityError::KeyFieldChanged {
                        entity: E::ENTITY_TYPE,
                        field: (*field).to_owned(),
                        attribute: k.attribute,
                    });
                }
            }
        }
        Ok(())
    }

    /// Rebuilds the keys of every index touched; a sparse index is rebuilt or removed as a
    /// whole, so it is never left with one key attribute and not the other.
    fn rebuild_index_keys(&mut self) -> Result<(), EntityError> {
        let affected = E::index_keys_affected_by(&self.changed);
        let mut indexes: Vec<&'static str> = Vec::new();
        for k in &affected {
            if let Some(i) = k.index
                && !indexes.contains(&i)
            {
                indexes.push(i);
            }
        }
        let each_key = E::layout().form.sparse_keys == crate::format::SparseKeys::EachKey;
        for index in indexes {
            let keys: Vec<&'static KeyTemplate> = E::KEYS.iter().filter(|k| k.index == Some(index)).collect();
            let sparse = keys.iter().any(|k| k.sparse);
            if sparse && each_key {
                self.rebuild_each_key(index, &affected)?;
                continue;
            }
            let targets: Vec<&'static KeyTemplate> = if sparse {
                keys.clone()
            } else {
                affected
                    .iter()
                    .copied()
                    .filter(|k| k.index == Some(index))
                    .collect()
            };
            let absent = targets
                .iter()
                .find_map(|k| k.fields.iter().find(|f| self.removed.contains(f)).map(|f| (k, f)));
            if let Some((k, field)) = absent {
                if !sparse {
                    return Err(EntityError::RequiredFieldRemoved {
                        entity: E::ENTITY_TYPE,
                        index: Some(index),
                        attribute: k.attribute,
                        field: (*field).to_owned(),
                    });
                }
                for k in &keys {
                    self.derived = std::mem::take(&mut self.derived).remove(k.attribute);
                }
                continue;
            }
            for k in targets {
                self.rebuild_key(index, k)?;
            }
        }
        Ok(())
    }

    /// In a form that drops index keys one by one (dynamojo's): each affected key of the index
    /// is rebuilt, or removed alone when a field it reads was removed.
    fn rebuild_each_key(
        &mut self,
        index: &'static str,
        affected: &[&'static KeyTemplate],
    ) -> Result<(), EntityError> {
        for k in affected.iter().copied().filter(|k| k.index == Some(index)) {
            if k.fields.iter().any(|f| self.removed.contains(f)) {
                self.derived = std::mem::take(&mut self.derived).remove(k.attribute);
            } else {
                self.rebuild_key(index, k)?;
            }
        }
        Ok(())
    }

    fn rebuild_key(&mut self, index: &'static str, k: &'static KeyTemplate) -> Result<(), EntityError> {
        let known: Vec<&str> = self.values.iter().map(|(n, _)| n.as_str()).collect();
        let missing = k.missing(&known);
        if !missing.is_empty() {
            return Err(EntityError::MissingFields {
                entity: E::ENTITY_TYPE,
                index: Some(index),
                attribute: k.attribute,
                missing,
            });
        }
        self.note_used(k.fields);
        let values: Vec<(&str, AttributeValue)> =
            self.values.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        let text = k.plan().render(&values)?;
        self.derived =
            std::mem::take(&mut self.derived).set(k.attribute, Value::from(AttributeValue::S(text)));
        Ok(())
    }
}

impl<E: Entity + Table + 'static> EntityUpdate<E>
where
    E::Table: 'static,
{
    fn fail(mut self, e: EntityError) -> Self {
        self.error = self.error.or(Some(e));
        self
    }

    /// The value as the field stores it: its mutator applied.
    fn stored_value(
        field: &str,
        value: impl IntoValue,
    ) -> Result<(&'static super::FieldInfo, Option<AttributeValue>), EntityError> {
        let info = stored_field::<E>(field)?;
        Ok((info, mutated::<E>(info, value)?))
    }

    /// Sets a field; a value that encodes to nothing (`None`) removes it.
    pub fn set(self, field: &str, value: impl IntoValue) -> Self {
        match Self::stored_value(field, value) {
            Ok((info, Some(v))) => self.push(info, Change::Set(v)),
            Ok((info, None)) => self.push(info, Change::Remove),
            Err(e) => self.fail(e),
        }
    }

    fn push(mut self, info: &'static super::FieldInfo, change: Change) -> Self {
        self.changes.push((info.name.to_owned(), change));
        self
    }

    fn compute(self, field: &str, action: &'static str, make: impl FnOnce(&'static str) -> Update) -> Self {
        match stored_field::<E>(field) {
            Ok(info) => {
                let update = make(info.stored);
                self.push(info, Change::Compute(action, update))
            }
            Err(e) => self.fail(e),
        }
    }

    /// Adds to a number field, or adds elements to a set field (DynamoDB's `ADD`; a missing
    /// field starts from 0 or the empty set). Refused with [`EntityError::ComputedChange`] on a
    /// field a key or joined attribute reads (its new value is computed by DynamoDB); use
    /// [`set`](Self::set) there.
    pub fn add(self, field: &str, value: impl IntoValue) -> Self {
        let value = value.into_value();
        self.compute(field, "add", |stored| Update::new().add(stored, value))
    }

    /// Appends to a list field (`list_append`; a missing list starts empty). Refused like
    /// [`add`](Self::add) on a field a computed attribute reads.
    pub fn append(self, field: &str, list: impl IntoValue) -> Self {
        let list = list.into_value();
        self.compute(field, "append", |stored| Update::new().append(stored, list))
    }

    /// Removes these elements from a set field (DynamoDB's `DELETE`). Refused like
    /// [`add`](Self::add) on a field a computed attribute reads.
    pub fn remove_from_set(self, field: &str, elements: impl IntoValue) -> Self {
        let elements = elements.into_value();
        self.compute(field, "remove_from_set", |stored| {
            Update::new().delete(stored, elements)
        })
    }

    /// Removes a field.
    pub fn remove(self, field: &str) -> Self {
        match stored_field::<E>(field) {
            Ok(info) => self.push(info, Change::Remove),
            Err(e) => self.fail(e),
        }
    }

    /// Gives the current value of a field the update does not change, so keys reading it can
    /// be rebuilt.
    pub fn known(mut self, field: &str, value: impl IntoValue) -> Self {
        match Self::stored_value(field, value) {
            Ok((info, Some(v))) => {
                self.known.push((info.name.to_owned(), v));
                self
            }
            Ok((_, None)) => self,
            Err(e) => self.fail(e),
        }
    }

    /// Sets a field through its typed path (`User::fields().status`): a misspelt field or a
    /// value of the wrong type does not compile. The path's encoder applies the field's codec
    /// and mutator; a value that encodes to nothing removes the field.
    pub fn set_typed<V>(self, path: TypedPath<V>, value: impl FieldValue<V>) -> Self {
        self.typed(path, value, false)
    }

    /// Gives a field's current value through its typed path; see [`known`](Self::known).
    pub fn known_typed<V>(self, path: TypedPath<V>, value: impl FieldValue<V>) -> Self {
        self.typed(path, value, true)
    }

    fn typed<V>(mut self, path: TypedPath<V>, value: impl FieldValue<V>, known: bool) -> Self {
        let stored = path.path().attribute().to_owned();
        let Some(info) = field_stored_as::<E>(&stored) else {
            return self.fail(stored_field::<E>(&stored).err().unwrap_or_else(|| {
                EntityError::Encode(EncodeError::new(format!("no field is stored as `{stored}`")))
            }));
        };
        match (path.value(value).attribute_value().map(|v| v.cloned()), known) {
            (Ok(Some(v)), false) => self.push(info, Change::Set(v)),
            (Ok(None), false) => self.push(info, Change::Remove),
            (Ok(Some(v)), true) => {
                self.known.push((info.name.to_owned(), v));
                self
            }
            (Ok(None), true) => self,
            (Err(e), _) => self.fail(e.into()),
        }
    }

    /// Reads the stored item first (a consistent read) for the fields the rebuilt keys need and
    /// were not given, and sends the update on the condition that those fields still hold what
    /// was read; if another writer changed them in between, the item is read again (up to three
    /// times). Costs a read, spares the caller knowing every field a key reads.
    pub fn read_first(mut self) -> Self {
        self.read_first = true;
        self
    }

    /// Also requires this condition (ANDed with the item having to exist).
    pub fn condition(mut self, condition: expr::Condition) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(c) => c.and(condition),
            None => condition,
        });
        self
    }

    /// On an entity with a `#[dynorm(version)]` field, updates only if the stored version is
    /// this one, failing with [`Error::VersionConflict`](crate::Error::VersionConflict)
    /// otherwise. The version is incremented by every update either way.
    pub fn expected_version(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    /// The update actions: the changed fields and every key attribute rebuilt or removed; or why
    /// the update is refused. Sends nothing (and reads nothing, even with
    /// [`read_first`](Self::read_first): the plan uses what was given).
    pub fn plan(&self) -> Result<Update, EntityError> {
        self.plan_with(&[]).map(|p| p.update)
    }

    fn plan_with(&self, read: &[(String, AttributeValue)]) -> Result<Plan, EntityError> {
        if let Some(e) = &self.error {
            return Err(clone_error(e));
        }
        let key = self.key.as_item().map_err(|e| e.clone())?;
        plan_changes::<E>(key, &self.known, &self.changes, read)
    }

    /// The stored item's field values, by field name (a consistent read).
    async fn read_fields(&self) -> Result<Vec<(String, AttributeValue)>, EntityError> {
        let raw = self
            .table
            .client()
            .table_named::<RawItem<E::Table>>(self.table.name());
        let key = self.key.as_item().map_err(|e| e.clone())?.clone();
        let item = raw
            .get_or_fail(Key::from_item(key))
            .consistent_read(true)
            .send()
            .await?
            .item;
        Ok(E::FIELDS
            .iter()
            .filter_map(|f| item.get(f.stored).map(|v| (f.name.to_owned(), v.clone())))
            .collect())
    }

    /// The condition that the fields read still hold those values (or are still absent).
    fn unchanged(read: &[(String, AttributeValue)], used: &[&'static str]) -> Option<expr::Condition> {
        used.iter()
            .filter_map(|name| {
                let info = E::field(name)?;
                Some(match read.iter().find(|(n, _)| n == name) {
                    Some((_, v)) => expr::attr(info.stored).eq(Value::from(v.clone())),
                    None => expr::attr(info.stored).not_exists(),
                })
            })
            .reduce(expr::Condition::and)
    }

    async fn execute<R>(
        self,
        send: impl AsyncFn(crate::UpdateBuilder<E>) -> crate::Result<R>,
    ) -> Result<R, EntityError> {
        let attempts = if self.read_first { READ_FIRST_ATTEMPTS } else { 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let read = if self.read_first {
                self.read_fields().await?
            } else {
                Vec::new()
            };
            let plan = self.plan_with(&read)?;
            // Only fields that came from the read are checked: given ones are the caller's word.
            let from_read: Vec<&'static str> = plan
                .used
                .iter()
                .copied()
                .filter(|f| !self.known.iter().any(|(n, _)| n == f))
                .filter(|f| !table_keys::<E>().any(|k| k.fields.contains(f)))
                .collect();
            let guard = if self.read_first {
                Self::unchanged(&read, &from_read)
            } else {
                None
            };
            let mut builder = self
                .table
                .update(self.key.clone())
                .raw_apply(plan.update)
                .must_exist();
            if let Some(c) = self.condition.clone() {
                builder = builder.condition(c);
            }
            if let Some(v) = self.expected_version {
                builder = builder.expected_version(v);
            }
            let retry_possible = guard.is_some() && attempt < attempts;
            if let Some(g) = guard {
                builder = builder.condition(g);
            }
            match send(builder).await {
                Err(crate::Error::ConditionalCheckFailed { .. }) if retry_possible => continue,
                other => return Ok(other?),
            }
        }
    }

    /// Sends the update.
    pub async fn send(self) -> Result<(), EntityError> {
        self.execute(async |b| b.send().await).await
    }

    /// Sends the update and decodes the entity as it is afterwards.
    pub async fn send_returning(self) -> Result<E, EntityError>
    where
        E: Send,
    {
        self.execute(async |b| b.return_new().send().await).await
    }
}

/// A copy of an error kept for a later `plan` (errors of building are not `Clone`).
fn clone_error(e: &EntityError) -> EntityError {
    match e {
        EntityError::UnknownField {
            entity,
            field,
            hint,
            fields,
        } => EntityError::UnknownField {
            entity,
            field: field.clone(),
            hint: hint.clone(),
            fields: fields.clone(),
        },
        EntityError::Encode(e) => EntityError::Encode(e.clone()),
        other => EntityError::Encode(EncodeError::new(other.to_string())),
    }
}

#[derive(Debug, Clone)]
enum IndexChoice {
    Auto,
    Table,
    Named(String),
}

/// A query of an entity by field values: the partition key fields of the table or an index, and
/// some sort key fields (all of them: `=`; the leading ones: `begins_with`; a range over the next
/// one with [`field_gt`](Self::field_gt) and its kin). The index is picked from the fields given
/// unless named. Items of other entity types are filtered out unless
/// [`ignore_ownership`](Self::ignore_ownership). Read it all ([`all`](Self::all), capped by
/// [`limit`](Self::limit)), the [`first`](Self::first), or page by page with a resumable
/// cursor ([`page`](Self::page)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use dynorm::entity::{Layout, SingleTable};
/// # use dynorm::Table as _;
/// # struct App;
/// # impl SingleTable for App { const LAYOUT: Layout = Layout::new("app", "pk", Some("sk")); }
/// #[derive(dynorm::Entity, Debug)]
/// #[dynorm(table = App, pk = "T#{tenant}", sk = "RUN#{integration}#{run:06}")]
/// struct Run { tenant: String, integration: String, run: u32 }
///
/// let client = dynorm::Client::embedded()?;
/// client.create_table(Run::definition()).await?;
/// let runs = client.table::<Run>();
/// for run in 1..=5u32 {
///     runs.put(&Run { tenant: "acme".into(), integration: "A".into(), run }).await?;
/// }
/// let recent = runs
///     .entity_query()
///     .field("tenant", "acme")
///     .field("integration", "A") // sk begins with `RUN#A#`
///     .field_gt("run", 2u32)     // ... and lies after `RUN#A#000002`
///     .descending()
///     .limit(2)
///     .all()
///     .await?;
/// assert_eq!(recent.iter().map(|r| r.run).collect::<Vec<_>>(), [5, 4]);
/// # Ok(()) }
/// ```
#[must_use = "a query does nothing until it is run"]
pub struct EntityQuery<E> {
    table: TableClient<E>,
    fields: Vec<(String, AttributeValue)>,
    index: IndexChoice,
    ownership: Ownership,
    descending: bool,
    consistent_read: bool,
    page_size: Option<u32>,
    limit: Option<usize>,
    start: Option<crate::query::Cursor>,
    filter: Option<expr::Condition>,
    range: Option<(String, Range)>,
    /// A key condition on one of the entity's multi-attribute indexes ([`EntityQuery::index_key`]).
    key: Option<KeyCondition>,
    error: Option<EncodeError>,
}

/// A range over the sort-key field after the ones given.
#[derive(Debug, Clone)]
enum Range {
    Gt(AttributeValue),
    Ge(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Between(AttributeValue, AttributeValue),
    /// Text values starting with this prefix.
    Prefix(AttributeValue),
}

/// The greatest character: a key bound `P + MAX` lies after every key starting with `P`.
const MAX_CHAR: char = '\u{10FFFF}';

impl<E> fmt::Debug for EntityQuery<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntityQuery")
            .field("fields", &self.fields)
            .field("index", &self.index)
            .field("ownership", &self.ownership)
            .finish_non_exhaustive()
    }
}

/// The keys of the table or of one index, as an entity composes them.
#[derive(Debug, Clone, Copy)]
struct Target {
    index: Option<&'static str>,
    pk: &'static KeyTemplate,
    sk: Option<&'static KeyTemplate>,
}

fn targets<E: Entity>() -> Vec<Target> {
    let layout = E::layout();
    let table_pk = E::KEYS
        .iter()
        .find(|k| k.index.is_none() && k.attribute == layout.partition_key);
    let table_sk = E::KEYS
        .iter()
        .find(|k| k.index.is_none() && Some(k.attribute) == layout.sort_key);
    let mut out = Vec::new();
    if let Some(pk) = table_pk {
        out.push(Target {
            index: None,
            pk,
            sk: table_sk,
        });
    }
    let mut seen: Vec<&str> = Vec::new();
    for k in E::KEYS {
        let Some(name) = k.index else { continue };
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let Some(index) = layout.index(name) else {
            continue;
        };
        let pk = match index.partition_key {
            Some(a) => E::KEYS.iter().find(|k| k.index == Some(name) && k.attribute == a),
            None => table_pk,
        };
        let sk = match index.sort_key {
            Some(a) if Some(a) == layout.sort_key => table_sk,
            Some(a) => E::KEYS.iter().find(|k| k.index == Some(name) && k.attribute == a),
            None => None,
        };
        if let Some(pk) = pk {
            out.push(Target {
                index: Some(name),
                pk,
                sk,
            });
        }
    }
    out
}

impl<E: Entity + Table + 'static> EntityQuery<E>
where
    E::Table: 'static,
{
    /// A field's value as stored (its mutator applied, as on a put).
    fn stored_value(name: &str, value: impl IntoValue) -> Result<Option<AttributeValue>, EncodeError> {
        match E::field(name) {
            Some(info) => mutated::<E>(info, value),
            None => value.into_value().attribute_value().map(|v| v.cloned()),
        }
    }

    /// Gives a field's value (normalised by the field's mutator, as on a put).
    pub fn field(mut self, name: &str, value: impl IntoValue) -> Self {
        match Self::stored_value(name, value) {
            Ok(Some(v)) => self.fields.push((name.to_owned(), v)),
            Ok(None) => {}
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    fn ranged(mut self, name: &str, make: impl FnOnce() -> Result<Range, EncodeError>) -> Self {
        match make() {
            Ok(range) => self.range = Some((name.to_owned(), range)),
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    fn bound(name: &str, value: impl IntoValue) -> Result<AttributeValue, EncodeError> {
        Self::stored_value(name, value)?
            .ok_or_else(|| EncodeError::new(format!("a range bound of `{name}` must have a value")))
    }

    /// Only entities whose sort-key field `name` is greater than `value`. `name` must be the
    /// sort-key field right after those given with [`field`](Self::field) (ElectroDB's `gt`):
    /// the key condition narrows the read to that range of keys and a filter on the stored field
    /// makes it exact. A number field must be zero-padded in its template (`{n:08}`) so its keys
    /// sort as numbers.
    pub fn field_gt(self, name: &str, value: impl IntoValue) -> Self {
        self.ranged(name, || Ok(Range::Gt(Self::bound(name, value)?)))
    }

    /// Only entities whose sort-key field `name` is at least `value`; see
    /// [`field_gt`](Self::field_gt).
    pub fn field_gte(self, name: &str, value: impl IntoValue) -> Self {
        self.ranged(name, || Ok(Range::Ge(Self::bound(name, value)?)))
    }

    /// Only entities whose sort-key field `name` is less than `value`; see
    /// [`field_gt`](Self::field_gt).
    pub fn field_lt(self, name: &str, value: impl IntoValue) -> Self {
        self.ranged(name, || Ok(Range::Lt(Self::bound(name, value)?)))
    }

    /// Only entities whose sort-key field `name` is at most `value`; see
    /// [`field_gt`](Self::field_gt).
    pub fn field_lte(self, name: &str, value: impl IntoValue) -> Self {
        self.ranged(name, || Ok(Range::Le(Self::bound(name, value)?)))
    }

    /// Only entities whose sort-key field `name` is between `low` and `high`, both included; see
    /// [`field_gt`](Self::field_gt).
    pub fn field_between(self, name: &str, low: impl IntoValue, high: impl IntoValue) -> Self {
        self.ranged(name, || {
            Ok(Range::Between(Self::bound(name, low)?, Self::bound(name, high)?))
        })
    }

    /// Only entities whose sort-key field `name` starts with `prefix` (dynamo_query's
    /// `sort_key_prefix`, on a field): `name` must be the sort-key field right after those given
    /// with [`field`](Self::field), as for [`field_gt`](Self::field_gt). The key condition is
    /// `begins_with` on the sort key rendered up to the prefix, and a filter `begins_with` on
    /// the stored field makes it exact. The prefix is normalised by the field's mutator.
    pub fn field_begins_with(self, name: &str, prefix: impl IntoValue) -> Self {
        self.ranged(name, || match Self::bound(name, prefix)? {
            text @ AttributeValue::S(_) => Ok(Range::Prefix(text)),
            other => Err(EncodeError::new(format!(
                "a prefix of `{name}` must be text, found {}",
                crate::attribute::type_name(&other)
            ))),
        })
    }

    /// Gives a field's value through its typed path (`User::fields().email`): checked at
    /// compile time, encoded (and normalised) as the field is stored.
    pub fn field_typed<V>(mut self, path: TypedPath<V>, value: impl FieldValue<V>) -> Self {
        let stored = path.path().attribute().to_owned();
        let Some(info) = field_stored_as::<E>(&stored) else {
            self.error = self.error.or(Some(EncodeError::new(format!(
                "`{}` has no field stored as `{stored}`",
                E::ENTITY_TYPE
            ))));
            return self;
        };
        match path.value(value).attribute_value().map(|v| v.cloned()) {
            Ok(Some(v)) => self.fields.push((info.name.to_owned(), v)),
            Ok(None) => {}
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// Queries the table's own keys.
    pub fn on_table(mut self) -> Self {
        self.index = IndexChoice::Table;
        self
    }

    /// Queries this index.
    pub fn on_index(mut self, name: impl Into<String>) -> Self {
        self.index = IndexChoice::Named(name.into());
        self
    }

    /// Reads items whatever their entity-type attribute (items written by other tools).
    pub fn ignore_ownership(mut self) -> Self {
        self.ownership = Ownership::Ignore;
        self
    }

    /// Returns items in descending sort key order.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// How many items DynamoDB reads per request (its `Limit`; counted before items of other
    /// entity types are filtered out).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Returns at most this many entities in all (single-table-orm's `.limit(n)`): reading
    /// stops once they are found, on [`all`](Self::all) and [`page`](Self::page) alike.
    pub fn limit(mut self, items: usize) -> Self {
        self.limit = Some(items);
        self
    }

    /// Reads with strong consistency (single-table-orm's `.consistent()`); refused with
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) when the query reads a global
    /// secondary index, as DynamoDB does.
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Keeps only the entities matching this condition (applied by DynamoDB after the read, with
    /// the entity-type check); called again, the filters are joined with AND. Typed paths
    /// (`Entity::fields().status.eq(..)`) name stored attributes and normalise values.
    pub fn filter(mut self, condition: expr::Condition) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(previous) => previous.and(condition),
            None => condition,
        });
        self
    }

    /// Continues a paged read where [`page`](Self::page) left off.
    pub fn start_after(mut self, cursor: crate::query::Cursor) -> Self {
        self.start = Some(cursor);
        self
    }

    fn given(&self) -> Vec<&str> {
        self.fields.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// How many leading sort key fields are given, and whether all of them are.
    fn sort_score(sk: Option<&KeyTemplate>, given: &[&str]) -> (bool, usize) {
        let Some(sk) = sk else { return (true, 0) };
        let leading = sk.fields.iter().take_while(|f| given.contains(f)).count();
        (leading == sk.fields.len(), leading)
    }

    /// Reads the entity's own index `name` with a multi-attribute key (declared with
    /// `#[dynorm(index(name = "..", pk(a, b), sk(c)))]`) by a key condition on its attributes,
    /// as the generated `Self::<index>_key(..)` starts one: an equality on each partition
    /// attribute, then conditions on a leading run of the sort attributes — DynamoDB's rule,
    /// checked before anything is sent ([`Error::InvalidKeyCondition`](crate::Error::InvalidKeyCondition)
    /// otherwise). Items of other entity types are filtered out as in every entity query. The
    /// template conditions ([`field`](Self::field), [`field_gt`](Self::field_gt), ...) do not
    /// apply to such an index; use [`filter`](Self::filter) for anything else.
    pub fn index_key(mut self, name: impl Into<String>, key: KeyCondition) -> Self {
        self.index = IndexChoice::Named(name.into());
        self.key = Some(key);
        self
    }

    /// The index and key condition of a read through one of the entity's multi-attribute
    /// indexes (see [`index_key`](Self::index_key)).
    fn index_condition(
        &self,
        key: &KeyCondition,
    ) -> Result<(Option<&'static str>, KeyCondition), EntityError> {
        let wanted = match &self.index {
            IndexChoice::Named(n) => Some(n.as_str()),
            _ => None,
        };
        let bad = |reason: String| EntityError::BadIndex {
            entity: E::ENTITY_TYPE,
            index: wanted.map(str::to_owned),
            reason,
        };
        let Some(index) = E::INDEXES.iter().find(|i| Some(i.name) == wanted) else {
            let names: Vec<&str> = E::INDEXES.iter().map(|i| i.name).collect();
            return Err(bad(format!(
                "a key condition reads one of the entity's multi-attribute indexes (its indexes: {})",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    list(&names)
                }
            )));
        };
        if !self.fields.is_empty() || self.range.is_some() {
            return Err(bad(
                "field values and ranges compose template keys; give every condition of a multi-attribute index in its key condition"
                    .to_owned(),
            ));
        }
        Ok((Some(index.name), key.clone()))
    }

    /// The index chosen (`None`: the table) and the key condition, without sending anything.
    pub fn key_condition(&self) -> Result<(Option<&'static str>, KeyCondition), EntityError> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        if let Some(key) = &self.key {
            return self.index_condition(key);
        }
        let entity = E::ENTITY_TYPE;
        let given = self.given();
        let ranged = self.range.as_ref().map(|(n, _)| n.as_str());
        if let Some(r) = ranged
            && given.contains(&r)
        {
            return Err(EntityError::BadIndex {
                entity,
                index: None,
                reason: format!("field `{r}` is given both as a value and as a range"),
            });
        }
        // A range reads the sort-key field right after the leading ones given.
        let fits_range = |t: &Target| match ranged {
            None => true,
            Some(r) => t.sk.is_some_and(|sk| {
                let leading = Self::sort_score(Some(sk), &given).1;
                sk.fields.get(leading) == Some(&r)
            }),
        };
        let all = targets::<E>();
        let target =
            match &self.index {
                IndexChoice::Auto => all
                    .iter()
                    .filter(|t| t.pk.missing(&given).is_empty() && fits_range(t))
                    .max_by_key(|t| {
                        // The most given fields used, then a whole sort key; ties go to the
                        // earliest (the table first): `max_by_key` keeps the last maximum.
                        let (full, leading) = Self::sort_score(t.sk, &given);
                        (
                            t.pk.fields.len() + leading,
                            full,
                            std::cmp::Reverse(all.iter().position(|o| o.index == t.index)),
                        )
                    })
                    .copied()
                    .ok_or_else(|| EntityError::NoIndex {
                        entity,
                        given: given
                            .iter()
                            .map(|s| (*s).to_owned())
                            .chain(ranged.map(|r| format!("a range of {r}")))
                            .collect(),
                        needs: all
                            .iter()
                            .map(|t| {
                                let sort = match (ranged, t.sk) {
                                    (Some(r), Some(sk)) => format!(
                                        " and, for a range of `{r}`, its sort key `{}` to read it right after the fields given",
                                        sk.template
                                    ),
                                    (Some(_), None) => " (it has no sort key to range over)".to_owned(),
                                    (None, _) => String::new(),
                                };
                                format!("{} needs {}{sort}", place(t.index), list(t.pk.fields))
                            })
                            .collect(),
                    })?,
                IndexChoice::Table | IndexChoice::Named(_) => {
                    let wanted = match &self.index {
                        IndexChoice::Named(n) => Some(n.as_str()),
                        _ => None,
                    };
                    let t = all.iter().find(|t| t.index == wanted).copied().ok_or_else(|| {
                        EntityError::BadIndex {
                            entity,
                            index: wanted.map(str::to_owned),
                            reason: "the entity composes no keys for it".to_owned(),
                        }
                    })?;
                    let missing = t.pk.missing(&given);
                    if !missing.is_empty() {
                        return Err(EntityError::BadIndex {
                            entity,
                            index: wanted.map(str::to_owned),
                            reason: format!("its partition key needs field(s) {}", list(&missing)),
                        });
                    }
                    if let Some(r) = ranged
                        && !fits_range(&t)
                    {
                        return Err(EntityError::BadIndex {
                            entity,
                            index: wanted.map(str::to_owned),
                            reason: format!(
                                "its sort key does not read `{r}` right after the fields given ({})",
                                t.sk.map_or("none", |sk| sk.template)
                            ),
                        });
                    }
                    t
                }
            };
        let values: Vec<(&str, AttributeValue)> =
            self.fields.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        let pk = target.pk.plan().render(&values)?;
        let mut condition = KeyCondition::partition(target.pk.attribute, pk);
        if let (Some(sk), Some((name, range))) = (target.sk, &self.range) {
            condition = Self::range_condition(condition, sk, &values, name, range)?;
        } else if let Some(sk) = target.sk {
            let template = sk.plan();
            if sk.missing(&given).is_empty() {
                condition = condition.sort_eq(sk.attribute, template.render(&values)?);
            } else {
                let prefix = template.render_prefix(&values)?;
                if !prefix.is_empty() {
                    condition = condition.sort_begins_with(sk.attribute, prefix);
                }
            }
        }
        Ok((target.index, condition))
    }

    /// The sort-key condition of a range over field `name`: the keys between the rendered
    /// bounds (inclusive, so a bound's own keys are read too; the filter on the stored field
    /// makes the result exact).
    fn range_condition(
        condition: KeyCondition,
        sk: &KeyTemplate,
        values: &[(&str, AttributeValue)],
        name: &str,
        range: &Range,
    ) -> Result<KeyCondition, EntityError> {
        let template = sk.plan();
        let position = template
            .segments()
            .iter()
            .position(|s| matches!(s, super::Segment::Field { name: n, .. } if *n == name));
        let (width, after) = match position.map(|i| (&template.segments()[i], template.segments().get(i + 1)))
        {
            Some((super::Segment::Field { width, .. }, next)) => (
                *width,
                match next {
                    Some(super::Segment::Literal(l)) => *l,
                    _ => "",
                },
            ),
            // The target was chosen for reading the field, so it is in the template.
            _ => (None, ""),
        };
        let bounds: Vec<&AttributeValue> = match range {
            Range::Prefix(_) => Vec::new(),
            Range::Gt(v) | Range::Ge(v) | Range::Lt(v) | Range::Le(v) => vec![v],
            Range::Between(a, b) => vec![a, b],
        };
        if width.is_none() && bounds.iter().any(|v| matches!(v, AttributeValue::N(_))) {
            return Err(EntityError::BadIndex {
                entity: E::ENTITY_TYPE,
                index: sk.index.map(str::to_owned),
                reason: format!(
                    "field `{name}` is a number without padding in `{}`, so its keys do not sort as numbers; pad it (`{{{name}:08}}`) to range over it",
                    sk.template
                ),
            });
        }
        // The keys' common beginning, and each bound rendered after it (without what follows).
        let leading: Vec<(&str, AttributeValue)> = values
            .iter()
            .filter(|(n, _)| sk.fields.iter().take_while(|f| **f != name).any(|f| f == n))
            .cloned()
            .collect();
        let prefix = template.render_prefix(&leading)?;
        let at = |v: &AttributeValue| -> Result<String, EntityError> {
            let mut with = leading.clone();
            with.push((name, v.clone()));
            let full = template.render_prefix(&with)?;
            Ok(full.strip_suffix(after).unwrap_or(&full).to_owned())
        };
        let after_all = |start: &str| format!("{start}{MAX_CHAR}");
        let (low, high) = match range {
            Range::Gt(v) | Range::Ge(v) => (at(v)?, after_all(&prefix)),
            Range::Lt(v) | Range::Le(v) => (prefix.clone(), after_all(&at(v)?)),
            Range::Between(a, b) => (at(a)?, after_all(&at(b)?)),
            Range::Prefix(v) => {
                let start = at(v)?;
                // An empty rendered prefix reads the whole partition (a key condition value
                // cannot be empty); the filter still applies.
                return Ok(if start.is_empty() {
                    condition
                } else {
                    condition.sort_begins_with(sk.attribute, start)
                });
            }
        };
        // A key condition value cannot be empty: no lower bound needed then.
        Ok(if low.is_empty() {
            condition.sort_le(sk.attribute, high)
        } else {
            condition.sort_between(sk.attribute, low, high)
        })
    }

    /// The exact filter of a range, on the stored field.
    fn range_filter(&self) -> Option<expr::Condition> {
        let (name, range) = self.range.as_ref()?;
        let stored = E::field(name).map_or(name.as_str(), |f| f.stored);
        let a = || expr::attr(stored);
        let v = |v: &AttributeValue| Value::from(v.clone());
        Some(match range {
            Range::Gt(x) => a().gt(v(x)),
            Range::Ge(x) => a().ge(v(x)),
            Range::Lt(x) => a().lt(v(x)),
            Range::Le(x) => a().le(v(x)),
            Range::Between(x, y) => a().between(v(x), v(y)),
            Range::Prefix(x) => a().begins_with(v(x)),
        })
    }

    fn read(&self) -> Result<crate::query::Query<EntityRead<E>>, EntityError> {
        let (index, condition) = self.key_condition()?;
        let raw = self
            .table
            .client()
            .table_named::<EntityRead<E>>(self.table.name());
        let mut read = raw.query(condition);
        if let Some(i) = index {
            read = read.index(i);
        }
        if self.descending {
            read = read.descending();
        }
        let filtered = self.ownership == Ownership::Check && E::layout().entity_attribute.is_some();
        if let Some(attribute) = E::layout().entity_attribute.filter(|_| filtered) {
            read = read.filter(expr::attr(attribute).eq(E::ENTITY_TYPE));
        }
        if let Some(f) = &self.filter {
            read = read.filter(f.clone());
        }
        if let Some(f) = self.range_filter() {
            read = read.filter(f);
        }
        if let Some(p) = self.page_size {
            read = read.page_size(p);
        }
        if let Some(l) = self.limit {
            read = read.limit(l);
        }
        if self.consistent_read {
            read = read.consistent_read();
        }
        if let Some(c) = &self.start {
            read = read.start_after(c.clone());
        }
        Ok(read)
    }

    fn decode(&self, raw: EntityRead<E>) -> Result<E, EntityError> {
        E::from_item_checked(raw.item, self.ownership)
            .map_err(|e| EntityError::from(e.in_table(self.table.name())))
    }

    /// Runs the query, every page (up to [`limit`](Self::limit) entities), decoding each item.
    pub async fn all(self) -> Result<Vec<E>, EntityError> {
        let raws = self.read()?.all().await?;
        raws.into_iter().map(|raw| self.decode(raw)).collect()
    }

    /// The first matching entity, if any.
    pub async fn first(self) -> Result<Option<E>, EntityError> {
        Ok(self.limit(1).all().await?.pop())
    }

    /// Reads one page: DynamoDB's page (so it may hold fewer entities than
    /// [`page_size`](Self::page_size), even none, when items of other types were filtered
    /// out), or with a [`limit`](Self::limit) as many requests as it takes to find that many
    /// entities; its cursor continues the read right after the last one with
    /// [`start_after`](Self::start_after).
    pub async fn page(self) -> Result<crate::query::Page<E>, EntityError> {
        let page = self.read()?.page().await?;
        let items = page
            .items
            .into_iter()
            .map(|raw| self.decode(raw))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::query::Page {
            items,
            cursor: page.cursor,
        })
    }
}

/// Completes a plain [`update`](crate::TableClient::update) of entity `E` (given by stored
/// attribute names) with the actions that keep its computed attributes in step: every index key
/// and joined attribute reading a changed field is rebuilt from the values the update sets and
/// the fields of the item's key, or the update is refused with [`Error::IncompleteUpdate`](crate::Error::IncompleteUpdate)
/// (naming the entity, the index and the missing fields). An update that writes a computed
/// attribute directly is refused with [`Error::ComputedAttribute`](crate::Error::ComputedAttribute). `#[derive(Entity)]` calls
/// this from [`Table::complete_update`].
pub fn complete_update<E: Entity>(key: &Item, update: &Update) -> crate::Result<Update> {
    use crate::expr::ImmutableEffect;
    let entity = E::ENTITY_TYPE;
    let mut changes: Vec<(String, Change)> = Vec::new();
    for (attribute, effect) in update.effects() {
        if let Some(sources) = computed_sources::<E>(attribute) {
            return Err(crate::Error::ComputedAttribute {
                table: String::new(),
                attribute: attribute.to_owned(),
                sources,
            });
        }
        let Some(field) = field_stored_as::<E>(attribute) else {
            continue;
        };
        let feeds_computed = E::KEYS.iter().any(|k| k.fields.contains(&field.name))
            || E::JOINED.iter().any(|j| j.fields.contains(&field.name));
        match effect {
            ImmutableEffect::Sets(value) => changes.push((field.name.to_owned(), Change::Set(value))),
            ImmutableEffect::Changes(None) => changes.push((field.name.to_owned(), Change::Remove)),
            ImmutableEffect::Changes(Some(_)) if feeds_computed => {
                return Err(crate::Error::IncompleteUpdate {
                    table: String::new(),
                    entity,
                    index: None,
                    attribute: field.stored,
                    missing: vec![field.name],
                });
            }
            ImmutableEffect::Changes(Some(_)) => {}
        }
    }
    if changes.is_empty() {
        return Ok(Update::new());
    }
    plan_changes::<E>(key, &[], &changes, &[])
        .map(|plan| plan.derived)
        .map_err(|e| entity_error(entity, e))
}

/// The fields a computed attribute of `E` (a key attribute, a joined attribute, the entity
/// type) is built from, or `None` for an attribute `E` does not compute.
fn computed_sources<E: Entity>(attribute: &str) -> Option<Vec<String>> {
    let names = |fields: &[&str]| fields.iter().map(|f| (*f).to_owned()).collect();
    if let Some(k) = E::KEYS.iter().find(|k| k.attribute == attribute) {
        return Some(names(k.fields));
    }
    if let Some(j) = E::JOINED.iter().find(|j| j.attribute == attribute) {
        return Some(names(j.fields));
    }
    (E::layout().entity_attribute == Some(attribute))
        .then(|| vec![format!("the entity type `{}`", E::ENTITY_TYPE)])
}

/// A planning refusal as the [`crate::Error`] a plain update reports.
fn entity_error(entity: &'static str, e: EntityError) -> crate::Error {
    let invalid = |message: String| crate::Error::InvalidRequest {
        table: String::new(),
        index: None,
        message,
    };
    match e {
        EntityError::MissingFields {
            index,
            attribute,
            missing,
            ..
        } => crate::Error::IncompleteUpdate {
            table: String::new(),
            entity,
            index,
            attribute,
            missing,
        },
        EntityError::MissingJoinSources {
            attribute, missing, ..
        } => crate::Error::IncompleteUpdate {
            table: String::new(),
            entity,
            index: None,
            attribute,
            missing,
        },
        EntityError::Dynamo(e) => e,
        EntityError::Encode(e) => crate::Error::Encode(e),
        other => invalid(other.to_string()),
    }
}

/// Every attribute entity `E` may store: its fields' stored names, its key attributes, its joined
/// attributes and the entity-type attribute. `#[derive(Entity)]` calls this from
/// [`Table::stored_attributes`].
pub fn stored_attributes<E: Entity>() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = E::FIELDS.iter().map(|f| f.stored).collect();
    names.extend(E::KEYS.iter().map(|k| k.attribute));
    names.extend(E::JOINED.iter().map(|j| j.attribute));
    names.extend(E::layout().entity_attribute);
    names.sort_unstable();
    names.dedup();
    names
}

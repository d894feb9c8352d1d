//! Operations on entities of a shared table: partial updates that keep every composed key in
//! sync ([`EntityUpdate`]) and queries expressed in fields ([`EntityQuery`]).
//!
//! **Field names.** Both take *field* names, the names the key templates use. A field's stored
//! attribute is written under the same name, so give renamed fields (`#[dynorm(rename)]`) with
//! their stored name through [`EntityUpdate::set_stored`].

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock};

use super::{Entity, KeyTemplate, Ownership, SingleTable, Template, TemplateError};
use crate::error::{DecodeError, EncodeError};
use crate::expr::{self, IntoValue, KeyCondition, Update, Value};
use crate::{AttributeValue, Item, Key, Table, TableClient, TableDefinition};

/// Why an entity operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntityError {
    /// A key attribute reads a changed field, and the update lacks other fields it needs to be
    /// rebuilt; it was refused rather than leave the key stale.
    #[error(
        "updating `{entity}`: {} `{attribute}` reads a changed field and needs field(s) {} to be rebuilt; give them with `.known(..)` or `.set(..)`",
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
    /// The update changes a field of the table's own key (the item's identity).
    #[error(
        "updating `{entity}`: field `{field}` makes up the key attribute `{attribute}`; write a new item and delete the old one"
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

/// The value a template reads for a field parsed back from a key: a padded field's text is a
/// number, any other renders the same as a string.
fn parsed_values(template: &KeyTemplate, key: &str) -> Result<Vec<(String, AttributeValue)>, TemplateError> {
    let parsed = template.parsed()?;
    let padded: Vec<&str> = parsed
        .segments()
        .iter()
        .filter_map(|s| match s {
            super::Segment::Field { name, width: Some(_) } => Some(name.as_str()),
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

/// One change of an [`EntityUpdate`].
#[derive(Debug, Clone)]
enum Change {
    Set { stored: String, value: AttributeValue },
    Remove { stored: String },
}

impl<E: Entity + Table> TableClient<E> {
    /// A partial update of the entity with this key that keeps every composed key in sync: each
    /// key attribute reading a changed field is rebuilt, or the update is refused with
    /// [`EntityError::MissingFields`]; index keys of a sparse index whose fields are removed are
    /// removed. The fields of the table's key are known from `key`.
    ///
    /// The item must exist (a partial update never creates a half entity).
    pub fn entity_update(&self, key: Key<E>) -> EntityUpdate<E> {
        EntityUpdate {
            table: self.clone(),
            key,
            known: Vec::new(),
            changes: Vec::new(),
            error: None,
            condition: None,
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
            limit: None,
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
    error: Option<EncodeError>,
    condition: Option<expr::Condition>,
}

impl<E> fmt::Debug for EntityUpdate<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntityUpdate")
            .field("key", &self.key)
            .field("known", &self.known)
            .field("changes", &self.changes)
            .finish_non_exhaustive()
    }
}

impl<E: Entity + Table + 'static> EntityUpdate<E>
where
    E::Table: 'static,
{
    /// Sets a field (stored under its own name); a value that encodes to nothing (`None`)
    /// removes it.
    pub fn set(self, field: &str, value: impl IntoValue) -> Self {
        self.set_stored(field, field, value)
    }

    /// Sets a field stored under another attribute name.
    pub fn set_stored(mut self, field: &str, stored: &str, value: impl IntoValue) -> Self {
        match value.into_value().attribute_value().map(|v| v.cloned()) {
            Ok(Some(value)) => self.changes.push((
                field.to_owned(),
                Change::Set {
                    stored: stored.to_owned(),
                    value,
                },
            )),
            Ok(None) => self.changes.push((
                field.to_owned(),
                Change::Remove {
                    stored: stored.to_owned(),
                },
            )),
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// Removes a field.
    pub fn remove(mut self, field: &str) -> Self {
        self.changes.push((
            field.to_owned(),
            Change::Remove {
                stored: field.to_owned(),
            },
        ));
        self
    }

    /// Gives the current value of a field the update does not change, so keys reading it can
    /// be rebuilt.
    pub fn known(mut self, field: &str, value: impl IntoValue) -> Self {
        match value.into_value().attribute_value().map(|v| v.cloned()) {
            Ok(Some(value)) => self.known.push((field.to_owned(), value)),
            Ok(None) => {}
            Err(e) => self.error = self.error.or(Some(e)),
        }
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

    /// The update actions: the changed fields and every key attribute rebuilt or removed; or why
    /// the update is refused. Sends nothing.
    pub fn plan(&self) -> Result<Update, EntityError> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        let entity = E::ENTITY_TYPE;
        let key = self.key.as_item().map_err(|e| e.clone())?;
        // Fields of the table's key, parsed back from it.
        let mut values: Vec<(String, AttributeValue)> = Vec::new();
        for k in table_keys::<E>() {
            if let Some(AttributeValue::S(text)) = key.get(k.attribute) {
                values.extend(parsed_values(k, text)?);
            }
        }
        values.extend(self.known.iter().cloned());
        let mut removed: Vec<&str> = Vec::new();
        for (field, change) in &self.changes {
            values.retain(|(n, _)| n != field);
            removed.retain(|n| n != field);
            match change {
                Change::Set { value, .. } => values.push((field.clone(), value.clone())),
                Change::Remove { .. } => removed.push(field),
            }
        }
        let changed: Vec<&str> = self.changes.iter().map(|(f, _)| f.as_str()).collect();
        for k in table_keys::<E>() {
            if let Some(field) = k.fields.iter().find(|f| changed.contains(f)) {
                return Err(EntityError::KeyFieldChanged {
                    entity,
                    field: (*field).to_owned(),
                    attribute: k.attribute,
                });
            }
        }
        let mut update = Update::new();
        for (_, change) in &self.changes {
            update = match change {
                Change::Set { stored, value } => update.set(stored.as_str(), Value::from(value.clone())),
                Change::Remove { stored } => update.remove(stored.as_str()),
            };
        }
        // The indexes touched; a sparse index is rebuilt or removed as a whole, so it is never
        // left with one key attribute and not the other.
        let affected = E::index_keys_affected_by(&changed);
        let mut indexes: Vec<&'static str> = Vec::new();
        for k in &affected {
            if let Some(i) = k.index
                && !indexes.contains(&i)
            {
                indexes.push(i);
            }
        }
        let known: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
        for index in indexes {
            let keys: Vec<&'static KeyTemplate> = E::KEYS.iter().filter(|k| k.index == Some(index)).collect();
            let sparse = keys.iter().any(|k| k.sparse);
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
                .find_map(|k| k.fields.iter().find(|f| removed.contains(f)).map(|f| (k, f)));
            if let Some((k, field)) = absent {
                if !sparse {
                    return Err(EntityError::RequiredFieldRemoved {
                        entity,
                        index: Some(index),
                        attribute: k.attribute,
                        field: (*field).to_owned(),
                    });
                }
                for k in &keys {
                    update = update.remove(k.attribute);
                }
                continue;
            }
            for k in targets {
                let missing = k.missing(&known);
                if !missing.is_empty() {
                    return Err(EntityError::MissingFields {
                        entity,
                        index: Some(index),
                        attribute: k.attribute,
                        missing,
                    });
                }
                let text = Template::parse(k.template)?.render(
                    &values
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.clone()))
                        .collect::<Vec<_>>(),
                )?;
                update = update.set(k.attribute, Value::from(AttributeValue::S(text)));
            }
        }
        Ok(update)
    }

    /// Sends the update.
    pub async fn send(self) -> Result<(), EntityError> {
        let update = self.plan()?;
        let mut builder = self.table.update(self.key).apply(update).must_exist();
        if let Some(c) = self.condition {
            builder = builder.condition(c);
        }
        Ok(builder.send().await?)
    }

    /// Sends the update and decodes the entity as it is afterwards.
    pub async fn send_returning(self) -> Result<E, EntityError>
    where
        E: Send,
    {
        let update = self.plan()?;
        let mut builder = self.table.update(self.key).apply(update).must_exist();
        if let Some(c) = self.condition {
            builder = builder.condition(c);
        }
        Ok(builder.return_new().send().await?)
    }
}

#[derive(Debug, Clone)]
enum IndexChoice {
    Auto,
    Table,
    Named(String),
}

/// A query of an entity by field values: the partition key fields of the table or an index, and
/// some sort key fields (all of them: `=`; the leading ones: `begins_with`). The index is picked
/// from the fields given unless named. Items of other entity types are filtered out unless
/// [`ignore_ownership`](Self::ignore_ownership).
#[must_use = "a query does nothing until it is run"]
pub struct EntityQuery<E> {
    table: TableClient<E>,
    fields: Vec<(String, AttributeValue)>,
    index: IndexChoice,
    ownership: Ownership,
    descending: bool,
    limit: Option<u32>,
    error: Option<EncodeError>,
}

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
    /// Gives a field's value.
    pub fn field(mut self, name: &str, value: impl IntoValue) -> Self {
        match value.into_value().attribute_value().map(|v| v.cloned()) {
            Ok(Some(v)) => self.fields.push((name.to_owned(), v)),
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

    /// Reads at most this many items per page.
    pub fn limit(mut self, page_size: u32) -> Self {
        self.limit = Some(page_size);
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

    /// The index chosen (`None`: the table) and the key condition, without sending anything.
    pub fn key_condition(&self) -> Result<(Option<&'static str>, KeyCondition), EntityError> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        let entity = E::ENTITY_TYPE;
        let given = self.given();
        let all = targets::<E>();
        let target =
            match &self.index {
                IndexChoice::Auto => all
                    .iter()
                    .filter(|t| t.pk.missing(&given).is_empty())
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
                        given: given.iter().map(|s| (*s).to_owned()).collect(),
                        needs: all
                            .iter()
                            .map(|t| format!("{} needs {}", place(t.index), list(t.pk.fields)))
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
                    t
                }
            };
        let values: Vec<(&str, AttributeValue)> =
            self.fields.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        let pk = Template::parse(target.pk.template)?.render(&values)?;
        let mut condition = KeyCondition::partition(target.pk.attribute, pk);
        if let Some(sk) = target.sk {
            let template = Template::parse(sk.template)?;
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

    /// Runs the query, every page, decoding each item.
    pub async fn all(self) -> Result<Vec<E>, EntityError> {
        let (index, condition) = self.key_condition()?;
        let raw = self
            .table
            .client()
            .table_named::<RawItem<E::Table>>(self.table.name());
        let mut read = raw.query(condition);
        if let Some(i) = index {
            read = read.index(i);
        }
        if self.descending {
            read = read.descending();
        }
        if let Some(l) = self.limit {
            read = read.limit(l);
        }
        if self.ownership == Ownership::Check
            && let Some(attribute) = E::layout().entity_attribute
        {
            read = read.filter(expr::attr(attribute).eq(E::ENTITY_TYPE));
        }
        let items = read.all().await?;
        items
            .into_iter()
            .map(|r| E::from_item_checked(r.item, self.ownership).map_err(EntityError::from))
            .collect()
    }
}

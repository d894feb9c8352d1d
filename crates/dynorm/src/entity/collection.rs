//! Collections: one query over a partition returning several entity types, each item decoded
//! into its own type.
//!
//! Each item is classified by the layout's entity-type attribute; an item without one (written by
//! another tool, or a layout that stores none) goes to the first registered type whose table key
//! templates read its keys back. Items of no registered type are kept in
//! [`CollectionItems::unknown`], never dropped.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

use super::ops::RawItem;
use super::{EntityError, KeyTemplate, Ownership, SingleTable};
use crate::error::DecodeError;
use crate::expr::KeyCondition;
use crate::{AttributeValue, Client, Item, TableClient};

type Decode = fn(Item, Ownership) -> Result<Box<dyn Any + Send>, DecodeError>;

fn decode_as<A: super::Entity + Send + 'static>(
    item: Item,
    ownership: Ownership,
) -> Result<Box<dyn Any + Send>, DecodeError> {
    A::from_item_checked(item, ownership).map(|a| Box::new(a) as Box<dyn Any + Send>)
}

struct Registered {
    entity: &'static str,
    type_id: TypeId,
    keys: &'static [KeyTemplate],
    decode: Decode,
}

/// A query over one partition of a shared table, decoding several entity types.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use dynorm::entity::{Collection, Layout, SingleTable};
/// use dynorm::Table as _;
///
/// struct App;
/// impl SingleTable for App {
///     const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
/// }
/// #[derive(dynorm::Entity, Debug, PartialEq)]
/// #[dynorm(table = App, pk = "T#{tenant}", sk = "PROFILE")]
/// struct Tenant { tenant: String, plan: String }
/// #[derive(dynorm::Entity, Debug, PartialEq)]
/// #[dynorm(table = App, pk = "T#{tenant}", sk = "U#{user}")]
/// struct User { tenant: String, user: String }
///
/// let client = dynorm::Client::embedded()?;
/// client.create_table(Tenant::definition()).await?;
/// client.table::<Tenant>().put(&Tenant { tenant: "acme".into(), plan: "pro".into() }).await?;
/// client.table::<User>().put(&User { tenant: "acme".into(), user: "ann".into() }).await?;
///
/// let mut found = Collection::<App>::new(&client)
///     .entity::<Tenant>()
///     .entity::<User>()
///     .field("tenant", "acme") // the partition `T#acme`, rendered from the templates
///     .all()
///     .await?;
/// assert_eq!(found.take::<Tenant>().len(), 1);
/// assert_eq!(found.take::<User>()[0].user, "ann");
/// assert!(found.unknown.is_empty());
/// # Ok(()) }
/// ```
#[must_use = "a collection query does nothing until it is run"]
pub struct Collection<Tb> {
    table: TableClient<RawItem<Tb>>,
    index: Option<String>,
    partition: Option<String>,
    fields: Vec<(String, AttributeValue)>,
    error: Option<crate::EncodeError>,
    sort_prefix: Option<String>,
    registered: Vec<Registered>,
}

impl<Tb> fmt::Debug for Collection<Tb> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collection")
            .field("index", &self.index)
            .field("partition", &self.partition)
            .field("sort_prefix", &self.sort_prefix)
            .field(
                "entities",
                &self.registered.iter().map(|r| r.entity).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<Tb: SingleTable + 'static> Collection<Tb> {
    /// A collection query on the layout's table.
    pub fn new(client: &Client) -> Self {
        Self::named(client, Tb::LAYOUT.name)
    }

    /// A collection query on a table of this layout with another name (a stage's table).
    pub fn named(client: &Client, table: impl Into<String>) -> Self {
        Self {
            table: client.table_named(table),
            index: None,
            partition: None,
            fields: Vec::new(),
            error: None,
            sort_prefix: None,
            registered: Vec::new(),
        }
    }

    /// Decodes the items of entity type `A` into `A`.
    pub fn entity<A: super::Entity<Table = Tb> + Send + 'static>(mut self) -> Self {
        self.registered.push(Registered {
            entity: A::ENTITY_TYPE,
            type_id: TypeId::of::<A>(),
            keys: A::KEYS,
            decode: decode_as::<A>,
        });
        self
    }

    /// Reads this index rather than the table.
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.index = Some(name.into());
        self
    }

    /// The partition: the stored partition key (of the table or the index) as text.
    pub fn partition(mut self, key: impl Into<String>) -> Self {
        self.partition = Some(key.into());
        self
    }

    /// Gives a field of the partition key: the partition is then rendered from each registered
    /// entity's partition-key template (of the table or the [`index`](Self::index)), which must
    /// all give the same key — otherwise those entities do not share a partition, and the query
    /// is refused naming them.
    pub fn field(mut self, name: &str, value: impl crate::expr::IntoValue) -> Self {
        match value.into_value().attribute_value().map(|v| v.cloned()) {
            Ok(Some(v)) => self.fields.push((name.to_owned(), v)),
            Ok(None) => {}
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// The partition key rendered from the fields given, the same for every registered entity.
    fn partition_from_fields(&self, pk: &str) -> Result<String, EntityError> {
        let bad = |reason: String| EntityError::BadIndex {
            entity: "collection",
            index: self.index.clone(),
            reason,
        };
        if self.registered.is_empty() {
            return Err(bad(
                "register the entity types with `.entity::<T>()` first".to_owned()
            ));
        }
        let values: Vec<(&str, AttributeValue)> =
            self.fields.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        let mut rendered: Vec<(&'static str, String)> = Vec::new();
        for r in &self.registered {
            // A local index shares the table's partition key template.
            let template = r
                .keys
                .iter()
                .find(|k| k.attribute == pk && (k.index.is_none() || k.index == self.index.as_deref()))
                .ok_or_else(|| {
                    bad(format!(
                        "entity `{}` composes no partition key `{pk}` there, so it is never in this collection",
                        r.entity
                    ))
                })?;
            let text = template
                .parsed()?
                .render(&values)
                .map_err(|e| bad(format!("entity `{}`: {e}", r.entity)))?;
            rendered.push((r.entity, text));
        }
        let first = rendered[0].1.clone();
        if rendered.iter().any(|(_, t)| *t != first) {
            return Err(bad(format!(
                "the entities do not share a partition: {}",
                rendered
                    .iter()
                    .map(|(e, t)| format!("`{e}` is in `{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(first)
    }

    /// Only the items whose sort key begins with this text.
    pub fn sort_begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.sort_prefix = Some(prefix.into());
        self
    }

    fn key_attributes(&self) -> Result<(&'static str, Option<&'static str>), EntityError> {
        let layout = Tb::LAYOUT;
        let Some(name) = &self.index else {
            return Ok((layout.partition_key, layout.sort_key));
        };
        let bad = |reason: &str| EntityError::BadIndex {
            entity: "collection",
            index: Some(name.clone()),
            reason: reason.to_owned(),
        };
        let index = layout
            .index(name)
            .ok_or_else(|| bad("the table's layout has no such index"))?;
        Ok((
            index.partition_key.unwrap_or(layout.partition_key),
            index.sort_key,
        ))
    }

    /// Runs the query, every page, and sorts the items by type.
    pub async fn all(self) -> Result<CollectionItems, EntityError> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        let (pk, sk) = self.key_attributes()?;
        let partition = match (&self.partition, self.fields.is_empty()) {
            (Some(p), true) => p.clone(),
            (None, false) => self.partition_from_fields(pk)?,
            (Some(_), false) => {
                return Err(EntityError::BadIndex {
                    entity: "collection",
                    index: self.index.clone(),
                    reason: "give the partition either as text (`.partition(..)`) or by fields (`.field(..)`), not both"
                        .to_owned(),
                });
            }
            (None, true) => {
                return Err(EntityError::BadIndex {
                    entity: "collection",
                    index: self.index.clone(),
                    reason: "give the partition with `.field(..)` or `.partition(..)`".to_owned(),
                });
            }
        };
        let mut condition = KeyCondition::partition(pk, partition);
        if let (Some(prefix), Some(sk)) = (&self.sort_prefix, sk) {
            condition = condition.sort_begins_with(sk, prefix.as_str());
        }
        let mut read = self.table.query(condition);
        if let Some(i) = &self.index {
            read = read.index(i.clone());
        }
        let items = read.all().await?;
        let mut out = CollectionItems::default();
        for raw in items {
            let item = raw.item;
            match self.classify(&item) {
                Some((r, ownership)) => {
                    let value = (r.decode)(item, ownership)?;
                    out.by_type.entry(r.type_id).or_default().push(value);
                }
                None => out.unknown.push(item),
            }
        }
        Ok(out)
    }

    fn classify(&self, item: &Item) -> Option<(&Registered, Ownership)> {
        let layout = Tb::LAYOUT;
        if let Some(attribute) = layout.entity_attribute
            && let Some(AttributeValue::S(entity)) = item.get(attribute)
        {
            return self
                .registered
                .iter()
                .find(|r| r.entity == entity)
                .map(|r| (r, Ownership::Check));
        }
        // No entity type stored: the first type whose table keys read the item's keys back.
        self.registered
            .iter()
            .find(|r| {
                r.keys.iter().filter(|k| k.index.is_none()).all(|k| {
                    match (item.get(k.attribute), k.parsed()) {
                        (Some(AttributeValue::S(text)), Ok(t)) => t.parse_key(text).is_ok(),
                        _ => false,
                    }
                })
            })
            .map(|r| (r, Ownership::Ignore))
    }
}

/// The items of a [`Collection`], by type.
#[derive(Default)]
pub struct CollectionItems {
    by_type: HashMap<TypeId, Vec<Box<dyn Any + Send>>>,
    /// The items of no registered entity type, as stored.
    pub unknown: Vec<Item>,
}

impl fmt::Debug for CollectionItems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectionItems")
            .field("decoded", &self.by_type.values().map(Vec::len).sum::<usize>())
            .field("unknown", &self.unknown)
            .finish()
    }
}

impl CollectionItems {
    /// Takes the items decoded as `A` (in the order read).
    pub fn take<A: 'static>(&mut self) -> Vec<A> {
        self.by_type
            .remove(&TypeId::of::<A>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|b| (b as Box<dyn Any>).downcast::<A>().ok().map(|b| *b))
            .collect()
    }

    /// How many items were decoded as `A` (and not yet taken).
    pub fn count<A: 'static>(&self) -> usize {
        self.by_type.get(&TypeId::of::<A>()).map_or(0, Vec::len)
    }
}

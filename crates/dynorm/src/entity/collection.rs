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

use super::classify::classify;
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
    limit: Option<usize>,
    page_size: Option<u32>,
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
            limit: None,
            page_size: None,
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
                .plan()
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

    /// Reads at most this many items of the partition in all (whatever their type, unknown
    /// ones included), in sort-key order, across pages.
    pub fn limit(mut self, items: usize) -> Self {
        self.limit = Some(items);
        self
    }

    /// How many items DynamoDB reads per request (its `Limit`).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
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
        let registered: Vec<TypeId> = self.registered.iter().map(|r| r.type_id).collect();
        let (decoded, unknown) = self.read().await?;
        let mut out = CollectionItems {
            unknown,
            ..CollectionItems::default()
        };
        for (i, value) in decoded {
            out.by_type.entry(registered[i]).or_default().push(value);
        }
        Ok(out)
    }

    /// Decodes into one type `U` — usually an enum with a variant per entity type — keeping the
    /// order items are read in (the sort key's): register each entity with
    /// [`EnumCollection::variant`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use dynorm::entity::{Collection, Layout, SingleTable};
    /// # use dynorm::Table as _;
    /// # struct App;
    /// # impl SingleTable for App { const LAYOUT: Layout = Layout::new("app", "pk", Some("sk")); }
    /// # #[derive(dynorm::Entity, Debug, PartialEq)]
    /// # #[dynorm(table = App, pk = "T#{tenant}", sk = "PROFILE")]
    /// # struct Tenant { tenant: String, plan: String }
    /// # #[derive(dynorm::Entity, Debug, PartialEq)]
    /// # #[dynorm(table = App, pk = "T#{tenant}", sk = "U#{user}")]
    /// # struct User { tenant: String, user: String }
    /// #[derive(Debug, PartialEq)]
    /// enum Row {
    ///     Tenant(Tenant),
    ///     User(User),
    /// }
    /// let client = dynorm::Client::embedded()?;
    /// client.create_table(Tenant::definition()).await?;
    /// client.table::<Tenant>().put(&Tenant { tenant: "acme".into(), plan: "pro".into() }).await?;
    /// client.table::<User>().put(&User { tenant: "acme".into(), user: "ann".into() }).await?;
    ///
    /// let rows = Collection::<App>::new(&client)
    ///     .field("tenant", "acme")
    ///     .into_enum()
    ///     .variant(Row::Tenant)
    ///     .variant(Row::User)
    ///     .all()
    ///     .await?;
    /// assert!(matches!(rows.items[0], Row::Tenant(_))); // `PROFILE` sorts before `U#ann`
    /// assert!(matches!(&rows.items[1], Row::User(u) if u.user == "ann"));
    /// # Ok(()) }
    /// ```
    pub fn into_enum<U>(self) -> EnumCollection<Tb, U> {
        EnumCollection {
            inner: self,
            variants: Vec::new(),
        }
    }

    /// The decoded items in the order read, each with the index of its registered type, and the
    /// items of no registered type.
    #[allow(clippy::type_complexity)]
    async fn read(self) -> Result<(Vec<(usize, Box<dyn Any + Send>)>, Vec<Item>), EntityError> {
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
        if let Some(l) = self.limit {
            read = read.limit(l);
        }
        if let Some(p) = self.page_size {
            read = read.page_size(p);
        }
        let items = read.all().await?;
        let mut decoded = Vec::with_capacity(items.len());
        let mut unknown = Vec::new();
        for raw in items {
            let item = raw.item;
            match self.classify(&item) {
                Some((i, ownership)) => {
                    let value = (self.registered[i].decode)(item, ownership)
                        .map_err(|e| e.in_table(self.table.name()))?;
                    decoded.push((i, value));
                }
                None => unknown.push(item),
            }
        }
        Ok((decoded, unknown))
    }

    /// The registered type of an item (by index), and how to check its ownership.
    fn classify(&self, item: &Item) -> Option<(usize, Ownership)> {
        classify(
            &Tb::LAYOUT,
            self.registered.iter().map(|r| (r.entity, r.keys)),
            item,
        )
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

type Variant<U> = Box<dyn Fn(Box<dyn Any + Send>) -> Option<U> + Send + Sync>;

/// A [`Collection`] decoding every item into one type `U` (an enum with a variant per entity
/// type), in the order read; see [`Collection::into_enum`].
#[must_use = "a collection query does nothing until it is run"]
pub struct EnumCollection<Tb, U> {
    inner: Collection<Tb>,
    variants: Vec<Variant<U>>,
}

impl<Tb, U> fmt::Debug for EnumCollection<Tb, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnumCollection")
            .field("collection", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<Tb: SingleTable + 'static, U: 'static> EnumCollection<Tb, U> {
    /// Decodes the items of entity type `A` with `wrap` (an enum variant such as `Row::User`).
    pub fn variant<A: super::Entity<Table = Tb> + Send + 'static>(mut self, wrap: fn(A) -> U) -> Self {
        self.inner = self.inner.entity::<A>();
        self.variants.push(Box::new(move |value| {
            value.downcast::<A>().ok().map(|a| wrap(*a))
        }));
        self
    }

    /// Runs the query, every page: the items in the order read, and those of no registered type.
    pub async fn all(self) -> Result<EnumItems<U>, EntityError> {
        // Types registered with `entity` before `into_enum` have no variant: refuse rather than
        // drop their items.
        let without: Vec<&str> = self.inner.registered[..self.inner.registered.len() - self.variants.len()]
            .iter()
            .map(|r| r.entity)
            .collect();
        if !without.is_empty() {
            return Err(EntityError::BadIndex {
                entity: "collection",
                index: self.inner.index.clone(),
                reason: format!(
                    "entity type(s) {} have no variant: register them with `.variant(..)` after `into_enum`",
                    without.join(", ")
                ),
            });
        }
        let (decoded, unknown) = self.inner.read().await?;
        let items = decoded
            .into_iter()
            // Each value was decoded by the type registered at its index, so the variant fits.
            .filter_map(|(i, value)| self.variants.get(i).and_then(|wrap| wrap(value)))
            .collect();
        Ok(EnumItems { items, unknown })
    }
}

/// The items of an [`EnumCollection`].
#[derive(Debug)]
pub struct EnumItems<U> {
    /// The items of registered types, in the order read.
    pub items: Vec<U>,
    /// The items of no registered entity type, as stored.
    pub unknown: Vec<Item>,
}

//! The [`Table`] trait that `#[derive(Table)]` implements, and typed keys.

use std::fmt;
use std::marker::PhantomData;

use crate::Item;
use crate::definition::TableDefinition;
use crate::error::{DecodeError, EncodeError};

/// A Rust type stored as the items of one DynamoDB table.
///
/// Derive it with `#[derive(Table)]`; the derive also generates `Self::key(...)`, which builds a
/// typed [`Key`] from the key fields in order (partition key, then sort key).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dynorm table",
    label = "not a table",
    note = "derive it: `#[derive(dynorm::Table)]` with `#[dynorm(table = \"name\")]`"
)]
pub trait Table: Sized {
    /// The table's definition, built once.
    fn definition() -> &'static TableDefinition;

    /// Encodes a value as a whole item.
    fn to_item(&self) -> Result<Item, EncodeError>;

    /// Decodes a whole item. Attributes the type does not know are ignored.
    fn from_item(item: Item) -> Result<Self, DecodeError>;

    /// The primary key attributes of this value.
    fn key_item(&self) -> Result<Item, EncodeError>;

    /// The typed key of this value.
    fn key_of(&self) -> Key<Self> {
        Key::from_result(self.key_item())
    }

    /// The stored name of the optimistic-locking version attribute (`#[dynorm(version)]`), if any.
    ///
    /// When set, every write through dynorm checks that the stored version is the one the value
    /// carries (or that the item does not exist yet, for version 0) and stores the next version.
    const VERSION_ATTRIBUTE: Option<&'static str> = None;

    /// The version this value carries (0 for a value never written), when the table is versioned.
    fn version(&self) -> Option<u64> {
        None
    }

    /// Sets the version this value carries (after a successful versioned write).
    fn set_version(&mut self, _version: u64) {}

    /// The stored name of the attribute stamped once, when an item is created
    /// (`#[dynorm(created_at)]`), if any.
    const CREATED_AT_ATTRIBUTE: Option<&'static str> = None;

    /// The stored name of the attribute stamped on every write (`#[dynorm(updated_at)]`), if any.
    const UPDATED_AT_ATTRIBUTE: Option<&'static str> = None;

    /// The version of the shape this type stores (`#[dynorm(schema_version = N, upgrades(..))]`),
    /// if it declares one. Its items carry it in
    /// [`SCHEMA_VERSION_ATTRIBUTE`](crate::evolve::SCHEMA_VERSION_ATTRIBUTE); older items are
    /// upgraded as they are read, and rewritten by [`Upgrade`](crate::evolve::Upgrade).
    const SCHEMA_VERSION: Option<u32> = None;

    /// The attributes the older versions of this type store (what an upgrade may remove).
    #[doc(hidden)]
    fn earlier_stored_attributes() -> Vec<&'static str> {
        Vec::new()
    }

    /// The attributes every schema version of this type stores (the current one's and each
    /// older one's): an update writing only these applies to an item of any version.
    #[doc(hidden)]
    fn attributes_of_every_version() -> Vec<&'static str> {
        Self::stored_attributes()
    }

    /// The entity type of a `#[derive(Entity)]` type (`None` for a plain table type): errors
    /// about its schema version name it.
    const ENTITY_NAME: Option<&'static str> = None;

    /// Whether a stored item of the table is one of this type's: always for a plain table type;
    /// for an entity, an item of its entity type (by the entity attribute, or by its key
    /// templates when the layout stores none). An [`Upgrade`](crate::evolve::Upgrade) rewrites
    /// only these.
    #[doc(hidden)]
    fn owns_stored(item: &Item) -> bool {
        let _ = item;
        true
    }

    /// How this type's items are stored where libraries differ (stamps' text, what an upsert
    /// does with `None`, ...): an entity takes its layout's [`form`](crate::entity::Layout::form).
    const STORED_FORM: crate::format::StoredForm = crate::format::StoredForm::DYNORM;

    /// The stored names of the attributes that cannot change once written
    /// (`#[dynorm(immutable)]`). Puts, updates and transaction writes are conditioned so a write
    /// that would change or remove a written value fails with
    /// [`Error::ImmutableAttribute`](crate::Error::ImmutableAttribute); a value may still be
    /// written the first time. BatchWriteItem takes no conditions, so a batch put on such a
    /// table is refused unless [`unguarded`](crate::batch::BatchWrite::unguarded), and a batch
    /// upsert keeps the stored values of these attributes.
    const IMMUTABLE_ATTRIBUTES: &'static [&'static str] = &[];

    /// Whether reads of this type are strict by default (`#[dynorm(strict)]` or
    /// `#[dynorm(strict = "warn")]`): attributes an item holds that the type does not name are
    /// reported ([`crate::strict`]) instead of dropped. A read may still choose with `.strict(..)`.
    const STRICT_READS: Option<crate::strict::Strict> = None;

    /// Every attribute a value of this type may store (what an upsert removes when the value
    /// leaves it empty). Generated by `#[derive(Entity)]`; the definition's attributes otherwise.
    #[doc(hidden)]
    fn stored_attributes() -> Vec<&'static str> {
        Self::definition()
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect()
    }

    /// The actions that keep the attributes this type computes from others (an entity's index
    /// keys and joined attributes) in step with a partial update's changes, given the item's
    /// key. Refuses an update that writes a computed attribute directly
    /// ([`Error::ComputedAttribute`](crate::Error::ComputedAttribute)) or that lacks values a
    /// computed attribute needs ([`Error::IncompleteUpdate`](crate::Error::IncompleteUpdate)).
    /// Types without computed attributes add nothing. Generated by `#[derive(Entity)]`.
    #[doc(hidden)]
    fn complete_update(
        key: &Item,
        update: &crate::expr::Update,
    ) -> Result<crate::expr::Update, crate::Error> {
        let _ = (key, update);
        Ok(crate::expr::Update::new())
    }
}

/// A type holding some of the attributes of table [`Projection::Table`]: what a get or query with
/// a projection, or a query on a keys-only or INCLUDE index, decodes into.
///
/// Derive it with `#[derive(Projection)]` and `#[dynorm(table = User)]`; every field must name an
/// attribute of that table, which is checked at compile time.
pub trait Projection: Sized {
    /// The table the attributes belong to.
    type Table: Table;

    /// The stored names of the attributes this type reads (its projection expression).
    fn attributes() -> &'static [&'static str];

    /// Decodes an item holding (at least) those attributes.
    fn from_item(item: Item) -> Result<Self, DecodeError>;
}

/// The primary key of an item of table `T`: the partition key and, if the table has one, the
/// sort key, already encoded.
///
/// Encoding errors (a NaN number key, say) are kept and reported by the operation that uses the
/// key, so building a key never needs a `?`.
pub struct Key<T> {
    item: Result<Item, EncodeError>,
    table: PhantomData<fn() -> T>,
}

impl<T> Key<T> {
    /// A key from encoded key attributes (or the error encoding them).
    pub fn from_result(item: Result<Item, EncodeError>) -> Self {
        Self {
            item,
            table: PhantomData,
        }
    }

    /// A key from already encoded key attributes.
    pub fn from_item(item: Item) -> Self {
        Self::from_result(Ok(item))
    }

    /// The key attributes, or the error that building them met.
    pub fn into_item(self) -> Result<Item, EncodeError> {
        self.item
    }

    /// The key attributes, or the error that building them met.
    pub fn as_item(&self) -> Result<&Item, &EncodeError> {
        self.item.as_ref()
    }
}

impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        Self::from_result(self.item.clone())
    }
}

impl<T> PartialEq for Key<T> {
    fn eq(&self, other: &Self) -> bool {
        self.item == other.item
    }
}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.item {
            Ok(item) => {
                let mut entries: Vec<_> = item.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                f.debug_tuple("Key").field(&entries).finish()
            }
            Err(e) => f.debug_tuple("Key").field(e).finish(),
        }
    }
}

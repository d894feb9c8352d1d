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

    /// The stored names of the attributes that cannot change once written
    /// (`#[dynorm(immutable)]`). Puts, updates and transaction writes are conditioned so a write
    /// that would change or remove a written value fails with
    /// [`Error::ImmutableAttribute`](crate::Error::ImmutableAttribute); a value may still be
    /// written the first time. BatchWriteItem takes no conditions, so a batch put on such a
    /// table is refused unless [`unguarded`](crate::batch::BatchWrite::unguarded), and a batch
    /// upsert keeps the stored values of these attributes.
    const IMMUTABLE_ATTRIBUTES: &'static [&'static str] = &[];
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

//! Types that evolve without downtime: a schema version on every item, older items upgraded as
//! they are read, and [`Upgrade`], which rewrites the old items still stored while the
//! application keeps writing.
//!
//! A type declares the version of the shape it stores and the types of the older shapes, each
//! convertible into the next with `From`:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! use dynorm::evolve::Upgrade;
//! use dynorm::{Client, Table};
//!
//! /// Version 1: one name.
//! #[derive(Table)]
//! #[dynorm(table = "people")]
//! struct PersonV1 {
//!     #[dynorm(partition_key)]
//!     id: String,
//!     name: String,
//! }
//!
//! /// Version 2: the name split in two.
//! #[derive(Table, Debug, PartialEq)]
//! #[dynorm(table = "people", schema_version = 2, upgrades(PersonV1))]
//! struct Person {
//!     #[dynorm(partition_key)]
//!     id: String,
//!     first: String,
//!     last: String,
//! }
//!
//! impl From<PersonV1> for Person {
//!     fn from(old: PersonV1) -> Self {
//!         let (first, last) = old.name.split_once(' ').unwrap_or((&old.name, ""));
//!         Person { id: old.id, first: first.into(), last: last.into() }
//!     }
//! }
//!
//! let db = Client::embedded()?;
//! db.table::<Person>().create().await?;
//! db.table::<PersonV1>().put(&PersonV1 { id: "p1".into(), name: "Ada Lovelace".into() }).await?;
//!
//! // Read as the current type, upgraded in memory.
//! let ada = db.table::<Person>().get(Person::key("p1")).await?.unwrap();
//! assert_eq!((ada.first.as_str(), ada.last.as_str()), ("Ada", "Lovelace"));
//!
//! // Rewrite what is still stored at older versions; then nothing is left.
//! let people = db.table::<Person>();
//! assert_eq!(Upgrade::new(&people).dry_run().run().await?.upgraded, 1);
//! assert_eq!(Upgrade::new(&people).run().await?.upgraded, 1);
//! assert_eq!(Upgrade::new(&people).remaining().await?, 0);
//! # Ok(()) }
//! ```
//!
//! An item without the version attribute is version 1; one stored by a newer build (a higher
//! version) is refused with a decode error rather than read with what it added dropped. A step
//! may be fallible (`TryFrom` instead of `From`); a failed step, or an older item that does not
//! decode as its type, is a [`DecodeErrorKind::SchemaVersion`](crate::DecodeErrorKind::SchemaVersion)
//! naming the type (or entity), the key and both versions.
//!
//! Single-table entities (`#[derive(Entity)]`) take the same `schema_version = N, upgrades(..)`,
//! the older types being entities of the same name; their reads (gets, queries, collections,
//! change streams) upgrade the same way, and an [`Upgrade`] of an entity rewrites only its own
//! items. An update that writes attributes an older version does not store is refused on an
//! older item with [`Error::OutdatedSchemaVersion`] rather than leave it half upgraded (see the
//! rules in the README).

use std::marker::PhantomData;
use std::time::Duration;

use futures::StreamExt;

use crate::definition::TableDefinition;
use crate::error::{DecodeError, EncodeError};
use crate::expr::{Condition, Update, Value, attr};
use crate::{Error, Item, Key, Result, Table, TableClient};

pub use crate::schema_version::SCHEMA_VERSION_ATTRIBUTE;

/// How many times one item is re-read and retried when the application changed it between
/// the read and the rewrite.
const ATTEMPTS: usize = 5;

/// Rewrites the items of table `T` stored at older schema versions in the current one.
///
/// - **Safe while the application writes**: each rewrite is an UpdateItem through the write
///   path (optimistic locking, immutable attributes and validation apply; the version of a
///   versioned type is bumped) that sets the upgraded attributes and removes the ones only older
///   versions stored, conditioned on every attribute it read still holding what it read. A
///   change in between fails the condition; the item is read again and the upgrade redone
///   (or skipped once the application stored it at the current version). Attributes no version
///   declares are left alone.
/// - **Resumable**: it reads only items below the current version, so running it again after
///   an interruption continues where it stopped.
/// - **Parallel** over scan [`segments`](Self::segments), **rate-limited** with
///   [`per_second`](Self::per_second), with a [`dry_run`](Self::dry_run) and a verification
///   count, [`remaining`](Self::remaining).
/// - The table key of an item cannot change in place: an upgrade that would change it is
///   refused with [`Error::InvalidKey`].
#[derive(Debug)]
#[must_use = "an upgrade does nothing until it is run"]
pub struct Upgrade<T> {
    table: TableClient<T>,
    dry_run: bool,
    segments: u32,
    per_second: Option<u32>,
}

/// What an [`Upgrade`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpgradeReport {
    /// Items found at an older version.
    pub scanned: usize,
    /// Items rewritten at the current version (or, in a dry run, that would be).
    pub upgraded: usize,
    /// Items the application changed between the read and the rewrite, read again and retried.
    pub retried: usize,
    /// Items the application itself rewrote at the current version meanwhile (left as they are).
    pub already_current: usize,
    /// Items deleted meanwhile.
    pub deleted: usize,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
}

enum Outcome {
    Upgraded { retries: usize },
    Current { retries: usize },
    Deleted { retries: usize },
}

impl<T: Table + Send + 'static> Upgrade<T> {
    /// An upgrade of the items of `table`.
    pub fn new(table: &TableClient<T>) -> Self {
        Self {
            table: table.clone(),
            dry_run: false,
            segments: 1,
            per_second: None,
        }
    }

    /// Counts and decodes what would be upgraded, writing nothing.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// Scans in `n` parallel segments.
    pub fn segments(mut self, n: u32) -> Self {
        self.segments = n.max(1);
        self
    }

    /// Rewrites at most `n` items a second.
    pub fn per_second(mut self, n: u32) -> Self {
        self.per_second = Some(n.max(1));
        self
    }

    /// The items still stored at an older version (the verification pass).
    pub async fn remaining(&self) -> Result<usize> {
        let mut items = self.older()?;
        let mut left = 0;
        while let Some(stored) = items.next().await {
            stored?;
            left += 1;
        }
        Ok(left)
    }

    /// The items of `T` stored below the current version, scanned in parallel segments: for an
    /// entity, only the items of its entity type.
    fn older(&self) -> Result<futures::stream::BoxStream<'static, Result<Item>>> {
        let current = self.current()?;
        let items = self
            .stored()
            .scan()
            .filter(older_than(current))
            .segments(self.segments)
            .stream()
            .filter_map(|stored| async move {
                match stored {
                    Ok(s) if T::owns_stored(&s.item) => Some(Ok(s.item)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                }
            });
        Ok(Box::pin(items))
    }

    /// Runs the upgrade.
    pub async fn run(self) -> Result<UpgradeReport> {
        let pause = self.per_second.map(|n| Duration::from_secs(1) / n);
        let mut items = self.older()?;
        let mut report = UpgradeReport {
            dry_run: self.dry_run,
            ..UpgradeReport::default()
        };
        while let Some(stored) = items.next().await {
            report.scanned += 1;
            match self.upgrade_one(stored?).await? {
                Outcome::Upgraded { retries } => {
                    report.upgraded += 1;
                    report.retried += retries;
                }
                Outcome::Current { retries } => {
                    report.already_current += 1;
                    report.retried += retries;
                }
                Outcome::Deleted { retries } => {
                    report.deleted += 1;
                    report.retried += retries;
                }
            }
            if let Some(pause) = pause {
                tokio::time::sleep(pause).await;
            }
        }
        Ok(report)
    }

    fn current(&self) -> Result<u32> {
        T::SCHEMA_VERSION.ok_or_else(|| Error::InvalidRequest {
            table: self.table.name().to_owned(),
            index: None,
            message: "the type declares no schema version: add `#[dynorm(schema_version = N, upgrades(..))]`"
                .to_owned(),
        })
    }

    /// The table read as stored items.
    fn stored(&self) -> TableClient<Stored<T>> {
        self.table.client().table_named(self.table.name())
    }

    /// Upgrades one item, re-reading it when the application changed it in between.
    async fn upgrade_one(&self, mut stored: Item) -> Result<Outcome> {
        let name = self.table.name();
        for retries in 0..ATTEMPTS {
            let (update, condition) = rewrite::<T>(name, &stored)?;
            if self.dry_run {
                return Ok(Outcome::Upgraded { retries });
            }
            let key = crate::write::key_of_item::<T>(&stored);
            let sent = self
                .table
                .update(Key::from_item(key.clone()))
                .raw_apply(update)
                .condition(condition)
                .send()
                .await;
            match sent {
                Ok(()) => return Ok(Outcome::Upgraded { retries }),
                Err(e) if e.is_conditional_check_failed() => {}
                Err(e) => return Err(e),
            }
            let fresh = self
                .stored()
                .get(Key::from_item(key))
                .consistent_read(true)
                .send()
                .await?;
            let Some(fresh) = fresh else {
                return Ok(Outcome::Deleted { retries: retries + 1 });
            };
            let version = crate::schema_version::schema_version(&fresh.item, name, u32::MAX)?;
            if Some(version) == T::SCHEMA_VERSION {
                return Ok(Outcome::Current { retries: retries + 1 });
            }
            stored = fresh.item;
        }
        Err(Error::ConditionalCheckFailed {
            table: name.to_owned(),
            item: Some(Box::new(stored)),
        })
    }
}

/// The filter of items stored below version `current` (those without the attribute are 1).
fn older_than(current: u32) -> Condition {
    attr(SCHEMA_VERSION_ATTRIBUTE).not_exists() | attr(SCHEMA_VERSION_ATTRIBUTE).lt(current)
}

/// The rewrite of a stored item at the current version: the actions (set what the upgraded
/// value stores, remove what only older versions stored) and the condition that every
/// attribute read still holds what was read and every attribute added is still absent.
fn rewrite<T: Table>(table: &str, stored: &Item) -> Result<(Update, Condition)> {
    let value = T::from_item(stored.clone()).map_err(|e| Error::Decode(named(e, table)))?;
    let new = value
        .to_item()
        .map_err(|e| crate::write::encode_error(table, e))?;
    let definition = T::definition();
    check_same_key(table, definition, stored, &new)?;
    let is_key =
        |name: &str| name == definition.partition_key || definition.sort_key.as_deref() == Some(name);
    let mut update = Update::new();
    let mut names: Vec<&String> = new.keys().filter(|n| !is_key(n)).collect();
    names.sort();
    for name in names {
        // A versioned write bumps the version itself.
        if T::VERSION_ATTRIBUTE != Some(name.as_str()) {
            update = update.set(name.as_str(), Value::from(new[name].clone()));
        }
    }
    let mut dropped: Vec<&str> = T::earlier_stored_attributes()
        .into_iter()
        .filter(|n| stored.contains_key(*n) && !new.contains_key(*n) && !is_key(n))
        .collect();
    dropped.sort_unstable();
    dropped.dedup();
    for name in dropped {
        update = update.remove(name);
    }
    let mut read: Vec<(&String, &crate::AttributeValue)> = stored.iter().collect();
    read.sort_by(|a, b| a.0.cmp(b.0));
    let unchanged = read
        .into_iter()
        .map(|(n, v)| attr(n.as_str()).eq(Value::from(v.clone())));
    let still_absent = new
        .keys()
        .filter(|n| !stored.contains_key(*n))
        .map(|n| attr(n.as_str()).not_exists());
    let condition = unchanged
        .chain(still_absent)
        .reduce(|a, b| a & b)
        .unwrap_or_else(|| attr(definition.partition_key.as_str()).exists());
    Ok((update, condition))
}

fn named(mut e: DecodeError, table: &str) -> DecodeError {
    e.table.get_or_insert_with(|| table.to_owned());
    e
}

fn check_same_key(table: &str, definition: &TableDefinition, stored: &Item, new: &Item) -> Result<()> {
    for key in std::iter::once(&definition.partition_key).chain(definition.sort_key.as_ref()) {
        if stored.get(key) != new.get(key) {
            return Err(Error::InvalidKey {
                table: table.to_owned(),
                attribute: key.clone(),
                reason: format!(
                    "the upgrade changes the table key ({:?} -> {:?}); an item cannot move in place",
                    stored.get(key),
                    new.get(key)
                ),
            });
        }
    }
    Ok(())
}

/// An item of `T`'s table as stored, before any upgrade.
struct Stored<T> {
    item: Item,
    table: PhantomData<fn() -> T>,
}

impl<T: Table> Table for Stored<T> {
    fn definition() -> &'static TableDefinition {
        T::definition()
    }

    fn to_item(&self) -> std::result::Result<Item, EncodeError> {
        Ok(self.item.clone())
    }

    fn from_item(item: Item) -> std::result::Result<Self, DecodeError> {
        Ok(Self {
            item,
            table: PhantomData,
        })
    }

    fn key_item(&self) -> std::result::Result<Item, EncodeError> {
        Ok(crate::write::key_of_item::<T>(&self.item))
    }
}

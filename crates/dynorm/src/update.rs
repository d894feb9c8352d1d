//! [`UpdateBuilder`]: UpdateItem by typed key, with built update actions, conditions, return
//! values and optimistic locking.

use std::fmt;
use std::future::IntoFuture;

use crate::client::{Conditions, condition_methods, decode_with, into_future};
use crate::engine::request::{ReturnValues, UpdateItem};
use crate::expr::{IntoValue, Path, SetValue, Update};
use crate::future::BoxFuture;
use crate::write;
use crate::{Item, Key, Result, Table, TableClient, expr};

impl<T: Table> TableClient<T> {
    /// Updates the item with this key (creating it if absent, unless
    /// [`must_exist`](UpdateBuilder::must_exist)), with [`Update`] actions or the builder's
    /// fluent `set`, `add`, `remove`, ... methods.
    ///
    /// Key attributes cannot be changed: an action on one is refused with
    /// [`Error::InvalidKey`](crate::Error::InvalidKey). On a versioned table every update increments the stored version;
    /// give [`UpdateBuilder::expected_version`] to also check it.
    pub fn update(&self, key: Key<T>) -> UpdateBuilder<T> {
        UpdateBuilder {
            table: self.clone(),
            key,
            update: Update::new(),
            raw: Update::new(),
            expected_version: None,
            conditions: Conditions::default(),
        }
    }
}

/// An UpdateItem waiting to be sent: `.send().await` or just `.await`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::Table;
/// use dynorm::expr::{attr, Update};
///
/// #[derive(Table, Debug)]
/// #[dynorm(table = "counters")]
/// struct Counter {
///     #[dynorm(partition_key)]
///     id: String,
///     hits: i64,
///     label: Option<String>,
/// }
///
/// let client = dynorm::Client::embedded()?;
/// client.create_table(Counter::definition()).await?;
/// let counters = client.table::<Counter>();
/// let key = || Counter::key("home".to_owned());
///
/// // Fluent actions...
/// let c = counters.update(key()).set("hits", 1).set("label", "Home").return_new().await?;
/// assert_eq!(c.hits, 1);
/// // ... or a built `Update`, with a condition; `return_updated` gives the changed attributes.
/// let changed = counters
///     .update(key())
///     .apply(Update::new().increment("hits", 2).remove("label"))
///     .condition(attr("hits").lt(10))
///     .return_updated()
///     .await?;
/// assert_eq!(changed.get("hits"), Some(&dynorm::AttributeValue::N("3".into())));
/// // Key attributes cannot be updated.
/// assert!(counters.update(key()).set("id", "other").await.is_err());
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct UpdateBuilder<T> {
    table: TableClient<T>,
    key: Key<T>,
    update: Update,
    /// Actions written as given, past the model's checks (`raw_set`, `raw_remove`).
    raw: Update,
    expected_version: Option<u64>,
    conditions: Conditions,
}

impl<T> fmt::Debug for UpdateBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateBuilder")
            .field("table", &self.table.name)
            .field("key", &self.key)
            .field("update", &self.update)
            .field("raw", &self.raw)
            .field("expected_version", &self.expected_version)
            .field("conditions", &self.conditions)
            .finish()
    }
}

impl<T: Table> UpdateBuilder<T> {
    condition_methods!();

    /// Adds the actions of a built [`Update`].
    pub fn apply(mut self, update: Update) -> Self {
        self.update = self.update.merge(update);
        self
    }

    /// `SET path = value` ([`Update::set`]; a value that encodes to nothing removes the attribute).
    pub fn set(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.update = self.update.set(path, value);
        self
    }

    /// `SET path = <any SET value>` ([`Update::set_to`]).
    pub fn set_to(mut self, path: impl Into<Path>, value: SetValue) -> Self {
        self.update = self.update.set_to(path, value);
        self
    }

    /// `SET path = if_not_exists(path, value)` ([`Update::set_if_not_exists`]).
    pub fn set_if_not_exists(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.update = self.update.set_if_not_exists(path, value);
        self
    }

    /// `SET path = path + by` ([`Update::increment`]).
    pub fn increment(mut self, path: impl Into<Path>, by: impl IntoValue) -> Self {
        self.update = self.update.increment(path, by);
        self
    }

    /// `SET path = path - by` ([`Update::decrement`]).
    pub fn decrement(mut self, path: impl Into<Path>, by: impl IntoValue) -> Self {
        self.update = self.update.decrement(path, by);
        self
    }

    /// Adds elements at the end of a list ([`Update::append`]).
    pub fn append(mut self, path: impl Into<Path>, list: impl IntoValue) -> Self {
        self.update = self.update.append(path, list);
        self
    }

    /// Adds elements at the start of a list ([`Update::prepend`]).
    pub fn prepend(mut self, path: impl Into<Path>, list: impl IntoValue) -> Self {
        self.update = self.update.prepend(path, list);
        self
    }

    /// `REMOVE path` ([`Update::remove`]).
    pub fn remove(mut self, path: impl Into<Path>) -> Self {
        self.update = self.update.remove(path);
        self
    }

    /// `ADD path value`: to a number or a set ([`Update::add`]).
    pub fn add(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.update = self.update.add(path, value);
        self
    }

    /// `DELETE path set`: elements from a set ([`Update::delete`]).
    pub fn delete(mut self, path: impl Into<Path>, set: impl IntoValue) -> Self {
        self.update = self.update.delete(path, set);
        self
    }

    /// `SET path = value` written as given, past the model's checks: on an entity's table this
    /// may write a computed attribute (an index key, a joined attribute) directly, or change a
    /// field without rebuilding what is computed from it. The way to repair or reproduce data
    /// another tool wrote; everything else should use [`set`](Self::set).
    pub fn raw_set(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.raw = self.raw.set(path, value);
        self
    }

    /// `REMOVE path` written as given, past the model's checks (see [`raw_set`](Self::raw_set)).
    pub fn raw_remove(mut self, path: impl Into<Path>) -> Self {
        self.raw = self.raw.remove(path);
        self
    }

    /// Actions written as given, past the model's checks (see [`raw_set`](Self::raw_set)).
    pub fn raw_apply(mut self, update: Update) -> Self {
        self.raw = self.raw.merge(update);
        self
    }

    /// On a versioned table: update only if the stored version is this one, failing with
    /// [`Error::VersionConflict`](crate::Error::VersionConflict) otherwise. Ignored on a table without a version attribute.
    pub fn expected_version(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    /// Have the call return the whole item as it is after the update, decoded.
    pub fn return_new(self) -> UpdateReturnNew<T> {
        UpdateReturnNew { update: self }
    }

    /// Have the call return the attributes the update changed, as they are now.
    pub fn return_updated(self) -> UpdateReturnUpdated<T> {
        UpdateReturnUpdated { update: self }
    }

    /// Have the call return the item as it was before the update (`None` when it did not exist).
    pub fn return_old(self) -> UpdateReturnOld<T> {
        UpdateReturnOld { update: self }
    }

    /// Sends the request.
    pub async fn send(self) -> Result<()> {
        self.execute(ReturnValues::None).await.map(|_| ())
    }

    async fn execute(self, return_values: ReturnValues) -> Result<Option<Item>> {
        let prepared = write::update::<T>(
            &self.table.name,
            self.key,
            self.update,
            self.raw,
            self.expected_version,
            self.conditions,
        )?;
        let failure = prepared.failure;
        let request = UpdateItem {
            table: prepared.table,
            key: prepared.key,
            update: prepared.update.unwrap_or_default(),
            condition: prepared.condition,
            placeholders: prepared.placeholders,
            return_values,
            return_old_on_failure: failure.needs_item(),
        };
        self.table
            .client
            .engine()
            .update_item(request)
            .await
            .map_err(|e| failure.explain(e))
    }
}

into_future!(UpdateBuilder, (), any_t);

/// An UpdateItem returning the item as it is after the update.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct UpdateReturnNew<T> {
    update: UpdateBuilder<T>,
}

impl<T: Table> UpdateReturnNew<T> {
    /// Sends the request: the item as it is now.
    pub async fn send(self) -> Result<T> {
        let name = self.update.table.name.clone();
        let item = self.update.execute(ReturnValues::AllNew).await?;
        decode_with(&name, item.unwrap_or_default(), T::from_item)
    }
}

into_future!(UpdateReturnNew, T);

/// An UpdateItem returning the attributes it changed, as they are now.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct UpdateReturnUpdated<T> {
    update: UpdateBuilder<T>,
}

impl<T: Table> UpdateReturnUpdated<T> {
    /// Sends the request: the updated attributes (`UPDATED_NEW`; removed ones are absent).
    pub async fn send(self) -> Result<Item> {
        Ok(self
            .update
            .execute(ReturnValues::UpdatedNew)
            .await?
            .unwrap_or_default())
    }
}

into_future!(UpdateReturnUpdated, Item, any_t);

/// An UpdateItem returning the item as it was before the update.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct UpdateReturnOld<T> {
    update: UpdateBuilder<T>,
}

impl<T: Table> UpdateReturnOld<T> {
    /// Sends the request: the item as it was, `None` when the update created it.
    ///
    /// The embedded engine answers `ALL_OLD` for an item it creates with the key attributes
    /// alone (DynamoDB answers nothing); an answer holding exactly the key is therefore read as
    /// "there was no item".
    pub async fn send(self) -> Result<Option<T>> {
        let name = self.update.table.name.clone();
        let key = self.update.key.as_item().ok().cloned();
        let item = self.update.execute(ReturnValues::AllOld).await?;
        item.filter(|item| Some(item) != key.as_ref())
            .map(|item| decode_with(&name, item, T::from_item))
            .transpose()
    }
}

into_future!(UpdateReturnOld, Option<T>);

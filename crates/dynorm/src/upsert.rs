//! [`UpsertBuilder`]: write a value's attributes with UpdateItem, keeping what the value does not
//! own (dynamo_query's `upsert_record`): the creation time stamped once, the modification time
//! stamped always, attributes set only if absent, and attributes the value leaves empty removed.

use std::collections::HashSet;
use std::fmt;
use std::future::IntoFuture;

use crate::client::{Conditions, condition_methods, decode_with, into_future};
use crate::engine::request::{ReturnValues, UpdateItem};
use crate::future::BoxFuture;
use crate::write::{self, Stamp};
use crate::{Item, Result, Table, TableClient, expr};

impl<T: Table> TableClient<T> {
    /// Upserts `value`: one UpdateItem that SETs every non-key attribute of the value, REMOVEs
    /// the table's attributes the value leaves empty (`None`) — or, in dynamo_query's
    /// [form](crate::StoredForm::DYNAMO_QUERY), leaves them alone as its `upsert_record` does —, stamps
    /// [`Table::CREATED_AT_ATTRIBUTE`] only when the item is new (`if_not_exists`) and
    /// [`Table::UPDATED_AT_ATTRIBUTE`] always, and returns the stored item.
    ///
    /// Stamps are ISO 8601 UTC text (`2024-05-01T12:00:00.123Z`; dynamo_query's form: its naive
    /// `2024-05-01T12:00:00.123000`), or epoch seconds when the
    /// attribute is declared as a number (`EpochSeconds`, `#[dynorm(epoch_seconds)]`) or the value
    /// encodes it as one. On a versioned table the stored version is incremented (not checked:
    /// an upsert writes whatever is there).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
    /// use dynorm::Table;
    ///
    /// #[derive(Table, Debug)]
    /// #[dynorm(table = "profiles")]
    /// struct Profile {
    ///     #[dynorm(partition_key)]
    ///     id: String,
    ///     name: String,
    ///     referrer: Option<String>,
    /// }
    ///
    /// let client = dynorm::Client::embedded()?;
    /// client.create_table(Profile::definition()).await?;
    /// let profiles = client.table::<Profile>();
    /// let first = Profile { id: "p".into(), name: "Ada".into(), referrer: Some("bob".into()) };
    /// profiles.upsert(&first).set_if_not_exists(["referrer"]).await?;
    /// let again = Profile { id: "p".into(), name: "Ada L.".into(), referrer: Some("eve".into()) };
    /// let stored = profiles.upsert(&again).set_if_not_exists(["referrer"]).await?;
    /// assert_eq!(stored.name, "Ada L.");
    /// assert_eq!(stored.referrer.as_deref(), Some("bob")); // set only once
    /// # Ok(()) }
    /// ```
    pub fn upsert(&self, value: &T) -> UpsertBuilder<T> {
        UpsertBuilder {
            table: self.clone(),
            item: value.to_item(),
            version: None,
            if_not_exists: HashSet::new(),
            conditions: Conditions::default(),
        }
    }
}

/// An upsert waiting to be sent: `.send().await` or just `.await`. See [`TableClient::upsert`].
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct UpsertBuilder<T> {
    table: TableClient<T>,
    item: std::result::Result<Item, crate::EncodeError>,
    version: Option<u64>,
    if_not_exists: HashSet<String>,
    conditions: Conditions,
}

impl<T> fmt::Debug for UpsertBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertBuilder")
            .field("table", &self.table.name)
            .field("item", &self.item)
            .field("if_not_exists", &self.if_not_exists)
            .field("conditions", &self.conditions)
            .finish()
    }
}

impl<T: Table> TableClient<T> {
    /// Upserts an item already encoded (a batch upsert's), keeping `keep` when stored, with the
    /// stamps of `stamp`.
    pub(crate) async fn upsert_item(&self, item: Item, keep: &HashSet<String>, stamp: Stamp) -> Result<()> {
        UpsertBuilder {
            table: self.clone(),
            item: Ok(item),
            version: None,
            if_not_exists: keep.clone(),
            conditions: Conditions::default(),
        }
        .send_stamped(stamp)
        .await
        .map(|_: T| ())
    }
}

impl<T: Table> UpsertBuilder<T> {
    condition_methods!();

    /// Attributes set only when the stored item does not have them yet (`if_not_exists`); an
    /// attribute the value leaves empty is then left alone rather than removed.
    pub fn set_if_not_exists<S: Into<String>>(mut self, attributes: impl IntoIterator<Item = S>) -> Self {
        self.if_not_exists.extend(attributes.into_iter().map(Into::into));
        self
    }

    /// On a versioned table: write only if the stored version is this one (0: no item yet),
    /// failing with [`Error::VersionConflict`](crate::Error::VersionConflict) otherwise. Without
    /// it an upsert bumps the stored version without checking it (like an update), so the
    /// version never goes back.
    pub fn expected_version(mut self, version: u64) -> Self {
        self.version = Some(version);
        self
    }

    /// Sends the request: the item as stored after the upsert.
    pub async fn send(self) -> Result<T> {
        self.send_stamped(Stamp::now()).await
    }

    /// Sends the request with the stamps of `stamp` (one clock reading shared by a batch).
    pub(crate) async fn send_stamped(self, stamp: Stamp) -> Result<T> {
        let name = self.table.name.clone();
        let prepared = write::upsert::<T>(
            &name,
            self.item,
            self.version,
            &self.if_not_exists,
            self.conditions,
            stamp,
        )?;
        let failure = prepared.failure;
        let request = UpdateItem {
            table: prepared.table,
            key: prepared.key,
            update: prepared.update.unwrap_or_default(),
            condition: prepared.condition,
            placeholders: prepared.placeholders,
            return_values: ReturnValues::AllNew,
            return_old_on_failure: failure.needs_item(),
        };
        let stored = self
            .table
            .client
            .engine()
            .update_item(request)
            .await
            .map_err(|e| failure.explain(e))?;
        decode_with(&name, stored.unwrap_or_default(), T::from_item)
    }
}

into_future!(UpsertBuilder, T);

//! Typed transactions: [`Client::transact_write`] and [`Client::transact_get`].
//!
//! A transaction holds at most 100 items, no two naming the same item; both
//! rules are checked before anything is sent ([`Error::TooManyItems`],
//! [`Error::DuplicateTransactionItem`]). A cancelled transaction fails with
//! [`Error::TransactionItemsCanceled`]: one [`CanceledItem`] per item, in the order they were
//! added, naming its table and key beside DynamoDB's reason.
//!
//! DynamoDB returns nothing from a successful TransactWriteItems; dynorm hands back the items it
//! wrote ([`TransactWriteOutcome`]): the whole item of every put, the key of the others.
//!
//! ```
//! use dynorm::Table;
//! use dynorm::expr::{attr, Update};
//!
//! #[derive(Table, Debug, Clone, PartialEq)]
//! #[dynorm(table = "accounts")]
//! struct Account {
//!     #[dynorm(partition_key)]
//!     id: String,
//!     balance: i64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! let client = dynorm::Client::embedded()?;
//! let accounts = client.table::<Account>();
//! accounts.create().await?;
//! let written = client
//!     .transact_write()
//!     .put(&accounts, &Account { id: "a".into(), balance: 100 })
//!     .put_if(&accounts, &Account { id: "b".into(), balance: 0 }, attr("id").not_exists())
//!     .send()
//!     .await?;
//! assert_eq!(written.get::<Account>(1)?, Some(Account { id: "b".into(), balance: 0 }));
//!
//! // Move 30 from a to b, only if a has enough.
//! client
//!     .transact_write()
//!     .update(&accounts, Account::key("a"), Update::new().decrement("balance", 30))
//!     .condition(attr("balance").ge(30))
//!     .update(&accounts, Account::key("b"), Update::new().increment("balance", 30))
//!     .send()
//!     .await?;
//!
//! let read = client
//!     .transact_get()
//!     .get(&accounts, Account::key("a"))
//!     .get(&accounts, Account::key("b"))
//!     .send()
//!     .await?;
//! assert_eq!(read.get::<Account>(0)?.map(|a| a.balance), Some(70));
//! assert_eq!(read.get::<Account>(1)?.map(|a| a.balance), Some(30));
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::IntoFuture;

pub use crate::error::{CanceledItem, TransactAction};

use crate::batch::decode;
use crate::engine::request::{
    TransactGet as TransactGetRequest, TransactWrite as TransactWriteRequest, TxKind,
};
use crate::error::key_text;
use crate::expr::{Condition, Update};
use crate::future::BoxFuture;
use crate::pipeline::fingerprint;
use crate::validate::MAX_TRANSACTION_ITEMS;
use crate::write::{self, Conditions, Prepared, value_version};
use crate::{CancellationReason, Client, Error, Item, Key, Result, Table, TableClient};

fn transact_action(kind: TxKind) -> TransactAction {
    match kind {
        TxKind::Put => TransactAction::Put,
        TxKind::Update => TransactAction::Update,
        TxKind::Delete => TransactAction::Delete,
        TxKind::ConditionCheck => TransactAction::ConditionCheck,
    }
}

/// One write of a transaction, as dynorm sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenItem {
    /// What the item did.
    pub action: TransactAction,
    /// The item's table.
    pub table: String,
    /// The key of the item.
    pub key: Item,
    /// The whole item, for a put.
    pub item: Option<Item>,
}

/// What a successful transaction wrote: one entry per item, in the order they were added
/// (condition checks included).
#[derive(Debug, Clone, PartialEq)]
pub struct TransactWriteOutcome {
    /// The items.
    pub items: Vec<WrittenItem>,
}

impl TransactWriteOutcome {
    /// The item put by transaction item `index`, decoded as `T`: `None` when that item was not a
    /// put; an [`Error::InvalidRequest`] when there is no item `index`.
    pub fn get<T: Table>(&self, index: usize) -> Result<Option<T>> {
        let entry = self
            .items
            .get(index)
            .ok_or_else(|| out_of_range(index, self.items.len()))?;
        entry
            .item
            .clone()
            .map(|item| decode::<T>(&entry.table, item))
            .transpose()
    }
}

fn out_of_range(index: usize, len: usize) -> Error {
    Error::InvalidRequest {
        table: String::new(),
        index: None,
        message: format!("expected a transaction item index below {len}, found {index}"),
    }
}

/// What one item of a transaction writes, before the write path prepares it.
enum Intent {
    Put {
        item: std::result::Result<Item, crate::EncodeError>,
        version: Option<u64>,
    },
    Update {
        key: Item,
        update: Update,
        version: Option<u64>,
    },
    Delete {
        key: Item,
        version: Option<u64>,
    },
    Check {
        key: Item,
    },
}

/// Prepares an intent through the write path as a write of `T`'s table.
fn prepare<T: Table>(table: &str, intent: Intent, conditions: Conditions) -> Result<Prepared> {
    match intent {
        Intent::Put { item, version } => write::put::<T>(table, item, version, conditions),
        Intent::Update { key, update, version } => write::update::<T>(
            table,
            Key::from_item(key),
            update,
            Update::new(),
            version,
            conditions,
        ),
        Intent::Delete { key, version } => {
            write::delete::<T>(table, Key::from_item(key), version, conditions)
        }
        Intent::Check { key } => write::check::<T>(table, Key::from_item(key), conditions),
    }
}

struct Entry {
    kind: TxKind,
    table: String,
    /// The key, also for puts (known before sending, for the duplicate check).
    key: Item,
    /// Conditions are added until the transaction is sent.
    conditions: Conditions,
    intent: Intent,
    /// `prepare::<T>` for the item's type.
    prepare: fn(&str, Intent, Conditions) -> Result<Prepared>,
}

/// A TransactWriteItems being built: add items, then `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct TransactWrite {
    client: Client,
    entries: Vec<Entry>,
    token: Option<String>,
    return_items_on_cancel: bool,
    error: Option<Error>,
}

impl fmt::Debug for TransactWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactWrite")
            .field(
                "items",
                &self
                    .entries
                    .iter()
                    .map(|e| (e.kind, &e.table, key_text(&e.key)))
                    .collect::<Vec<_>>(),
            )
            .field("token", &self.token)
            .field("error", &self.error)
            .finish()
    }
}

impl TransactWrite {
    /// Adds an item whose write `prepare` builds through the write path, so the model's rules
    /// (version, computed attributes, immutable attributes, validation) hold as on single writes.
    fn push<T: Table>(
        mut self,
        table: &TableClient<T>,
        kind: TxKind,
        key: std::result::Result<Item, crate::EncodeError>,
        condition: Option<Condition>,
        intent: impl FnOnce(Item) -> Intent,
    ) -> Self {
        if self.error.is_some() {
            return self;
        }
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                self.error = Some(write::encode_error(&table.name, e));
                return self;
            }
        };
        let mut conditions = Conditions::default();
        if let Some(c) = condition {
            conditions.and(c);
        }
        self.entries.push(Entry {
            kind,
            table: table.name.clone(),
            intent: intent(key.clone()),
            key,
            conditions,
            prepare: prepare::<T>,
        });
        self
    }

    fn put_value<T: Table>(self, table: &TableClient<T>, value: &T, condition: Option<Condition>) -> Self {
        let (item, version) = (value.to_item(), value_version::<T>(value));
        self.push(table, TxKind::Put, value.key_item(), condition, |_| Intent::Put {
            item,
            version,
        })
    }

    /// Puts `value`, replacing any item with its key.
    ///
    /// On a versioned table the put expects the stored version to be the one `value` carries and
    /// stores the next, as [`TableClient::put`] does.
    pub fn put<T: Table>(self, table: &TableClient<T>, value: &T) -> Self {
        self.put_value(table, value, None)
    }

    /// Puts `value` only if `condition` holds on the stored item.
    pub fn put_if<T: Table>(self, table: &TableClient<T>, value: &T, condition: Condition) -> Self {
        self.put_value(table, value, Some(condition))
    }

    /// Updates the item with `key`.
    ///
    /// The update is completed with the attributes the type computes from the changed ones, or
    /// refused (as [`TableClient::update`] does); on a versioned table it bumps the version.
    pub fn update<T: Table>(self, table: &TableClient<T>, key: Key<T>, update: Update) -> Self {
        self.update_versioned(table, key, update, None)
    }

    /// Updates the item with `key` if its stored version is `expected_version` (versioned tables),
    /// bumping it.
    pub fn update_versioned<T: Table>(
        self,
        table: &TableClient<T>,
        key: Key<T>,
        update: Update,
        expected_version: Option<u64>,
    ) -> Self {
        self.push(table, TxKind::Update, key.into_item(), None, |key| {
            Intent::Update {
                key,
                update,
                version: expected_version,
            }
        })
    }

    /// Deletes the item with `key`.
    pub fn delete<T: Table>(self, table: &TableClient<T>, key: Key<T>) -> Self {
        self.delete_versioned(table, key, None)
    }

    /// Deletes the item with `key` if its stored version is `expected_version` (versioned tables).
    pub fn delete_versioned<T: Table>(
        self,
        table: &TableClient<T>,
        key: Key<T>,
        expected_version: Option<u64>,
    ) -> Self {
        self.push(table, TxKind::Delete, key.into_item(), None, |key| {
            Intent::Delete {
                key,
                version: expected_version,
            }
        })
    }

    /// Deletes the item of `value`, checking on a versioned table that the stored version is the
    /// one `value` carries.
    pub fn delete_value<T: Table>(self, table: &TableClient<T>, value: &T) -> Self {
        self.delete_versioned(table, value.key_of(), value_version::<T>(value))
    }

    /// Checks `condition` on the item with `key` without writing it.
    pub fn condition_check<T: Table>(
        self,
        table: &TableClient<T>,
        key: Key<T>,
        condition: Condition,
    ) -> Self {
        self.push(
            table,
            TxKind::ConditionCheck,
            key.into_item(),
            Some(condition),
            |key| Intent::Check { key },
        )
    }

    /// Adds `condition` to the item added last (joined with AND to a condition it has).
    pub fn condition(mut self, condition: Condition) -> Self {
        if self.error.is_some() {
            return self;
        }
        match self.entries.last_mut() {
            Some(entry) => entry.conditions.and(condition),
            None => {
                self.error = Some(Error::InvalidRequest {
                    table: String::new(),
                    index: None,
                    message: "expected an item before `.condition(...)`, found none".to_owned(),
                });
            }
        }
        self
    }

    /// Makes the request idempotent: DynamoDB treats requests with the same token within ten
    /// minutes as one.
    pub fn idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// On cancellation, have each [`CanceledItem`] whose condition failed carry the item as it
    /// was.
    pub fn return_items_on_cancel(mut self, yes: bool) -> Self {
        self.return_items_on_cancel = yes;
        self
    }

    /// How many items the transaction holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the transaction holds no item.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sends the transaction; on success, the items written.
    pub async fn send(self) -> Result<TransactWriteOutcome> {
        if let Some(e) = self.error {
            return Err(e);
        }
        check_items(self.entries.iter().map(|e| (&e.table, &e.key)))?;
        let mut items = Vec::with_capacity(self.entries.len());
        let mut echo = Vec::with_capacity(self.entries.len());
        for entry in self.entries {
            let prepared = (entry.prepare)(&entry.table, entry.intent, entry.conditions)?;
            echo.push(WrittenItem {
                action: transact_action(entry.kind),
                table: entry.table,
                key: entry.key,
                item: prepared.item.clone(),
            });
            let mut item = prepared.into_transaction_item(entry.kind);
            item.return_old_on_failure |= self.return_items_on_cancel;
            items.push(item);
        }
        let request = TransactWriteRequest {
            items,
            token: self.token,
        };
        match self.client.engine().transact_write(request).await {
            Ok(()) => Ok(TransactWriteOutcome { items: echo }),
            Err(Error::TransactionCanceled { reasons }) => Err(canceled(
                echo.into_iter().map(|w| (w.action, w.table, w.key)),
                reasons,
            )),
            Err(e) => Err(e),
        }
    }
}

impl IntoFuture for TransactWrite {
    type Output = Result<TransactWriteOutcome>;
    type IntoFuture = BoxFuture<'static, Result<TransactWriteOutcome>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Refuses more than `MAX_TRANSACTION_ITEMS` items and two items naming one item.
fn check_items<'a>(items: impl ExactSizeIterator<Item = (&'a String, &'a Item)>) -> Result<()> {
    let items: Vec<_> = items.collect();
    if items.len() > MAX_TRANSACTION_ITEMS {
        return Err(Error::TooManyItems {
            table: items
                .first()
                .map(|(table, _)| (*table).clone())
                .unwrap_or_default(),
            operation: "transaction".to_owned(),
            count: items.len(),
            limit: MAX_TRANSACTION_ITEMS,
        });
    }
    let mut seen: HashMap<(&String, Vec<u8>), usize> = HashMap::new();
    for (i, (table, key)) in items.into_iter().enumerate() {
        let mut names: Vec<&str> = key.keys().map(String::as_str).collect();
        names.sort_unstable();
        let print = fingerprint(table, &names, key)?;
        if let Some(first) = seen.insert((table, print), i) {
            return Err(Error::DuplicateTransactionItem {
                table: table.clone(),
                key: key_text(key),
                first,
                second: i,
            });
        }
    }
    Ok(())
}

/// Pairs DynamoDB's reasons with the items, in order.
fn canceled(
    items: impl Iterator<Item = (TransactAction, String, Item)>,
    reasons: Vec<CancellationReason>,
) -> Error {
    let mut reasons = reasons.into_iter();
    Error::TransactionItemsCanceled {
        items: items
            .enumerate()
            .map(|(index, (action, table, key))| CanceledItem {
                index,
                action,
                table,
                key,
                reason: reasons.next().unwrap_or(CancellationReason {
                    code: "None".to_owned(),
                    message: None,
                    item: None,
                }),
            })
            .collect(),
    }
}

/// A TransactGetItems being built: add gets, then `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct TransactGet {
    client: Client,
    gets: Vec<(String, Item)>,
    error: Option<Error>,
}

impl fmt::Debug for TransactGet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactGet")
            .field(
                "items",
                &self
                    .gets
                    .iter()
                    .map(|(t, k)| (t, key_text(k)))
                    .collect::<Vec<_>>(),
            )
            .field("error", &self.error)
            .finish()
    }
}

impl TransactGet {
    /// Reads the item with `key` of `table`; its result is at the position of this call (from 0).
    pub fn get<T: Table>(mut self, table: &TableClient<T>, key: Key<T>) -> Self {
        if self.error.is_some() {
            return self;
        }
        match key.into_item() {
            Ok(k) => self.gets.push((table.name.clone(), k)),
            Err(e) => self.error = Some(write::encode_error(&table.name, e)),
        }
        self
    }

    /// How many gets the transaction holds.
    pub fn len(&self) -> usize {
        self.gets.len()
    }

    /// Whether the transaction holds no get.
    pub fn is_empty(&self) -> bool {
        self.gets.is_empty()
    }

    /// Sends the transaction.
    pub async fn send(self) -> Result<TransactGetResult> {
        if let Some(e) = self.error {
            return Err(e);
        }
        check_items(self.gets.iter().map(|(t, k)| (t, k)))?;
        let tables: Vec<(String, Item)> = self.gets.clone();
        match self
            .client
            .engine()
            .transact_get(TransactGetRequest { gets: self.gets })
            .await
        {
            Ok(items) => Ok(TransactGetResult {
                items: tables.into_iter().map(|(t, _)| t).zip(items).collect(),
            }),
            Err(Error::TransactionCanceled { reasons }) => Err(canceled(
                tables.into_iter().map(|(t, k)| (TransactAction::Get, t, k)),
                reasons,
            )),
            Err(e) => Err(e),
        }
    }
}

impl IntoFuture for TransactGet {
    type Output = Result<TransactGetResult>;
    type IntoFuture = BoxFuture<'static, Result<TransactGetResult>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The items a [`TransactGet`] read, in the order the gets were added.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactGetResult {
    items: Vec<(String, Option<Item>)>,
}

impl TransactGetResult {
    /// Item `index` decoded as `T` (`None` when there is no item with that key); an
    /// [`Error::InvalidRequest`] when there is no get `index`.
    pub fn get<T: Table>(&self, index: usize) -> Result<Option<T>> {
        let (table, item) = self
            .items
            .get(index)
            .ok_or_else(|| out_of_range(index, self.items.len()))?;
        item.clone().map(|item| decode::<T>(table, item)).transpose()
    }

    /// Item `index` as stored.
    pub fn item(&self, index: usize) -> Option<&Item> {
        self.items.get(index).and_then(|(_, item)| item.as_ref())
    }

    /// How many gets there were.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there were no gets.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Client {
    /// Starts a TransactWriteItems (see the [module docs](crate::transaction)).
    pub fn transact_write(&self) -> TransactWrite {
        TransactWrite {
            client: self.clone(),
            entries: Vec::new(),
            token: None,
            return_items_on_cancel: false,
            error: None,
        }
    }

    /// Starts a TransactGetItems (see the [module docs](crate::transaction)).
    pub fn transact_get(&self) -> TransactGet {
        TransactGet {
            client: self.clone(),
            gets: Vec::new(),
            error: None,
        }
    }
}

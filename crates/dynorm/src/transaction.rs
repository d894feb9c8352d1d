//! Typed transactions: [`Client::transact_write`] and [`Client::transact_get`].
//!
//! A transaction holds at most [`MAX_TRANSACTION_ITEMS`] items, no two naming the same item; both
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

use crate::batch::{decode, fingerprint, key_text};
use crate::client::BoxFuture;
use crate::engine::transact_ops::{TxKind, TxWrite};
use crate::expr::{Condition, ExpressionAttributes, Update};
use crate::immutable::Guards;
use crate::{CancellationReason, Client, Error, Item, Key, Result, Table, TableClient};

/// The most items one transaction may hold.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// What one item of a transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactAction {
    /// Puts a whole item.
    Put,
    /// Updates an item.
    Update,
    /// Deletes an item.
    Delete,
    /// Checks a condition on an item without writing it.
    ConditionCheck,
    /// Reads an item (in [`Client::transact_get`]).
    Get,
}

impl From<TxKind> for TransactAction {
    fn from(kind: TxKind) -> Self {
        match kind {
            TxKind::Put => Self::Put,
            TxKind::Update => Self::Update,
            TxKind::Delete => Self::Delete,
            TxKind::ConditionCheck => Self::ConditionCheck,
        }
    }
}

/// One item of a cancelled transaction: where it was, what it named, and why DynamoDB refused
/// the transaction (code `None` for items that were not the cause).
#[derive(Debug, Clone, PartialEq)]
pub struct CanceledItem {
    /// The item's position, from 0, in the order the items were added.
    pub index: usize,
    /// What the item did.
    pub action: TransactAction,
    /// The item's table.
    pub table: String,
    /// The key of the item.
    pub key: Item,
    /// DynamoDB's reason for this item.
    pub reason: CancellationReason,
}

impl CanceledItem {
    /// The key as text, e.g. `{id: "a"}`.
    pub fn key_text(&self) -> String {
        key_text(&self.key)
    }

    /// Whether this item's condition failed.
    pub fn is_conditional_check_failed(&self) -> bool {
        self.reason.code == "ConditionalCheckFailed"
    }
}

impl Error {
    /// The per-item reasons of a cancelled transaction built with
    /// [`Client::transact_write`] or [`Client::transact_get`].
    pub fn canceled_items(&self) -> Option<&[CanceledItem]> {
        match self {
            Error::TransactionItemsCanceled { items } => Some(items),
            _ => None,
        }
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

struct Entry {
    write: TxWrite,
    /// The key, also for puts.
    key: Item,
    /// Conditions and updates are rendered together when the transaction is sent.
    update: Option<Update>,
    condition: Option<Condition>,
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
                    .map(|e| (e.write.kind, &e.write.table, key_text(&e.key)))
                    .collect::<Vec<_>>(),
            )
            .field("token", &self.token)
            .field("error", &self.error)
            .finish()
    }
}

fn named_encode_error(table: &str, mut e: crate::EncodeError) -> Error {
    if e.table.is_none() {
        e.table = Some(table.to_owned());
    }
    Error::Encode(e)
}

impl TransactWrite {
    fn push<T: Table>(
        mut self,
        table: &TableClient<T>,
        kind: TxKind,
        key: std::result::Result<Item, crate::EncodeError>,
        item: Option<std::result::Result<Item, crate::EncodeError>>,
        update: Option<Update>,
        condition: Option<Condition>,
    ) -> Self {
        if self.error.is_some() {
            return self;
        }
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                self.error = Some(named_encode_error(&table.name, e));
                return self;
            }
        };
        let item = match item.transpose() {
            Ok(i) => i,
            Err(e) => {
                self.error = Some(named_encode_error(&table.name, e));
                return self;
            }
        };
        if let Some(item) = &item
            && let Err(e) = crate::validate::check_item(&table.name, T::definition(), item)
        {
            self.error = Some(e);
            return self;
        }
        // Immutable attributes are guarded as in single writes; a failed guard cancels the
        // transaction with ConditionalCheckFailed on this item.
        let guards = match (&item, &update) {
            (Some(item), _) => Guards::for_item(T::IMMUTABLE_ATTRIBUTES, item),
            (None, Some(update)) => Guards::for_update(T::IMMUTABLE_ATTRIBUTES, update),
            (None, None) => Guards::none(),
        };
        let condition = match (condition, guards.condition()) {
            (Some(c), Some(g)) => Some(c.and(g)),
            (c, g) => c.or(g),
        };
        self.entries.push(Entry {
            write: TxWrite {
                kind,
                table: table.name.clone(),
                item: item.unwrap_or_else(|| key.clone()),
                update: None,
                condition: None,
                names: None,
                values: None,
                return_old_on_failure: false,
            },
            key,
            update,
            condition,
        });
        self
    }

    /// Puts `value`, replacing any item with its key.
    pub fn put<T: Table>(self, table: &TableClient<T>, value: &T) -> Self {
        self.push(
            table,
            TxKind::Put,
            value.key_item(),
            Some(value.to_item()),
            None,
            None,
        )
    }

    /// Puts `value` only if `condition` holds on the stored item.
    pub fn put_if<T: Table>(self, table: &TableClient<T>, value: &T, condition: Condition) -> Self {
        self.push(
            table,
            TxKind::Put,
            value.key_item(),
            Some(value.to_item()),
            None,
            Some(condition),
        )
    }

    /// Updates the item with `key`.
    pub fn update<T: Table>(self, table: &TableClient<T>, key: Key<T>, update: Update) -> Self {
        self.push(table, TxKind::Update, key.into_item(), None, Some(update), None)
    }

    /// Deletes the item with `key`.
    pub fn delete<T: Table>(self, table: &TableClient<T>, key: Key<T>) -> Self {
        self.push(table, TxKind::Delete, key.into_item(), None, None, None)
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
            None,
            None,
            Some(condition),
        )
    }

    /// Adds `condition` to the item added last (joined with AND to a condition it has).
    pub fn condition(mut self, condition: Condition) -> Self {
        if self.error.is_some() {
            return self;
        }
        match self.entries.last_mut() {
            Some(entry) => {
                entry.condition = Some(match entry.condition.take() {
                    Some(c) => c.and(condition),
                    None => condition,
                });
            }
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
        check_items(self.entries.iter().map(|e| (&e.write.table, &e.key)))?;
        let mut writes = Vec::with_capacity(self.entries.len());
        let mut echo = Vec::with_capacity(self.entries.len());
        for entry in self.entries {
            let mut w = entry.write;
            let mut attributes = ExpressionAttributes::new();
            let in_table = |e: Error| match e {
                Error::InvalidExpression { table, message } if table.is_empty() => Error::InvalidExpression {
                    table: w.table.clone(),
                    message,
                },
                other => other,
            };
            if let Some(update) = &entry.update {
                w.update = Some(update.render(&mut attributes).map_err(in_table)?);
            }
            if let Some(condition) = &entry.condition {
                w.condition = Some(condition.render(&mut attributes).map_err(in_table)?);
            }
            let (names, values) = attributes.into_parts();
            w.names = names;
            w.values = values;
            w.return_old_on_failure = self.return_items_on_cancel;
            echo.push(WrittenItem {
                action: w.kind.into(),
                table: w.table.clone(),
                key: entry.key,
                item: (w.kind == TxKind::Put).then(|| w.item.clone()),
            });
            writes.push(w);
        }
        match self.client.engine_transact_write(writes, self.token).await {
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

/// Refuses more than [`MAX_TRANSACTION_ITEMS`] items and two items naming one item.
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
            Err(e) => self.error = Some(named_encode_error(&table.name, e)),
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
        match self.client.engine_transact_get(self.gets).await {
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

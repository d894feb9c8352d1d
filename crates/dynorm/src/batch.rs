//! Batch operations on any number of items: [`TableClient::batch_get`], [`TableClient::batch_put`],
//! [`TableClient::batch_delete`], [`TableClient::batch_upsert`], and clearing a table or one
//! partition ([`TableClient::clear`], [`TableClient::clear_partition`]).
//!
//! # What dynorm does for you
//!
//! - **Chunking.** Writes go out [`MAX_BATCH_WRITE`] (25) to a BatchWriteItem, keys
//!   [`MAX_BATCH_GET`] (100) to a BatchGetItem. Every item is checked against DynamoDB's 400 KB item
//!   limit before anything is sent ([`Error::ItemTooLarge`]), so a write request stays under
//!   DynamoDB's 16 MB request limit (25 × 400 KB = 10 MB); a read whose answer would pass 16 MB is
//!   cut short by DynamoDB itself, which returns the rest as unprocessed keys, retried below.
//! - **Duplicate keys.** DynamoDB refuses a batch that names one key twice. Gets are deduplicated
//!   (each key is read once; results follow the order keys were first given). Writes are
//!   *last-wins*: of several writes to one key (puts or deletes) only the last one given is sent,
//!   which leaves the table as writing them one by one in order would; the others are counted in
//!   [`BatchWriteOutcome::superseded`]. Keys are compared by their stored form (so the numbers
//!   `1` and `1.0` count as two keys).
//! - **Retries.** Throttled requests and `UnprocessedItems` / `UnprocessedKeys` are retried with
//!   exponential backoff and full jitter, as a [`RetryPolicy`] says. Work still left after the
//!   last attempt is returned — [`BatchWriteOutcome::unprocessed`], [`BatchGetOutcome::unprocessed`] —
//!   never dropped.
//! - **Bounded concurrency.** At most [`concurrency`](BatchWrite::concurrency) requests (default
//!   [`DEFAULT_CONCURRENCY`]) are in flight at once. (The embedded engine answers one request at a
//!   time anyway.)
//!
//! Any other error (a missing table, an item that breaks the key schema) ends the operation with
//! that error; writes of requests already answered stay written.
//!
//! BatchWriteItem carries no conditions: batch writes do not check a version attribute
//! ([`Table::VERSION_ATTRIBUTE`]) — use single writes or a transaction for that.
//!
//! ```
//! use dynorm::Table;
//!
//! #[derive(Table, Debug, Clone, PartialEq)]
//! #[dynorm(table = "users")]
//! struct User {
//!     #[dynorm(partition_key)]
//!     id: String,
//!     age: i64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! let client = dynorm::Client::embedded()?;
//! let users = client.table::<User>();
//! users.create().await?;
//! let many: Vec<User> = (0..60).map(|i| User { id: format!("u{i}"), age: i }).collect();
//! let written = users.batch_put(&many).await?;
//! assert_eq!(written.written, 60);
//! assert!(written.is_complete());
//!
//! let read = users.batch_get([User::key("u1"), User::key("u2"), User::key("nobody")]).await?;
//! assert_eq!(read.items.len(), 2);
//! assert_eq!(read.missing, vec![User::key("nobody")]);
//!
//! let cleared = users.clear().await?;
//! assert_eq!(cleared.written, 60);
//! # Ok(()) }
//! ```

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::IntoFuture;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::engine::request::{ReadPageRequest, ReadRequest, WriteOp};
use crate::future::BoxFuture;
use crate::retry::Jitter;
use crate::write::Stamp;
use crate::{AttributeValue, Client, Error, Item, Key, Result, RetryPolicy, Table, TableClient};

/// The most writes DynamoDB takes in one BatchWriteItem.
pub const MAX_BATCH_WRITE: usize = 25;
/// The most keys DynamoDB takes in one BatchGetItem.
pub const MAX_BATCH_GET: usize = 100;
/// How many batch requests are in flight at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// A write that was still unprocessed after the last attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum UnprocessedWrite {
    /// This item was not put.
    Put(Item),
    /// The item with this key was not deleted.
    Delete(Item),
}

impl From<WriteOp> for UnprocessedWrite {
    fn from(op: WriteOp) -> Self {
        match op {
            WriteOp::Put(item) => Self::Put(item),
            WriteOp::Delete(key) => Self::Delete(key),
        }
    }
}

/// What a batch write did.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct BatchWriteOutcome {
    /// Writes DynamoDB accepted (for [`TableClient::clear`]: items deleted).
    pub written: usize,
    /// Writes not sent because a later write in the same call named the same key (last wins).
    pub superseded: usize,
    /// Writes still unprocessed after the last attempt (throttled or returned unprocessed):
    /// nothing of them was written. Send them again later.
    pub unprocessed: Vec<UnprocessedWrite>,
    /// Puts of a versioned type refused because the stored version was not the one the value
    /// carried ([`Error::VersionConflict`]): nothing of them was written.
    pub conflicts: Vec<Conflict>,
}

/// A versioned put a batch did not write: the item and the version it found.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The item that was not written.
    pub item: Item,
    /// The version the item expected to replace (0: none).
    pub expected: u64,
    /// The version stored (`None`: no item, or one without a version).
    pub found: Option<u64>,
}

impl BatchWriteOutcome {
    /// Whether every write was done.
    pub fn is_complete(&self) -> bool {
        self.unprocessed.is_empty()
    }
}

/// What a batch get read.
#[non_exhaustive]
pub struct BatchGetOutcome<T> {
    /// The items found, in the order their keys were first given.
    pub items: Vec<T>,
    /// Keys with no item.
    pub missing: Vec<Key<T>>,
    /// Keys still unread after the last attempt (throttled or returned unprocessed): whether
    /// they have items is unknown.
    pub unprocessed: Vec<Key<T>>,
}

impl<T: fmt::Debug> fmt::Debug for BatchGetOutcome<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchGetOutcome")
            .field("items", &self.items)
            .field("missing", &self.missing)
            .field("unprocessed", &self.unprocessed)
            .finish()
    }
}

impl<T> BatchGetOutcome<T> {
    /// Whether every key was read.
    pub fn is_complete(&self) -> bool {
        self.unprocessed.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Keys, sizes and errors
// ---------------------------------------------------------------------------------------------

/// The stored names of `T`'s key attributes (partition key, then sort key).
pub(crate) fn key_names<T: Table>() -> Vec<&'static str> {
    let d = T::definition();
    let mut names = vec![d.partition_key.as_str()];
    if let Some(sort) = &d.sort_key {
        names.push(sort.as_str());
    }
    names
}

/// A hashable form of the key attributes of `item`; an error names a key attribute that is
/// missing or not a string, number or binary.
pub(crate) fn fingerprint(table: &str, names: &[&str], item: &Item) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(32);
    for name in names {
        let (tag, bytes): (u8, &[u8]) = match item.get(*name) {
            Some(AttributeValue::S(s)) => (b'S', s.as_bytes()),
            Some(AttributeValue::N(n)) => (b'N', n.as_bytes()),
            Some(AttributeValue::B(b)) => (b'B', b.as_ref()),
            Some(other) => {
                return Err(Error::Encode(
                    crate::EncodeError::new(format!(
                        "a key attribute must be S, N or B, found {}",
                        crate::attribute::type_name(other)
                    ))
                    .at(table, name),
                ));
            }
            None => {
                return Err(Error::Encode(
                    crate::EncodeError::new("the key attribute is missing from the item").at(table, name),
                ));
            }
        };
        out.push(tag);
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

fn encode_error(table: &str, e: crate::EncodeError) -> Error {
    Error::Encode(e.in_table(table))
}

pub(crate) fn decode<T: Table>(table: &str, item: Item) -> Result<T> {
    T::from_item(item).map_err(|e| Error::Decode(e.in_table(table)))
}

// ---------------------------------------------------------------------------------------------
// Running chunks with retries
// ---------------------------------------------------------------------------------------------

/// How a batch operation runs its requests.
#[derive(Debug, Clone, Copy)]
struct Settings {
    concurrency: usize,
    retry: RetryPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
        }
    }
}

/// Whether a request must be copied before it is sent, to resend it whole after a throttling
/// error. The embedded engine called directly never throttles, so its requests are not copied.
/// Whether to keep a copy of what is sent, to resend it when the engine throttles.
fn keeps_copies(client: &Client) -> bool {
    client.engine().may_throttle()
}

/// Writes `ops` (no two with the same key), chunked and retried; returns how many were written
/// and what was left.
/// Told how many writes each request wrote.
type Progress = dyn Fn(usize) + Send + Sync;

async fn run_writes(
    client: &Client,
    table: &str,
    ops: Vec<WriteOp>,
    settings: Settings,
    progress: &Progress,
) -> Result<(usize, Vec<WriteOp>)> {
    if ops.is_empty() {
        return Ok((0, Vec::new()));
    }
    let copies = keeps_copies(client);
    let mut chunks = Vec::with_capacity(ops.len().div_ceil(MAX_BATCH_WRITE));
    let mut ops = ops.into_iter();
    loop {
        let chunk: Vec<WriteOp> = ops.by_ref().take(MAX_BATCH_WRITE).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    if settings.concurrency <= 1 || chunks.len() == 1 {
        let mut written = 0;
        let mut left = Vec::new();
        for chunk in chunks {
            let (w, mut l) = write_chunk(client, table, chunk, settings.retry, copies, progress).await?;
            written += w;
            left.append(&mut l);
        }
        return Ok((written, left));
    }
    stream::iter(chunks)
        .map(|chunk| write_chunk(client, table, chunk, settings.retry, copies, progress))
        .buffer_unordered(settings.concurrency)
        .try_fold((0, Vec::new()), |(written, mut left), (w, mut l)| async move {
            left.append(&mut l);
            Ok((written + w, left))
        })
        .await
}

async fn write_chunk(
    client: &Client,
    table: &str,
    chunk: Vec<WriteOp>,
    retry: RetryPolicy,
    copies: bool,
    progress: &Progress,
) -> Result<(usize, Vec<WriteOp>)> {
    let mut pending = chunk;
    let mut written = 0;
    let mut attempt = 1;
    let mut rng: Option<Jitter> = None;
    loop {
        let sent = pending.len();
        let copy = copies.then(|| pending.clone());
        match client.engine().batch_write(table, pending).await {
            Ok(left) => {
                written += sent - left.len();
                progress(sent - left.len());
                pending = left;
                if pending.is_empty() {
                    return Ok((written, pending));
                }
            }
            Err(e) if e.is_throttled() => match copy {
                Some(copy) => pending = copy,
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
        if !retry.allows_after(attempt) {
            return Ok((written, pending));
        }
        retry.wait(attempt, rng.get_or_insert_with(Jitter::fresh)).await;
        attempt += 1;
    }
}

/// Reads `keys` (no two alike), chunked and retried; returns the items found and the keys left.
async fn run_gets(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
    consistent_read: bool,
    settings: Settings,
) -> Result<(Vec<Item>, Vec<Item>)> {
    let copies = keeps_copies(client);
    let chunks: Vec<Vec<Item>> = keys.chunks(MAX_BATCH_GET).map(<[Item]>::to_vec).collect();
    stream::iter(chunks)
        .map(|chunk| get_chunk(client, table, chunk, consistent_read, settings.retry, copies))
        .buffer_unordered(settings.concurrency.max(1))
        .try_fold(
            (Vec::new(), Vec::new()),
            |(mut items, mut left), (mut i, mut l)| async move {
                items.append(&mut i);
                left.append(&mut l);
                Ok((items, left))
            },
        )
        .await
}

async fn get_chunk(
    client: &Client,
    table: &str,
    chunk: Vec<Item>,
    consistent_read: bool,
    retry: RetryPolicy,
    copies: bool,
) -> Result<(Vec<Item>, Vec<Item>)> {
    let mut pending = chunk;
    let mut items = Vec::new();
    let mut attempt = 1;
    let mut rng: Option<Jitter> = None;
    loop {
        let copy = copies.then(|| pending.clone());
        match client.engine().batch_get(table, pending, consistent_read).await {
            Ok((mut found, left)) => {
                items.append(&mut found);
                pending = left;
                if pending.is_empty() {
                    return Ok((items, pending));
                }
            }
            Err(e) if e.is_throttled() => match copy {
                Some(copy) => pending = copy,
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
        if !retry.allows_after(attempt) {
            return Ok((items, pending));
        }
        retry.wait(attempt, rng.get_or_insert_with(Jitter::fresh)).await;
        attempt += 1;
    }
}

/// Keeps the last write of every key, in the order of those last writes; returns the writes and
/// how many were superseded.
/// One page of the keys a clear reads (`read`, asking for at most `limit` items).
async fn keys_page(
    client: &Client,
    read: &ReadRequest,
    limit: Option<usize>,
    start: Option<Item>,
) -> Result<(Vec<Item>, Option<Item>)> {
    let mut read = read.clone();
    read.limit = limit.map(|l| u32::try_from(l).unwrap_or(u32::MAX));
    let page = client
        .engine()
        .read_page(ReadPageRequest {
            read,
            start,
            segment: None,
        })
        .await?;
    Ok((page.items, page.last_key))
}

fn last_wins(table: &str, names: &[&str], ops: Vec<WriteOp>) -> Result<(Vec<WriteOp>, usize)> {
    let mut last: HashMap<Vec<u8>, usize> = HashMap::with_capacity(ops.len());
    let mut keep = vec![true; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        let item = match op {
            WriteOp::Put(item) | WriteOp::Delete(item) => item,
        };
        if let Some(previous) = last.insert(fingerprint(table, names, item)?, i) {
            keep[previous] = false;
        }
    }
    let superseded = ops.len() - last.len();
    if superseded == 0 {
        return Ok((ops, 0));
    }
    let ops = ops
        .into_iter()
        .zip(keep)
        .filter_map(|(op, keep)| keep.then_some(op))
        .collect();
    Ok((ops, superseded))
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

macro_rules! settings_methods {
    () => {
        /// How many requests may be in flight at once (at least 1; default
        /// [`DEFAULT_CONCURRENCY`]).
        pub fn concurrency(mut self, requests: usize) -> Self {
            self.settings.concurrency = requests.max(1);
            self
        }

        /// How throttled requests and unprocessed work are retried (default
        /// [`RetryPolicy::default`]).
        pub fn retry(mut self, policy: RetryPolicy) -> Self {
            self.settings.retry = policy;
            self
        }
    };
}

/// A batch of puts or deletes waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct BatchWrite<T> {
    table: TableClient<T>,
    ops: Result<Vec<WriteOp>>,
    settings: Settings,
    unguarded: bool,
}

impl<T> fmt::Debug for BatchWrite<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWrite")
            .field("table", &self.table.name)
            .field("writes", &self.ops.as_ref().map(Vec::len))
            .field("settings", &self.settings)
            .finish()
    }
}

impl<T: Table> BatchWrite<T> {
    settings_methods!();

    /// Writes puts with BatchWriteItem as given, past the guards it cannot carry: on a table with
    /// immutable attributes ([`Table::IMMUTABLE_ATTRIBUTES`]) such a batch put is otherwise
    /// refused, so a bulk write never silently changes a written value; on a versioned table it
    /// is otherwise sent as conditional puts (no version is checked or bumped with this).
    pub fn unguarded(mut self) -> Self {
        self.unguarded = true;
        self
    }

    /// Sends the writes.
    pub async fn send(self) -> Result<BatchWriteOutcome> {
        let table = self.table.name.as_str();
        let puts = self
            .ops
            .as_ref()
            .is_ok_and(|ops| ops.iter().any(|op| matches!(op, WriteOp::Put(_))));
        if puts && !T::IMMUTABLE_ATTRIBUTES.is_empty() && !self.unguarded {
            return Err(Error::InvalidRequest {
                table: table.to_owned(),
                index: None,
                message: format!(
                    "the table has immutable attributes ({}), which a batch put cannot guard (BatchWriteItem takes no conditions): write with `put` or a transaction, or call `.unguarded()` to overwrite them",
                    T::IMMUTABLE_ATTRIBUTES.join(", ")
                ),
            });
        }
        let names = key_names::<T>();
        let (ops, superseded) = last_wins(table, &names, self.ops?)?;
        if puts && T::VERSION_ATTRIBUTE.is_some() && !self.unguarded {
            let mut outcome = versioned_writes(&self.table, ops, self.settings).await?;
            outcome.superseded = superseded;
            return Ok(outcome);
        }
        let (written, left) = run_writes(&self.table.client, table, ops, self.settings, &|_| {}).await?;
        Ok(BatchWriteOutcome {
            written,
            superseded,
            unprocessed: left.into_iter().map(UnprocessedWrite::from).collect(),
            conflicts: Vec::new(),
        })
    }
}

/// The writes of a batch on a versioned type, one conditional request each (BatchWriteItem
/// takes no conditions): every put expects the version its item carries and stores the next,
/// as [`TableClient::put`] does. Conflicts are reported, throttled writes retried.
async fn versioned_writes<T: Table>(
    table: &TableClient<T>,
    ops: Vec<WriteOp>,
    settings: Settings,
) -> Result<BatchWriteOutcome> {
    let results: Vec<(WriteOp, Result<()>)> = stream::iter(ops)
        .map(|op| async move {
            let result = retry_throttled(settings.retry, || send_versioned(table, op.clone())).await;
            (op, result)
        })
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await;
    let mut outcome = BatchWriteOutcome::default();
    for (op, result) in results {
        match (result, op) {
            (Ok(()), _) => outcome.written += 1,
            (Err(Error::VersionConflict { expected, found, .. }), WriteOp::Put(item)) => {
                outcome.conflicts.push(Conflict {
                    item,
                    expected,
                    found,
                });
            }
            (Err(e), op) if e.is_throttled() => outcome.unprocessed.push(op.into()),
            (Err(e), _) => return Err(e),
        }
    }
    Ok(outcome)
}

/// One write of [`versioned_writes`]: a versioned put, or a delete.
async fn send_versioned<T: Table>(table: &TableClient<T>, op: WriteOp) -> Result<()> {
    match op {
        WriteOp::Put(item) => {
            let expected = T::VERSION_ATTRIBUTE
                .and_then(|a| item.get(a))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            table.put_item(item, Some(expected)).await
        }
        WriteOp::Delete(key) => table.delete(Key::from_item(key)).send().await,
    }
}

/// Runs `send` until it succeeds, fails otherwise than throttled, or `retry` gives up.
async fn retry_throttled<F, Fut>(retry: RetryPolicy, send: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut attempt = 1;
    let mut rng: Option<Jitter> = None;
    loop {
        match send().await {
            Err(e) if e.is_throttled() && retry.allows_after(attempt) => {
                retry.wait(attempt, rng.get_or_insert_with(Jitter::fresh)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

impl<T: Table + 'static> IntoFuture for BatchWrite<T> {
    type Output = Result<BatchWriteOutcome>;
    type IntoFuture = BoxFuture<'static, Result<BatchWriteOutcome>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A batch get waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct BatchGet<T> {
    table: TableClient<T>,
    keys: Vec<Key<T>>,
    consistent_read: bool,
    settings: Settings,
}

impl<T> fmt::Debug for BatchGet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchGet")
            .field("table", &self.table.name)
            .field("keys", &self.keys.len())
            .field("consistent_read", &self.consistent_read)
            .field("settings", &self.settings)
            .finish()
    }
}

impl<T: Table> BatchGet<T> {
    settings_methods!();

    /// Asks for strongly consistent reads (the embedded engine's reads always are).
    pub fn consistent_read(mut self, yes: bool) -> Self {
        self.consistent_read = yes;
        self
    }

    /// Sends the requests.
    pub async fn send(self) -> Result<BatchGetOutcome<T>> {
        let table = self.table.name.as_str();
        let names = key_names::<T>();
        // Deduplicate, keeping the first occurrence's place.
        let mut order: Vec<Vec<u8>> = Vec::with_capacity(self.keys.len());
        let mut unique: Vec<Item> = Vec::with_capacity(self.keys.len());
        let mut seen = HashSet::with_capacity(self.keys.len());
        for key in self.keys {
            let key = key.into_item().map_err(|e| encode_error(table, e))?;
            let print = fingerprint(table, &names, &key)?;
            if seen.insert(print.clone()) {
                order.push(print);
                unique.push(key);
            }
        }
        let (found, left) = run_gets(
            &self.table.client,
            table,
            unique.clone(),
            self.consistent_read,
            self.settings,
        )
        .await?;
        let mut by_key: HashMap<Vec<u8>, Item> = HashMap::with_capacity(found.len());
        for item in found {
            by_key.insert(fingerprint(table, &names, &item)?, item);
        }
        let left: HashSet<Vec<u8>> = left
            .iter()
            .map(|k| fingerprint(table, &names, k))
            .collect::<Result<_>>()?;
        let mut outcome = BatchGetOutcome {
            items: Vec::with_capacity(by_key.len()),
            missing: Vec::new(),
            unprocessed: Vec::new(),
        };
        for (print, key) in order.into_iter().zip(unique) {
            if let Some(item) = by_key.remove(&print) {
                outcome.items.push(decode::<T>(table, item)?);
            } else if left.contains(&print) {
                outcome.unprocessed.push(Key::from_item(key));
            } else {
                outcome.missing.push(Key::from_item(key));
            }
        }
        Ok(outcome)
    }
}

impl<T: Table + Send + 'static> IntoFuture for BatchGet<T> {
    type Output = Result<BatchGetOutcome<T>>;
    type IntoFuture = BoxFuture<'static, Result<BatchGetOutcome<T>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A batch upsert waiting to be sent: `.send().await` or just `.await`. See
/// [`TableClient::batch_upsert`].
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct BatchUpsert<T> {
    table: TableClient<T>,
    items: Result<Vec<Item>>,
    keep_existing: Vec<String>,
    settings: Settings,
}

impl<T> fmt::Debug for BatchUpsert<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchUpsert")
            .field("table", &self.table.name)
            .field("items", &self.items.as_ref().map(Vec::len))
            .field("keep_existing", &self.keep_existing)
            .field("settings", &self.settings)
            .finish()
    }
}

impl<T: Table> BatchUpsert<T> {
    settings_methods!();

    /// Attributes set only when the stored item does not have them yet: a stored value is kept.
    /// ([`Table::CREATED_AT_ATTRIBUTE`] always is.)
    pub fn keep_existing<S: Into<String>>(mut self, attributes: impl IntoIterator<Item = S>) -> Self {
        self.keep_existing.extend(attributes.into_iter().map(Into::into));
        self
    }

    /// Sends the requests: reads the stored items, merges, writes.
    pub async fn send(self) -> Result<BatchWriteOutcome> {
        let table = self.table.name.as_str();
        let names = key_names::<T>();
        let ops: Vec<WriteOp> = self.items?.into_iter().map(WriteOp::Put).collect();
        let (ops, superseded) = last_wins(table, &names, ops)?;
        // A written immutable attribute keeps its stored value, like the attributes named.
        let mut keep: HashSet<String> = self.keep_existing.into_iter().collect();
        keep.extend(T::IMMUTABLE_ATTRIBUTES.iter().map(|a| (*a).to_owned()));
        // One clock reading for the whole call: every item gets the same stamps.
        let stamp = Stamp::now();
        let (table_client, keep) = (&self.table, &keep);
        let results: Vec<(Item, Result<()>)> = stream::iter(ops)
            .filter_map(|op| async move {
                match op {
                    WriteOp::Put(item) => Some(item),
                    WriteOp::Delete(_) => None,
                }
            })
            .map(|item| async move {
                let send = || table_client.upsert_item(item.clone(), keep, stamp);
                let result = retry_throttled(self.settings.retry, send).await;
                (item, result)
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut outcome = BatchWriteOutcome {
            superseded,
            ..BatchWriteOutcome::default()
        };
        for (item, result) in results {
            match result {
                Ok(()) => outcome.written += 1,
                Err(Error::VersionConflict { expected, found, .. }) => {
                    outcome.conflicts.push(Conflict {
                        item,
                        expected,
                        found,
                    });
                }
                Err(e) if e.is_throttled() => outcome.unprocessed.push(UnprocessedWrite::Put(item)),
                Err(e) => return Err(e),
            }
        }
        Ok(outcome)
    }
}

impl<T: Table + 'static> IntoFuture for BatchUpsert<T> {
    type Output = Result<BatchWriteOutcome>;
    type IntoFuture = BoxFuture<'static, Result<BatchWriteOutcome>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Clearing a table or one partition, waiting to be sent: `.send().await` or just `.await`.
///
/// dynamo_query's `clear_table(partition_key | partition_key_prefix, sort_key |
/// sort_key_prefix, index, filter_expression, limit)` is [`TableClient::clear_partition`] or
/// [`TableClient::clear`] with [`partition_begins_with`](Clear::partition_begins_with),
/// [`sort_key`](Clear::sort_key) / [`sort_begins_with`](Clear::sort_begins_with),
/// [`index`](Clear::index), [`filter`](Clear::filter) and [`limit`](Clear::limit): a keys-only
/// Query of the partition (or a Scan filtered by the prefixes), then batch deletes by table key.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// #[derive(dynorm::Table)]
/// #[dynorm(table = "records")]
/// struct Record {
///     #[dynorm(partition_key)]
///     pk: String,
///     #[dynorm(sort_key)]
///     sk: String,
/// }
/// let client = dynorm::Client::embedded()?;
/// let records = client.table::<Record>();
/// records.create().await?;
/// for (pk, sk) in [("p1", "user_a"), ("p1", "group_a"), ("p2", "user_b"), ("other", "misc")] {
///     records.put(&Record { pk: pk.into(), sk: sk.into() }).await?;
/// }
/// // clear_table(partition_key="p1", sort_key_prefix="group_")
/// assert_eq!(records.clear_partition("p1").sort_begins_with("group_").await?.written, 1);
/// // clear_table(partition_key_prefix="oth")
/// assert_eq!(records.clear().partition_begins_with("oth").await?.written, 1);
/// // clear_table(sort_key_prefix="user_"): a scan, every partition
/// assert_eq!(records.clear().sort_begins_with("user_").await?.written, 2);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct Clear<T> {
    table: TableClient<T>,
    partition: Result<Option<AttributeValue>>,
    scope: crate::clear::ClearScope,
    settings: Settings,
}

impl<T> fmt::Debug for Clear<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clear")
            .field("table", &self.table.name)
            .field("partition", &self.partition)
            .field("scope", &self.scope)
            .field("settings", &self.settings)
            .finish()
    }
}

impl<T: Table> Clear<T> {
    settings_methods!();

    /// Only the partitions whose key begins with this text (a Scan with a `begins_with`
    /// filter; dynamo_query's `partition_key_prefix`). Refused together with a partition.
    pub fn partition_begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.scope.partition_prefix = Some(prefix.into());
        self
    }

    /// Only the item(s) with this sort key (of the table, or of the [`index`](Clear::index)).
    pub fn sort_key(mut self, value: impl crate::expr::IntoValue) -> Self {
        self.scope.sort = Some(crate::clear::SortMatch::Equals(value.into_value()));
        self
    }

    /// Only the items whose sort key begins with this text (dynamo_query's `sort_key_prefix`):
    /// in the key condition of a partition's Query, or as a Scan filter.
    pub fn sort_begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.scope.sort = Some(crate::clear::SortMatch::BeginsWith(prefix.into()));
        self
    }

    /// Finds the items through this index (its partition and sort key), deleting them by their
    /// table keys.
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.scope.index = Some(name.into());
        self
    }

    /// Only the items matching this condition (ANDed when called again).
    pub fn filter(mut self, condition: crate::expr::Condition) -> Self {
        self.scope.filter = Some(match self.scope.filter.take() {
            Some(previous) => previous.and(condition),
            None => condition,
        });
        self
    }

    /// Deletes at most this many items (the first ones read).
    pub fn limit(mut self, items: usize) -> Self {
        self.scope.limit = Some(items);
        self
    }

    /// Reads the keys page by page and deletes them; `written` counts the items deleted.
    pub async fn send(self) -> Result<BatchWriteOutcome> {
        let table = self.table.name.as_str();
        let client = &self.table.client;
        let names = key_names::<T>();
        let read = self
            .scope
            .read_request(T::definition(), table, &names, self.partition?)?;
        let mut start: Option<Item> = None;
        let mut outcome = BatchWriteOutcome::default();
        let mut found = 0usize;
        loop {
            let remaining = self.scope.limit.map(|l| l - found);
            let (keys, next) = keys_page(client, &read, remaining, start.take()).await?;
            found += keys.len();
            let ops = keys.into_iter().map(WriteOp::Delete).collect();
            let (written, left) = run_writes(client, table, ops, self.settings, &|_| {}).await?;
            outcome.written += written;
            outcome
                .unprocessed
                .extend(left.into_iter().map(UnprocessedWrite::from));
            match next {
                Some(next) if self.scope.limit.is_none_or(|l| found < l) => start = Some(next),
                _ => return Ok(outcome),
            }
        }
    }
}

impl<T: Table + 'static> IntoFuture for Clear<T> {
    type Output = Result<BatchWriteOutcome>;
    type IntoFuture = BoxFuture<'static, Result<BatchWriteOutcome>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

// ---------------------------------------------------------------------------------------------
// Table methods
// ---------------------------------------------------------------------------------------------

impl<T: Table> TableClient<T> {
    fn encode_puts<I>(&self, items: I) -> Result<Vec<Item>>
    where
        I: IntoIterator,
        I::Item: Borrow<T>,
    {
        items
            .into_iter()
            .map(|value| {
                let item = value
                    .borrow()
                    .to_item()
                    .map_err(|e| encode_error(&self.name, e))?;
                crate::validate::check_item(&self.name, T::definition(), &item)?;
                Ok(item)
            })
            .collect()
    }

    /// Reads the items with these keys, any number of them (see the [module docs](crate::batch)
    /// for chunking, duplicates and retries).
    pub fn batch_get(&self, keys: impl IntoIterator<Item = Key<T>>) -> BatchGet<T> {
        BatchGet {
            table: self.clone(),
            keys: keys.into_iter().collect(),
            consistent_read: false,
            settings: Settings::default(),
        }
    }

    /// Writes these values, replacing items with the same keys; any number of them. Of several
    /// values with one key, the last one given is written.
    ///
    /// On a versioned table (`#[dynorm(version)]`) every put expects the stored version to be
    /// the one its value carries and stores the next, as [`TableClient::put`] does; since
    /// BatchWriteItem takes no conditions, such a batch is sent as conditional PutItems (with the
    /// same concurrency and retries), and values that meet another version are reported in
    /// [`BatchWriteOutcome::conflicts`], not written. [`BatchWrite::unguarded`] writes them as
    /// given with BatchWriteItem instead.
    pub fn batch_put<I>(&self, items: I) -> BatchWrite<T>
    where
        I: IntoIterator,
        I::Item: Borrow<T>,
    {
        BatchWrite {
            table: self.clone(),
            ops: self
                .encode_puts(items)
                .map(|items| items.into_iter().map(WriteOp::Put).collect()),
            settings: Settings::default(),
            unguarded: false,
        }
    }

    /// Deletes the items with these keys, any number of them (absent items are not an error).
    pub fn batch_delete(&self, keys: impl IntoIterator<Item = Key<T>>) -> BatchWrite<T> {
        let ops = keys
            .into_iter()
            .map(|k| {
                k.into_item()
                    .map(WriteOp::Delete)
                    .map_err(|e| encode_error(&self.name, e))
            })
            .collect();
        BatchWrite {
            table: self.clone(),
            ops,
            settings: Settings::default(),
            unguarded: false,
        }
    }

    /// Upserts these values (as dynamo_query's `batch_upsert_records` merges each new record into
    /// the stored one): one [`upsert`](TableClient::upsert) per item (an UpdateItem, sent
    /// concurrently, retried when throttled), so each item keeps its stored
    /// [`Table::CREATED_AT_ATTRIBUTE`], its [`Table::IMMUTABLE_ATTRIBUTES`], the attributes named
    /// with [`BatchUpsert::keep_existing`] and every attribute the value does not name. Every item
    /// gets the same stamp (one clock reading): a new item's created and updated stamps are equal.
    /// Attributes the value leaves `None` are removed in dynorm's form and left alone in
    /// dynamo_query's ([`StoredForm::upsert_none`](crate::StoredForm::upsert_none)). A versioned
    /// type's version is bumped on each item.
    ///
    /// Items that stay throttled beyond the retry bound come back in
    /// [`BatchWriteOutcome::unprocessed`]; version conflicts in [`BatchWriteOutcome::conflicts`].
    pub fn batch_upsert<I>(&self, items: I) -> BatchUpsert<T>
    where
        I: IntoIterator,
        I::Item: Borrow<T>,
    {
        BatchUpsert {
            table: self.clone(),
            items: self.encode_puts(items),
            keep_existing: Vec::new(),
            settings: Settings::default(),
        }
    }

    /// Deletes every item of the table (a keys-only scan, then batch deletes); `written` in the
    /// outcome counts the items deleted.
    pub fn clear(&self) -> Clear<T> {
        Clear {
            table: self.clone(),
            partition: Ok(None),
            scope: crate::clear::ClearScope::default(),
            settings: Settings::default(),
        }
    }

    /// Deletes every item of one partition (a keys-only query, then batch deletes); `written` in
    /// the outcome counts the items deleted.
    pub fn clear_partition(&self, partition_key: impl crate::expr::IntoValue) -> Clear<T> {
        let partition = match partition_key.into_value().attribute_value() {
            Ok(Some(v)) => Ok(Some(v.clone())),
            Ok(None) => Err(Error::Encode(
                crate::EncodeError::new("a partition key must have a value")
                    .at(&self.name, &T::definition().partition_key),
            )),
            Err(e) => Err(Error::Encode(e.at(&self.name, &T::definition().partition_key))),
        };
        Clear {
            table: self.clone(),
            partition,
            scope: crate::clear::ClearScope::default(),
            settings: Settings::default(),
        }
    }
}

/// Items already encoded, put into a table named at run time (a tool loading files has no Rust
/// type for them): chunked into BatchWriteItem requests, the last item of a key winning, retried
/// like every batch write, what is left returned. No model rule applies: the items are written
/// as given, so use it for data whose keys are already right (an export of the same table).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::{AttributeType, AttributeValue, Item, RetryPolicy, TableDefinition};
///
/// let client = dynorm::Client::embedded()?;
/// client.create_table(&TableDefinition::new("events", "id", AttributeType::String)).await?;
/// let items: Vec<Item> = (0..60)
///     .map(|i| Item::from([("id".to_owned(), AttributeValue::S(format!("e{i}")))]))
///     .collect();
/// let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
/// let seen = written.clone();
/// let outcome = client
///     .batch_put_items("events", ["id"], items)
///     .retry(RetryPolicy::default())
///     .on_progress(move |n| { seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed); })
///     .await?;
/// assert_eq!((outcome.written, outcome.unprocessed.len()), (60, 0));
/// assert_eq!(written.load(std::sync::atomic::Ordering::Relaxed), 60);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct RawBatchPut {
    client: Client,
    table: String,
    key_names: Vec<String>,
    items: Vec<Item>,
    settings: Settings,
    progress: Box<Progress>,
}

impl fmt::Debug for RawBatchPut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBatchPut")
            .field("table", &self.table)
            .field("key_names", &self.key_names)
            .field("items", &self.items.len())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Puts `items` into `table`, whose key attributes are `key_names` (partition key first):
    /// see [`RawBatchPut`].
    pub fn batch_put_items<S: Into<String>>(
        &self,
        table: impl Into<String>,
        key_names: impl IntoIterator<Item = S>,
        items: Vec<Item>,
    ) -> RawBatchPut {
        RawBatchPut {
            client: self.clone(),
            table: table.into(),
            key_names: key_names.into_iter().map(Into::into).collect(),
            items,
            settings: Settings::default(),
            progress: Box::new(|_| {}),
        }
    }
}

impl RawBatchPut {
    settings_methods!();

    /// Calls `progress` with the number of items each request wrote (for a progress bar).
    pub fn on_progress(mut self, progress: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.progress = Box::new(progress);
        self
    }

    /// Sends the writes.
    pub async fn send(self) -> Result<BatchWriteOutcome> {
        let names: Vec<&str> = self.key_names.iter().map(String::as_str).collect();
        let ops = self.items.into_iter().map(WriteOp::Put).collect();
        let (ops, superseded) = last_wins(&self.table, &names, ops)?;
        let (written, left) =
            run_writes(&self.client, &self.table, ops, self.settings, &*self.progress).await?;
        Ok(BatchWriteOutcome {
            written,
            superseded,
            unprocessed: left.into_iter().map(UnprocessedWrite::from).collect(),
            conflicts: Vec::new(),
        })
    }
}

impl IntoFuture for RawBatchPut {
    type Output = Result<BatchWriteOutcome>;
    type IntoFuture = BoxFuture<'static, Result<BatchWriteOutcome>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn last_write_of_a_key_wins() {
        let a = |n: &str| {
            item(&[
                ("id", AttributeValue::S("a".into())),
                ("n", AttributeValue::S(n.into())),
            ])
        };
        let b = item(&[("id", AttributeValue::S("b".into()))]);
        let ops = vec![
            WriteOp::Put(a("1")),
            WriteOp::Put(b.clone()),
            WriteOp::Delete(item(&[("id", AttributeValue::S("a".into()))])),
            WriteOp::Put(a("3")),
        ];
        let (kept, superseded) = last_wins("t", &["id"], ops).expect("dedupe");
        assert_eq!(superseded, 2);
        assert_eq!(kept, vec![WriteOp::Put(b), WriteOp::Put(a("3"))]);
    }

    #[test]
    fn missing_key_attribute_is_named() {
        let err = fingerprint(
            "t",
            &["id", "sk"],
            &item(&[("id", AttributeValue::S("a".into()))]),
        )
        .expect_err("missing sort key");
        match err {
            Error::Encode(e) => {
                assert_eq!(e.table.as_deref(), Some("t"));
                assert_eq!(e.attribute.as_deref(), Some("sk"));
            }
            other => panic!("{other:?}"),
        }
    }
}

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
//! - **Any number of writes, bounded memory.** Batch writes take any iterator — or, with the
//!   `*_stream` methods, any [`Stream`] — of values, and encode them one at a
//!   time as requests go out: at most [`MAX_BATCH_WRITE`] writes being gathered and
//!   [`concurrency`](BatchWrite::concurrency) requests in flight are held, whatever the input's
//!   size. A value that cannot be encoded (or a stream that yields an error) ends the batch with
//!   that error, after the requests in flight are answered; the writes sent before it stay
//!   written.
//! - **Duplicate keys.** DynamoDB refuses a batch that names one key twice. Gets are deduplicated
//!   (each key is read once; results follow the order keys were first given). Writes leave the
//!   table as writing them one by one in order would: of several writes to one key (puts or
//!   deletes) within the chunk being gathered (until [`MAX_BATCH_WRITE`] distinct keys are
//!   gathered) only the last one is sent, the others counted in
//!   [`BatchWriteOutcome::superseded`]; a write to a key whose earlier write is still in flight
//!   waits for that request to be answered, so the two land in order (a write further away is
//!   therefore written, not superseded). An unprocessed write is superseded by a later write of
//!   the same key. So `written + superseded + unprocessed + conflicts` counts every write given.
//!   Keys are compared by their stored form (so the numbers `1` and `1.0` count as two keys).
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

use futures::stream::{self, Stream, StreamExt, TryStreamExt};

use crate::engine::request::{ReadPageRequest, ReadRequest, WriteOp};
use crate::future::BoxFuture;
use crate::pipeline::{self, Limits, Refused, Sent, Tally, WriteStream, fingerprint};
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

/// Whether to keep a copy of what is sent, to resend it whole when the engine throttles. The
/// embedded engine called directly never throttles, so its requests are not copied.
fn keeps_copies(client: &Client) -> bool {
    client.engine().may_throttle()
}

/// Told how many writes each request wrote.
type Progress = dyn Fn(usize) + Send + Sync;

/// Writes `ops` with BatchWriteItem through the bounded pipeline: chunks of [`MAX_BATCH_WRITE`],
/// each retried, at most `settings.concurrency` in flight.
async fn run_writes(
    client: &Client,
    table: &str,
    names: &[&str],
    ops: WriteStream<'_>,
    settings: Settings,
    progress: &Progress,
) -> Result<Tally> {
    let copies = keeps_copies(client);
    let limits = Limits {
        chunk: MAX_BATCH_WRITE,
        per_request: MAX_BATCH_WRITE,
        concurrency: settings.concurrency,
    };
    pipeline::run(table, names, ops, limits, |chunk| {
        write_chunk(client, table, chunk, settings.retry, copies, progress)
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
) -> Result<Sent> {
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
                    break;
                }
            }
            Err(e) if e.is_throttled() => match copy {
                Some(copy) => pending = copy,
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
        if !retry.allows_after(attempt) {
            break;
        }
        retry.wait(attempt, rng.get_or_insert_with(Jitter::fresh)).await;
        attempt += 1;
    }
    Ok(Sent {
        written,
        left: pending,
        refused: Vec::new(),
    })
}

/// The outcome a caller sees of a pipeline's tally.
fn outcome(tally: Tally) -> BatchWriteOutcome {
    BatchWriteOutcome {
        written: tally.written,
        superseded: tally.superseded,
        unprocessed: tally
            .unprocessed
            .into_iter()
            .map(UnprocessedWrite::from)
            .collect(),
        conflicts: tally
            .refused
            .into_iter()
            .map(|r: Refused| Conflict {
                item: r.item,
                expected: r.expected,
                found: r.found,
            })
            .collect(),
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
    Ok((page.items.into_vec(), page.last_key))
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

/// A batch of puts or deletes waiting to be sent: `.send().await` or just `.await`. It holds the
/// values given (an iterator or a stream) and encodes them as requests go out.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct BatchWrite<'a, T> {
    table: TableClient<T>,
    ops: WriteStream<'a>,
    puts: bool,
    settings: Settings,
    unguarded: bool,
}

impl<T> fmt::Debug for BatchWrite<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWrite")
            .field("table", &self.table.name)
            .field("puts", &self.puts)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<T: Table> BatchWrite<'_, T> {
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
        if self.puts && !T::IMMUTABLE_ATTRIBUTES.is_empty() && !self.unguarded {
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
        if self.puts && T::VERSION_ATTRIBUTE.is_some() && !self.unguarded {
            return versioned_writes(&self.table, &names, self.ops, self.settings).await;
        }
        let client = &self.table.client;
        let tally = run_writes(client, table, &names, self.ops, self.settings, &|_| {}).await?;
        Ok(outcome(tally))
    }
}

/// One request of at most one write, sent by `send`: written, refused for its version, or left
/// unprocessed when still throttled after the retries.
async fn single_write<Fut>(op: WriteOp, retry: RetryPolicy, send: impl Fn(WriteOp) -> Fut) -> Result<Sent>
where
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut sent = Sent::default();
    match (retry_throttled(retry, || send(op.clone())).await, op) {
        (Ok(()), _) => sent.written = 1,
        (Err(Error::VersionConflict { expected, found, .. }), WriteOp::Put(item)) => {
            sent.refused.push(Refused {
                item,
                expected,
                found,
            });
        }
        (Err(e), op) if e.is_throttled() => sent.left.push(op),
        (Err(e), _) => return Err(e),
    }
    Ok(sent)
}

/// The pipeline's limits for writes sent one per request.
fn single_limits(settings: Settings) -> Limits {
    Limits {
        chunk: MAX_BATCH_WRITE,
        per_request: 1,
        concurrency: settings.concurrency,
    }
}

/// The writes of a batch on a versioned type, one conditional request each (BatchWriteItem
/// takes no conditions): every put expects the version its item carries and stores the next,
/// as [`TableClient::put`] does. Conflicts are reported, throttled writes retried.
async fn versioned_writes<T: Table>(
    table: &TableClient<T>,
    names: &[&str],
    ops: WriteStream<'_>,
    settings: Settings,
) -> Result<BatchWriteOutcome> {
    let limits = single_limits(settings);
    let tally = pipeline::run(&table.name, names, ops, limits, |mut request| async move {
        match request.pop() {
            Some(op) => single_write(op, settings.retry, |op| send_versioned(table, op)).await,
            None => Ok(Sent::default()),
        }
    })
    .await?;
    Ok(outcome(tally))
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

impl<'a, T: Table + 'a> IntoFuture for BatchWrite<'a, T> {
    type Output = Result<BatchWriteOutcome>;
    type IntoFuture = BoxFuture<'a, Result<BatchWriteOutcome>>;

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
pub struct BatchUpsert<'a, T> {
    table: TableClient<T>,
    items: WriteStream<'a>,
    keep_existing: Vec<String>,
    settings: Settings,
}

impl<T> fmt::Debug for BatchUpsert<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchUpsert")
            .field("table", &self.table.name)
            .field("keep_existing", &self.keep_existing)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<T: Table> BatchUpsert<'_, T> {
    settings_methods!();

    /// Attributes set only when the stored item does not have them yet: a stored value is kept.
    /// ([`Table::CREATED_AT_ATTRIBUTE`] always is.)
    pub fn keep_existing<S: Into<String>>(mut self, attributes: impl IntoIterator<Item = S>) -> Self {
        self.keep_existing.extend(attributes.into_iter().map(Into::into));
        self
    }

    /// Sends the requests: one upsert (a conditional UpdateItem) per item, at most
    /// [`concurrency`](Self::concurrency) at once.
    pub async fn send(self) -> Result<BatchWriteOutcome> {
        let names = key_names::<T>();
        // A written immutable attribute keeps its stored value, like the attributes named.
        let mut keep: HashSet<String> = self.keep_existing.into_iter().collect();
        keep.extend(T::IMMUTABLE_ATTRIBUTES.iter().map(|a| (*a).to_owned()));
        // One clock reading for the whole call: every item gets the same stamps.
        let stamp = Stamp::now();
        let (table, keep, retry) = (&self.table, &keep, self.settings.retry);
        let limits = single_limits(self.settings);
        let tally = pipeline::run(
            &table.name,
            &names,
            self.items,
            limits,
            |mut request| async move {
                let upsert = |op| async move {
                    match op {
                        WriteOp::Put(item) => table.upsert_item(item, keep, stamp).await,
                        WriteOp::Delete(_) => Ok(()),
                    }
                };
                match request.pop() {
                    Some(op) => single_write(op, retry, upsert).await,
                    None => Ok(Sent::default()),
                }
            },
        )
        .await?;
        Ok(outcome(tally))
    }
}

impl<'a, T: Table + 'a> IntoFuture for BatchUpsert<'a, T> {
    type Output = Result<BatchWriteOutcome>;
    type IntoFuture = BoxFuture<'a, Result<BatchWriteOutcome>>;

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
            let ops = stream::iter(keys.into_iter().map(|key| Ok(WriteOp::Delete(key)))).boxed();
            let tally = run_writes(client, table, &names, ops, self.settings, &|_| {}).await?;
            outcome.written += tally.written;
            outcome
                .unprocessed
                .extend(tally.unprocessed.into_iter().map(UnprocessedWrite::from));
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
    /// The values of `items` as puts, each encoded and checked when the pipeline takes it.
    fn puts<'a, S>(&self, items: S) -> WriteStream<'a>
    where
        S: Stream + Send + 'a,
        S::Item: Borrow<T>,
        T: 'a,
    {
        let table = self.name.clone();
        items
            .map(move |value| {
                let item = value.borrow().to_item().map_err(|e| encode_error(&table, e))?;
                crate::validate::check_item(&table, T::definition(), &item)?;
                Ok(WriteOp::Put(item))
            })
            .boxed()
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

    /// Writes these values, replacing items with the same keys; any number of them, encoded one
    /// at a time as requests go out (memory stays bounded: see the [module docs](crate::batch)).
    /// Of several values with one key in a row, the last one is written.
    ///
    /// On a versioned table (`#[dynorm(version)]`) every put expects the stored version to be
    /// the one its value carries and stores the next, as [`TableClient::put`] does; since
    /// BatchWriteItem takes no conditions, such a batch is sent as conditional PutItems (with the
    /// same concurrency and retries), and values that meet another version are reported in
    /// [`BatchWriteOutcome::conflicts`], not written. [`BatchWrite::unguarded`] writes them as
    /// given with BatchWriteItem instead.
    pub fn batch_put<'a, I>(&self, items: I) -> BatchWrite<'a, T>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'a,
        I::Item: Borrow<T>,
        T: 'a,
    {
        self.batch_put_stream(stream::iter(items))
    }

    /// [`batch_put`](Self::batch_put) of the values a stream yields, taken as requests go out.
    pub fn batch_put_stream<'a, S>(&self, items: S) -> BatchWrite<'a, T>
    where
        S: Stream + Send + 'a,
        S::Item: Borrow<T>,
        T: 'a,
    {
        BatchWrite {
            table: self.clone(),
            ops: self.puts(items),
            puts: true,
            settings: Settings::default(),
            unguarded: false,
        }
    }

    /// Deletes the items with these keys, any number of them (absent items are not an error).
    pub fn batch_delete<'a, I>(&self, keys: I) -> BatchWrite<'a, T>
    where
        I: IntoIterator<Item = Key<T>>,
        I::IntoIter: Send + 'a,
        T: 'a,
    {
        self.batch_delete_stream(stream::iter(keys))
    }

    /// [`batch_delete`](Self::batch_delete) of the keys a stream yields, taken as requests go out.
    pub fn batch_delete_stream<'a, S>(&self, keys: S) -> BatchWrite<'a, T>
    where
        S: Stream<Item = Key<T>> + Send + 'a,
        T: 'a,
    {
        let table = self.name.clone();
        let ops = keys
            .map(move |k| {
                k.into_item()
                    .map(WriteOp::Delete)
                    .map_err(|e| encode_error(&table, e))
            })
            .boxed();
        BatchWrite {
            table: self.clone(),
            ops,
            puts: false,
            settings: Settings::default(),
            unguarded: false,
        }
    }

    /// Upserts these values (as dynamo_query's `batch_upsert_records` merges each new record into
    /// the stored one): one [`upsert`](TableClient::upsert) per value (an UpdateItem, at most
    /// [`concurrency`](BatchUpsert::concurrency) at once, retried when throttled), so each item
    /// keeps its stored [`Table::CREATED_AT_ATTRIBUTE`], its [`Table::IMMUTABLE_ATTRIBUTES`], the
    /// attributes named with [`BatchUpsert::keep_existing`] and every attribute the value does not
    /// name. Every item gets the same stamp (one clock reading): a new item's created and updated
    /// stamps are equal. Attributes the value leaves `None` are removed in dynorm's form and left
    /// alone in dynamo_query's ([`StoredForm::upsert_none`](crate::StoredForm::upsert_none)). A
    /// versioned type's version is bumped on each item. Any number of values, encoded one at a
    /// time as requests go out.
    ///
    /// Items still throttled after the retries come back in
    /// [`BatchWriteOutcome::unprocessed`]; version conflicts in [`BatchWriteOutcome::conflicts`].
    pub fn batch_upsert<'a, I>(&self, items: I) -> BatchUpsert<'a, T>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'a,
        I::Item: Borrow<T>,
        T: 'a,
    {
        self.batch_upsert_stream(stream::iter(items))
    }

    /// [`batch_upsert`](Self::batch_upsert) of the values a stream yields.
    pub fn batch_upsert_stream<'a, S>(&self, items: S) -> BatchUpsert<'a, T>
    where
        S: Stream + Send + 'a,
        S::Item: Borrow<T>,
        T: 'a,
    {
        BatchUpsert {
            table: self.clone(),
            items: self.puts(items),
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

    /// Deletes every item matching a whole key condition — through a global index with a
    /// multi-attribute key, an equality on each of its partition attributes and conditions on a
    /// leading run of its sort attributes (checked by DynamoDB's rule before anything is sent,
    /// as a query's) — with [`index`](Clear::index) naming the index; then batch deletes by
    /// table key. `written` in the outcome counts the items deleted.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
    /// use dynorm::expr::KeyCondition;
    ///
    /// #[derive(dynorm::Table)]
    /// #[dynorm(table = "matches")]
    /// #[dynorm(gsi(name = "by_region", partition_key(tournament, region), sort_key(round)))]
    /// struct Match {
    ///     #[dynorm(partition_key)]
    ///     id: String,
    ///     tournament: String,
    ///     region: String,
    ///     round: u32,
    /// }
    /// let client = dynorm::Client::embedded()?;
    /// let matches = client.table::<Match>();
    /// matches.create().await?;
    /// for (id, region, round) in [("m1", "eu", 1), ("m2", "eu", 2), ("m3", "na", 1)] {
    ///     let (id, region) = (id.into(), region.into());
    ///     matches.put(&Match { id, tournament: "worlds".into(), region, round }).await?;
    /// }
    /// let key = KeyCondition::partition("tournament", "worlds").and_partition("region", "eu");
    /// let cleared = matches.clear_key(key.sort_eq("round", 1u32)).index("by_region").await?;
    /// assert_eq!(cleared.written, 1);
    /// # Ok(()) }
    /// ```
    pub fn clear_key(&self, key: crate::expr::KeyCondition) -> Clear<T> {
        Clear {
            table: self.clone(),
            partition: Ok(None),
            scope: crate::clear::ClearScope {
                key: Some(key),
                ..crate::clear::ClearScope::default()
            },
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
    items: WriteStream<'static>,
    settings: Settings,
    progress: Box<Progress>,
}

impl fmt::Debug for RawBatchPut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBatchPut")
            .field("table", &self.table)
            .field("key_names", &self.key_names)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Puts `items` into `table`, whose key attributes are `key_names` (partition key first):
    /// see [`RawBatchPut`]. The items are taken as requests go out (memory stays bounded).
    pub fn batch_put_items<S, I>(
        &self,
        table: impl Into<String>,
        key_names: impl IntoIterator<Item = S>,
        items: I,
    ) -> RawBatchPut
    where
        S: Into<String>,
        I: IntoIterator<Item = Item>,
        I::IntoIter: Send + 'static,
    {
        self.batch_put_item_stream(table, key_names, stream::iter(items.into_iter().map(Ok)))
    }

    /// [`batch_put_items`](Self::batch_put_items) of the items a stream yields; an `Err` from
    /// the stream ends the batch with that error (after the requests in flight are answered).
    pub fn batch_put_item_stream<S>(
        &self,
        table: impl Into<String>,
        key_names: impl IntoIterator<Item = S>,
        items: impl Stream<Item = Result<Item>> + Send + 'static,
    ) -> RawBatchPut
    where
        S: Into<String>,
    {
        RawBatchPut {
            client: self.clone(),
            table: table.into(),
            key_names: key_names.into_iter().map(Into::into).collect(),
            items: items.map(|item| item.map(WriteOp::Put)).boxed(),
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
        let (client, table) = (&self.client, self.table.as_str());
        let tally = run_writes(client, table, &names, self.items, self.settings, &*self.progress).await?;
        Ok(outcome(tally))
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

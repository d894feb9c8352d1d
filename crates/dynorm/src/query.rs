//! Reading many items: [`Query`] and [`Scan`] builders, pages with a resumable [`Cursor`], streams
//! that page transparently, parallel scans, and reads from indexes that hold only some attributes.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! use dynorm::expr::{attr, KeyCondition};
//! use dynorm::prelude::*;
//!
//! #[derive(Debug, PartialEq, Table)]
//! #[dynorm(table = "orders")]
//! struct Order {
//!     #[dynorm(partition_key)]
//!     customer: String,
//!     #[dynorm(sort_key)]
//!     number: u32,
//!     status: String,
//! }
//!
//! let client = dynorm::Client::embedded()?;
//! let orders = client.table::<Order>();
//! orders.create().await?;
//! for number in 0..10 {
//!     let status = if number % 2 == 0 { "open" } else { "shipped" };
//!     orders
//!         .put(&Order { customer: "ada".into(), number, status: status.into() })
//!         .await?;
//! }
//!
//! // The open orders of one customer, newest first, pages of three items evaluated (the filter
//! // runs after DynamoDB's `Limit`, so a page may hold fewer).
//! let first = orders
//!     .query(KeyCondition::partition("customer", "ada").sort_ge("number", 2))
//!     .filter(attr("status").eq("open"))
//!     .descending()
//!     .page_size(3)
//!     .page()
//!     .await?;
//! assert_eq!(first.items.iter().map(|o| o.number).collect::<Vec<_>>(), [8]);
//!
//! // The cursor is a string an HTTP API can hand to its client and take back.
//! let cursor = first.cursor.expect("more to read").to_string();
//! let rest = orders
//!     .query(KeyCondition::partition("customer", "ada").sort_ge("number", 2))
//!     .filter(attr("status").eq("open"))
//!     .descending()
//!     .start_after(dynorm::query::Cursor::from(cursor))
//!     .all()
//!     .await?;
//! assert_eq!(rest.iter().map(|o| o.number).collect::<Vec<_>>(), [6, 4, 2]);
//!
//! // `limit` caps the items returned, however many requests it takes.
//! let two = orders.query_partition("ada").filter(attr("status").eq("open")).limit(2).all().await?;
//! assert_eq!(two.iter().map(|o| o.number).collect::<Vec<_>>(), [0, 2]);
//!
//! assert_eq!(orders.query_partition("ada").count().await?, 10);
//! assert_eq!(orders.scan().segments(4).all().await?.len(), 10);
//! # Ok(()) }
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;
use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};

use crate::definition::{IndexRef, Projection as IndexKind, TableDefinition};
use crate::engine::request::{GetItem, PageItems, ReadPageRequest, ReadRequest};
use crate::expr::{
    Condition, ExpressionAttributes, Filter, IntoValue, KeyCondition, ProjectionExpression, Value,
};
use crate::strict::{Strict, StrictCheck};
use crate::{AttributeValue, Client, DecodeError, Error, Item, Projection, Result, Table, TableClient};

/// How many segments of a parallel scan are read at once unless
/// [`Scan::concurrency`](Read::concurrency) says otherwise.
pub const DEFAULT_SCAN_CONCURRENCY: usize = 4;

/// How many GetItem calls [`fetch_full_items`](Read::fetch_full_items) keeps in flight.
pub const FULL_ITEM_CONCURRENCY: usize = 16;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::QueryMode {}
    impl Sealed for super::ScanMode {}
}

/// Whether a [`Read`] is a Query or a Scan (sealed: only [`QueryMode`] and [`ScanMode`]).
pub trait ReadMode: sealed::Sealed + 'static {
    /// `true` for a Query.
    const IS_QUERY: bool;
}

/// Marks a [`Read`] as a Query.
#[derive(Debug)]
pub enum QueryMode {}

/// Marks a [`Read`] as a Scan.
#[derive(Debug)]
pub enum ScanMode {}

impl ReadMode for QueryMode {
    const IS_QUERY: bool = true;
}

impl ReadMode for ScanMode {
    const IS_QUERY: bool = false;
}

/// A Query on table `T` (or one of its indexes) yielding `O` (`T`, or a [`Projection`]).
pub type Query<T, O = T> = Read<T, O, QueryMode>;

/// A Scan of table `T` (or one of its indexes) yielding `O` (`T`, or a [`Projection`]).
pub type Scan<T, O = T> = Read<T, O, ScanMode>;

/// What [`Read::filter`] accepts: a [`Condition`], an optional one, or a run-time [`Filter`]
/// built from (attribute, comparison, value) triples.
pub trait IntoFilter {
    /// The condition, or `None` for no filter.
    fn into_filter(self) -> Option<Condition>;
}

impl IntoFilter for Condition {
    fn into_filter(self) -> Option<Condition> {
        Some(self)
    }
}

impl IntoFilter for Option<Condition> {
    fn into_filter(self) -> Option<Condition> {
        self
    }
}

impl IntoFilter for &Filter<'_> {
    fn into_filter(self) -> Option<Condition> {
        self.to_condition()
    }
}

impl IntoFilter for Filter<'_> {
    fn into_filter(self) -> Option<Condition> {
        self.to_condition()
    }
}

#[derive(Debug, Clone)]
enum KeySpec {
    // Boxed: a key condition (with multi-attribute keys) is much larger than a value.
    Condition(Box<KeyCondition>),
    Partition(Value),
}

/// A Query or Scan waiting to run; finish it with [`stream`](Read::stream),
/// [`page`](Read::page), [`all`](Read::all) or [`count`](Read::count).
///
/// Build one with [`TableClient::query`], [`TableClient::query_partition`] or
/// [`TableClient::scan`].
#[must_use = "a read does nothing until it is run with `.stream()`, `.page()`, `.all()` or `.count()`"]
pub struct Read<T, O, M> {
    table: TableClient<T>,
    key: Option<KeySpec>,
    index: Option<String>,
    filter: Option<Condition>,
    limit: Option<usize>,
    page_size: Option<u32>,
    descending: bool,
    consistent_read: bool,
    max_pages: Option<usize>,
    start: Option<Cursor>,
    segments: u32,
    concurrency: usize,
    decode: fn(Item) -> Result<O, DecodeError>,
    attributes: Option<&'static [&'static str]>,
    fetch_full: bool,
    strict: Option<Strict>,
    mode: PhantomData<fn() -> M>,
}

impl<T, O, M: ReadMode> fmt::Debug for Read<T, O, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(if M::IS_QUERY { "Query" } else { "Scan" })
            .field("table", &self.table.name)
            .field("key", &self.key)
            .field("index", &self.index)
            .field("filter", &self.filter)
            .field("limit", &self.limit)
            .field("page_size", &self.page_size)
            .field("descending", &self.descending)
            .field("consistent_read", &self.consistent_read)
            .field("max_pages", &self.max_pages)
            .field("start", &self.start)
            .field("segments", &self.segments)
            .field("attributes", &self.attributes)
            .field("fetch_full", &self.fetch_full)
            .field("strict", &self.strict)
            .finish()
    }
}

/// One page of results and, when there may be more, the cursor to resume from.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<O> {
    /// The items of this page (possibly none, when a filter removed them all).
    pub items: Vec<O>,
    /// Where the next page starts; `None` when the read is complete.
    pub cursor: Option<Cursor>,
}

/// An item of a [`Read::page_with_cursors`] page and the cursor that resumes the read right
/// after it (a GraphQL connection's edge).
#[derive(Debug, Clone, PartialEq)]
pub struct Edge<O> {
    /// The item.
    pub item: O,
    /// Resumes the same read right after this item, with [`Read::start_after`].
    pub cursor: Cursor,
}

impl<T: Table> TableClient<T> {
    /// Queries the items matching a key condition, on the table or (with
    /// [`index`](Read::index)) one of its indexes. The key condition must name the partition key
    /// (and, if any, the sort key) of what is read; otherwise the read fails with
    /// [`Error::InvalidKeyCondition`].
    pub fn query(&self, key_condition: KeyCondition) -> Query<T> {
        self.read(Some(KeySpec::Condition(Box::new(key_condition))))
    }

    /// Queries one partition: `value` is compared with the partition key of the table, or of the
    /// index chosen with [`index`](Read::index), as the definition names it.
    pub fn query_partition(&self, value: impl IntoValue) -> Query<T> {
        self.read(Some(KeySpec::Partition(value.into_value())))
    }

    /// Scans the table or (with [`index`](Read::index)) one of its indexes.
    pub fn scan(&self) -> Scan<T> {
        self.read(None)
    }

    fn read<M>(&self, key: Option<KeySpec>) -> Read<T, T, M> {
        Read {
            table: self.clone(),
            key,
            index: None,
            filter: None,
            limit: None,
            page_size: None,
            descending: false,
            consistent_read: false,
            max_pages: None,
            start: None,
            segments: 1,
            concurrency: DEFAULT_SCAN_CONCURRENCY,
            decode: T::from_item,
            attributes: None,
            fetch_full: false,
            strict: T::STRICT_READS,
            mode: PhantomData,
        }
    }
}

impl<T: Table, O, M: ReadMode> Read<T, O, M> {
    /// Reads a global or local secondary index named in the definition (an unknown name fails
    /// with [`Error::UnknownIndex`]).
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.index = Some(name.into());
        self
    }

    /// Keeps only the items matching this filter (applied after the read, so it does not reduce
    /// the capacity a page consumes). Called again, the filters are joined with AND.
    pub fn filter(mut self, filter: impl IntoFilter) -> Self {
        if let Some(condition) = filter.into_filter() {
            self.filter = Some(match self.filter.take() {
                Some(previous) => previous.and(condition),
                None => condition,
            });
        }
        self
    }

    /// Returns at most this many items in all, across pages (dynamo_query's and ElectroDB's
    /// `limit`): [`all`](Read::all) and [`stream`](Read::stream) stop there, a
    /// [`page`](Read::page) reads until it holds this many items (or the read ends) and its
    /// cursor resumes right after the last item returned. Each request asks DynamoDB for no more
    /// than the items still wanted (its `Limit`), so no item read is dropped. 0 is refused with
    /// [`Error::InvalidRequest`].
    pub fn limit(mut self, items: usize) -> Self {
        self.limit = Some(items);
        self
    }

    /// The most items DynamoDB evaluates per request (its `Limit`; the filter runs after it, so
    /// a page may hold fewer). Without [`limit`](Read::limit), a [`page`](Read::page) is one
    /// such request. 0 is refused with [`Error::InvalidRequest`].
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Asks for strongly consistent reads; refused with [`Error::InvalidRequest`] on a global
    /// secondary index, as DynamoDB does.
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Stops after this many pages (per segment, for a parallel scan).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = Some(pages);
        self
    }

    /// Resumes after the cursor of an earlier [`Page`] of the same read. A cursor altered on the
    /// way, or one from another table or index, is refused with [`Error::InvalidCursor`].
    pub fn start_after(mut self, cursor: Cursor) -> Self {
        self.start = Some(cursor);
        self
    }

    /// Reads only the attributes of projection type `P` (a `ProjectionExpression`) and yields `P`.
    ///
    /// On a KEYS_ONLY or INCLUDE index, every attribute of `P` must be projected by the index,
    /// otherwise the read fails with [`Error::IndexProjection`] naming the missing ones.
    pub fn project<P: Projection<Table = T>>(self) -> Read<T, P, M> {
        Read {
            table: self.table,
            key: self.key,
            index: self.index,
            filter: self.filter,
            limit: self.limit,
            page_size: self.page_size,
            descending: self.descending,
            consistent_read: self.consistent_read,
            max_pages: self.max_pages,
            start: self.start,
            segments: self.segments,
            concurrency: self.concurrency,
            decode: P::from_item,
            attributes: Some(P::attributes()),
            fetch_full: self.fetch_full,
            strict: self.strict,
            mode: PhantomData,
        }
    }

    /// Reads the index, then each full item from the table by its key (GetItem calls, at most
    /// [`FULL_ITEM_CONCURRENCY`] at once), so a KEYS_ONLY or INCLUDE index yields whole items.
    ///
    /// Items deleted between the two reads are left out, as they no longer exist. Without an
    /// index this does nothing (the table holds the whole items).
    pub fn fetch_full_items(mut self) -> Self {
        self.fetch_full = true;
        self
    }

    /// Reports the attributes of an item that the table's model does not name
    /// ([`Strict::Refuse`]: the read fails with [`Error::UnexpectedAttributes`]; [`Strict::Warn`]:
    /// a warning event) instead of dropping them silently. The default is the type's
    /// [`Table::STRICT_READS`]. See [`crate::strict`].
    pub fn strict(mut self, mode: Strict) -> Self {
        self.strict = Some(mode);
        self
    }

    /// Drops attributes the table's model does not name without a word (the default, unless the
    /// type says otherwise with [`Table::STRICT_READS`]).
    pub fn lenient(mut self) -> Self {
        self.strict = None;
        self
    }
}

impl<T: Table, O> Read<T, O, QueryMode> {
    /// Reads in descending sort-key order (`ScanIndexForward = false`).
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
}

impl<T: Table, O> Read<T, O, ScanMode> {
    /// Scans in `n` segments (a parallel scan); every item is yielded exactly once. A parallel
    /// scan has no single cursor, so it can be streamed, collected or counted, not paged.
    pub fn segments(mut self, n: u32) -> Self {
        self.segments = n;
        self
    }

    /// Reads at most `k` segments at once (default [`DEFAULT_SCAN_CONCURRENCY`]).
    pub fn concurrency(mut self, k: usize) -> Self {
        self.concurrency = k;
        self
    }
}

/// Everything a read needs once checked and rendered; shared by its pages.
struct Plan<O> {
    client: Client,
    definition: &'static TableDefinition,
    strict: Option<StrictCheck>,
    request: ReadRequest,
    decode: fn(Item) -> Result<O, DecodeError>,
    /// The table's key attributes, when full items are fetched by key.
    full_keys: Option<Vec<String>>,
    start: Option<Item>,
    max_pages: Option<usize>,
    /// The most items returned in all ([`Read::limit`]).
    limit: Option<usize>,
    segments: u32,
    concurrency: usize,
    /// What per-item cursors need, when asked for ([`Read::page_with_cursors`]).
    item_cursors: Option<ItemCursors>,
}

/// How a cursor is made for each item: the key attributes it holds, and those of them added to
/// the projection only for the cursor (removed again before decoding).
struct ItemCursors {
    index: Option<String>,
    keys: Vec<String>,
    added: Vec<String>,
}

impl ItemCursors {
    /// The key a read resuming right after `item` starts from: the table's and the index's key
    /// attributes, taken from the item as the engine returned it.
    fn key_of(&self, table: &str, item: &Item) -> Result<Item> {
        let mut key = Item::with_capacity(self.keys.len());
        for name in &self.keys {
            let value = item
                .get(name)
                .ok_or_else(|| decode_error(table, DecodeError::missing().at(table, name)))?;
            key.insert(name.clone(), value.clone());
        }
        Ok(key)
    }
}

fn invalid_request(table: &str, index: Option<&str>, message: impl Into<String>) -> Error {
    Error::InvalidRequest {
        table: table.to_owned(),
        index: index.map(str::to_owned),
        message: message.into(),
    }
}

/// Names the table in an expression error not tied to one.
fn in_table(table: &str, error: Error) -> Error {
    match error {
        Error::InvalidExpression { table: t, message } if t.is_empty() => Error::InvalidExpression {
            table: table.to_owned(),
            message,
        },
        Error::Encode(e) => Error::Encode(e.in_table(table)),
        other => other,
    }
}

/// The key attributes of what is read: (partition key, sort key), several each for a global
/// index with multi-attribute keys.
pub(crate) fn read_key_attributes<'a>(
    definition: &'a TableDefinition,
    index: Option<IndexRef<'a>>,
) -> (Vec<&'a str>, Vec<&'a str>) {
    match index {
        None => (
            vec![definition.partition_key.as_str()],
            definition.sort_key.iter().map(String::as_str).collect(),
        ),
        Some(IndexRef::Global(g)) => (g.partition_keys(), g.sort_keys()),
        Some(IndexRef::Local(l)) => (vec![definition.partition_key.as_str()], vec![l.sort_key.as_str()]),
    }
}

fn push_unique(names: &mut Vec<String>, name: &str) {
    if !names.iter().any(|n| n == name) {
        names.push(name.to_owned());
    }
}

impl<T, O, M> Read<T, O, M>
where
    T: Table,
    M: ReadMode,
{
    /// Checks the read against the table's definition and renders its request; `item_cursors`:
    /// make a cursor for each item.
    fn plan(self, count_only: bool, item_cursors: bool) -> Result<Plan<O>> {
        let definition = T::definition();
        let table = self.table.name.clone();
        let index_name = self.index.as_deref();
        let index = find_index(definition, &table, index_name)?;
        self.check_options(&table, index_name, index)?;

        let (partition_key, sort_key) = read_key_attributes(definition, index);
        let mut attributes = ExpressionAttributes::new();
        let key_condition = match self.key.filter(|_| M::IS_QUERY) {
            None => None,
            Some(spec) => {
                let key = match spec {
                    KeySpec::Condition(key) => *key,
                    KeySpec::Partition(value) => KeyCondition::partition(partition_key[0], value),
                };
                check_key_condition(&table, index_name, &key, &partition_key, &sort_key)?;
                Some(key.render(&mut attributes).map_err(|e| in_table(&table, e))?)
            }
        };
        if M::IS_QUERY && key_condition.is_none() {
            return Err(invalid_request(
                &table,
                index_name,
                "a query needs a key condition",
            ));
        }
        let filter = self
            .filter
            .as_ref()
            .map(|f| f.render(&mut attributes))
            .transpose()
            .map_err(|e| in_table(&table, e))?;

        // Which attributes the index holds, and whether the output needs others.
        let key_names = key_attributes(definition, &partition_key, &sort_key);
        let fetch_full = self.fetch_full && index.is_some();
        if !count_only && !fetch_full {
            check_index_projection(definition, &table, index, &key_names, self.attributes)?;
        }
        // A per-item cursor needs the key attributes even when the output type reads none.
        let added: Vec<String> = match self.attributes {
            Some(names) if item_cursors && !fetch_full => key_names
                .iter()
                .filter(|k| !names.contains(&k.as_str()))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        let projection = match self.attributes {
            Some(names) if !count_only && !fetch_full => Some(
                ProjectionExpression::new(names.iter().copied().chain(added.iter().map(String::as_str)))
                    .render(&mut attributes)
                    .map_err(|e| in_table(&table, e))?,
            ),
            _ => None,
        };

        let start = self
            .start
            .as_ref()
            .map(|c| c.decode(&table, index_name, definition, &key_names))
            .transpose()?;
        let item_cursors = item_cursors.then(|| ItemCursors {
            index: self.index.clone(),
            keys: key_names.clone(),
            added,
        });

        let (names, values) = attributes.into_parts();
        let request = ReadRequest {
            table: table.clone(),
            index: self.index.clone(),
            key_condition,
            filter,
            projection,
            names: names.unwrap_or_default(),
            values: values.unwrap_or_default(),
            limit: self.page_size,
            descending: self.descending,
            consistent_read: self.consistent_read,
            count_only,
        };
        let full_keys = fetch_full.then(|| {
            let mut keys = vec![definition.partition_key.clone()];
            keys.extend(definition.sort_key.clone());
            keys
        });
        Ok(Plan {
            client: self.table.client,
            definition,
            strict: StrictCheck::new(self.strict, T::stored_attributes),
            request,
            decode: self.decode,
            full_keys,
            start,
            max_pages: self.max_pages,
            limit: self.limit,
            segments: self.segments,
            concurrency: self.concurrency,
            item_cursors,
        })
    }

    /// The read's own settings, each refused when DynamoDB (or paging) could not honour it.
    fn check_options(
        &self,
        table: &str,
        index_name: Option<&str>,
        index: Option<IndexRef<'_>>,
    ) -> Result<()> {
        let refused = if self.consistent_read && matches!(index, Some(IndexRef::Global(_))) {
            "consistent reads are not supported on global secondary indexes"
        } else if self.page_size == Some(0) {
            "the page size must be at least 1"
        } else if self.limit == Some(0) {
            "the limit (the most items returned) must be at least 1"
        } else if self.segments == 0 {
            "a scan needs at least 1 segment"
        } else if self.concurrency == 0 {
            "the scan concurrency must be at least 1"
        } else if self.segments > 1 && self.start.is_some() {
            "a parallel scan cannot start after a cursor (each segment pages on its own)"
        } else {
            return Ok(());
        };
        Err(invalid_request(table, index_name, refused))
    }
}

/// The index a read names, if any; an unknown name lists the known ones.
pub(crate) fn find_index<'a>(
    definition: &'a TableDefinition,
    table: &str,
    index_name: Option<&str>,
) -> Result<Option<IndexRef<'a>>> {
    let Some(name) = index_name else {
        return Ok(None);
    };
    definition
        .index(name)
        .map(Some)
        .ok_or_else(|| Error::UnknownIndex {
            table: table.to_owned(),
            index: name.to_owned(),
            known: definition
                .global_secondary_indexes
                .iter()
                .map(|g| g.name.clone())
                .chain(definition.local_secondary_indexes.iter().map(|l| l.name.clone()))
                .collect(),
        })
}

/// The table's key attributes and those of the index read, each once: what every index holds,
/// and what a cursor carries.
fn key_attributes(definition: &TableDefinition, partition_key: &[&str], sort_key: &[&str]) -> Vec<String> {
    let mut keys = Vec::new();
    let table_keys = std::iter::once(definition.partition_key.as_str()).chain(definition.sort_key.as_deref());
    for key in table_keys
        .chain(partition_key.iter().copied())
        .chain(sort_key.iter().copied())
    {
        push_unique(&mut keys, key);
    }
    keys
}

/// An index that does not project every attribute holds the attributes the output reads
/// (`attributes`, or all the table's): otherwise `Error::IndexProjection` names those missing.
fn check_index_projection(
    definition: &TableDefinition,
    table: &str,
    index: Option<IndexRef<'_>>,
    key_names: &[String],
    attributes: Option<&[&str]>,
) -> Result<()> {
    let held = match index {
        Some(IndexRef::Global(g)) => (&g.name, &g.projection),
        Some(IndexRef::Local(l)) => (&l.name, &l.projection),
        None => return Ok(()),
    };
    let (index_name, kind) = held;
    if *kind == IndexKind::All {
        return Ok(());
    }
    let mut projected = key_names.to_vec();
    if let IndexKind::Include(included) = kind {
        for name in included {
            push_unique(&mut projected, name);
        }
    }
    let needed: Vec<&str> = match attributes {
        Some(names) => names.to_vec(),
        None => definition.attributes.iter().map(|a| a.name.as_str()).collect(),
    };
    let mut missing = Vec::new();
    for name in needed {
        if !projected.iter().any(|p| p == name) {
            push_unique(&mut missing, name);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::IndexProjection {
        table: table.to_owned(),
        index: index_name.clone(),
        missing,
    })
}

/// DynamoDB's rule for a key condition: an equality on every partition-key attribute and, on the
/// sort-key attributes in order, conditions on a leading run of them (equalities, then at most
/// one range condition on the last, which [`KeyCondition`]'s shape guarantees) — no skipping.
pub(crate) fn check_key_condition(
    table: &str,
    index: Option<&str>,
    key: &KeyCondition,
    partition_key: &[&str],
    sort_key: &[&str],
) -> Result<()> {
    let mismatch = |expected: String, found: String| Error::InvalidKeyCondition {
        table: table.to_owned(),
        index: index.map(str::to_owned),
        expected,
        found,
    };
    let names = |n: &[&str]| n.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let mut given = key.partition_keys();
    let mut wanted = partition_key.to_vec();
    given.sort_unstable();
    wanted.sort_unstable();
    if given != wanted {
        let expected = match partition_key {
            [one] => format!("partition key `{one}`"),
            many => format!("an equality on each partition-key attribute {}", names(many)),
        };
        return Err(mismatch(expected, names(&key.partition_keys())));
    }
    let found = key.sort_keys();
    if found.is_empty() {
        return Ok(());
    }
    match sort_key {
        [] => Err(mismatch(
            "no sort-key condition (there is no sort key)".to_owned(),
            names(&found),
        )),
        [one] if found.len() == 1 && found[0] != *one => {
            Err(mismatch(format!("sort key `{one}`"), names(&found)))
        }
        many if !many.starts_with(&found) => Err(mismatch(
            format!(
                "conditions on a leading run of the sort-key attributes {}, in order, without skipping any",
                names(many)
            ),
            names(&found),
        )),
        _ => Ok(()),
    }
}

/// One page as the engine returned it (see [`Plan::fetch`]).
struct RawPage {
    items: PageItems,
    /// One key per item when per-item cursors are asked for; empty otherwise.
    cursor_keys: Vec<Item>,
    last_key: Option<Item>,
}

/// A decode error naming the table read (whatever name the type declares).
fn decode_error(table: &str, e: DecodeError) -> Error {
    Error::Decode(e.in_table(table))
}

impl<O> Plan<O> {
    /// DynamoDB's `Limit` for the next request: the page size, but never more than the items
    /// still wanted (`remaining`), so a request never reads an item the read would drop.
    fn request_limit(&self, remaining: Option<usize>) -> Option<u32> {
        let remaining = remaining.map(|r| u32::try_from(r).unwrap_or(u32::MAX));
        match (self.request.limit, remaining) {
            (Some(page), Some(left)) => Some(page.min(left)),
            (page, left) => page.or(left),
        }
    }

    /// How many items are still wanted after `returned` (`None`: no limit).
    fn remaining(&self, returned: usize) -> Option<usize> {
        self.limit.map(|l| l.saturating_sub(returned))
    }

    /// Whether another request may be sent after `pages` of them returned `returned` items.
    fn wants_more(&self, pages: usize, returned: usize) -> bool {
        self.max_pages.is_none_or(|max| pages < max) && self.remaining(returned) != Some(0)
    }

    fn page_request(
        &self,
        start: Option<Item>,
        segment: Option<(u32, u32)>,
        returned: usize,
    ) -> ReadPageRequest {
        let mut read = self.request.clone();
        read.limit = self.request_limit(self.remaining(returned));
        ReadPageRequest { read, start, segment }
    }
}

impl<O: Send + 'static> Plan<O> {
    /// Reads one page (asking for no more than the items still wanted after `returned`): the
    /// items as the engine returned them (full items when asked for), the key of each for its
    /// cursor (when per-item cursors are asked for) and the LastEvaluatedKey.
    async fn fetch(
        &self,
        start: Option<Item>,
        segment: Option<(u32, u32)>,
        returned: usize,
    ) -> Result<RawPage> {
        let page = self
            .client
            .engine()
            .read_page(self.page_request(start, segment, returned))
            .await?;
        let table = &self.request.table;
        if self.item_cursors.is_none() && self.full_keys.is_none() {
            return Ok(RawPage {
                items: page.items,
                cursor_keys: Vec::new(),
                last_key: page.last_key,
            });
        }
        let page_items = page.items.into_vec();
        let mut cursor_keys = match &self.item_cursors {
            Some(cursors) => page_items
                .iter()
                .map(|item| cursors.key_of(table, item))
                .collect::<Result<Vec<Item>>>()?,
            None => Vec::new(),
        };
        let items = match &self.full_keys {
            Some(keys) => {
                let full = self.full_items(keys, page_items).await?;
                // Items deleted between the two reads are left out, and their cursors with them.
                if !cursor_keys.is_empty() {
                    let mut found = full.iter().map(Option::is_some);
                    cursor_keys.retain(|_| found.next().unwrap_or(false));
                }
                PageItems::Sdk(full.into_iter().flatten().collect())
            }
            None => PageItems::Sdk(page_items),
        };
        Ok(RawPage {
            items,
            cursor_keys,
            last_key: page.last_key,
        })
    }

    /// Reads one page (asking for no more than the items still wanted after `returned`): the
    /// decoded items and the LastEvaluatedKey.
    async fn page(
        &self,
        start: Option<Item>,
        segment: Option<(u32, u32)>,
        returned: usize,
    ) -> Result<(Vec<O>, Option<Item>)> {
        let page = self.fetch(start, segment, returned).await?;
        let items = page
            .items
            .into_iter()
            .map(|item| self.decode(item))
            .collect::<Result<Vec<O>>>()?;
        Ok((items, page.last_key))
    }

    /// Reads one page, each item with the cursor that resumes the read right after it.
    async fn page_with_cursors(
        &self,
        start: Option<Item>,
        returned: usize,
    ) -> Result<(Vec<Edge<O>>, Option<Item>)> {
        let page = self.fetch(start, None, returned).await?;
        let table = &self.request.table;
        let index = self.item_cursors.as_ref().and_then(|c| c.index.as_deref());
        let edges = page
            .items
            .into_iter()
            .zip(page.cursor_keys)
            .map(|(item, key)| {
                Ok(Edge {
                    cursor: Cursor::encode(table, index, &key)?,
                    item: self.decode(item)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((edges, page.last_key))
    }

    /// Decodes one item, without the key attributes added only for its cursor.
    fn decode(&self, mut item: Item) -> Result<O> {
        if let Some(cursors) = &self.item_cursors {
            for name in &cursors.added {
                item.remove(name);
            }
        }
        if let Some(strict) = &self.strict {
            strict.check(self.definition, &self.request.table, &item)?;
        }
        (self.decode)(item).map_err(|e| decode_error(&self.request.table, e))
    }

    /// The full items of index items, in order, read by their table keys (`None` for an item
    /// deleted since the index was read).
    async fn full_items(&self, keys: &[String], items: Vec<Item>) -> Result<Vec<Option<Item>>> {
        let table = &self.request.table;
        let requests = items
            .into_iter()
            .map(|mut item| {
                let mut key = Item::with_capacity(keys.len());
                for name in keys {
                    let value = item
                        .remove(name)
                        .ok_or_else(|| decode_error(table, DecodeError::missing().at(table, name)))?;
                    key.insert(name.clone(), value);
                }
                Ok(GetItem {
                    table: table.clone(),
                    key,
                    consistent_read: self.request.consistent_read,
                    ..GetItem::default()
                })
            })
            .collect::<Result<Vec<_>>>()?;
        stream::iter(requests)
            .map(|request| self.client.engine().get_item(request))
            .buffered(FULL_ITEM_CONCURRENCY)
            .try_collect()
            .await
    }

    /// The pages of one segment (or of the whole read), as a stream of decoded item batches,
    /// up to the limit.
    fn pages(
        self: Arc<Self>,
        start: Option<Item>,
        segment: Option<(u32, u32)>,
    ) -> BoxStream<'static, Result<Vec<O>>> {
        stream::try_unfold((Some(start), 0usize, 0usize), move |(next, pages, returned)| {
            let plan = Arc::clone(&self);
            async move {
                let Some(start) = next else {
                    return Ok(None);
                };
                if !plan.wants_more(pages, returned) {
                    return Ok(None);
                }
                let (items, last) = plan.page(start, segment, returned).await?;
                let returned = returned + items.len();
                Ok(Some((items, (last.map(Some), pages + 1, returned))))
            }
        })
        .boxed()
    }

    fn items(self: Arc<Self>) -> BoxStream<'static, Result<O>> {
        let limit = self.limit;
        let batches = if self.segments > 1 {
            let total = self.segments;
            let concurrency = self.concurrency;
            let plan = Arc::clone(&self);
            stream::iter(0..total)
                .map(move |segment| Arc::clone(&plan).pages(None, Some((segment, total))))
                .flatten_unordered(concurrency)
                .boxed()
        } else {
            let start = self.start.clone();
            self.pages(start, None)
        };
        let items = batches
            .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
            .try_flatten();
        match limit {
            // Segments each stop at the limit; together they may find more.
            Some(limit) => items.take(limit).boxed(),
            None => items.boxed(),
        }
    }

    /// The items of one [`Read::page`]: one request, or, with a limit, requests until the limit
    /// is reached or the read ends; and where the next page starts.
    async fn limited_page(&self) -> Result<(Vec<O>, Option<Item>)> {
        let (mut items, mut last) = self.page(self.start.clone(), None, 0).await?;
        let mut pages = 1;
        while self.limit.is_some() && last.is_some() && self.wants_more(pages, items.len()) {
            let (more, next) = self.page(last.take(), None, items.len()).await?;
            items.extend(more);
            last = next;
            pages += 1;
        }
        Ok((items, last))
    }

    /// [`limited_page`](Self::limited_page) with a cursor for each item.
    async fn limited_page_with_cursors(&self) -> Result<(Vec<Edge<O>>, Option<Item>)> {
        let (mut items, mut last) = self.page_with_cursors(self.start.clone(), 0).await?;
        let mut pages = 1;
        while self.limit.is_some() && last.is_some() && self.wants_more(pages, items.len()) {
            let (more, next) = self.page_with_cursors(last.take(), items.len()).await?;
            items.extend(more);
            last = next;
            pages += 1;
        }
        Ok((items, last))
    }

    /// Counts the matching items of one segment (or of the whole read), up to the limit.
    async fn count(&self, segment: Option<(u32, u32)>) -> Result<usize> {
        let mut start = self.start.clone();
        let mut total = 0usize;
        let mut pages = 0usize;
        while self.wants_more(pages, total) {
            let page = self
                .client
                .engine()
                .read_page(self.page_request(start, segment, total))
                .await?;
            total += page.count;
            pages += 1;
            match page.last_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(total)
    }
}

impl<T, O, M> Read<T, O, M>
where
    T: Table,
    O: Send + 'static,
    M: ReadMode,
{
    /// Every matching item, paging transparently (up to [`max_pages`](Read::max_pages) pages).
    /// A parallel scan yields items in no particular order.
    pub fn stream(self) -> impl Stream<Item = Result<O>> + Send + Unpin + 'static {
        match self.plan(false, false) {
            Ok(plan) => Arc::new(plan).items(),
            Err(e) => stream::once(futures::future::ready(Err(e))).boxed(),
        }
    }

    /// Reads one page — one request, or with a [`limit`](Read::limit) as many as it takes to
    /// hold that many items — and its [`cursor`](Page::cursor), which resumes the read right
    /// after the last item returned, with [`start_after`](Read::start_after).
    pub async fn page(self) -> Result<Page<O>> {
        if self.segments > 1 {
            return Err(invalid_request(
                &self.table.name,
                self.index.as_deref(),
                "a parallel scan has no single cursor: stream, collect or count it instead",
            ));
        }
        let index = self.index.clone();
        let plan = self.plan(false, false)?;
        let (items, last) = plan.limited_page().await?;
        let cursor = last
            .map(|key| Cursor::encode(&plan.request.table, index.as_deref(), &key))
            .transpose()?;
        Ok(Page { items, cursor })
    }

    /// Reads one page like [`page`](Read::page), each item paired with the [`Cursor`] that
    /// resumes the read right after it (for GraphQL-style connections, where a client pages from
    /// any item it was shown). The page's own cursor resumes after the last item evaluated.
    ///
    /// The item cursors are the same kind as the page's: checked, and refused on another table or
    /// index. A read into a [`Projection`] also asks for the key attributes, which the cursors
    /// need (they are not passed to the projection type). A parallel scan is refused, as for
    /// [`page`](Read::page).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
    /// # #[derive(Debug, PartialEq, dynorm::Table)]
    /// # #[dynorm(table = "posts")]
    /// # struct Post { #[dynorm(partition_key)] feed: String, #[dynorm(sort_key)] n: u32 }
    /// let client = dynorm::Client::embedded()?;
    /// let posts = client.table::<Post>();
    /// posts.create().await?;
    /// for n in 0..5 {
    ///     posts.put(&Post { feed: "news".into(), n }).await?;
    /// }
    /// let page = posts.query_partition("news").page_with_cursors().await?;
    /// // The client was shown the first two posts and asks for what follows the second.
    /// let after = page.items[1].cursor.clone();
    /// let rest = posts.query_partition("news").start_after(after).all().await?;
    /// assert_eq!(rest.iter().map(|p| p.n).collect::<Vec<_>>(), [2, 3, 4]);
    /// # Ok(()) }
    /// ```
    pub async fn page_with_cursors(self) -> Result<Page<Edge<O>>> {
        if self.segments > 1 {
            return Err(invalid_request(
                &self.table.name,
                self.index.as_deref(),
                "a parallel scan has no single cursor: stream, collect or count it instead",
            ));
        }
        let index = self.index.clone();
        let plan = self.plan(false, true)?;
        let (items, last) = plan.limited_page_with_cursors().await?;
        let cursor = last
            .map(|key| Cursor::encode(&plan.request.table, index.as_deref(), &key))
            .transpose()?;
        Ok(Page { items, cursor })
    }

    /// Every matching item, in one vector (up to [`max_pages`](Read::max_pages) pages).
    pub async fn all(self) -> Result<Vec<O>> {
        self.stream().try_collect().await
    }

    /// How many items match (DynamoDB's `Select = COUNT`; no item is transferred), over all
    /// pages (up to [`max_pages`](Read::max_pages)) and all segments, at most
    /// [`limit`](Read::limit).
    pub async fn count(self) -> Result<usize> {
        let plan = Arc::new(self.plan(true, false)?);
        if plan.segments > 1 {
            let total = plan.segments;
            let counts: Vec<usize> = stream::iter(0..total)
                .map(|segment| {
                    let plan = Arc::clone(&plan);
                    async move { plan.count(Some((segment, total))).await }
                })
                .buffer_unordered(plan.concurrency)
                .try_collect()
                .await?;
            let sum: usize = counts.into_iter().sum();
            Ok(plan.limit.map_or(sum, |l| sum.min(l)))
        } else {
            plan.count(None).await
        }
    }
}

/// Where a paged read resumes: an opaque string, safe in a URL, to hand to an HTTP client and
/// take back.
///
/// It holds the LastEvaluatedKey (in DynamoDB JSON), the table and index it belongs to and a
/// checksum, base64url-encoded. A cursor that was altered, or that belongs to another table or
/// index, is refused with [`Error::InvalidCursor`]. The checksum detects changes, it is not a
/// signature: a client that rebuilds a cursor can choose where a read starts, within the same
/// table or index and key attributes — never more. Sign or encrypt cursors yourself if that
/// matters.
///
/// ```
/// let cursor: dynorm::query::Cursor = "eyJ0Ijoi".parse()?;
/// assert_eq!(cursor.as_str(), "eyJ0Ijoi");
/// # Ok::<(), std::convert::Infallible>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

const CURSOR_VERSION: u64 = 1;

impl Cursor {
    /// A cursor from its string (checked when it is used).
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The cursor's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cursor's text.
    pub fn into_string(self) -> String {
        self.0
    }

    pub(crate) fn encode(table: &str, index: Option<&str>, key: &Item) -> Result<Self> {
        let mut attributes = serde_json::Map::new();
        for (name, value) in key {
            let (tag, text) = match value {
                AttributeValue::S(s) => ("S", s.clone()),
                AttributeValue::N(n) => ("N", n.clone()),
                AttributeValue::B(b) => ("B", base64::engine::general_purpose::STANDARD.encode(b.as_ref())),
                other => {
                    return Err(Error::InvalidCursor {
                        table: table.to_owned(),
                        index: index.map(str::to_owned),
                        reason: format!(
                            "the engine returned a LastEvaluatedKey with a {} value for `{name}`",
                            crate::attribute::type_name(other)
                        ),
                    });
                }
            };
            let mut typed = serde_json::Map::new();
            typed.insert(tag.to_owned(), serde_json::Value::String(text));
            attributes.insert(name.clone(), serde_json::Value::Object(typed));
        }
        let payload = serde_json::json!({
            "v": CURSOR_VERSION,
            "t": table,
            "i": index,
            "k": attributes,
        });
        let json = payload.to_string().into_bytes();
        let mut bytes = checksum(&json).to_be_bytes().to_vec();
        bytes.extend_from_slice(&json);
        Ok(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    pub(crate) fn decode(
        &self,
        table: &str,
        index: Option<&str>,
        definition: &TableDefinition,
        key_attributes: &[String],
    ) -> Result<Item> {
        let refuse = |reason: String| Error::InvalidCursor {
            table: table.to_owned(),
            index: index.map(str::to_owned),
            reason,
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(self.0.as_bytes())
            .map_err(|_| refuse("it is not base64url text".to_owned()))?;
        let Some((sum, json)) = bytes.split_first_chunk::<8>() else {
            return Err(refuse("it is too short".to_owned()));
        };
        if u64::from_be_bytes(*sum) != checksum(json) {
            return Err(refuse("its checksum does not match (it was altered)".to_owned()));
        }
        let payload: serde_json::Value =
            serde_json::from_slice(json).map_err(|_| refuse("its content is not JSON".to_owned()))?;
        if payload.get("v").and_then(serde_json::Value::as_u64) != Some(CURSOR_VERSION) {
            return Err(refuse("it was made by an unknown cursor version".to_owned()));
        }
        let cursor_table = payload.get("t").and_then(serde_json::Value::as_str);
        let cursor_index = payload.get("i").and_then(serde_json::Value::as_str);
        if cursor_table != Some(table) || cursor_index != index {
            let place = |t: Option<&str>, i: Option<&str>| match i {
                Some(i) => format!("index `{i}` of table `{}`", t.unwrap_or("?")),
                None => format!("table `{}`", t.unwrap_or("?")),
            };
            return Err(refuse(format!(
                "it belongs to {}, not {}",
                place(cursor_table, cursor_index),
                place(Some(table), index)
            )));
        }
        let Some(attributes) = payload.get("k").and_then(serde_json::Value::as_object) else {
            return Err(refuse("it holds no key".to_owned()));
        };
        let mut found: Vec<&str> = attributes.keys().map(String::as_str).collect();
        found.sort_unstable();
        let mut expected: Vec<&str> = key_attributes.iter().map(String::as_str).collect();
        expected.sort_unstable();
        if found != expected {
            return Err(refuse(format!(
                "its key has attributes [{}], expected [{}]",
                found.join(", "),
                expected.join(", ")
            )));
        }
        let mut key = Item::with_capacity(attributes.len());
        for (name, typed) in attributes {
            let value = typed
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.iter().next())
                .and_then(|(tag, text)| Some((tag.as_str(), text.as_str()?)));
            let value = match value {
                Some(("S", text)) => AttributeValue::S(text.to_owned()),
                Some(("N", text)) => AttributeValue::N(text.to_owned()),
                Some(("B", text)) => AttributeValue::B(aws_smithy_types::Blob::new(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|_| refuse(format!("key attribute `{name}` is not valid base64")))?,
                )),
                _ => {
                    return Err(refuse(format!(
                        "key attribute `{name}` is not an S, N or B value"
                    )));
                }
            };
            if let Some(kind) = definition.key_type(name) {
                let stored = crate::attribute::type_name(&value);
                if kind.as_str() != stored {
                    return Err(refuse(format!(
                        "key attribute `{name}` holds {stored}, but the definition declares {}",
                        kind.as_str()
                    )));
                }
            }
            key.insert(name.clone(), value);
        }
        Ok(key)
    }
}

/// FNV-1a, 64 bits: detects a changed cursor (not a signature).
fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cursor").field(&self.0).finish()
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Cursor {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl From<String> for Cursor {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<Cursor> for String {
    fn from(cursor: Cursor) -> Self {
        cursor.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_detects_a_changed_byte() {
        assert_ne!(checksum(b"{\"t\":\"a\"}"), checksum(b"{\"t\":\"b\"}"));
    }
}

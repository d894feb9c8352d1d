//! A consumer of a table's change stream on any engine: shard discovery, iterators renewed when
//! they expire, closed shards followed to their children (a child only after its parent), a
//! checkpoint to resume from, and batches as an async stream that backs off while the stream is
//! quiet.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use serde::{Deserialize, Serialize};

use super::change::{Change, ChangeRecord};
use super::record::StreamRecord;
use crate::engine::stream::{IteratorStart, StreamBackend};
use crate::{Client, Error, Result, Table};

/// Where a consumer stands: per shard, the sequence number of the last record it handed out,
/// and the shards it read to their end. Store it (it is serde data; [`to_json`](Self::to_json))
/// after processing a batch, and [`resume`](ChangeStream::resume) from it after a restart:
/// reading starts just after each shard's stored sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The last sequence number handed out, per shard id.
    pub shards: BTreeMap<String, String>,
    /// The shards read to their end (closed by DynamoDB).
    pub finished: BTreeSet<String>,
}

impl Checkpoint {
    /// The checkpoint as JSON text.
    pub fn to_json(&self) -> String {
        // A map of strings and a set of strings always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A checkpoint from [`to_json`](Self::to_json)'s text; refused with
    /// [`Error::InvalidRequest`] naming the table when it is not one.
    pub fn from_json(table: &str, text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::InvalidRequest {
            table: table.to_owned(),
            index: None,
            message: format!("not a stream checkpoint: {e}"),
        })
    }

    /// The last sequence number handed out from `shard`.
    pub fn sequence_number(&self, shard: &str) -> Option<&str> {
        self.shards.get(shard).map(String::as_str)
    }
}

/// Where reading starts in shards the checkpoint does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartAt {
    /// The oldest record the stream keeps (24 hours on DynamoDB).
    #[default]
    TrimHorizon,
    /// Only records written from now on.
    Latest,
}

/// Records read from one shard, in order, and the checkpoint once they are processed.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The shard read.
    pub shard: String,
    /// The records, in the shard's order.
    pub records: Vec<StreamRecord>,
    /// The consumer's checkpoint including these records: store it after processing them.
    pub checkpoint: Checkpoint,
}

impl Batch {
    /// The records decoded into changes of `T` ([`Change::from_record`]); the first record that
    /// does not decode is the error.
    pub fn changes<T: Table>(&self) -> Result<Vec<ChangeRecord<Change<T>>>> {
        self.records
            .iter()
            .map(|r| Change::from_record(r).map(|c| ChangeRecord::new(r, c)))
            .collect()
    }
}

/// How long a consumer waits when the stream has nothing new: from `min`, doubling, up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait.
    pub min: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            min: Duration::from_millis(50),
            max: Duration::from_secs(2),
        }
    }
}

#[derive(Debug)]
struct Shard {
    id: String,
    parent: Option<String>,
    /// Where the first iterator starts when the checkpoint does not name the shard.
    start: IteratorStart,
    iterator: Option<String>,
}

/// Reads a table's change stream.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::stream::{Change, ChangeStream};
/// use dynorm::{Client, Table};
///
/// #[derive(Table, Debug, Clone, PartialEq)]
/// #[dynorm(table = "users", stream = "new_and_old_images")]
/// struct User {
///     #[dynorm(partition_key)]
///     id: String,
///     name: String,
/// }
///
/// let db = Client::embedded()?;
/// db.table::<User>().create().await?;
/// let mut stream = ChangeStream::of::<User>(&db)?;
/// db.table::<User>().put(&User { id: "u1".into(), name: "Ada".into() }).await?;
///
/// let batch = stream.next_batch().await?.expect("one record");
/// let changes = batch.changes::<User>()?;
/// assert!(matches!(&changes[0].change, Change::Insert(new) if new.item().unwrap().name == "Ada"));
/// // store `batch.checkpoint.to_json()`; later: `ChangeStream::of::<User>(&db)?.resume(checkpoint)`
/// assert!(stream.next_batch().await?.is_none()); // nothing newer
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ChangeStream {
    backend: Arc<dyn StreamBackend>,
    table: String,
    /// The table's name on the engine (the client's [`TableNames`](crate::TableNames)).
    physical: String,
    arn: Option<String>,
    start: StartAt,
    limit: Option<i32>,
    backoff: Backoff,
    shards: Vec<Shard>,
    checkpoint: Checkpoint,
    /// A shard was read to its end since the shards were last listed: list them again to find
    /// its children.
    stale: bool,
}

impl ChangeStream {
    /// The stream of table `table` on the client's engine. On a client of the embedded engine
    /// it reads the engine's stream directly; on a client of DynamoDB or `dynorm serve`, through
    /// its DynamoDB Streams client (feature `aws-streams`: [`Client::from_env`] makes one,
    /// `Client::with_streams` gives one). A client with neither is [`Error::InvalidRequest`].
    pub fn new(client: &Client, table: impl Into<String>) -> Result<Self> {
        let table = table.into();
        let backend = stream_backend(client, &table)?;
        let mut stream = Self::with_backend(backend, table);
        stream.physical = client.physical_table_name(&stream.table);
        Ok(stream)
    }

    /// The stream of `T`'s table on the client's engine.
    pub fn of<T: Table>(client: &Client) -> Result<Self> {
        Self::new(client, T::definition().name.clone())
    }

    /// The stream of table `table` read through a DynamoDB Streams client (DynamoDB, `dynorm
    /// serve` or any compatible endpoint). `table` is the physical name: there is no
    /// [`Client`] whose [`TableNames`](crate::TableNames) could map it
    /// ([`Client::physical_table_name`] gives it).
    #[cfg(feature = "aws-streams")]
    pub fn from_sdk(sdk: aws_sdk_dynamodbstreams::Client, table: impl Into<String>) -> Self {
        let backend = Arc::new(crate::engine::stream_remote::RemoteStreams::new(sdk));
        Self::with_backend(backend, table.into())
    }

    fn with_backend(backend: Arc<dyn StreamBackend>, table: String) -> Self {
        Self {
            backend,
            physical: table.clone(),
            table,
            arn: None,
            start: StartAt::default(),
            limit: None,
            backoff: Backoff::default(),
            shards: Vec::new(),
            checkpoint: Checkpoint::default(),
            stale: false,
        }
    }

    /// Where reading starts in shards the checkpoint does not name (default: the oldest record).
    #[must_use]
    pub fn start_at(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// Resumes just after the checkpoint's sequence numbers.
    #[must_use]
    pub fn resume(mut self, checkpoint: Checkpoint) -> Self {
        self.checkpoint = checkpoint;
        self
    }

    /// At most this many records per batch (DynamoDB allows up to 1,000).
    #[must_use]
    pub fn limit(mut self, records: i32) -> Self {
        self.limit = Some(records);
        self
    }

    /// How long [`batches`](Self::batches) waits while the stream is quiet.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The table read.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Where the consumer stands.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The next records of the first shard that has any, or `None` when no readable shard has
    /// anything new. A shard is readable once its parent has been read to its end.
    pub async fn next_batch(&mut self) -> Result<Option<Batch>> {
        if self.arn.is_none() || self.stale {
            self.discover().await?;
        }
        for i in 0..self.shards.len() {
            if !self.readable(i) {
                continue;
            }
            let page = self.read_shard(i).await?;
            let id = self.shards[i].id.clone();
            match page.next_iterator {
                Some(next) => self.shards[i].iterator = Some(next),
                None => {
                    self.checkpoint.finished.insert(id.clone());
                    self.stale = true;
                }
            }
            if let Some(last) = page.records.last() {
                self.checkpoint
                    .shards
                    .insert(id.clone(), last.sequence_number.clone());
                return Ok(Some(Batch {
                    shard: id,
                    records: page.records,
                    checkpoint: self.checkpoint.clone(),
                }));
            }
        }
        Ok(None)
    }

    /// Every record available now, batch after batch, until no shard has anything new.
    pub async fn read_available(&mut self) -> Result<Vec<StreamRecord>> {
        let mut records = Vec::new();
        while let Some(batch) = self.next_batch().await? {
            records.extend(batch.records);
        }
        Ok(records)
    }

    /// The batches as an async stream: it waits (backing off from [`Backoff::min`] to
    /// [`Backoff::max`]) while the stream is quiet, ends once every shard has been read to its
    /// end, and ends after yielding an error (resume from the last checkpoint).
    pub fn batches(self) -> impl Stream<Item = Result<Batch>> + Send {
        futures::stream::unfold(Some(self), |state| async move {
            let mut consumer = state?;
            let mut wait = consumer.backoff.min;
            loop {
                match consumer.next_batch().await {
                    Ok(Some(batch)) => return Some((Ok(batch), Some(consumer))),
                    Ok(None) if consumer.is_finished() => return None,
                    Ok(None) => {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(consumer.backoff.max);
                    }
                    Err(e) => return Some((Err(e), None)),
                }
            }
        })
    }

    /// Whether every shard listed has been read to its end (the stream was disabled or the
    /// table deleted, and everything read).
    fn is_finished(&self) -> bool {
        !self.stale
            && !self.shards.is_empty()
            && self
                .shards
                .iter()
                .all(|s| self.checkpoint.finished.contains(&s.id))
    }

    fn readable(&self, i: usize) -> bool {
        let shard = &self.shards[i];
        if self.checkpoint.finished.contains(&shard.id) {
            return false;
        }
        // A child waits for its parent to be read to its end, so a key's changes stay in order;
        // a parent no longer listed was trimmed away.
        match &shard.parent {
            Some(parent) => {
                self.checkpoint.finished.contains(parent) || !self.shards.iter().any(|s| &s.id == parent)
            }
            None => true,
        }
    }

    /// Lists the stream's shards, every page, adding the ones not known yet. Shards found after
    /// the first listing are children of split or closed shards and start at their beginning.
    async fn discover(&mut self) -> Result<()> {
        let first = self.arn.is_none();
        let arn = match &self.arn {
            Some(arn) => arn.clone(),
            None => self.backend.stream_arn(&self.physical).await?,
        };
        let mut start_shard: Option<String> = None;
        loop {
            let page = self
                .backend
                .describe(&self.table, &arn, start_shard.as_deref())
                .await?;
            for shard in page.shards {
                if self.shards.iter().any(|s| s.id == shard.id) {
                    continue;
                }
                let start = match (first, self.start) {
                    (true, StartAt::Latest) => IteratorStart::Latest,
                    _ => IteratorStart::TrimHorizon,
                };
                self.shards.push(Shard {
                    id: shard.id,
                    parent: shard.parent,
                    start,
                    iterator: None,
                });
            }
            match page.next_shard {
                Some(next) => start_shard = Some(next),
                None => break,
            }
        }
        self.arn = Some(arn);
        self.stale = false;
        Ok(())
    }

    /// One GetRecords on shard `i`, renewing its iterator once if it expired.
    async fn read_shard(&mut self, i: usize) -> Result<crate::engine::stream::RecordsPage> {
        let iterator = match self.shards[i].iterator.take() {
            Some(iterator) => iterator,
            None => self.new_iterator(i).await?,
        };
        let shard = self.shards[i].id.clone();
        match self
            .backend
            .records(&self.table, &shard, iterator, self.limit)
            .await
        {
            Err(Error::StreamIteratorExpired { .. }) => {
                let renewed = self.new_iterator(i).await?;
                self.backend
                    .records(&self.table, &shard, renewed, self.limit)
                    .await
            }
            other => other,
        }
    }

    /// An iterator just after the checkpoint's sequence number for shard `i`, or at the shard's
    /// starting point.
    async fn new_iterator(&self, i: usize) -> Result<String> {
        let shard = &self.shards[i];
        let start = match self.checkpoint.sequence_number(&shard.id) {
            Some(sequence_number) => IteratorStart::After(sequence_number.to_owned()),
            None => shard.start.clone(),
        };
        let arn = self.arn.as_deref().unwrap_or_default();
        self.backend.iterator(&self.table, arn, &shard.id, start).await
    }
}

/// The client's streams: the embedded engine's, its DynamoDB Streams client's, or a typed error.
fn stream_backend(client: &Client, table: &str) -> Result<Arc<dyn StreamBackend>> {
    #[cfg(feature = "embedded")]
    if let Some(db) = client.database() {
        return Ok(Arc::new(crate::engine::stream_embedded::EmbeddedStreams::new(
            db.clone(),
        )));
    }
    #[cfg(feature = "aws-streams")]
    if let Some(sdk) = client.streams_sdk() {
        return Ok(Arc::new(crate::engine::stream_remote::RemoteStreams::new(
            sdk.clone(),
        )));
    }
    let _ = client;
    Err(Error::InvalidRequest {
        table: table.to_owned(),
        index: None,
        message: "this client reads no change streams: it is not on the embedded engine and has no \
                  DynamoDB Streams client (`Client::from_env` or `Client::with_streams`, feature `aws-streams`)"
            .to_owned(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! What the embedded engine never does (its one shard never closes, its iterators never
    //! expire) played by a scripted backend: a parent shard that closes, a child read after it,
    //! an iterator that expires and is renewed from the checkpoint.

    use std::sync::Mutex;

    use super::*;
    use crate::engine::stream::{RecordsPage, ShardDescription, StreamDescription};
    use crate::future::BoxFuture;

    /// Shards `parent` (records 1, 2, then closed) and `child` (record 3, open). The first
    /// GetRecords on `parent` after record 1 meets an expired iterator.
    #[derive(Debug, Default)]
    struct Scripted {
        calls: Mutex<Vec<String>>,
        expired_once: Mutex<bool>,
    }

    fn record(shard: &str, n: u32) -> StreamRecord {
        StreamRecord {
            table: "t".into(),
            event_id: format!("e{n}"),
            event_name: "INSERT".into(),
            sequence_number: format!("{n:021}"),
            keys: [("id".to_owned(), crate::AttributeValue::S(format!("{shard}-{n}")))].into(),
            new_image: None,
            old_image: None,
            view_type: None,
            approximate_creation: None,
        }
    }

    impl Scripted {
        fn log(&self, call: String) {
            self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(call);
        }

        /// Iterators are `shard@position` (the last sequence number read, 0 for none).
        fn page(&self, iterator: &str) -> Result<RecordsPage> {
            let (shard, position) = iterator.split_once('@').unwrap_or_default();
            let position: u32 = position.parse().unwrap_or_default();
            let mut expired = self.expired_once.lock().unwrap_or_else(|e| e.into_inner());
            if shard == "parent" && position == 1 && !*expired {
                *expired = true;
                return Err(Error::StreamIteratorExpired {
                    table: "t".into(),
                    shard: shard.into(),
                    message: "ExpiredIteratorException".into(),
                });
            }
            let (numbers, closed): (&[u32], bool) = match shard {
                "parent" => (&[1, 2], true),
                _ => (&[3], false),
            };
            // One record per call, so the renewal happens between records.
            let next: Vec<u32> = numbers
                .iter()
                .copied()
                .filter(|n| *n > position)
                .take(1)
                .collect();
            let last = next.last().copied().unwrap_or(position);
            let done = closed && numbers.last() == Some(&last);
            Ok(RecordsPage {
                records: next.iter().map(|n| record(shard, *n)).collect(),
                next_iterator: (!done).then(|| format!("{shard}@{last}")),
            })
        }
    }

    impl StreamBackend for Scripted {
        fn stream_arn<'a>(&'a self, _table: &'a str) -> BoxFuture<'a, Result<String>> {
            Box::pin(async { Ok("arn".to_owned()) })
        }

        fn describe<'a>(
            &'a self,
            _table: &'a str,
            _arn: &'a str,
            start: Option<&'a str>,
        ) -> BoxFuture<'a, Result<StreamDescription>> {
            // Two pages: the parent, then the child.
            let (shard, parent, next) = match start {
                None => ("parent", None, Some("parent".to_owned())),
                Some(_) => ("child", Some("parent".to_owned()), None),
            };
            Box::pin(async move {
                Ok(StreamDescription {
                    view_type: None,
                    shards: vec![ShardDescription {
                        id: shard.into(),
                        parent,
                    }],
                    next_shard: next,
                })
            })
        }

        fn iterator<'a>(
            &'a self,
            _table: &'a str,
            _arn: &'a str,
            shard: &'a str,
            start: IteratorStart,
        ) -> BoxFuture<'a, Result<String>> {
            self.log(format!("iterator {shard} {start:?}"));
            let position = match start {
                IteratorStart::After(s) => s.parse::<u32>().unwrap_or_default(),
                _ => 0,
            };
            Box::pin(async move { Ok(format!("{shard}@{position}")) })
        }

        fn records<'a>(
            &'a self,
            _table: &'a str,
            _shard: &'a str,
            iterator: String,
            _limit: Option<i32>,
        ) -> BoxFuture<'a, Result<RecordsPage>> {
            Box::pin(std::future::ready(self.page(&iterator)))
        }
    }

    #[tokio::test]
    async fn a_closed_parent_is_read_to_its_end_before_its_child_and_expired_iterators_are_renewed() {
        let backend = Arc::new(Scripted::default());
        let mut stream = ChangeStream::with_backend(backend.clone(), "t".to_owned());
        let mut order = Vec::new();
        while let Some(batch) = stream.next_batch().await.unwrap() {
            order.extend(batch.records.iter().map(|r| r.keys["id"].as_s().unwrap().clone()));
        }
        assert_eq!(order, ["parent-1", "parent-2", "child-3"]);
        let calls = backend.calls.lock().unwrap().clone();
        assert_eq!(
            calls,
            [
                "iterator parent TrimHorizon",
                // renewed just after the last record handed out
                "iterator parent After(\"000000000000000000001\")",
                "iterator child TrimHorizon",
            ]
        );
        assert!(stream.checkpoint().finished.contains("parent"));
        assert_eq!(
            stream.checkpoint().sequence_number("child"),
            Some("000000000000000000003")
        );
    }

    #[tokio::test]
    async fn a_resumed_consumer_skips_finished_shards_and_starts_after_the_checkpoint() {
        let backend = Arc::new(Scripted::default());
        let mut checkpoint = Checkpoint::default();
        checkpoint.finished.insert("parent".into());
        let mut stream = ChangeStream::with_backend(backend.clone(), "t".to_owned()).resume(checkpoint);
        let records = stream.read_available().await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].keys["id"].as_s().unwrap(), "child-3");
        assert_eq!(
            backend.calls.lock().unwrap().clone(),
            ["iterator child TrimHorizon"]
        );
    }
}

//! The engine boundary for change streams: [`StreamBackend`], answered by the embedded engine's
//! stream API directly or by DynamoDB Streams through `aws-sdk-dynamodbstreams`.
//!
//! Streams are a separate API from the table operations (their own service, their own SDK
//! client), so they have their own small trait beside [`Backend`](super::Backend) rather than
//! new variants of every request.

use std::fmt;

use crate::definition::StreamViewType;
use crate::future::BoxFuture;
use crate::stream::StreamRecord;
use crate::{Error, Result};

/// One shard of a stream. Whether it is closed is learnt by reading it to its end (GetRecords
/// gives no next iterator): dynoxide reports an ending sequence number on its open shard.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShardDescription {
    pub(crate) id: String,
    /// The shard this one continues (after a split), if it is still listed.
    pub(crate) parent: Option<String>,
}

/// A page of a stream's description.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamDescription {
    pub(crate) view_type: Option<StreamViewType>,
    pub(crate) shards: Vec<ShardDescription>,
    /// Where the next page of shards starts (`LastEvaluatedShardId`).
    pub(crate) next_shard: Option<String>,
}

/// Where a shard iterator starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IteratorStart {
    /// The oldest record kept.
    TrimHorizon,
    /// Just after the newest record.
    Latest,
    /// Just after this sequence number.
    After(String),
}

/// What one GetRecords call gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecordsPage {
    pub(crate) records: Vec<StreamRecord>,
    /// The iterator to read on with; `None` once a closed shard has been read to its end.
    pub(crate) next_iterator: Option<String>,
}

/// An engine that serves change streams. Errors are mapped to [`crate::Error`] like the table
/// operations', plus [`crate::Error::StreamIteratorExpired`] for an iterator to renew.
pub(crate) trait StreamBackend: Send + Sync + fmt::Debug {
    /// The ARN of the table's current stream.
    fn stream_arn<'a>(&'a self, table: &'a str) -> BoxFuture<'a, Result<String>>;

    /// One page of the stream's shards, from after `start_shard`.
    fn describe<'a>(
        &'a self,
        table: &'a str,
        arn: &'a str,
        start_shard: Option<&'a str>,
    ) -> BoxFuture<'a, Result<StreamDescription>>;

    /// A shard iterator.
    fn iterator<'a>(
        &'a self,
        table: &'a str,
        arn: &'a str,
        shard: &'a str,
        start: IteratorStart,
    ) -> BoxFuture<'a, Result<String>>;

    /// The next records of a shard.
    fn records<'a>(
        &'a self,
        table: &'a str,
        shard: &'a str,
        iterator: String,
        limit: Option<i32>,
    ) -> BoxFuture<'a, Result<RecordsPage>>;
}

/// A table without a stream (or no such table).
pub(crate) fn no_stream(table: &str) -> Error {
    Error::TableNotFound {
        table: table.to_owned(),
        message: "the table has no stream: declare one, e.g. `#[dynorm(stream = \"new_and_old_images\")]`"
            .to_owned(),
    }
}

//! The embedded engine's change streams: dynoxide's stream API called directly.
//!
//! dynoxide keeps one shard per table that never closes, and its iterators do not expire, so a
//! consumer over it never meets a split or a renewal; the consumer's handling of both is the same
//! code that reads DynamoDB.

use chrono::{TimeZone, Utc};
use dynoxide::Database;
use dynoxide::actions::{describe_stream, get_records, get_shard_iterator, list_streams};

use super::convert::item_from_dynoxide;
use super::error_map::from_dynoxide;
use super::stream::{
    IteratorStart, RecordsPage, ShardDescription, StreamBackend, StreamDescription, no_stream,
};
use crate::definition::StreamViewType;
use crate::future::BoxFuture;
use crate::stream::StreamRecord;
use crate::{Error, Result};

/// dynoxide's streams, in process.
#[derive(Clone)]
pub(crate) struct EmbeddedStreams {
    db: Database,
}

impl std::fmt::Debug for EmbeddedStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmbeddedStreams")
    }
}

impl EmbeddedStreams {
    pub(crate) fn new(db: Database) -> Self {
        Self { db }
    }

    fn arn_of(&self, table: &str) -> Result<String> {
        let request = list_streams::ListStreamsRequest {
            table_name: Some(table.to_owned()),
            ..Default::default()
        };
        let answer = self
            .db
            .list_streams(request)
            .map_err(|e| from_dynoxide(table, e))?;
        answer
            .streams
            .into_iter()
            .find(|s| s.table_name == table)
            .map(|s| s.stream_arn)
            .ok_or_else(|| no_stream(table))
    }

    fn describe_now(&self, table: &str, arn: &str, start: Option<&str>) -> Result<StreamDescription> {
        let request = describe_stream::DescribeStreamRequest {
            stream_arn: arn.to_owned(),
            exclusive_start_shard_id: start.map(str::to_owned),
            limit: None,
        };
        let answer = self
            .db
            .describe_stream(request)
            .map_err(|e| from_dynoxide(table, e))?;
        let description = answer.stream_description;
        Ok(StreamDescription {
            view_type: StreamViewType::from_name(&description.stream_view_type),
            shards: description
                .shards
                .into_iter()
                .map(|s| ShardDescription {
                    id: s.shard_id,
                    parent: None,
                })
                .collect(),
            next_shard: None,
        })
    }

    fn iterator_now(&self, table: &str, arn: &str, shard: &str, start: IteratorStart) -> Result<String> {
        let (kind, sequence_number) = match start {
            IteratorStart::TrimHorizon => ("TRIM_HORIZON", None),
            IteratorStart::Latest => ("LATEST", None),
            IteratorStart::After(s) => ("AFTER_SEQUENCE_NUMBER", Some(s)),
        };
        let request = get_shard_iterator::GetShardIteratorRequest {
            stream_arn: arn.to_owned(),
            shard_id: shard.to_owned(),
            shard_iterator_type: kind.to_owned(),
            sequence_number,
        };
        let answer = self
            .db
            .get_shard_iterator(request)
            .map_err(|e| from_dynoxide(table, e))?;
        answer.shard_iterator.ok_or_else(|| Error::Transport {
            table: table.to_owned(),
            message: format!("GetShardIterator gave no iterator for shard `{shard}`"),
        })
    }

    fn records_now(&self, table: &str, iterator: String, limit: Option<i32>) -> Result<RecordsPage> {
        let request = get_records::GetRecordsRequest {
            shard_iterator: iterator,
            limit: limit.and_then(|l| usize::try_from(l).ok()),
        };
        let answer = self
            .db
            .get_records(request)
            .map_err(|e| from_dynoxide(table, e))?;
        Ok(RecordsPage {
            records: answer.records.into_iter().map(|r| record(table, r)).collect(),
            next_iterator: answer.next_shard_iterator,
        })
    }
}

fn record(table: &str, r: get_records::Record) -> StreamRecord {
    let d = r.dynamodb;
    let seconds = d.approximate_creation_date_time;
    StreamRecord {
        table: table.to_owned(),
        event_id: r.event_id,
        event_name: r.event_name,
        sequence_number: d.sequence_number,
        keys: item_from_dynoxide(d.keys),
        new_image: d.new_image.map(item_from_dynoxide),
        old_image: d.old_image.map(item_from_dynoxide),
        view_type: StreamViewType::from_name(&d.stream_view_type),
        approximate_creation: seconds_to_time(seconds),
    }
}

/// Epoch seconds (with a fraction) as a date-time, when representable.
pub(crate) fn seconds_to_time(seconds: f64) -> Option<chrono::DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    let millis = (seconds * 1000.0).round();
    // Out of `i64`'s range the cast saturates, and chrono refuses it below.
    Utc.timestamp_millis_opt(millis as i64).single()
}

impl StreamBackend for EmbeddedStreams {
    fn stream_arn<'a>(&'a self, table: &'a str) -> BoxFuture<'a, Result<String>> {
        Box::pin(std::future::ready(self.arn_of(table)))
    }

    fn describe<'a>(
        &'a self,
        table: &'a str,
        arn: &'a str,
        start_shard: Option<&'a str>,
    ) -> BoxFuture<'a, Result<StreamDescription>> {
        Box::pin(std::future::ready(self.describe_now(table, arn, start_shard)))
    }

    fn iterator<'a>(
        &'a self,
        table: &'a str,
        arn: &'a str,
        shard: &'a str,
        start: IteratorStart,
    ) -> BoxFuture<'a, Result<String>> {
        Box::pin(std::future::ready(self.iterator_now(table, arn, shard, start)))
    }

    fn records<'a>(
        &'a self,
        table: &'a str,
        _shard: &'a str,
        iterator: String,
        limit: Option<i32>,
    ) -> BoxFuture<'a, Result<RecordsPage>> {
        Box::pin(std::future::ready(self.records_now(table, iterator, limit)))
    }
}

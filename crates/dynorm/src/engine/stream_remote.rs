//! DynamoDB Streams (or `dynorm serve`, or any compatible endpoint) through
//! `aws-sdk-dynamodbstreams`.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodbstreams as streams;
use streams::types::{AttributeValue as StreamValue, ShardIteratorType};

use super::error_map::from_sdk;
use super::stream::{
    IteratorStart, RecordsPage, ShardDescription, StreamBackend, StreamDescription, no_stream,
};
use crate::definition::StreamViewType;
use crate::future::BoxFuture;
use crate::stream::StreamRecord;
use crate::{AttributeValue, Error, Item, Result};

/// A DynamoDB Streams client.
#[derive(Clone, Debug)]
pub(crate) struct RemoteStreams {
    sdk: streams::Client,
}

impl RemoteStreams {
    pub(crate) fn new(sdk: streams::Client) -> Self {
        Self { sdk }
    }

    async fn arn_of(&self, table: &str) -> Result<String> {
        let answer = self
            .sdk
            .list_streams()
            .table_name(table)
            .send()
            .await
            .map_err(|e| from_sdk(table, e))?;
        answer
            .streams()
            .iter()
            .find(|s| s.table_name() == Some(table))
            .and_then(|s| s.stream_arn().map(str::to_owned))
            .ok_or_else(|| no_stream(table))
    }

    async fn describe_now(&self, table: &str, arn: &str, start: Option<&str>) -> Result<StreamDescription> {
        let answer = self
            .sdk
            .describe_stream()
            .stream_arn(arn)
            .set_exclusive_start_shard_id(start.map(str::to_owned))
            .send()
            .await
            .map_err(|e| from_sdk(table, e))?;
        let Some(description) = answer.stream_description() else {
            return Err(Error::Transport {
                table: table.to_owned(),
                message: "DescribeStream gave no description".to_owned(),
            });
        };
        Ok(StreamDescription {
            view_type: description
                .stream_view_type()
                .and_then(|v| StreamViewType::from_name(v.as_str())),
            shards: description
                .shards()
                .iter()
                .filter_map(|s| {
                    Some(ShardDescription {
                        id: s.shard_id()?.to_owned(),
                        parent: s.parent_shard_id().map(str::to_owned),
                    })
                })
                .collect(),
            next_shard: description.last_evaluated_shard_id().map(str::to_owned),
        })
    }

    async fn iterator_now(
        &self,
        table: &str,
        arn: &str,
        shard: &str,
        start: IteratorStart,
    ) -> Result<String> {
        let (kind, sequence_number) = match start {
            IteratorStart::TrimHorizon => (ShardIteratorType::TrimHorizon, None),
            IteratorStart::Latest => (ShardIteratorType::Latest, None),
            IteratorStart::After(s) => (ShardIteratorType::AfterSequenceNumber, Some(s)),
        };
        let answer = self
            .sdk
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(shard)
            .shard_iterator_type(kind)
            .set_sequence_number(sequence_number)
            .send()
            .await
            .map_err(|e| stream_error(table, shard, e))?;
        answer
            .shard_iterator()
            .map(str::to_owned)
            .ok_or_else(|| Error::Transport {
                table: table.to_owned(),
                message: format!("GetShardIterator gave no iterator for shard `{shard}`"),
            })
    }

    async fn records_now(
        &self,
        table: &str,
        shard: &str,
        iterator: String,
        limit: Option<i32>,
    ) -> Result<RecordsPage> {
        let answer = self
            .sdk
            .get_records()
            .shard_iterator(iterator)
            .set_limit(limit)
            .send()
            .await
            .map_err(|e| stream_error(table, shard, e))?;
        Ok(RecordsPage {
            records: answer.records().iter().map(|r| record(table, r)).collect(),
            next_iterator: answer.next_shard_iterator().map(str::to_owned),
        })
    }
}

/// An expired iterator or trimmed data as [`Error::StreamIteratorExpired`], so the consumer
/// renews the iterator; anything else as the table operations map it.
fn stream_error<E, R>(table: &str, shard: &str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().unwrap_or_default().to_owned();
    if matches!(
        code.as_str(),
        "ExpiredIteratorException" | "TrimmedDataAccessException"
    ) {
        return Error::StreamIteratorExpired {
            table: table.to_owned(),
            shard: shard.to_owned(),
            message: format!("{code}: {}", error.message().unwrap_or_default()),
        };
    }
    from_sdk(table, error)
}

fn record(table: &str, r: &streams::types::Record) -> StreamRecord {
    let d = r.dynamodb();
    let image = |i: Option<&HashMap<String, StreamValue>>| i.map(convert_item);
    StreamRecord {
        table: table.to_owned(),
        event_id: r.event_id().unwrap_or_default().to_owned(),
        event_name: r.event_name().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        sequence_number: d.and_then(|d| d.sequence_number()).unwrap_or_default().to_owned(),
        keys: d.and_then(|d| image(d.keys())).unwrap_or_default(),
        new_image: d.and_then(|d| image(d.new_image())),
        old_image: d.and_then(|d| image(d.old_image())),
        view_type: d
            .and_then(|d| d.stream_view_type())
            .and_then(|v| StreamViewType::from_name(v.as_str())),
        approximate_creation: d
            .and_then(|d| d.approximate_creation_date_time())
            .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
    }
}

/// The streams SDK's values are a type of their own; serde_dynamo converts both ways.
fn convert_item(item: &HashMap<String, StreamValue>) -> Item {
    item.iter()
        .map(|(k, v)| {
            let value: serde_dynamo::AttributeValue = v.clone().into();
            (k.clone(), AttributeValue::from(value))
        })
        .collect()
}

impl StreamBackend for RemoteStreams {
    fn stream_arn<'a>(&'a self, table: &'a str) -> BoxFuture<'a, Result<String>> {
        Box::pin(self.arn_of(table))
    }

    fn describe<'a>(
        &'a self,
        table: &'a str,
        arn: &'a str,
        start_shard: Option<&'a str>,
    ) -> BoxFuture<'a, Result<StreamDescription>> {
        Box::pin(self.describe_now(table, arn, start_shard))
    }

    fn iterator<'a>(
        &'a self,
        table: &'a str,
        arn: &'a str,
        shard: &'a str,
        start: IteratorStart,
    ) -> BoxFuture<'a, Result<String>> {
        Box::pin(self.iterator_now(table, arn, shard, start))
    }

    fn records<'a>(
        &'a self,
        table: &'a str,
        shard: &'a str,
        iterator: String,
        limit: Option<i32>,
    ) -> BoxFuture<'a, Result<RecordsPage>> {
        Box::pin(self.records_now(table, shard, iterator, limit))
    }
}

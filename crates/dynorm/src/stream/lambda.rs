//! The DynamoDB stream events Lambda hands a function (`aws_lambda_events`), decoded into the
//! same [`StreamRecord`]s and typed [`Change`]s as any other stream, and partial-batch failure
//! reports (`batchItemFailures`), so one bad record does not redrive the whole batch.
//!
//! Lambda treats the lowest sequence number a function reports as failed as its checkpoint and
//! sends every record from there again, so the handlers here stop at the first failure and
//! report that record alone: records after it have not been processed and will come again.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use dynorm::stream::lambda::{self, Event};
//! use dynorm::stream::Change;
//!
//! #[derive(dynorm::Table, Debug, Clone, PartialEq)]
//! #[dynorm(table = "messages")]
//! struct Message {
//!     #[dynorm(partition_key)]
//!     id: u64,
//!     text: String,
//! }
//!
//! let json = r#"{"Records": [{
//!     "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
//!     "awsRegion": "us-east-1",
//!     "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/messages/stream/2015-06-27T00:48:05.899",
//!     "dynamodb": {"Keys": {"id": {"N": "101"}}, "NewImage": {"id": {"N": "101"}, "text": {"S": "hi"}},
//!                  "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_AND_OLD_IMAGES"}
//! }]}"#;
//! let event: Event = serde_json::from_str(json).unwrap();
//! let mut seen = Vec::new();
//! let outcome = lambda::handle_changes::<Message, _, _, dynorm::Error>(&event, |change| {
//!     seen.push(change.change.new_item().map(|m| m.text.clone()));
//!     async { Ok(()) }
//! })
//! .await;
//! assert_eq!(seen, vec![Some("hi".to_owned())]);
//! assert!(outcome.response().batch_item_failures.is_empty());
//! # }
//! ```

use std::future::Future;

pub use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::dynamodb::{EventRecord, StreamRecord as LambdaRecord};
pub use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use super::change::{Change, ChangeRecord};
use super::record::StreamRecord;
use crate::definition::StreamViewType;
use crate::{Item, Table};

/// A Lambda event record as a [`StreamRecord`]. The table is read from the record's event
/// source ARN (or its `tableName`).
pub fn record(event: &EventRecord) -> StreamRecord {
    let d = &event.change;
    let table = event
        .event_source_arn
        .as_deref()
        .and_then(table_of_arn)
        .or(event.table_name.as_deref())
        .unwrap_or_default();
    let image = |i: &serde_dynamo::Item| (!i.is_empty()).then(|| Item::from(i.clone()));
    StreamRecord {
        table: table.to_owned(),
        event_id: event.event_id.clone(),
        event_name: event.event_name.clone(),
        sequence_number: d.sequence_number.clone().unwrap_or_default(),
        keys: Item::from(d.keys.clone()),
        new_image: image(&d.new_image),
        old_image: image(&d.old_image),
        view_type: d
            .stream_view_type
            .as_ref()
            .and_then(|v| StreamViewType::from_name(&v.to_string())),
        // Lambda's type reads a missing time as the epoch.
        approximate_creation: Some(d.approximate_creation_date_time).filter(|t| t.timestamp() != 0),
    }
}

/// Every record of a Lambda event, in order.
pub fn records(event: &Event) -> Vec<StreamRecord> {
    event.records.iter().map(record).collect()
}

/// The event Lambda would hand a function for these records (from the embedded engine's stream,
/// say), so a handler's logic can be tested against real stream output.
pub fn event(records: &[StreamRecord], region: &str) -> Event {
    let mut event = Event::default();
    event.records = records.iter().map(|r| event_record(r, region)).collect();
    event
}

fn event_record(r: &StreamRecord, region: &str) -> EventRecord {
    let mut change = LambdaRecord::default();
    if let Some(t) = r.approximate_creation {
        change.approximate_creation_date_time = t;
    }
    change.keys = serde_dynamo::Item::from(r.keys.clone());
    change.new_image = serde_dynamo::Item::from(r.new_image.clone().unwrap_or_default());
    change.old_image = serde_dynamo::Item::from(r.old_image.clone().unwrap_or_default());
    change.sequence_number = Some(r.sequence_number.clone());
    change.stream_view_type = r
        .view_type
        .and_then(|v| serde_json::from_value(v.as_str().into()).ok());
    let mut record = EventRecord::default();
    record.aws_region = region.to_owned();
    record.change = change;
    record.event_id = r.event_id.clone();
    record.event_name = r.event_name.clone();
    record.event_source = Some("aws:dynamodb".to_owned());
    record.event_version = Some("1.1".to_owned());
    record.event_source_arn = Some(format!(
        "arn:aws:dynamodb:{region}:000000000000:table/{}/stream/local",
        r.table
    ));
    record
}

/// The record a handler failed on, and why.
#[derive(Debug)]
pub struct RecordFailure<E> {
    /// The record's sequence number (its event id when it has none): what Lambda retries from.
    pub item_identifier: String,
    /// The handler's error (or the decode error).
    pub error: E,
}

/// What a handler did with a batch.
#[derive(Debug)]
pub struct Handled<E> {
    /// Records processed successfully, from the start of the batch.
    pub processed: usize,
    /// The first record that failed; those after it were not processed.
    pub failure: Option<RecordFailure<E>>,
}

impl<E> Handled<E> {
    /// The response for Lambda (with `ReportBatchItemFailures` enabled on the event source
    /// mapping): empty when every record was processed, else the failed record's sequence number.
    pub fn response(&self) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        if let Some(failure) = &self.failure {
            let mut item = DynamoDbBatchItemFailure::default();
            item.item_identifier = Some(failure.item_identifier.clone());
            response.batch_item_failures.push(item);
        }
        response
    }
}

/// Runs `handler` on each record in order, stopping at the first failure.
pub async fn handle<F, Fut, E>(event: &Event, mut handler: F) -> Handled<E>
where
    F: FnMut(StreamRecord) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut processed = 0;
    for r in records(event) {
        let item_identifier = r.position().to_owned();
        if let Err(error) = handler(r).await {
            return Handled {
                processed,
                failure: Some(RecordFailure {
                    item_identifier,
                    error,
                }),
            };
        }
        processed += 1;
    }
    Handled {
        processed,
        failure: None,
    }
}

/// Runs `handler` on each record decoded into a [`Change`] of `T`, in order, stopping at the
/// first failure; a record that does not decode fails with its
/// [`Error::StreamDecode`](crate::Error::StreamDecode).
pub async fn handle_changes<T, F, Fut, E>(event: &Event, mut handler: F) -> Handled<E>
where
    T: Table,
    F: FnMut(ChangeRecord<Change<T>>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: From<crate::Error>,
{
    handle(event, |r| {
        let decoded = Change::<T>::from_record(&r).map(|c| ChangeRecord::new(&r, c));
        let run = decoded.map(&mut handler);
        async move {
            match run {
                Ok(fut) => fut.await,
                Err(e) => Err(E::from(e)),
            }
        }
    })
    .await
}

/// The table a stream or table ARN names (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`).
fn table_of_arn(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":table/")?.1;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_from_stream_and_table_arns() {
        let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000";
        assert_eq!(table_of_arn(arn), Some("Orders"));
        assert_eq!(table_of_arn("arn:aws:dynamodb:eu-west-1:1:table/T"), Some("T"));
        assert_eq!(table_of_arn("stream-ARN"), None);
        assert_eq!(table_of_arn("arn:aws:dynamodb:x:1:table/"), None);
    }
}

//! Lambda's DynamoDB stream events: AWS documentation's sample event and events built from the
//! embedded engine's stream decode into typed changes; partial-batch failure responses; the
//! example Lambda handler's logic run on both.

#![cfg(all(feature = "lambda", feature = "embedded"))]
#![allow(clippy::unwrap_used)]

#[path = "../../examples/lambda_handler/handler.rs"]
mod handler;

use dynorm::stream::lambda::{self, Event};
use dynorm::stream::{Change, ChangeStream, Image};
use dynorm::{Error, Table};
use handler::Order;

/// The sample event of AWS Lambda's documentation ("Using AWS Lambda with Amazon DynamoDB").
fn sample_event() -> Event {
    serde_json::from_str(include_str!("../fixtures/lambda-dynamodb-event.json")).unwrap()
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "ExampleTableWithStream")]
struct Example {
    #[dynorm(partition_key, rename = "Id")]
    id: u64,
    #[dynorm(rename = "Message")]
    message: String,
}

fn example(message: &str) -> Example {
    Example {
        id: 101,
        message: message.into(),
    }
}

#[test]
fn the_documented_sample_event_decodes_into_typed_changes() {
    let records = lambda::records(&sample_event());
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.table == "ExampleTableWithStream"));
    let positions: Vec<&str> = records.iter().map(|r| r.position()).collect();
    assert_eq!(positions, ["111", "222", "333"]);
    let changes: Vec<Change<Example>> = records.iter().map(|r| Change::from_record(r).unwrap()).collect();
    assert_eq!(
        changes,
        vec![
            Change::Insert(Image::Item(example("New item!"))),
            Change::Modify {
                old: Image::Item(example("New item!")),
                new: Image::Item(example("This item has changed")),
            },
            Change::Remove(Image::Item(example("This item has changed"))),
        ]
    );
}

#[tokio::test]
async fn a_failing_record_is_reported_alone_and_later_ones_wait_for_the_retry() {
    let mut seen = Vec::new();
    let handled = lambda::handle_changes::<Example, _, _, Error>(&sample_event(), |record| {
        seen.push(record.sequence_number.clone());
        let fail = matches!(record.change, Change::Modify { .. });
        async move {
            if fail {
                Err(Error::Validation {
                    table: "ExampleTableWithStream".into(),
                    message: "downstream refused".into(),
                })
            } else {
                Ok(())
            }
        }
    })
    .await;
    assert_eq!(seen, ["111", "222"]);
    assert_eq!(handled.processed, 1);
    assert_eq!(
        serde_json::to_value(handled.response()).unwrap(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "222"}]})
    );
}

#[tokio::test]
async fn a_record_that_does_not_decode_is_a_batch_item_failure_naming_the_attribute() {
    let mut event = sample_event();
    event.records[1]
        .change
        .new_image
        .insert("Id".into(), serde_dynamo::AttributeValue::S("x".into()));
    let handled = lambda::handle_changes::<Example, _, _, Error>(&event, |_| async { Ok(()) }).await;
    let failure = handled.failure.as_ref().unwrap();
    assert_eq!(failure.item_identifier, "222");
    match &failure.error {
        Error::StreamDecode {
            table,
            sequence_number,
            attribute,
            ..
        } => {
            assert_eq!(
                (table.as_str(), sequence_number.as_str()),
                ("ExampleTableWithStream", "222")
            );
            assert_eq!(attribute.as_deref(), Some("Id"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(handled.response().batch_item_failures.len(), 1);
}

#[tokio::test]
async fn an_empty_event_succeeds_with_no_failures() {
    let event: Event = serde_json::from_str(r#"{"Records": []}"#).unwrap();
    let handled = lambda::handle(&event, |_| async { Ok::<(), Error>(()) }).await;
    assert_eq!(
        serde_json::to_string(&handled.response()).unwrap(),
        r#"{"batchItemFailures":[]}"#
    );
}

/// The stream records of some order writes on the test engine, as the event Lambda sends
/// (through JSON, as it arrives).
async fn local_event(writes: &[Order]) -> Event {
    let db = dynorm::testing::client().await.unwrap();
    let orders = db.table::<Order>();
    orders.create().await.unwrap();
    for order in writes {
        orders.put(order).await.unwrap();
    }
    orders.delete(Order::key("o-1")).await.unwrap();
    let records = ChangeStream::of::<Order>(&db)
        .unwrap()
        .read_available()
        .await
        .unwrap();
    let json = serde_json::to_string(&lambda::event(&records, "eu-west-1")).unwrap();
    assert!(
        json.contains(r#""eventSourceARN":"arn:aws:dynamodb:eu-west-1:"#),
        "{json}"
    );
    serde_json::from_str(&json).unwrap()
}

fn order(id: &str, status: &str, total: u64) -> Order {
    Order {
        id: id.into(),
        status: status.into(),
        total,
    }
}

#[tokio::test]
async fn the_example_handler_runs_on_the_local_engines_stream_output() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let event = local_event(&[
        order("o-1", "open", 40),
        order("o-1", "paid", 40),
        order("o-2", "open", 5),
    ])
    .await;
    let records = lambda::records(&event);
    assert!(
        records
            .iter()
            .all(|r| r.table == "orders" && r.sequence_number.len() >= 21)
    );
    let (sent, response) = handler::handle(&event).await;
    assert_eq!(
        sent,
        [
            "o-1 placed (40)",
            "o-1 open -> paid",
            "o-2 placed (5)",
            "o-1 deleted"
        ]
    );
    assert!(response.batch_item_failures.is_empty());
}

#[tokio::test]
async fn the_example_handler_reports_the_record_it_refuses() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let event = local_event(&[order("o-1", "open", 40), order("o-1", "open", 0)]).await;
    let refused = lambda::records(&event)[1].sequence_number.clone();
    let (sent, response) = handler::handle(&event).await;
    assert_eq!(sent, ["o-1 placed (40)"]);
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        response.batch_item_failures[0].item_identifier.as_deref(),
        Some(refused.as_str())
    );
}

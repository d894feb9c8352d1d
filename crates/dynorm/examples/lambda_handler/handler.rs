//! The logic of the example Lambda function, kept apart from `main` so that tests run it on the
//! events Lambda would send (`crates/dynorm/tests/engine/stream_lambda.rs`).

use dynorm::stream::lambda::{self, DynamoDbEventResponse, Event};
use dynorm::stream::{Change, ChangeRecord};

/// The orders table; its stream carries both images, so the function sees what changed.
#[derive(dynorm::Table, Debug, Clone, PartialEq)]
#[dynorm(table = "orders", stream = "new_and_old_images")]
pub(crate) struct Order {
    #[dynorm(partition_key)]
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) total: u64,
}

/// Why a change could not be handled.
#[derive(Debug)]
pub(crate) enum Failed {
    /// The record did not decode into an `Order`.
    Decode(dynorm::Error),
    /// An order the function refuses (standing in for a failing downstream call).
    Refused(String),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Decode(e) => write!(f, "{e}"),
            Failed::Refused(order) => write!(f, "order {order} refused: a total of 0"),
        }
    }
}

impl From<dynorm::Error> for Failed {
    fn from(e: dynorm::Error) -> Self {
        Failed::Decode(e)
    }
}

/// One notification line per order change; orders with a total of 0 are refused.
fn notify(record: &ChangeRecord<Change<Order>>) -> Result<Option<String>, Failed> {
    Ok(match &record.change {
        Change::Insert(new) => new.item().map(|o| format!("{} placed ({})", o.id, o.total)),
        Change::Modify { old, new } => match (old.item(), new.item()) {
            (_, Some(n)) if n.total == 0 => return Err(Failed::Refused(n.id.clone())),
            (Some(o), Some(n)) if o.status != n.status => {
                Some(format!("{} {} -> {}", n.id, o.status, n.status))
            }
            _ => None,
        },
        Change::Remove(old) => old.item().map(|o| format!("{} deleted", o.id)),
    })
}

/// Handles one Lambda event: the notification lines sent, and the response that reports the
/// first record that failed (Lambda retries from it; `ReportBatchItemFailures` must be on).
pub(crate) async fn handle(event: &Event) -> (Vec<String>, DynamoDbEventResponse) {
    let mut sent = Vec::new();
    let handled = lambda::handle_changes::<Order, _, _, Failed>(event, |record| {
        let line = notify(&record);
        if let Ok(Some(line)) = &line {
            sent.push(line.clone());
        }
        async move { line.map(|_| ()) }
    })
    .await;
    if let Some(failure) = &handled.failure {
        // Lambda's log; the response makes Lambda retry from this record.
        eprintln!("record {} failed: {}", failure.item_identifier, failure.error);
    }
    (sent, handled.response())
}

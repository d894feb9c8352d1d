//! A change stream consumer on the embedded engine: typed changes as an async stream of
//! batches, a checkpoint stored after each batch, and a restart that resumes after it.
//!
//! The same consumer reads DynamoDB or `dynorm serve` with `ChangeStream::from_sdk` (feature
//! `aws-streams`).

use dynorm::stream::{Change, ChangeStream, Checkpoint};
use dynorm::{Client, Table};
use futures::StreamExt;

/// Orders; the stream carries both images, so a consumer sees what changed.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "orders", stream = "new_and_old_images")]
struct Order {
    #[dynorm(partition_key)]
    id: String,
    status: String,
    total: u64,
}

fn order(id: &str, status: &str, total: u64) -> Order {
    Order {
        id: id.into(),
        status: status.into(),
        total,
    }
}

fn describe(change: &Change<Order>) -> String {
    match change {
        Change::Insert(new) => format!("placed {:?}", new.item()),
        Change::Modify { old, new } => match (old.item(), new.item()) {
            (Some(o), Some(n)) => format!("{}: {} -> {}", n.id, o.status, n.status),
            _ => "modified".to_owned(),
        },
        Change::Remove(old) => format!("deleted {:?}", old.item().map(|o| &o.id)),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> dynorm::Result<()> {
    let db = Client::embedded()?;
    let orders = db.table::<Order>();
    orders.create().await?;
    orders.put(&order("o-1", "open", 40)).await?;
    orders.put(&order("o-2", "open", 15)).await?;
    orders.put(&order("o-1", "paid", 40)).await?;

    // Read three batches of at most two records, storing the checkpoint after each.
    let mut stored = Checkpoint::default().to_json();
    let mut batches = std::pin::pin!(ChangeStream::of::<Order>(&db)?.limit(2).batches());
    let writer = {
        let orders = orders.clone();
        async move {
            // Written concurrently with the consumer; when the stream is quiet, it backs off.
            orders.delete(Order::key("o-2")).await?;
            Ok(())
        }
    };
    let (written, read): (dynorm::Result<()>, dynorm::Result<()>) = tokio::join!(writer, async {
        let mut seen = 0;
        while let Some(batch) = batches.next().await {
            let batch = batch?;
            for change in batch.changes::<Order>()? {
                println!("{}  {}", change.sequence_number, describe(&change.change));
            }
            seen += batch.records.len();
            stored = batch.checkpoint.to_json(); // a real consumer writes this somewhere durable
            if seen == 4 {
                break;
            }
        }
        Ok(())
    });
    written?;
    read?;

    // A restart resumes after the checkpoint: only what was written since is read.
    orders.put(&order("o-3", "open", 99)).await?;
    let mut resumed = ChangeStream::of::<Order>(&db)?.resume(Checkpoint::from_json("orders", &stored)?);
    let records = resumed.read_available().await?;
    assert_eq!(records.len(), 1);
    println!(
        "after the restart: {}",
        describe(&Change::from_record(&records[0])?)
    );
    Ok(())
}

//! An example Lambda function for a DynamoDB stream, run here on the events the embedded
//! engine's stream gives (built in CI, never deployed).
//!
//! Deployed, `main` would hand [`handler::handle`] to the Lambda runtime instead:
//! `lambda_runtime::run(service_fn(|e: LambdaEvent<Event>| async move { Ok::<_, Error>(handle(&e.payload).await.1) }))`.
//!
//! Run it with `cargo run --example lambda_handler --features lambda`.

mod handler;

use dynorm::Client;
use dynorm::stream::{ChangeStream, lambda};
use handler::Order;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = Client::embedded()?;
    let orders = db.table::<Order>();
    orders.create().await?;
    orders
        .put(&Order {
            id: "o-1".into(),
            status: "open".into(),
            total: 40,
        })
        .await?;
    orders
        .put(&Order {
            id: "o-1".into(),
            status: "paid".into(),
            total: 40,
        })
        .await?;
    orders
        .put(&Order {
            id: "o-2".into(),
            status: "open".into(),
            total: 5,
        })
        .await?;
    orders
        .put(&Order {
            id: "o-2".into(),
            status: "open".into(),
            total: 0,
        })
        .await?; // refused
    orders.delete(Order::key("o-1")).await?;

    // What Lambda would send: the stream's records as an event, through JSON.
    let records = ChangeStream::of::<Order>(&db)?.read_available().await?;
    let json = serde_json::to_string(&lambda::event(&records, "eu-west-1"))?;
    let event: lambda::Event = serde_json::from_str(&json)?;

    let (sent, response) = handler::handle(&event).await;
    for line in &sent {
        println!("sent: {line}");
    }
    println!("response: {}", serde_json::to_string(&response)?);
    Ok(())
}

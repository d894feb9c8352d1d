//! A type that evolves without downtime: version 1 items stay in the table, the service reads
//! them as version 2 (upgraded in memory), writes version 2, and an upgrade rewrites the old
//! items while the service keeps writing.

use dynorm::Table;
use dynorm::evolve::Upgrade;

/// How orders were stored first: one free-text amount.
#[derive(Table, Debug, Clone)]
#[dynorm(table = "orders")]
struct OrderV1 {
    #[dynorm(partition_key)]
    id: String,
    /// "12.50 EUR"
    amount: String,
}

/// How they are stored now: cents and a currency.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "orders", schema_version = 2, upgrades(OrderV1))]
struct Order {
    #[dynorm(partition_key)]
    id: String,
    cents: u64,
    currency: String,
}

impl From<OrderV1> for Order {
    fn from(old: OrderV1) -> Self {
        let (number, currency) = old.amount.split_once(' ').unwrap_or((&old.amount, "EUR"));
        let (units, fraction) = number.split_once('.').unwrap_or((number, "0"));
        let cents = units.parse::<u64>().unwrap_or(0) * 100
            + format!("{fraction:0<2}")[..2].parse::<u64>().unwrap_or(0);
        Order {
            id: old.id,
            cents,
            currency: currency.to_owned(),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> dynorm::Result<()> {
    // The embedded engine; with DYNORM_TEST_ENDPOINT set, that endpoint under a table prefix of
    // its own (how CI runs the examples against `dynorm serve`).
    let db = dynorm::testing::client().await?;
    let orders = db.table::<Order>();
    orders.create().await?;
    // Items written by the old build.
    for (id, amount) in [("o-1", "12.50 EUR"), ("o-2", "3 USD"), ("o-3", "7.5 EUR")] {
        db.table::<OrderV1>()
            .put(&OrderV1 {
                id: id.into(),
                amount: amount.into(),
            })
            .await?;
    }
    // The new build reads them as `Order`, and writes the current version.
    let first = orders.get(Order::key("o-1")).await?.expect("stored");
    println!("read o-1 as {first:?}");
    orders
        .put(&Order {
            id: "o-4".into(),
            cents: 999,
            currency: "GBP".into(),
        })
        .await?;

    let plan = Upgrade::new(&orders).dry_run().run().await?;
    println!(
        "dry run: {} of {} old items would be rewritten",
        plan.upgraded, plan.scanned
    );
    let done = Upgrade::new(&orders).segments(2).run().await?;
    println!(
        "upgraded {} items ({} retried after concurrent writes)",
        done.upgraded, done.retried
    );
    println!(
        "left at older versions: {}",
        Upgrade::new(&orders).remaining().await?
    );
    assert_eq!(orders.get(Order::key("o-3")).await?.map(|o| o.cents), Some(750));
    Ok(())
}

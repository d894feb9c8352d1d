//! Types that evolve without downtime: version 1 items stay in the table, the service reads
//! them as version 2 (upgraded in memory), writes version 2, and an upgrade rewrites the old
//! items while the service keeps writing. First a plain table (`orders`), then an entity of a
//! shared single table (`User` in `app`), whose upgrade leaves the other entities alone.

use dynorm::entity::{Collection, IndexLayout, Layout, SingleTable};
use dynorm::evolve::Upgrade;
use dynorm::{Client, Table};

/// The shared table of the entity part.
struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

/// How users were stored first: one full name.
#[derive(dynorm::Entity, Debug, Clone)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
struct UserV1 {
    tenant: String,
    id: String,
    name: String,
    logins: u32,
}

/// How they are stored now: the name split, and an index by last name.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
#[dynorm(index(name = "gsi1", pk = "LAST#{last}", sk = "U#{id}"))]
#[dynorm(schema_version = 2, upgrades(UserV1))]
struct User {
    tenant: String,
    id: String,
    first: String,
    last: String,
    logins: u32,
}

/// An upgrade step may fail (`TryFrom`): the read is then a typed error naming the entity, the
/// key and both versions.
impl TryFrom<UserV1> for User {
    type Error = String;

    fn try_from(old: UserV1) -> Result<Self, String> {
        let (first, last) = old
            .name
            .split_once(' ')
            .ok_or_else(|| format!("`{}` has no last name", old.name))?;
        Ok(User {
            tenant: old.tenant,
            id: old.id,
            first: first.to_owned(),
            last: last.to_owned(),
            logins: old.logins,
        })
    }
}

/// Another entity of the same partition, which has no versions.
#[derive(dynorm::Entity, Debug, Clone)]
#[dynorm(table = App, entity = "Tenant", pk = "T#{tenant}", sk = "PROFILE")]
struct Tenant {
    tenant: String,
    plan: String,
}

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
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The embedded engine; with DYNORM_TEST_ENDPOINT set, that endpoint under a table prefix of
    // its own (how CI runs the examples against `dynorm serve`).
    let db = dynorm::testing::client().await?;
    orders(&db).await?;
    users(&db).await
}

/// The plain table.
async fn orders(db: &Client) -> dynorm::Result<()> {
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

/// The entity: old items read upgraded through get, queries and collections, an update writing
/// what version 1 does not store refused, the upgrade running while the service counts logins.
async fn users(db: &Client) -> Result<(), Box<dyn std::error::Error>> {
    db.create_table(User::definition()).await?;
    let old = db.table::<UserV1>();
    for (id, name) in [
        ("ada", "Ada Lovelace"),
        ("alan", "Alan Turing"),
        ("grace", "Grace Hopper"),
    ] {
        let user = UserV1 {
            tenant: "acme".into(),
            id: id.into(),
            name: name.into(),
            logins: 0,
        };
        old.put(&user).await?;
    }
    db.table::<Tenant>()
        .put(&Tenant {
            tenant: "acme".into(),
            plan: "pro".into(),
        })
        .await?;

    let users = db.table::<User>();
    let ada = users.get(User::key("acme", "ada")).await?.expect("stored");
    println!("read ada (version 1) as {ada:?}");
    let mut partition = Collection::<App>::new(db)
        .entity::<User>()
        .entity::<Tenant>()
        .field("tenant", "acme")
        .all()
        .await?;
    println!(
        "the partition: {} users (upgraded), {} tenant",
        partition.take::<User>().len(),
        partition.take::<Tenant>().len()
    );
    let refused = users
        .update(User::key("acme", "alan"))
        .set("last", "M. Turing")
        .send()
        .await
        .expect_err("version 1 stores no `last`");
    println!("an update of `last` on a version 1 item: {refused}");

    // The service keeps counting logins (an attribute every version stores) while the upgrade
    // rewrites the old users in two segments.
    let service = {
        let users = users.clone();
        tokio::spawn(async move {
            for id in ["ada", "alan", "grace"].repeat(5) {
                users
                    .update(User::key("acme", id))
                    .increment("logins", 1u32)
                    .send()
                    .await?;
            }
            Ok::<(), dynorm::Error>(())
        })
    };
    let plan = Upgrade::new(&users).dry_run().run().await?;
    println!("dry run: {} old users would be rewritten", plan.upgraded);
    let done = Upgrade::new(&users).segments(2).per_second(100).run().await?;
    service.await.expect("the service task")?;
    println!(
        "upgraded {} users ({} retried after concurrent writes); left at older versions: {}",
        done.upgraded + done.already_current,
        done.retried,
        Upgrade::new(&users).remaining().await?
    );
    let found = users
        .entity_query()
        .on_index("gsi1")
        .field("last", "Hopper")
        .all()
        .await?;
    println!("found by last name through the new index: {found:?}");
    assert_eq!(found.first().map(|u| u.logins), Some(5));
    Ok(())
}

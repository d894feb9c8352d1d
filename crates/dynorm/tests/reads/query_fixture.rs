//! The table the query, scan and paging tests read: orders with a GSI of every projection kind
//! and an LSI, plus projection types implemented by hand (the Projection derive lives elsewhere).
#![allow(dead_code, unreachable_pub)]

use dynorm::{Attribute, Client, DecodeError, Item, Projection, Table};

/// `customer` + `number` key; `status` and `name` are reserved words in DynamoDB.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "orders")]
#[dynorm(gsi(name = "by_status", partition_key = "status", sort_key = number))]
#[dynorm(gsi(name = "by_status_keys", partition_key = "status", sort_key = number, projection = "keys_only"))]
#[dynorm(gsi(name = "by_status_include", partition_key = "status", sort_key = number, projection(include(name))))]
#[dynorm(lsi(name = "by_name", sort_key = name))]
pub struct Order {
    #[dynorm(partition_key)]
    pub customer: String,
    #[dynorm(sort_key)]
    pub number: i64,
    pub status: String,
    pub name: String,
    pub total: i64,
}

impl Order {
    pub fn new(customer: &str, number: i64) -> Self {
        Self {
            customer: customer.to_owned(),
            number,
            status: if number % 2 == 0 { "open" } else { "shipped" }.to_owned(),
            name: format!("item-{number:03}"),
            total: number * 10,
        }
    }
}

fn take<A: Attribute>(item: &mut Item, name: &str) -> Result<A, DecodeError> {
    dynorm::__private::take(item, "orders", name)
}

/// Every attribute the keys-only and include indexes hold (table and index keys).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKeys {
    pub customer: String,
    pub number: i64,
    pub status: String,
}

impl Projection for OrderKeys {
    type Table = Order;

    fn attributes() -> &'static [&'static str] {
        &["customer", "number", "status"]
    }

    fn from_item(mut item: Item) -> Result<Self, DecodeError> {
        Ok(Self {
            customer: take(&mut item, "customer")?,
            number: take(&mut item, "number")?,
            status: take(&mut item, "status")?,
        })
    }
}

/// Held by the include index (`name` is included), not by the keys-only one.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderName {
    pub number: i64,
    pub name: String,
}

impl Projection for OrderName {
    type Table = Order;

    fn attributes() -> &'static [&'static str] {
        &["number", "name"]
    }

    fn from_item(mut item: Item) -> Result<Self, DecodeError> {
        Ok(Self {
            number: take(&mut item, "number")?,
            name: take(&mut item, "name")?,
        })
    }
}

/// Needs `total`, which neither the keys-only nor the include index holds.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTotal {
    pub number: i64,
    pub total: i64,
}

impl Projection for OrderTotal {
    type Table = Order;

    fn attributes() -> &'static [&'static str] {
        &["number", "total"]
    }

    fn from_item(mut item: Item) -> Result<Self, DecodeError> {
        Ok(Self {
            number: take(&mut item, "number")?,
            total: take(&mut item, "total")?,
        })
    }
}

/// An embedded client with `orders` created and `count` orders of customer `customer` written.
pub async fn orders(customer: &str, count: i64) -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    let table = client.table::<Order>();
    table.create().await.expect("create orders");
    for n in 0..count {
        table.put(&Order::new(customer, n)).await.expect("put");
    }
    client
}

/// The two clients every test runs on: the embedded engine called directly, and the remote
/// code path (SDK fluent builders) against the embedded engine's in-process SDK client.
pub fn both_paths(embedded: &Client) -> [(&'static str, Client); 2] {
    [
        ("direct", embedded.clone()),
        (
            "sdk",
            Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone()),
        ),
    ]
}

pub fn numbers(orders: &[Order]) -> Vec<i64> {
    orders.iter().map(|o| o.number).collect()
}

//! `marshal`: encode and decode a 15-attribute item with dynorm's derive and with serde_dynamo,
//! both producing and reading `HashMap<String, aws_sdk_dynamodb::types::AttributeValue>`.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use dynorm::{Item, Table};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Address {
    street: String,
    city: String,
    zip: String,
    geo: BTreeMap<String, f64>,
}

/// The benchmark item: strings, numbers, a bool, a datetime, a list, a set and nested JSON.
#[derive(Debug, Clone, PartialEq, Table, Serialize, Deserialize)]
#[dynorm(table = "bench_items")]
pub(crate) struct Customer {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(sort_key)]
    version: u64,
    name: String,
    email: String,
    status: String,
    age: u32,
    score: f64,
    balance: i64,
    visits: u64,
    active: bool,
    created_at: DateTime<Utc>,
    tags: Vec<String>,
    #[serde(with = "serde_dynamo::string_set")]
    roles: BTreeSet<String>,
    #[dynorm(json)]
    address: Address,
    note: Option<String>,
}

fn sample(i: u64) -> Customer {
    Customer {
        id: format!("customer-{i:08}"),
        version: i,
        name: "Ada Lovelace".into(),
        email: format!("ada{i}@example.com"),
        status: "active".into(),
        age: 36,
        score: 98.25,
        balance: -1_234_567,
        visits: 4_000_000_000 + i,
        active: i.is_multiple_of(2),
        created_at: Utc
            .timestamp_opt(1_700_000_000 + i as i64, 0)
            .single()
            .unwrap_or_default(),
        tags: vec!["vip".into(), "beta".into(), "newsletter".into()],
        roles: ["admin", "billing"].into_iter().map(String::from).collect(),
        address: Address {
            street: "12 St James's Square".into(),
            city: "London".into(),
            zip: "SW1Y 4JH".into(),
            geo: [("lat".to_owned(), 51.5074), ("lon".to_owned(), -0.1357)].into(),
        },
        note: Some("prefers email".into()),
    }
}

pub(crate) fn run() {
    const N: u64 = 20_000;
    const ROUNDS: usize = 15;
    let values: Vec<Customer> = (0..N).map(sample).collect();

    // Both encoders must agree on the stored form, or the comparison means nothing.
    let ours = values[7].to_item().expect("dynorm encodes the sample");
    let theirs: Item = serde_dynamo::to_item(&values[7]).expect("serde_dynamo encodes the sample");
    assert_eq!(
        ours, theirs,
        "dynorm and serde_dynamo disagree on the stored item"
    );
    assert_eq!(Customer::from_item(theirs).expect("decodes"), values[7]);

    let encode_dynorm = || {
        let start = Instant::now();
        for v in &values {
            black_box(v.to_item().expect("encodes"));
        }
        start.elapsed().as_nanos() as u64 / N
    };
    let encode_serde = || {
        let start = Instant::now();
        for v in &values {
            black_box(serde_dynamo::to_item::<_, Item>(v).expect("encodes"));
        }
        start.elapsed().as_nanos() as u64 / N
    };
    let (enc_d, enc_s) = crate::compare(ROUNDS, encode_dynorm, encode_serde);

    let items: Vec<Item> = values.iter().map(|v| v.to_item().expect("encodes")).collect();
    let decode_dynorm = || {
        let batch = items.clone();
        let start = Instant::now();
        for item in batch {
            black_box(Customer::from_item(item).expect("decodes"));
        }
        start.elapsed().as_nanos() as u64 / N
    };
    let decode_serde = || {
        let batch = items.clone();
        let start = Instant::now();
        for item in batch {
            black_box(serde_dynamo::from_item::<_, Customer>(item).expect("decodes"));
        }
        start.elapsed().as_nanos() as u64 / N
    };
    let (dec_d, dec_s) = crate::compare(ROUNDS, decode_dynorm, decode_serde);

    println!("15-attribute item, best of {ROUNDS} rounds of {N}, ns per item");
    println!(
        "  encode  dynorm {enc_d:>7.0}  serde_dynamo {enc_s:>7.0}  speedup {:.2}",
        enc_s / enc_d
    );
    println!(
        "  decode  dynorm {dec_d:>7.0}  serde_dynamo {dec_s:>7.0}  speedup {:.2}",
        dec_s / dec_d
    );
    println!("marshal speedup {:.2}", (enc_s + dec_s) / (enc_d + dec_d));
}

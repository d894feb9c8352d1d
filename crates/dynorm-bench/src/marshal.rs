//! `marshal`: encode and decode a 15-attribute item with dynorm's derive, with a hand-written
//! conversion of the same struct (the limit), and with serde_dynamo, all producing and reading
//! `HashMap<String, aws_sdk_dynamodb::types::AttributeValue>`; the three are asserted to store
//! the same items and read back the same values first.

use crate::harness::CpuInstant;
use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;

use chrono::{DateTime, TimeZone, Utc};
use dynorm::{AttributeValue as Av, Item, Table};
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

/// What one writes by hand for `Customer`: the same stored form as the derive (itoa and ryu for
/// numbers, ISO 8601 text for the time, the address as a native map).
fn hand_encode(c: &Customer) -> Item {
    let n = |v: String| Av::N(v);
    let mut item = Item::with_capacity(15);
    item.insert("id".into(), Av::S(c.id.clone()));
    item.insert(
        "version".into(),
        n(itoa::Buffer::new().format(c.version).to_owned()),
    );
    item.insert("name".into(), Av::S(c.name.clone()));
    item.insert("email".into(), Av::S(c.email.clone()));
    item.insert("status".into(), Av::S(c.status.clone()));
    item.insert("age".into(), n(itoa::Buffer::new().format(c.age).to_owned()));
    item.insert(
        "score".into(),
        n(ryu::Buffer::new().format_finite(c.score).to_owned()),
    );
    item.insert(
        "balance".into(),
        n(itoa::Buffer::new().format(c.balance).to_owned()),
    );
    item.insert(
        "visits".into(),
        n(itoa::Buffer::new().format(c.visits).to_owned()),
    );
    item.insert("active".into(), Av::Bool(c.active));
    item.insert(
        "created_at".into(),
        Av::S(c.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    item.insert("tags".into(), Av::L(c.tags.iter().cloned().map(Av::S).collect()));
    item.insert("roles".into(), Av::Ss(c.roles.iter().cloned().collect()));
    let a = &c.address;
    let geo = a
        .geo
        .iter()
        .map(|(k, v)| (k.clone(), n(ryu::Buffer::new().format_finite(*v).to_owned())))
        .collect();
    let address = [
        ("street", Av::S(a.street.clone())),
        ("city", Av::S(a.city.clone())),
        ("zip", Av::S(a.zip.clone())),
        ("geo", Av::M(geo)),
    ];
    item.insert(
        "address".into(),
        Av::M(address.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
    );
    if let Some(note) = &c.note {
        item.insert("note".into(), Av::S(note.clone()));
    }
    item
}

fn text(item: &mut Item, name: &str) -> String {
    match item.remove(name) {
        Some(Av::S(s) | Av::N(s)) => s,
        other => panic!("{name}: {other:?}"),
    }
}

fn number<T: std::str::FromStr>(item: &mut Item, name: &str) -> T {
    text(item, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name}: not a number"))
}

/// The hand-written way back.
fn hand_decode(mut item: Item) -> Customer {
    let created = text(&mut item, "created_at");
    let Some(Av::M(mut address)) = item.remove("address") else {
        panic!("address")
    };
    let Some(Av::M(geo)) = address.remove("geo") else {
        panic!("geo")
    };
    Customer {
        id: text(&mut item, "id"),
        version: number(&mut item, "version"),
        name: text(&mut item, "name"),
        email: text(&mut item, "email"),
        status: text(&mut item, "status"),
        age: number(&mut item, "age"),
        score: number(&mut item, "score"),
        balance: number(&mut item, "balance"),
        visits: number(&mut item, "visits"),
        active: matches!(item.remove("active"), Some(Av::Bool(true))),
        created_at: DateTime::parse_from_rfc3339(&created)
            .expect("a time")
            .with_timezone(&Utc),
        tags: match item.remove("tags") {
            Some(Av::L(list)) => list
                .into_iter()
                .map(|v| match v {
                    Av::S(s) => s,
                    other => panic!("tag {other:?}"),
                })
                .collect(),
            _ => Vec::new(),
        },
        roles: match item.remove("roles") {
            Some(Av::Ss(set)) => set.into_iter().collect(),
            _ => BTreeSet::new(),
        },
        address: Address {
            street: text(&mut address, "street"),
            city: text(&mut address, "city"),
            zip: text(&mut address, "zip"),
            geo: geo
                .into_iter()
                .map(|(k, v)| match v {
                    Av::N(n) => (k, n.parse().expect("a number")),
                    other => panic!("geo {other:?}"),
                })
                .collect(),
        },
        note: match item.remove("note") {
            Some(Av::S(s)) => Some(s),
            _ => None,
        },
    }
}

pub(crate) fn run() {
    const N: u64 = 20_000;
    const ROUNDS: usize = 15;
    let values: Vec<Customer> = (0..N).map(sample).collect();

    // All three must agree on every stored item and value, or the comparison means nothing.
    for v in &values {
        let ours = v.to_item().expect("dynorm encodes the sample");
        let theirs: Item = serde_dynamo::to_item(v).expect("serde_dynamo encodes the sample");
        assert_eq!(
            ours, theirs,
            "dynorm and serde_dynamo disagree on the stored item"
        );
        assert_eq!(ours, hand_encode(v), "dynorm and the hand-written code disagree");
        assert_eq!(&Customer::from_item(theirs).expect("decodes"), v);
        assert_eq!(&hand_decode(ours), v);
    }
    let items: Vec<Item> = values.iter().map(|v| v.to_item().expect("encodes")).collect();
    // One round of a side: encode every value, then decode every item; ns per item each.
    let side = |encode: &dyn Fn(&Customer) -> Item, decode: &dyn Fn(Item) -> Customer| {
        let start = CpuInstant::now();
        for v in &values {
            black_box(encode(v));
        }
        let encoded = start.elapsed_ns() as f64 / N as f64;
        let batch = items.clone();
        let start = CpuInstant::now();
        for item in batch {
            black_box(decode(item));
        }
        (encoded, start.elapsed_ns() as f64 / N as f64)
    };
    let dynorm_side = || {
        side(&|v| v.to_item().expect("encodes"), &|i| {
            Customer::from_item(i).expect("decodes")
        })
    };
    let hand_side = || side(&hand_encode, &hand_decode);
    let serde_side = || {
        side(&|v| serde_dynamo::to_item(v).expect("encodes"), &|i| {
            serde_dynamo::from_item(i).expect("decodes")
        })
    };
    let rounds = crate::rotate3(ROUNDS, dynorm_side, hand_side, serde_side);
    println!("15-attribute item, {ROUNDS} rounds of {N} (order rotating), ns per item, medians");
    let total = |r: (f64, f64)| r.0 + r.1;
    for (name, k) in [("dynorm", 0), ("hand-written", 1), ("serde_dynamo", 2)] {
        let enc = crate::median(rounds.iter().map(|r| r[k].0).collect());
        let dec = crate::median(rounds.iter().map(|r| r[k].1).collect());
        println!("  {name:<13} encode {enc:>7.0}  decode {dec:>7.0}");
    }
    let over_hand: Vec<f64> = rounds.iter().map(|r| total(r[0]) / total(r[1])).collect();
    let speedup: Vec<f64> = rounds.iter().map(|r| total(r[2]) / total(r[0])).collect();
    println!(
        "marshal: dynorm time / hand-written time {} (goal <= 1.02); marshal speedup over serde_dynamo {}",
        crate::spread(&over_hand),
        crate::spread(&speedup)
    );
}

//! `embedded-ops`: put, get and query through dynorm on the embedded engine versus the same
//! operations called directly on `dynoxide::Database`, in the same run.

use crate::harness::CpuInstant;
use std::collections::HashMap;
use std::hint::black_box;

use dynorm::{Client, Table};
use dynoxide::AttributeValue as Raw;
use dynoxide::actions::get_item::GetItemRequest;
use dynoxide::actions::put_item::PutItemRequest;
use dynoxide::actions::query::QueryRequest;

/// A typical small item: a partition and sort key and a handful of attributes.
#[derive(Debug, Clone, PartialEq, Table)]
#[dynorm(table = "bench_ops")]
pub(crate) struct Event {
    #[dynorm(partition_key)]
    user: String,
    #[dynorm(sort_key)]
    seq: u32,
    kind: String,
    amount: i64,
    ok: bool,
    tags: Vec<String>,
}

const USERS: u32 = 100;
const PER_USER: u32 = 100;

fn event(i: u32) -> Event {
    Event {
        user: format!("user-{:03}", i % USERS),
        seq: i / USERS,
        kind: "purchase".into(),
        amount: i64::from(i) * 7 - 300,
        ok: !i.is_multiple_of(3),
        tags: vec!["web".into(), "eu".into()],
    }
}

/// What a program calling dynoxide directly writes by hand for the same item.
fn raw_item(e: &Event) -> HashMap<String, Raw> {
    HashMap::from([
        ("user".to_owned(), Raw::S(e.user.clone())),
        ("seq".to_owned(), Raw::N(e.seq.to_string())),
        ("kind".to_owned(), Raw::S(e.kind.clone())),
        ("amount".to_owned(), Raw::N(e.amount.to_string())),
        ("ok".to_owned(), Raw::BOOL(e.ok)),
        (
            "tags".to_owned(),
            Raw::L(e.tags.iter().cloned().map(Raw::S).collect()),
        ),
    ])
}

/// The item back as an `Event`, by hand: what a program calling dynoxide directly writes to get
/// the same value dynorm returns (the raw side decodes as dynorm does, as in `scan`).
fn raw_event(mut item: HashMap<String, Raw>) -> Event {
    let mut text = |name: &str| match item.remove(name) {
        Some(Raw::S(s) | Raw::N(s)) => s,
        other => panic!("{name}: {other:?}"),
    };
    let user = text("user");
    let seq = text("seq").parse().expect("seq");
    let kind = text("kind");
    let amount = text("amount").parse().expect("amount");
    let ok = matches!(item.remove("ok"), Some(Raw::BOOL(true)));
    let tags = match item.remove("tags") {
        Some(Raw::L(values)) => values
            .into_iter()
            .map(|v| match v {
                Raw::S(s) => s,
                other => panic!("tags: {other:?}"),
            })
            .collect(),
        other => panic!("tags: {other:?}"),
    };
    Event {
        user,
        seq,
        kind,
        amount,
        ok,
        tags,
    }
}

fn raw_key(user: &str, seq: u32) -> HashMap<String, Raw> {
    HashMap::from([
        ("user".to_owned(), Raw::S(user.to_owned())),
        ("seq".to_owned(), Raw::N(seq.to_string())),
    ])
}

async fn fresh_database() -> dynoxide::Database {
    let db = dynoxide::Database::memory().expect("in-memory database");
    Client::from_database(db.clone())
        .table::<Event>()
        .create()
        .await
        .expect("creates the table");
    db
}

fn ns_per_op(start: CpuInstant, ops: u32) -> u64 {
    start.elapsed_ns() / u64::from(ops)
}

pub(crate) fn run() {
    const ROUNDS: usize = 5;
    let n = USERS * PER_USER;
    let events: Vec<Event> = (0..n).map(event).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // Databases filled by each side's put round, reused for its gets and queries.
    let mut raw_db = None;
    let mut dynorm_db = None;

    let put_raw = || {
        let (t, db) = put::raw(&runtime, &events);
        raw_db = Some(db);
        t
    };
    let put_dynorm = || {
        let (t, db) = put::dynorm(&runtime, &events);
        dynorm_db = Some(db);
        t
    };
    let puts = crate::compare(ROUNDS, put_dynorm, put_raw);
    let raw_db = raw_db.expect("filled by the put rounds");
    let dynorm_db = dynorm_db.expect("filled by the put rounds");

    let get_raw = || get::raw(&raw_db, &events);
    let get_dynorm = || get::dynorm(&runtime, &dynorm_db, &events);
    let gets = crate::compare(ROUNDS, get_dynorm, get_raw);

    let query_raw = || query::raw(&raw_db);
    let query_dynorm = || query::dynorm(&runtime, &dynorm_db);
    let queries = crate::compare(ROUNDS, query_dynorm, query_raw);

    report(ROUNDS, [&puts, &gets, &queries]);
}

/// Prints the median times of each operation (dynorm, raw) in put, get, query order, each
/// operation's median ratio with the spread of its pairs, and last the ratio of the whole mix.
fn report(rounds: usize, pairs: [&[(f64, f64)]; 3]) {
    let n = USERS * PER_USER;
    println!(
        "embedded engine, in memory, {rounds} paired rounds (order alternating); ns per operation (dynorm / raw dynoxide), medians"
    );
    for (name, p) in ["put", "get", "query"].iter().zip(pairs) {
        let (d, r) = crate::medians(p);
        let ratios: Vec<f64> = p.iter().map(|(d, r)| r / d).collect();
        println!(
            "  {name:<6} {d:>8.0} / {r:>8.0}   ratio {}",
            crate::spread(&ratios)
        );
    }
    // One figure: throughput of the same mix (n puts, n gets, USERS queries) on each side, per round.
    let mix =
        |put: f64, get: f64, query: f64| put * f64::from(n) + get * f64::from(n) + query * f64::from(USERS);
    let [puts, gets, queries] = pairs;
    let ratios: Vec<f64> = (0..rounds)
        .map(|i| mix(puts[i].1, gets[i].1, queries[i].1) / mix(puts[i].0, gets[i].0, queries[i].0))
        .collect();
    println!("embedded-ops ratio {}", crate::spread(&ratios));
}

mod put {
    use super::*;

    /// The raw side of a put round: a fresh database filled by hand-built items.
    pub(super) fn raw(runtime: &tokio::runtime::Runtime, events: &[Event]) -> (u64, dynoxide::Database) {
        let db = runtime.block_on(fresh_database());
        let start = CpuInstant::now();
        for e in events {
            let request = PutItemRequest {
                table_name: "bench_ops".into(),
                item: raw_item(e),
                ..Default::default()
            };
            black_box(db.put_item(request).expect("raw put"));
        }
        let n = USERS * PER_USER;
        (ns_per_op(start, n), db)
    }

    /// The dynorm side of a put round: a fresh database filled through the typed table.
    pub(super) fn dynorm(runtime: &tokio::runtime::Runtime, events: &[Event]) -> (u64, dynoxide::Database) {
        runtime.block_on(async {
            let db = fresh_database().await;
            let table = Client::from_database(db.clone()).table::<Event>();
            let start = CpuInstant::now();
            for e in events {
                table.put(e).await.expect("dynorm put");
            }
            let n = USERS * PER_USER;
            (ns_per_op(start, n), db)
        })
    }
}

mod get {
    use super::*;

    /// The raw side of a get round: every item by its hand-built key.
    pub(super) fn raw(db: &dynoxide::Database, events: &[Event]) -> u64 {
        let mut read = Vec::with_capacity(events.len());
        let start = CpuInstant::now();
        for e in events {
            let request = GetItemRequest {
                table_name: "bench_ops".into(),
                key: raw_key(&e.user, e.seq),
                ..Default::default()
            };
            let item = db.get_item(request).expect("raw get").item.expect("present");
            read.push(raw_event(item));
        }
        let ns = ns_per_op(start, USERS * PER_USER);
        assert!(read == events, "the raw side read back every event");
        ns
    }

    /// The dynorm side of a get round: every item by its typed key, decoded into `Event`.
    pub(super) fn dynorm(
        runtime: &tokio::runtime::Runtime,
        db: &dynoxide::Database,
        events: &[Event],
    ) -> u64 {
        runtime.block_on(async {
            let table = Client::from_database(db.clone()).table::<Event>();
            let mut read = Vec::with_capacity(events.len());
            let start = CpuInstant::now();
            for e in events {
                let got = table
                    .get(Event::key(e.user.clone(), e.seq))
                    .await
                    .expect("dynorm get");
                read.push(got.expect("present"));
            }
            let ns = ns_per_op(start, USERS * PER_USER);
            assert!(read == events, "dynorm read back every event");
            ns
        })
    }
}

mod query {
    use super::*;

    /// The raw side of the query round: each partition by a hand-written key condition.
    pub(super) fn raw(db: &dynoxide::Database) -> u64 {
        let start = CpuInstant::now();
        for u in 0..USERS {
            let request = QueryRequest {
                table_name: "bench_ops".into(),
                key_condition_expression: Some("#p = :p".into()),
                expression_attribute_names: Some(HashMap::from([("#p".to_owned(), "user".to_owned())])),
                expression_attribute_values: Some(HashMap::from([(
                    ":p".to_owned(),
                    Raw::S(format!("user-{u:03}")),
                )])),
                scan_index_forward: true,
                ..Default::default()
            };
            let items = db.query(request).expect("raw query").items.unwrap_or_default();
            let events: Vec<Event> = items.into_iter().map(raw_event).collect();
            assert_eq!(events.len(), PER_USER as usize);
            black_box(events);
        }
        ns_per_op(start, USERS)
    }

    /// The dynorm side of the query round: the same partitions, decoded into `Event`.
    pub(super) fn dynorm(runtime: &tokio::runtime::Runtime, db: &dynoxide::Database) -> u64 {
        runtime.block_on(async {
            let table = Client::from_database(db.clone()).table::<Event>();
            let start = CpuInstant::now();
            for u in 0..USERS {
                let items = table
                    .query_partition(format!("user-{u:03}"))
                    .all()
                    .await
                    .expect("dynorm query");
                assert_eq!(items.len(), PER_USER as usize);
                black_box(items);
            }
            ns_per_op(start, USERS)
        })
    }
}

//! `batch-write` and `scan`: the scale rows, each side in its own child process (see
//! `harness.rs`). Items are generated from their index on both sides, so memory measures what
//! the write or read path holds, not the input.
//!
//! - `batch-write`: N items (default 100,000; `--1m` for a million) through dynorm's
//!   `batch_put` at the default concurrency a user gets, against raw
//!   `dynoxide::Database::batch_write_item` calls of 25 hand-converted items each.
//! - `scan`: N items loaded untimed, then read back whole: dynorm's `scan().stream()` decoding
//!   each item into the struct, against raw paged `Database::scan` calls decoding by hand.
//!
//! Both sides digest the full table (`batch-write`) or every value read (`scan`); the harness
//! compares the digests.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use dynorm::{Client, Table};
use dynoxide::AttributeValue as Raw;
use dynoxide::actions::batch_write_item as bw;
use dynoxide::actions::scan::ScanRequest;
use futures::StreamExt;
use serde_json::json;

use crate::harness::{self, Digest, Meter};

const DEFAULT_ITEMS: usize = 100_000;
const ROUNDS: usize = 5;
const TABLE: &str = "bench_batch";

/// The benchmark item: a partition and sort key, strings, numbers and a bool.
#[derive(Debug, Clone, PartialEq, Table)]
#[dynorm(table = "bench_batch")]
pub(crate) struct Reading {
    #[dynorm(partition_key)]
    device: String,
    #[dynorm(sort_key)]
    seq: u64,
    kind: String,
    value: f64,
    count: i64,
    ok: bool,
    note: String,
}

fn sample(i: usize) -> Reading {
    Reading {
        device: format!("device-{:04}", i % 1000),
        seq: i as u64,
        kind: "temperature".into(),
        value: 20.5 + (i % 100) as f64 / 10.0,
        count: i as i64 * 3,
        ok: !i.is_multiple_of(7),
        note: format!("reading number {i} of the benchmark"),
    }
}

/// The item a program calling dynoxide directly writes by hand (ryu and itoa, as dynorm does).
fn raw_item(r: &Reading) -> HashMap<String, Raw> {
    HashMap::from([
        ("device".to_owned(), Raw::S(r.device.clone())),
        (
            "seq".to_owned(),
            Raw::N(itoa::Buffer::new().format(r.seq).to_owned()),
        ),
        ("kind".to_owned(), Raw::S(r.kind.clone())),
        (
            "value".to_owned(),
            Raw::N(ryu::Buffer::new().format_finite(r.value).to_owned()),
        ),
        (
            "count".to_owned(),
            Raw::N(itoa::Buffer::new().format(r.count).to_owned()),
        ),
        ("ok".to_owned(), Raw::BOOL(r.ok)),
        ("note".to_owned(), Raw::S(r.note.clone())),
    ])
}

/// The value back from a raw item, by hand.
fn raw_reading(mut item: HashMap<String, Raw>) -> Reading {
    let mut text = |name: &str| match item.remove(name) {
        Some(Raw::S(s) | Raw::N(s)) => s,
        other => panic!("{name}: {other:?}"),
    };
    let device = text("device");
    let seq = text("seq").parse().expect("seq");
    let kind = text("kind");
    let value = text("value").parse().expect("value");
    let count = text("count").parse().expect("count");
    let note = text("note");
    let ok = matches!(item.remove("ok"), Some(Raw::BOOL(true)));
    Reading {
        device,
        seq,
        kind,
        value,
        count,
        ok,
        note,
    }
}

/// Runs a future that never waits on anything outside itself (the embedded engine answers
/// synchronously) to completion.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// A fresh in-memory embedded client with the benchmark table.
fn fresh() -> Client {
    let client = Client::embedded().expect("embedded database");
    create_bench_table(client.database().expect("embedded"));
    client
}

fn create_bench_table(db: &dynoxide::Database) {
    db.create_table(
        serde_json::from_value(json!({
            "TableName": TABLE,
            "KeySchema": [
                {"AttributeName": "device", "KeyType": "HASH"},
                {"AttributeName": "seq", "KeyType": "RANGE"}
            ],
            "AttributeDefinitions": [
                {"AttributeName": "device", "AttributeType": "S"},
                {"AttributeName": "seq", "AttributeType": "N"}
            ],
            "BillingMode": "PAY_PER_REQUEST"
        }))
        .expect("create table request"),
    )
    .expect("create table");
}

/// Every item of the table, raw, page by page.
fn each_item(db: &dynoxide::Database, mut f: impl FnMut(HashMap<String, Raw>)) {
    let mut start = None;
    loop {
        let page = db
            .scan(ScanRequest {
                table_name: TABLE.into(),
                exclusive_start_key: start.take(),
                ..Default::default()
            })
            .expect("scan");
        for item in page.items.unwrap_or_default() {
            f(item);
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return,
        }
    }
}

/// A digest of every stored item (its DynamoDB JSON, canonical).
fn table_digest(db: &dynoxide::Database) -> u64 {
    let mut digest = Digest::default();
    each_item(db, |item| {
        digest.add(&serde_json::to_value(&item).expect("item as JSON"));
    });
    digest.finish()
}

fn raw_load(db: &dynoxide::Database, n: usize) {
    let mut i = 0;
    while i < n {
        let end = (i + 25).min(n);
        let requests = (i..end)
            .map(|i| bw::WriteRequest {
                put_request: Some(bw::PutRequest {
                    item: raw_item(&sample(i)),
                }),
                delete_request: None,
            })
            .collect();
        let out = db
            .batch_write_item(bw::BatchWriteItemRequest {
                request_items: HashMap::from([(TABLE.to_owned(), requests)]),
                ..Default::default()
            })
            .expect("batch write");
        assert!(out.unprocessed_items.is_empty(), "the engine left nothing");
        i = end;
    }
}

/// One side of `batch-write`, in a child.
pub(crate) fn load_child(side: &str, n: usize) {
    let client = fresh();
    let db = client.database().expect("embedded").clone();
    let meter = Meter::start();
    match side {
        "dynorm" => {
            let table = client.table::<Reading>();
            let outcome = block_on(table.batch_put((0..n).map(sample)).send()).expect("batch put");
            assert_eq!((outcome.written, outcome.superseded), (n, 0));
        }
        "raw" => raw_load(&db, n),
        other => panic!("unknown side {other}"),
    }
    let stopped = meter.stop(n as u64);
    stopped.report(table_digest(&db));
}

/// One side of `scan`, in a child.
pub(crate) fn scan_child(side: &str, n: usize) {
    let client = fresh();
    let db = client.database().expect("embedded").clone();
    raw_load(&db, n);
    let mut digest = Digest::default();
    // Every field, hashed (cheap next to decoding, and the same work on both sides).
    let mut add = |r: &Reading| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &r.device,
            r.seq,
            &r.kind,
            r.value.to_bits(),
            r.count,
            r.ok,
            &r.note,
        )
            .hash(&mut h);
        digest.add_hash(h.finish());
    };
    let meter = Meter::start();
    let mut read = 0u64;
    match side {
        "dynorm" => {
            let mut items = client.table::<Reading>().scan().stream();
            while let Some(r) = block_on(items.next()) {
                add(&r.expect("decoded"));
                read += 1;
            }
        }
        "raw" => each_item(&db, |item| {
            add(&raw_reading(item));
            read += 1;
        }),
        other => panic!("unknown side {other}"),
    }
    let stopped = meter.stop(read);
    stopped.report(digest.finish());
}

pub(crate) fn run() {
    let n = harness::size_arg(DEFAULT_ITEMS);
    harness::paired(
        "batch-write",
        n,
        harness::rounds_arg(ROUNDS),
        ["dynorm", "raw"],
        "items",
        harness::Clock::Cpu,
    );
}

pub(crate) fn run_scan() {
    let n = harness::size_arg(DEFAULT_ITEMS);
    harness::paired(
        "scan",
        n,
        harness::rounds_arg(ROUNDS),
        ["dynorm", "raw"],
        "items",
        harness::Clock::Cpu,
    );
}

/// One side of `file-puts`, in a child: N single puts into a file-backed database.
pub(crate) fn file_puts_child(side: &str, n: usize) {
    let dir = std::env::temp_dir().join(format!("dynorm-bench-file-puts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join("db.sqlite");
    let path_text = path.to_str().expect("a UTF-8 path");
    let (db, client) = match side {
        "dynorm" => {
            let client = Client::embedded_file(&path).expect("file database");
            (client.database().expect("embedded").clone(), Some(client))
        }
        "raw" => (dynoxide::Database::new(path_text).expect("file database"), None),
        other => panic!("unknown side {other}"),
    };
    create_bench_table(&db);
    let meter = Meter::start();
    match client {
        Some(client) => {
            let table = client.table::<Reading>();
            for i in 0..n {
                block_on(table.put(&sample(i)).send()).expect("dynorm put");
            }
        }
        None => {
            for i in 0..n {
                let request = dynoxide::actions::put_item::PutItemRequest {
                    table_name: TABLE.into(),
                    item: raw_item(&sample(i)),
                    ..Default::default()
                };
                db.put_item(request).expect("raw put");
            }
        }
    }
    let stopped = meter.stop(n as u64);
    let digest = table_digest(&db);
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    stopped.report(digest);
}

pub(crate) fn run_file_puts() {
    let n = harness::size_arg(1_000);
    harness::paired(
        "file-puts",
        n,
        harness::rounds_arg(ROUNDS),
        ["dynorm", "raw"],
        "puts",
        harness::Clock::Wall,
    );
}

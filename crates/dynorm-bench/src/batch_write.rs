//! `batch-write`: 100,000 items written through dynorm's `batch_put` on the embedded engine,
//! against the same items written with raw `dynoxide::Database::batch_write_item` calls of 25
//! items each. Each round uses a fresh in-memory database; rounds alternate in one process.
//!
//! The raw side's requests are built before its clock starts (it times only the engine calls);
//! dynorm's side times everything from typed values to written items: encoding, key checks,
//! chunking, and the conversion to the engine's types.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use dynorm::{Client, Table};
use serde_json::{Value, json};

const ITEMS: usize = 100_000;
const ROUNDS: usize = 5;

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

/// The same item in DynamoDB JSON, for the raw side.
fn sample_json(r: &Reading) -> Value {
    json!({
        "device": {"S": r.device},
        "seq": {"N": r.seq.to_string()},
        "kind": {"S": r.kind},
        "value": {"N": r.value.to_string()},
        "count": {"N": r.count.to_string()},
        "ok": {"BOOL": r.ok},
        "note": {"S": r.note},
    })
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
    let db = client.database().expect("embedded");
    db.create_table(
        serde_json::from_value(json!({
            "TableName": "bench_batch",
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
    client
}

fn count(client: &Client) -> usize {
    let db = client.database().expect("embedded");
    let mut total = 0;
    let mut start: Option<Value> = None;
    loop {
        let mut request = json!({"TableName": "bench_batch", "Select": "COUNT"});
        if let Some(s) = start.take() {
            request["ExclusiveStartKey"] = s;
        }
        let response = db
            .scan(serde_json::from_value(request).expect("scan request"))
            .expect("scan");
        total += response.count;
        match response.last_evaluated_key {
            Some(k) => start = Some(serde_json::to_value(k).expect("key")),
            None => return total,
        }
    }
}

pub(crate) fn run() {
    let values: Vec<Reading> = (0..ITEMS).map(sample).collect();
    let chunks_json: Vec<Value> = values
        .chunks(25)
        .map(|chunk| {
            json!({"RequestItems": {"bench_batch": chunk
                .iter()
                .map(|r| json!({"PutRequest": {"Item": sample_json(r)}}))
                .collect::<Vec<_>>()}})
        })
        .collect();

    let mut dynorm_written = 0;
    let mut raw_written = 0;
    let (dynorm_ns, raw_ns) = crate::compare(
        ROUNDS,
        || {
            let client = fresh();
            let table = client.table::<Reading>();
            let start = Instant::now();
            let outcome = block_on(table.batch_put(&values).concurrency(1).send()).expect("batch put");
            let elapsed = start.elapsed().as_nanos() as u64;
            assert_eq!(outcome.written, ITEMS);
            dynorm_written = count(&client);
            elapsed
        },
        || {
            let client = fresh();
            let db = client.database().expect("embedded");
            let mut requests = Vec::with_capacity(chunks_json.len());
            for c in &chunks_json {
                requests.push(serde_json::from_value(c.clone()).expect("batch request"));
            }
            let start = Instant::now();
            for request in requests {
                let response = db.batch_write_item(request).expect("batch write");
                black_box(response);
            }
            let elapsed = start.elapsed().as_nanos() as u64;
            raw_written = count(&client);
            elapsed
        },
    );
    assert_eq!(dynorm_written, ITEMS, "dynorm wrote every item");
    assert_eq!(raw_written, ITEMS, "raw wrote every item");
    let dynorm_rate = ITEMS as f64 / (dynorm_ns / 1e9);
    let raw_rate = ITEMS as f64 / (raw_ns / 1e9);
    println!("items per run: {ITEMS}, rounds: {ROUNDS} (best of each)");
    println!(
        "dynorm batch_put:          {:>8.0} ms  {:>9.0} items/s",
        dynorm_ns / 1e6,
        dynorm_rate
    );
    println!(
        "raw batch_write_item (25): {:>8.0} ms  {:>9.0} items/s",
        raw_ns / 1e6,
        raw_rate
    );
    println!("batch-write ratio {:.2}", dynorm_rate / raw_rate);
}

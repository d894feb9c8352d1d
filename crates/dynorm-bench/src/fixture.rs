//! `fixture`: fresh test databases with 5 tables of 2 GSIs each: `dynorm::testing::database`
//! from the definitions, against `dynoxide::Database::memory()` and five CreateTable calls whose
//! requests are read from JSON (as a hand-written test helper would). Each side in its own child
//! process; both digest the described tables (less times and ARNs) of their last database.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use dynorm::{AttributeType, GlobalSecondaryIndex, TableDefinition};
use serde_json::{Value, json};

use crate::harness::{self, Digest, Meter};

const TABLES: usize = 5;

fn definitions() -> Vec<TableDefinition> {
    (0..TABLES)
        .map(|t| {
            let mut d = TableDefinition::new(format!("table_{t}"), "pk", AttributeType::String);
            d.sort_key = Some("sk".into());
            d.attributes
                .push(dynorm::AttributeDefinition::new("sk", AttributeType::String));
            for g in 1..=2 {
                for key in [format!("gpk{g}"), format!("gsk{g}")] {
                    d.attributes
                        .push(dynorm::AttributeDefinition::new(key, AttributeType::String));
                }
                let index =
                    GlobalSecondaryIndex::new(format!("gsi_{g}"), format!("gpk{g}"), Some(format!("gsk{g}")));
                d.global_secondary_indexes.push(index);
            }
            d
        })
        .collect()
}

/// The CreateTable request a hand-written helper sends for table `t`.
fn raw_request(t: usize) -> Value {
    let key = |pk: String, sk: String| json!([{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}]);
    let attributes: Vec<Value> = ["pk", "sk", "gpk1", "gsk1", "gpk2", "gsk2"]
        .iter()
        .map(|a| json!({"AttributeName": a, "AttributeType": "S"}))
        .collect();
    json!({
        "TableName": format!("table_{t}"),
        "KeySchema": key("pk".into(), "sk".into()),
        "AttributeDefinitions": attributes,
        "GlobalSecondaryIndexes": (1..=2).map(|g| json!({
            "IndexName": format!("gsi_{g}"),
            "KeySchema": key(format!("gpk{g}"), format!("gsk{g}")),
            "Projection": {"ProjectionType": "ALL"},
        })).collect::<Vec<_>>(),
        "BillingMode": "PAY_PER_REQUEST",
    })
}

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

/// The described tables, less what differs between two creations.
fn digest(db: &dynoxide::Database) -> u64 {
    let mut digest = Digest::default();
    for t in 0..TABLES {
        let request = serde_json::from_value(json!({"TableName": format!("table_{t}")})).expect("request");
        let mut table = serde_json::to_value(db.describe_table(request).expect("describe")).expect("JSON");
        strip(&mut table);
        digest.add(&table);
    }
    digest.finish()
}

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for volatile in [
                "CreationDateTime",
                "TableArn",
                "TableId",
                "IndexArn",
                "LatestStreamArn",
                "LatestStreamLabel",
            ] {
                map.remove(volatile);
            }
            map.values_mut().for_each(strip);
        }
        Value::Array(list) => {
            list.sort_by_key(|v| v.to_string());
            list.iter_mut().for_each(strip);
        }
        _ => {}
    }
}

/// One side, in a child: `n` fresh databases.
pub(crate) fn child(side: &str, n: usize) {
    let definitions = definitions();
    let refs: Vec<&TableDefinition> = definitions.iter().collect();
    let meter = Meter::start();
    let mut last = None;
    for _ in 0..n {
        let db = match side {
            "dynorm" => {
                let client = block_on(dynorm::testing::database(&refs)).expect("test database");
                client.database().expect("embedded").clone()
            }
            "raw" => {
                let db = dynoxide::Database::memory().expect("database");
                for t in 0..TABLES {
                    let request = serde_json::from_value(raw_request(t)).expect("request");
                    db.create_table(request).expect("create");
                }
                db
            }
            other => panic!("unknown side {other}"),
        };
        last = Some(db);
    }
    let stopped = meter.stop(n as u64);
    stopped.report(digest(&last.expect("at least one database")));
}

pub(crate) fn run() {
    let n = harness::size_arg(200);
    harness::paired(
        "fixture",
        n,
        harness::rounds_arg(7),
        ["dynorm", "raw"],
        "databases",
        harness::Clock::Cpu,
    );
}

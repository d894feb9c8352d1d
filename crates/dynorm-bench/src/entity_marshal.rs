//! `entity-marshal`: a single-table entity (composed table and index keys, entity type, readable
//! fields) encoded and decoded by `#[derive(Entity)]`, against what one writes without dynorm:
//! serde_dynamo for the fields plus the key strings composed by hand with `format!`.

use crate::harness::CpuInstant;
use std::hint::black_box;

use dynorm::entity::{Entity, IndexLayout, Layout, SingleTable};
use dynorm::{AttributeValue, Item};
use serde::{Deserialize, Serialize};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

/// A run of an integration (the STORM wiki's example): four composed keys, one zero-padded.
#[derive(Debug, Clone, PartialEq, dynorm::Entity, Serialize, Deserialize)]
#[dynorm(table = App, entity = "Run")]
#[dynorm(pk = "T#{tenant}#Integrations", sk = "I#{integration}#R#{run:06}")]
#[dynorm(index(name = "gsi1", pk = "RUNS#{integration}", sk = "{status}#{started_at}"))]
struct Run {
    tenant: String,
    integration: String,
    run: u32,
    status: String,
    started_at: String,
    rows: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn sample(i: u32) -> Run {
    Run {
        tenant: format!("tenant-{}", i % 50),
        integration: format!("INT{:04}", i % 700),
        run: i,
        status: if i.is_multiple_of(3) { "failed" } else { "ok" }.into(),
        started_at: format!("2026-01-{:02}T10:00", 1 + i % 28),
        rows: u64::from(i) * 17,
        note: i.is_multiple_of(2).then(|| "retried once".to_owned()),
    }
}

/// The item by hand: serde_dynamo for the fields, `format!` for the keys.
fn by_hand(r: &Run) -> Item {
    let mut item: Item = serde_dynamo::to_item(r).expect("serde_dynamo encodes the sample");
    let s = |v: String| AttributeValue::S(v);
    item.insert("pk".into(), s(format!("T#{}#Integrations", r.tenant)));
    item.insert("sk".into(), s(format!("I#{}#R#{:06}", r.integration, r.run)));
    item.insert("gsi1pk".into(), s(format!("RUNS#{}", r.integration)));
    item.insert("gsi1sk".into(), s(format!("{}#{}", r.status, r.started_at)));
    item.insert("__entity".into(), s("Run".into()));
    item
}

pub(crate) fn run() {
    const N: u32 = 20_000;
    const ROUNDS: usize = 15;
    let values: Vec<Run> = (0..N).map(sample).collect();

    // Both sides must store the same item, or the comparison means nothing.
    for v in values.iter().take(4) {
        assert_eq!(
            v.to_entity_item().expect("dynorm encodes"),
            by_hand(v),
            "the stored items differ"
        );
    }

    let encode_dynorm = || {
        let start = CpuInstant::now();
        for v in &values {
            black_box(v.to_entity_item().expect("encodes"));
        }
        start.elapsed_ns() / u64::from(N)
    };
    let encode_hand = || {
        let start = CpuInstant::now();
        for v in &values {
            black_box(by_hand(v));
        }
        start.elapsed_ns() / u64::from(N)
    };
    let enc = crate::compare(ROUNDS, encode_dynorm, encode_hand);
    let (enc_d, enc_h) = crate::medians(&enc);

    let items: Vec<Item> = values.iter().map(by_hand).collect();
    let decode_dynorm = || {
        let batch = items.clone();
        let start = CpuInstant::now();
        for item in batch {
            black_box(Run::from_entity_item(item).expect("decodes"));
        }
        start.elapsed_ns() / u64::from(N)
    };
    let decode_hand = || {
        let batch = items.clone();
        let start = CpuInstant::now();
        for item in batch {
            // Without dynorm nothing checks the entity type; checking it is the least one owes.
            assert_eq!(item.get("__entity"), Some(&AttributeValue::S("Run".into())));
            black_box(serde_dynamo::from_item::<_, Run>(item).expect("decodes"));
        }
        start.elapsed_ns() / u64::from(N)
    };
    let dec = crate::compare(ROUNDS, decode_dynorm, decode_hand);
    let (dec_d, dec_h) = crate::medians(&dec);

    println!(
        "entity with 4 composed keys, {ROUNDS} paired rounds of {N} (order alternating), ns per item, medians"
    );
    println!(
        "  encode  dynorm {enc_d:>7.0}  serde_dynamo + format! {enc_h:>7.0}  speedup {:.2}",
        enc_h / enc_d
    );
    println!(
        "  decode  dynorm {dec_d:>7.0}  serde_dynamo {dec_h:>7.0}  speedup {:.2}",
        dec_h / dec_d
    );
    let pairs: Vec<f64> = enc
        .iter()
        .zip(&dec)
        .map(|(e, d)| (e.1 + d.1) / (e.0 + d.0))
        .collect();
    println!("entity-marshal speedup {}", crate::spread(&pairs));
}

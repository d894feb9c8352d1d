//! Model-based property test of the write path: random sequences of writes through every route
//! (put, save-style versioned put, plain update, transaction put and update, upsert, batch put,
//! batch upsert, delete) over a versioned entity with a sparse index, on the engine and on a small
//! in-memory model of the rules. After every step the stored items equal the model's, and every
//! index key equals what its template gives for the stored fields.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use dynorm::entity::{IndexLayout, Layout, RawItem, SingleTable};
use dynorm::expr::{Update, attr};
use dynorm::{Client, Item, Table as _};
use proptest::prelude::*;

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[
            IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk")),
            IndexLayout::global("gsi2", "gsi2pk", Some("gsi2sk")),
        ],
        ..Layout::new("model", "pk", Some("sk"))
    };
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Prop", pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "gsi1", pk = "P#{provider}", sk = "I#{id}"))]
#[dynorm(index(name = "gsi2", pk = "R#{region}", sk = "T#{tenant}#I#{id}"))]
struct Prop {
    tenant: String,
    id: String,
    provider: String,
    region: Option<String>,
    #[dynorm(version)]
    version: u64,
}

/// What the model holds for one id.
#[derive(Debug, Clone, PartialEq)]
struct State {
    provider: String,
    region: Option<String>,
    version: u64,
}

#[derive(Debug, Clone)]
enum Op {
    Put {
        id: usize,
        provider: String,
        region: Option<String>,
        stale: bool,
    },
    TxPut {
        id: usize,
        provider: String,
        region: Option<String>,
        stale: bool,
    },
    SetProvider {
        id: usize,
        provider: String,
        tx: bool,
    },
    SetRegion {
        id: usize,
        region: Option<String>,
    },
    Upsert {
        id: usize,
        provider: String,
        region: Option<String>,
    },
    BatchPut {
        ids: Vec<usize>,
        provider: String,
    },
    BatchUpsert {
        ids: Vec<usize>,
        provider: String,
    },
    Delete {
        id: usize,
    },
}

const IDS: usize = 3;

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["jira", "gh", "a#b", "x~y", "é"]).prop_map(str::to_owned)
}

fn region() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(vec!["eu", "us"]).prop_map(str::to_owned))
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0..IDS;
    prop_oneof![
        (id.clone(), word(), region(), any::<bool>()).prop_map(|(id, provider, region, stale)| Op::Put {
            id,
            provider,
            region,
            stale
        }),
        (id.clone(), word(), region(), any::<bool>()).prop_map(|(id, provider, region, stale)| Op::TxPut {
            id,
            provider,
            region,
            stale
        }),
        (id.clone(), word(), any::<bool>()).prop_map(|(id, provider, tx)| Op::SetProvider {
            id,
            provider,
            tx
        }),
        (id.clone(), region()).prop_map(|(id, region)| Op::SetRegion { id, region }),
        (id.clone(), word(), region()).prop_map(|(id, provider, region)| Op::Upsert { id, provider, region }),
        (prop::collection::vec(0..IDS, 1..4), word())
            .prop_map(|(ids, provider)| Op::BatchPut { ids, provider }),
        (prop::collection::vec(0..IDS, 1..4), word())
            .prop_map(|(ids, provider)| Op::BatchUpsert { ids, provider }),
        id.prop_map(|id| Op::Delete { id }),
    ]
}

fn name(id: usize) -> String {
    format!("i{id}")
}

fn value(id: usize, provider: &str, region: &Option<String>, version: u64) -> Prop {
    Prop {
        tenant: "acme".into(),
        id: name(id),
        provider: provider.into(),
        region: region.clone(),
        version,
    }
}

/// The model after a batch wrote `provider` (and no region) to `ids`: each id once, however often
/// it was given (the last write of a key wins), its version bumped.
fn written_once(model: &mut BTreeMap<usize, State>, ids: &[usize], provider: &str) {
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    for id in distinct {
        let version = model.get(&id).map_or(0, |s| s.version) + 1;
        let state = State {
            provider: provider.to_owned(),
            region: None,
            version,
        };
        model.insert(id, state);
    }
}

/// Applies `op` to the engine and to the model; the engine's success must match the model's.
async fn step(client: &Client, model: &mut BTreeMap<usize, State>, op: &Op) {
    let t = client.table::<Prop>();
    let current = |model: &BTreeMap<usize, State>, id: usize| model.get(&id).map_or(0, |s| s.version);
    match op {
        Op::Put {
            id,
            provider,
            region,
            stale,
        }
        | Op::TxPut {
            id,
            provider,
            region,
            stale,
        } => {
            let now = current(model, *id);
            let carried = if *stale { now + 1 } else { now };
            let v = value(*id, provider, region, carried);
            let result = if matches!(op, Op::Put { .. }) {
                t.put(&v).await
            } else {
                client.transact_write().put(&t, &v).send().await.map(|_| ())
            };
            assert_eq!(result.is_ok(), !stale, "{op:?}: {result:?}");
            if !stale {
                model.insert(
                    *id,
                    State {
                        provider: provider.clone(),
                        region: region.clone(),
                        version: now + 1,
                    },
                );
            }
        }
        Op::SetProvider { id, provider, tx } => {
            let key = Prop::key("acme", name(*id));
            let result = if *tx {
                client
                    .transact_write()
                    .update(&t, key, Update::new().set("provider", provider.as_str()))
                    .condition(attr("pk").exists())
                    .send()
                    .await
                    .map(|_| ())
            } else {
                t.update(key)
                    .set("provider", provider.as_str())
                    .must_exist()
                    .send()
                    .await
            };
            assert_eq!(result.is_ok(), model.contains_key(id), "{op:?}: {result:?}");
            if let Some(s) = model.get_mut(id) {
                s.provider.clone_from(provider);
                s.version += 1;
            }
        }
        Op::SetRegion { id, region } => {
            let update = t.update(Prop::key("acme", name(*id))).must_exist();
            let update = match region {
                Some(r) => update.set("region", r.as_str()),
                None => update.remove("region"),
            };
            let result = update.send().await;
            assert_eq!(result.is_ok(), model.contains_key(id), "{op:?}: {result:?}");
            if let Some(s) = model.get_mut(id) {
                s.region.clone_from(region);
                s.version += 1;
            }
        }
        Op::Upsert { id, provider, region } => {
            t.upsert(&value(*id, provider, region, 0)).await.unwrap();
            let version = current(model, *id) + 1;
            model.insert(
                *id,
                State {
                    provider: provider.clone(),
                    region: region.clone(),
                    version,
                },
            );
        }
        Op::BatchPut { ids, provider } => {
            let values: Vec<Prop> = ids
                .iter()
                .map(|id| value(*id, provider, &None, current(model, *id)))
                .collect();
            let outcome = t.batch_put(values).await.unwrap();
            assert!(outcome.is_complete(), "{op:?}: {outcome:?}");
            written_once(model, ids, provider);
        }
        Op::BatchUpsert { ids, provider } => {
            let values: Vec<Prop> = ids.iter().map(|id| value(*id, provider, &None, 0)).collect();
            let outcome = t.batch_upsert(values).await.unwrap();
            assert!(outcome.is_complete(), "{op:?}: {outcome:?}");
            written_once(model, ids, provider);
        }
        Op::Delete { id } => {
            t.delete(Prop::key("acme", name(*id))).await.unwrap();
            model.remove(id);
        }
    }
}

/// The stored items equal the model, and their index keys are what a fresh put renders.
async fn check(client: &Client, model: &BTreeMap<usize, State>, after: &Op) {
    let raw = client.table::<RawItem<App>>();
    for id in 0..IDS {
        let stored: Option<Item> = raw
            .get(RawItem::<App>::key(Prop::key("acme", name(id))))
            .await
            .unwrap()
            .map(|r| r.item);
        match (stored, model.get(&id)) {
            (None, None) => {}
            (Some(item), Some(state)) => {
                let value = Prop::from_item(item.clone()).unwrap();
                assert_eq!(
                    State {
                        provider: value.provider.clone(),
                        region: value.region.clone(),
                        version: value.version
                    },
                    *state,
                    "after {after:?}"
                );
                let fresh = value.to_item().unwrap();
                for key in ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"] {
                    assert_eq!(item.get(key), fresh.get(key), "{key} stale after {after:?}");
                }
            }
            (stored, state) => panic!("after {after:?}: stored {stored:?}, model {state:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_route_keeps_the_rules(ops in prop::collection::vec(op(), 1..24), through_sdk in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let embedded = Client::embedded().unwrap();
            embedded.create_table(Prop::definition()).await.unwrap();
            let client = if through_sdk { Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone()) } else { embedded };
            let mut model = BTreeMap::new();
            for op in &ops {
                step(&client, &mut model, op).await;
                check(&client, &model, op).await;
            }
        });
    }
}

//! An instrumented backend for tests: it records every request a client sends, so a test can
//! assert what was sent (a Query and not a Scan, which condition, which index), and can inject
//! the faults DynamoDB shows under load into batch calls.
//!
//! It wraps whichever backend the client has (the embedded database called directly, or any
//! endpoint through the SDK), so both code paths meet the same faults.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! use dynorm::Table;
//! use dynorm::testing::{FaultPlan, instrument};
//!
//! #[derive(Table, Debug, Clone, PartialEq)]
//! #[dynorm(table = "users")]
//! struct User {
//!     #[dynorm(partition_key)]
//!     id: String,
//!     name: String,
//! }
//!
//! let client = dynorm::Client::embedded()?;
//! client.create_table(User::definition()).await?;
//! let (client, recording) = instrument(&client);
//! let users = client.table::<User>();
//! users.put(&User { id: "u1".into(), name: "Ada".into() }).create_only().await?;
//! let sent = recording.requests();
//! assert_eq!(sent[0].operation, "PutItem");
//! assert_eq!(sent[0].condition().as_deref(), Some("attribute_not_exists(id)"));
//!
//! // The same client, with a third of its batch requests throttled.
//! let plan = FaultPlan { seed: 1, throttle_probability: 0.3, unprocessed_fraction: 0.5 };
//! let (_faulty, faults) = dynorm::testing::with_faults(&client, plan);
//! assert_eq!(faults.fault_counts().requests, 0);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::engine::Backend;
use crate::engine::request::{Answer, Request, Response, TxKind, WriteOp};
use crate::future::BoxFuture;
use crate::retry::Jitter;
use crate::{Client, Error, Item, Result};

/// What faults to inject, reproducibly from `seed`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultPlan {
    /// Seeds the random choices.
    pub seed: u64,
    /// The chance that a batch request is throttled as a whole (nothing of it is written or read).
    pub throttle_probability: f64,
    /// The chance that each write or key of a request that is not throttled comes back
    /// unprocessed (held back, not sent).
    pub unprocessed_fraction: f64,
}

/// What a fault-injecting client has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Batch requests seen.
    pub requests: u64,
    /// Requests refused as throttled.
    pub throttled: u64,
    /// Writes and keys returned as unprocessed.
    pub held_back: u64,
}

/// One request as it was sent, expressions and all.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SentRequest {
    /// DynamoDB's operation name: `PutItem`, `Query`, `Scan`, `TransactWriteItems`, ...
    pub operation: &'static str,
    /// The table (the first one, for transactions).
    pub table: String,
    /// The index a Query or Scan reads.
    pub index: Option<String>,
    /// The key condition of a Query (attribute names in place of their placeholders, as in
    /// every expression here).
    pub key_condition: Option<String>,
    /// The filter of a Query or Scan.
    pub filter: Option<String>,
    /// The condition of a write (of each item, for a transaction).
    pub conditions: Vec<String>,
    /// The update expression of an UpdateItem (of each update, for a transaction).
    pub updates: Vec<String>,
    /// The items a put writes (each put of a batch or transaction).
    pub items: Vec<Item>,
    /// Items or keys carried (1 for single-item calls).
    pub count: usize,
    /// The PartiQL text of an ExecuteStatement (its values are parameters, never in the text);
    /// of a batch or transaction, each statement's text, joined by `; `.
    pub statement: Option<String>,
    /// The parameters of an ExecuteStatement (of every statement of a batch), in order.
    pub parameters: Vec<crate::AttributeValue>,
    /// DynamoDB's `Limit` of a Query or Scan.
    pub limit: Option<u32>,
    /// Whether a read asked for strong consistency.
    pub consistent_read: bool,
}

impl SentRequest {
    /// The (first) condition.
    pub fn condition(&self) -> Option<String> {
        self.conditions.first().cloned()
    }

    /// The (first) update expression.
    pub fn update(&self) -> Option<String> {
        self.updates.first().cloned()
    }
}

/// `expression` with every `#placeholder` replaced by the attribute name it stands for, so tests
/// read `attribute_not_exists(id)` rather than `attribute_not_exists(#n0)`.
fn resolve(expression: &str, names: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(expression.len());
    let mut rest = expression;
    while let Some(at) = rest.find('#') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(tail.len(), |e| e + 1);
        match names.get(&tail[..end]) {
            Some(name) => out.push_str(name),
            None => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[derive(Debug)]
struct State {
    requests: Vec<SentRequest>,
    faults: Option<(FaultPlan, Jitter)>,
    counts: FaultCounts,
}

/// What an instrumented client sent, and what its faults did.
#[derive(Debug, Clone)]
pub struct Recording {
    state: Arc<Mutex<State>>,
}

impl Recording {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every request sent so far, in order.
    pub fn requests(&self) -> Vec<SentRequest> {
        self.lock().requests.clone()
    }

    /// The operations sent so far, in order (`["Query", "UpdateItem"]`).
    pub fn operations(&self) -> Vec<&'static str> {
        self.lock().requests.iter().map(|r| r.operation).collect()
    }

    /// Forgets the requests recorded so far.
    pub fn clear(&self) {
        self.lock().requests.clear();
    }

    /// What the injected faults have done so far.
    pub fn fault_counts(&self) -> FaultCounts {
        self.lock().counts
    }
}

/// A client sharing `client`'s engine whose every request is recorded.
pub fn instrument(client: &Client) -> (Client, Recording) {
    wrap(client, None)
}

/// A client sharing `client`'s engine whose batch calls meet the faults of `plan` (and whose
/// requests are recorded).
pub fn with_faults(client: &Client, plan: FaultPlan) -> (Client, Recording) {
    wrap(client, Some(plan))
}

fn wrap(client: &Client, plan: Option<FaultPlan>) -> (Client, Recording) {
    let recording = Recording {
        state: Arc::new(Mutex::new(State {
            requests: Vec::new(),
            faults: plan.map(|p| (p, Jitter::seeded(p.seed))),
            counts: FaultCounts::default(),
        })),
    };
    let backend = Instrumented {
        inner: client.engine().backend().clone(),
        recording: recording.clone(),
    };
    (
        client.with_engine(client.engine().with_backend(Arc::new(backend))),
        recording,
    )
}

#[derive(Debug)]
struct Instrumented {
    inner: Arc<dyn Backend>,
    recording: Recording,
}

impl Backend for Instrumented {
    fn send(&self, request: Request, capacity: bool) -> BoxFuture<'_, Result<Response>> {
        Box::pin(async move {
            self.recording.lock().requests.push(describe(&request));
            let (request, held) = match self.inject(request) {
                Ok(split) => split,
                Err(e) => return Err(e),
            };
            let mut response = match request {
                Some(request) => self.inner.send(request, capacity).await?,
                None => Response {
                    answer: empty_answer(&held),
                    capacity: None,
                },
            };
            hold_back(&mut response.answer, held);
            Ok(response)
        })
    }

    fn may_throttle(&self) -> bool {
        self.recording.lock().faults.is_some() || self.inner.may_throttle()
    }
}

/// What was held back from a batch request, to be answered as unprocessed.
enum Held {
    Nothing,
    Writes(Vec<WriteOp>),
    Keys(Vec<Item>),
}

impl Instrumented {
    /// Decides the fate of a batch request: throttled as a whole, or split into what is sent
    /// (`None` when nothing is left to send) and what is held back.
    fn inject(&self, request: Request) -> Result<(Option<Request>, Held)> {
        let mut state = self.recording.lock();
        let State { faults, counts, .. } = &mut *state;
        let Some((plan, rng)) = faults else {
            return Ok((Some(request), Held::Nothing));
        };
        let table = request.table().to_owned();
        let mut split = |items: usize| -> Result<Vec<bool>> {
            counts.requests += 1;
            if rng.chance(plan.throttle_probability) {
                counts.throttled += 1;
                return Err(Error::Throttled {
                    table: table.clone(),
                    message: "injected fault: the level of configured provisioned throughput for the table was exceeded"
                        .to_owned(),
                });
            }
            let held: Vec<bool> = (0..items)
                .map(|_| rng.chance(plan.unprocessed_fraction))
                .collect();
            counts.held_back += held.iter().filter(|h| **h).count() as u64;
            Ok(held)
        };
        match request {
            Request::BatchWrite(mut r) => {
                let held = split(r.writes.len())?;
                let (kept, back) = partition(std::mem::take(&mut r.writes), &held);
                r.writes = kept;
                let send = (!r.writes.is_empty()).then_some(Request::BatchWrite(r));
                Ok((send, Held::Writes(back)))
            }
            Request::BatchGet(mut r) => {
                let held = split(r.keys.len())?;
                let (kept, back) = partition(std::mem::take(&mut r.keys), &held);
                r.keys = kept;
                let send = (!r.keys.is_empty()).then_some(Request::BatchGet(r));
                Ok((send, Held::Keys(back)))
            }
            other => Ok((Some(other), Held::Nothing)),
        }
    }
}

fn partition<X>(items: Vec<X>, held: &[bool]) -> (Vec<X>, Vec<X>) {
    let mut kept = Vec::with_capacity(items.len());
    let mut back = Vec::new();
    for (item, h) in items.into_iter().zip(held) {
        if *h { back.push(item) } else { kept.push(item) }
    }
    (kept, back)
}

fn empty_answer(held: &Held) -> Answer {
    match held {
        Held::Keys(_) => Answer::BatchGet(Vec::new(), Vec::new()),
        _ => Answer::BatchWrite(Vec::new()),
    }
}

fn hold_back(answer: &mut Answer, held: Held) {
    match (answer, held) {
        (Answer::BatchWrite(left), Held::Writes(mut back)) => left.append(&mut back),
        (Answer::BatchGet(_, left), Held::Keys(mut back)) => left.append(&mut back),
        _ => {}
    }
}

fn describe(request: &Request) -> SentRequest {
    let mut sent = SentRequest {
        operation: request.operation(),
        table: request.table().to_owned(),
        index: request.index().map(str::to_owned),
        key_condition: None,
        filter: None,
        conditions: Vec::new(),
        updates: Vec::new(),
        items: Vec::new(),
        count: request.count(),
        statement: None,
        parameters: Vec::new(),
        limit: None,
        consistent_read: false,
    };
    let resolved =
        |e: &Option<String>, names: &HashMap<String, String>| e.as_deref().map(|e| resolve(e, names));
    match request {
        Request::Put(r) => {
            sent.conditions
                .extend(resolved(&r.condition, &r.placeholders.names));
            sent.items.push(r.item.clone());
        }
        Request::Delete(r) => sent
            .conditions
            .extend(resolved(&r.condition, &r.placeholders.names)),
        Request::Update(r) => {
            sent.conditions
                .extend(resolved(&r.condition, &r.placeholders.names));
            sent.updates.push(resolve(&r.update, &r.placeholders.names));
        }
        Request::Read(r) => {
            sent.key_condition = resolved(&r.read.key_condition, &r.read.names);
            sent.filter = resolved(&r.read.filter, &r.read.names);
            sent.limit = r.read.limit;
            sent.consistent_read = r.read.consistent_read;
        }
        Request::BatchWrite(r) => sent.items.extend(r.writes.iter().filter_map(|w| match w {
            WriteOp::Put(item) => Some(item.clone()),
            WriteOp::Delete(_) => None,
        })),
        Request::TransactWrite(r) => {
            for w in &r.items {
                sent.conditions
                    .extend(resolved(&w.condition, &w.placeholders.names));
                sent.updates.extend(resolved(&w.update, &w.placeholders.names));
                if w.kind == TxKind::Put {
                    sent.items.push(w.item.clone());
                }
            }
        }
        Request::Get(r) => sent.consistent_read = r.consistent_read,
        Request::BatchGet(_) | Request::TransactGet(_) => {}
        // The statement as sent: its parameters are bound, never part of the text.
        Request::Statement(r) => {
            sent.statement = Some(r.statement.clone());
            sent.parameters = r.parameters.clone();
        }
        Request::StatementBatch(r) => {
            let texts: Vec<&str> = r.statements.iter().map(|s| s.statement.as_str()).collect();
            sent.statement = Some(texts.join("; "));
            sent.parameters = r.statements.iter().flat_map(|s| s.parameters.clone()).collect();
        }
    }
    sent
}

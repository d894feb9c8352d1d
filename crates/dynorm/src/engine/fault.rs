//! Fault injection for tests: a wrapper around a client's engine that makes batch calls fail the
//! way DynamoDB does under load. Not part of dynorm's API; it may change at any time.
//!
//! A [`FaultPlan`] is applied at the engine layer, in front of whichever engine answers (the
//! embedded database called directly, or any endpoint through the SDK), so both code paths see
//! the same faults:
//!
//! - with probability `throttle_probability` a BatchWriteItem / BatchGetItem request is refused
//!   as a whole with [`Error::Throttled`](crate::Error::Throttled), and nothing of it is written
//!   or read;
//! - otherwise each of its writes or keys is, with probability `unprocessed_fraction`, held back
//!   (not sent) and returned as `UnprocessedItems` / `UnprocessedKeys`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! use dynorm::engine::fault::{FaultPlan, with_faults};
//!
//! let client = dynorm::Client::embedded()?;
//! let faulty = with_faults(&client, FaultPlan { seed: 1, throttle_probability: 0.3, unprocessed_fraction: 0.5 });
//! assert_eq!(dynorm::engine::fault::fault_counts(&faulty).map(|c| c.requests), Some(0));
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex};

use crate::client::Inner;
use crate::retry::Jitter;
use crate::{Client, Error, Result};

/// What faults to inject, reproducibly from `seed`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultPlan {
    /// Seeds the random choices.
    pub seed: u64,
    /// The chance that a batch request is throttled as a whole.
    pub throttle_probability: f64,
    /// The chance that each write or key of a request that is not throttled comes back
    /// unprocessed.
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

/// The faults of one client.
#[derive(Debug)]
pub(crate) struct Faults {
    plan: FaultPlan,
    state: Mutex<(Jitter, FaultCounts)>,
}

/// A client sharing `client`'s engine whose batch calls meet the faults of `plan`.
pub fn with_faults(client: &Client, plan: FaultPlan) -> Client {
    Client {
        inner: Arc::new(Inner {
            sdk: client.inner.sdk.clone(),
            engine: client.inner.engine.clone(),
            faults: Some(Arc::new(Faults {
                plan,
                state: Mutex::new((Jitter::seeded(plan.seed), FaultCounts::default())),
            })),
        }),
    }
}

/// What the faults of a client made by [`with_faults`] have done (`None` for other clients).
pub fn fault_counts(client: &Client) -> Option<FaultCounts> {
    let faults = client.inner.faults.as_ref()?;
    let state = faults
        .state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(state.1)
}

impl Faults {
    /// Decides the fate of one batch request: `Err(Throttled)`, or the items split into those to
    /// send and those to hold back as unprocessed (order kept within each).
    pub(crate) fn apply<X>(&self, table: &str, items: Vec<X>) -> Result<(Vec<X>, Vec<X>)> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (rng, counts) = &mut *state;
        counts.requests += 1;
        if rng.chance(self.plan.throttle_probability) {
            counts.throttled += 1;
            return Err(Error::Throttled {
                table: table.to_owned(),
                message: "injected fault: the level of configured provisioned throughput for the table was exceeded"
                    .to_owned(),
            });
        }
        let mut send = Vec::with_capacity(items.len());
        let mut held = Vec::new();
        for item in items {
            if rng.chance(self.plan.unprocessed_fraction) {
                held.push(item);
            } else {
                send.push(item);
            }
        }
        counts.held_back += held.len() as u64;
        Ok((send, held))
    }
}

//! Writes: single items, batches, transactions, upserts and clears, and the model's rules on every
//! write route (versions, computed and sparse index keys, multi-attribute keys, validation), with
//! the route × rule matrix and the model-based property test.
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm --test writes batch::`.

#[path = "../support/mod.rs"]
mod support;

mod batch;
mod clear;
mod item_ops;
mod multi_attribute_keys;
mod sparse_index;
mod transaction;
mod upsert;
mod validation;
mod versioning;
mod write_matrix;
mod write_model;

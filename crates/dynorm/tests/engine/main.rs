//! The engines underneath: both engine paths and their error identity, durability, injected faults,
//! hostile input, change streams (and Lambda's events), table names, endpoint mode's clean-up.
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm --test engine durability::`.

#[path = "../support/mod.rs"]
mod support;

mod durability;
mod endpoint_mode;
mod engine;
mod faults;
mod hostile;
mod real_table_names;
mod stream_lambda;
mod streams;
mod table_names;

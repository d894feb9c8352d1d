//! The Python libraries' own data and examples: fixtures captured from single-table-orm, dynamojo
//! and dynamo_query, and the seed documents' examples.
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm --test interop interop_fixtures::`.

#[path = "../support/mod.rs"]
mod support;

mod interop_fixtures;
mod seed_examples;

//! Reads: query, scan, paging and cursors, limits, DynamoDB's 1 MB pages, PartiQL, strict reads and
//! the cache (most on the orders table of `query_fixture`).
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm --test reads cache::`.

#[path = "../support/mod.rs"]
mod support;

mod query_fixture;

mod cache;
mod item_cursors;
mod limit;
mod page_limit;
mod paging;
mod partiql;
mod query;
mod scan;
mod strict_reads;

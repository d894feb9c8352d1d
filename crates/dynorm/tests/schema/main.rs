//! Tables and their definitions: validation, lifecycle, migrations, evolving types, schema files
//! and the generated infrastructure (golden files).
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm --test schema definition::`.

#[path = "../support/mod.rs"]
mod support;

mod definition;
mod evolve;
mod infra;
mod lifecycle;
mod migrate;
mod schema_file;

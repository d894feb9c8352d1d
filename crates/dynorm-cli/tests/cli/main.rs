//! The `dynorm` command end to end (schema checks, exports, plan and apply, item commands,
//! backfill, the AWS configuration) and the CLI over definitions given in code.
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm-cli --test cli data::`.

mod support;

mod backfill;
mod cli;
mod data;
mod from_env;
mod run_with;

//! Single-table entities: key templates, fields, stored formats, multi-attribute indexes,
//! operations, seed rows, evolving entities and backfills.
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm --test entity entity_backfill::`.

mod entity_backfill;
mod entity_evolve;
mod entity_fields;
mod entity_formats;
mod entity_multi_attribute;
mod entity_ops;
mod entity_seed;
mod entity_template;

//! The derives and what is checked before anything runs: `#[derive(Table, Entity, Projection)]` and
//! `#[dynorm::test]`, attribute codecs (property tests), rendered expressions, compile-time errors
//! (trybuild, all in `compile_fail`) and source hygiene.
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm --test derive attribute_roundtrip::`.

mod attribute_roundtrip;
mod compile_fail;
mod derive;
mod derive_hooks;
mod derive_paths;
mod derive_projection;
mod derive_test_attr;
mod expr;
mod extra;
mod hygiene;

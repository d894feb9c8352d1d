//! `dynorm serve` and its console: hostile input, parity with the engine's own server, the
//! model's rules, change streams and issue 16's features over HTTP, the console's JSON API, its
//! safety, and a walk in a real browser (`console_browser`, gated on `DYNORM_BROWSER_TESTS`).
//!
//! One test binary per area, each former `tests/<name>.rs` now a module of it: every test binary
//! links all of dynorm and the AWS SDK, so fewer binaries build faster. One module:
//! `cargo test -p dynorm-cli --test serve serve_parity::`.

mod console_api;
mod console_browser;
mod console_safety;
mod serve;
mod serve_features;
mod serve_parity;
mod serve_rules;
mod serve_streams;

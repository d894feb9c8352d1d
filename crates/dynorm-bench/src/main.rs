//! dynorm's benchmarks. Run with `cargo run --release -p dynorm-bench -- <name>`; each prints its
//! figures and, last, one line with its ratio. See BENCHMARKS.md.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

mod batch_write;
mod embedded_ops;
mod entity_marshal;
mod marshal;
mod serve_load;

fn main() -> ExitCode {
    let name = std::env::args().nth(1).unwrap_or_default();
    match name.as_str() {
        "marshal" => marshal::run(),
        "embedded-ops" => embedded_ops::run(),
        "batch-write" => batch_write::run(),
        "entity-marshal" => entity_marshal::run(),
        "serve-load" => serve_load::run(),
        "serve-child" => return serve_load::child(),
        _ => {
            eprintln!(
                "usage: dynorm-bench <marshal | embedded-ops | batch-write | entity-marshal | serve-load>"
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Runs `a` and `b` alternately for `rounds` rounds and returns the best time per call of each, in
/// nanoseconds. Alternating in one process keeps a noisy shared machine fair to both.
pub(crate) fn compare(rounds: usize, mut a: impl FnMut() -> u64, mut b: impl FnMut() -> u64) -> (f64, f64) {
    let (mut best_a, mut best_b) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        best_a = best_a.min(a() as f64);
        best_b = best_b.min(b() as f64);
    }
    (best_a, best_b)
}

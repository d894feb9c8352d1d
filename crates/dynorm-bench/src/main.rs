//! dynorm's benchmarks. Run with `cargo run --release -p dynorm-bench -- <name>`; each prints its
//! figures and, last, one line with its ratio. See BENCHMARKS.md.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

mod batch_write;
mod embedded_ops;
mod entity_marshal;
mod fixture;
mod harness;
mod marshal;

const USAGE: &str = "usage: dynorm-bench <marshal | embedded-ops | entity-marshal> \
     | dynorm-bench <batch-write | scan | file-puts | fixture> [--size N | --1m] [--rounds N]";

fn main() -> ExitCode {
    let name = std::env::args().nth(1).unwrap_or_default();
    // A child process of a paired round runs one side and reports (harness.rs).
    if let Some((side, size)) = harness::child_args() {
        match name.as_str() {
            "batch-write" => batch_write::load_child(&side, size),
            "scan" => batch_write::scan_child(&side, size),
            "file-puts" => batch_write::file_puts_child(&side, size),
            "fixture" => fixture::child(&side, size),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    match name.as_str() {
        "marshal" => marshal::run(),
        "embedded-ops" => embedded_ops::run(),
        "batch-write" => batch_write::run(),
        "scan" => batch_write::run_scan(),
        "file-puts" => batch_write::run_file_puts(),
        "fixture" => fixture::run(),
        "entity-marshal" => entity_marshal::run(),
        _ => {
            eprintln!("{USAGE}");
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

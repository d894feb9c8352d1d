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
mod serve_load;

const USAGE: &str = "usage: dynorm-bench <marshal | embedded-ops | entity-marshal | serve-load> \
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
        "serve-load" => serve_load::run(),
        "serve-child" => return serve_load::child(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Runs `a` and `b` in paired rounds, alternating which goes first, and returns each round's
/// pair of times (ns per call). Alternating in one process keeps a noisy shared machine fair to
/// both; the pairs give the spread.
pub(crate) fn compare(
    rounds: usize,
    mut a: impl FnMut() -> u64,
    mut b: impl FnMut() -> u64,
) -> Vec<(f64, f64)> {
    (0..rounds)
        .map(|round| {
            if round % 2 == 0 {
                let x = a() as f64;
                (x, b() as f64)
            } else {
                let y = b() as f64;
                (a() as f64, y)
            }
        })
        .collect()
}

/// The median of each side of paired rounds.
pub(crate) fn medians(pairs: &[(f64, f64)]) -> (f64, f64) {
    (
        median(pairs.iter().map(|p| p.0).collect()),
        median(pairs.iter().map(|p| p.1).collect()),
    )
}

/// Runs three sides for `rounds` rounds, rotating which goes first, and returns each round's
/// results in the order a, b, c.
pub(crate) fn rotate3<R: Copy>(
    rounds: usize,
    mut a: impl FnMut() -> R,
    mut b: impl FnMut() -> R,
    mut c: impl FnMut() -> R,
) -> Vec<[R; 3]> {
    (0..rounds)
        .map(|round| match round % 3 {
            0 => {
                let (x, y, z) = (a(), b(), c());
                [x, y, z]
            }
            1 => {
                let (y, z, x) = (b(), c(), a());
                [x, y, z]
            }
            _ => {
                let (z, x, y) = (c(), a(), b());
                [x, y, z]
            }
        })
        .collect()
}

/// The median of some figures.
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// `M (pairs lo–hi)`: the median ratio of paired rounds and the spread of the pairs.
pub(crate) fn spread(ratios: &[f64]) -> String {
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.2} (pairs {lo:.2}–{hi:.2})", median(ratios.to_vec()))
}

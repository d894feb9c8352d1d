//! Paired rounds in child processes: each round runs both sides, each in a fresh child process
//! of this binary (`dynorm-bench <bench> --side <side> --size <n>`), alternating which goes
//! first. A child measures its own timed part (wall clock, CPU time, and its peak RSS through
//! `/proc/self/status` after resetting the peak with `/proc/self/clear_refs`), then digests the
//! full contents it produced (every stored item, or every item read); the parent checks that the
//! two sides' digests are equal in every round, and prints the median ratio of the pairs with
//! their min–max, last.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

/// What a child measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    pub ns: u64,
    /// CPU time the child's threads spent on the timed part (what the work cost, whoever else
    /// the shared machine was running).
    pub cpu_ns: u64,
    pub units: u64,
    /// Peak resident memory during the timed part, in KiB.
    pub peak_kb: u64,
    /// Resident memory when the timed part started, in KiB.
    pub base_kb: u64,
    pub digest: u64,
}

/// The timed part of a child: started after its set-up, stopped before its digest.
pub(crate) struct Meter {
    start: Instant,
    cpu_start: u64,
    base_kb: u64,
}

/// A point in this thread's CPU time, for the in-process benches: they alternate the sides on
/// one thread, so each side's time is the CPU the thread spent on it, not the wall-clock time
/// the shared machine let pass (other builds stretch that by 2-4x and spread the pairs' ratios).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuInstant(u64);

impl CpuInstant {
    pub(crate) fn now() -> Self {
        Self(thread_cpu_ns())
    }

    /// The CPU time this thread spent since `self`, in ns.
    pub(crate) fn elapsed_ns(self) -> u64 {
        thread_cpu_ns().saturating_sub(self.0)
    }
}

/// This thread's CPU time so far, in ns (`CLOCK_THREAD_CPUTIME_ID`: exact, where
/// `/proc/thread-self/schedstat` only moves at the scheduler's tick).
fn thread_cpu_ns() -> u64 {
    timespec_ns(rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime))
}

/// The CPU time of every thread of this process so far, in ns (`CLOCK_PROCESS_CPUTIME_ID`).
fn cpu_ns() -> u64 {
    timespec_ns(rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime))
}

fn timespec_ns(t: rustix::time::Timespec) -> u64 {
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

impl Meter {
    /// Resets the peak RSS (Linux: writing 5 to clear_refs) and starts the clock.
    pub(crate) fn start() -> Self {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        Self {
            base_kb: status_kb("VmRSS:"),
            cpu_start: cpu_ns(),
            start: Instant::now(),
        }
    }

    /// Stops the clock and reads the peak RSS; the digest comes after (not measured).
    pub(crate) fn stop(self, units: u64) -> Stopped {
        Stopped {
            ns: self.start.elapsed().as_nanos() as u64,
            cpu_ns: cpu_ns().saturating_sub(self.cpu_start),
            units,
            peak_kb: status_kb("VmHWM:"),
            base_kb: self.base_kb,
        }
    }
}

/// A measured child, waiting for its digest.
pub(crate) struct Stopped {
    ns: u64,
    cpu_ns: u64,
    units: u64,
    peak_kb: u64,
    base_kb: u64,
}

impl Stopped {
    /// Prints the child's line for the parent.
    pub(crate) fn report(self, digest: u64) {
        println!(
            "RUN ns={} cpu_ns={} units={} peak_kb={} base_kb={} digest={digest:016x}",
            self.ns, self.cpu_ns, self.units, self.peak_kb, self.base_kb
        );
    }
}

/// An order-independent digest of many JSON values: each is written canonically (serde_json's
/// maps are sorted), hashed, and the hashes summed, with the count.
#[derive(Default)]
pub(crate) struct Digest {
    sum: u64,
    count: u64,
}

impl Digest {
    pub(crate) fn add(&mut self, value: &Value) {
        let mut h = DefaultHasher::new();
        value.to_string().hash(&mut h);
        self.sum = self.sum.wrapping_add(h.finish());
        self.count += 1;
    }

    pub(crate) fn add_hash(&mut self, hash: u64) {
        self.sum = self.sum.wrapping_add(hash);
        self.count += 1;
    }

    pub(crate) fn finish(&self) -> u64 {
        let mut h = DefaultHasher::new();
        (self.sum, self.count).hash(&mut h);
        h.finish()
    }
}

/// The `--side` and `--size` a child was started with, if this process is a child.
pub(crate) fn child_args() -> Option<(String, usize)> {
    let args: Vec<String> = std::env::args().collect();
    let side = args
        .iter()
        .position(|a| a == "--side")
        .and_then(|i| args.get(i + 1))?;
    Some((side.clone(), size_arg(0)))
}

/// `--size N` (or `--1m` for a million), else `default`.
pub(crate) fn size_arg(default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--1m") {
        return 1_000_000;
    }
    args.iter()
        .position(|a| a == "--size")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `--rounds N`, else `default`.
pub(crate) fn rounds_arg(default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn run_child(bench: &str, side: &str, size: usize) -> Run {
    let exe = std::env::current_exe().expect("the benchmark binary");
    let out = Command::new(exe)
        .args([bench, "--side", side, "--size", &size.to_string()])
        .output()
        .expect("start a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{bench} --side {side} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RUN "))
        .unwrap_or_else(|| panic!("{bench} --side {side} printed no RUN line: {stdout}"));
    let field = |name: &str| -> &str {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    let number = |name: &str| field(name).parse::<u64>().expect("a number");
    Run {
        ns: number("ns"),
        cpu_ns: number("cpu_ns"),
        units: number("units"),
        peak_kb: number("peak_kb"),
        base_kb: number("base_kb"),
        digest: u64::from_str_radix(field("digest"), 16).expect("a digest"),
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Which time a bench's headline ratio is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// CPU time of the timed part: the work each side does, unaffected by what else the shared
    /// machine runs (which stretches wall-clock times by 2-4x and spreads their ratios). For
    /// benches that never wait on anything but the CPU.
    Cpu,
    /// Wall-clock time: for benches that wait on the disk (a commit's fsync costs no CPU).
    Wall,
}

/// Runs `rounds` paired rounds of `bench` (sides `sides[0]` = dynorm, `sides[1]` = the
/// reference) at `size`, and prints each round, the medians, and last the ratio line
/// `<bench> ratio M (pairs min–max, n rounds, <clock>)`: dynorm's throughput over the
/// reference's by the `headline` clock, followed by the other clock's ratio.
pub(crate) fn paired(bench: &str, size: usize, rounds: usize, sides: [&str; 2], unit: &str, headline: Clock) {
    // The first child after a quiet spell runs slower (measured at 1M items: 0.85–0.88 in round
    // 0, 0.95–0.99 after): one run of the reference, discarded, takes that cost.
    let warm = run_child(bench, sides[1], size);
    println!(
        "warm-up (discarded): {} {:.0} {unit}/s ({:.0} per CPU-s)",
        sides[1],
        rate(&warm, Clock::Wall),
        rate(&warm, Clock::Cpu)
    );
    let mut pairs: Vec<[Run; 2]> = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let pair = run_round(bench, size, round, sides);
        let [a, b] = &pair;
        println!(
            "round {round}: {} {:.0} {unit}/s ({:.0} per CPU-s) peak {:.1} MB | {} {:.0} {unit}/s ({:.0} per CPU-s) peak {:.1} MB | ratio wall {:.3} CPU {:.3}",
            sides[0],
            rate(a, Clock::Wall),
            rate(a, Clock::Cpu),
            a.peak_kb as f64 / 1024.0,
            sides[1],
            rate(b, Clock::Wall),
            rate(b, Clock::Cpu),
            b.peak_kb as f64 / 1024.0,
            rate(a, Clock::Wall) / rate(b, Clock::Wall),
            rate(a, Clock::Cpu) / rate(b, Clock::Cpu),
        );
        pairs.push(pair);
    }
    println!(
        "machine: {} cores, load average {}; size {size}; {rounds} paired rounds, order alternating; contents compared in every round",
        cores(),
        load_average()
    );
    print_medians(&pairs, sides, unit);
    let other = match headline {
        Clock::Cpu => Clock::Wall,
        Clock::Wall => Clock::Cpu,
    };
    let (m, lo, hi) = ratio_spread(&pairs, headline);
    let (m2, lo2, hi2) = ratio_spread(&pairs, other);
    println!(
        "{bench} ratio {m:.2} (pairs {lo:.2}–{hi:.2}, {rounds} rounds, {}; {} {m2:.2}, pairs {lo2:.2}–{hi2:.2})",
        clock_name(headline),
        clock_name(other)
    );
}

/// One round: both sides, the first alternating, their work and contents checked equal.
fn run_round(bench: &str, size: usize, round: usize, sides: [&str; 2]) -> [Run; 2] {
    let (first, second) = if round.is_multiple_of(2) { (0, 1) } else { (1, 0) };
    let mut runs = [None, None];
    runs[first] = Some(run_child(bench, sides[first], size));
    runs[second] = Some(run_child(bench, sides[second], size));
    let [Some(a), Some(b)] = runs else {
        unreachable!("both sides ran")
    };
    assert_eq!(a.units, b.units, "round {round}: both sides did the same work");
    assert_eq!(
        a.digest, b.digest,
        "round {round}: {} and {} produced different contents",
        sides[0], sides[1]
    );
    [a, b]
}

fn print_medians(pairs: &[[Run; 2]], sides: [&str; 2], unit: &str) {
    println!(
        "| side | {unit}/s (median) | {unit} per CPU-second (median) | peak RSS MB (median) | RSS added MB (median) |"
    );
    for (i, side) in sides.iter().enumerate() {
        let column =
            |f: &dyn Fn(&Run) -> f64| median(&mut pairs.iter().map(|p| f(&p[i])).collect::<Vec<_>>());
        println!(
            "| {side} | {:.0} | {:.0} | {:.1} | {:.1} |",
            column(&|r| rate(r, Clock::Wall)),
            column(&|r| rate(r, Clock::Cpu)),
            column(&|r| r.peak_kb as f64 / 1024.0),
            column(&|r| r.peak_kb.saturating_sub(r.base_kb) as f64 / 1024.0),
        );
    }
}

/// The median of the pairs' throughput ratios by `clock`, with their min and max.
fn ratio_spread(pairs: &[[Run; 2]], clock: Clock) -> (f64, f64, f64) {
    let mut ratios: Vec<f64> = pairs
        .iter()
        .map(|[a, b]| rate(a, clock) / rate(b, clock))
        .collect();
    let m = median(&mut ratios);
    (m, ratios[0], ratios[ratios.len() - 1])
}

fn clock_name(clock: Clock) -> &'static str {
    match clock {
        Clock::Cpu => "CPU time",
        Clock::Wall => "wall clock",
    }
}

/// The 1-minute load average, to show how busy the shared machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn rate(r: &Run, clock: Clock) -> f64 {
    let ns = match clock {
        Clock::Cpu => r.cpu_ns,
        Clock::Wall => r.ns,
    };
    r.units as f64 / (ns.max(1) as f64 / 1e9)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

//! `serve-load`: `dynorm serve` under two heavy requests. The server runs in a child process
//! (this binary re-run as `serve-child`, the release build of `dynorm serve`) so its peak RSS is
//! its own. Two clients each send a ~14 MB PutItem (a list of a million NULLs) at the same time,
//! twice, while another client sends small GetItem requests one after another and times each.
//! Prints the worst small-request latency and, last, the server's peak RSS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Rounds of two concurrent heavy requests.
const ROUNDS: usize = 2;

/// The server side: `dynorm serve` on a free port, in memory.
pub(crate) fn child() -> std::process::ExitCode {
    dynorm_cli::run_from(["dynorm", "serve", "--port", "0"], None)
}

/// Sends one request on a fresh connection; the status and the body's length.
fn post(address: SocketAddr, operation: &str, body: &[u8]) -> std::io::Result<(u16, usize)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{operation}\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=dynorm/20260101/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=host;x-amz-date;x-amz-target, Signature=00\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let status = std::str::from_utf8(response.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, response.len()))
}

/// A PutItem of about 14 MB: a list of a million NULLs.
fn heavy_body() -> Vec<u8> {
    let mut body = String::with_capacity(15_000_000);
    body.push_str(r#"{"TableName":"bench","Item":{"id":{"S":"big"},"nulls":{"L":["#);
    for i in 0..1_000_000 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(r#"{"NULL":true}"#);
    }
    body.push_str("]}}}");
    body.into_bytes()
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn start_server() -> (std::process::Child, SocketAddr) {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut child = Command::new(exe)
        .arg("serve-child")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
    lines
        .read_line(&mut line)
        .expect("the server prints its endpoint");
    // Keep reading what it prints, so its writes never fail on a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let endpoint = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .expect("an endpoint");
    (child, endpoint.parse().expect("an address"))
}

/// Times small GetItem requests until `stop`; every latency, in order.
fn time_small(address: SocketAddr, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let body = br#"{"TableName":"bench","Key":{"id":{"S":"small"}}}"#;
    let mut latencies = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let (status, _) = post(address, "GetItem", body).expect("a small request is answered");
        assert_eq!(status, 200, "GetItem failed");
        latencies.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    latencies
}

pub(crate) fn run() {
    let (mut server, address) = start_server();
    let create = br#"{"TableName":"bench","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    post(address, "CreateTable", create).expect("CreateTable");
    post(
        address,
        "PutItem",
        br#"{"TableName":"bench","Item":{"id":{"S":"small"},"v":{"N":"1"}}}"#,
    )
    .expect("PutItem");
    let heavy = Arc::new(heavy_body());
    println!(
        "heavy PutItem body: {:.1} MB; server pid {}",
        heavy.len() as f64 / 1e6,
        server.id()
    );
    let baseline_kib = peak_rss_kib(server.id());
    let stop = Arc::new(AtomicBool::new(false));
    let timer = {
        let stop = stop.clone();
        std::thread::spawn(move || time_small(address, stop))
    };
    let started = Instant::now();
    for round in 0..ROUNDS {
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let heavy = heavy.clone();
                std::thread::spawn(move || post(address, "PutItem", &heavy).expect("heavy answered"))
            })
            .collect();
        for sender in senders {
            let (status, _) = sender.join().expect("heavy client");
            println!("round {}: heavy PutItem answered with status {status}", round + 1);
        }
    }
    let heavy_elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = timer.join().expect("the timing client");
    let peak_kib = peak_rss_kib(server.id());
    let _ = server.kill();
    let _ = server.wait();
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "{} heavy requests in {:.2} s; {} small GetItem requests: median {:.1} ms, p99 {:.1} ms",
        ROUNDS * 2,
        heavy_elapsed.as_secs_f64(),
        latencies.len(),
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.99).as_secs_f64() * 1e3
    );
    println!("server RSS before the heavy requests: {} MB", baseline_kib / 1024);
    println!(
        "worst small-request latency {:.1} ms (goal < 250)",
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("peak RSS {} MB (goal < 500)", peak_kib / 1024);
}

//! `dynorm serve` under hostile input: every request gets an error response and the server keeps
//! serving. Requests go over plain TCP (HTTP/1.1 written by hand), as any client's would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use dynorm::definition::{AttributeType, TableDefinition};
use dynorm_cli::serve::{ServeOptions, Server};

/// Sends one DynamoDB request; the status code and body, or `None` when the server closed the
/// connection without answering.
fn post(address: SocketAddr, operation: &str, body: &[u8]) -> Option<(u16, String)> {
    let length = body.len();
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{operation}\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=dynorm/20260101/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=host;x-amz-date;x-amz-target, Signature=00\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).ok()?;
    // The server may answer (and stop reading) before an oversized body is all sent.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Some((status, body))
}

fn put(condition: &str) -> Vec<u8> {
    serde_json::json!({
        "TableName": "users",
        "Item": { "id": { "S": "a" } },
        "ConditionExpression": condition,
        "ExpressionAttributeNames": { "#a": "id" },
        "ExpressionAttributeValues": { ":v": { "S": "x" } },
    })
    .to_string()
    .into_bytes()
}

/// The hostile requests, each with what the answer must contain.
fn hostile() -> Vec<(&'static str, &'static str, Vec<u8>, &'static str)> {
    vec![
        ("malformed JSON", "PutItem", b"{\"TableName\": ".to_vec(), "SerializationException"),
        ("not an object", "GetItem", b"[1, 2, 3]".to_vec(), "Exception"),
        // 400 chained ANDs (under the 4 KB limit): ~800 levels of recursion; this aborted the
        // process on 2 MiB worker stacks. Evaluated: the item is absent, so the condition fails.
        (
            "AND chain",
            "PutItem",
            put(&vec!["#a=:v"; 400].join(" AND ")),
            "ConditionalCheckFailedException",
        ),
        // 1,000 NOTs: the condition is evaluated (and fails) 1,000 levels deep.
        (
            "NOT chain",
            "PutItem",
            put(&format!("{}#a = :v", "NOT ".repeat(1000))),
            "ConditionalCheckFailedException",
        ),
        (
            "nested parentheses",
            "PutItem",
            put(&format!("{}#a = :v{}", "(".repeat(2000), ")".repeat(2000))),
            "ValidationException",
        ),
        (
            "nested PartiQL",
            "ExecuteStatement",
            serde_json::json!({
                "Statement": format!("SELECT * FROM users WHERE {}id = 'a'{}", "(".repeat(4000), ")".repeat(4000))
            })
            .to_string()
            .into_bytes(),
            "ValidationException",
        ),
        (
            "deeply nested value",
            "PutItem",
            format!(
                "{{\"TableName\":\"users\",\"Item\":{{\"id\":{{\"S\":\"a\"}},\"x\":{}{{\"S\":\"v\"}}{}}}}}",
                "{\"L\":[".repeat(3000),
                "]}".repeat(3000)
            )
            .into_bytes(),
            "Exception",
        ),
    ]
}

fn assert_survives(address: SocketAddr) {
    for (what, operation, body, expected) in hostile() {
        let (status, answer) = post(address, operation, &body).unwrap_or_else(|| panic!("{what}: no answer"));
        assert!((400..500).contains(&status), "{what}: status {status}: {answer}");
        assert!(answer.contains(expected), "{what}: {answer}");
        // Still serving after each one.
        let (status, answer) = post(address, "ListTables", b"{}").expect("server still answers");
        assert_eq!(status, 200, "after {what}: {answer}");
        assert!(answer.contains("\"users\""), "{answer}");
    }
    // Over DynamoDB's 16 MB request limit: refused with 413 (or the connection closed) once
    // 16 MB are read, and the server keeps serving.
    let oversized = vec![b' '; 17 * 1024 * 1024];
    if let Some((status, answer)) = post(address, "PutItem", &oversized) {
        assert_eq!(status, 413, "{answer}");
        assert!(
            answer.contains("RequestEntityTooLarge") && answer.contains("16777216 bytes"),
            "{answer}"
        );
    }
    let (status, _) = post(address, "ListTables", b"{}").expect("server still answers");
    assert_eq!(status, 200);
}

#[test]
fn the_server_survives_hostile_requests() {
    let server = Server::start(ServeOptions {
        port: 0,
        tables: vec![TableDefinition::new("users", "id", AttributeType::String)],
        ..ServeOptions::default()
    })
    .unwrap();
    assert_survives(server.address());
    server.stop().unwrap();
}

#[test]
fn dynorm_serve_prints_its_endpoint_creates_the_schema_and_survives_hostile_requests() {
    let dir = std::env::temp_dir().join(format!("dynorm-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let schema = dir.join("schema.json");
    std::fs::write(
        &schema,
        r#"[{"name":"users","partition_key":"id","attributes":[{"name":"id","type":"string"}]}]"#,
    )
    .unwrap();
    let db = dir.join("local.db");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dynorm"))
        .args(["serve", "--port", "0", "--db"])
        .arg(&db)
        .arg(&schema)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server starts");
    let endpoint = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no endpoint in {line:?}"));
    assert!(line.contains(&format!("in {}", db.display())), "{line}");
    let address: SocketAddr = endpoint.trim_start_matches("http://").parse().unwrap();

    assert_survives(address);
    assert!(child.try_wait().unwrap().is_none(), "the server exited");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(db.exists());
}

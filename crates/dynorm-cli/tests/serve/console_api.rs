//! The console's JSON API as its page uses it.
//!
//! Snapshots of the whole database: taken by hand or before a destructive action, listed,
//! restored (the data comes back as it was), deleted; bad names and missing snapshots are typed
//! errors; an in-memory server's snapshots go when it stops, a file database's stay beside it.
//!
//! Optimistic locking: saving or importing an item of a versioned table expects the version it
//! carries and stores the next, as typed writes do.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use dynorm_cli::serve::{ServeOptions, Server};
use serde_json::{Value, json};

/// One request to the server; the status and the JSON body.
fn send(address: SocketAddr, head: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{head}\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())),
    )
}

/// The console, as its page talks to it (with the page's CSRF token).
struct Console {
    address: SocketAddr,
    csrf: String,
}

impl Console {
    fn open(server: &Server) -> Self {
        let address = server.address();
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET /console/ HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut page = String::new();
        stream.read_to_string(&mut page).unwrap();
        let at = page.find("name=\"dynorm-csrf\" content=\"").unwrap() + 28;
        Console {
            address,
            csrf: page[at..at + 32].to_owned(),
        }
    }

    fn get(&self, path: &str) -> (u16, Value) {
        send(self.address, &format!("GET /console/api/{path} HTTP/1.1"), "")
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let head = format!(
            "POST /console/api/{path} HTTP/1.1\r\nContent-Type: application/json\r\nx-dynorm-csrf: {}",
            self.csrf
        );
        send(self.address, &head, &body.to_string())
    }

    /// A DynamoDB operation through the console's wire route; its answer.
    fn call(&self, operation: &str, request: Value) -> Value {
        let (status, answer) = self.post("call", &json!({ "operation": operation, "request": request }));
        assert_eq!(status, 200, "{operation}: {answer}");
        answer
    }

    fn count(&self, table: &str) -> u64 {
        self.call("Scan", json!({ "TableName": table, "Select": "COUNT" }))["Count"]
            .as_u64()
            .unwrap()
    }
}

fn with_items(console: &Console, n: u32) {
    console.call(
        "CreateTable",
        json!({
            "TableName": "things",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    for i in 0..n {
        let item = json!({ "id": { "S": format!("t{i}") } });
        let put = json!({ "table": "things", "format": "dynamodb-json", "item": item });
        let (status, answer) = console.post("put", &put);
        assert_eq!(status, 200, "{answer}");
    }
}

#[test]
fn a_snapshot_taken_before_a_purge_brings_every_item_back() {
    let server = Server::start(ServeOptions::default()).unwrap();
    let console = Console::open(&server);
    with_items(&console, 5);

    let (status, taken) = console.post("snapshots", &json!({ "reason": "purge things" }));
    assert_eq!(status, 200, "{taken}");
    let name = taken["name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("auto-") && name.ends_with("-purge-things"),
        "{taken}"
    );
    assert_eq!(taken["automatic"], true, "{taken}");

    let (status, purged) = console.post("purge", &json!({ "table": "things" }));
    assert_eq!((status, purged["deleted"].as_u64()), (200, Some(5)), "{purged}");
    assert_eq!(console.count("things"), 0);

    let (status, restored) = console.post("snapshots/restore", &json!({ "name": name }));
    assert_eq!(status, 200, "{restored}");
    assert_eq!(console.count("things"), 5, "every item is back");

    let (status, listed) = console.get("snapshots");
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [name.as_str()], "{listed}");
    let directory = listed["directory"].as_str().unwrap().to_owned();
    assert!(std::path::Path::new(&directory).is_dir(), "{directory}");

    server.stop().unwrap();
    assert!(
        !std::path::Path::new(&directory).exists(),
        "an in-memory server's snapshots go when it stops: {directory}"
    );
}

#[test]
fn names_are_checked_and_a_missing_snapshot_is_named() {
    let server = Server::start(ServeOptions::default()).unwrap();
    let console = Console::open(&server);
    with_items(&console, 1);

    let (status, answer) = console.post("snapshots", &json!({ "name": "../escape" }));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["type"], "InvalidSnapshotName", "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("../escape"),
        "{answer}"
    );

    let (status, answer) = console.post("snapshots", &json!({ "name": "before-v2" }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["automatic"], false, "{answer}");
    let (status, answer) = console.post("snapshots", &json!({ "name": "before-v2" }));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["type"], "SnapshotExists", "{answer}");

    let (status, answer) = console.post("snapshots/restore", &json!({ "name": "nope" }));
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["type"], "SnapshotNotFound", "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("`nope`"),
        "{answer}"
    );

    let (status, answer) = console.post("snapshots/delete", &json!({ "name": "before-v2" }));
    assert_eq!(status, 200, "{answer}");
    let (_, listed) = console.get("snapshots");
    assert_eq!(listed["snapshots"], json!([]), "{listed}");

    // Changing state needs the page's token, as every console change does.
    let forged = send(
        console.address,
        "POST /console/api/snapshots/restore HTTP/1.1\r\nContent-Type: application/json",
        r#"{"name":"x"}"#,
    );
    assert_eq!(forged.0, 403, "{}", forged.1);
    server.stop().unwrap();
}

#[test]
fn a_file_database_keeps_its_snapshots_beside_it() {
    let dir = std::env::temp_dir().join(format!("dynorm-snapshots-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("app.db");
    let server = Server::start(ServeOptions {
        db: Some(db.clone()),
        ..ServeOptions::default()
    })
    .unwrap();
    let console = Console::open(&server);
    with_items(&console, 3);
    let (status, taken) = console.post("snapshots", &json!({ "name": "kept" }));
    assert_eq!(status, 200, "{taken}");
    server.stop().unwrap();
    let kept = dir.join("app.db.snapshots").join("kept.db");
    assert!(kept.is_file(), "{}", kept.display());

    // The snapshot is a database the engine opens: three items.
    let copy = dynoxide::Database::new(kept.to_str().unwrap()).unwrap();
    let client = dynorm::Client::from_database(copy);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let count = rt.block_on(async {
        client
            .sdk()
            .scan()
            .table_name("things")
            .send()
            .await
            .unwrap()
            .count()
    });
    assert_eq!(count, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_versioned_item_saved_from_a_stale_copy_is_refused() {
    let mut accounts = dynorm::TableDefinition::new("accounts", "id", dynorm::AttributeType::String);
    accounts.attributes.push(dynorm::AttributeDefinition::new(
        "version",
        dynorm::AttributeType::Number,
    ));
    accounts.version_attribute = Some("version".into());
    let server = Server::start(ServeOptions {
        tables: vec![accounts],
        ..ServeOptions::default()
    })
    .unwrap();
    let console = Console::open(&server);
    let save = |item: Value| {
        console.post(
            "put",
            &json!({ "table": "accounts", "format": "json", "item": item }),
        )
    };

    let (status, saved) = save(json!({ "id": "a", "balance": 1 }));
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved["item"]["version"],
        json!({ "N": "1" }),
        "a new item: version 1"
    );
    // Two copies loaded at version 1: the first save wins, the second is refused.
    let (status, saved) = save(json!({ "id": "a", "balance": 5, "version": 1 }));
    assert_eq!(
        (status, &saved["item"]["version"]),
        (200, &json!({ "N": "2" })),
        "{saved}"
    );
    let (status, refused) = save(json!({ "id": "a", "balance": 7, "version": 1 }));
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["type"], "VersionConflict", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("accounts")
            && message.contains("id: \"a\"")
            && message.contains('1')
            && message.contains('2'),
        "{message}"
    );
    let stored = console.call(
        "GetItem",
        json!({ "TableName": "accounts", "Key": { "id": { "S": "a" } } }),
    );
    assert_eq!(
        stored["Item"]["balance"],
        json!({ "N": "5" }),
        "the first save stands"
    );

    // Import: a stale line is rejected with its number; `unguarded` writes it as given.
    let text = "{\"id\":\"a\",\"balance\":9,\"version\":1}\n{\"id\":\"b\",\"balance\":3}";
    let (status, report) = console.post(
        "import",
        &json!({ "table": "accounts", "format": "jsonl", "text": text }),
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["imported"], 1, "{report}");
    assert_eq!(report["rejected"][0]["line"], 1, "{report}");
    assert_eq!(report["rejected"][0]["type"], "VersionConflict", "{report}");
    let (_, report) = console.post(
        "import",
        &json!({ "table": "accounts", "format": "jsonl", "text": text, "unguarded": true }),
    );
    assert_eq!(report["imported"], 2, "{report}");
    server.stop().unwrap();
}

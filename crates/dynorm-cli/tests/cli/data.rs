//! End-to-end runs of the item commands against an embedded database file: import, dump, get,
//! query and scan.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, dynorm, run};

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    support::fresh_dir("data", test)
}

const SCHEMA: &str = r#"
[[tables]]
name = "events"
partition_key = "user"
sort_key = "at"

[[tables.attributes]]
name = "user"
type = "string"

[[tables.attributes]]
name = "at"
type = "string"

[[tables.attributes]]
name = "kind"
type = "string"

[[tables.attributes]]
name = "tags"
type = "string_set"

[[tables.global_secondary_indexes]]
name = "by_kind"
partition_key = "kind"
sort_key = "at"
projection = "all"
"#;

const EVENTS: &str = r#"{"user":"ann","at":"2024-01-01","kind":"login","count":1,"ok":true}
{"user":"ann","at":"2024-02-01","kind":"buy","count":2.5,"detail":{"sku":"x1","qty":[1,2]}}
{"user":"bob","at":"2024-01-15","kind":"login","count":3,"note":null}
"#;

/// A database file with the `events` table created.
fn database(d: &Path) -> (PathBuf, PathBuf) {
    let db = d.join("data.db");
    let schema = d.join("schema.toml");
    std::fs::write(&schema, SCHEMA).unwrap();
    dynorm()
        .arg("--db")
        .arg(&db)
        .arg("apply")
        .arg(&schema)
        .assert()
        .success();
    (db, schema)
}

fn lines(text: &str) -> Vec<Value> {
    let mut v: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    v.sort_by_key(|v| v.to_string());
    v
}

#[test]
fn import_then_dump_gives_the_same_items_in_both_formats() {
    let d = dir("round-trip");
    let (db, _) = database(&d);
    let file = d.join("events.jsonl");
    std::fs::write(&file, EVENTS).unwrap();

    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg("events")
        .arg(&file));
    assert!(ok, "{err}");
    assert_eq!(out, "imported 3 of 3 item(s) into events\n");
    assert!(
        err.is_empty(),
        "no progress bar when stderr is not a terminal: {err}"
    );

    let (ok, out, err) = run(dynorm().arg("--db").arg(&db).args(["dump", "events"]));
    assert!(ok, "{err}");
    assert_eq!(lines(&out), lines(EVENTS));

    // DynamoDB JSON, through a file, into a second database.
    let ddb = d.join("events.ddb.jsonl");
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["dump", "events", "--format", "dynamodb-json", "-o"])
        .arg(&ddb));
    assert!(ok, "{err}");
    assert!(out.contains("dumped 3 item(s) from events to"), "{out}");
    let text = std::fs::read_to_string(&ddb).unwrap();
    assert!(text.contains(r#""user":{"S":"ann"}"#), "{text}");
    assert!(text.contains(r#""count":{"N":"2.5"}"#), "{text}");

    let d2 = dir("round-trip-2");
    let (db2, _) = database(&d2);
    let (ok, _, err) = run(dynorm()
        .arg("--db")
        .arg(&db2)
        .args(["import", "events", "--format", "dynamodb-json"])
        .arg(&ddb));
    assert!(ok, "{err}");
    let (ok, out, err) =
        run(dynorm()
            .arg("--db")
            .arg(&db2)
            .args(["dump", "events", "--format", "dynamodb-json"]));
    assert!(ok, "{err}");
    assert_eq!(lines(&out), lines(&text));
}

/// Numbers beyond what an `f64` holds go through plain JSON untouched, both ways.
#[test]
fn plain_json_keeps_every_digit() {
    let d = dir("exact-numbers");
    let (db, _) = database(&d);
    let file = d.join("exact.jsonl");
    let line = r#"{"user":"ann","at":"x","big":12345678901234567890123456789012345678,"tiny":0.100000000000000000000000000000000001,"list":[99999999999999999999,1E+125]}"#;
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let (ok, _, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["import", "events"])
        .arg(&file));
    assert!(ok, "{err}");
    let (ok, out, err) =
        run(dynorm()
            .arg("--db")
            .arg(&db)
            .args(["dump", "events", "--format", "dynamodb-json"]));
    assert!(ok, "{err}");
    assert!(
        out.contains(r#""big":{"N":"12345678901234567890123456789012345678"}"#),
        "{out}"
    );
    assert!(
        out.contains(r#""tiny":{"N":"0.100000000000000000000000000000000001"}"#),
        "{out}"
    );
    assert!(out.contains(r#"{"N":"99999999999999999999"}"#), "{out}");
    let (ok, out, err) = run(dynorm().arg("--db").arg(&db).args(["dump", "events"]));
    assert!(ok, "{err}");
    assert!(
        out.contains(r#""big":12345678901234567890123456789012345678"#),
        "{out}"
    );
    assert!(
        out.contains(r#""tiny":0.100000000000000000000000000000000001"#),
        "{out}"
    );
}

#[test]
fn a_schema_gives_plain_json_its_types() {
    let d = dir("typed");
    let (db, schema) = database(&d);
    let file = d.join("tags.jsonl");
    std::fs::write(&file, "{\"user\":\"ann\",\"at\":\"1\",\"tags\":[\"a\",\"b\"]}\n").unwrap();
    dynorm()
        .arg("--db")
        .arg(&db)
        .args(["import", "events"])
        .arg(&file)
        .arg("--schema")
        .arg(&schema)
        .assert()
        .success();
    let (ok, out, err) =
        run(dynorm()
            .arg("--db")
            .arg(&db)
            .args(["dump", "events", "--format", "dynamodb-json"]));
    assert!(ok, "{err}");
    assert!(out.contains(r#""tags":{"SS":["a","b"]}"#), "{out}");
}

#[test]
fn a_bad_line_is_reported_with_its_number_and_nothing_is_imported() {
    let d = dir("bad-line");
    let (db, _) = database(&d);
    let file = d.join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"user\":\"ann\",\"at\":\"1\"}\n\n{\"user\":\"bob\",\"at\":\n{\"user\":\"cy\"}\n",
    )
    .unwrap();
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg("events")
        .arg(&file));
    assert!(!ok);
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("bad.jsonl:3: "), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // A line without the sort key.
    std::fs::write(&file, "{\"user\":\"cy\"}\n").unwrap();
    let (ok, _, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg("events")
        .arg(&file));
    assert!(!ok);
    assert!(
        err.contains("bad.jsonl:1: the key attribute `at` is missing"),
        "{err}"
    );

    let (_, out, _) = run(dynorm().arg("--db").arg(&db).args(["scan", "events"]));
    assert_eq!(out, "(no items)\n");
}

#[test]
fn get_query_and_scan_print_a_table_or_json() {
    let d = dir("read");
    let (db, _) = database(&d);
    let file = d.join("events.jsonl");
    std::fs::write(&file, EVENTS).unwrap();
    dynorm()
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg("events")
        .arg(&file)
        .assert()
        .success();
    let cmd = |args: &[&str]| {
        let mut c = dynorm();
        c.arg("--db").arg(&db).args(args);
        run(&mut c)
    };

    let (ok, out, err) = cmd(&["get", "events", "bob", "2024-01-15"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "user  at          count  kind   note\n\
         ----  ----------  -----  -----  ----\n\
         bob   2024-01-15  3      login  null\n\
         1 item(s)\n"
    );
    let (ok, out, _) = cmd(&["get", "events", "bob", "2024-01-15", "--json"]);
    assert!(ok);
    assert_eq!(
        out,
        "{\"at\":\"2024-01-15\",\"count\":3,\"kind\":\"login\",\"note\":null,\"user\":\"bob\"}\n"
    );
    let (ok, _, err) = cmd(&["get", "events", "bob", "2099"]);
    assert!(!ok);
    assert_eq!(err, "error: no item in `events` with the key bob, 2099\n");
    let (ok, _, err) = cmd(&["get", "events", "bob"]);
    assert!(!ok);
    assert!(
        err.contains("has the key user, at: give 2 value(s), not 1"),
        "{err}"
    );

    let (ok, out, _) = cmd(&["query", "events", "ann", "--json"]);
    assert!(ok);
    assert_eq!(lines(&out).len(), 2);
    let (ok, out, _) = cmd(&["query", "events", "ann", "--sort-begins-with", "2024-02"]);
    assert!(ok);
    assert!(out.contains("2024-02-01") && !out.contains("2024-01-01"), "{out}");
    assert!(out.ends_with("1 item(s)\n"), "{out}");
    let (ok, out, _) = cmd(&["query", "events", "login", "--index", "by_kind", "--json"]);
    assert!(ok);
    let users: Vec<String> = lines(&out).iter().map(|v| v["user"].to_string()).collect();
    assert_eq!(users, ["\"ann\"", "\"bob\""]);
    let (ok, _, err) = cmd(&["query", "events", "x", "--index", "nope"]);
    assert!(!ok);
    assert!(
        err.contains("has no index `nope` (its indexes: by_kind)"),
        "{err}"
    );

    let (ok, out, _) = cmd(&["scan", "events"]);
    assert!(ok);
    assert!(out.starts_with("user  at "), "{out}");
    assert!(out.ends_with("3 item(s)\n"), "{out}");
    let (ok, out, _) = cmd(&["scan", "events", "--limit", "2", "--json"]);
    assert!(ok);
    assert_eq!(out.lines().count(), 2);

    let (ok, _, err) = cmd(&["scan", "missing"]);
    assert!(!ok);
    assert!(err.starts_with("error: cannot read table `missing`"), "{err}");
}

#[test]
fn item_commands_need_a_target() {
    let (ok, _, err) = run(dynorm().args(["scan", "events"]));
    assert!(!ok);
    assert!(err.contains("`scan` needs live tables: add --db PATH"), "{err}");
}

#[test]
fn import_dump_and_get_work_against_a_dynorm_serve_endpoint() {
    use dynorm::definition::{AttributeType, TableDefinition};
    use dynorm_cli::serve::{ServeOptions, Server};

    let d = dir("endpoint");
    let server = Server::start(ServeOptions {
        port: 0,
        tables: vec![TableDefinition::new("users", "id", AttributeType::String)],
        ..ServeOptions::default()
    })
    .unwrap();
    let endpoint = server.endpoint();
    let file = d.join("users.jsonl");
    let users: String = (0..60)
        .map(|i| format!("{{\"id\":\"u{i:02}\",\"n\":{i}}}\n"))
        .collect();
    std::fs::write(&file, &users).unwrap();
    let cmd = |args: &[&str]| {
        let mut c = dynorm();
        c.args(["--endpoint", &endpoint]).args(args);
        run(&mut c)
    };
    let (ok, out, err) = cmd(&["import", "users", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(out, "imported 60 of 60 item(s) into users\n");
    let (ok, out, err) = cmd(&["dump", "users"]);
    assert!(ok, "{err}");
    assert_eq!(lines(&out), lines(&users));
    let (ok, out, err) = cmd(&["get", "users", "u07", "--json"]);
    assert!(ok, "{err}");
    assert_eq!(out, "{\"id\":\"u07\",\"n\":7}\n");
    server.stop().unwrap();
}

/// `dynorm dump … | head` and `dynorm scan … | head`: the reader leaves early and dynorm stops
/// quietly with success, as Unix tools do.
#[test]
fn dump_and_scan_into_a_closed_pipe_end_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let d = dir("pipe");
    let (db, _) = database(&d);
    let file = d.join("many.jsonl");
    // Far more than a pipe buffers (64 KiB), so dynorm is still writing when the reader leaves.
    let many: String = (0..1500)
        .map(|i| {
            format!(
                "{{\"user\":\"u{i:05}\",\"at\":\"2024-01-01\",\"kind\":\"login\",\"note\":\"{}\"}}\n",
                "x".repeat(200)
            )
        })
        .collect();
    std::fs::write(&file, many).unwrap();
    let (ok, _, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg("events")
        .arg(&file));
    assert!(ok, "{err}");
    for args in [&["dump", "events"][..], &["scan", "events", "--json"][..]] {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("dynorm"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("\"user\""), "{first}");
        // The reader is dropped here: the pipe is closed.
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

/// On a terminal, long commands show progress with a rate (run under `script`, which gives the
/// command a pseudo-terminal); piped, they stay silent (the tests above check stderr is empty).
#[test]
fn progress_shows_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let d = dir("terminal");
    let (db, _) = database(&d);
    let file = d.join("many.jsonl");
    let many: String = (0..800)
        .map(|i| format!("{{\"user\":\"u{i:05}\",\"at\":\"2024-01-01\",\"kind\":\"login\"}}\n"))
        .collect();
    std::fs::write(&file, many).unwrap();
    let dynorm = assert_cmd::cargo::cargo_bin!("dynorm");
    let command = format!(
        "{} --db {} import events {} > /dev/null",
        dynorm.display(),
        db.display(),
        file.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("importing into events") && screen.contains("/s"),
        "{screen}"
    );
}

const VERSIONED: &str = r#"
[[tables]]
name = "accounts"
partition_key = "id"
version_attribute = "version"

[[tables.attributes]]
name = "id"
type = "string"

[[tables.attributes]]
name = "version"
type = "number"
"#;

/// Optimistic locking on `dynorm import`: a versioned item expects the version it carries and
/// stores the next, as the typed API writes it; a stale one is refused, saved next to the file
/// and named; `--unguarded` writes the file as given.
#[test]
fn import_honours_the_version_of_a_versioned_table() {
    let d = dir("versioned");
    let db = d.join("data.db");
    let schema = d.join("schema.toml");
    std::fs::write(&schema, VERSIONED).unwrap();
    dynorm()
        .arg("--db")
        .arg(&db)
        .arg("apply")
        .arg(&schema)
        .assert()
        .success();
    let import = |file: &Path, extra: &[&str]| {
        run(dynorm()
            .arg("--db")
            .arg(&db)
            .args(["import", "accounts"])
            .arg(file)
            .arg("--schema")
            .arg(&schema)
            .args(extra))
    };
    let fresh = d.join("fresh.jsonl");
    std::fs::write(
        &fresh,
        "{\"id\":\"a\",\"balance\":1}\n{\"id\":\"b\",\"balance\":2}\n",
    )
    .unwrap();
    let (ok, out, err) = import(&fresh, &[]);
    assert!(ok, "{err}");
    assert_eq!(out, "imported 2 of 2 item(s) into accounts\n");
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["get", "accounts", "a", "--json"]));
    assert!(ok, "{err}");
    assert!(
        out.contains("\"version\":1"),
        "a new item is stored at version 1: {out}"
    );

    // A line written from version 1 (current) and one from version 0 (stale: `b` is at 1).
    let edits = d.join("edits.jsonl");
    std::fs::write(
        &edits,
        "{\"id\":\"a\",\"balance\":10,\"version\":1}\n{\"id\":\"b\",\"balance\":20}\n",
    )
    .unwrap();
    let (ok, out, err) = import(&edits, &[]);
    assert!(!ok, "a stale line fails the import: {out}");
    assert_eq!(out, "imported 1 of 2 item(s) into accounts\n");
    assert!(
        err.contains("1 item(s) were refused for their version")
            && err.contains("accounts")
            && err.contains("id: \"b\"")
            && err.contains("edits.unwritten.jsonl")
            && err.contains("--unguarded"),
        "{err}"
    );
    let (_, out, _) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["get", "accounts", "a", "--json"]));
    assert!(
        out.contains("\"version\":2") && out.contains("\"balance\":10"),
        "{out}"
    );
    let (_, out, _) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["get", "accounts", "b", "--json"]));
    assert!(
        out.contains("\"balance\":2") && out.contains("\"version\":1"),
        "b is untouched: {out}"
    );

    // The refused items, written as given.
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args([
            "import",
            "accounts",
            "--format",
            "dynamodb-json",
            "--unguarded",
            "--schema",
        ])
        .arg(&schema)
        .arg(d.join("edits.unwritten.jsonl")));
    assert!(ok, "{err}");
    assert_eq!(out, "imported 1 of 1 item(s) into accounts\n");
    let (_, out, _) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["get", "accounts", "b", "--json"]));
    assert!(out.contains("\"balance\":20"), "{out}");
}

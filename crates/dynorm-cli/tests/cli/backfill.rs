//! End-to-end runs of `dynorm backfill`: items written with old key templates get the keys of the
//! entities in the schema, against an embedded database file and against `dynorm serve`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, dynorm, run};

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    support::fresh_dir("backfill", test)
}

/// One single table, two entities: users found by email on `gsi1`, orders by coupon on the same
/// index (sparse: only orders with a coupon).
const SCHEMA: &str = r#"
[[tables]]
name = "app"
partition_key = "pk"
sort_key = "sk"
attributes = [
    { name = "pk", type = "string" },
    { name = "sk", type = "string" },
    { name = "gsi1pk", type = "string" },
    { name = "gsi1sk", type = "string" },
]
global_secondary_indexes = [{ name = "gsi1", partition_key = "gsi1pk", sort_key = "gsi1sk" }]

[[entities]]
name = "User"
table = "app"
entity_attribute = "__entity"
fields = [{ name = "tenant" }, { name = "user" }, { name = "email" }]
keys = [
    { attribute = "pk", template = "T#{tenant}" },
    { attribute = "sk", template = "U#{user}" },
    { index = "gsi1", attribute = "gsi1pk", template = "EMAIL#{email}" },
    { index = "gsi1", attribute = "gsi1sk", template = "T#{tenant}" },
]

[[entities]]
name = "Order"
table = "app"
entity_attribute = "__entity"
fields = [{ name = "tenant" }, { name = "order" }, { name = "coupon", optional = true }]
keys = [
    { attribute = "pk", template = "T#{tenant}" },
    { attribute = "sk", template = "O#{order:06}" },
    { index = "gsi1", attribute = "gsi1pk", template = "COUPON#{coupon}", sparse = true },
    { index = "gsi1", attribute = "gsi1sk", template = "O#{order:06}", sparse = true },
]
"#;

/// Items as the previous version wrote them: no `gsi1` keys on users, an order already right, an
/// order whose coupon was since removed still in the coupon index, and an item of no entity.
const OLD_ITEMS: &str = r#"{"pk":"T#acme","sk":"U#ann","__entity":"User","tenant":"acme","user":"ann","email":"ann@acme.test"}
{"pk":"T#acme","sk":"U#bob","__entity":"User","tenant":"acme","user":"bob","email":"bob@acme.test"}
{"pk":"T#acme","sk":"U#cy","__entity":"User","tenant":"acme","user":"cy","email":"cy@acme.test"}
{"pk":"T#acme","sk":"O#000001","__entity":"Order","tenant":"acme","order":1,"coupon":"SPRING","gsi1pk":"COUPON#SPRING","gsi1sk":"O#000001"}
{"pk":"T#acme","sk":"O#000002","__entity":"Order","tenant":"acme","order":2,"gsi1pk":"COUPON#OLD","gsi1sk":"O#000002"}
{"pk":"CONFIG","sk":"CONFIG","flags":"x"}
"#;

/// A database file with `app` created and the old items in it.
fn seeded(d: &Path, items: &str) -> (PathBuf, PathBuf) {
    let db = d.join("data.db");
    let schema = d.join("schema.toml");
    std::fs::write(&schema, SCHEMA).unwrap();
    let data = d.join("items.jsonl");
    std::fs::write(&data, items).unwrap();
    dynorm()
        .arg("--db")
        .arg(&db)
        .arg("apply")
        .arg(&schema)
        .assert()
        .success();
    dynorm()
        .arg("--db")
        .arg(&db)
        .args(["import", "app"])
        .arg(&data)
        .assert()
        .success();
    (db, schema)
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Every item, as JSON lines sorted by key.
fn dump(db: &Path) -> Vec<Value> {
    let (ok, out, err) = run(dynorm().arg("--db").arg(db).args(["dump", "app"]));
    assert!(ok, "{err}");
    let mut items = lines(&out);
    items.sort_by_key(|i| format!("{}|{}", i["pk"], i["sk"]));
    items
}

fn query_gsi1(db: &Path, partition: &str) -> Vec<Value> {
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(db)
        .args(["query", "app", partition, "--index", "gsi1", "--json"]));
    assert!(ok, "{err}");
    lines(&out)
}

#[test]
fn a_dry_run_shows_the_changes_then_the_backfill_makes_them() {
    let d = dir("basic");
    let (db, schema) = seeded(&d, OLD_ITEMS);
    let before = dump(&db);

    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["backfill", "app"])
        .arg(&schema)
        .arg("--dry-run"));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(
            "~ pk=`T#acme`, sk=`U#ann` (User): set gsi1pk = `EMAIL#ann@acme.test`, gsi1sk = `T#acme`"
        ),
        "{out}"
    );
    assert!(
        out.contains("~ pk=`T#acme`, sk=`O#000002` (Order): remove gsi1pk, gsi1sk"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "backfill of app (User, Order): scanned 6, matched 5: 4 rewritten, 1 unchanged, 0 need a new item, 0 failed (dry run: nothing was written)\n"
        ),
        "{out}"
    );
    assert_eq!(dump(&db), before, "a dry run writes nothing");

    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["backfill", "app"])
        .arg(&schema));
    assert!(ok, "{out}{err}");
    assert_eq!(
        out,
        "backfill of app (User, Order): scanned 6, matched 5: 4 rewritten, 1 unchanged, 0 need a new item, 0 failed\n"
    );
    let found = query_gsi1(&db, "EMAIL#bob@acme.test");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["user"], "bob");
    assert_eq!(query_gsi1(&db, "COUPON#SPRING").len(), 1);
    assert!(
        query_gsi1(&db, "COUPON#OLD").is_empty(),
        "the stale sparse keys are removed"
    );
    // Only key attributes changed: every other attribute is as it was.
    let after = dump(&db);
    for (old, new) in before.iter().zip(&after) {
        for (name, value) in old.as_object().unwrap() {
            if !name.starts_with("gsi1") {
                assert_eq!(&new[name], value, "{name} of {old}");
            }
        }
    }

    // Only one entity, and a second time: nothing left to do.
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["backfill", "app", "--entity", "Order"])
        .arg(&schema));
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "backfill of app (Order): scanned 6, matched 2: 0 rewritten, 2 unchanged, 0 need a new item, 0 failed\n"
    );
}

#[test]
fn a_resumed_backfill_continues_where_it_stopped_with_the_right_totals() {
    let d = dir("resume");
    let (db, schema) = seeded(&d, OLD_ITEMS);
    let state = d.join("state.json");
    let backfill = || {
        let mut c = dynorm();
        c.arg("--db")
            .arg(&db)
            .args(["backfill", "app"])
            .arg(&schema)
            .args(["--page-size", "2", "--resume"])
            .arg(&state);
        c
    };

    let (ok, out, err) = run(backfill().args(["--max-pages", "1"]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!(
            "stopped after 1 page(s); run again with --resume {} to continue",
            state.display()
        )),
        "{out}"
    );
    assert!(out.contains("scanned 2,"), "{out}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["done"], false);
    assert_eq!(saved["counts"]["scanned"], 2);
    assert!(saved["cursor"].is_string());

    let (ok, out, err) = run(&mut backfill());
    assert!(ok, "{out}{err}");
    assert!(
        out.starts_with("backfill of app (User, Order): resuming after 2 item(s) scanned\n"),
        "{out}"
    );
    assert!(
        out.ends_with("scanned 6, matched 5: 4 rewritten, 1 unchanged, 0 need a new item, 0 failed\n"),
        "{out}"
    );
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["done"], true);
    assert!(saved["cursor"].is_null());
    assert_eq!(query_gsi1(&db, "EMAIL#cy@acme.test").len(), 1);

    // Done: a third run says so and changes nothing.
    let (ok, out, _) = run(&mut backfill());
    assert!(ok);
    assert!(out.contains("already complete according to"), "{out}");

    // The state of another backfill is refused, naming the difference.
    let (ok, _, err) = run(backfill().args(["--entity", "User"]));
    assert!(!ok);
    assert!(
        err.contains("belongs to another backfill: its entity list is User, Order, this one's is User"),
        "{err}"
    );
    let (ok, _, err) = run(backfill().arg("--dry-run"));
    assert!(!ok);
    assert!(
        err.contains("its mode is a real run, this one's is a dry run"),
        "{err}"
    );
}

#[test]
fn items_that_cannot_be_rewritten_are_listed_and_the_exit_code_says_so() {
    let d = dir("problems");
    let items = format!(
        "{OLD_ITEMS}{}\n{}\n",
        // No email: its gsi1 key cannot be computed.
        r#"{"pk":"T#acme","sk":"U#dee","__entity":"User","tenant":"acme","user":"dee"}"#,
        // Stored under a key the template no longer gives.
        r#"{"pk":"T#acme","sk":"USER#eve","__entity":"User","tenant":"acme","user":"eve","email":"eve@acme.test"}"#,
    );
    let (db, schema) = seeded(&d, &items);
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["backfill", "app"])
        .arg(&schema));
    assert!(!ok, "{out}");
    assert!(
        out.contains("! pk=`T#acme`, sk=`U#dee` (User): entity `User`: index `gsi1` key `gsi1pk`: key template `EMAIL#{email}` needs field(s) `email`"),
        "{out}"
    );
    assert!(
        out.contains("! pk=`T#acme`, sk=`USER#eve` (User): its table key would change (`sk` from `USER#eve` to `U#eve`)"),
        "{out}"
    );
    assert!(
        out.contains("4 rewritten, 1 unchanged, 1 need a new item, 1 failed"),
        "{out}"
    );
    assert!(
        err.contains("error: 1 item(s) failed; 1 item(s) need a new table key"),
        "{err}"
    );
    // The others were rewritten all the same; eve was left where she is.
    assert_eq!(query_gsi1(&db, "EMAIL#ann@acme.test").len(), 1);
    assert!(query_gsi1(&db, "EMAIL#eve@acme.test").is_empty());
}

#[test]
fn bad_requests_name_what_is_wrong() {
    let d = dir("bad");
    let (db, schema) = seeded(&d, OLD_ITEMS);
    let fails = |args: &[&str], needle: &str| {
        let (ok, _, err) = run(dynorm().arg("--db").arg(&db).arg("backfill").args(args));
        assert!(!ok);
        assert!(err.contains(needle), "{needle:?} not in {err}");
    };
    let schema = schema.to_str().unwrap();
    fails(
        &["nope", schema],
        "the schema has no table `nope` (its tables: app)",
    );
    fails(
        &["app", schema, "--entity", "Invoice"],
        "table `app` has no entity `Invoice` (its entities: User, Order)",
    );
    fails(
        &["app", schema, "--concurrency", "0"],
        "the concurrency must be at least 1",
    );
    fails(
        &["app", schema, "--table-name", "missing"],
        "error: backfill of missing (User, Order): table `missing` not found",
    );
    fails(&["app"], "no schema file given");
    let (ok, _, err) = run(dynorm().args(["backfill", "app", schema]));
    assert!(!ok);
    assert!(err.contains("`backfill` needs live tables"), "{err}");

    let plain = d.join("plain.toml");
    std::fs::write(&plain, SCHEMA.split("[[entities]]").next().unwrap()).unwrap();
    fails(
        &["app", plain.to_str().unwrap()],
        "the schema declares no entities for table `app`",
    );
    let broken = d.join("broken.toml");
    std::fs::write(&broken, SCHEMA.replace("U#{user}", "U#{usr}")).unwrap();
    fails(
        &["app", broken.to_str().unwrap()],
        "entity `User`: the table key `sk`: template `U#{usr}` reads `{usr}`",
    );
}

#[test]
fn backfill_works_against_a_dynorm_serve_endpoint() {
    use dynorm::schema_file::Schema;
    use dynorm_cli::serve::{ServeOptions, Server};

    let d = dir("endpoint");
    let schema = d.join("schema.toml");
    std::fs::write(&schema, SCHEMA).unwrap();
    let data = d.join("items.jsonl");
    std::fs::write(&data, OLD_ITEMS).unwrap();
    let server = Server::start(ServeOptions {
        port: 0,
        db: None,
        tables: Schema::load(&schema).unwrap().tables,
        stop_on_ctrl_c: false,
        ..ServeOptions::default()
    })
    .unwrap();
    let endpoint = server.endpoint();
    let at = |args: &[&str]| {
        let mut c = dynorm();
        c.args(["--endpoint", &endpoint]).args(args);
        c
    };
    at(&["import", "app", data.to_str().unwrap()]).assert().success();
    let (ok, out, err) = run(&mut at(&[
        "backfill",
        "app",
        schema.to_str().unwrap(),
        "--page-size",
        "4",
    ]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("scanned 6, matched 5: 4 rewritten, 1 unchanged"),
        "{out}"
    );
    let (ok, out, err) = run(&mut at(&[
        "query",
        "app",
        "EMAIL#ann@acme.test",
        "--index",
        "gsi1",
        "--json",
    ]));
    assert!(ok, "{err}");
    assert_eq!(lines(&out)[0]["user"], "ann");
    server.stop().unwrap();
}

#[test]
fn the_readme_schema_with_entities_is_valid() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("```toml\n")
        .find(|b| b.contains("[[entities]]"))
        .and_then(|b| b.split("```").next())
        .expect("a TOML block with entities");
    let d = dir("readme");
    let schema = d.join("schema.toml");
    std::fs::write(&schema, block).unwrap();
    dynorm()
        .args(["schema", "check"])
        .arg(&schema)
        .assert()
        .success()
        .stdout(format!(
            "{}: 1 table(s), 1 entity type(s), all valid\n",
            schema.display()
        ));
}

/// `import --schema`: items of an entity are written with the keys their fields give (the old
/// items' missing and stale index keys are computed on the way in), and a line whose table key
/// disagrees with its fields is refused, naming the line, with nothing imported.
#[test]
fn import_with_a_schema_writes_the_keys_the_fields_give() {
    let d = dir("import-schema");
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
    let data = d.join("items.jsonl");
    std::fs::write(&data, OLD_ITEMS).unwrap();
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["import", "app"])
        .arg(&data)
        .arg("--schema")
        .arg(&schema));
    assert!(ok, "{out}{err}");
    assert_eq!(
        query_gsi1(&db, "EMAIL#ann@acme.test").len(),
        1,
        "users got their index keys"
    );
    assert!(
        query_gsi1(&db, "COUPON#OLD").is_empty(),
        "the stale coupon key was dropped"
    );
    let items = dump(&db);
    let order2 = items.iter().find(|i| i["sk"] == "O#000002").unwrap();
    assert!(
        order2.get("gsi1pk").is_none() && order2.get("gsi1sk").is_none(),
        "{order2}"
    );

    let moved = d.join("moved.jsonl");
    std::fs::write(
        &moved,
        "{\"pk\":\"T#acme\",\"sk\":\"U#dan\",\"__entity\":\"User\",\"tenant\":\"acme\",\"user\":\"dan\",\"email\":\"d@x\"}\n\
         {\"pk\":\"T#other\",\"sk\":\"U#eve\",\"__entity\":\"User\",\"tenant\":\"acme\",\"user\":\"eve\",\"email\":\"e@x\"}\n",
    )
    .unwrap();
    let (ok, out, err) = run(dynorm()
        .arg("--db")
        .arg(&db)
        .args(["import", "app"])
        .arg(&moved)
        .arg("--schema")
        .arg(&schema));
    assert!(!ok, "{out}");
    assert!(
        err.contains(":2:") && err.contains("`User`") && err.contains("nothing was imported"),
        "{err}"
    );
    assert!(
        !dump(&db).iter().any(|i| i["sk"] == "U#dan"),
        "nothing of the file was written"
    );
}

//! End-to-end runs of the `dynorm` binary: schema checks, exports, plan and apply.

use std::path::PathBuf;

use dynorm::infra::iam::{AccessLevel, ArnContext};
use dynorm::infra::{ExportOptions, cloudformation, docs, iam, terraform};
use dynorm::schema_file::Schema;

use crate::support::{self, dynorm, run};

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    support::fresh_dir("main", test)
}

const USERS_TOML: &str = r#"
[[tables]]
name = "users"
partition_key = "id"
ttl_attribute = "expires"
tags = { team = "identity" }

[[tables.attributes]]
name = "id"
type = "string"

[[tables.attributes]]
name = "email"
type = "string"

[[tables.attributes]]
name = "expires"
type = "datetime_epoch"

[[tables.global_secondary_indexes]]
name = "email_index"
partition_key = "email"
projection = "keys_only"
"#;

/// The same table without its index, and with a stream.
const USERS_V2_TOML: &str = r#"
[[tables]]
name = "users"
partition_key = "id"
ttl_attribute = "expires"
stream = "new_image"
tags = { team = "identity" }

[[tables.attributes]]
name = "id"
type = "string"

[[tables.attributes]]
name = "expires"
type = "datetime_epoch"
"#;

#[test]
fn schema_check_accepts_a_valid_file_and_names_every_problem_of_a_bad_one() {
    let d = dir("check");
    let good = d.join("good.toml");
    std::fs::write(&good, USERS_TOML).unwrap();
    dynorm()
        .args(["schema", "check"])
        .arg(&good)
        .assert()
        .success()
        .stdout(format!("{}: 1 table(s), all valid\n", good.display()));

    let bad = d.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"tables": [
  {"name": "users", "partition_key": "tags", "attributes": [{"name": "tags", "type": "string_set"}],
   "local_secondary_indexes": [{"name": "by_x", "sort_key": "x"}]}
]}"#,
    )
    .unwrap();
    let (ok, stdout, stderr) = run(dynorm().args(["schema", "check"]).arg(&bad));
    assert!(!ok);
    assert!(stdout.is_empty(), "{stdout}");
    // Each at its value, in file order, with the line and a caret under the value.
    for problem in [
        "2:38: table `users`: partition key `tags` has type `string_set`",
        "3:4: table `users`: local secondary indexes (`by_x`) need a table with a sort key",
        "3:61: table `users`: sort key of local index `by_x` `x` is not a declared attribute",
    ] {
        let at = format!("{}:{problem}", bad.display());
        assert!(stderr.contains(&at), "{problem}:\n{stderr}");
    }
    assert!(
        stderr.contains("3 |    \"local_secondary_indexes\": [{\"name\": \"by_x\", \"sort_key\": \"x\"}]}\n     |                                                             ^^^"),
        "{stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");

    // An empty schema file is refused.
    let empty = d.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let (ok, _, stderr) = run(dynorm().args(["schema", "check"]).arg(&empty));
    assert!(!ok);
    assert!(
        stderr.contains("empty.toml:1:1: the schema defines no tables"),
        "{stderr}"
    );

    let (ok, _, stderr) = run(dynorm().args(["schema", "check", "/nonexistent/schema.yaml"]));
    assert!(!ok);
    assert_eq!(
        stderr.lines().next().unwrap(),
        "error: cannot read `/nonexistent/schema.yaml`: No such file or directory (os error 2)"
    );

    let (ok, _, stderr) = run(dynorm().args(["schema", "check", "schema.txt"]));
    assert!(!ok);
    assert!(
        stderr.contains("use a .toml, .yaml, .yml or .json file"),
        "{stderr}"
    );
}

#[test]
fn exports_print_exactly_what_the_library_generates() {
    let d = dir("export");
    let file = d.join("schema.toml");
    std::fs::write(&file, USERS_TOML).unwrap();
    let tables = Schema::load(&file).unwrap().tables;
    let stdout = |args: &[&str]| {
        let (ok, out, err) = run(dynorm().args(args).arg(&file));
        assert!(ok, "{args:?}: {err}");
        out
    };
    let staged = ExportOptions::default().with_default_stage("dev");

    assert_eq!(
        stdout(&["export", "cloudformation", "--format", "json", "--stage", "dev"]),
        cloudformation::template(&tables, &staged).unwrap().to_json()
    );
    assert_eq!(
        stdout(&["export", "cloudformation"]),
        cloudformation::template(&tables, &ExportOptions::default())
            .unwrap()
            .to_yaml()
    );
    assert_eq!(
        stdout(&["export", "terraform", "--no-point-in-time-recovery"]),
        terraform::module(
            &tables,
            &ExportOptions::default().with_point_in_time_recovery(false)
        )
        .unwrap()
        .to_json()
    );
    assert_eq!(
        stdout(&["export", "iam", "--level", "read"]),
        iam::cloudformation_policy("app", &tables, AccessLevel::Read, &ExportOptions::default())
            .unwrap()
            .to_json()
    );
    assert_eq!(
        stdout(&[
            "export",
            "iam",
            "--level",
            "write",
            "--terraform",
            "--name",
            "api"
        ]),
        iam::terraform_policy("api", &tables, AccessLevel::Write)
            .unwrap()
            .to_json()
    );
    assert_eq!(
        stdout(&[
            "export",
            "iam",
            "--level",
            "read-write",
            "--format",
            "yaml",
            "--account",
            "123456789012",
            "--region",
            "eu-west-1",
            "--stage",
            "prod",
        ]),
        iam::policy_document(
            &tables,
            AccessLevel::ReadWrite,
            &ArnContext::new("eu-west-1", "123456789012", "prod")
        )
        .unwrap()
        .to_yaml()
    );
    assert_eq!(stdout(&["schema", "docs"]), docs::markdown(&tables).unwrap());

    // A stream policy when no table has a stream is refused with the library's reason.
    let (ok, _, stderr) = run(dynorm()
        .args(["export", "iam", "--level", "stream-read"])
        .arg(&file));
    assert!(!ok);
    assert_eq!(
        stderr,
        "error: no table has a stream, so stream read access cannot be granted\n"
    );
}

#[test]
fn plan_and_apply_migrate_a_file_backed_database() {
    let d = dir("migrate");
    let db = d.join("app.db");
    let v1 = d.join("v1.toml");
    let v2 = d.join("v2.toml");
    std::fs::write(&v1, USERS_TOML).unwrap();
    std::fs::write(&v2, USERS_V2_TOML).unwrap();
    let on_db = |args: &[&str], file: &PathBuf| run(dynorm().arg("--db").arg(&db).args(args).arg(file));

    let (ok, stdout, stderr) = on_db(&["plan"], &v1);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout,
        "+ users: create table (id S), on demand, GSI email_index (projection keys_only), TTL expires\n1 step(s)\n"
    );

    let (ok, stdout, stderr) = on_db(&["apply"], &v1);
    assert!(ok, "{stderr}");
    assert!(stdout.ends_with("Applied 1 step(s).\n"), "{stdout}");
    // Safe to run twice: the second run has nothing to do.
    let (ok, stdout, _) = on_db(&["apply"], &v1);
    assert!(ok);
    assert_eq!(stdout, "No changes: the live tables match the schema.\n");

    let (ok, stdout, _) = on_db(&["plan"], &v2);
    assert!(ok);
    assert_eq!(
        stdout,
        "- users: remove GSI email_index [destructive]\n\
         ~ users: stream off -> NEW_IMAGE\n\
         2 step(s); 1 destructive (apply needs --allow-destructive)\n"
    );
    let (ok, stdout, _) = on_db(&["plan", "--json"], &v2);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["steps"][0]["step"], "remove_global_index");
    assert_eq!(json["steps"][1]["to"], "new_image");

    let (ok, _, stderr) = on_db(&["apply"], &v2);
    assert!(!ok);
    assert!(
        stderr.contains("  - users: remove GSI email_index [destructive]"),
        "{stderr}"
    );
    assert!(stderr.contains("run again with --allow-destructive"), "{stderr}");
    let (_, stdout, _) = on_db(&["plan"], &v2);
    assert!(
        stdout.starts_with("- users: remove GSI email_index"),
        "nothing was changed: {stdout}"
    );

    let (ok, stdout, stderr) = on_db(&["apply", "--allow-destructive"], &v2);
    assert!(ok, "{stderr}");
    assert!(stdout.ends_with("Applied 2 step(s).\n"), "{stdout}");
    let (_, stdout, _) = on_db(&["plan"], &v2);
    assert_eq!(stdout, "No changes: the live tables match the schema.\n");

    // A key change is reported, never attempted, and fails the command.
    let v3 = d.join("v3.json");
    std::fs::write(
        &v3,
        r#"[{"name":"users","partition_key":"id","attributes":[{"name":"id","type":"number"}]}]"#,
    )
    .unwrap();
    let (ok, stdout, stderr) = on_db(&["apply", "--allow-destructive"], &v3);
    assert!(!ok);
    assert!(
        stdout.starts_with(
            "! users: needs a new table, not changed in place: partition key id changes type from S to N"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 change(s) need a new table and were not made"),
        "{stderr}"
    );
    let (_, stdout, _) = on_db(&["plan"], &v2);
    assert_eq!(stdout, "No changes: the live tables match the schema.\n");
}

#[test]
fn plan_without_a_target_says_how_to_choose_one() {
    let d = dir("no-target");
    let file = d.join("schema.toml");
    std::fs::write(&file, USERS_TOML).unwrap();
    let (ok, _, stderr) = run(dynorm().arg("plan").arg(&file));
    assert!(!ok);
    assert_eq!(
        stderr,
        "error: `plan` needs live tables: add --db PATH (an embedded database file), --endpoint URL or --aws\n"
    );
    let (ok, _, stderr) = run(dynorm().arg("plan"));
    assert!(!ok);
    assert!(stderr.contains("no schema file given"), "{stderr}");
    // Usage errors exit with clap's code 2.
    dynorm().args(["plan", "--db", "x", "--aws"]).assert().code(2);
}

const LINKED_TOML: &str = r#"
[[tables]]
name = "users"
partition_key = "id"
stream = "new_image"
attributes = [{ name = "id", type = "string" }]

[[tables]]
name = "orders"
partition_key = "id"
attributes = [{ name = "id", type = "string" }]

[[consumers]]
name = "checkout"
tables = [{ table = "orders", access = "read-write" }, { table = "users", access = "read" }]

[[consumers]]
name = "mailer"
tables = [{ table = "users", access = "stream-read" }]
"#;

#[test]
fn consumers_and_stream_read_policies_are_exported() {
    let d = dir("consumers");
    let file = d.join("linked.toml");
    std::fs::write(&file, LINKED_TOML).unwrap();
    let export = |args: &[&str]| run(dynorm().args(["export", "iam"]).arg(&file).args(args));

    // Stream read covers the tables that have a stream.
    let (ok, stdout, stderr) = export(&[
        "--level",
        "stream-read",
        "--account",
        "123456789012",
        "--region",
        "eu-west-1",
        "--stage",
        "prod",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("table/prod-users/stream/*"), "{stdout}");
    assert!(!stdout.contains("prod-orders"), "{stdout}");
    // ... or the ones named, which must have one.
    let (ok, _, stderr) = export(&["--level", "stream-read", "--table", "orders"]);
    assert!(!ok);
    assert!(stderr.contains("table `orders` has no stream"), "{stderr}");
    let (ok, stdout, _) = export(&["--level", "read", "--table", "orders"]);
    assert!(ok);
    assert!(
        stdout.contains("${Stage}-orders") && !stdout.contains("${Stage}-users"),
        "{stdout}"
    );

    // One policy per consumer, in each output.
    let schema = Schema::load(&file).expect("schema");
    let (ok, stdout, stderr) = export(&["--consumer", "all", "--terraform"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout,
        iam::consumers_terraform(&schema.consumers, &schema.tables)
            .unwrap()
            .to_json()
    );
    let (ok, stdout, _) = export(&["--consumer", "all", "--format", "yaml"]);
    assert!(ok);
    assert!(
        stdout.contains("CheckoutPolicy:") && stdout.contains("MailerPolicy:"),
        "{stdout}"
    );
    let (ok, stdout, _) = export(&[
        "--consumer",
        "mailer",
        "--account",
        "123456789012",
        "--region",
        "eu-west-1",
        "--stage",
        "prod",
    ]);
    assert!(ok);
    assert_eq!(
        stdout,
        iam::consumer_policy_document(
            &schema.consumers[1],
            &schema.tables,
            &ArnContext::new("eu-west-1", "123456789012", "prod")
        )
        .unwrap()
        .to_json()
    );
    let (ok, _, stderr) = export(&["--consumer", "nobody"]);
    assert!(!ok);
    assert!(
        stderr
            .contains("--consumer nobody: no such consumer in the schema (its consumers: checkout, mailer)"),
        "{stderr}"
    );

    // A consumer naming a table the schema lacks is reported at that table.
    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        LINKED_TOML.replace(
            "table = \"orders\", access = \"read-write\"",
            "table = \"order\", access = \"read-write\"",
        ),
    )
    .unwrap();
    let (ok, _, stderr) = run(dynorm().args(["schema", "check"]).arg(&bad));
    assert!(!ok);
    assert!(
        stderr.contains("bad.toml:15:21: consumer `checkout`: table `order` is not in the schema (its tables: `users`, `orders`)"),
        "{stderr}"
    );
}

/// A table and an entity declaring schema versions in a schema file: `schema docs` shows both.
#[test]
fn schema_docs_shows_table_and_entity_versions() {
    let d = dir("versions");
    let file = d.join("schema.toml");
    let text = r#"
[[tables]]
name = "people"
partition_key = "id"
schema_version = 3
attributes = [{ name = "id", type = "string" }]

[[tables]]
name = "app"
partition_key = "pk"
sort_key = "sk"
attributes = [{ name = "pk", type = "string" }, { name = "sk", type = "string" }]

[[entities]]
name = "User"
table = "app"
entity_attribute = "__entity"
schema_version = 2
fields = [{ name = "tenant" }, { name = "id" }]
keys = [
    { attribute = "pk", template = "T#{tenant}" },
    { attribute = "sk", template = "U#{id}" },
]
"#;
    std::fs::write(&file, text).unwrap();
    let (ok, out, err) = run(dynorm().args(["schema", "docs"]).arg(&file));
    assert!(ok, "{err}");
    let schema = Schema::load(&file).unwrap();
    assert_eq!(out, docs::schema_markdown(&schema).unwrap());
    for needle in [
        "- Schema version: 3, stored in every item as `_schema_version = 3`; items stored at versions 1 to 2 are upgraded as they are read",
        "#### Entity `User`\n\nIts items hold `__entity` = `User`.\n\nSchema version: 2, stored in every item as `_schema_version = 2`; items stored at version 1 are upgraded as they are read.",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // Version 0 is refused, located.
    std::fs::write(&file, text.replace("schema_version = 2", "schema_version = 0")).unwrap();
    let (ok, _, err) = run(dynorm().args(["schema", "docs"]).arg(&file));
    assert!(!ok);
    assert!(err.contains("entity `User`: schema versions start at 1"), "{err}");
}

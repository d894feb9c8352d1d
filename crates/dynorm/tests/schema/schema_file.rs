//! Schema files with mistakes: every problem of the file reported in one run, each at the key or
//! value concerned (file:line:column and the line with a caret), sorted by position.
#![cfg(feature = "schema-files")]

use dynorm::schema_file::{Location, Schema, SchemaError, SchemaFormat, SchemaProblems};
use proptest::prelude::*;

fn invalid(text: &str, format: SchemaFormat, file: &str) -> SchemaProblems {
    match Schema::parse(text, format, file) {
        Err(SchemaError::Invalid(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    }
}

/// `line:column: message` of each problem.
fn placed(p: &SchemaProblems) -> Vec<String> {
    p.problems
        .iter()
        .map(|p| {
            let l = p.location.expect("every problem has a location");
            format!("{}:{}: {}", l.line, l.column, p.message)
        })
        .collect()
}

const USERS: &str = r#"[[tables]]
name = "users"
partition_key = "id"

[[tables.attributes]]
name = "id"
type = "string"

[[tables.global_secondary_indexes]]
name = "by-email"
partition_key = "email"
"#;

#[test]
fn a_problem_inside_a_table_is_reported_at_its_value_not_the_table_header() {
    let p = invalid(USERS, SchemaFormat::Toml, "s.toml");
    assert_eq!(
        placed(&p),
        ["11:17: partition key of index `by-email` `email` is not a declared attribute"]
    );
    let message = p.to_string();
    assert!(
        message.contains("s.toml:11:17: table `users`: partition key of index `by-email`"),
        "{message}"
    );
}

#[test]
fn problems_show_the_line_with_a_caret_under_the_value() {
    let message = invalid(USERS, SchemaFormat::Toml, "s.toml").to_string();
    assert_eq!(
        message,
        "s.toml has 1 problem(s):
  s.toml:11:17: table `users`: partition key of index `by-email` `email` is not a declared attribute
      |
   11 | partition_key = \"email\"
      |                 ^^^^^^^"
    );
}

#[test]
fn every_type_problem_of_a_table_is_reported_in_one_run_sorted_by_position() {
    let text = r#"[[tables]]
name = "users"
partition_key = "id"
stream = "sometimes"
deletion_protection = "maybe"
descripton = "People."
attributes = [
    { name = "id", type = "string" },
    { name = "age", type = "integer" },
    { name = "tags", type = "string_sett" },
]

[[tables]]
name = "x"
partition_key = "pk"
"#;
    let p = invalid(text, SchemaFormat::Toml, "s.toml");
    let placed = placed(&p);
    assert_eq!(placed.len(), 7, "{placed:#?}");
    for (got, want) in placed.iter().zip([
        "4:10: at `stream`: unknown variant `sometimes`, expected one of `keys_only`",
        "5:23: at `deletion_protection`: invalid type: string \"maybe\", expected a boolean",
        "6:1: unknown field `descripton`, expected one of",
        "9:28: at `attributes[1].type`: unknown variant `integer`",
        "10:29: at `attributes[2].type`: unknown variant `string_sett`",
        "14:8: table name `x` must be 3-255 characters",
        "15:17: partition key `pk` is not a declared attribute",
    ]) {
        assert!(got.starts_with(want), "{got:?} should start with {want:?}");
    }
    assert!(
        placed[2].ends_with("did you mean `description`?"),
        "{}",
        placed[2]
    );
    assert!(placed[4].ends_with("did you mean `string_set`?"), "{}", placed[4]);
}

#[test]
fn an_empty_schema_file_is_an_error() {
    for (text, format) in [
        ("", SchemaFormat::Toml),
        ("# nothing yet\n", SchemaFormat::Toml),
        ("tables = []\n", SchemaFormat::Toml),
        ("", SchemaFormat::Yaml),
        ("tables: []\n", SchemaFormat::Yaml),
        ("{}", SchemaFormat::Json),
        ("[]", SchemaFormat::Json),
    ] {
        let p = invalid(text, format, "empty");
        assert_eq!(
            placed(&p),
            ["1:1: the schema defines no tables: a schema file lists at least one under `tables`"],
            "{format} {text:?}"
        );
    }
    assert!(Schema::parse("", SchemaFormat::Json, "e.json").is_err());
}

#[test]
fn wrong_enum_values_say_what_is_allowed() {
    let text = r#"[[tables]]
name = "users"
partition_key = "id"
billing = "provisioned"
attributes = [{ name = "id", type = "string" }]
global_secondary_indexes = [{ name = "by-id", partition_key = "id", projection = "some" }]
"#;
    let p = invalid(text, SchemaFormat::Toml, "s.toml");
    assert_eq!(
        placed(&p),
        [
            "4:11: `billing` must be `on_demand`, or `provisioned` with `read` and `write` capacity units \
             (TOML: `billing = { provisioned = { read = 5, write = 5 } }`)",
            "6:82: `projection` must be `all` (the default), `keys_only` (or `keys-only`), or `include` with a list of attribute names \
             (TOML: `projection = { include = [\"id\"] }`)",
        ]
    );
    let yaml = "tables:\n  - name: users\n    partition_key: id\n    billing: provisioned\n    attributes:\n      - name: id\n        type: strin\n";
    let p = invalid(yaml, SchemaFormat::Yaml, "s.yaml");
    let placed = placed(&p);
    assert!(
        placed[0].starts_with("4:14: `billing` must be `on_demand`"),
        "{placed:?}"
    );
    assert!(
        placed[1]
            .starts_with("7:15: at `attributes[0].type`: unknown variant `strin`, expected one of `S`, `string`, `N`, `number`"),
        "{placed:?}"
    );
    assert!(placed[1].ends_with("did you mean `string`?"), "{placed:?}");
}

#[test]
fn json_problems_point_at_the_key_or_value() {
    let text = r#"{
  "tables": [
    {
      "name": "users",
      "partition_key": "id",
      "ttl_attribute": "expires",
      "attributes": [{ "name": "id", "type": "string" }, { "name": "id", "type": "number" }]
    }
  ],
  "extra": 1
}"#;
    let p = invalid(text, SchemaFormat::Json, "s.json");
    assert_eq!(
        placed(&p),
        [
            "6:24: TTL attribute `expires` is not a declared attribute",
            "7:68: attribute `id` is declared twice",
            "10:3: unknown top-level key `extra`, expected `tables`, `entities` or `consumers`",
        ]
    );
}

#[test]
fn a_misspelt_required_key_is_reported_once() {
    let text = "tables:\n  - name: users\n    partition_kee: id\n    attributes:\n      - name: id\n        type: string\n";
    let p = invalid(text, SchemaFormat::Yaml, "s.yaml");
    let placed = placed(&p);
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert!(
        placed[0].starts_with("3:5: unknown field `partition_kee`"),
        "{placed:?}"
    );
    assert!(placed[0].ends_with("did you mean `partition_key`?"), "{placed:?}");
}

#[test]
fn syntax_errors_have_a_location_and_a_caret() {
    let message = invalid("[[tables]]\nname = \n", SchemaFormat::Toml, "s.toml").to_string();
    assert!(message.contains("s.toml:2:"), "{message}");
    assert!(message.contains("2 | name ="), "{message}");
}

fn golden(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/schema")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One random edit of a text: delete, insert, replace or duplicate a piece of it.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    Replace { at: usize, len: usize, text: String },
    DuplicateLine { line: usize },
    DeleteLine { line: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("[".to_owned()),
        Just("{".to_owned()),
        Just(":".to_owned()),
        Just("=".to_owned()),
        Just("-".to_owned()),
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("pk".to_owned()),
        Just("3".to_owned()),
        Just("true".to_owned()),
        Just("\"x\"".to_owned()),
        "[a-z_ :=\\[\\]{}\",\n-]{1,8}",
    ];
    prop_oneof![
        (any::<usize>(), 1usize..12).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), piece.clone()).prop_map(|(at, text)| Edit::Insert { at, text }),
        (any::<usize>(), 1usize..6, piece).prop_map(|(at, len, text)| Edit::Replace { at, len, text }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        any::<usize>().prop_map(|line| Edit::DeleteLine { line }),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len().max(1);
    let splice = |at: usize, len: usize, with: &str| {
        let at = at % n;
        let end = (at + len).min(chars.len());
        let mut out: String = chars[..at.min(chars.len())].iter().collect();
        out.push_str(with);
        out.extend(&chars[end..]);
        out
    };
    let mut lines: Vec<&str> = text.lines().collect();
    let line_count = lines.len().max(1);
    match edit {
        Edit::Delete { at, len } => splice(*at, *len, ""),
        Edit::Insert { at, text } => splice(*at, 0, text),
        Edit::Replace { at, len, text } => splice(*at, *len, text),
        Edit::DuplicateLine { line } => {
            let l = line % line_count;
            if let Some(copy) = lines.get(l).copied() {
                lines.insert(l, copy);
            }
            lines.join("\n")
        }
        Edit::DeleteLine { line } => {
            if !lines.is_empty() {
                lines.remove(line % line_count);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Whatever the edits, loading never panics, and a file it refuses has at least one problem,
    /// every problem placed within the file.
    #[test]
    fn edited_schema_files_load_or_report_located_problems(
        file in 0usize..5,
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let (name, format) = [
            ("app.toml", SchemaFormat::Toml),
            ("app.yaml", SchemaFormat::Yaml),
            ("app.json", SchemaFormat::Json),
            ("shop.toml", SchemaFormat::Toml),
            ("shop.yaml", SchemaFormat::Yaml),
        ][file];
        let mut text = golden(name);
        for e in &edits {
            text = apply(&text, e);
        }
        match Schema::parse(&text, format, name) {
            Ok(_) => {}
            Err(SchemaError::Invalid(p)) => {
                prop_assert!(!p.problems.is_empty());
                let lines = text.lines().count().max(1) + 1;
                for problem in &p.problems {
                    let Some(Location { line, column }) = problem.location else {
                        return Err(TestCaseError::fail(format!("no location: {p}\n---\n{text}")));
                    };
                    prop_assert!(line >= 1 && line <= lines && column >= 1, "{p}\n---\n{text}");
                }
                let mut sorted = p.problems.clone();
                sorted.sort_by_key(|p| p.location);
                prop_assert_eq!(&sorted, &p.problems);
                let _ = p.to_string();
            }
            Err(other) => return Err(TestCaseError::fail(format!("unexpected error {other}"))),
        }
    }
}

#[test]
fn consumers_are_read_checked_against_the_tables_and_round_trip() {
    let text = r#"tables:
  - name: users
    partition_key: id
    attributes:
      - name: id
        type: string
consumers:
  - name: signup
    tables:
      - table: users
        access: write
  - name: mailer
    tables:
      - table: users
        access: stream-read
      - table: userz
        access: read
      - table: users
        access: reed
"#;
    let found = placed(&invalid(text, SchemaFormat::Yaml, "s.yaml"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("19:17: consumer `mailer`: at `tables[2].access`: unknown variant `reed`"),
        "{found:?}"
    );
    let text = text.replace("access: reed", "access: read-write");
    let placed = placed(&invalid(&text, SchemaFormat::Yaml, "s.yaml"));
    assert_eq!(
        placed,
        [
            "15:17: consumer `mailer`: table `users` has no stream, so its access cannot be `stream-read`",
            "16:16: consumer `mailer`: table `userz` is not in the schema (its tables: `users`)",
            "18:16: consumer `mailer`: table `users` is named twice",
        ]
    );
    let good = text
        .replace("      - table: userz\n        access: read\n", "")
        .replace("      - table: users\n        access: read-write\n", "")
        .replace("stream-read", "read");
    let schema = Schema::parse(&good, SchemaFormat::Yaml, "s.yaml").expect("valid");
    assert_eq!(schema.consumers.len(), 2);
    for format in [SchemaFormat::Toml, SchemaFormat::Yaml, SchemaFormat::Json] {
        let back = Schema::parse(&schema.to_text(format).expect("text"), format, "x").expect("parse");
        assert_eq!(back, schema, "{format}");
    }
}

const TOURNAMENTS: &str = r#"[[tables]]
name = "tournaments"
partition_key = "match_id"

[[tables.attributes]]
name = "match_id"
type = "string"

[[tables.attributes]]
name = "tournament"
type = "string"

[[tables.attributes]]
name = "round"
type = "number"

[[tables.global_secondary_indexes]]
name = "by_region"
partition_key = ["tournament", "region"]
sort_key = ["round"]
"#;

#[test]
fn a_multi_attribute_key_is_a_list_and_its_problems_point_at_the_attribute() {
    // `region` is not declared: reported at its place in the list.
    let p = invalid(TOURNAMENTS, SchemaFormat::Toml, "t.toml");
    assert_eq!(
        placed(&p),
        ["19:32: partition key of index `by_region` `region` is not a declared attribute"]
    );
    let fixed = TOURNAMENTS.replace(
        "[[tables.global_secondary_indexes]]",
        "[[tables.attributes]]\nname = \"region\"\ntype = \"string\"\n\n[[tables.global_secondary_indexes]]",
    );
    let schema = Schema::parse(&fixed, SchemaFormat::Toml, "t.toml").expect("valid");
    let index = &schema.tables[0].global_secondary_indexes[0];
    assert_eq!(index.partition_keys(), ["tournament", "region"]);
    assert_eq!(index.sort_keys(), ["round"]);
    // Five attributes: DynamoDB's limit of four, at the key.
    let wide = fixed.replace(
        r#"["tournament", "region"]"#,
        r#"["tournament", "region", "round", "match_id", "tournament"]"#,
    );
    let problems = placed(&invalid(&wide, SchemaFormat::Toml, "t.toml"));
    assert!(
        problems.iter().any(|p| p.ends_with(
            "partition key of index `by_region` has 5 attributes, more than DynamoDB's limit of 4"
        )),
        "{problems:?}"
    );
}

/// Stelvio's schema spelling: DynamoDB's type letters and `keys-only`.
const STELVIO: &str = r#"
tables:
  - name: events
    partition_key: tenant
    sort_key: at
    attributes:
      - { name: tenant, type: S }
      - { name: at, type: "N" }
      - { name: digest, type: B }
      - { name: kind, type: string }
    global_secondary_indexes:
      - { name: by-kind, partition_key: kind, sort_key: at, projection: keys-only }
      - { name: by-digest, partition_key: digest, projection: keys_only }
      - { name: by-kind-all, partition_key: kind }
"#;

#[test]
fn stelvio_type_letters_and_keys_only_are_read() {
    use dynorm::{AttributeType, IndexProjection};
    let schema = Schema::parse(STELVIO, SchemaFormat::Yaml, "stelvio.yaml").expect("valid");
    let events = schema.table("events").expect("events");
    let types: Vec<AttributeType> = events.attributes.iter().map(|a| a.attribute_type).collect();
    assert_eq!(
        types,
        [
            AttributeType::String,
            AttributeType::Number,
            AttributeType::Binary,
            AttributeType::String
        ]
    );
    let projections: Vec<&IndexProjection> = events
        .global_secondary_indexes
        .iter()
        .map(|g| &g.projection)
        .collect();
    // `keys-only` and `keys_only` alike; none given is all attributes.
    assert_eq!(
        projections,
        [
            &IndexProjection::KeysOnly,
            &IndexProjection::KeysOnly,
            &IndexProjection::All
        ]
    );
    // YAML reads a bare `N` as `false` (YAML 1.1's booleans): quote it. The mistake is refused
    // at the value, never read as another type.
    let problems = invalid(
        &STELVIO.replace("type: \"N\"", "type: N"),
        SchemaFormat::Yaml,
        "s.yaml",
    );
    assert!(placed(&problems)[0].starts_with("8:27:"), "{problems:?}");
    // TOML and JSON spell the letters as strings.
    let toml = r#"
[[tables]]
name = "events"
partition_key = "tenant"
attributes = [{ name = "tenant", type = "S" }, { name = "at", type = "N" }]
global_secondary_indexes = [{ name = "by-at", partition_key = "at", projection = "keys-only" }]
"#;
    let schema = Schema::parse(toml, SchemaFormat::Toml, "stelvio.toml").expect("valid");
    let events = schema.table("events").expect("events");
    assert_eq!(events.attributes[1].attribute_type, AttributeType::Number);
    assert_eq!(
        events.global_secondary_indexes[0].projection,
        IndexProjection::KeysOnly
    );
}

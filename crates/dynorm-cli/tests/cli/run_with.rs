//! The CLI over definitions given in code (`run_with`), as an application exposes it.

use clap::Parser;
use dynorm::definition::{AttributeDefinition, AttributeType, TableDefinition};
use dynorm::infra::{ExportOptions, docs, terraform};
use dynorm::schema_file::Schema;
use dynorm_cli::{Cli, execute, execute_schema};

fn definitions() -> Vec<TableDefinition> {
    let mut users = TableDefinition::new("users", "id", AttributeType::String);
    users.description = Some("People who can sign in.".into());
    users
        .attributes
        .push(AttributeDefinition::new("email", AttributeType::String));
    vec![users]
}

fn output(args: &[&str], definitions: &[TableDefinition]) -> anyhow::Result<String> {
    let cli = Cli::try_parse_from(std::iter::once("app").chain(args.iter().copied()))?;
    let mut out = Vec::new();
    execute(&cli, Some(definitions), &mut out)?;
    Ok(String::from_utf8(out)?)
}

#[test]
fn commands_without_a_file_use_the_definitions_from_code() {
    let defs = definitions();
    assert_eq!(
        output(&["schema", "check"], &defs).unwrap(),
        "the definitions: 1 table(s), all valid\n"
    );
    assert_eq!(
        output(&["schema", "show"], &defs).unwrap(),
        "table users: People who can sign in.\n  partition key  id (S)\n  billing        on demand\n  attributes\n    id  string\n    email  string\n"
    );
    assert_eq!(
        output(&["schema", "docs"], &defs).unwrap(),
        docs::markdown(&defs).unwrap()
    );
    assert_eq!(
        output(&["export", "terraform"], &defs).unwrap(),
        terraform::module(&defs, &ExportOptions::default())
            .unwrap()
            .to_json()
    );
}

#[test]
fn invalid_definitions_from_code_are_reported() {
    let mut defs = definitions();
    defs[0].partition_key = "missing".into();
    let err = output(&["export", "cloudformation"], &defs).unwrap_err();
    assert!(
        err.to_string()
            .contains("partition key `missing` is not a declared attribute"),
        "{err}"
    );
}

#[test]
fn run_from_returns_the_exit_code() {
    use std::process::ExitCode;
    assert_eq!(
        dynorm_cli::run_from(["app", "schema", "check"], Some(definitions())),
        ExitCode::SUCCESS
    );
    assert_eq!(
        dynorm_cli::run_from(["app", "schema", "check"], None),
        ExitCode::FAILURE
    );
    assert_eq!(
        dynorm_cli::run_from(["app", "no-such-command"], None),
        ExitCode::from(2)
    );
}

/// A single table with one entity, as an application built on `#[derive(Entity)]` passes it.
fn single_table() -> Schema {
    use dynorm::entity::{Entity as _, Layout, SingleTable};
    struct App;
    impl SingleTable for App {
        const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
    }
    #[derive(dynorm::Entity)]
    #[dynorm(table = App, entity = "Tenant", pk = "T#{tenant}", sk = "PROFILE")]
    #[allow(dead_code)]
    struct Tenant {
        tenant: String,
        plan: String,
    }
    Schema::new(vec![App::LAYOUT.definition()]).with_entities([Tenant::entity_definition()])
}

fn schema_output(args: &[&str], schema: &Schema) -> anyhow::Result<String> {
    let cli = Cli::try_parse_from(std::iter::once("app").chain(args.iter().copied()))?;
    let mut out = Vec::new();
    execute_schema(&cli, Some(schema), &mut out)?;
    Ok(String::from_utf8(out)?)
}

#[test]
fn entities_from_code_are_checked_shown_and_documented() {
    let schema = single_table();
    assert_eq!(
        schema_output(&["schema", "check"], &schema).unwrap(),
        "the definitions: 1 table(s), 1 entity type(s), all valid\n"
    );
    assert!(
        schema_output(&["schema", "show"], &schema)
            .unwrap()
            .ends_with("  entities\n    Tenant  pk = T#{tenant}, sk = PROFILE\n")
    );
    let markdown = schema_output(&["schema", "docs"], &schema).unwrap();
    assert_eq!(markdown, docs::schema_markdown(&schema).unwrap());
    assert!(markdown.contains("#### Entity `Tenant`"), "{markdown}");

    // An entity that does not fit its table is refused like a bad table.
    let mut bad = single_table();
    bad.entities[0].keys[1].attribute = "sort".into();
    let err = schema_output(&["schema", "check"], &bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("entity `Tenant`: the table key `sort`: `sort` is not a key attribute of table `app`"),
        "{err}"
    );
    // `backfill` needs live tables, like the other data commands.
    let err = schema_output(&["backfill", "app"], &schema).unwrap_err();
    assert!(err.to_string().contains("`backfill` needs live tables"), "{err}");
}

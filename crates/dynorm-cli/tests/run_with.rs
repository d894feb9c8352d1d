//! The CLI over definitions given in code (`run_with`), as an application exposes it.

use clap::Parser;
use dynorm::definition::{AttributeDefinition, AttributeType, TableDefinition};
use dynorm::infra::{ExportOptions, docs, terraform};
use dynorm_cli::{Cli, execute};

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

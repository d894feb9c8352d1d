//! `dynorm`: the command-line tool for dynorm table definitions.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dynorm::TableDefinition;

/// Tools for DynamoDB tables defined with dynorm.
#[derive(Debug, Parser)]
#[command(name = "dynorm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with schema files (JSON lists of table definitions).
    #[command(subcommand)]
    Schema(SchemaCommand),
}

#[derive(Debug, Subcommand)]
enum SchemaCommand {
    /// Check every table definition in a schema file against DynamoDB's rules.
    Check {
        /// The schema file: a JSON array of table definitions.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema(SchemaCommand::Check { file }) => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let tables: Vec<TableDefinition> = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a list of table definitions", file.display()))?;
            let problems: Vec<String> = tables
                .iter()
                .filter_map(|t| t.validate().err())
                .map(|e| e.to_string())
                .collect();
            if !problems.is_empty() {
                anyhow::bail!("{}", problems.join("\n"));
            }
            #[allow(clippy::print_stdout)]
            {
                println!("{}: {} table(s), all valid", file.display(), tables.len());
            }
            Ok(())
        }
    }
}

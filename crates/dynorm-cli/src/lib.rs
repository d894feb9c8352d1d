//! The `dynorm` command-line tool, as a library: the binary is [`run`], and an application can
//! expose the same commands over its own derived definitions with [`run_with`] (tables) or
//! [`run_with_schema`] (tables and the entities of its single tables).
//!
//! ```no_run
//! // src/bin/schema.rs of an application: `cargo run --bin schema -- export terraform`
//! fn main() -> std::process::ExitCode {
//!     let definitions = vec![/* <User as dynorm::Table>::definition().clone(), ... */];
//!     dynorm_cli::run_with(definitions)
//! }
//! ```
//!
//! With entities, `dynorm backfill` and the entity sections of `dynorm schema docs` work from
//! code too:
//!
//! ```no_run
//! use dynorm::schema_file::Schema;
//!
//! fn main() -> std::process::ExitCode {
//!     let schema = Schema::new(vec![/* App::LAYOUT.definition(), ... */])
//!         .with_entities([/* <User as dynorm::entity::Entity>::entity_definition(), ... */]);
//!     dynorm_cli::run_with_schema(schema)
//! }
//! ```
//!
//! Commands that take a schema FILE use the definitions given to [`run_with`] or
//! [`run_with_schema`] when the file is left out.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod aws_shape;
mod backfill;
mod data;
mod exact_json;
mod progress;
pub mod serve;

pub use data::ItemFormat;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use dynorm::definition::{BillingMode, Projection, TableDefinition};
use dynorm::entity::EntityDefinition;
use dynorm::infra::iam::{AccessLevel, ArnContext};
use dynorm::infra::{ExportOptions, cloudformation, docs, iam, terraform};
use dynorm::migrate::{self, ApplyOptions, MigrateError};
use dynorm::schema_file::Schema;

/// Tools for DynamoDB tables defined with dynorm: check schema files, export infrastructure,
/// migrate live tables, and serve a local DynamoDB.
#[derive(Debug, Parser)]
#[command(name = "dynorm", version, about, long_about = None)]
pub struct Cli {
    /// Where the live tables are (for `plan`, `apply` and the item commands; `--db` also for
    /// `serve`).
    #[command(flatten)]
    pub target: Target,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the live tables are: exactly one of these, for the commands that reach tables.
#[derive(Debug, Clone, Default, Args)]
pub struct Target {
    /// Use an embedded database stored in this file (created if absent).
    #[arg(long, global = true, value_name = "PATH", conflicts_with_all = ["endpoint", "aws"])]
    pub db: Option<PathBuf>,

    /// Use a DynamoDB-compatible endpoint, e.g. `http://127.0.0.1:8000` from `dynorm serve`.
    /// Loopback endpoints get dummy credentials and region `us-east-1` unless `AWS_REGION` is set;
    /// others are configured the standard AWS way.
    #[arg(long, global = true, value_name = "URL", conflicts_with = "aws")]
    pub endpoint: Option<String>,

    /// Use Amazon DynamoDB, configured the standard AWS way (`AWS_REGION`, `AWS_PROFILE`,
    /// `AWS_ENDPOINT_URL_DYNAMODB`, SSO, ...).
    #[arg(long, global = true)]
    pub aws: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check, show or document a schema file (TOML, YAML or JSON, chosen by extension).
    #[command(subcommand)]
    Schema(SchemaCommand),

    /// Generate infrastructure from a schema file, on standard output.
    #[command(subcommand)]
    Export(ExportCommand),

    /// Show what `apply` would change to make the live tables match the schema.
    Plan {
        /// The schema file.
        file: Option<PathBuf>,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },

    /// Change the live tables to match the schema: create tables, add and remove indexes, switch
    /// TTL, streams, billing, tags and deletion protection. Safe to run twice.
    Apply {
        /// The schema file.
        file: Option<PathBuf>,
        /// Also carry out destructive steps (removing an index, switching a stream, TTL or
        /// deletion protection off).
        #[arg(long)]
        allow_destructive: bool,
    },

    /// Run a local DynamoDB-compatible HTTP server (in memory, or in the `--db` file), with the
    /// schema's tables created and a web console at /console/. Stop it with Ctrl-C.
    ///
    /// The DynamoDB API itself (POST /) does not check credentials: anyone who can reach the
    /// port can read and change every table. It binds 127.0.0.1 unless --host says otherwise.
    /// The console refuses requests naming another host (DNS rebinding) and state changes
    /// without the page's CSRF token; bound to another address it also requires an access token
    /// (printed at start, or given with --console-token).
    Serve(ServeArgs),

    /// Load items from a JSON Lines file into a live table, 25 per request, retrying throttled
    /// requests and unprocessed items with backoff. Items still unwritten at the end are saved
    /// next to FILE and reported.
    Import {
        /// The table.
        table: String,
        /// The JSON Lines file: one item per line.
        file: PathBuf,
        /// How items are written in the file.
        #[arg(long, value_enum, default_value_t = ItemFormat::Json)]
        format: ItemFormat,
        /// A schema file whose definition of the table gives attribute types for plain JSON
        /// (sets, numbers given as text, binary); without it, the types follow the JSON values.
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
        /// Write versioned items as the file gives them (restoring a dump). Without it, an item
        /// of a type the schema versions (`version_attribute`, an entity's `version`) is written
        /// as the typed API writes it: expecting the version it carries, storing the next, and
        /// refused if the table holds another version.
        #[arg(long)]
        unguarded: bool,
    },

    /// Save every item of a live table as JSON Lines (on standard output, or in a file).
    Dump {
        /// The table.
        table: String,
        /// How items are written.
        #[arg(long, value_enum, default_value_t = ItemFormat::Json)]
        format: ItemFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Print one item by its key: the partition key value, then the sort key value if the table
    /// has one.
    Get {
        /// The table.
        table: String,
        /// The key values.
        #[arg(required = true, num_args = 1..=2)]
        key: Vec<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },

    /// Print the items with a partition key value, from the table or one of its indexes.
    Query {
        /// The table.
        table: String,
        /// The partition key value.
        partition_key: String,
        /// Query this index instead of the table.
        #[arg(long, value_name = "INDEX")]
        index: Option<String>,
        /// Only the items whose sort key begins with this.
        #[arg(long, value_name = "PREFIX")]
        sort_begins_with: Option<String>,
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },

    /// Rewrite the key attributes of a single table's items from its entities' key templates.
    ///
    /// After a template changed or an index was added, old items get the keys new code expects.
    /// Each update changes only key attributes, on condition that the fields they read are
    /// unchanged; an item whose table key would change is reported, never moved. The exit code
    /// is non-zero when an item failed or needs a new key.
    Backfill {
        /// The table, as the schema names it.
        table: String,
        /// The schema file with the table and its entities.
        file: Option<PathBuf>,
        /// Only this entity type (repeat for several); default: every entity of the table.
        #[arg(long = "entity", value_name = "NAME")]
        entities: Vec<String>,
        /// Report what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Save progress (cursor and counts) to this file after every page, and continue from
        /// it when it exists; it is marked done at the end.
        #[arg(long, value_name = "FILE")]
        resume: Option<PathBuf>,
        /// Items read per page (default: up to 1 MB per page).
        #[arg(long, value_name = "N")]
        page_size: Option<u32>,
        /// Stop after this many pages (with --resume, the next run continues from there).
        #[arg(long, value_name = "N")]
        max_pages: Option<usize>,
        /// Updates in flight at once.
        #[arg(long, value_name = "N", default_value_t = dynorm::entity::backfill::DEFAULT_CONCURRENCY)]
        concurrency: usize,
        /// The live table's name, when it differs from the schema's (a stage prefix).
        #[arg(long, value_name = "NAME")]
        table_name: Option<String>,
    },

    /// Print the items of a table.
    Scan {
        /// The table.
        table: String,
        /// At most this many items.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `dynorm schema ...`
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Check every table against DynamoDB's rules; report every problem with its location.
    Check {
        /// The schema file.
        file: Option<PathBuf>,
    },
    /// Print the tables readably: keys, attributes, indexes, settings.
    Show {
        /// The schema file.
        file: Option<PathBuf>,
    },
    /// Print the Markdown data-model document (with a Mermaid diagram).
    Docs {
        /// The schema file.
        file: Option<PathBuf>,
    },
}

/// `dynorm export ...`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A CloudFormation template with one `AWS::DynamoDB::Table` per table.
    Cloudformation {
        /// The schema file.
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Yaml)]
        format: Format,
        /// Default value of the template's `Stage` parameter.
        #[arg(long)]
        stage: Option<String>,
        /// Leave point-in-time recovery off.
        #[arg(long)]
        no_point_in_time_recovery: bool,
    },
    /// Terraform JSON (`*.tf.json`) with one `aws_dynamodb_table` per table.
    Terraform {
        /// The schema file.
        file: Option<PathBuf>,
        /// Default value of the `stage` variable.
        #[arg(long)]
        stage: Option<String>,
        /// Leave point-in-time recovery off.
        #[arg(long)]
        no_point_in_time_recovery: bool,
    },
    /// A least-privilege IAM policy over the tables of the schema (every table, those named
    /// with `--table`, or for `--level stream-read` every table with a stream), or one policy
    /// per consumer of the schema (`--consumer`): a CloudFormation managed policy (default),
    /// Terraform (`--terraform`), or a plain policy document (`--account`).
    Iam {
        /// The schema file.
        file: Option<PathBuf>,
        /// What the policy allows.
        #[arg(long, value_enum, default_value_t = Level::ReadWrite)]
        level: Level,
        /// Only this table (repeat for more).
        #[arg(long = "table", value_name = "TABLE", conflicts_with = "consumers")]
        tables: Vec<String>,
        /// The policy of this consumer of the schema, each table at the consumer's level
        /// (repeat for more; `all` for every consumer); `--level` and `--name` do not apply.
        #[arg(long = "consumer", value_name = "CONSUMER")]
        consumers: Vec<String>,
        /// Output format (CloudFormation and plain policies).
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// The stage: the template parameter's default, or (with `--account`) the table prefix.
        #[arg(long)]
        stage: Option<String>,
        /// The policy's name.
        #[arg(long, default_value = "app")]
        name: String,
        /// Terraform JSON instead of CloudFormation.
        #[arg(long, conflicts_with = "account")]
        terraform: bool,
        /// A plain policy document with concrete ARNs in this 12-digit account (needs `--region`
        /// and `--stage`).
        #[arg(long, requires_all = ["region", "stage"])]
        account: Option<String>,
        /// The region of the concrete ARNs (with `--account`).
        #[arg(long)]
        region: Option<String>,
    },
}

/// JSON or YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// An IAM access level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    /// Reads: get, batch get, query, scan, condition checks.
    Read,
    /// Writes: put, update, delete, batch write, condition checks.
    Write,
    /// Reads and writes.
    ReadWrite,
    /// Reading the tables' streams.
    StreamRead,
}

impl From<Level> for AccessLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Read => AccessLevel::Read,
            Level::Write => AccessLevel::Write,
            Level::ReadWrite => AccessLevel::ReadWrite,
            Level::StreamRead => AccessLevel::StreamRead,
        }
    }
}

/// Runs the `dynorm` command line (what the binary does).
pub fn run() -> ExitCode {
    run_from(std::env::args_os(), None)
}

/// Runs the `dynorm` command line over an application's own definitions: a command whose
/// schema FILE is left out uses these.
pub fn run_with(definitions: Vec<TableDefinition>) -> ExitCode {
    run_from(std::env::args_os(), Some(definitions))
}

/// Runs the `dynorm` command line over an application's own schema: its tables and the entities
/// of its single tables (for `backfill` and the entity sections of `schema docs`). A command
/// whose schema FILE is left out uses it.
pub fn run_with_schema(schema: Schema) -> ExitCode {
    run_schema_from(std::env::args_os(), Some(schema))
}

/// Runs the command line given by `args` (the first is the program name), printing to standard
/// output and errors to standard error, and returns the exit code.
pub fn run_from<I, T>(args: I, definitions: Option<Vec<TableDefinition>>) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_schema_from(args, definitions.map(Schema::new))
}

/// [`run_from`] with a whole schema (tables and entities) given in code.
pub fn run_schema_from<I, T>(args: I, schema: Option<Schema>) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout, usage errors to stderr.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let mut stdout = std::io::stdout().lock();
    match execute_schema(&cli, schema.as_ref(), &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`dynorm dump … | head`): stop quietly, as Unix tools do.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = stdout.flush();
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {}", one_message(&e));
            }
            ExitCode::FAILURE
        }
    }
}

/// Whether the error is a write to a closed pipe (Rust ignores SIGPIPE, so writes fail instead).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `dynorm serve`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The schema file whose tables are created at start (none: start empty); its entities
    /// make the console entity-aware.
    pub file: Option<PathBuf>,
    /// The port (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// The address to bind. Anything but a loopback address exposes the unauthenticated
    /// DynamoDB API to the network, and makes the console require its access token.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Async worker threads (default: one per available core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// The console's access token when bound to a non-loopback address (default: a random one,
    /// printed at start).
    #[arg(long)]
    pub console_token: Option<String>,
    /// The region stream ARNs and records name (default: `AWS_REGION`, else `us-east-1`).
    #[arg(long)]
    pub region: Option<String>,
    /// Where the console keeps database snapshots (default: `<db file>.snapshots` beside
    /// `--db`; for an in-memory database, a temporary directory removed at stop).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
}

/// Runs `dynorm serve` until Ctrl-C.
fn serve_command(
    args: &ServeArgs,
    db: Option<PathBuf>,
    schema: Schema,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let in_what = db
        .as_ref()
        .map_or_else(|| "in memory".to_owned(), |p| format!("in {}", p.display()));
    let server = serve::Server::start(serve::ServeOptions {
        host: args.host,
        port: args.port,
        db,
        tables: schema.tables,
        entities: schema.entities,
        workers: args.workers,
        console_token: args.console_token.clone(),
        stop_on_ctrl_c: true,
        region: args.region.clone(),
        snapshots: args.snapshots.clone(),
    })?;
    let mut banner = format!(
        "dynorm: serving DynamoDB on {} ({in_what}); Ctrl-C stops it\ndynorm: console at {}\n",
        server.endpoint(),
        server.console_url()
    );
    if !args.host.is_loopback() {
        banner += &format!(
            "dynorm: warning: bound to {}: the DynamoDB API checks no credentials\n",
            args.host
        );
    }
    // One write, and best effort: a caller that read the first line and closed the pipe must
    // not stop the server (a second write would fail with a broken pipe and end it).
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    server.wait()
}

/// Carries out a parsed command, writing its output to `out`.
pub fn execute(
    cli: &Cli,
    definitions: Option<&[TableDefinition]>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let schema = definitions.map(|d| Schema::new(d.to_vec()));
    execute_schema(cli, schema.as_ref(), out)
}

/// [`execute`] with a whole schema (tables and entities) given in code.
pub fn execute_schema(cli: &Cli, code: Option<&Schema>, out: &mut dyn Write) -> anyhow::Result<()> {
    let schema = |file: &Option<PathBuf>| load_schema(file.as_deref(), code);
    let tables = |file: &Option<PathBuf>| schema(file).map(|s| s.tables);
    let definitions = code.map(|s| s.tables.as_slice());
    match &cli.command {
        Command::Schema(SchemaCommand::Check { file }) => {
            let schema = schema(file)?;
            let origin = file
                .as_ref()
                .map_or_else(|| "the definitions".to_owned(), |f| f.display().to_string());
            write!(out, "{origin}: {} table(s)", schema.tables.len())?;
            if !schema.entities.is_empty() {
                write!(out, ", {} entity type(s)", schema.entities.len())?;
            }
            writeln!(out, ", all valid")?;
        }
        Command::Schema(SchemaCommand::Show { file }) => {
            out.write_all(show(&schema(file)?).as_bytes())?;
        }
        Command::Schema(SchemaCommand::Docs { file }) => {
            out.write_all(docs::schema_markdown(&schema(file)?)?.as_bytes())?;
        }
        Command::Export(export) => out.write_all(self::export(export, &schema)?.as_bytes())?,
        Command::Plan { file, json } => {
            let tables = tables(file)?;
            let runtime = runtime()?;
            runtime.block_on(async {
                let client = connect(&cli.target, "plan").await?;
                let plan = migrate::plan(&client, &tables).await?;
                if *json {
                    writeln!(out, "{}", plan.to_json())?;
                } else {
                    out.write_all(describe_plan(&plan).as_bytes())?;
                }
                anyhow::Ok(())
            })?;
        }
        Command::Apply {
            file,
            allow_destructive,
        } => {
            let tables = tables(file)?;
            let runtime = runtime()?;
            runtime.block_on(apply(&cli.target, &tables, *allow_destructive, out))?;
        }
        Command::Serve(serve_args) => {
            if cli.target.endpoint.is_some() || cli.target.aws {
                bail!(
                    "`serve` runs its own engine: use `--db PATH` (or nothing, for memory), not --endpoint or --aws"
                );
            }
            let schema = match (&serve_args.file, code) {
                (None, None) => Schema::new(Vec::new()),
                _ => schema(&serve_args.file)?,
            };
            serve_command(serve_args, cli.target.db.clone(), schema, out)?;
        }
        Command::Import { .. }
        | Command::Dump { .. }
        | Command::Get { .. }
        | Command::Query { .. }
        | Command::Scan { .. } => item_command(cli, definitions, out)?,
        Command::Backfill {
            table,
            file,
            entities,
            dry_run,
            resume,
            page_size,
            max_pages,
            concurrency,
            table_name,
        } => {
            let schema = schema(file)?;
            let job = backfill::Job::new(&schema, table, entities, table_name.as_deref())?;
            let options = backfill::Options {
                dry_run: *dry_run,
                resume: resume.clone(),
                page_size: *page_size,
                max_pages: *max_pages,
                concurrency: *concurrency,
            };
            runtime()?.block_on(async {
                let client = connect(&cli.target, "backfill").await?;
                job.run(&client, &options, out).await
            })?;
        }
    }
    Ok(())
}

/// The item commands: import, dump, get, query, scan.
fn item_command(
    cli: &Cli,
    definitions: Option<&[TableDefinition]>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match &cli.command {
        Command::Import {
            table,
            file,
            format,
            schema,
            unguarded,
        } => {
            let (definition, entities) = match (schema, definitions) {
                (Some(_), _) | (None, Some(_)) => {
                    let code = definitions.map(|d| Schema::new(d.to_vec()));
                    let schema = load_schema(schema.as_deref(), code.as_ref())?;
                    let entities: Vec<EntityDefinition> = schema.entities_of(table).cloned().collect();
                    (schema.tables.into_iter().find(|d| d.name == *table), entities)
                }
                (None, None) => (None, Vec::new()),
            };
            runtime()?.block_on(async {
                let client = connect(&cli.target, "import").await?;
                let model = data::Model {
                    definition: definition.as_ref(),
                    entities: &entities,
                };
                let guarded = model.is_versioned() && !*unguarded;
                data::import(&client, table, file, *format, model, guarded, out).await
            })?;
        }
        Command::Dump {
            table,
            format,
            output,
        } => runtime()?.block_on(async {
            let client = connect(&cli.target, "dump").await?;
            data::dump(&client, table, *format, output.as_deref(), out).await
        })?,
        Command::Get { table, key, json } => runtime()?.block_on(async {
            let client = connect(&cli.target, "get").await?;
            data::get(&client, table, key, *json, out).await
        })?,
        Command::Query {
            table,
            partition_key,
            index,
            sort_begins_with,
            json,
        } => runtime()?.block_on(async {
            let client = connect(&cli.target, "query").await?;
            data::query(
                &client,
                table,
                partition_key,
                index.as_deref(),
                sort_begins_with.as_deref(),
                *json,
                out,
            )
            .await
        })?,
        Command::Scan { table, limit, json } => runtime()?.block_on(async {
            let client = connect(&cli.target, "scan").await?;
            data::scan(&client, table, *limit, *json, out).await
        })?,
        other => bail!("not an item command: {other:?}"),
    }
    Ok(())
}

/// The error and its causes, each cause left out when the message already says it.
fn one_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The schema (tables and entities) of a file, or the one given in code when the file is left
/// out.
fn load_schema(file: Option<&Path>, code: Option<&Schema>) -> anyhow::Result<Schema> {
    match (file, code) {
        (Some(file), _) => Ok(Schema::load(file)?),
        (None, Some(schema)) => {
            schema.validate()?;
            Ok(schema.clone())
        }
        (None, None) => bail!("no schema file given: add one (TOML, YAML or JSON) after the command"),
    }
}

fn export(
    command: &ExportCommand,
    schema: &dyn Fn(&Option<PathBuf>) -> anyhow::Result<Schema>,
) -> anyhow::Result<String> {
    let tables = |file: &Option<PathBuf>| schema(file).map(|s| s.tables);
    let options = |stage: &Option<String>, no_pitr: bool| {
        let mut o = ExportOptions::default().with_point_in_time_recovery(!no_pitr);
        if let Some(s) = stage {
            o = o.with_default_stage(s.clone());
        }
        o
    };
    let render = |doc: dynorm::infra::Document, format: Format| match format {
        Format::Json => doc.to_json(),
        Format::Yaml => doc.to_yaml(),
    };
    Ok(match command {
        ExportCommand::Cloudformation {
            file,
            format,
            stage,
            no_point_in_time_recovery,
        } => render(
            cloudformation::template(&tables(file)?, &options(stage, *no_point_in_time_recovery))?,
            *format,
        ),
        ExportCommand::Terraform {
            file,
            stage,
            no_point_in_time_recovery,
        } => terraform::module(&tables(file)?, &options(stage, *no_point_in_time_recovery))?.to_json(),
        ExportCommand::Iam {
            file,
            level,
            tables: named,
            consumers,
            format,
            stage,
            name,
            terraform,
            account,
            region,
        } => {
            let schema = schema(file)?;
            let context = match account {
                Some(account) => {
                    let (Some(region), Some(stage)) = (region, stage) else {
                        bail!("--account needs --region and --stage too");
                    };
                    Some(ArnContext::new(region, account, stage))
                }
                None => None,
            };
            if !consumers.is_empty() {
                let chosen = chosen_consumers(&schema, consumers)?;
                return Ok(match (context, terraform) {
                    (Some(context), _) => {
                        let [consumer] = chosen.as_slice() else {
                            bail!(
                                "a plain policy document (--account) is for one consumer: name one with --consumer"
                            );
                        };
                        render(
                            iam::consumer_policy_document(consumer, &schema.tables, &context)?,
                            *format,
                        )
                    }
                    (None, true) => iam::consumers_terraform(&chosen, &schema.tables)?.to_json(),
                    (None, false) => render(
                        iam::consumers_cloudformation(&chosen, &schema.tables, &options(stage, false))?,
                        *format,
                    ),
                });
            }
            let level = AccessLevel::from(*level);
            let tables = policy_tables(schema.tables, named, level)?;
            match (context, terraform) {
                (Some(context), _) => render(iam::policy_document(&tables, level, &context)?, *format),
                (None, true) => iam::terraform_policy(name, &tables, level)?.to_json(),
                (None, false) => render(
                    iam::cloudformation_policy(name, &tables, level, &options(stage, false))?,
                    *format,
                ),
            }
        }
    })
}

/// The tables a policy covers: those named (each must exist), or every table; for stream read
/// without names, every table that has a stream.
fn policy_tables(
    tables: Vec<TableDefinition>,
    named: &[String],
    level: AccessLevel,
) -> anyhow::Result<Vec<TableDefinition>> {
    if !named.is_empty() {
        for n in named {
            if !tables.iter().any(|t| &t.name == n) {
                let known: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
                bail!(
                    "--table {n}: no such table in the schema (its tables: {})",
                    known.join(", ")
                );
            }
        }
        return Ok(tables.into_iter().filter(|t| named.contains(&t.name)).collect());
    }
    if level != AccessLevel::StreamRead {
        return Ok(tables);
    }
    let with_streams: Vec<TableDefinition> = tables.into_iter().filter(|t| t.stream.is_some()).collect();
    if with_streams.is_empty() {
        return Err(dynorm::infra::InfraError::NoStreams.into());
    }
    Ok(with_streams)
}

/// The consumers named (`all` for every one), each of the schema.
fn chosen_consumers(schema: &Schema, names: &[String]) -> anyhow::Result<Vec<iam::Consumer>> {
    if names.iter().any(|n| n == "all") {
        if schema.consumers.is_empty() {
            bail!("the schema has no consumers: add a `consumers` list to it");
        }
        return Ok(schema.consumers.clone());
    }
    names
        .iter()
        .map(|n| {
            schema.consumer(n).cloned().ok_or_else(|| {
                let known: Vec<&str> = schema.consumers.iter().map(|c| c.name.as_str()).collect();
                anyhow::anyhow!(
                    "--consumer {n}: no such consumer in the schema (its consumers: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )
            })
        })
        .collect()
}

/// A client for the chosen target; plan and apply need one to be chosen.
async fn connect(target: &Target, command: &str) -> anyhow::Result<dynorm::Client> {
    if let Some(path) = &target.db {
        return Ok(dynorm::Client::embedded_file(path)?);
    }
    if let Some(url) = &target.endpoint {
        return Ok(endpoint_client(url).await);
    }
    if target.aws {
        return Ok(dynorm::Client::from_env().await);
    }
    bail!("`{command}` needs live tables: add --db PATH (an embedded database file), --endpoint URL or --aws")
}

async fn endpoint_client(url: &str) -> dynorm::Client {
    use dynorm::aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let loopback = ["://127.0.0.1", "://localhost", "://[::1]"]
        .iter()
        .any(|h| url.contains(h));
    if loopback {
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
        let config = dynorm::aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(url)
            .region(Region::new(region))
            .credentials_provider(Credentials::new("dynorm", "dynorm", None, None, "dynorm-cli"))
            .build();
        return dynorm::Client::from_sdk(dynorm::aws_sdk_dynamodb::Client::from_conf(config));
    }
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .load()
        .await;
    dynorm::Client::from_sdk(dynorm::aws_sdk_dynamodb::Client::new(&config))
}

fn describe_plan(plan: &migrate::Plan) -> String {
    if plan.is_empty() {
        return "No changes: the live tables match the schema.\n".to_owned();
    }
    let mut text = plan.to_string();
    let destructive = plan.destructive_steps().count();
    let new_table = plan.requires_new_table().count();
    let _ = write!(text, "{} step(s)", plan.steps.len());
    if destructive > 0 {
        let _ = write!(
            text,
            "; {destructive} destructive (apply needs --allow-destructive)"
        );
    }
    if new_table > 0 {
        let _ = write!(text, "; {new_table} need(s) a new table and will not be applied");
    }
    text.push('\n');
    text
}

async fn apply(
    target: &Target,
    tables: &[TableDefinition],
    allow_destructive: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let client = connect(target, "apply").await?;
    let plan = migrate::plan(&client, tables).await?;
    if plan.is_empty() {
        out.write_all(describe_plan(&plan).as_bytes())?;
        return Ok(());
    }
    out.write_all(plan.to_string().as_bytes())?;
    let options = ApplyOptions {
        allow_destructive,
        ..ApplyOptions::default()
    };
    let applied = match migrate::apply(&client, &plan, options).await {
        Ok(applied) => applied,
        Err(e @ MigrateError::DestructiveRefused { .. }) => {
            bail!("{e}\nnothing was changed; run again with --allow-destructive to carry them out")
        }
        Err(e) => return Err(e.into()),
    };
    writeln!(out, "Applied {} step(s).", applied.done.len())?;
    if !applied.not_taken.is_empty() {
        writeln!(
            out,
            "The engine accepted but did not make {} change(s) (described again after applying):",
            applied.not_taken.len()
        )?;
        for change in &applied.not_taken {
            writeln!(out, "  {change}")?;
        }
    }
    let new_table = applied
        .skipped
        .iter()
        .filter(|s| matches!(s, migrate::Step::RequiresNewTable { .. }))
        .count();
    if new_table > 0 {
        bail!(
            "{new_table} change(s) need a new table and were not made (the `!` lines above): create a table under a new name and copy the data"
        );
    }
    Ok(())
}

/// The tables and their entities, readably.
fn show(schema: &Schema) -> String {
    let mut s = String::new();
    for (i, t) in schema.tables.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        let key = |name: &str| format!("{name} ({})", t.key_type(name).map_or("?", |k| k.as_str()));
        let _ = write!(s, "table {}", t.name);
        if let Some(d) = &t.description {
            let _ = write!(s, ": {d}");
        }
        s.push('\n');
        let _ = writeln!(s, "  partition key  {}", key(&t.partition_key));
        if let Some(sk) = &t.sort_key {
            let _ = writeln!(s, "  sort key       {}", key(sk));
        }
        let billing = match t.billing {
            BillingMode::OnDemand => "on demand".to_owned(),
            BillingMode::Provisioned(c) => format!("provisioned ({} read, {} write)", c.read, c.write),
        };
        let _ = writeln!(s, "  billing        {billing}");
        if let Some(v) = t.stream {
            let _ = writeln!(s, "  stream         {}", v.as_str());
        }
        if let Some(ttl) = &t.ttl_attribute {
            let _ = writeln!(s, "  TTL            {ttl}");
        }
        if t.deletion_protection {
            s.push_str("  deletion protection on\n");
        }
        if !t.tags.is_empty() {
            let tags: Vec<String> = t.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(s, "  tags           {}", tags.join(", "));
        }
        let projection = |p: &Projection| match p {
            Projection::Include(a) => format!("include {}", a.join(", ")),
            other => other.type_name().to_lowercase(),
        };
        for g in &t.global_secondary_indexes {
            let keys: Vec<String> = std::iter::once(&g.partition_key)
                .chain(g.sort_key.as_ref())
                .map(|k| key(k))
                .collect();
            let _ = writeln!(
                s,
                "  GSI {}: {}; projection {}",
                g.name,
                keys.join(", "),
                projection(&g.projection)
            );
        }
        for l in &t.local_secondary_indexes {
            let _ = writeln!(
                s,
                "  LSI {}: sort key {}; projection {}",
                l.name,
                key(&l.sort_key),
                projection(&l.projection)
            );
        }
        s.push_str("  attributes\n");
        for a in &t.attributes {
            let _ = write!(
                s,
                "    {}{}  {}",
                a.name,
                if a.optional { "?" } else { "" },
                a.attribute_type.as_str()
            );
            if let Some(d) = &a.description {
                let _ = write!(s, "  {d}");
            }
            s.push('\n');
        }
        let entities: Vec<&EntityDefinition> = schema.entities_of(&t.name).collect();
        if !entities.is_empty() {
            s.push_str("  entities\n");
        }
        for e in entities {
            let keys: Vec<String> = e
                .keys
                .iter()
                .map(|k| format!("{} = {}", k.attribute, k.template))
                .collect();
            let _ = writeln!(s, "    {}  {}", e.name, keys.join(", "));
        }
    }
    s
}

//! `dynorm backfill`: rewrite the composed keys of a single table's items from the key templates
//! of its entities (see [`dynorm::entity::backfill`]), resumable through a state file.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dynorm::definition::TableDefinition;
use dynorm::entity::EntityDefinition;
use dynorm::entity::backfill::{Backfill, BackfillReport, Counts};
use dynorm::query::Cursor;
use dynorm::schema_file::Schema;
use serde::{Deserialize, Serialize};

/// How many would-be changes a dry run prints.
const SAMPLES: usize = 20;

/// What to backfill: a table of the schema and some of its entities.
#[derive(Debug)]
pub(crate) struct Job {
    table: TableDefinition,
    entities: Vec<EntityDefinition>,
    live_name: String,
}

/// How to run it.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) dry_run: bool,
    pub(crate) resume: Option<PathBuf>,
    pub(crate) page_size: Option<u32>,
    pub(crate) max_pages: Option<usize>,
    pub(crate) concurrency: usize,
}

/// The state file of `--resume`: what the backfill is, where it got to, and the totals so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    /// The table, as the schema names it.
    table: String,
    /// The live table scanned.
    live_table: String,
    /// The entity types rewritten.
    entities: Vec<String>,
    dry_run: bool,
    /// Where the next page starts (`None`: at the beginning, or nowhere when `done`).
    cursor: Option<String>,
    counts: Counts,
    /// Whether the whole table was read.
    done: bool,
}

impl Job {
    /// The table and entities named, or why they cannot be backfilled.
    pub(crate) fn new(
        schema: &Schema,
        table: &str,
        only: &[String],
        live_name: Option<&str>,
    ) -> anyhow::Result<Self> {
        let Some(definition) = schema.table(table) else {
            let known: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
            bail!(
                "the schema has no table `{table}` (its tables: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        };
        let all: Vec<&EntityDefinition> = schema.entities_of(table).collect();
        if all.is_empty() {
            bail!(
                "the schema declares no entities for table `{table}`: add `[[entities]]` with their key templates"
            );
        }
        let mut entities = Vec::new();
        for name in only {
            match all.iter().find(|e| e.name == *name) {
                Some(e) if !entities.contains(*e) => entities.push((*e).clone()),
                Some(_) => {}
                None => {
                    let known: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
                    bail!(
                        "table `{table}` has no entity `{name}` (its entities: {})",
                        known.join(", ")
                    );
                }
            }
        }
        if entities.is_empty() {
            entities = all.into_iter().cloned().collect();
        }
        Ok(Self {
            table: definition.clone(),
            entities,
            live_name: live_name.unwrap_or(table).to_owned(),
        })
    }

    fn names(&self) -> Vec<String> {
        self.entities.iter().map(|e| e.name.clone()).collect()
    }

    fn fresh_state(&self, dry_run: bool) -> State {
        State {
            table: self.table.name.clone(),
            live_table: self.live_name.clone(),
            entities: self.names(),
            dry_run,
            cursor: None,
            counts: Counts::default(),
            done: false,
        }
    }

    /// Runs the backfill, printing problems as they come and a summary at the end; fails when an
    /// item failed or needs a new key.
    pub(crate) async fn run(
        &self,
        client: &dynorm::Client,
        options: &Options,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        let fresh = self.fresh_state(options.dry_run);
        let state = match &options.resume {
            Some(path) => read_state(path, &fresh)?,
            None => None,
        };
        let title = format!("backfill of {} ({})", self.live_name, self.names().join(", "));
        if let Some(state) = state.as_ref().filter(|s| s.done) {
            let path = options.resume.as_deref().map(Path::display);
            writeln!(
                out,
                "{title}: already complete according to {} (delete it to run again)",
                path.map(|p| p.to_string()).unwrap_or_default()
            )?;
            return summary(&title, &state.counts, options.dry_run, out);
        }

        let mut backfill = Backfill::new(client, &self.table, self.entities.clone())
            .table_name(self.live_name.clone())
            .dry_run(options.dry_run)
            .concurrency(options.concurrency);
        if let Some(n) = options.page_size {
            backfill = backfill.page_size(n);
        }
        if let Some(n) = options.max_pages {
            backfill = backfill.max_pages(n);
        }
        let mut state = state.unwrap_or(fresh);
        if let Some(cursor) = &state.cursor {
            backfill = backfill.resume(Cursor::new(cursor.clone()), state.counts);
            writeln!(
                out,
                "{title}: resuming after {} item(s) scanned",
                state.counts.scanned
            )?;
        }

        let bar = crate::progress::items(None, &title, crate::progress::visible(false));
        let mut samples = 0usize;
        let mut pages_done = 0usize;
        // The first failure inside the callback (printing, saving state); it stops the scan.
        let mut failure: Option<anyhow::Error> = None;
        let result = backfill
            .run(|page| {
                pages_done += 1;
                bar.set_message(format!("{title}: {}", page.totals));
                // The position counts items scanned, which gives the rate.
                bar.set_position(page.totals.scanned);
                let mut step = || -> anyhow::Result<()> {
                    for p in &page.problems {
                        bar.suspend(|| writeln!(out, "! {p}"))?;
                    }
                    if options.dry_run {
                        for c in &page.changes {
                            if samples < SAMPLES {
                                bar.suspend(|| writeln!(out, "~ {c}"))?;
                            }
                            samples += 1;
                        }
                    }
                    if let Some(path) = &options.resume {
                        state.cursor = page.cursor.as_ref().map(ToString::to_string);
                        state.counts = page.totals;
                        state.done = page.cursor.is_none();
                        write_state(path, &state)?;
                    }
                    Ok(())
                };
                match step() {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        failure = Some(e);
                        ControlFlow::Break(())
                    }
                }
            })
            .await;
        bar.finish_and_clear();
        if let Some(e) = failure {
            return Err(e.context(format!("{title} stopped")));
        }
        let report: BackfillReport = match result {
            Ok(r) => r,
            Err(e) if pages_done == 0 => return Err(anyhow::Error::new(e).context(title)),
            Err(e) => {
                let hint = match &options.resume {
                    Some(path) => format!(
                        "the {pages_done} page(s) done are saved in {0}: run again with --resume {0} to continue",
                        path.display()
                    ),
                    None => format!(
                        "{pages_done} page(s) were done; add --resume FILE to continue where it stops next time"
                    ),
                };
                return Err(anyhow::Error::new(e).context(format!("{title} stopped; {hint}")));
            }
        };
        if options.dry_run && samples > SAMPLES {
            writeln!(out, "~ ... and {} more", samples - SAMPLES)?;
        }
        if !report.complete {
            let how = match &options.resume {
                Some(path) => format!("run again with --resume {} to continue", path.display()),
                None => "add --resume FILE to be able to continue where it stops".to_owned(),
            };
            writeln!(out, "{title}: stopped after {} page(s); {how}", report.pages)?;
        }
        summary(&title, &report.counts, options.dry_run, out)
    }
}

/// The summary line; an error when an item failed or needs a new key.
fn summary(title: &str, counts: &Counts, dry_run: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{title}: {counts}{}",
        if dry_run {
            " (dry run: nothing was written)"
        } else {
            ""
        }
    )?;
    let mut problems = Vec::new();
    if counts.failed > 0 {
        problems.push(format!("{} item(s) failed", counts.failed));
    }
    if counts.needs_new_item > 0 {
        problems.push(format!(
            "{} item(s) need a new table key, which a backfill never writes (write them under the new key and delete the old items)",
            counts.needs_new_item
        ));
    }
    if !problems.is_empty() {
        bail!("{} (the `!` lines above)", problems.join("; "));
    }
    Ok(())
}

/// The saved state, when the file exists; it must describe the same backfill.
fn read_state(path: &Path, expected: &State) -> anyhow::Result<Option<State>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let state: State = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a backfill state file", path.display()))?;
    let differs = |what: &str, found: String, wanted: String| {
        anyhow::anyhow!(
            "{} belongs to another backfill: its {what} is {found}, this one's is {wanted}; use another file, or delete it to start over",
            path.display()
        )
    };
    if state.table != expected.table || state.live_table != expected.live_table {
        return Err(differs(
            "table",
            format!("`{}` (live `{}`)", state.table, state.live_table),
            format!("`{}` (live `{}`)", expected.table, expected.live_table),
        ));
    }
    if state.entities != expected.entities {
        return Err(differs(
            "entity list",
            state.entities.join(", "),
            expected.entities.join(", "),
        ));
    }
    if state.dry_run != expected.dry_run {
        let mode = |dry: bool| if dry { "a dry run" } else { "a real run" }.to_owned();
        return Err(differs("mode", mode(state.dry_run), mode(expected.dry_run)));
    }
    Ok(Some(state))
}

/// Writes the state next to the file, then renames it over, so a crash never leaves half a file.
fn write_state(path: &Path, state: &State) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(state)?;
    text.push('\n');
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

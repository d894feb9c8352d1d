//! Several typed PartiQL `SELECT`s in one request: [`Client::partiql_batch`]
//! (BatchExecuteStatement, each statement answered on its own) and
//! [`Client::partiql_transaction`] (ExecuteTransaction, all read at one point in time).
//!
//! Each statement is a [`PartiqlRead`] built as for one statement (`table.partiql(..).bind(..)`),
//! so it is checked against its table's model and its parameters are bound through their codecs,
//! never formatted into the text; its item is decoded into its own type, taken by position from
//! [`StatementResults`]. A batch holds at most [`MAX_BATCH_STATEMENTS`] statements, a transaction
//! [`MAX_TRANSACTION_STATEMENTS`]; more (or none) is refused before sending. They go through
//! the engine like every other request (straight to dynoxide on the embedded engine).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! #[derive(dynorm::Table, Debug, PartialEq)]
//! #[dynorm(table = "players")]
//! struct Player { #[dynorm(partition_key)] id: String, name: String }
//!
//! #[derive(dynorm::Table, Debug, PartialEq)]
//! #[dynorm(table = "teams")]
//! struct Team { #[dynorm(partition_key)] id: String, size: u32 }
//!
//! let db = dynorm::Client::embedded()?;
//! let (players, teams) = (db.table::<Player>(), db.table::<Team>());
//! players.create().await?;
//! teams.create().await?;
//! players.put(&Player { id: "p1".into(), name: "Ann".into() }).await?;
//! teams.put(&Team { id: "t1".into(), size: 5 }).await?;
//!
//! let mut results = db
//!     .partiql_batch()
//!     .statement(players.partiql("SELECT * FROM players WHERE id = ?").bind("p1"))
//!     .statement(teams.partiql("SELECT * FROM teams WHERE id = ?").bind("t1"))
//!     .statement(teams.partiql("SELECT * FROM teams WHERE id = ?").bind("t9"))
//!     .send()
//!     .await?;
//! assert_eq!(results.take::<Player>(0)?.map(|p| p.name).as_deref(), Some("Ann"));
//! assert_eq!(results.take::<Team>(1)?.map(|t| t.size), Some(5));
//! assert_eq!(results.take::<Team>(2)?, None); // no such item
//! # Ok(()) }
//! ```

use std::any::{Any, TypeId};

use crate::engine::error_map::from_code;
use crate::engine::request::{Statement, StatementBatch, StatementOutcome};
use crate::partiql::{PartiqlRead, Plan};
use crate::{Client, Error, Item, Result, Table};

/// The most statements of one BatchExecuteStatement (DynamoDB's limit).
pub const MAX_BATCH_STATEMENTS: usize = 25;

/// The most statements of one ExecuteTransaction (DynamoDB's limit).
pub const MAX_TRANSACTION_STATEMENTS: usize = 100;

type Decode = Box<dyn Fn(Item) -> Result<Box<dyn Any + Send>> + Send + Sync>;

/// One checked statement and how to decode its item.
struct Entry {
    request: Statement,
    output: TypeId,
    output_name: &'static str,
    decode: Decode,
}

impl Entry {
    fn of<O: Send + 'static>(plan: Plan<O>) -> Self {
        Self {
            request: plan.request.clone(),
            output: TypeId::of::<O>(),
            output_name: std::any::type_name::<O>(),
            decode: Box::new(move |item| plan.decode(item).map(|o| Box::new(o) as Box<dyn Any + Send>)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Batch,
    Transaction,
}

impl Kind {
    fn limit(self) -> usize {
        match self {
            Kind::Batch => MAX_BATCH_STATEMENTS,
            Kind::Transaction => MAX_TRANSACTION_STATEMENTS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Batch => "a PartiQL batch (BatchExecuteStatement)",
            Kind::Transaction => "a PartiQL transaction (ExecuteTransaction)",
        }
    }
}

/// Typed PartiQL statements waiting to be sent together; see [the module](self).
#[must_use = "statements do nothing until they are sent with `.send().await`"]
pub struct PartiqlStatements {
    client: Client,
    kind: Kind,
    entries: Vec<Entry>,
    error: Option<Error>,
}

impl std::fmt::Debug for PartiqlStatements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let statements: Vec<&str> = self
            .entries
            .iter()
            .map(|e| e.request.statement.as_str())
            .collect();
        f.debug_struct("PartiqlStatements")
            .field("kind", &self.kind)
            .field("statements", &statements)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Typed PartiQL `SELECT`s sent as one BatchExecuteStatement: each answered on its own, one
    /// failing statement leaving the others' items (see [`StatementResults::take`]).
    pub fn partiql_batch(&self) -> PartiqlStatements {
        self.statements(Kind::Batch)
    }

    /// Typed PartiQL `SELECT`s sent as one ExecuteTransaction: every item read at one point in
    /// time, or the whole transaction refused ([`Error::TransactionCanceled`] with a reason per
    /// statement).
    pub fn partiql_transaction(&self) -> PartiqlStatements {
        self.statements(Kind::Transaction)
    }

    fn statements(&self, kind: Kind) -> PartiqlStatements {
        PartiqlStatements {
            client: self.clone(),
            kind,
            entries: Vec::new(),
            error: None,
        }
    }
}

impl PartiqlStatements {
    /// Adds a statement, checked against its table's model as [`PartiqlRead`] checks it; the
    /// first refused statement is the error [`send`](Self::send) returns. Each statement reads
    /// one item by its whole primary key (a page size or a start token does not apply).
    pub fn statement<T: Table, O: Send + 'static>(mut self, read: PartiqlRead<T, O>) -> Self {
        if self.error.is_none() {
            match read.plan().and_then(single_item) {
                Ok(plan) => self.entries.push(Entry::of(plan)),
                Err(e) => self.error = Some(e),
            }
        }
        self
    }

    /// Sends the statements; the answers are taken by position from the results.
    pub async fn send(self) -> Result<StatementResults> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.check_count()?;
        let answers = self.answers().await?;
        Ok(StatementResults {
            entries: self.entries,
            answers: answers.into_iter().map(Some).collect(),
        })
    }

    fn check_count(&self) -> Result<()> {
        let count = self.entries.len();
        if (1..=self.kind.limit()).contains(&count) {
            return Ok(());
        }
        Err(Error::InvalidRequest {
            table: self
                .entries
                .first()
                .map(|e| e.request.table.clone())
                .unwrap_or_default(),
            index: None,
            message: format!(
                "{} takes 1 to {} statements; {count} given",
                self.kind.name(),
                self.kind.limit()
            ),
        })
    }

    /// Sends the statements through the engine (as every other request goes: checked, in a
    /// span, under the client's table names) and pairs each answer with its statement.
    async fn answers(&self) -> Result<Vec<Result<Option<Item>>>> {
        let request = StatementBatch {
            statements: self.entries.iter().map(|e| e.request.clone()).collect(),
            transaction: self.kind == Kind::Transaction,
        };
        let outcomes = self.client.engine().statement_batch(request).await?;
        let mut outcomes = outcomes.into_iter();
        Ok(self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| match outcomes.next() {
                Some(StatementOutcome::Item(item)) => Ok(item),
                Some(StatementOutcome::Failed { code, message, item }) => {
                    Err(statement_error(&e.request.table, &code, message, item))
                }
                None => Err(missing_answer(&e.request.table, i)),
            })
            .collect())
    }
}

/// Refuses what a statement of a batch or transaction cannot do: page.
fn single_item<O>(plan: Plan<O>) -> Result<Plan<O>> {
    let r = &plan.request;
    if r.limit.is_some() || r.next_token.is_some() {
        return Err(Error::InvalidStatement {
            table: r.table.clone(),
            column: 0,
            message: "a statement of a batch or transaction reads one item: a page size or start token does not apply"
                .to_owned(),
        });
    }
    Ok(plan)
}

fn missing_answer(table: &str, i: usize) -> Error {
    Error::Service {
        table: table.to_owned(),
        code: "MissingResponse".to_owned(),
        message: format!("no answer for statement {i}"),
    }
}

/// A statement's own error in a batch, as the same [`Error`] its code gives elsewhere
/// (`ValidationError` is a `ValidationException`, `ConditionalCheckFailed` a
/// `ConditionalCheckFailedException`, ...).
fn statement_error(table: &str, code: &str, message: String, item: Option<Item>) -> Error {
    let code = format!("{}Exception", code.strip_suffix("Error").unwrap_or(code));
    from_code(table, &code, message, item, None)
}

/// The answers of a batch or transaction, one per statement in the order added.
pub struct StatementResults {
    entries: Vec<Entry>,
    answers: Vec<Option<Result<Option<Item>>>>,
}

impl std::fmt::Debug for StatementResults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatementResults")
            .field("answers", &self.answers)
            .finish_non_exhaustive()
    }
}

impl StatementResults {
    /// How many statements were sent.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none were (never, once sent).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Statement `i`'s item (none when no item has its key), decoded into `O` — the type the
    /// statement was built for (its table type or projection). Statement `i`'s own error is
    /// returned as an [`Error`] without touching the others; a position out of range, another
    /// output type, or taking an answer twice is [`Error::InvalidRequest`].
    pub fn take<O: Send + 'static>(&mut self, i: usize) -> Result<Option<O>> {
        let refuse = |table: &str, message: String| Error::InvalidRequest {
            table: table.to_owned(),
            index: None,
            message,
        };
        let Some(entry) = self.entries.get(i) else {
            return Err(refuse(
                "",
                format!("statement {i} was not sent ({} were)", self.entries.len()),
            ));
        };
        let table = &entry.request.table;
        if entry.output != TypeId::of::<O>() {
            let message = format!(
                "statement {i} reads into `{}`, not `{}`",
                entry.output_name,
                std::any::type_name::<O>()
            );
            return Err(refuse(table, message));
        }
        let answer = self.answers[i]
            .take()
            .ok_or_else(|| refuse(table, format!("statement {i}'s answer was already taken")))?;
        let Some(item) = answer? else { return Ok(None) };
        let decoded = (entry.decode)(item)?;
        decoded.downcast::<O>().map(|o| Some(*o)).map_err(|_| {
            refuse(
                table,
                format!("statement {i}'s item did not decode into its type"),
            )
        })
    }
}

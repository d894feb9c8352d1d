//! The engine boundary: [`Backend`], where a built [`Request`] meets an engine, and [`Engine`],
//! the one place above it that checks requests, opens the tracing span and records consumed
//! capacity, whichever backend answers.

use std::fmt;
use std::sync::Arc;

use tracing::Instrument;

use super::request::{
    Answer, BatchGet, BatchWrite, DeleteItem, GetItem, Placeholders, PutItem, ReadPage, ReadPageRequest,
    Request, Response, Statement, StatementBatch, StatementOutcome, TransactGet, TransactWrite, UpdateItem,
    WriteOp,
};
use super::{check_expression, guard_item, guard_values};
use crate::future::BoxFuture;
use crate::{Error, Item, Result, TableNames};

/// An engine that answers DynamoDB requests: the embedded database called directly, DynamoDB
/// through the SDK, or a wrapper around another backend (fault injection, recording).
///
/// Requests reach a backend already checked (expression depth, value nesting); a backend only
/// translates them for its engine and maps the engine's errors to [`Error`] with
/// [`super::error_map`], so the same DynamoDB error is the same variant on every engine.
pub(crate) trait Backend: Send + Sync + fmt::Debug {
    /// Sends one request. `capacity`: ask the engine for consumed capacity.
    fn send(&self, request: Request, capacity: bool) -> BoxFuture<'_, Result<Response>>;

    /// Whether the engine may refuse a request as throttled. Callers that retry keep a copy of
    /// what they send only when it may.
    fn may_throttle(&self) -> bool {
        true
    }
}

/// The backend of a client, with the checks every request goes through.
#[derive(Clone, Debug)]
pub(crate) struct Engine {
    backend: Arc<dyn Backend>,
    names: TableNames,
}

impl Engine {
    pub(crate) fn new(backend: Arc<dyn Backend>) -> Self {
        Self {
            backend,
            names: TableNames::identity(),
        }
    }

    /// This engine's backend under other table names.
    pub(crate) fn with_names(&self, names: TableNames) -> Self {
        Self {
            backend: self.backend.clone(),
            names,
        }
    }

    /// The same table names around another backend (a wrapper around this one's).
    pub(crate) fn with_backend(&self, backend: Arc<dyn Backend>) -> Self {
        Self {
            backend,
            names: self.names.clone(),
        }
    }

    /// How this engine's requests name tables.
    pub(crate) fn names(&self) -> &TableNames {
        &self.names
    }

    /// The backend, for wrappers that build a new engine around it.
    pub(crate) fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Whether the engine may refuse a request as throttled.
    pub(crate) fn may_throttle(&self) -> bool {
        self.backend.may_throttle()
    }

    /// Checks `request`, sends it in a `dynamodb` span and records the capacity it consumed.
    /// Requests name logical tables; the backend sees the physical names ([`TableNames`]) and an
    /// error it answers names the logical table again.
    pub(crate) async fn send(&self, request: Request) -> Result<Answer> {
        let mut request = guard(request)?;
        if self.names.is_identity() {
            return self.send_physical(request).await;
        }
        request.map_tables(|t| self.names.physical(t).into_owned());
        self.send_physical(request).await.map_err(|mut e| {
            if let Some(table) = e.engine_table_mut()
                && let Some(logical) = self.names.logical(table)
            {
                *table = logical.to_owned();
            }
            e
        })
    }

    async fn send_physical(&self, request: Request) -> Result<Answer> {
        let span = tracing::debug_span!(
            "dynamodb",
            operation = request.operation(),
            table = request.table(),
            index = request.index(),
            count = (request.count() > 1).then_some(request.count()),
            consumed_capacity = tracing::field::Empty
        );
        // Consumed capacity is asked for only when someone listens, so the fast path stays fast.
        let wants_capacity = !span.is_disabled();
        let response = self
            .backend
            .send(request, wants_capacity)
            .instrument(span.clone())
            .await?;
        if let Some(units) = response.capacity {
            span.record("consumed_capacity", units);
        }
        Ok(response.answer)
    }

    pub(crate) async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        item_answer("PutItem", self.send(Request::Put(request)).await?)
    }

    pub(crate) async fn get_item(&self, request: GetItem) -> Result<Option<Item>> {
        item_answer("GetItem", self.send(Request::Get(request)).await?)
    }

    pub(crate) async fn delete_item(&self, request: DeleteItem) -> Result<Option<Item>> {
        item_answer("DeleteItem", self.send(Request::Delete(request)).await?)
    }

    pub(crate) async fn update_item(&self, request: UpdateItem) -> Result<Option<Item>> {
        item_answer("UpdateItem", self.send(Request::Update(request)).await?)
    }

    /// One BatchWriteItem: the writes that came back unprocessed.
    pub(crate) async fn batch_write(&self, table: &str, writes: Vec<WriteOp>) -> Result<Vec<WriteOp>> {
        let request = Request::BatchWrite(BatchWrite {
            table: table.to_owned(),
            writes,
        });
        match self.send(request).await? {
            Answer::BatchWrite(left) => Ok(left),
            other => Err(unexpected(table, "BatchWriteItem", &other)),
        }
    }

    /// One BatchGetItem: the items found and the keys that came back unprocessed.
    pub(crate) async fn batch_get(
        &self,
        table: &str,
        keys: Vec<Item>,
        consistent_read: bool,
    ) -> Result<(Vec<Item>, Vec<Item>)> {
        let request = Request::BatchGet(BatchGet {
            table: table.to_owned(),
            keys,
            consistent_read,
        });
        match self.send(request).await? {
            Answer::BatchGet(items, left) => Ok((items, left)),
            other => Err(unexpected(table, "BatchGetItem", &other)),
        }
    }

    /// One page of a Query or Scan.
    pub(crate) async fn read_page(&self, request: ReadPageRequest) -> Result<ReadPage> {
        let table = request.read.table.clone();
        match self.send(Request::Read(request)).await? {
            Answer::Page(page) => Ok(page),
            other => Err(unexpected(&table, "Query/Scan", &other)),
        }
    }

    pub(crate) async fn transact_write(&self, request: TransactWrite) -> Result<()> {
        let table = request.items.first().map(|w| w.table.clone()).unwrap_or_default();
        match self.send(Request::TransactWrite(request)).await? {
            Answer::Done => Ok(()),
            other => Err(unexpected(&table, "TransactWriteItems", &other)),
        }
    }

    /// One page of an ExecuteStatement: the items and the NextToken.
    pub(crate) async fn execute_statement(&self, request: Statement) -> Result<(Vec<Item>, Option<String>)> {
        let table = request.table.clone();
        match self.send(Request::Statement(request)).await? {
            Answer::Statement(items, next) => Ok((items, next)),
            other => Err(unexpected(&table, "ExecuteStatement", &other)),
        }
    }

    /// A BatchExecuteStatement or ExecuteTransaction: one outcome per statement, in order.
    pub(crate) async fn statement_batch(&self, request: StatementBatch) -> Result<Vec<StatementOutcome>> {
        let table = request
            .statements
            .first()
            .map(|s| s.table.clone())
            .unwrap_or_default();
        let operation = if request.transaction {
            "ExecuteTransaction"
        } else {
            "BatchExecuteStatement"
        };
        match self.send(Request::StatementBatch(request)).await? {
            Answer::Statements(outcomes) => Ok(outcomes),
            other => Err(unexpected(&table, operation, &other)),
        }
    }

    pub(crate) async fn transact_get(&self, request: TransactGet) -> Result<Vec<Option<Item>>> {
        let table = request.gets.first().map(|g| g.0.clone()).unwrap_or_default();
        match self.send(Request::TransactGet(request)).await? {
            Answer::Items(items) => Ok(items),
            other => Err(unexpected(&table, "TransactGetItems", &other)),
        }
    }
}

fn item_answer(operation: &str, answer: Answer) -> Result<Option<Item>> {
    match answer {
        // An empty map of returned attributes means "nothing".
        Answer::Item(item) => Ok(item.filter(|i| !i.is_empty())),
        other => Err(unexpected("", operation, &other)),
    }
}

/// A backend answered with the wrong kind of answer (a bug in a backend, never the caller's).
fn unexpected(table: &str, operation: &str, answer: &Answer) -> Error {
    let kind = match answer {
        Answer::Item(_) => "an item",
        Answer::BatchWrite(_) => "unprocessed writes",
        Answer::BatchGet(..) => "batch items",
        Answer::Page(_) => "a page",
        Answer::Items(_) => "transaction items",
        Answer::Statement(..) => "statement items",
        Answer::Statements(_) => "statement outcomes",
        Answer::Done => "nothing",
    };
    Error::Transport {
        table: table.to_owned(),
        message: format!("expected the answer of {operation}, found {kind}"),
    }
}

/// Refuses expressions and values that would overflow the engine's stack (see
/// [`MAX_EXPRESSION_DEPTH`](super::MAX_EXPRESSION_DEPTH)), on every engine alike.
fn guard(request: Request) -> Result<Request> {
    Ok(match request {
        Request::Put(mut r) => {
            r.item = guard_item(&r.table, r.item)?;
            check_condition(&r.table, r.condition.as_deref(), &mut r.placeholders)?;
            Request::Put(r)
        }
        Request::Get(mut r) => {
            r.key = guard_item(&r.table, r.key)?;
            if let Some(p) = &r.projection {
                check_expression(&r.table, "ProjectionExpression", p)?;
            }
            Request::Get(r)
        }
        Request::Delete(mut r) => {
            r.key = guard_item(&r.table, r.key)?;
            check_condition(&r.table, r.condition.as_deref(), &mut r.placeholders)?;
            Request::Delete(r)
        }
        Request::Update(mut r) => {
            r.key = guard_item(&r.table, r.key)?;
            check_expression(&r.table, "UpdateExpression", &r.update)?;
            check_condition(&r.table, r.condition.as_deref(), &mut r.placeholders)?;
            Request::Update(r)
        }
        Request::BatchWrite(mut r) => {
            r.writes = r
                .writes
                .into_iter()
                .map(|w| {
                    Ok(match w {
                        WriteOp::Put(item) => WriteOp::Put(guard_item(&r.table, item)?),
                        WriteOp::Delete(key) => WriteOp::Delete(guard_item(&r.table, key)?),
                    })
                })
                .collect::<Result<_>>()?;
            Request::BatchWrite(r)
        }
        Request::BatchGet(mut r) => {
            r.keys = r
                .keys
                .into_iter()
                .map(|k| guard_item(&r.table, k))
                .collect::<Result<_>>()?;
            Request::BatchGet(r)
        }
        Request::Read(r) => Request::Read(guard_read(r)?),
        Request::TransactWrite(r) => Request::TransactWrite(guard_transaction(r)?),
        Request::TransactGet(mut r) => {
            r.gets = r
                .gets
                .into_iter()
                .map(|(t, k)| Ok((t.clone(), guard_item(&t, k)?)))
                .collect::<Result<_>>()?;
            Request::TransactGet(r)
        }
        Request::Statement(r) => Request::Statement(guard_statement(r)?),
        Request::StatementBatch(mut r) => {
            r.statements = r
                .statements
                .into_iter()
                .map(guard_statement)
                .collect::<Result<_>>()?;
            Request::StatementBatch(r)
        }
    })
}

fn guard_statement(mut r: Statement) -> Result<Statement> {
    check_expression(&r.table, "Statement", &r.statement)?;
    r.parameters = guard_values(&r.table, std::mem::take(&mut r.parameters))?;
    Ok(r)
}

fn check_condition(table: &str, condition: Option<&str>, placeholders: &mut Placeholders) -> Result<()> {
    if let Some(c) = condition {
        check_expression(table, "ConditionExpression", c)?;
    }
    placeholders.values = guard_item(table, std::mem::take(&mut placeholders.values))?;
    Ok(())
}

fn guard_read(mut r: ReadPageRequest) -> Result<ReadPageRequest> {
    let table = r.read.table.clone();
    if let Some(k) = &r.read.key_condition {
        check_expression(&table, "KeyConditionExpression", k)?;
    }
    if let Some(f) = &r.read.filter {
        check_expression(&table, "FilterExpression", f)?;
    }
    if let Some(p) = &r.read.projection {
        check_expression(&table, "ProjectionExpression", p)?;
    }
    if !r.read.values.is_empty() {
        r.read.values = guard_item(&table, std::mem::take(&mut r.read.values))?;
    }
    r.start = r.start.map(|s| guard_item(&table, s)).transpose()?;
    Ok(r)
}

fn guard_transaction(mut r: TransactWrite) -> Result<TransactWrite> {
    for w in &mut r.items {
        w.item = guard_item(&w.table, std::mem::take(&mut w.item))?;
        if let Some(update) = &w.update {
            check_expression(&w.table, "UpdateExpression", update)?;
        }
        check_condition(&w.table, w.condition.as_deref(), &mut w.placeholders)?;
    }
    Ok(r)
}

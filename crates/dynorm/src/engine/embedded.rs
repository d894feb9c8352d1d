//! The embedded backend: requests answered by `dynoxide::Database` called directly (no
//! serialisation, no HTTP), with attribute values converted once each way.

use std::collections::HashMap;

use dynoxide::Database;
use dynoxide::actions::{
    batch_execute_statement as bes, batch_get_item as bg, batch_write_item as bw, delete_item,
    execute_statement, execute_transaction as et, get_item, put_item, query, scan, transact_get_items as tg,
    transact_write_items as tw, update_item,
};

use super::backend::Backend;
use super::convert::{item_from_dynoxide, item_to_dynoxide, values_to_dynoxide};
use super::error_map::from_dynoxide;
use super::request::{
    Answer, BatchGet, BatchWrite, DeleteItem, GetItem, PageItems, Placeholders, PutItem, ReadPage,
    ReadPageRequest, Request, Response, Statement, StatementBatch, StatementOutcome, TransactGet,
    TransactWrite, TxKind, TxWrite, UpdateItem, WriteOp,
};
use crate::future::BoxFuture;
use crate::{Error, Result};

type DynItem = HashMap<String, dynoxide::AttributeValue>;

/// The in-process dynoxide database.
#[derive(Clone)]
pub(crate) struct EmbeddedBackend {
    db: Database,
}

impl std::fmt::Debug for EmbeddedBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmbeddedBackend")
    }
}

impl EmbeddedBackend {
    pub(crate) fn new(db: Database) -> Self {
        Self { db }
    }

    /// Answers at once: the database call is synchronous.
    fn answer(&self, request: Request, capacity: bool) -> Result<Response> {
        let capacity = capacity.then(|| "TOTAL".to_owned());
        match request {
            Request::Put(r) => self.put(r, capacity),
            Request::Get(r) => self.get(r, capacity),
            Request::Delete(r) => self.delete(r, capacity),
            Request::Update(r) => self.update(r, capacity),
            Request::BatchWrite(r) => self.batch_write(r, capacity),
            Request::BatchGet(r) => self.batch_get(r, capacity),
            Request::Read(r) => self.read(r, capacity),
            Request::TransactWrite(r) => self.transact_write(r),
            Request::TransactGet(r) => self.transact_get(r),
            Request::Statement(r) => self.statement(r, capacity),
            Request::StatementBatch(r) if r.transaction => self.execute_transaction(r, capacity),
            Request::StatementBatch(r) => self.batch_statements(r, capacity),
        }
    }

    fn statement(&self, r: Statement, capacity: Option<String>) -> Result<Response> {
        let table = r.table;
        let parameters = statement_parameters(&table, r.parameters)?;
        let out = self
            .db
            .execute_statement(execute_statement::ExecuteStatementRequest {
                statement: r.statement,
                parameters,
                limit: r.limit.map(|l| l as usize),
                next_token: r.next_token,
                consistent_read: Some(r.consistent_read),
                return_consumed_capacity: capacity,
                ..Default::default()
            })
            .map_err(|e| from_dynoxide(&table, e))?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(item_from_dynoxide)
            .collect();
        Ok(Response {
            answer: Answer::Statement(items, out.next_token),
            capacity: out.consumed_capacity.map(|c| c.capacity_units),
        })
    }

    fn batch_statements(&self, r: StatementBatch, capacity: Option<String>) -> Result<Response> {
        let table = r.table().to_owned();
        let statements = r
            .statements
            .into_iter()
            .map(|s| {
                // Non-exhaustive in dynoxide: built from `Default` and assigned, as it asks.
                let mut member = bes::BatchStatementRequest::default();
                member.parameters = statement_parameters(&s.table, s.parameters)?;
                member.statement = s.statement;
                member.consistent_read = Some(s.consistent_read);
                Ok(member)
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .db
            .batch_execute_statement(bes::BatchExecuteStatementRequest {
                statements,
                return_consumed_capacity: capacity,
            })
            .map_err(|e| from_dynoxide(&table, e))?;
        let outcomes = out
            .responses
            .into_iter()
            .map(|r| match r.error {
                Some(e) => StatementOutcome::Failed {
                    code: e.code,
                    message: e.message,
                    item: e.item.map(item_from_dynoxide),
                },
                None => StatementOutcome::Item(r.item.map(item_from_dynoxide)),
            })
            .collect();
        Ok(Response {
            answer: Answer::Statements(outcomes),
            capacity: total(out.consumed_capacity.as_deref()),
        })
    }

    fn execute_transaction(&self, r: StatementBatch, capacity: Option<String>) -> Result<Response> {
        let table = r.table().to_owned();
        let transact_statements = r
            .statements
            .into_iter()
            .map(|s| {
                Ok(et::ParameterizedStatement {
                    parameters: statement_parameters(&s.table, s.parameters)?,
                    statement: s.statement,
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .db
            .execute_transaction(et::ExecuteTransactionRequest {
                transact_statements,
                return_consumed_capacity: capacity,
                ..Default::default()
            })
            .map_err(|e| from_dynoxide(&table, e))?;
        let outcomes = out
            .responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| StatementOutcome::Item(r.item.map(item_from_dynoxide)))
            .collect();
        Ok(Response {
            answer: Answer::Statements(outcomes),
            capacity: total(out.consumed_capacity.as_deref()),
        })
    }

    fn put(&self, r: PutItem, capacity: Option<String>) -> Result<Response> {
        let table = r.table;
        let (names, values) = split(&table, r.placeholders)?;
        let req = put_item::PutItemRequest {
            item: item_to_dynoxide(&table, r.item)?,
            condition_expression: r.condition,
            expression_attribute_names: names,
            expression_attribute_values: values,
            return_values: r.return_old.then(|| "ALL_OLD".to_owned()),
            return_values_on_condition_check_failure: on_failure(r.return_old_on_failure),
            return_consumed_capacity: capacity,
            table_name: table.clone(),
            ..Default::default()
        };
        let out = self.db.put_item(req).map_err(|e| from_dynoxide(&table, e))?;
        Ok(item_response(
            out.attributes,
            out.consumed_capacity.map(|c| c.capacity_units),
        ))
    }

    fn get(&self, r: GetItem, capacity: Option<String>) -> Result<Response> {
        let table = r.table;
        let req = get_item::GetItemRequest {
            key: item_to_dynoxide(&table, r.key)?,
            consistent_read: Some(r.consistent_read),
            projection_expression: r.projection,
            expression_attribute_names: (!r.placeholders.names.is_empty()).then_some(r.placeholders.names),
            return_consumed_capacity: capacity,
            table_name: table.clone(),
            ..Default::default()
        };
        let out = self.db.get_item(req).map_err(|e| from_dynoxide(&table, e))?;
        Ok(item_response(
            out.item,
            out.consumed_capacity.map(|c| c.capacity_units),
        ))
    }

    fn delete(&self, r: DeleteItem, capacity: Option<String>) -> Result<Response> {
        let table = r.table;
        let (names, values) = split(&table, r.placeholders)?;
        let req = delete_item::DeleteItemRequest {
            key: item_to_dynoxide(&table, r.key)?,
            condition_expression: r.condition,
            expression_attribute_names: names,
            expression_attribute_values: values,
            return_values: r.return_old.then(|| "ALL_OLD".to_owned()),
            return_values_on_condition_check_failure: on_failure(r.return_old_on_failure),
            return_consumed_capacity: capacity,
            table_name: table.clone(),
            ..Default::default()
        };
        let out = self.db.delete_item(req).map_err(|e| from_dynoxide(&table, e))?;
        Ok(item_response(
            out.attributes,
            out.consumed_capacity.map(|c| c.capacity_units),
        ))
    }

    fn update(&self, r: UpdateItem, capacity: Option<String>) -> Result<Response> {
        let table = r.table;
        let (names, values) = split(&table, r.placeholders)?;
        let req = update_item::UpdateItemRequest {
            key: item_to_dynoxide(&table, r.key)?,
            update_expression: Some(r.update),
            condition_expression: r.condition,
            expression_attribute_names: names,
            expression_attribute_values: values,
            return_values: r.return_values.as_str().map(str::to_owned),
            return_values_on_condition_check_failure: on_failure(r.return_old_on_failure),
            return_consumed_capacity: capacity,
            table_name: table.clone(),
            ..Default::default()
        };
        let out = self.db.update_item(req).map_err(|e| from_dynoxide(&table, e))?;
        Ok(item_response(
            out.attributes,
            out.consumed_capacity.map(|c| c.capacity_units),
        ))
    }

    fn batch_write(&self, r: BatchWrite, capacity: Option<String>) -> Result<Response> {
        let table = r.table;
        let requests = r
            .writes
            .into_iter()
            .map(|op| {
                Ok(match op {
                    WriteOp::Put(item) => bw::WriteRequest {
                        put_request: Some(bw::PutRequest {
                            item: item_to_dynoxide(&table, item)?,
                        }),
                        delete_request: None,
                    },
                    WriteOp::Delete(key) => bw::WriteRequest {
                        put_request: None,
                        delete_request: Some(bw::DeleteRequest {
                            key: item_to_dynoxide(&table, key)?,
                        }),
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .db
            .batch_write_item(bw::BatchWriteItemRequest {
                request_items: HashMap::from([(table.clone(), requests)]),
                return_consumed_capacity: capacity,
                ..Default::default()
            })
            .map_err(|e| from_dynoxide(&table, e))?;
        let mut left = Vec::new();
        for (_, value) in out.unprocessed_items {
            let requests: Vec<bw::WriteRequest> =
                serde_json::from_value(value).map_err(|e| unreadable(&table, "UnprocessedItems", e))?;
            for r in requests {
                if let Some(put) = r.put_request {
                    left.push(WriteOp::Put(item_from_dynoxide(put.item)));
                } else if let Some(delete) = r.delete_request {
                    left.push(WriteOp::Delete(item_from_dynoxide(delete.key)));
                }
            }
        }
        Ok(Response {
            answer: Answer::BatchWrite(left),
            capacity: total(out.consumed_capacity.as_deref()),
        })
    }

    fn batch_get(&self, r: BatchGet, capacity: Option<String>) -> Result<Response> {
        let table = r.table;
        let keys = r
            .keys
            .into_iter()
            .map(|k| item_to_dynoxide(&table, k))
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .db
            .batch_get_item(bg::BatchGetItemRequest {
                request_items: HashMap::from([(
                    table.clone(),
                    bg::KeysAndAttributes {
                        keys,
                        consistent_read: Some(r.consistent_read),
                        ..Default::default()
                    },
                )]),
                return_consumed_capacity: capacity,
            })
            .map_err(|e| from_dynoxide(&table, e))?;
        let items = out
            .responses
            .into_values()
            .flatten()
            .map(item_from_dynoxide)
            .collect();
        let mut left = Vec::new();
        for (_, value) in out.unprocessed_keys {
            let keys: bg::KeysAndAttributes =
                serde_json::from_value(value).map_err(|e| unreadable(&table, "UnprocessedKeys", e))?;
            left.extend(keys.keys.into_iter().map(item_from_dynoxide));
        }
        Ok(Response {
            answer: Answer::BatchGet(items, left),
            capacity: total(out.consumed_capacity.as_deref()),
        })
    }

    fn read(&self, r: ReadPageRequest, capacity: Option<String>) -> Result<Response> {
        let ReadPageRequest { read, start, segment } = r;
        let table = read.table.as_str();
        let values = if read.values.is_empty() {
            None
        } else {
            Some(item_to_dynoxide(table, read.values.clone())?)
        };
        let start = start.map(|s| item_to_dynoxide(table, s)).transpose()?;
        let names = (!read.names.is_empty()).then(|| read.names.clone());
        let select = read.count_only.then(|| "COUNT".to_owned());
        let limit = read.limit.map(|l| l as usize);
        let (items, count, last_key, units) = if read.key_condition.is_some() {
            let req = query::QueryRequest {
                table_name: read.table.clone(),
                index_name: read.index.clone(),
                key_condition_expression: read.key_condition.clone(),
                filter_expression: read.filter.clone(),
                projection_expression: read.projection.clone(),
                expression_attribute_names: names,
                expression_attribute_values: values,
                // Not the `Default` (false): DynamoDB reads forward unless told otherwise.
                scan_index_forward: !read.descending,
                limit,
                exclusive_start_key: start,
                select,
                consistent_read: Some(read.consistent_read),
                return_consumed_capacity: capacity,
                ..Default::default()
            };
            let r = self.db.query(req).map_err(|e| from_dynoxide(table, e))?;
            (r.items, r.count, r.last_evaluated_key, r.consumed_capacity)
        } else {
            let req = scan::ScanRequest {
                table_name: read.table.clone(),
                index_name: read.index.clone(),
                filter_expression: read.filter.clone(),
                projection_expression: read.projection.clone(),
                expression_attribute_names: names,
                expression_attribute_values: values,
                limit,
                exclusive_start_key: start,
                select,
                consistent_read: Some(read.consistent_read),
                segment: segment.map(|s| s.0),
                total_segments: segment.map(|s| s.1),
                return_consumed_capacity: capacity,
                ..Default::default()
            };
            let r = self.db.scan(req).map_err(|e| from_dynoxide(table, e))?;
            (r.items, r.count, r.last_evaluated_key, r.consumed_capacity)
        };
        Ok(Response {
            answer: Answer::Page(ReadPage {
                items: PageItems::Embedded(items.unwrap_or_default()),
                count,
                last_key: last_key.map(item_from_dynoxide),
            }),
            capacity: units.map(|c| c.capacity_units),
        })
    }

    fn transact_write(&self, r: TransactWrite) -> Result<Response> {
        let table = r.items.first().map(|w| w.table.clone()).unwrap_or_default();
        let transact_items = r
            .items
            .into_iter()
            .map(transact_item)
            .collect::<Result<Vec<_>>>()?;
        self.db
            .transact_write_items(tw::TransactWriteItemsRequest {
                transact_items,
                client_request_token: r.token,
                ..Default::default()
            })
            .map_err(|e| from_dynoxide(&table, e))?;
        Ok(Response::default())
    }

    fn transact_get(&self, r: TransactGet) -> Result<Response> {
        let table = r.gets.first().map(|g| g.0.clone()).unwrap_or_default();
        let transact_items = r
            .gets
            .into_iter()
            .map(|(t, k)| {
                Ok(tg::TransactGetItem {
                    get: tg::TransactGet {
                        key: item_to_dynoxide(&t, k)?,
                        table_name: t,
                        ..Default::default()
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .db
            .transact_get_items(tg::TransactGetItemsRequest {
                transact_items,
                ..Default::default()
            })
            .map_err(|e| from_dynoxide(&table, e))?;
        Ok(Response {
            answer: Answer::Items(
                out.responses
                    .into_iter()
                    .map(|r| r.item.map(item_from_dynoxide))
                    .collect(),
            ),
            capacity: None,
        })
    }
}

impl Backend for EmbeddedBackend {
    fn send(&self, request: Request, capacity: bool) -> BoxFuture<'_, Result<Response>> {
        let answer = self.answer(request, capacity);
        Box::pin(std::future::ready(answer))
    }

    fn may_throttle(&self) -> bool {
        false
    }
}

/// A statement's `?` parameters as dynoxide values (`None` for none, as DynamoDB wants).
fn statement_parameters(
    table: &str,
    parameters: Vec<crate::AttributeValue>,
) -> Result<Option<Vec<dynoxide::AttributeValue>>> {
    if parameters.is_empty() {
        return Ok(None);
    }
    values_to_dynoxide(table, parameters).map(Some)
}

fn transact_item(w: TxWrite) -> Result<tw::TransactWriteItem> {
    let (names, values) = split(&w.table, w.placeholders)?;
    let key = item_to_dynoxide(&w.table, w.item)?;
    let ret = on_failure(w.return_old_on_failure);
    let mut r = tw::TransactWriteItem::default();
    match w.kind {
        TxKind::Put => {
            r.put = Some(tw::TransactPut {
                table_name: w.table,
                item: key,
                condition_expression: w.condition,
                expression_attribute_names: names,
                expression_attribute_values: values,
                return_values_on_condition_check_failure: ret,
            });
        }
        TxKind::Update => {
            r.update = Some(tw::TransactUpdate {
                table_name: w.table,
                key,
                update_expression: w.update.unwrap_or_default(),
                condition_expression: w.condition,
                expression_attribute_names: names,
                expression_attribute_values: values,
                return_values_on_condition_check_failure: ret,
            });
        }
        TxKind::Delete => {
            r.delete = Some(tw::TransactDelete {
                table_name: w.table,
                key,
                condition_expression: w.condition,
                expression_attribute_names: names,
                expression_attribute_values: values,
                return_values_on_condition_check_failure: ret,
            });
        }
        TxKind::ConditionCheck => {
            r.condition_check = Some(tw::TransactConditionCheck {
                table_name: w.table,
                key,
                condition_expression: w.condition.unwrap_or_default(),
                expression_attribute_names: names,
                expression_attribute_values: values,
                return_values_on_condition_check_failure: ret,
            });
        }
    }
    Ok(r)
}

/// Name placeholders as dynoxide takes them.
type DynNames = Option<HashMap<String, String>>;

/// The placeholders as dynoxide takes them: `None` for an empty map (DynamoDB refuses those).
fn split(table: &str, placeholders: Placeholders) -> Result<(DynNames, Option<DynItem>)> {
    let Placeholders { names, values } = placeholders;
    let values = if values.is_empty() {
        None
    } else {
        Some(item_to_dynoxide(table, values)?)
    };
    Ok(((!names.is_empty()).then_some(names), values))
}

fn on_failure(yes: bool) -> Option<String> {
    yes.then(|| "ALL_OLD".to_owned())
}

fn item_response(item: Option<DynItem>, capacity: Option<f64>) -> Response {
    Response {
        answer: Answer::Item(item.map(item_from_dynoxide)),
        capacity,
    }
}

fn total(capacity: Option<&[dynoxide::types::ConsumedCapacity]>) -> Option<f64> {
    capacity.map(|c| c.iter().map(|c| c.capacity_units).sum())
}

/// A malformed answer from the engine (an unprocessed entry dynorm cannot read back).
fn unreadable(table: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Transport {
        table: table.to_owned(),
        message: format!("could not read the {what} of the answer: {e}"),
    }
}

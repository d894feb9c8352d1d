//! The remote backend: requests sent to DynamoDB (or any compatible endpoint) through an
//! `aws_sdk_dynamodb::Client`'s fluent builders.

use aws_sdk_dynamodb::Client as Sdk;
use aws_sdk_dynamodb::types::{
    ConsumedCapacity, ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure, Select,
};

use super::backend::Backend;
use super::error_map::{build_error, from_sdk};
use super::request::{
    Answer, BatchGet, BatchWrite, DeleteItem, GetItem, PageItems, PutItem, ReadPage, ReadPageRequest,
    Request, Response, ReturnValues, Statement, StatementBatch, StatementOutcome, TransactGet, TransactWrite,
    TxKind, TxWrite, UpdateItem, WriteOp,
};
use crate::Result;
use crate::future::BoxFuture;

/// DynamoDB through the SDK.
#[derive(Clone, Debug)]
pub(crate) struct RemoteBackend {
    sdk: Sdk,
}

impl RemoteBackend {
    pub(crate) fn new(sdk: Sdk) -> Self {
        Self { sdk }
    }

    async fn answer(&self, request: Request, capacity: bool) -> Result<Response> {
        let capacity = capacity.then_some(ReturnConsumedCapacity::Total);
        match request {
            Request::Put(r) => self.put(r, capacity).await,
            Request::Get(r) => self.get(r, capacity).await,
            Request::Delete(r) => self.delete(r, capacity).await,
            Request::Update(r) => self.update(r, capacity).await,
            Request::BatchWrite(r) => self.batch_write(r, capacity).await,
            Request::BatchGet(r) => self.batch_get(r, capacity).await,
            Request::Read(r) => self.read(r, capacity).await,
            Request::TransactWrite(r) => self.transact_write(r).await,
            Request::TransactGet(r) => self.transact_get(r).await,
            Request::Statement(r) => self.statement(r, capacity).await,
            Request::StatementBatch(r) if r.transaction => self.execute_transaction(r, capacity).await,
            Request::StatementBatch(r) => self.batch_statements(r, capacity).await,
        }
    }

    async fn put(&self, r: PutItem, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        let out = self
            .sdk
            .put_item()
            .table_name(&r.table)
            .set_item(Some(r.item))
            .set_condition_expression(r.condition)
            .set_expression_attribute_names(r.placeholders.names())
            .set_expression_attribute_values(r.placeholders.values())
            .set_return_values(r.return_old.then_some(ReturnValue::AllOld))
            .set_return_values_on_condition_check_failure(on_failure(r.return_old_on_failure))
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&r.table, e))?;
        Ok(item_response(out.attributes, out.consumed_capacity.as_ref()))
    }

    async fn get(&self, r: GetItem, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        let out = self
            .sdk
            .get_item()
            .table_name(&r.table)
            .set_key(Some(r.key))
            .consistent_read(r.consistent_read)
            .set_projection_expression(r.projection)
            .set_expression_attribute_names(r.placeholders.names())
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&r.table, e))?;
        Ok(item_response(out.item, out.consumed_capacity.as_ref()))
    }

    async fn delete(&self, r: DeleteItem, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        let out = self
            .sdk
            .delete_item()
            .table_name(&r.table)
            .set_key(Some(r.key))
            .set_condition_expression(r.condition)
            .set_expression_attribute_names(r.placeholders.names())
            .set_expression_attribute_values(r.placeholders.values())
            .set_return_values(r.return_old.then_some(ReturnValue::AllOld))
            .set_return_values_on_condition_check_failure(on_failure(r.return_old_on_failure))
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&r.table, e))?;
        Ok(item_response(out.attributes, out.consumed_capacity.as_ref()))
    }

    async fn update(&self, r: UpdateItem, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        let out = self
            .sdk
            .update_item()
            .table_name(&r.table)
            .set_key(Some(r.key))
            .update_expression(r.update)
            .set_condition_expression(r.condition)
            .set_expression_attribute_names(r.placeholders.names())
            .set_expression_attribute_values(r.placeholders.values())
            .set_return_values(return_value(r.return_values))
            .set_return_values_on_condition_check_failure(on_failure(r.return_old_on_failure))
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&r.table, e))?;
        Ok(item_response(out.attributes, out.consumed_capacity.as_ref()))
    }

    async fn batch_write(&self, r: BatchWrite, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
        let table = r.table;
        let requests = r
            .writes
            .into_iter()
            .map(|op| {
                Ok(match op {
                    WriteOp::Put(item) => WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(item))
                                .build()
                                .map_err(|e| build_error(&table, e))?,
                        )
                        .build(),
                    WriteOp::Delete(key) => WriteRequest::builder()
                        .delete_request(
                            DeleteRequest::builder()
                                .set_key(Some(key))
                                .build()
                                .map_err(|e| build_error(&table, e))?,
                        )
                        .build(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .sdk
            .batch_write_item()
            .request_items(&table, requests)
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&table, e))?;
        let mut left = Vec::new();
        for (_, requests) in out.unprocessed_items.unwrap_or_default() {
            for r in requests {
                if let Some(put) = r.put_request {
                    left.push(WriteOp::Put(put.item));
                } else if let Some(delete) = r.delete_request {
                    left.push(WriteOp::Delete(delete.key));
                }
            }
        }
        Ok(Response {
            answer: Answer::BatchWrite(left),
            capacity: total(out.consumed_capacity.as_deref()),
        })
    }

    async fn batch_get(&self, r: BatchGet, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let table = r.table;
        let request = KeysAndAttributes::builder()
            .set_keys(Some(r.keys))
            .consistent_read(r.consistent_read)
            .build()
            .map_err(|e| build_error(&table, e))?;
        let out = self
            .sdk
            .batch_get_item()
            .request_items(&table, request)
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&table, e))?;
        let items = out
            .responses
            .unwrap_or_default()
            .into_values()
            .flatten()
            .collect();
        let left = out
            .unprocessed_keys
            .unwrap_or_default()
            .into_values()
            .flat_map(|k| k.keys)
            .collect();
        Ok(Response {
            answer: Answer::BatchGet(items, left),
            capacity: total(out.consumed_capacity.as_deref()),
        })
    }

    async fn read(&self, r: ReadPageRequest, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        let ReadPageRequest { read, start, segment } = r;
        let table = read.table.as_str();
        let limit = read.limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX));
        let select = read.count_only.then_some(Select::Count);
        let names = (!read.names.is_empty()).then(|| read.names.clone());
        let values = (!read.values.is_empty()).then(|| read.values.clone());
        let (items, count, last_key, units) = if read.key_condition.is_some() {
            let out = self
                .sdk
                .query()
                .table_name(table)
                .set_index_name(read.index.clone())
                .set_key_condition_expression(read.key_condition.clone())
                .set_filter_expression(read.filter.clone())
                .set_projection_expression(read.projection.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .scan_index_forward(!read.descending)
                .set_limit(limit)
                .set_exclusive_start_key(start)
                .set_select(select)
                .consistent_read(read.consistent_read)
                .set_return_consumed_capacity(capacity)
                .send()
                .await
                .map_err(|e| from_sdk(table, e))?;
            let units = units(out.consumed_capacity.as_ref());
            (out.items, out.count, out.last_evaluated_key, units)
        } else {
            let out = self
                .sdk
                .scan()
                .table_name(table)
                .set_index_name(read.index.clone())
                .set_filter_expression(read.filter.clone())
                .set_projection_expression(read.projection.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_limit(limit)
                .set_exclusive_start_key(start)
                .set_select(select)
                .consistent_read(read.consistent_read)
                .set_segment(segment.map(|s| i32::try_from(s.0).unwrap_or(i32::MAX)))
                .set_total_segments(segment.map(|s| i32::try_from(s.1).unwrap_or(i32::MAX)))
                .set_return_consumed_capacity(capacity)
                .send()
                .await
                .map_err(|e| from_sdk(table, e))?;
            let units = units(out.consumed_capacity.as_ref());
            (out.items, out.count, out.last_evaluated_key, units)
        };
        Ok(Response {
            answer: Answer::Page(ReadPage {
                items: PageItems::Sdk(items.unwrap_or_default()),
                count: usize::try_from(count).unwrap_or(0),
                last_key: last_key.filter(|k| !k.is_empty()),
            }),
            capacity: units,
        })
    }

    async fn statement(&self, r: Statement, capacity: Option<ReturnConsumedCapacity>) -> Result<Response> {
        let out = self
            .sdk
            .execute_statement()
            .statement(r.statement)
            .set_parameters(sdk_parameters(r.parameters))
            .set_limit(r.limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX)))
            .set_next_token(r.next_token)
            .consistent_read(r.consistent_read)
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&r.table, e))?;
        Ok(Response {
            capacity: units(out.consumed_capacity.as_ref()),
            answer: Answer::Statement(out.items.unwrap_or_default(), out.next_token),
        })
    }

    async fn batch_statements(
        &self,
        r: StatementBatch,
        capacity: Option<ReturnConsumedCapacity>,
    ) -> Result<Response> {
        use aws_sdk_dynamodb::types::BatchStatementRequest;
        let table = r.table().to_owned();
        let statements = r
            .statements
            .into_iter()
            .map(|s| {
                BatchStatementRequest::builder()
                    .statement(s.statement)
                    .set_parameters(sdk_parameters(s.parameters))
                    .consistent_read(s.consistent_read)
                    .build()
                    .map_err(|e| build_error(&s.table, e))
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .sdk
            .batch_execute_statement()
            .set_statements(Some(statements))
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&table, e))?;
        let outcomes = out
            .responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| match r.error {
                Some(e) => StatementOutcome::Failed {
                    code: e
                        .code
                        .map_or_else(|| "InternalServerError".to_owned(), |c| c.as_str().to_owned()),
                    message: e.message.unwrap_or_default(),
                    item: e.item,
                },
                None => StatementOutcome::Item(r.item),
            })
            .collect();
        Ok(Response {
            capacity: total(out.consumed_capacity.as_deref()),
            answer: Answer::Statements(outcomes),
        })
    }

    async fn execute_transaction(
        &self,
        r: StatementBatch,
        capacity: Option<ReturnConsumedCapacity>,
    ) -> Result<Response> {
        use aws_sdk_dynamodb::types::ParameterizedStatement;
        let table = r.table().to_owned();
        let statements = r
            .statements
            .into_iter()
            .map(|s| {
                ParameterizedStatement::builder()
                    .statement(s.statement)
                    .set_parameters(sdk_parameters(s.parameters))
                    .build()
                    .map_err(|e| build_error(&s.table, e))
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .sdk
            .execute_transaction()
            .set_transact_statements(Some(statements))
            .set_return_consumed_capacity(capacity)
            .send()
            .await
            .map_err(|e| from_sdk(&table, e))?;
        let outcomes = out
            .responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| StatementOutcome::Item(r.item))
            .collect();
        Ok(Response {
            capacity: total(out.consumed_capacity.as_deref()),
            answer: Answer::Statements(outcomes),
        })
    }

    async fn transact_write(&self, r: TransactWrite) -> Result<Response> {
        let table = r.items.first().map(|w| w.table.clone()).unwrap_or_default();
        let items = r
            .items
            .into_iter()
            .map(transact_item)
            .collect::<Result<Vec<_>>>()?;
        self.sdk
            .transact_write_items()
            .set_transact_items(Some(items))
            .set_client_request_token(r.token)
            .send()
            .await
            .map_err(|e| from_sdk(&table, e))?;
        Ok(Response::default())
    }

    async fn transact_get(&self, r: TransactGet) -> Result<Response> {
        use aws_sdk_dynamodb::types::{Get, TransactGetItem};
        let table = r.gets.first().map(|g| g.0.clone()).unwrap_or_default();
        let items = r
            .gets
            .into_iter()
            .map(|(t, k)| {
                let get = Get::builder()
                    .table_name(t.clone())
                    .set_key(Some(k))
                    .build()
                    .map_err(|e| build_error(&t, e))?;
                Ok(TransactGetItem::builder().get(get).build())
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .sdk
            .transact_get_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| from_sdk(&table, e))?;
        let items = out
            .responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.item)
            .collect();
        Ok(Response {
            answer: Answer::Items(items),
            capacity: None,
        })
    }
}

impl Backend for RemoteBackend {
    fn send(&self, request: Request, capacity: bool) -> BoxFuture<'_, Result<Response>> {
        Box::pin(self.answer(request, capacity))
    }
}

fn transact_item(w: TxWrite) -> Result<aws_sdk_dynamodb::types::TransactWriteItem> {
    use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
    let ret = on_failure(w.return_old_on_failure);
    let (names, values) = (w.placeholders.names(), w.placeholders.values());
    let t = w.table.clone();
    let build = |e| build_error(&t, e);
    let item = match w.kind {
        TxKind::Put => TransactWriteItem::builder().put(
            Put::builder()
                .table_name(w.table)
                .set_item(Some(w.item))
                .set_condition_expression(w.condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(ret)
                .build()
                .map_err(build)?,
        ),
        TxKind::Update => TransactWriteItem::builder().update(
            Update::builder()
                .table_name(w.table)
                .set_key(Some(w.item))
                .set_update_expression(w.update)
                .set_condition_expression(w.condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(ret)
                .build()
                .map_err(build)?,
        ),
        TxKind::Delete => TransactWriteItem::builder().delete(
            Delete::builder()
                .table_name(w.table)
                .set_key(Some(w.item))
                .set_condition_expression(w.condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(ret)
                .build()
                .map_err(build)?,
        ),
        TxKind::ConditionCheck => TransactWriteItem::builder().condition_check(
            ConditionCheck::builder()
                .table_name(w.table)
                .set_key(Some(w.item))
                .set_condition_expression(w.condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values_on_condition_check_failure(ret)
                .build()
                .map_err(build)?,
        ),
    };
    Ok(item.build())
}

fn return_value(r: ReturnValues) -> Option<ReturnValue> {
    match r {
        ReturnValues::None => None,
        ReturnValues::AllOld => Some(ReturnValue::AllOld),
        ReturnValues::AllNew => Some(ReturnValue::AllNew),
        ReturnValues::UpdatedNew => Some(ReturnValue::UpdatedNew),
    }
}

fn on_failure(yes: bool) -> Option<ReturnValuesOnConditionCheckFailure> {
    yes.then_some(ReturnValuesOnConditionCheckFailure::AllOld)
}

fn item_response(item: Option<crate::Item>, capacity: Option<&ConsumedCapacity>) -> Response {
    Response {
        answer: Answer::Item(item),
        capacity: units(capacity),
    }
}

/// A statement's `?` parameters as the SDK takes them (`None` for none, as DynamoDB wants).
fn sdk_parameters(parameters: Vec<crate::AttributeValue>) -> Option<Vec<crate::AttributeValue>> {
    (!parameters.is_empty()).then_some(parameters)
}

fn units(capacity: Option<&ConsumedCapacity>) -> Option<f64> {
    capacity.and_then(ConsumedCapacity::capacity_units)
}

fn total(capacity: Option<&[ConsumedCapacity]>) -> Option<f64> {
    capacity
        .filter(|c| !c.is_empty())
        .map(|c| c.iter().filter_map(ConsumedCapacity::capacity_units).sum())
}

//! The internal engine layer: one function per operation, answering from dynoxide directly on the
//! embedded engine and through the SDK's fluent builders on a remote one.
//!
//! Each call runs in a `tracing` span named `dynamodb` with the fields `operation`, `table` and
//! (when the engine returns it) `consumed_capacity`. Expressions and value nesting are checked
//! here, before any engine sees the request, so every engine refuses them with the same error.

use std::collections::HashMap;

use tracing::Instrument;

use super::error_map;
use super::{Engine, check_expression, guard_item};
use crate::{Client, Item, Result};

/// A condition on a write: the expression and its placeholders.
#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    pub(crate) expression: String,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: Item,
}

/// A PutItem request.
#[derive(Debug, Clone)]
pub(crate) struct PutItem {
    pub(crate) table: String,
    pub(crate) item: Item,
    pub(crate) condition: Option<Condition>,
    pub(crate) return_item_on_condition_failure: bool,
}

/// A GetItem request.
#[derive(Debug, Clone)]
pub(crate) struct GetItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) consistent_read: bool,
}

/// A DeleteItem request.
#[derive(Debug, Clone)]
pub(crate) struct DeleteItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) condition: Option<Condition>,
    pub(crate) return_item_on_condition_failure: bool,
}

fn span(operation: &'static str, table: &str) -> tracing::Span {
    tracing::debug_span!(
        "dynamodb",
        operation,
        table,
        consumed_capacity = tracing::field::Empty
    )
}

fn guard_condition(table: &str, condition: Option<Condition>) -> Result<Option<Condition>> {
    match condition {
        Some(mut c) => {
            c.values = guard_item(table, c.values)?;
            check_expression(table, "ConditionExpression", &c.expression)?;
            Ok(Some(c))
        }
        None => Ok(None),
    }
}

fn non_empty<K, V>(map: HashMap<K, V>) -> Option<HashMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

#[cfg(feature = "embedded")]
fn record_dynoxide_capacity(span: &tracing::Span, capacity: Option<&dynoxide::types::ConsumedCapacity>) {
    if let Some(c) = capacity {
        span.record("consumed_capacity", c.capacity_units);
    }
}

fn record_sdk_capacity(span: &tracing::Span, capacity: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>) {
    if let Some(units) = capacity.and_then(|c| c.capacity_units()) {
        span.record("consumed_capacity", units);
    }
}

impl Client {
    /// Writes an item.
    pub(crate) async fn engine_put_item(&self, request: PutItem) -> Result<()> {
        let table = request.table.clone();
        let span = span("PutItem", &table);
        let mut request = request;
        request.item = guard_item(&table, request.item)?;
        request.condition = guard_condition(&table, request.condition)?;
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let (condition_expression, names, values) = match request.condition {
                    Some(c) => (Some(c.expression), non_empty(c.names), non_empty(c.values)),
                    None => (None, None, None),
                };
                let values = values
                    .map(|v| super::convert::item_to_dynoxide(&table, v))
                    .transpose()?;
                let req = dynoxide::actions::put_item::PutItemRequest {
                    table_name: request.table,
                    item: super::convert::item_to_dynoxide(&table, request.item)?,
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: values,
                    return_values_on_condition_check_failure: request
                        .return_item_on_condition_failure
                        .then(|| "ALL_OLD".to_owned()),
                    ..Default::default()
                };
                let response = db
                    .put_item(req)
                    .map_err(|e| error_map::from_dynoxide(&table, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                Ok(())
            }
            Engine::Remote => {
                let (condition_expression, names, values) = match request.condition {
                    Some(c) => (Some(c.expression), non_empty(c.names), non_empty(c.values)),
                    None => (None, None, None),
                };
                let mut call = self
                    .inner
                    .sdk
                    .put_item()
                    .table_name(request.table)
                    .set_item(Some(request.item))
                    .set_condition_expression(condition_expression)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values);
                if request.return_item_on_condition_failure {
                    call = call.return_values_on_condition_check_failure(
                        aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
                    );
                }
                let output = call
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                Ok(())
            }
        }
    }

    /// Reads an item by key.
    pub(crate) async fn engine_get_item(&self, request: GetItem) -> Result<Option<Item>> {
        let table = request.table.clone();
        let span = span("GetItem", &table);
        let mut request = request;
        request.key = guard_item(&table, request.key)?;
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let req = dynoxide::actions::get_item::GetItemRequest {
                    table_name: request.table,
                    key: super::convert::item_to_dynoxide(&table, request.key)?,
                    consistent_read: Some(request.consistent_read),
                    ..Default::default()
                };
                let response = db
                    .get_item(req)
                    .map_err(|e| error_map::from_dynoxide(&table, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                Ok(response.item.map(super::convert::item_from_dynoxide))
            }
            Engine::Remote => {
                let output = self
                    .inner
                    .sdk
                    .get_item()
                    .table_name(request.table)
                    .set_key(Some(request.key))
                    .consistent_read(request.consistent_read)
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                Ok(output.item)
            }
        }
    }

    /// Deletes an item by key.
    pub(crate) async fn engine_delete_item(&self, request: DeleteItem) -> Result<()> {
        let table = request.table.clone();
        let span = span("DeleteItem", &table);
        let mut request = request;
        request.key = guard_item(&table, request.key)?;
        request.condition = guard_condition(&table, request.condition)?;
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let (condition_expression, names, values) = match request.condition {
                    Some(c) => (Some(c.expression), non_empty(c.names), non_empty(c.values)),
                    None => (None, None, None),
                };
                let values = values
                    .map(|v| super::convert::item_to_dynoxide(&table, v))
                    .transpose()?;
                let req = dynoxide::actions::delete_item::DeleteItemRequest {
                    table_name: request.table,
                    key: super::convert::item_to_dynoxide(&table, request.key)?,
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: values,
                    return_values_on_condition_check_failure: request
                        .return_item_on_condition_failure
                        .then(|| "ALL_OLD".to_owned()),
                    ..Default::default()
                };
                let response = db
                    .delete_item(req)
                    .map_err(|e| error_map::from_dynoxide(&table, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                Ok(())
            }
            Engine::Remote => {
                let (condition_expression, names, values) = match request.condition {
                    Some(c) => (Some(c.expression), non_empty(c.names), non_empty(c.values)),
                    None => (None, None, None),
                };
                let mut call = self
                    .inner
                    .sdk
                    .delete_item()
                    .table_name(request.table)
                    .set_key(Some(request.key))
                    .set_condition_expression(condition_expression)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values);
                if request.return_item_on_condition_failure {
                    call = call.return_values_on_condition_check_failure(
                        aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
                    );
                }
                let output = call
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                Ok(())
            }
        }
    }
}

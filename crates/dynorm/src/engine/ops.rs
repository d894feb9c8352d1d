//! The internal engine layer: one function per operation, answering from dynoxide directly on the
//! embedded engine and through the SDK's fluent builders on a remote one.
//!
//! Each call runs in a `tracing` span named `dynamodb` with the fields `operation`, `table`,
//! `index` (for operations on an index) and `consumed_capacity`. Consumed capacity is asked for
//! (`ReturnConsumedCapacity: TOTAL`) only when the span is enabled, so the fast path stays fast.
//! Expressions and value nesting are checked here, before any engine sees the request, so every
//! engine refuses them with the same error.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure};
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

/// What a write hands back (`ReturnValues`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ReturnValues {
    /// Nothing.
    #[default]
    None,
    /// The item as it was.
    AllOld,
    /// The item as it is now (UpdateItem).
    AllNew,
    /// The updated attributes as they are now (UpdateItem).
    UpdatedNew,
}

impl ReturnValues {
    fn as_str(self) -> Option<&'static str> {
        match self {
            ReturnValues::None => None,
            ReturnValues::AllOld => Some("ALL_OLD"),
            ReturnValues::AllNew => Some("ALL_NEW"),
            ReturnValues::UpdatedNew => Some("UPDATED_NEW"),
        }
    }

    fn to_sdk(self) -> Option<ReturnValue> {
        match self {
            ReturnValues::None => None,
            ReturnValues::AllOld => Some(ReturnValue::AllOld),
            ReturnValues::AllNew => Some(ReturnValue::AllNew),
            ReturnValues::UpdatedNew => Some(ReturnValue::UpdatedNew),
        }
    }
}

/// A PutItem request.
#[derive(Debug, Clone, Default)]
pub(crate) struct PutItem {
    pub(crate) table: String,
    pub(crate) item: Item,
    pub(crate) condition: Option<Condition>,
    pub(crate) return_item_on_condition_failure: bool,
    /// Hand back the replaced item.
    pub(crate) return_old: bool,
}

/// A GetItem request.
#[derive(Debug, Clone, Default)]
pub(crate) struct GetItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) consistent_read: bool,
    /// A projection expression and its name placeholders.
    pub(crate) projection: Option<(String, HashMap<String, String>)>,
}

/// A DeleteItem request.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeleteItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) condition: Option<Condition>,
    pub(crate) return_item_on_condition_failure: bool,
    /// Hand back the deleted item.
    pub(crate) return_old: bool,
}

/// An UpdateItem request: the update and condition expressions share their placeholders.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpdateItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) update_expression: String,
    pub(crate) condition_expression: Option<String>,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: Item,
    pub(crate) return_values: ReturnValues,
    pub(crate) return_item_on_condition_failure: bool,
}

/// The span of one DynamoDB call.
pub(crate) fn span(operation: &'static str, table: &str, index: Option<&str>) -> tracing::Span {
    tracing::debug_span!(
        "dynamodb",
        operation,
        table,
        index,
        consumed_capacity = tracing::field::Empty
    )
}

/// Whether to ask for consumed capacity: only when someone listens.
fn wants_capacity(span: &tracing::Span) -> bool {
    !span.is_disabled()
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

type ConditionParts = (Option<String>, Option<HashMap<String, String>>, Option<Item>);

fn condition_parts(condition: Option<Condition>) -> ConditionParts {
    match condition {
        Some(c) => (Some(c.expression), non_empty(c.names), non_empty(c.values)),
        None => (None, None, None),
    }
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

#[cfg(feature = "embedded")]
fn dynoxide_capacity(span: &tracing::Span) -> Option<String> {
    wants_capacity(span).then(|| "TOTAL".to_owned())
}

fn sdk_capacity(span: &tracing::Span) -> Option<ReturnConsumedCapacity> {
    wants_capacity(span).then_some(ReturnConsumedCapacity::Total)
}

#[cfg(feature = "embedded")]
fn dynoxide_values(
    table: &str,
    values: Option<Item>,
) -> Result<Option<HashMap<String, dynoxide::AttributeValue>>> {
    values
        .map(|v| super::convert::item_to_dynoxide(table, v))
        .transpose()
}

fn on_failure_dynoxide(yes: bool) -> Option<String> {
    yes.then(|| "ALL_OLD".to_owned())
}

fn on_failure_sdk(yes: bool) -> Option<ReturnValuesOnConditionCheckFailure> {
    yes.then_some(ReturnValuesOnConditionCheckFailure::AllOld)
}

/// An empty map of returned attributes means "nothing".
fn returned(item: Option<Item>) -> Option<Item> {
    item.filter(|i| !i.is_empty())
}

impl Client {
    /// Writes an item; the replaced item when `return_old` asked for it.
    pub(crate) async fn engine_put_item(&self, request: PutItem) -> Result<Option<Item>> {
        let PutItem {
            table,
            item,
            condition,
            return_item_on_condition_failure,
            return_old,
        } = request;
        let span = span("PutItem", &table, None);
        let item = guard_item(&table, item)?;
        let (condition_expression, names, values) = condition_parts(guard_condition(&table, condition)?);
        let return_values = if return_old {
            ReturnValues::AllOld
        } else {
            ReturnValues::None
        };
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let req = dynoxide::actions::put_item::PutItemRequest {
                    item: super::convert::item_to_dynoxide(&table, item)?,
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: dynoxide_values(&table, values)?,
                    return_values: return_values.as_str().map(str::to_owned),
                    return_values_on_condition_check_failure: on_failure_dynoxide(
                        return_item_on_condition_failure,
                    ),
                    return_consumed_capacity: dynoxide_capacity(&span),
                    table_name: table,
                    ..Default::default()
                };
                let table_name = req.table_name.clone();
                let response = db
                    .put_item(req)
                    .map_err(|e| error_map::from_dynoxide(&table_name, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                Ok(returned(
                    response.attributes.map(super::convert::item_from_dynoxide),
                ))
            }
            Engine::Remote => {
                let output = self
                    .inner
                    .sdk
                    .put_item()
                    .table_name(&table)
                    .set_item(Some(item))
                    .set_condition_expression(condition_expression)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values(return_values.to_sdk())
                    .set_return_values_on_condition_check_failure(on_failure_sdk(
                        return_item_on_condition_failure,
                    ))
                    .set_return_consumed_capacity(sdk_capacity(&span))
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                Ok(returned(output.attributes))
            }
        }
    }

    /// Reads an item by key.
    pub(crate) async fn engine_get_item(&self, request: GetItem) -> Result<Option<Item>> {
        let GetItem {
            table,
            key,
            consistent_read,
            projection,
        } = request;
        let span = span("GetItem", &table, None);
        let key = guard_item(&table, key)?;
        let (projection, names) = match projection {
            Some((p, n)) => {
                check_expression(&table, "ProjectionExpression", &p)?;
                (Some(p), non_empty(n))
            }
            None => (None, None),
        };
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let req = dynoxide::actions::get_item::GetItemRequest {
                    key: super::convert::item_to_dynoxide(&table, key)?,
                    consistent_read: Some(consistent_read),
                    projection_expression: projection,
                    expression_attribute_names: names,
                    return_consumed_capacity: dynoxide_capacity(&span),
                    table_name: table,
                    ..Default::default()
                };
                let table_name = req.table_name.clone();
                let response = db
                    .get_item(req)
                    .map_err(|e| error_map::from_dynoxide(&table_name, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                Ok(response.item.map(super::convert::item_from_dynoxide))
            }
            Engine::Remote => {
                let output = self
                    .inner
                    .sdk
                    .get_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .consistent_read(consistent_read)
                    .set_projection_expression(projection)
                    .set_expression_attribute_names(names)
                    .set_return_consumed_capacity(sdk_capacity(&span))
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                Ok(output.item)
            }
        }
    }

    /// Deletes an item by key; the deleted item when `return_old` asked for it.
    pub(crate) async fn engine_delete_item(&self, request: DeleteItem) -> Result<Option<Item>> {
        let DeleteItem {
            table,
            key,
            condition,
            return_item_on_condition_failure,
            return_old,
        } = request;
        let span = span("DeleteItem", &table, None);
        let key = guard_item(&table, key)?;
        let (condition_expression, names, values) = condition_parts(guard_condition(&table, condition)?);
        let return_values = if return_old {
            ReturnValues::AllOld
        } else {
            ReturnValues::None
        };
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let req = dynoxide::actions::delete_item::DeleteItemRequest {
                    key: super::convert::item_to_dynoxide(&table, key)?,
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: dynoxide_values(&table, values)?,
                    return_values: return_values.as_str().map(str::to_owned),
                    return_values_on_condition_check_failure: on_failure_dynoxide(
                        return_item_on_condition_failure,
                    ),
                    return_consumed_capacity: dynoxide_capacity(&span),
                    table_name: table,
                    ..Default::default()
                };
                let table_name = req.table_name.clone();
                let response = db
                    .delete_item(req)
                    .map_err(|e| error_map::from_dynoxide(&table_name, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                Ok(returned(
                    response.attributes.map(super::convert::item_from_dynoxide),
                ))
            }
            Engine::Remote => {
                let output = self
                    .inner
                    .sdk
                    .delete_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .set_condition_expression(condition_expression)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values(return_values.to_sdk())
                    .set_return_values_on_condition_check_failure(on_failure_sdk(
                        return_item_on_condition_failure,
                    ))
                    .set_return_consumed_capacity(sdk_capacity(&span))
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                Ok(returned(output.attributes))
            }
        }
    }

    /// Updates an item by key; the attributes `return_values` asked for.
    pub(crate) async fn engine_update_item(&self, request: UpdateItem) -> Result<Option<Item>> {
        let UpdateItem {
            table,
            key,
            update_expression,
            condition_expression,
            names,
            values,
            return_values,
            return_item_on_condition_failure,
        } = request;
        let span = span("UpdateItem", &table, None);
        let key = guard_item(&table, key)?;
        let values = guard_item(&table, values)?;
        check_expression(&table, "UpdateExpression", &update_expression)?;
        if let Some(c) = &condition_expression {
            check_expression(&table, "ConditionExpression", c)?;
        }
        let names = non_empty(names);
        let values = non_empty(values);
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let req = dynoxide::actions::update_item::UpdateItemRequest {
                    key: super::convert::item_to_dynoxide(&table, key)?,
                    update_expression: Some(update_expression),
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: dynoxide_values(&table, values)?,
                    return_values: return_values.as_str().map(str::to_owned),
                    return_values_on_condition_check_failure: on_failure_dynoxide(
                        return_item_on_condition_failure,
                    ),
                    return_consumed_capacity: dynoxide_capacity(&span),
                    table_name: table,
                    ..Default::default()
                };
                let table_name = req.table_name.clone();
                let response = db
                    .update_item(req)
                    .map_err(|e| error_map::from_dynoxide(&table_name, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                Ok(returned(
                    response.attributes.map(super::convert::item_from_dynoxide),
                ))
            }
            Engine::Remote => {
                let output = self
                    .inner
                    .sdk
                    .update_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .update_expression(update_expression)
                    .set_condition_expression(condition_expression)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values(return_values.to_sdk())
                    .set_return_values_on_condition_check_failure(on_failure_sdk(
                        return_item_on_condition_failure,
                    ))
                    .set_return_consumed_capacity(sdk_capacity(&span))
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                Ok(returned(output.attributes))
            }
        }
    }
}

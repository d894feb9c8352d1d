//! The internal Query and Scan calls: dynoxide directly on the embedded engine, the SDK's fluent
//! builders on a remote one.
//!
//! Each call runs in a `tracing` span named `dynamodb` with the fields `operation`, `table`,
//! `index` and (when the engine returns it) `consumed_capacity`. Expressions, values and the
//! start key are checked here, before any engine sees the request.

use std::collections::HashMap;

use tracing::Instrument;

use super::error_map;
use super::{Engine, check_expression, guard_item};
use crate::{Client, Item, Result};

/// A Query (when `key_condition` is set) or a Scan, already rendered. Reused for every page.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadRequest {
    pub(crate) table: String,
    pub(crate) index: Option<String>,
    pub(crate) key_condition: Option<String>,
    pub(crate) filter: Option<String>,
    pub(crate) projection: Option<String>,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: Item,
    pub(crate) limit: Option<u32>,
    pub(crate) descending: bool,
    pub(crate) consistent_read: bool,
    pub(crate) count_only: bool,
}

/// One page of a Query or Scan.
#[derive(Debug, Default)]
pub(crate) struct ReadPage {
    pub(crate) items: Vec<Item>,
    pub(crate) count: usize,
    pub(crate) last_key: Option<Item>,
}

impl ReadRequest {
    /// Checks the expressions and values once, before the first page.
    pub(crate) fn guard(mut self) -> Result<Self> {
        let table = self.table.clone();
        if let Some(k) = &self.key_condition {
            check_expression(&table, "KeyConditionExpression", k)?;
        }
        if let Some(f) = &self.filter {
            check_expression(&table, "FilterExpression", f)?;
        }
        if let Some(p) = &self.projection {
            check_expression(&table, "ProjectionExpression", p)?;
        }
        self.values = guard_item(&table, self.values)?;
        Ok(self)
    }
}

fn span(operation: &'static str, table: &str, index: Option<&str>) -> tracing::Span {
    tracing::debug_span!(
        "dynamodb",
        operation,
        table,
        index = index.unwrap_or(""),
        consumed_capacity = tracing::field::Empty
    )
}

fn non_empty<K, V>(map: &HashMap<K, V>) -> Option<HashMap<K, V>>
where
    K: Clone,
    V: Clone,
{
    (!map.is_empty()).then(|| map.clone())
}

impl Client {
    /// Reads one page of a Query or Scan, from `start` (a LastEvaluatedKey), of one segment of a
    /// parallel scan when `segment` is `(segment, total)`.
    pub(crate) async fn engine_read(
        &self,
        request: &ReadRequest,
        start: Option<Item>,
        segment: Option<(u32, u32)>,
    ) -> Result<ReadPage> {
        let table = request.table.as_str();
        let is_query = request.key_condition.is_some();
        let operation = if is_query { "Query" } else { "Scan" };
        let span = span(operation, table, request.index.as_deref());
        let start = start.map(|s| guard_item(table, s)).transpose()?;
        let select = request.count_only.then_some("COUNT");
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                use super::convert::{item_from_dynoxide, item_to_dynoxide};
                let _entered = span.enter();
                let values = if request.values.is_empty() {
                    None
                } else {
                    Some(item_to_dynoxide(table, request.values.clone())?)
                };
                let start = start.map(|s| item_to_dynoxide(table, s)).transpose()?;
                let limit = request.limit.map(|l| l as usize);
                let (items, count, last_key, capacity) = if is_query {
                    let req = dynoxide::actions::query::QueryRequest {
                        table_name: request.table.clone(),
                        index_name: request.index.clone(),
                        key_condition_expression: request.key_condition.clone(),
                        filter_expression: request.filter.clone(),
                        projection_expression: request.projection.clone(),
                        expression_attribute_names: non_empty(&request.names),
                        expression_attribute_values: values,
                        // Not the `Default` (false): DynamoDB reads forward unless told otherwise.
                        scan_index_forward: !request.descending,
                        limit,
                        exclusive_start_key: start,
                        select: select.map(str::to_owned),
                        consistent_read: Some(request.consistent_read),
                        ..Default::default()
                    };
                    let r = db.query(req).map_err(|e| error_map::from_dynoxide(table, e))?;
                    (r.items, r.count, r.last_evaluated_key, r.consumed_capacity)
                } else {
                    let req = dynoxide::actions::scan::ScanRequest {
                        table_name: request.table.clone(),
                        index_name: request.index.clone(),
                        filter_expression: request.filter.clone(),
                        projection_expression: request.projection.clone(),
                        expression_attribute_names: non_empty(&request.names),
                        expression_attribute_values: values,
                        limit,
                        exclusive_start_key: start,
                        select: select.map(str::to_owned),
                        consistent_read: Some(request.consistent_read),
                        segment: segment.map(|s| s.0),
                        total_segments: segment.map(|s| s.1),
                        ..Default::default()
                    };
                    let r = db.scan(req).map_err(|e| error_map::from_dynoxide(table, e))?;
                    (r.items, r.count, r.last_evaluated_key, r.consumed_capacity)
                };
                if let Some(c) = capacity {
                    span.record("consumed_capacity", c.capacity_units);
                }
                Ok(ReadPage {
                    items: items
                        .unwrap_or_default()
                        .into_iter()
                        .map(item_from_dynoxide)
                        .collect(),
                    count,
                    last_key: last_key.map(item_from_dynoxide),
                })
            }
            Engine::Remote => {
                let limit = request.limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX));
                let select = select.map(|_| aws_sdk_dynamodb::types::Select::Count);
                let (items, count, last_key, capacity) = if is_query {
                    let out = self
                        .inner
                        .sdk
                        .query()
                        .table_name(&request.table)
                        .set_index_name(request.index.clone())
                        .set_key_condition_expression(request.key_condition.clone())
                        .set_filter_expression(request.filter.clone())
                        .set_projection_expression(request.projection.clone())
                        .set_expression_attribute_names(non_empty(&request.names))
                        .set_expression_attribute_values(non_empty(&request.values))
                        .scan_index_forward(!request.descending)
                        .set_limit(limit)
                        .set_exclusive_start_key(start)
                        .set_select(select)
                        .consistent_read(request.consistent_read)
                        .send()
                        .instrument(span.clone())
                        .await
                        .map_err(|e| error_map::from_sdk(table, e))?;
                    (
                        out.items,
                        out.count,
                        out.last_evaluated_key,
                        out.consumed_capacity.and_then(|c| c.capacity_units),
                    )
                } else {
                    let out = self
                        .inner
                        .sdk
                        .scan()
                        .table_name(&request.table)
                        .set_index_name(request.index.clone())
                        .set_filter_expression(request.filter.clone())
                        .set_projection_expression(request.projection.clone())
                        .set_expression_attribute_names(non_empty(&request.names))
                        .set_expression_attribute_values(non_empty(&request.values))
                        .set_limit(limit)
                        .set_exclusive_start_key(start)
                        .set_select(select)
                        .consistent_read(request.consistent_read)
                        .set_segment(segment.map(|s| i32::try_from(s.0).unwrap_or(i32::MAX)))
                        .set_total_segments(segment.map(|s| i32::try_from(s.1).unwrap_or(i32::MAX)))
                        .send()
                        .instrument(span.clone())
                        .await
                        .map_err(|e| error_map::from_sdk(table, e))?;
                    (
                        out.items,
                        out.count,
                        out.last_evaluated_key,
                        out.consumed_capacity.and_then(|c| c.capacity_units),
                    )
                };
                if let Some(c) = capacity {
                    span.record("consumed_capacity", c);
                }
                Ok(ReadPage {
                    items: items.unwrap_or_default(),
                    count: usize::try_from(count).unwrap_or(0),
                    last_key: last_key.filter(|k| !k.is_empty()),
                })
            }
        }
    }
}

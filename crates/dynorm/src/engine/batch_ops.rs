//! The engine layer of batch operations: one BatchWriteItem, one BatchGetItem, and one page of a
//! keys-only Scan or Query, each on the embedded engine directly or through the SDK.
//!
//! Requests here are single DynamoDB requests: chunking, deduplication and retries live in
//! [`crate::batch`]. Injected faults (see [`super::fault`]) are applied here, in front of both
//! engines.

use std::collections::HashMap;

use tracing::Instrument;

use super::{Engine, error_map, guard_item};
use crate::{AttributeValue, Client, Item, Result};

/// One write of a BatchWriteItem.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WriteOp {
    /// Put this item.
    Put(Item),
    /// Delete the item with this key.
    Delete(Item),
}

fn span(operation: &'static str, table: &str, count: usize) -> tracing::Span {
    tracing::debug_span!(
        "dynamodb",
        operation,
        table,
        count,
        consumed_capacity = tracing::field::Empty
    )
}

#[cfg(feature = "embedded")]
fn record_dynoxide_capacity(span: &tracing::Span, capacity: Option<&Vec<dynoxide::types::ConsumedCapacity>>) {
    if let Some(c) = capacity {
        span.record(
            "consumed_capacity",
            c.iter().map(|c| c.capacity_units).sum::<f64>(),
        );
    }
}

fn record_sdk_capacity(span: &tracing::Span, capacity: &[aws_sdk_dynamodb::types::ConsumedCapacity]) {
    if !capacity.is_empty() {
        span.record(
            "consumed_capacity",
            capacity.iter().filter_map(|c| c.capacity_units()).sum::<f64>(),
        );
    }
}

/// A malformed answer from the engine (an unprocessed entry dynorm cannot read back).
fn unreadable(table: &str, what: &str, e: impl std::fmt::Display) -> crate::Error {
    crate::Error::Transport {
        table: table.to_owned(),
        message: format!("could not read the {what} of the answer: {e}"),
    }
}

impl Client {
    /// Sends one BatchWriteItem to `table`; returns the writes that came back unprocessed.
    pub(crate) async fn engine_batch_write(&self, table: &str, ops: Vec<WriteOp>) -> Result<Vec<WriteOp>> {
        let (ops, mut held) = match &self.inner.faults {
            Some(faults) => faults.apply(table, ops)?,
            None => (ops, Vec::new()),
        };
        if ops.is_empty() {
            return Ok(held);
        }
        let span = span("BatchWriteItem", table, ops.len());
        let ops = ops
            .into_iter()
            .map(|op| {
                Ok(match op {
                    WriteOp::Put(item) => WriteOp::Put(guard_item(table, item)?),
                    WriteOp::Delete(key) => WriteOp::Delete(guard_item(table, key)?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut unprocessed = match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                use dynoxide::actions::batch_write_item as bw;
                let _entered = span.enter();
                let requests = ops
                    .into_iter()
                    .map(|op| {
                        Ok(match op {
                            WriteOp::Put(item) => bw::WriteRequest {
                                put_request: Some(bw::PutRequest {
                                    item: super::convert::item_to_dynoxide(table, item)?,
                                }),
                                delete_request: None,
                            },
                            WriteOp::Delete(key) => bw::WriteRequest {
                                put_request: None,
                                delete_request: Some(bw::DeleteRequest {
                                    key: super::convert::item_to_dynoxide(table, key)?,
                                }),
                            },
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let response = db
                    .batch_write_item(bw::BatchWriteItemRequest {
                        request_items: HashMap::from([(table.to_owned(), requests)]),
                        ..Default::default()
                    })
                    .map_err(|e| error_map::from_dynoxide(table, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                let mut left = Vec::new();
                for (_, value) in response.unprocessed_items {
                    let requests: Vec<bw::WriteRequest> = serde_json::from_value(value)
                        .map_err(|e| unreadable(table, "UnprocessedItems", e))?;
                    for r in requests {
                        if let Some(put) = r.put_request {
                            left.push(WriteOp::Put(super::convert::item_from_dynoxide(put.item)));
                        } else if let Some(delete) = r.delete_request {
                            left.push(WriteOp::Delete(super::convert::item_from_dynoxide(delete.key)));
                        }
                    }
                }
                left
            }
            Engine::Remote => {
                use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
                let requests = ops
                    .into_iter()
                    .map(|op| {
                        Ok(match op {
                            WriteOp::Put(item) => WriteRequest::builder()
                                .put_request(
                                    PutRequest::builder()
                                        .set_item(Some(item))
                                        .build()
                                        .map_err(|e| error_map::build_error(table, e))?,
                                )
                                .build(),
                            WriteOp::Delete(key) => WriteRequest::builder()
                                .delete_request(
                                    DeleteRequest::builder()
                                        .set_key(Some(key))
                                        .build()
                                        .map_err(|e| error_map::build_error(table, e))?,
                                )
                                .build(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let output = self
                    .inner
                    .sdk
                    .batch_write_item()
                    .request_items(table, requests)
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                let mut left = Vec::new();
                for (_, requests) in output.unprocessed_items.unwrap_or_default() {
                    for r in requests {
                        if let Some(put) = r.put_request {
                            left.push(WriteOp::Put(put.item));
                        } else if let Some(delete) = r.delete_request {
                            left.push(WriteOp::Delete(delete.key));
                        }
                    }
                }
                left
            }
        };
        unprocessed.append(&mut held);
        Ok(unprocessed)
    }

    /// Sends one BatchGetItem for `keys` of `table`; returns the items found and the keys that
    /// came back unprocessed.
    pub(crate) async fn engine_batch_get(
        &self,
        table: &str,
        keys: Vec<Item>,
        consistent_read: bool,
    ) -> Result<(Vec<Item>, Vec<Item>)> {
        let (keys, mut held) = match &self.inner.faults {
            Some(faults) => faults.apply(table, keys)?,
            None => (keys, Vec::new()),
        };
        if keys.is_empty() {
            return Ok((Vec::new(), held));
        }
        let span = span("BatchGetItem", table, keys.len());
        let keys = keys
            .into_iter()
            .map(|k| guard_item(table, k))
            .collect::<Result<Vec<_>>>()?;
        let (items, mut unprocessed) = match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                use dynoxide::actions::batch_get_item as bg;
                let _entered = span.enter();
                let keys = keys
                    .into_iter()
                    .map(|k| super::convert::item_to_dynoxide(table, k))
                    .collect::<Result<Vec<_>>>()?;
                let response = db
                    .batch_get_item(bg::BatchGetItemRequest {
                        request_items: HashMap::from([(
                            table.to_owned(),
                            bg::KeysAndAttributes {
                                keys,
                                consistent_read: Some(consistent_read),
                                ..Default::default()
                            },
                        )]),
                        ..Default::default()
                    })
                    .map_err(|e| error_map::from_dynoxide(table, e))?;
                record_dynoxide_capacity(&span, response.consumed_capacity.as_ref());
                let items = response
                    .responses
                    .into_values()
                    .flatten()
                    .map(super::convert::item_from_dynoxide)
                    .collect();
                let mut left = Vec::new();
                for (_, value) in response.unprocessed_keys {
                    let keys: bg::KeysAndAttributes =
                        serde_json::from_value(value).map_err(|e| unreadable(table, "UnprocessedKeys", e))?;
                    left.extend(keys.keys.into_iter().map(super::convert::item_from_dynoxide));
                }
                (items, left)
            }
            Engine::Remote => {
                use aws_sdk_dynamodb::types::KeysAndAttributes;
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(consistent_read)
                    .build()
                    .map_err(|e| error_map::build_error(table, e))?;
                let output = self
                    .inner
                    .sdk
                    .batch_get_item()
                    .request_items(table, request)
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(table, e))?;
                record_sdk_capacity(&span, output.consumed_capacity());
                let items = output
                    .responses
                    .unwrap_or_default()
                    .into_values()
                    .flatten()
                    .collect();
                let left = output
                    .unprocessed_keys
                    .unwrap_or_default()
                    .into_values()
                    .flat_map(|k| k.keys)
                    .collect();
                (items, left)
            }
        };
        unprocessed.append(&mut held);
        Ok((items, unprocessed))
    }

    /// Reads one page of the keys of `table` (a Scan, or a Query of one partition when
    /// `partition` is given), projecting only `key_names`. Returns the keys and where to go on.
    pub(crate) async fn engine_keys_page(
        &self,
        table: &str,
        key_names: &[&str],
        partition: Option<(&str, AttributeValue)>,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>)> {
        let operation = if partition.is_some() { "Query" } else { "Scan" };
        let span = span(operation, table, 0);
        let names: HashMap<String, String> = key_names
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("#k{i}"), (*n).to_owned()))
            .collect();
        let projection = (0..key_names.len())
            .map(|i| format!("#k{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut names = names;
        let key_condition = partition.as_ref().map(|(name, _)| {
            names.insert("#p".to_owned(), (*name).to_owned());
            "#p = :p".to_owned()
        });
        let values: Option<Item> = partition.map(|(_, v)| Item::from([(":p".to_owned(), v)]));
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                let _entered = span.enter();
                let values = values
                    .map(|v| super::convert::item_to_dynoxide(table, v))
                    .transpose()?;
                let start = start
                    .map(|s| super::convert::item_to_dynoxide(table, s))
                    .transpose()?;
                let (items, last) = if let Some(key_condition) = key_condition {
                    let response = db
                        .query(dynoxide::actions::query::QueryRequest {
                            table_name: table.to_owned(),
                            key_condition_expression: Some(key_condition),
                            projection_expression: Some(projection),
                            expression_attribute_names: Some(names),
                            expression_attribute_values: values,
                            scan_index_forward: true,
                            exclusive_start_key: start,
                            consistent_read: Some(true),
                            ..Default::default()
                        })
                        .map_err(|e| error_map::from_dynoxide(table, e))?;
                    (response.items, response.last_evaluated_key)
                } else {
                    let response = db
                        .scan(dynoxide::actions::scan::ScanRequest {
                            table_name: table.to_owned(),
                            projection_expression: Some(projection),
                            expression_attribute_names: Some(names),
                            exclusive_start_key: start,
                            consistent_read: Some(true),
                            ..Default::default()
                        })
                        .map_err(|e| error_map::from_dynoxide(table, e))?;
                    (response.items, response.last_evaluated_key)
                };
                Ok((
                    items
                        .unwrap_or_default()
                        .into_iter()
                        .map(super::convert::item_from_dynoxide)
                        .collect(),
                    last.map(super::convert::item_from_dynoxide),
                ))
            }
            Engine::Remote => {
                if let Some(key_condition) = key_condition {
                    let output = self
                        .inner
                        .sdk
                        .query()
                        .table_name(table)
                        .key_condition_expression(key_condition)
                        .projection_expression(projection)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(values)
                        .set_exclusive_start_key(start)
                        .consistent_read(true)
                        .send()
                        .instrument(span.clone())
                        .await
                        .map_err(|e| error_map::from_sdk(table, e))?;
                    Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
                } else {
                    let output = self
                        .inner
                        .sdk
                        .scan()
                        .table_name(table)
                        .projection_expression(projection)
                        .set_expression_attribute_names(Some(names))
                        .set_exclusive_start_key(start)
                        .consistent_read(true)
                        .send()
                        .instrument(span.clone())
                        .await
                        .map_err(|e| error_map::from_sdk(table, e))?;
                    Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
                }
            }
        }
    }
}

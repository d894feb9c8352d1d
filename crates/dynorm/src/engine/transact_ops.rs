//! The engine layer of transactions: one TransactWriteItems and one TransactGetItems, on the
//! embedded engine directly or through the SDK. The typed builders live in
//! [`crate::transaction`].

use std::collections::HashMap;

use tracing::Instrument;

use super::{Engine, check_expression, error_map, guard_item};
use crate::{Client, Item, Result};

/// What one transaction write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxKind {
    Put,
    Update,
    Delete,
    ConditionCheck,
}

/// One item of a TransactWriteItems.
#[derive(Debug, Clone)]
pub(crate) struct TxWrite {
    pub(crate) kind: TxKind,
    pub(crate) table: String,
    /// The item of a put; the key otherwise.
    pub(crate) item: Item,
    pub(crate) update: Option<String>,
    pub(crate) condition: Option<String>,
    pub(crate) names: Option<HashMap<String, String>>,
    pub(crate) values: Option<Item>,
    pub(crate) return_old_on_failure: bool,
}

fn span(operation: &'static str, count: usize) -> tracing::Span {
    tracing::debug_span!("dynamodb", operation, count, table = tracing::field::Empty)
}

fn guard(mut w: TxWrite) -> Result<TxWrite> {
    w.item = guard_item(&w.table, w.item)?;
    if let Some(values) = w.values.take() {
        w.values = Some(guard_item(&w.table, values)?);
    }
    if let Some(update) = &w.update {
        check_expression(&w.table, "UpdateExpression", update)?;
    }
    if let Some(condition) = &w.condition {
        check_expression(&w.table, "ConditionExpression", condition)?;
    }
    Ok(w)
}

impl Client {
    /// Sends one TransactWriteItems.
    pub(crate) async fn engine_transact_write(
        &self,
        items: Vec<TxWrite>,
        token: Option<String>,
    ) -> Result<()> {
        let table = items.first().map(|w| w.table.clone()).unwrap_or_default();
        let span = span("TransactWriteItems", items.len());
        let items = items.into_iter().map(guard).collect::<Result<Vec<_>>>()?;
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                use dynoxide::actions::transact_write_items as tw;
                let _entered = span.enter();
                let convert = |t: &str, i: Item| super::convert::item_to_dynoxide(t, i);
                let mut requests = Vec::with_capacity(items.len());
                for w in items {
                    let values = w.values.map(|v| convert(&w.table, v)).transpose()?;
                    let item = convert(&w.table, w.item)?;
                    let ret = w.return_old_on_failure.then(|| "ALL_OLD".to_owned());
                    let mut r = tw::TransactWriteItem::default();
                    match w.kind {
                        TxKind::Put => {
                            r.put = Some(tw::TransactPut {
                                table_name: w.table,
                                item,
                                condition_expression: w.condition,
                                expression_attribute_names: w.names,
                                expression_attribute_values: values,
                                return_values_on_condition_check_failure: ret,
                            })
                        }
                        TxKind::Update => {
                            r.update = Some(tw::TransactUpdate {
                                table_name: w.table,
                                key: item,
                                update_expression: w.update.unwrap_or_default(),
                                condition_expression: w.condition,
                                expression_attribute_names: w.names,
                                expression_attribute_values: values,
                                return_values_on_condition_check_failure: ret,
                            })
                        }
                        TxKind::Delete => {
                            r.delete = Some(tw::TransactDelete {
                                table_name: w.table,
                                key: item,
                                condition_expression: w.condition,
                                expression_attribute_names: w.names,
                                expression_attribute_values: values,
                                return_values_on_condition_check_failure: ret,
                            })
                        }
                        TxKind::ConditionCheck => {
                            r.condition_check = Some(tw::TransactConditionCheck {
                                table_name: w.table,
                                key: item,
                                condition_expression: w.condition.unwrap_or_default(),
                                expression_attribute_names: w.names,
                                expression_attribute_values: values,
                                return_values_on_condition_check_failure: ret,
                            })
                        }
                    }
                    requests.push(r);
                }
                db.transact_write_items(tw::TransactWriteItemsRequest {
                    transact_items: requests,
                    client_request_token: token,
                    ..Default::default()
                })
                .map_err(|e| error_map::from_dynoxide(&table, e))?;
                Ok(())
            }
            Engine::Remote => {
                use aws_sdk_dynamodb::types::{
                    ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure as Ret,
                    TransactWriteItem, Update,
                };
                let build = |t: &str, e| error_map::build_error(t, e);
                let mut requests = Vec::with_capacity(items.len());
                for w in items {
                    let ret = w.return_old_on_failure.then_some(Ret::AllOld);
                    let t = w.table.clone();
                    let r = match w.kind {
                        TxKind::Put => TransactWriteItem::builder().put(
                            Put::builder()
                                .table_name(w.table)
                                .set_item(Some(w.item))
                                .set_condition_expression(w.condition)
                                .set_expression_attribute_names(w.names)
                                .set_expression_attribute_values(w.values)
                                .set_return_values_on_condition_check_failure(ret)
                                .build()
                                .map_err(|e| build(&t, e))?,
                        ),
                        TxKind::Update => TransactWriteItem::builder().update(
                            Update::builder()
                                .table_name(w.table)
                                .set_key(Some(w.item))
                                .set_update_expression(w.update)
                                .set_condition_expression(w.condition)
                                .set_expression_attribute_names(w.names)
                                .set_expression_attribute_values(w.values)
                                .set_return_values_on_condition_check_failure(ret)
                                .build()
                                .map_err(|e| build(&t, e))?,
                        ),
                        TxKind::Delete => TransactWriteItem::builder().delete(
                            Delete::builder()
                                .table_name(w.table)
                                .set_key(Some(w.item))
                                .set_condition_expression(w.condition)
                                .set_expression_attribute_names(w.names)
                                .set_expression_attribute_values(w.values)
                                .set_return_values_on_condition_check_failure(ret)
                                .build()
                                .map_err(|e| build(&t, e))?,
                        ),
                        TxKind::ConditionCheck => TransactWriteItem::builder().condition_check(
                            ConditionCheck::builder()
                                .table_name(w.table)
                                .set_key(Some(w.item))
                                .set_condition_expression(w.condition)
                                .set_expression_attribute_names(w.names)
                                .set_expression_attribute_values(w.values)
                                .set_return_values_on_condition_check_failure(ret)
                                .build()
                                .map_err(|e| build(&t, e))?,
                        ),
                    };
                    requests.push(r.build());
                }
                self.inner
                    .sdk
                    .transact_write_items()
                    .set_transact_items(Some(requests))
                    .set_client_request_token(token)
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                Ok(())
            }
        }
    }

    /// Sends one TransactGetItems for `(table, key)` pairs; the items in the same order.
    pub(crate) async fn engine_transact_get(&self, gets: Vec<(String, Item)>) -> Result<Vec<Option<Item>>> {
        let table = gets.first().map(|g| g.0.clone()).unwrap_or_default();
        let span = span("TransactGetItems", gets.len());
        let gets = gets
            .into_iter()
            .map(|(t, k)| {
                let k = guard_item(&t, k)?;
                Ok((t, k))
            })
            .collect::<Result<Vec<_>>>()?;
        match &self.inner.engine {
            #[cfg(feature = "embedded")]
            Engine::Embedded(db) => {
                use dynoxide::actions::transact_get_items as tg;
                let _entered = span.enter();
                let transact_items = gets
                    .into_iter()
                    .map(|(t, k)| {
                        Ok(tg::TransactGetItem {
                            get: tg::TransactGet {
                                key: super::convert::item_to_dynoxide(&t, k)?,
                                table_name: t,
                                ..Default::default()
                            },
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let response = db
                    .transact_get_items(tg::TransactGetItemsRequest {
                        transact_items,
                        ..Default::default()
                    })
                    .map_err(|e| error_map::from_dynoxide(&table, e))?;
                Ok(response
                    .responses
                    .into_iter()
                    .map(|r| r.item.map(super::convert::item_from_dynoxide))
                    .collect())
            }
            Engine::Remote => {
                use aws_sdk_dynamodb::types::{Get, TransactGetItem};
                let transact_items = gets
                    .into_iter()
                    .map(|(t, k)| {
                        let get = Get::builder()
                            .table_name(t.clone())
                            .set_key(Some(k))
                            .build()
                            .map_err(|e| error_map::build_error(&t, e))?;
                        Ok(TransactGetItem::builder().get(get).build())
                    })
                    .collect::<Result<Vec<_>>>()?;
                let output = self
                    .inner
                    .sdk
                    .transact_get_items()
                    .set_transact_items(Some(transact_items))
                    .send()
                    .instrument(span.clone())
                    .await
                    .map_err(|e| error_map::from_sdk(&table, e))?;
                Ok(output
                    .responses
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| r.item)
                    .collect())
            }
        }
    }
}

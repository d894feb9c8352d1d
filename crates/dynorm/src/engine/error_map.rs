//! Engine errors as [`Error`]s: the same DynamoDB error gives the same variant whichever engine
//! answered (dynoxide called directly, or any endpoint through the SDK).

use std::any::Any;
use std::error::Error as StdError;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use super::MAX_EXPRESSION_DEPTH;
use super::guard::parse_too_deep_message;
use crate::{CancellationReason, Error, Item};

/// An error from its DynamoDB error code (with or without the `namespace#` prefix) and message.
pub(crate) fn from_code(
    table: &str,
    code: &str,
    message: String,
    item: Option<Item>,
    reasons: Option<Vec<CancellationReason>>,
) -> Error {
    let code = code.rsplit('#').next().unwrap_or(code);
    let table = table.to_owned();
    match code {
        "ResourceNotFoundException" => Error::TableNotFound { table, message },
        "ResourceInUseException" => Error::TableInUse { table, message },
        "ConditionalCheckFailedException" => Error::ConditionalCheckFailed {
            table,
            item: item.map(Box::new),
        },
        "TransactionCanceledException" => Error::TransactionCanceled {
            reasons: reasons.unwrap_or_default(),
        },
        "ValidationException" => match parse_too_deep_message(&message) {
            Some((field, depth)) => Error::ExpressionTooDeep {
                table,
                field,
                depth,
                limit: MAX_EXPRESSION_DEPTH,
            },
            None => Error::Validation { table, message },
        },
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "Throttling"
        | "RequestLimitExceeded"
        | "RequestLimitExceededException" => Error::Throttled { table, message },
        _ => Error::Service {
            table,
            code: code.to_owned(),
            message,
        },
    }
}

/// A dynoxide error, as the SDK would have reported it.
#[cfg(feature = "embedded")]
pub(crate) fn from_dynoxide(table: &str, error: dynoxide::DynoxideError) -> Error {
    use dynoxide::DynoxideError as D;
    let code = error.error_type();
    let message = error.to_string();
    match error {
        D::ConditionalCheckFailedException(_, item) => from_code(
            table,
            code,
            message,
            item.map(super::convert::item_from_dynoxide),
            None,
        ),
        D::TransactionCanceledException(_, reasons) => {
            let reasons = reasons
                .into_iter()
                .map(|r| CancellationReason {
                    code: r.code,
                    message: r.message,
                    item: r.item.map(super::convert::item_from_dynoxide),
                })
                .collect();
            from_code(table, code, message, None, Some(reasons))
        }
        _ => from_code(table, code, message, None, None),
    }
}

/// An SDK error: service errors by their code, everything else (dispatch, timeout, construction,
/// unreadable responses) as [`Error::Transport`].
pub(crate) fn from_sdk<E, R>(table: &str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(context) => {
            let err = context.into_err();
            let code = err.code().unwrap_or("UnknownError").to_owned();
            let message = err.message().unwrap_or_default().to_owned();
            let (item, reasons) = details(&err);
            from_code(table, &code, message, item, reasons)
        }
        other => Error::Transport {
            table: table.to_owned(),
            message: describe_chain(&other),
        },
    }
}

/// The old item of a failed condition and the reasons of a cancelled transaction, for the
/// operations that return them.
fn details<E: Any>(err: &E) -> (Option<Item>, Option<Vec<CancellationReason>>) {
    use aws_sdk_dynamodb::operation::{
        delete_item::DeleteItemError, execute_statement::ExecuteStatementError,
        execute_transaction::ExecuteTransactionError, put_item::PutItemError,
        transact_write_items::TransactWriteItemsError, update_item::UpdateItemError,
    };
    let any = err as &dyn Any;
    let item = if let Some(PutItemError::ConditionalCheckFailedException(e)) = any.downcast_ref() {
        e.item().cloned()
    } else if let Some(DeleteItemError::ConditionalCheckFailedException(e)) = any.downcast_ref() {
        e.item().cloned()
    } else if let Some(UpdateItemError::ConditionalCheckFailedException(e)) = any.downcast_ref() {
        e.item().cloned()
    } else if let Some(ExecuteStatementError::ConditionalCheckFailedException(e)) = any.downcast_ref() {
        e.item().cloned()
    } else {
        None
    };
    let reasons = if let Some(TransactWriteItemsError::TransactionCanceledException(e)) = any.downcast_ref() {
        Some(sdk_reasons(e.cancellation_reasons()))
    } else if let Some(ExecuteTransactionError::TransactionCanceledException(e)) = any.downcast_ref() {
        Some(sdk_reasons(e.cancellation_reasons()))
    } else if let Some(
        aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError::TransactionCanceledException(
            e,
        ),
    ) = any.downcast_ref()
    {
        Some(sdk_reasons(e.cancellation_reasons()))
    } else {
        None
    };
    (item, reasons)
}

fn sdk_reasons(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> Vec<CancellationReason> {
    reasons
        .iter()
        .map(|r| CancellationReason {
            code: r.code().unwrap_or("None").to_owned(),
            message: r.message().map(str::to_owned),
            item: r.item().cloned(),
        })
        .collect()
}

/// An error and its sources, joined.
fn describe_chain(error: &dyn StdError) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// A request that could not be built (a required field missing), as [`Error::Transport`].
pub(crate) fn build_error(table: &str, error: aws_smithy_types::error::operation::BuildError) -> Error {
    Error::Transport {
        table: table.to_owned(),
        message: format!("could not build the request: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_variants() {
        let e = |code: &str| from_code("t", code, "m".into(), None, None);
        assert!(e("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException").is_table_not_found());
        assert!(matches!(e("ResourceInUseException"), Error::TableInUse { .. }));
        assert!(e("ConditionalCheckFailedException").is_conditional_check_failed());
        assert!(matches!(
            e("TransactionCanceledException"),
            Error::TransactionCanceled { .. }
        ));
        assert!(e("com.amazon.coral.validate#ValidationException").is_validation());
        assert!(e("ThrottlingException").is_throttled());
        assert!(e("ProvisionedThroughputExceededException").is_throttled());
        assert!(e("RequestLimitExceeded").is_throttled());
        assert!(
            matches!(e("InternalServerError"), Error::Service { code, .. } if code == "InternalServerError")
        );
    }

    /// A cancelled transaction gives the same variant and reasons from dynoxide directly and
    /// through the in-process SDK client.
    #[cfg(feature = "embedded")]
    #[tokio::test]
    async fn transaction_cancellations_are_identical() {
        use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
        let client = crate::Client::embedded().expect("embedded");
        client
            .create_table(&crate::TableDefinition::new(
                "users",
                "id",
                crate::AttributeType::String,
            ))
            .await
            .expect("create");
        let db = client.database().expect("embedded").clone();
        db.put_item(
            serde_json::from_value(serde_json::json!({"TableName": "users", "Item": {"id": {"S": "a"}}}))
                .expect("request"),
        )
        .expect("put");
        let request = serde_json::json!({"TransactItems": [{"ConditionCheck": {
            "TableName": "users", "Key": {"id": {"S": "a"}},
            "ConditionExpression": "attribute_not_exists(id)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}]});
        let direct = db
            .transact_write_items(serde_json::from_value(request).expect("request"))
            .map(|_| ())
            .map_err(|e| from_dynoxide("users", e))
            .expect_err("cancelled");
        let check = ConditionCheck::builder()
            .table_name("users")
            .key("id", AttributeValue::S("a".into()))
            .condition_expression("attribute_not_exists(id)")
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .build()
            .expect("check");
        let via_sdk = client
            .sdk()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("users", e))
            .expect_err("cancelled");
        match (&direct, &via_sdk) {
            (Error::TransactionCanceled { reasons: a }, Error::TransactionCanceled { reasons: b }) => {
                assert_eq!(a.len(), 1);
                assert_eq!(a[0].code, "ConditionalCheckFailed");
                assert_eq!(a, b);
                assert!(a[0].item.is_some());
            }
            other => panic!("expected two TransactionCanceled, got {other:?}"),
        }
    }
}

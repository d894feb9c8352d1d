//! Hostile input never kills the process: every test runs on a thread with a 2 MiB stack (the
//! size of `cargo test` and tokio worker threads), where dynoxide 3.2 overflows its stack and
//! aborts the whole process on deeply nested expressions.
//!
//! Verified once by hand: with the guard disabled (`MAX_EXPRESSION_DEPTH` set to 100,000), both
//! `condition_expressions_nested_too_deeply_are_refused_on_every_path` and
//! `expressions_inside_transactions_scans_and_updates_are_guarded` abort this test binary with
//! "has overflowed its stack / fatal runtime error: stack overflow, aborting" (SIGABRT).

use std::future::Future;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use dynorm::engine::{MAX_EXPRESSION_DEPTH, expression_depth};
use dynorm::{AttributeValue, Client, Error, Item};

use crate::support::{User, both_paths, users_definition};

/// Runs `test` on a fresh 2 MiB thread with its own current-thread runtime.
fn on_small_stack<F, Fut>(test: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(test());
        })
        .expect("spawn");
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}

async fn embedded_with_users() -> Client {
    let client = Client::embedded().expect("embedded");
    client.create_table(&users_definition()).await.expect("create");
    client
}

/// `NOT (NOT (… id = :v …))`: 6 bytes a level, so 650 levels stay under DynamoDB's 4 KB
/// expression limit (dynoxide checks the size before parsing).
fn nested_not(levels: usize) -> String {
    format!("{}id = :v{}", "NOT (".repeat(levels), ")".repeat(levels))
}

/// `id = :v AND id = :v AND …`: a flat chain that dynoxide turns into a left-deep tree.
fn and_chain(terms: usize) -> String {
    vec!["id = :v"; terms].join(" AND ")
}

fn sdk_error_message<E: ProvideErrorMetadata>(e: &E) -> (String, String) {
    (
        e.code().unwrap_or_default().to_owned(),
        e.message().unwrap_or_default().to_owned(),
    )
}

#[test]
fn condition_expressions_nested_too_deeply_are_refused_on_every_path() {
    // The embedded engine's expression parser on a small stack.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    on_small_stack(|| async {
        let embedded = embedded_with_users().await;
        for expression in [nested_not(650), and_chain(300)] {
            assert!(expression.len() < 4096);
            // Direct path and remote path (SDK fluent builders) through dynorm's table client.
            for (path, client) in both_paths(&embedded) {
                let err = client
                    .table::<User>()
                    .put(&User::new("a", "A", 1))
                    .condition_expression(expression.clone())
                    .expression_attribute_value(":v", AttributeValue::S("a".into()))
                    .await
                    .expect_err("refused");
                match err {
                    Error::ExpressionTooDeep {
                        field,
                        depth,
                        limit,
                        table,
                    } => {
                        assert_eq!(field, "ConditionExpression", "{path}");
                        assert_eq!(depth, expression_depth(&expression));
                        assert_eq!(limit, MAX_EXPRESSION_DEPTH);
                        assert_eq!(table, "users");
                    }
                    other => panic!("{path}: expected ExpressionTooDeep, got {other:?}"),
                }
            }
            // The raw SDK client: the in-process adapter refuses it with a 400 ValidationException.
            let err = embedded
                .sdk()
                .put_item()
                .table_name("users")
                .item("id", AttributeValue::S("a".into()))
                .condition_expression(expression.clone())
                .expression_attribute_values(":v", AttributeValue::S("a".into()))
                .send()
                .await
                .expect_err("refused");
            let (code, message) = sdk_error_message(&err);
            assert_eq!(code, "ValidationException");
            assert!(
                message.starts_with("Invalid ConditionExpression: the expression nests"),
                "{message}"
            );
        }
    });
}

#[test]
fn expressions_inside_transactions_scans_and_updates_are_guarded() {
    // The embedded engine's expression parser on a small stack.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    on_small_stack(|| async {
        let embedded = embedded_with_users().await;
        let sdk = embedded.sdk();
        let deep = nested_not(650);

        let put = Put::builder()
            .table_name("users")
            .item("id", AttributeValue::S("t".into()))
            .condition_expression(deep.clone())
            .expression_attribute_values(":v", AttributeValue::S("a".into()))
            .build()
            .expect("put");
        let err = sdk
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await
            .expect_err("refused");
        let (code, message) = sdk_error_message(&err);
        assert_eq!(code, "ValidationException");
        assert!(message.contains("nests"), "{message}");

        let err = sdk
            .scan()
            .table_name("users")
            .filter_expression(and_chain(300))
            .expression_attribute_values(":v", AttributeValue::S("a".into()))
            .send()
            .await
            .expect_err("refused");
        assert!(
            sdk_error_message(&err).1.starts_with("Invalid FilterExpression"),
            "{err:?}"
        );

        let err = sdk
            .update_item()
            .table_name("users")
            .key("id", AttributeValue::S("u".into()))
            .update_expression("SET age = :v")
            .condition_expression(deep.clone())
            .expression_attribute_values(":v", AttributeValue::S("a".into()))
            .send()
            .await
            .expect_err("refused");
        assert!(sdk_error_message(&err).1.contains("nests"), "{err:?}");

        // PartiQL: deep nesting and long chains come back as typed errors, never an abort.
        for statement in [
            format!(
                "SELECT * FROM \"users\" WHERE {}id = 'a'{}",
                "NOT (".repeat(650),
                ")".repeat(650)
            ),
            format!(
                "SELECT * FROM \"users\" WHERE {}",
                vec!["id = 'a'"; 300].join(" AND ")
            ),
            format!(
                "INSERT INTO \"users\" VALUE {{'id': 'x', 'a': {}1{}}}",
                "[".repeat(1500),
                "]".repeat(1500)
            ),
        ] {
            let err = sdk
                .execute_statement()
                .statement(statement)
                .send()
                .await
                .expect_err("refused");
            assert_eq!(sdk_error_message(&err).0, "ValidationException", "{err:?}");
        }
    });
}

#[test]
fn expressions_at_the_limit_still_reach_the_engine_on_a_small_stack() {
    // The embedded engine's expression parser on a small stack.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    on_small_stack(|| async {
        let embedded = embedded_with_users().await;
        let levels = MAX_EXPRESSION_DEPTH / 2;
        let expression = nested_not(levels);
        assert_eq!(expression_depth(&expression), MAX_EXPRESSION_DEPTH);
        let chain = and_chain(MAX_EXPRESSION_DEPTH + 1);
        assert_eq!(expression_depth(&chain), MAX_EXPRESSION_DEPTH);
        for expression in [expression, chain] {
            for (path, client) in both_paths(&embedded) {
                let result = client
                    .table::<User>()
                    .put(&User::new("a", "A", 1))
                    .condition_expression(expression.clone())
                    .expression_attribute_value(":v", AttributeValue::S("a".into()))
                    .await;
                // The engine evaluated it: either way is an answer, not a refusal.
                assert!(
                    result.is_ok() || matches!(result, Err(Error::ConditionalCheckFailed { .. })),
                    "{path}: {result:?}"
                );
            }
            let result = embedded
                .sdk()
                .put_item()
                .table_name("users")
                .item("id", AttributeValue::S("a".into()))
                .condition_expression(expression.clone())
                .expression_attribute_values(":v", AttributeValue::S("a".into()))
                .send()
                .await;
            if let Err(e) = result {
                assert_eq!(
                    sdk_error_message(&e).0,
                    "ConditionalCheckFailedException",
                    "{e:?}"
                );
            }
        }
    });
}

/// A value nested 10,000 levels deep (maps in lists in maps).
fn deep_value(levels: usize) -> AttributeValue {
    let mut v = AttributeValue::S("leaf".into());
    for i in 0..levels {
        v = if i % 2 == 0 {
            AttributeValue::L(vec![v])
        } else {
            AttributeValue::M(Item::from([("k".to_owned(), v)]))
        };
    }
    v
}

/// A table type whose item is one deeply nested value.
mod deep {
    use super::*;
    use dynorm::{DecodeError, EncodeError, Table, TableDefinition};
    use std::sync::{Mutex, OnceLock};

    pub(super) struct Deep(pub(super) Mutex<Option<AttributeValue>>);

    impl Table for Deep {
        fn definition() -> &'static TableDefinition {
            static D: OnceLock<TableDefinition> = OnceLock::new();
            D.get_or_init(super::users_definition)
        }
        fn to_item(&self) -> Result<Item, EncodeError> {
            let value = self
                .0
                .lock()
                .expect("lock")
                .take()
                .unwrap_or(AttributeValue::Null(true));
            Ok(Item::from([
                ("id".to_owned(), AttributeValue::S("deep".into())),
                ("v".to_owned(), value),
            ]))
        }
        fn from_item(_: Item) -> Result<Self, DecodeError> {
            Err(DecodeError::custom("not read back"))
        }
        fn key_item(&self) -> Result<Item, EncodeError> {
            Ok(Item::from([("id".to_owned(), AttributeValue::S("deep".into()))]))
        }
    }
}

#[test]
fn deeply_nested_values_are_refused_on_every_path() {
    // The embedded engine's expression parser on a small stack.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    on_small_stack(|| async {
        let embedded = embedded_with_users().await;
        for (path, client) in both_paths(&embedded) {
            let value = deep::Deep(std::sync::Mutex::new(Some(deep_value(10_000))));
            let builder = client.table_named::<deep::Deep>("users").put(&value);
            let err = builder.await.expect_err("refused");
            assert!(err.is_validation(), "{path}: {err:?}");
            assert!(err.to_string().contains("Nesting Levels"), "{path}: {err}");
        }
        // The raw SDK client: the SDK's own serialiser recurses (and a value 10,000 levels deep
        // overflows a 2 MiB stack just being dropped), so only dynorm's table client can take such
        // a value apart safely; 1,000 levels reach the adapter and come back refused.
        let err = embedded
            .sdk()
            .put_item()
            .table_name("users")
            .item("id", AttributeValue::S("raw".into()))
            .item("v", deep_value(1_000))
            .send()
            .await
            .expect_err("refused");
        let (code, message) = sdk_error_message(&err);
        assert_eq!(code, "ValidationException");
        assert!(
            message.starts_with("Nesting Levels have exceeded supported limits"),
            "{message}"
        );
        // Just past DynamoDB's 32 levels, the engine's own refusal comes back on both paths.
        for (path, client) in both_paths(&embedded) {
            let value = deep::Deep(std::sync::Mutex::new(Some(deep_value(40))));
            let err = client
                .table_named::<deep::Deep>("users")
                .put(&value)
                .await
                .expect_err("refused");
            assert!(err.is_validation(), "{path}: {err:?}");
        }
    });
}

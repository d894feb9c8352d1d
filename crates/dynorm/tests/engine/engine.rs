//! Data operations on both engine paths, and error identity between them.

use std::mem::discriminant;

use dynorm::{AttributeValue, Client, Error, Table};

use crate::support::{NumericUser, User, both_paths, users_definition};

async fn embedded_with_users() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(&users_definition())
        .await
        .expect("create users");
    client
}

#[tokio::test]
async fn put_get_delete_on_both_paths() {
    let embedded = embedded_with_users().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        assert_eq!(users.name(), "users");
        let ada = User::new(&format!("ada-{path}"), "Ada", 36);
        users.put(&ada).await.expect("put");
        let read = users
            .get(ada.key_of())
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        assert_eq!(read.as_ref(), Some(&ada), "{path}");
        // A put replaces the whole item.
        let older = User {
            age: 37,
            ..ada.clone()
        };
        users.put(&older).send().await.expect("put again");
        assert_eq!(
            users.get(User::key(&ada.id)).await.expect("get"),
            Some(older),
            "{path}"
        );
        users.delete(ada.key_of()).await.expect("delete");
        assert_eq!(users.get(ada.key_of()).await.expect("get"), None, "{path}");
        // Deleting what is absent is fine.
        users.delete(ada.key_of()).await.expect("delete again");
    }
    // Both paths wrote to the same database.
    let direct = embedded.table::<User>();
    let via_sdk = Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone());
    direct.put(&User::new("shared", "S", 1)).await.expect("put");
    assert!(
        via_sdk
            .table::<User>()
            .get(User::key("shared"))
            .await
            .expect("get")
            .is_some()
    );
}

#[tokio::test]
async fn table_named_uses_its_own_name() {
    let embedded = dynorm::testing::client().await.expect("test client");
    let staged = embedded.table_named::<User>("dev-users");
    staged.create().await.expect("create dev-users");
    staged.put(&User::new("a", "A", 1)).await.expect("put");
    assert_eq!(staged.name(), "dev-users");
    assert!(
        embedded
            .describe_table("users")
            .await
            .expect("describe")
            .is_none()
    );
    assert!(staged.get(User::key("a")).await.expect("get").is_some());
}

#[tokio::test]
async fn conditions_on_both_paths() {
    let embedded = embedded_with_users().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let id = format!("c-{path}");
        users
            .put(&User::new(&id, "First", 1))
            .condition_expression("attribute_not_exists(id)")
            .await
            .expect("first put");
        let err = users
            .put(&User::new(&id, "Second", 2))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_name("#id", "id")
            .return_item_on_condition_failure(true)
            .await
            .expect_err("second put must fail");
        match err {
            Error::ConditionalCheckFailed { table, item } => {
                assert_eq!(table, "users");
                let item = item.expect("old item returned");
                assert_eq!(
                    item.get("name"),
                    Some(&AttributeValue::S("First".into())),
                    "{path}"
                );
            }
            other => panic!("{path}: expected ConditionalCheckFailed, got {other:?}"),
        }
        let err = users
            .delete(User::key(&id))
            .condition_expression("age = :age")
            .expression_attribute_value(":age", AttributeValue::N("99".into()))
            .await
            .expect_err("conditional delete must fail");
        assert!(err.is_conditional_check_failed(), "{path}: {err:?}");
        users
            .delete(User::key(&id))
            .condition_expression("age = :age")
            .expression_attribute_value(":age", AttributeValue::N("1".into()))
            .await
            .expect("conditional delete");
    }
}

#[tokio::test]
async fn stored_items_that_do_not_decode_are_decode_errors() {
    let embedded = embedded_with_users().await;
    embedded
        .sdk()
        .put_item()
        .table_name(embedded.physical_table_name("users"))
        .item("id", AttributeValue::S("bad".into()))
        .item("name", AttributeValue::S("B".into()))
        .item("age", AttributeValue::S("old".into()))
        .send()
        .await
        .expect("raw put");
    for (path, client) in both_paths(&embedded) {
        let err = client
            .table::<User>()
            .get(User::key("bad"))
            .await
            .expect_err("decode must fail");
        match err {
            Error::Decode(e) => {
                assert_eq!(e.attribute.as_deref(), Some("age"), "{path}");
                assert_eq!(e.table.as_deref(), Some("users"), "{path}");
            }
            other => panic!("{path}: expected Decode, got {other:?}"),
        }
    }
}

/// The same bad request gives the same variant (and code) through the direct path and through
/// the SDK (the in-process adapter).
#[tokio::test]
async fn errors_are_identical_on_both_paths() {
    let embedded = embedded_with_users().await;
    embedded
        .table::<User>()
        .put(&User::new("taken", "T", 1))
        .await
        .expect("seed");
    let [(_, direct), (_, sdk)] = both_paths(&embedded);

    async fn cases(client: &Client) -> Vec<(&'static str, Error)> {
        let users = client.table::<User>();
        let mut out = Vec::new();
        let missing = client.table_named::<User>("no_such_table");
        out.push((
            "missing table",
            missing.put(&User::new("a", "A", 1)).await.expect_err("missing"),
        ));
        out.push((
            "missing table get",
            missing.get(User::key("a")).await.expect_err("missing"),
        ));
        out.push((
            "condition failed",
            users
                .put(&User::new("taken", "X", 2))
                .condition_expression("attribute_not_exists(id)")
                .return_item_on_condition_failure(true)
                .await
                .expect_err("condition"),
        ));
        out.push((
            "syntax error",
            users
                .put(&User::new("b", "B", 2))
                .condition_expression("id = = :x")
                .await
                .expect_err("syntax"),
        ));
        out.push((
            "undefined placeholder",
            users
                .put(&User::new("b", "B", 2))
                .condition_expression("id = :nope")
                .await
                .expect_err("placeholder"),
        ));
        out.push((
            "wrong key type",
            client
                .table_named::<NumericUser>("users")
                .put(&NumericUser { id: 7 })
                .await
                .expect_err("key type"),
        ));
        out.push((
            "wrong key type on get",
            client
                .table_named::<NumericUser>("users")
                .get(NumericUser { id: 7 }.key_of())
                .await
                .expect_err("key type"),
        ));
        out.push((
            "expression too deep",
            users
                .put(&User::new("b", "B", 2))
                .condition_expression(format!("{}id = :v{}", "NOT (".repeat(300), ")".repeat(300)))
                .await
                .expect_err("too deep"),
        ));
        out
    }

    let a = cases(&direct).await;
    let b = cases(&sdk).await;
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert_eq!(
            discriminant(x),
            discriminant(y),
            "{name}: direct {x:?}, sdk {y:?}"
        );
        assert_eq!(x.code(), y.code(), "{name}");
        assert!(
            x.to_string().contains("users") || x.to_string().contains("no_such_table"),
            "{name}: {x}"
        );
    }
    assert!(matches!(&a[0].1, Error::TableNotFound { table, .. } if table == "no_such_table"));
    assert!(matches!(
        &a[2].1,
        Error::ConditionalCheckFailed { item: Some(_), .. }
    ));
    assert!(matches!(
        &b[2].1,
        Error::ConditionalCheckFailed { item: Some(_), .. }
    ));
    assert!(a[3].1.is_validation() && a[4].1.is_validation() && a[5].1.is_validation());
    assert!(matches!(&a[7].1, Error::ExpressionTooDeep { depth: 600, .. }));
}

/// The in-process SDK client answers tables, items, query/scan, PartiQL, transactions and TTL.
#[tokio::test]
async fn sdk_client_answers_every_kind_of_operation() {
    // The embedded engine's in-process SDK client, with its exact table list.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    let embedded = embedded_with_users().await;
    let sdk = embedded.sdk();
    let tables = sdk.list_tables().send().await.expect("list tables");
    assert_eq!(tables.table_names(), ["users"]);
    sdk.put_item()
        .table_name(embedded.physical_table_name("users"))
        .item("id", AttributeValue::S("q".into()))
        .send()
        .await
        .expect("put");
    let scanned = sdk
        .scan()
        .table_name(embedded.physical_table_name("users"))
        .send()
        .await
        .expect("scan");
    assert_eq!(scanned.count(), 1);
    let queried = sdk
        .query()
        .table_name(embedded.physical_table_name("users"))
        .key_condition_expression("id = :id")
        .expression_attribute_values(":id", AttributeValue::S("q".into()))
        .send()
        .await
        .expect("query");
    assert_eq!(queried.count(), 1);
    let statement = sdk
        .execute_statement()
        .statement("SELECT * FROM \"users\" WHERE id = 'q'")
        .send()
        .await
        .expect("partiql");
    assert_eq!(statement.items().len(), 1);
    let err = sdk
        .transact_write_items()
        .transact_items(
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .condition_check(
                    aws_sdk_dynamodb::types::ConditionCheck::builder()
                        .table_name(embedded.physical_table_name("users"))
                        .key("id", AttributeValue::S("q".into()))
                        .condition_expression("attribute_not_exists(id)")
                        .build()
                        .expect("condition check"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("transaction must be cancelled");
    let service = err.into_service_error();
    assert!(service.is_transaction_canceled_exception(), "{service:?}");
    let described = sdk
        .describe_time_to_live()
        .table_name("users")
        .send()
        .await
        .expect("ttl");
    assert!(described.time_to_live_description().is_some());
}

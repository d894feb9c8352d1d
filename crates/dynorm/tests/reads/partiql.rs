//! Typed PartiQL reads: parameters bound (never in the text), results decoded into the table or
//! a projection, paging, and statements checked against the model before they are sent — on both
//! engine paths.

use dynorm::strict::Strict;
use dynorm::{AttributeValue, Error};
use futures::TryStreamExt;

use crate::query_fixture::{Order, OrderKeys, both_paths, numbers, orders};

fn refused(error: Error) -> (usize, String) {
    match error {
        Error::InvalidStatement {
            table,
            column,
            message,
        } => {
            assert_eq!(table, "orders");
            (column, message)
        }
        other => panic!("expected InvalidStatement, found {other:?}"),
    }
}

#[tokio::test]
async fn selects_decode_into_the_table_type_with_bound_parameters() {
    let embedded = orders("ada", 10).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let found = t
            .partiql(
                r#"SELECT * FROM "orders" WHERE customer = ? AND "number" BETWEEN ? AND ? AND status = ?"#,
            )
            .bind("ada")
            .bind(2i64)
            .bind(6i64)
            .bind("open")
            .all()
            .await
            .expect("select");
        assert_eq!(
            found,
            [Order::new("ada", 2), Order::new("ada", 4), Order::new("ada", 6)],
            "{path}"
        );
        // Through an index, into a projection.
        let keys = t
            .partiql(r#"SELECT customer, "number", status FROM "orders"."by_status_keys" WHERE status = ?"#)
            .bind("shipped")
            .project::<OrderKeys>()
            .all()
            .await
            .expect("index select");
        assert_eq!(
            keys.iter().map(|k| k.number).collect::<Vec<_>>(),
            [1, 3, 5, 7, 9],
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_bound_value_is_never_part_of_the_statement() {
    let embedded = orders("ada", 3).await;
    let (client, recording) = dynorm::testing::instrument(&embedded);
    let t = client.table::<Order>();
    let hostile = "ada' OR customer <> '";
    let found = t
        .partiql("SELECT * FROM orders WHERE customer = ?")
        .bind(hostile)
        .all()
        .await
        .expect("select");
    assert!(found.is_empty());
    let sent = recording.requests();
    let sent = sent.last().expect("sent");
    assert_eq!(sent.operation, "ExecuteStatement");
    // Under a table prefix (endpoint mode) the one FROM token carries the physical name.
    let expected = if client.table_names().is_identity() {
        "SELECT * FROM orders WHERE customer = ?".to_owned()
    } else {
        format!(
            r#"SELECT * FROM "{}" WHERE customer = ?"#,
            client.physical_table_name("orders")
        )
    };
    assert_eq!(sent.statement.as_deref(), Some(expected.as_str()));
    assert_eq!(sent.parameters, [dynorm::AttributeValue::S(hostile.into())]);
}

#[tokio::test]
async fn pages_resume_from_the_next_token_and_streams_read_them_all() {
    let embedded = orders("ada", 25).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let statement = "SELECT * FROM orders WHERE customer = ?";
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut read = t.partiql(statement).bind("ada").page_size(10);
            if let Some(next) = token.take() {
                read = read.start_after(next);
            }
            let page = read.page().await.expect("page");
            pages += 1;
            assert!(page.items.len() <= 10, "{path}");
            seen.extend(page.items);
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        assert_eq!(numbers(&seen), (0..25).collect::<Vec<_>>(), "{path}");
        assert!(pages >= 3, "{path}: {pages}");
        let streamed: Vec<Order> = t
            .partiql(statement)
            .bind("ada")
            .page_size(4)
            .stream()
            .try_collect()
            .await
            .expect("stream");
        assert_eq!(streamed, seen, "{path}");
    }
}

#[tokio::test]
async fn statements_are_checked_against_the_model_before_they_are_sent() {
    let client = orders("ada", 2).await;
    let (recorded, recording) = dynorm::testing::instrument(&client);
    let t = recorded.table::<Order>();

    let (column, message) = refused(
        t.partiql("SELECT * FROM orders WHERE customer = ? AND totl > ?")
            .bind("ada")
            .bind(1i64)
            .all()
            .await
            .expect_err("misspelt"),
    );
    assert_eq!(column, 45);
    assert!(
        message.contains("`totl` is not an attribute of table `orders`"),
        "{message}"
    );

    let (_, message) = refused(
        t.partiql("SELECT * FROM users WHERE id = ?")
            .bind("u")
            .all()
            .await
            .expect_err("other table"),
    );
    assert!(message.contains("reads table `users`"), "{message}");

    match t
        .partiql(r#"SELECT * FROM orders."by_colour" WHERE colour = ?"#)
        .bind("red")
        .all()
        .await
    {
        Err(Error::UnknownIndex { index, known, .. }) => {
            assert_eq!(index, "by_colour");
            assert!(known.contains(&"by_status".to_owned()));
        }
        other => panic!("expected UnknownIndex, found {other:?}"),
    }

    let (_, message) = refused(
        t.partiql("SELECT * FROM orders WHERE customer = ? AND status = ?")
            .bind("ada")
            .all()
            .await
            .expect_err("parameters"),
    );
    assert_eq!(message, "the statement has 2 `?` parameter(s), 1 bound");

    for write in [
        "INSERT INTO orders VALUE {'customer': ?, 'number': ?}",
        "UPDATE orders SET total = ? WHERE customer = ? AND \"number\" = ?",
        "DELETE FROM orders WHERE customer = ? AND \"number\" = ?",
    ] {
        let (column, message) = refused(t.partiql(write).all().await.expect_err(write));
        assert_eq!(column, 1);
        assert!(message.contains("bypass the model's rules"), "{message}");
    }
    let (_, message) = refused(
        t.partiql("SELECT * FROM orders WHERE customer = 'it")
            .all()
            .await
            .expect_err("quote"),
    );
    assert!(message.contains("never closed"), "{message}");
    // Nothing above reached the engine.
    assert!(recording.requests().is_empty());
}

#[tokio::test]
async fn a_statement_that_would_scan_is_refused_unless_allowed() {
    let client = orders("ada", 4).await;
    let t = client.table::<Order>();
    for statement in [
        "SELECT * FROM orders",
        "SELECT * FROM orders WHERE status = ?",
        "SELECT * FROM orders WHERE customer = ? OR status = ?",
        "SELECT * FROM orders WHERE size(customer) = ?",
    ] {
        let read = t.partiql(statement);
        let read = (0..statement.matches('?').count()).fold(read, |r, _| r.bind("open"));
        let (_, message) = refused(read.all().await.expect_err(statement));
        assert!(
            message.contains("would scan table `orders`"),
            "{statement}: {message}"
        );
    }
    // On an index, its own partition key is the one compared.
    let (_, message) = refused(
        t.partiql(r#"SELECT * FROM orders."by_status" WHERE customer = ?"#)
            .bind("ada")
            .all()
            .await
            .expect_err("index scan"),
    );
    assert!(
        message.contains("index `by_status`") && message.contains("`status`"),
        "{message}"
    );

    let all = t
        .partiql("SELECT * FROM orders WHERE status = ?")
        .bind("open")
        .allow_scan()
        .all()
        .await
        .expect("allowed scan");
    assert_eq!(numbers(&all), [0, 2]);
}

#[tokio::test]
async fn strict_statements_report_attributes_the_model_does_not_name() {
    let client = orders("ada", 1).await;
    client
        .sdk()
        .put_item()
        .table_name(client.physical_table_name("orders"))
        .item("customer", dynorm::AttributeValue::S("bob".into()))
        .item("number", dynorm::AttributeValue::N("1".into()))
        .item("status", dynorm::AttributeValue::S("open".into()))
        .item("name", dynorm::AttributeValue::S("x".into()))
        .item("total", dynorm::AttributeValue::N("1".into()))
        .item("coupon", dynorm::AttributeValue::S("FREE".into()))
        .send()
        .await
        .expect("foreign put");
    let t = client.table::<Order>();
    let lenient = t
        .partiql("SELECT * FROM orders WHERE customer = ?")
        .bind("bob")
        .all()
        .await;
    assert_eq!(lenient.expect("lenient").len(), 1);
    match t
        .partiql("SELECT * FROM orders WHERE customer = ?")
        .bind("bob")
        .strict(Strict::Refuse)
        .all()
        .await
    {
        Err(Error::UnexpectedAttributes { attributes, .. }) => assert_eq!(attributes, ["coupon"]),
        other => panic!("expected UnexpectedAttributes, found {other:?}"),
    }
}

fn by_key(t: &dynorm::TableClient<Order>, number: i64) -> dynorm::partiql::PartiqlRead<Order> {
    t.partiql(r#"SELECT * FROM "orders" WHERE customer = ? AND "number" = ?"#)
        .bind("ada")
        .bind(number)
}

#[tokio::test]
async fn a_batch_decodes_each_statement_into_its_type_and_reports_each_error_on_its_own() {
    let embedded = orders("ada", 5).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let mut results = client
            .partiql_batch()
            .statement(by_key(&t, 2))
            .statement(by_key(&t, 3).project::<OrderKeys>())
            .statement(by_key(&t, 99))
            // Not by the whole primary key: DynamoDB refuses this statement only.
            .statement(
                t.partiql(r#"SELECT * FROM "orders" WHERE customer = ?"#)
                    .bind("ada"),
            )
            .send()
            .await
            .expect("batch");
        assert_eq!(results.len(), 4);
        assert_eq!(
            results.take::<Order>(0).expect("order"),
            Some(Order::new("ada", 2)),
            "{path}"
        );
        assert_eq!(
            results.take::<OrderKeys>(1).expect("keys").map(|k| k.number),
            Some(3)
        );
        assert_eq!(results.take::<Order>(2).expect("absent"), None);
        match results.take::<Order>(3) {
            Err(Error::Validation { table, .. }) => assert_eq!(table, "orders"),
            other => panic!("{path}: expected the statement's own Validation error, found {other:?}"),
        }
        // Another type, or an answer taken twice: typed refusals.
        assert!(matches!(
            results.take::<Order>(0),
            Err(Error::InvalidRequest { .. })
        ));
        match results.take::<Order>(1) {
            Err(Error::InvalidRequest { message, .. }) => assert!(message.contains("OrderKeys"), "{message}"),
            other => panic!("expected InvalidRequest, found {other:?}"),
        }
    }
}

#[tokio::test]
async fn batches_and_transactions_are_checked_against_the_model_and_the_limits() {
    let client = orders("ada", 3).await;
    let t = client.table::<Order>();
    // The statement check of a single statement, first refusal returned.
    let unknown = client
        .partiql_batch()
        .statement(by_key(&t, 1))
        .statement(
            t.partiql(r#"SELECT * FROM "orders" WHERE customer = ? AND colour = ?"#)
                .bind("ada")
                .bind("red"),
        )
        .send()
        .await
        .expect_err("unknown attribute");
    let (_, message) = refused(unknown);
    assert!(message.contains("colour"), "{message}");
    let unbound = client
        .partiql_transaction()
        .statement(by_key(&t, 1).bind(3i64))
        .send()
        .await;
    assert!(matches!(unbound, Err(Error::InvalidStatement { .. })));
    // DynamoDB's limits: 25 statements for a batch, 100 for a transaction, at least one.
    let limit = |result: dynorm::Result<dynorm::partiql_batch::StatementResults>| match result {
        Err(Error::InvalidRequest { message, .. }) => message,
        other => panic!("expected InvalidRequest, found {other:?}"),
    };
    let batch = (0..26).fold(client.partiql_batch(), |b, n| b.statement(by_key(&t, n)));
    assert_eq!(
        limit(batch.send().await),
        "a PartiQL batch (BatchExecuteStatement) takes 1 to 25 statements; 26 given"
    );
    let transaction = (0..101).fold(client.partiql_transaction(), |b, n| b.statement(by_key(&t, n)));
    assert_eq!(
        limit(transaction.send().await),
        "a PartiQL transaction (ExecuteTransaction) takes 1 to 100 statements; 101 given"
    );
    assert!(limit(client.partiql_batch().send().await).contains("0 given"));
    let paged = client
        .partiql_batch()
        .statement(by_key(&t, 1).page_size(1))
        .send()
        .await;
    assert!(matches!(paged, Err(Error::InvalidStatement { .. })));
}

#[tokio::test]
async fn a_transaction_reads_typed_items_and_its_refusal_is_typed() {
    let embedded = orders("ada", 3).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let mut results = client
            .partiql_transaction()
            .statement(by_key(&t, 0))
            .statement(by_key(&t, 2).project::<OrderKeys>())
            .statement(by_key(&t, 7))
            .send()
            .await
            .expect("transaction");
        assert_eq!(
            results.take::<Order>(0).expect("order"),
            Some(Order::new("ada", 0)),
            "{path}"
        );
        assert_eq!(
            results.take::<OrderKeys>(1).expect("keys").map(|k| k.number),
            Some(2)
        );
        assert_eq!(results.take::<Order>(2).expect("absent"), None);
        // One item twice is refused as a whole, before any statement runs.
        let twice = client
            .partiql_transaction()
            .statement(by_key(&t, 1))
            .statement(by_key(&t, 1))
            .send()
            .await;
        assert!(
            matches!(twice, Err(Error::Validation { .. })),
            "{path}: {twice:?}"
        );
        // A key of the wrong type cancels the transaction: the typed cancellation, one reason
        // per statement.
        let wrong_type = t
            .partiql(r#"SELECT * FROM "orders" WHERE customer = ? AND "number" = ?"#)
            .bind(7i64)
            .bind(1i64);
        match client
            .partiql_transaction()
            .statement(by_key(&t, 0))
            .statement(wrong_type)
            .send()
            .await
        {
            Err(Error::TransactionCanceled { reasons }) => {
                let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
                assert_eq!(codes, ["None", "ValidationError"], "{path}");
            }
            other => panic!("{path}: expected TransactionCanceled, found {other:?}"),
        }
    }
}

#[tokio::test]
async fn batches_and_transactions_go_through_the_engine_like_every_request() {
    // Recorded by the instrumented engine: one request each, named as DynamoDB names it, with
    // the values bound as parameters (never in the text).
    let client = orders("ada", 3).await;
    let (watched, recording) = dynorm::testing::instrument(&client);
    let t = watched.table::<Order>();
    let mut batch = watched
        .partiql_batch()
        .statement(by_key(&t, 1))
        .statement(by_key(&t, 2))
        .send()
        .await
        .expect("batch");
    assert_eq!(batch.take::<Order>(1).expect("order"), Some(Order::new("ada", 2)));
    let mut transaction = watched
        .partiql_transaction()
        .statement(by_key(&t, 0))
        .send()
        .await
        .expect("transaction");
    assert_eq!(
        transaction.take::<Order>(0).expect("order"),
        Some(Order::new("ada", 0))
    );
    assert_eq!(
        recording.operations(),
        ["BatchExecuteStatement", "ExecuteTransaction"]
    );
    let sent = recording.requests();
    assert_eq!(sent[0].count, 2);
    let text = sent[0].statement.as_deref().unwrap_or_default();
    assert!(!text.contains("ada"), "values are parameters: {text}");
    assert_eq!(
        sent[0].parameters,
        [
            AttributeValue::S("ada".into()),
            AttributeValue::N("1".into()),
            AttributeValue::S("ada".into()),
            AttributeValue::N("2".into()),
        ]
    );
}

//! Typed transactions on both engine paths.

use dynorm::expr::{Update, attr};
use dynorm::transaction::TransactAction;
use dynorm::{AttributeValue, Client, Error, Item, Table};

use crate::support::{User, both_paths, users_definition};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "orders")]
struct Order {
    #[dynorm(partition_key)]
    customer: String,
    #[dynorm(sort_key)]
    number: i64,
    total: i64,
}

async fn embedded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(&users_definition())
        .await
        .expect("create users");
    client.table::<Order>().create().await.expect("create orders");
    client
}

fn id_key(id: &str) -> Item {
    Item::from([("id".to_owned(), AttributeValue::S(id.to_owned()))])
}

#[tokio::test]
async fn writes_succeed_and_echo_what_they_wrote() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let orders = client.table::<Order>();
        let ada = User::new(&format!("{path}-ada"), "Ada", 36);
        let gone = User::new(&format!("{path}-gone"), "Gone", 1);
        users.put(&gone).await.expect("put");
        let order = Order {
            customer: ada.id.clone(),
            number: 1,
            total: 250,
        };
        let outcome = client
            .transact_write()
            .put(&users, &ada)
            .put_if(&orders, &order, attr("customer").not_exists())
            .update(&users, gone.key_of(), Update::new().increment("age", 1))
            .delete(&users, User::key(&format!("{path}-nobody")))
            .idempotency_token(format!("{path}-token-1"))
            .send()
            .await
            .expect("transaction");
        assert_eq!(outcome.items.len(), 4);
        assert_eq!(
            outcome.get::<User>(0).expect("decode"),
            Some(ada.clone()),
            "{path}"
        );
        assert_eq!(
            outcome.get::<Order>(1).expect("decode"),
            Some(order.clone()),
            "{path}"
        );
        assert_eq!(outcome.get::<User>(2).expect("not a put"), None);
        assert_eq!(outcome.items[2].action, TransactAction::Update);
        assert_eq!(outcome.items[2].key, id_key(&gone.id));
        assert_eq!(outcome.items[3].action, TransactAction::Delete);
        assert!(matches!(
            outcome.get::<User>(4),
            Err(Error::InvalidRequest { .. })
        ));

        assert_eq!(users.get(ada.key_of()).await.expect("get"), Some(ada.clone()));
        assert_eq!(
            orders.get(order.key_of()).await.expect("get"),
            Some(order.clone())
        );
        assert_eq!(
            users.get(gone.key_of()).await.expect("get").map(|u| u.age),
            Some(2)
        );

        // A condition check passing lets the others through.
        client
            .transact_write()
            .condition_check(&users, ada.key_of(), attr("age").eq(36))
            .delete(&users, gone.key_of())
            .await
            .expect("checked delete");
        assert_eq!(users.get(gone.key_of()).await.expect("get"), None, "{path}");
    }
}

#[tokio::test]
async fn a_cancelled_transaction_names_each_item() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let orders = client.table::<Order>();
        let ada = User::new(&format!("{path}-ada"), "Ada", 36);
        users.put(&ada).await.expect("put");
        let order = Order {
            customer: format!("{path}-bob"),
            number: 7,
            total: 10,
        };
        let err = client
            .transact_write()
            .put(&orders, &order)
            .update(&users, ada.key_of(), Update::new().set("name", "Ada L."))
            .condition(attr("age").gt(40))
            .return_items_on_cancel(true)
            .send()
            .await
            .expect_err("cancelled");
        let items = err.canceled_items().expect("per-item reasons").to_vec();
        assert_eq!(items.len(), 2, "{path}");
        assert_eq!(items[0].index, 0);
        assert_eq!(items[0].table, "orders");
        assert_eq!(items[0].action, TransactAction::Put);
        assert_eq!(items[0].reason.code, "None", "{path}");
        assert_eq!(
            items[0].key,
            Item::from([
                ("customer".to_owned(), AttributeValue::S(order.customer.clone())),
                ("number".to_owned(), AttributeValue::N("7".into())),
            ])
        );
        assert_eq!(items[1].table, "users");
        assert_eq!(items[1].key, id_key(&ada.id));
        assert!(items[1].is_conditional_check_failed(), "{path}: {:?}", items[1]);
        assert_eq!(
            items[1].reason.item.as_ref(),
            Some(&ada.to_item().expect("encode")),
            "{path}"
        );
        assert!(err.to_string().contains("ConditionalCheckFailed"), "{err}");
        // Nothing was written.
        assert_eq!(orders.get(order.key_of()).await.expect("get"), None, "{path}");
        assert_eq!(users.get(ada.key_of()).await.expect("get"), Some(ada.clone()));
    }
}

#[tokio::test]
async fn limits_and_duplicates_are_refused_before_sending() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let mut tx = client.transact_write();
        for i in 0..101 {
            tx = tx.put(&users, &User::new(&format!("{path}-{i}"), "n", i));
        }
        assert_eq!(tx.len(), 101);
        match tx.send().await {
            Err(Error::TooManyItems {
                count: 101,
                limit: 100,
                ..
            }) => {}
            other => panic!("{path}: expected TooManyItems, got {other:?}"),
        }
        assert_eq!(
            users.get(User::key(&format!("{path}-0"))).await.expect("get"),
            None
        );

        // 100 is fine.
        let mut tx = client.transact_write();
        for i in 0..100 {
            tx = tx.put(&users, &User::new(&format!("{path}-{i}"), "n", i));
        }
        assert_eq!(tx.send().await.expect("100 items").items.len(), 100, "{path}");

        let err = client
            .transact_write()
            .put(&users, &User::new(&format!("{path}-x"), "a", 1))
            .delete(&users, User::key(&format!("{path}-y")))
            .update(
                &users,
                User::key(&format!("{path}-x")),
                Update::new().set("age", 2),
            )
            .send()
            .await
            .expect_err("duplicate");
        match err {
            Error::DuplicateTransactionItem {
                table,
                key,
                first,
                second,
            } => {
                assert_eq!((table.as_str(), first, second), ("users", 0, 2));
                assert!(key.contains(&format!("{path}-x")), "{key}");
            }
            other => panic!("{path}: expected DuplicateTransactionItem, got {other:?}"),
        }

        let err = client
            .transact_write()
            .condition(attr("a").exists())
            .send()
            .await
            .expect_err("condition before any item");
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");

        let mut get = client.transact_get();
        for i in 0..101 {
            get = get.get(&users, User::key(&format!("{path}-{i}")));
        }
        assert!(matches!(
            get.send().await,
            Err(Error::TooManyItems { count: 101, .. })
        ));
    }
}

#[tokio::test]
async fn transact_get_returns_typed_items_in_order() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let orders = client.table::<Order>();
        let ada = User::new(&format!("{path}-ada"), "Ada", 36);
        let order = Order {
            customer: ada.id.clone(),
            number: 3,
            total: 99,
        };
        users.put(&ada).await.expect("put");
        orders.put(&order).await.expect("put");
        let read = client
            .transact_get()
            .get(&orders, order.key_of())
            .get(&users, User::key(&format!("{path}-nobody")))
            .get(&users, ada.key_of())
            .await
            .expect("transact get");
        assert_eq!(read.len(), 3);
        assert_eq!(
            read.get::<Order>(0).expect("decode"),
            Some(order.clone()),
            "{path}"
        );
        assert_eq!(read.get::<User>(1).expect("decode"), None, "{path}");
        assert_eq!(read.get::<User>(2).expect("decode"), Some(ada.clone()), "{path}");
        assert!(read.item(1).is_none());
        assert!(matches!(read.get::<User>(3), Err(Error::InvalidRequest { .. })));
        // Decoding as the wrong type is a decode error naming the missing attribute.
        match read.get::<User>(0) {
            Err(Error::Decode(e)) => assert_eq!(e.attribute.as_deref(), Some("id")),
            other => panic!("{path}: expected a decode error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn missing_tables_are_reported() {
    let embedded = dynorm::testing::client().await.expect("test client");
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let err = client
            .transact_write()
            .put(&users, &User::new("a", "A", 1))
            .await
            .expect_err("no table");
        assert!(
            err.is_table_not_found() || err.canceled_items().is_some() || err.is_validation(),
            "{path}: {err:?}"
        );
    }
}

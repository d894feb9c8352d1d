//! `#[dynorm::test]`: each test gets its own embedded database with the named tables created.
#![allow(clippy::unwrap_used)]

use dynorm::Table;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users", compat = "da_vinci")]
#[dynorm(gsi(name = "email_index", partition_key = email))]
struct User {
    #[dynorm(partition_key)]
    user_id: String,
    email: String,
    nickname: Option<String>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "order_items")]
#[dynorm(composite(name = "order_user", fields(order_id, user_id), partition_key))]
#[dynorm(lsi(name = "by_quantity", sort_key = quantity, projection = "keys_only"))]
struct OrderItem {
    order_id: String,
    user_id: String,
    #[dynorm(sort_key)]
    item_id: String,
    quantity: u32,
}

#[dynorm::test(tables(User, OrderItem))]
async fn put_and_get_through_the_engine(db: dynorm::Client) -> dynorm::Result<()> {
    let users = db.table::<User>();
    let alice = User {
        user_id: "u1".into(),
        email: "alice@example.com".into(),
        nickname: None,
    };
    users.put(&alice).await?;
    assert_eq!(users.get(User::key("u1")).await?, Some(alice));
    assert_eq!(users.get(User::key("nobody")).await?, None);

    let items = db.table::<OrderItem>();
    let line = OrderItem {
        order_id: "o#1".into(),
        user_id: "u\\1".into(),
        item_id: "i".into(),
        quantity: 3,
    };
    items.put(&line).await?;
    assert_eq!(items.get(OrderItem::key("o#1", "u\\1", "i")).await?, Some(line));
    Ok(())
}

#[dynorm::test(tables(User))]
async fn every_test_has_its_own_database(db: dynorm::Client) {
    // The other test's item is not here.
    let users = db.table::<User>();
    assert_eq!(users.get(User::key("u1")).await.unwrap(), None);
    // Embedded unless the suite runs against an endpoint (DYNORM_TEST_ENDPOINT).
    assert_eq!(db.is_embedded(), dynorm::testing::endpoint().is_none());
}

#[dynorm::test]
async fn without_tables_or_client() {}

#[dynorm::test(tables(User))]
#[should_panic(expected = "boom")]
async fn other_test_attributes_are_kept(_db: dynorm::Client) {
    panic!("boom");
}

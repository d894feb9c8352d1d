//! Client-side validation: oversized items and bad key attributes are refused before anything is
//! sent, with typed errors naming the table and attribute.

use dynorm::{AttributeValue, Client, Error, Item, Key, Table};

use crate::support::{self, User, both_paths, users_definition};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "docs")]
struct Doc {
    #[dynorm(partition_key)]
    pk: String,
    #[dynorm(sort_key)]
    sk: String,
    body: String,
}

async fn embedded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(&users_definition())
        .await
        .expect("create users");
    client.create_table(Doc::definition()).await.expect("create docs");
    client
}

fn invalid_key(err: Error) -> (String, String, String) {
    match err {
        Error::InvalidKey {
            table,
            attribute,
            reason,
        } => (table, attribute, reason),
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

#[tokio::test]
async fn items_over_400_kb_are_refused_with_their_size() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        // name bytes + value bytes: "id" + id, "name" + name, "age" + 2.
        let id = format!("{path}-big");
        let fixed = 2 + id.len() + 4 + 3 + 2;
        let just_fits = User::new(&id, &"x".repeat(400 * 1024 - fixed), 1);
        users.put(&just_fits).await.expect("exactly 400 KB is fine");
        let too_big = User::new(&id, &"x".repeat(400 * 1024 - fixed + 1), 1);
        match users.put(&too_big).await {
            Err(Error::ItemTooLarge {
                table,
                key,
                size,
                limit,
            }) => {
                assert_eq!(table, "users");
                assert_eq!(key, format!("id = \"{id}\""));
                assert_eq!(size, 400 * 1024 + 1);
                assert_eq!(limit, 400 * 1024);
            }
            other => panic!("{path}: expected ItemTooLarge, got {other:?}"),
        }
        assert!(matches!(
            users.upsert(&too_big).await,
            Err(Error::ItemTooLarge { .. })
        ));
        // Nothing was written: the stored item is still the one that fit.
        assert_eq!(users.get(too_big.key_of()).await.expect("get"), Some(just_fits));
    }
}

#[tokio::test]
async fn empty_and_oversized_keys_are_refused() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let docs = client.table::<Doc>();
        let doc = |pk: &str, sk: &str| Doc {
            pk: pk.to_owned(),
            sk: sk.to_owned(),
            body: "b".to_owned(),
        };
        let (table, attribute, reason) = invalid_key(docs.put(&doc("", "s")).await.expect_err("empty"));
        assert_eq!((table.as_str(), attribute.as_str()), ("docs", "pk"), "{path}");
        assert!(reason.contains("must not be empty"), "{reason}");
        let (_, attribute, _) = invalid_key(docs.put(&doc("p", "")).await.expect_err("empty sort key"));
        assert_eq!(attribute, "sk");

        docs.put(&doc(&"p".repeat(2048), "s"))
            .await
            .expect("2048-byte partition key");
        let (_, attribute, reason) =
            invalid_key(docs.put(&doc(&"p".repeat(2049), "s")).await.expect_err("2049"));
        assert_eq!(attribute, "pk");
        assert!(reason.contains("at most 2048 bytes, found 2049"), "{reason}");
        docs.put(&doc("p", &"s".repeat(1024)))
            .await
            .expect("1024-byte sort key");
        let (_, attribute, reason) =
            invalid_key(docs.put(&doc("p", &"s".repeat(1025))).await.expect_err("1025"));
        assert_eq!(attribute, "sk");
        assert!(reason.contains("at most 1024 bytes, found 1025"), "{reason}");

        // Every operation checks its key.
        let bad = || Doc::key("", "s");
        assert!(matches!(docs.get(bad()).await, Err(Error::InvalidKey { .. })));
        assert!(matches!(
            docs.get_or_fail(bad()).await,
            Err(Error::InvalidKey { .. })
        ));
        assert!(matches!(docs.delete(bad()).await, Err(Error::InvalidKey { .. })));
        assert!(matches!(
            docs.update(bad()).set("body", "x").await,
            Err(Error::InvalidKey { .. })
        ));
        assert!(matches!(
            docs.upsert(&doc("", "s")).await,
            Err(Error::InvalidKey { .. })
        ));
        assert!(matches!(
            docs.cached(4).get(bad()).await,
            Err(Error::InvalidKey { .. })
        ));
    }
}

#[tokio::test]
async fn key_types_numbers_and_missing_parts_are_checked() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let key = |v: AttributeValue| Key::<User>::from_item(Item::from([("id".to_owned(), v)]));
        let (table, attribute, reason) = invalid_key(
            users
                .get(key(AttributeValue::N("1".into())))
                .await
                .expect_err("type"),
        );
        assert_eq!((table.as_str(), attribute.as_str()), ("users", "id"), "{path}");
        assert_eq!(reason, "expected S, found N");
        let (_, _, reason) = invalid_key(
            users
                .get(key(AttributeValue::Bool(true)))
                .await
                .expect_err("type"),
        );
        assert_eq!(reason, "expected S, found BOOL");
        let (_, _, reason) = invalid_key(
            users
                .get(Key::from_item(Item::from([(
                    "other".to_owned(),
                    AttributeValue::S("x".into()),
                )])))
                .await
                .expect_err("missing"),
        );
        assert!(reason.contains("missing"), "{reason}");
        let docs = client.table::<Doc>();
        let (_, attribute, _) = invalid_key(
            docs.get(Key::from_item(Item::from([(
                "pk".to_owned(),
                AttributeValue::S("p".into()),
            )])))
            .await
            .expect_err("no sort key"),
        );
        assert_eq!(attribute, "sk");
    }

    // Number keys: valid DynamoDB numbers only.
    let numbers = dynorm::testing::client().await.expect("test client");
    numbers
        .create_table(support::NumericUser::definition())
        .await
        .expect("create");
    for (path, client) in both_paths(&numbers) {
        let table = client.table::<support::NumericUser>();
        let key = |n: &str| {
            Key::<support::NumericUser>::from_item(Item::from([(
                "id".to_owned(),
                AttributeValue::N(n.to_owned()),
            )]))
        };
        for bad in ["abc", "", "1.2.3", "NaN", &"9".repeat(39)] {
            let (_, attribute, reason) = invalid_key(table.get(key(bad)).await.expect_err("bad number"));
            assert_eq!(attribute, "id", "{path}: {bad}");
            assert!(reason.contains("number"), "{path}: {bad}: {reason}");
        }
        assert_eq!(table.get(key("-1.5e3")).await.expect("a valid number"), None);
    }
}

/// A users item holding one value nested `levels` deep.
struct Deep(std::sync::Mutex<Option<AttributeValue>>);

impl Table for Deep {
    fn definition() -> &'static dynorm::TableDefinition {
        User::definition()
    }

    fn to_item(&self) -> Result<Item, dynorm::EncodeError> {
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

    fn from_item(_: Item) -> Result<Self, dynorm::DecodeError> {
        Err(dynorm::DecodeError::custom("not read back"))
    }

    fn key_item(&self) -> Result<Item, dynorm::EncodeError> {
        Ok(Item::from([("id".to_owned(), AttributeValue::S("deep".into()))]))
    }
}

#[test]
fn deeply_nested_values_are_refused_by_put_and_upsert_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async {
                    let embedded = embedded().await;
                    for (path, client) in both_paths(&embedded) {
                        let table = client.table::<Deep>();
                        let deep = || {
                            let mut v = AttributeValue::S("leaf".into());
                            for _ in 0..10_000 {
                                v = AttributeValue::L(vec![v]);
                            }
                            Deep(std::sync::Mutex::new(Some(v)))
                        };
                        let err = table.put(&deep()).await.expect_err("refused");
                        assert!(err.is_validation(), "{path}: {err:?}");
                        let err = match table.upsert(&deep()).await {
                            Err(e) => e,
                            Ok(_) => panic!("{path}: a 10,000-level value was upserted"),
                        };
                        assert!(err.is_validation(), "{path}: {err:?}");
                    }
                })
        })
        .expect("spawn");
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}

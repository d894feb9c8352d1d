//! Query on the table, a GSI and an LSI: key conditions, filters, order, projections and
//! indexes that hold only some attributes — on both engine paths.

use dynorm::Error;
use dynorm::expr::{Filter, KeyCondition, attr};

use crate::query_fixture::{Order, OrderKeys, OrderName, OrderTotal, both_paths, numbers, orders};

fn by_customer() -> KeyCondition {
    KeyCondition::partition("customer", "ada")
}

#[tokio::test]
async fn every_sort_key_operator_on_the_table() {
    let embedded = orders("ada", 10).await;
    embedded
        .table::<Order>()
        .put(&Order::new("bob", 3))
        .await
        .expect("put");
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let run = |key: KeyCondition| t.query(key).all();
        assert_eq!(
            numbers(&run(by_customer()).await.expect("all")),
            (0..10).collect::<Vec<_>>(),
            "{path}"
        );
        assert_eq!(
            numbers(&run(by_customer().sort_eq("number", 4)).await.expect("eq")),
            [4],
            "{path}"
        );
        assert_eq!(
            numbers(&run(by_customer().sort_lt("number", 3)).await.expect("lt")),
            [0, 1, 2],
            "{path}"
        );
        assert_eq!(
            numbers(&run(by_customer().sort_le("number", 3)).await.expect("le")),
            [0, 1, 2, 3],
            "{path}"
        );
        assert_eq!(
            numbers(&run(by_customer().sort_gt("number", 7)).await.expect("gt")),
            [8, 9],
            "{path}"
        );
        assert_eq!(
            numbers(&run(by_customer().sort_ge("number", 7)).await.expect("ge")),
            [7, 8, 9],
            "{path}"
        );
        assert_eq!(
            numbers(
                &run(by_customer().sort_between("number", 3, 5))
                    .await
                    .expect("between")
            ),
            [3, 4, 5],
            "{path}"
        );
        // begins_with needs a string sort key: the LSI on `name`.
        let prefixed = t
            .query(by_customer().sort_begins_with("name", "item-00"))
            .index("by_name")
            .all()
            .await
            .expect("begins_with");
        assert_eq!(numbers(&prefixed), (0..10).collect::<Vec<_>>(), "{path}");
        let none = t
            .query(by_customer().sort_begins_with("name", "other"))
            .index("by_name")
            .all()
            .await
            .expect("begins_with");
        assert!(none.is_empty(), "{path}");
        // Whole items come back, decoded.
        assert_eq!(
            run(KeyCondition::partition("customer", "bob"))
                .await
                .expect("bob"),
            [Order::new("bob", 3)]
        );
    }
}

#[tokio::test]
async fn gsi_and_lsi_queries_and_query_partition() {
    let embedded = orders("ada", 10).await;
    embedded
        .table::<Order>()
        .put(&Order::new("bob", 4))
        .await
        .expect("put");
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        // GSI: every open order of every customer, by number.
        let open = t
            .query(KeyCondition::partition("status", "open").sort_ge("number", 4))
            .index("by_status")
            .all()
            .await
            .expect("gsi");
        let mut got: Vec<(String, i64)> = open.iter().map(|o| (o.customer.clone(), o.number)).collect();
        got.sort();
        let want = [("ada", 4), ("ada", 6), ("ada", 8), ("bob", 4)].map(|(c, n)| (c.to_owned(), n));
        assert_eq!(got, want, "{path}");
        // query_partition takes the partition key name from the index.
        let shipped = t
            .query_partition("shipped")
            .index("by_status")
            .all()
            .await
            .expect("gsi");
        assert_eq!(numbers(&shipped), [1, 3, 5, 7, 9], "{path}");
        assert_eq!(
            numbers(&t.query_partition("bob").all().await.expect("table")),
            [4],
            "{path}"
        );
        // LSI: ordered by name, strongly consistent reads allowed.
        let by_name = t
            .query(by_customer().sort_lt("name", "item-003"))
            .index("by_name")
            .consistent_read()
            .all()
            .await
            .expect("lsi");
        assert_eq!(numbers(&by_name), [0, 1, 2], "{path}");
    }
}

#[tokio::test]
async fn filters_with_reserved_words_and_runtime_triples() {
    let embedded = orders("ada", 20).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let open = t
            .query(by_customer())
            .filter(attr("status").eq("open") & attr("name").begins_with("item-01"))
            .all()
            .await
            .expect("filter");
        assert_eq!(numbers(&open), [10, 12, 14, 16, 18], "{path}");
        // Two filter calls are joined with AND.
        let both = t
            .query(by_customer())
            .filter(attr("status").eq("shipped"))
            .filter(attr("total").gt(150))
            .all()
            .await
            .expect("filters");
        assert_eq!(numbers(&both), [17, 19], "{path}");
        // The run-time (attribute, comparison, value) filter.
        let mut triples = Filter::new(<Order as dynorm::Table>::definition());
        triples.add("status", "equal", "open").expect("status");
        triples.add("name", "contains", "-00").expect("name");
        let found = t
            .query(by_customer())
            .filter(&triples)
            .all()
            .await
            .expect("triples");
        assert_eq!(numbers(&found), [0, 2, 4, 6, 8], "{path}");
    }
}

#[tokio::test]
async fn descending_order_and_count() {
    let embedded = orders("ada", 12).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let down = t
            .query(by_customer().sort_lt("number", 5))
            .descending()
            .all()
            .await
            .expect("desc");
        assert_eq!(numbers(&down), [4, 3, 2, 1, 0], "{path}");
        let gsi_down = t
            .query_partition("open")
            .index("by_status")
            .descending()
            .page_size(2)
            .all()
            .await
            .expect("desc");
        assert_eq!(numbers(&gsi_down), [10, 8, 6, 4, 2, 0], "{path}");
        assert_eq!(t.query(by_customer()).count().await.expect("count"), 12, "{path}");
        // A count pages too (page size 5: three pages) and applies the filter.
        assert_eq!(
            t.query(by_customer())
                .filter(attr("status").eq("open"))
                .page_size(5)
                .count()
                .await
                .expect("count"),
            6,
            "{path}"
        );
        assert_eq!(
            t.query(by_customer())
                .page_size(5)
                .max_pages(2)
                .count()
                .await
                .expect("count"),
            10,
            "{path}"
        );
        assert_eq!(
            t.query_partition("nobody").count().await.expect("count"),
            0,
            "{path}"
        );
    }
}

#[tokio::test]
async fn bad_requests_are_typed_errors() {
    let embedded = orders("ada", 3).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        match t.query(by_customer()).index("by_colour").all().await {
            Err(Error::UnknownIndex { table, index, known }) => {
                assert_eq!(
                    (table.as_str(), index.as_str()),
                    ("orders", "by_colour"),
                    "{path}"
                );
                assert_eq!(
                    known,
                    ["by_status", "by_status_keys", "by_status_include", "by_name"],
                    "{path}"
                );
            }
            other => panic!("{path}: expected UnknownIndex, got {other:?}"),
        }
        match t.query(KeyCondition::partition("status", "open")).all().await {
            Err(Error::InvalidKeyCondition {
                table,
                index,
                expected,
                found,
            }) => {
                assert_eq!(table, "orders");
                assert_eq!(index, None);
                assert!(expected.contains("`customer`"), "{expected}");
                assert!(found.contains("`status`"), "{found}");
            }
            other => panic!("{path}: expected InvalidKeyCondition, got {other:?}"),
        }
        match t
            .query(KeyCondition::partition("status", "open").sort_eq("name", "x"))
            .index("by_status")
            .page()
            .await
        {
            Err(Error::InvalidKeyCondition {
                index,
                expected,
                found,
                ..
            }) => {
                assert_eq!(index.as_deref(), Some("by_status"));
                assert!(expected.contains("`number`"), "{expected}");
                assert!(found.contains("`name`"), "{found}");
            }
            other => panic!("{path}: expected InvalidKeyCondition, got {other:?}"),
        }
        match t
            .query_partition("open")
            .index("by_status")
            .consistent_read()
            .all()
            .await
        {
            Err(Error::InvalidRequest {
                table,
                index,
                message,
            }) => {
                assert_eq!((table.as_str(), index.as_deref()), ("orders", Some("by_status")));
                assert!(message.contains("consistent"), "{message}");
            }
            other => panic!("{path}: expected InvalidRequest, got {other:?}"),
        }
        assert!(
            matches!(
                t.query(by_customer()).page_size(0).page().await,
                Err(Error::InvalidRequest { .. })
            ),
            "{path}"
        );
        // A key value of the wrong type is the engine's validation error.
        let wrong = t.query(KeyCondition::partition("customer", 7)).all().await;
        assert!(
            matches!(wrong, Err(Error::Validation { .. })),
            "{path}: {wrong:?}"
        );
    }
}

#[tokio::test]
async fn projections_and_partial_indexes() {
    let embedded = orders("ada", 6).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        // A projection type on the table reads only its attributes.
        let totals = t
            .query(by_customer().sort_lt("number", 3))
            .project::<OrderTotal>()
            .all()
            .await
            .expect("project");
        assert_eq!(
            totals,
            (0..3)
                .map(|n| OrderTotal {
                    number: n,
                    total: n * 10
                })
                .collect::<Vec<_>>(),
            "{path}"
        );

        // Whole items from a keys-only index: refused, naming what the index lacks.
        match t.query_partition("open").index("by_status_keys").all().await {
            Err(Error::IndexProjection {
                table,
                index,
                missing,
            }) => {
                assert_eq!((table.as_str(), index.as_str()), ("orders", "by_status_keys"));
                assert_eq!(missing, ["name", "total"], "{path}");
            }
            other => panic!("{path}: expected IndexProjection, got {other:?}"),
        }
        match t.query_partition("open").index("by_status_include").page().await {
            Err(Error::IndexProjection { missing, .. }) => assert_eq!(missing, ["total"], "{path}"),
            other => panic!("{path}: expected IndexProjection, got {other:?}"),
        }
        match t
            .scan()
            .index("by_status_keys")
            .project::<OrderName>()
            .all()
            .await
        {
            Err(Error::IndexProjection { missing, .. }) => assert_eq!(missing, ["name"], "{path}"),
            other => panic!("{path}: expected IndexProjection, got {other:?}"),
        }
        match t
            .query_partition("open")
            .index("by_status_include")
            .project::<OrderTotal>()
            .all()
            .await
        {
            Err(Error::IndexProjection { missing, .. }) => assert_eq!(missing, ["total"], "{path}"),
            other => panic!("{path}: expected IndexProjection, got {other:?}"),
        }

        // Projection types the index holds.
        let keys = t
            .query_partition("open")
            .index("by_status_keys")
            .project::<OrderKeys>()
            .all()
            .await
            .expect("keys");
        assert_eq!(
            keys,
            [0, 2, 4]
                .map(|n| OrderKeys {
                    customer: "ada".into(),
                    number: n,
                    status: "open".into()
                })
                .to_vec(),
            "{path}"
        );
        let names = t
            .query_partition("shipped")
            .index("by_status_include")
            .project::<OrderName>()
            .all()
            .await
            .expect("names");
        assert_eq!(
            names,
            [1, 3, 5]
                .map(|n| OrderName {
                    number: n,
                    name: format!("item-{n:03}")
                })
                .to_vec(),
            "{path}"
        );

        // Or the full items, read by their table keys, in index order.
        let full = t
            .query_partition("shipped")
            .index("by_status_keys")
            .descending()
            .fetch_full_items()
            .all()
            .await
            .expect("full");
        assert_eq!(full, [5, 3, 1].map(|n| Order::new("ada", n)).to_vec(), "{path}");
        let page = t
            .query_partition("open")
            .index("by_status_include")
            .page_size(2)
            .fetch_full_items()
            .page()
            .await
            .expect("full page");
        assert_eq!(
            page.items,
            [0, 2].map(|n| Order::new("ada", n)).to_vec(),
            "{path}"
        );
        assert!(page.cursor.is_some(), "{path}");
        // Counting reads no attribute, so any index can be counted.
        assert_eq!(
            t.query_partition("open")
                .index("by_status_keys")
                .count()
                .await
                .expect("count"),
            3,
            "{path}"
        );
    }
}

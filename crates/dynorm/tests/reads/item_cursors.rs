//! Per-item cursors (`Read::page_with_cursors`): every item of a page carries a cursor that
//! resumes the read right after it, on the table, a GSI, a keys-only index through a projection
//! and with full items fetched — on both engine paths.

use dynorm::Error;
use dynorm::query::Edge;

use crate::query_fixture::{self, Order, OrderKeys, both_paths, numbers, orders};

fn items<O: Clone>(edges: &[Edge<O>]) -> Vec<O> {
    edges.iter().map(|e| e.item.clone()).collect()
}

#[tokio::test]
async fn every_item_cursor_resumes_right_after_its_item() {
    let embedded = orders("ada", 12).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let page = t
            .query_partition("ada")
            .limit(5)
            .page_with_cursors()
            .await
            .expect("page");
        assert_eq!(numbers(&items(&page.items)), [0, 1, 2, 3, 4], "{path}");
        for (position, edge) in page.items.iter().enumerate() {
            // As a GraphQL `after:` argument would: the string goes out and comes back.
            let text = edge.cursor.to_string();
            let rest = t
                .query_partition("ada")
                .start_after(text.parse().expect("infallible"))
                .all()
                .await
                .expect("resume");
            let expected: Vec<i64> = (position as i64 + 1..12).collect();
            assert_eq!(numbers(&rest), expected, "{path}: after item {position}");
        }
        // The last item's cursor and the page's cursor resume at the same place.
        let last = page.items.last().expect("items").cursor.clone();
        let by_item = t
            .query_partition("ada")
            .start_after(last)
            .all()
            .await
            .expect("resume");
        let by_page = t
            .query_partition("ada")
            .start_after(page.cursor.expect("more"))
            .all()
            .await
            .expect("resume");
        assert_eq!(by_item, by_page, "{path}");
    }
}

#[tokio::test]
async fn descending_and_scan_reads_resume_after_the_item() {
    let client = orders("ada", 6).await;
    let t = client.table::<Order>();
    let page = t
        .query_partition("ada")
        .descending()
        .limit(3)
        .page_with_cursors()
        .await
        .expect("page");
    assert_eq!(numbers(&items(&page.items)), [5, 4, 3]);
    let rest = t
        .query_partition("ada")
        .descending()
        .start_after(page.items[0].cursor.clone())
        .all()
        .await
        .expect("resume");
    assert_eq!(numbers(&rest), [4, 3, 2, 1, 0]);

    let scanned = t.scan().page_with_cursors().await.expect("scan");
    assert_eq!(scanned.items.len(), 6);
    let after_first = t
        .scan()
        .start_after(scanned.items[0].cursor.clone())
        .all()
        .await
        .expect("resume");
    assert_eq!(after_first, items(&scanned.items[1..]));
}

#[tokio::test]
async fn index_cursors_carry_the_index_key_and_belong_to_the_index() {
    let client = orders("ada", 10).await;
    let t = client.table::<Order>();
    // `by_status` keyed (status, number): the open orders are the even numbers.
    let page = t
        .query_partition("open")
        .index("by_status")
        .limit(3)
        .page_with_cursors()
        .await
        .expect("page");
    assert_eq!(numbers(&items(&page.items)), [0, 2, 4]);
    let rest = t
        .query_partition("open")
        .index("by_status")
        .start_after(page.items[0].cursor.clone())
        .all()
        .await
        .expect("resume");
    assert_eq!(numbers(&rest), [2, 4, 6, 8]);

    // An index's item cursor is refused on the table, naming both.
    let error = t
        .query_partition("ada")
        .start_after(page.items[0].cursor.clone())
        .all()
        .await
        .expect_err("cursor of another index");
    match error {
        Error::InvalidCursor { table, index, reason } => {
            assert_eq!((table.as_str(), index), ("orders", None));
            assert!(reason.contains("index `by_status`"), "{reason}");
        }
        other => panic!("expected InvalidCursor, found {other:?}"),
    }
}

#[tokio::test]
async fn projections_get_key_attributes_for_the_cursor_only() {
    let client = orders("ada", 6).await;
    let t = client.table::<Order>();
    // OrderKeys reads (customer, number, status): the keys-only index holds them all.
    let page = t
        .query_partition("shipped")
        .index("by_status_keys")
        .project::<OrderKeys>()
        .page_with_cursors()
        .await
        .expect("page");
    let got: Vec<i64> = page.items.iter().map(|e| e.item.number).collect();
    assert_eq!(got, [1, 3, 5]);
    let rest = t
        .query_partition("shipped")
        .index("by_status_keys")
        .project::<OrderKeys>()
        .start_after(page.items[0].cursor.clone())
        .all()
        .await
        .expect("resume");
    assert_eq!(rest.iter().map(|k| k.number).collect::<Vec<_>>(), [3, 5]);

    // A projection reading no key attribute still gets cursors (the keys are asked for too).
    let names = t
        .query_partition("ada")
        .project::<query_fixture::OrderName>()
        .limit(2)
        .page_with_cursors()
        .await
        .expect("page");
    let rest = t
        .query_partition("ada")
        .project::<query_fixture::OrderName>()
        .start_after(names.items[1].cursor.clone())
        .all()
        .await
        .expect("resume");
    assert_eq!(rest.iter().map(|n| n.number).collect::<Vec<_>>(), [2, 3, 4, 5]);
}

#[tokio::test]
async fn full_items_fetched_from_an_index_keep_their_cursors() {
    let client = orders("ada", 6).await;
    let t = client.table::<Order>();
    let page = t
        .query_partition("open")
        .index("by_status_keys")
        .fetch_full_items()
        .page_with_cursors()
        .await
        .expect("page");
    assert_eq!(
        items(&page.items),
        [Order::new("ada", 0), Order::new("ada", 2), Order::new("ada", 4)]
    );
    let rest = t
        .query_partition("open")
        .index("by_status_keys")
        .start_after(page.items[1].cursor.clone())
        .project::<OrderKeys>()
        .all()
        .await
        .expect("resume");
    assert_eq!(rest.iter().map(|k| k.number).collect::<Vec<_>>(), [4]);
}

#[tokio::test]
async fn a_parallel_scan_has_no_item_cursors() {
    let client = orders("ada", 3).await;
    let error = client
        .table::<Order>()
        .scan()
        .segments(2)
        .page_with_cursors()
        .await
        .expect_err("parallel scan");
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
}

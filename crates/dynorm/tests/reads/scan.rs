//! Scan: filters, projections, pages, counts, indexes and parallel scans — on both engine paths.

use std::collections::HashSet;

use dynorm::Error;
use dynorm::expr::attr;
use futures::TryStreamExt;

use crate::query_fixture::{Order, OrderKeys, OrderTotal, both_paths, orders};

fn sorted_keys(orders: &[Order]) -> Vec<(String, i64)> {
    let mut keys: Vec<_> = orders.iter().map(|o| (o.customer.clone(), o.number)).collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn scan_filter_project_page_and_count() {
    let embedded = orders("ada", 40).await;
    embedded
        .table::<Order>()
        .put(&Order::new("bob", 1))
        .await
        .expect("put");
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let all = t.scan().all().await.expect("scan");
        assert_eq!(all.len(), 41, "{path}");
        assert!(
            all.contains(&Order::new("bob", 1)) && all.contains(&Order::new("ada", 39)),
            "{path}"
        );
        let shipped = t
            .scan()
            .filter(attr("status").eq("shipped") & attr("name").contains("-03"))
            .all()
            .await
            .expect("filter");
        assert_eq!(
            sorted_keys(&shipped),
            [31, 33, 35, 37, 39].map(|n| ("ada".to_owned(), n)),
            "{path}"
        );
        let totals = t
            .scan()
            .filter(attr("customer").eq("bob"))
            .project::<OrderTotal>()
            .all()
            .await
            .expect("project");
        assert_eq!(totals, [OrderTotal { number: 1, total: 10 }], "{path}");
        assert_eq!(t.scan().count().await.expect("count"), 41, "{path}");
        assert_eq!(
            t.scan()
                .filter(attr("status").eq("open"))
                .page_size(6)
                .count()
                .await
                .expect("count"),
            20,
            "{path}"
        );
        assert_eq!(t.scan().segments(3).count().await.expect("count"), 41, "{path}");

        // Pages of 6, resumed through the cursor: every item once.
        let mut seen = Vec::new();
        let mut page = t.scan().page_size(6).page().await.expect("page");
        loop {
            assert!(page.items.len() <= 6);
            seen.append(&mut page.items);
            let Some(cursor) = page.cursor.take() else { break };
            page = t
                .scan()
                .page_size(6)
                .start_after(cursor)
                .page()
                .await
                .expect("page");
        }
        assert_eq!(sorted_keys(&seen), sorted_keys(&all), "{path}");
        assert_eq!(
            t.scan()
                .page_size(6)
                .max_pages(2)
                .all()
                .await
                .expect("capped")
                .len(),
            12,
            "{path}"
        );
        t.scan().consistent_read().all().await.expect("consistent scan");
    }
}

#[tokio::test]
async fn scan_indexes_honour_their_projection() {
    let embedded = orders("ada", 10).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        assert_eq!(
            t.scan().index("by_status").all().await.expect("all-index").len(),
            10,
            "{path}"
        );
        match t.scan().index("by_status_keys").all().await {
            Err(Error::IndexProjection { index, missing, .. }) => {
                assert_eq!(index, "by_status_keys");
                assert_eq!(missing, ["name", "total"], "{path}");
            }
            other => panic!("{path}: expected IndexProjection, got {other:?}"),
        }
        let keys = t
            .scan()
            .index("by_status_keys")
            .project::<OrderKeys>()
            .all()
            .await
            .expect("keys");
        assert_eq!(keys.len(), 10, "{path}");
        let mut full = t
            .scan()
            .index("by_status_include")
            .fetch_full_items()
            .page_size(3)
            .all()
            .await
            .expect("full");
        full.sort_by_key(|o| o.number);
        assert_eq!(
            full,
            (0..10).map(|n| Order::new("ada", n)).collect::<Vec<_>>(),
            "{path}"
        );
        assert!(
            matches!(
                t.scan().index("nope").count().await,
                Err(Error::UnknownIndex { .. })
            ),
            "{path}"
        );
        assert!(
            matches!(
                t.scan().index("by_status").consistent_read().all().await,
                Err(Error::InvalidRequest { .. })
            ),
            "{path}"
        );
    }
}

#[tokio::test]
async fn parallel_scan_yields_every_item_exactly_once() {
    let embedded = orders("ada", 0).await;
    let t = embedded.table::<Order>();
    let mut expected = HashSet::new();
    for n in 0..2_000 {
        let customer = format!("c{}", n % 97);
        t.put(&Order::new(&customer, n)).await.expect("put");
        expected.insert((customer, n));
    }
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        for (segments, concurrency) in [(8, 3), (5, 5), (1, 1), (13, 1)] {
            let items: Vec<Order> = t
                .scan()
                .segments(segments)
                .concurrency(concurrency)
                .page_size(100)
                .stream()
                .try_collect()
                .await
                .expect("parallel scan");
            assert_eq!(items.len(), 2_000, "{path} {segments}/{concurrency}");
            let keys: HashSet<(String, i64)> = items.iter().map(|o| (o.customer.clone(), o.number)).collect();
            assert_eq!(keys.len(), 2_000, "{path}: duplicates with {segments} segments");
            assert_eq!(keys, expected, "{path} {segments}/{concurrency}");
            assert!(
                items.iter().all(|o| *o == Order::new(&o.customer, o.number)),
                "{path}"
            );
        }
        let open = t
            .scan()
            .segments(4)
            .filter(attr("status").eq("open"))
            .all()
            .await
            .expect("filtered");
        assert_eq!(open.len(), 1_000, "{path}");
        assert_eq!(
            t.scan().segments(6).concurrency(2).count().await.expect("count"),
            2_000,
            "{path}"
        );

        // A parallel scan has no single cursor, needs a segment, and a concurrency.
        assert!(
            matches!(
                t.scan().segments(4).page().await,
                Err(Error::InvalidRequest { .. })
            ),
            "{path}"
        );
        assert!(
            matches!(
                t.scan().segments(0).all().await,
                Err(Error::InvalidRequest { .. })
            ),
            "{path}"
        );
        assert!(
            matches!(
                t.scan().segments(2).concurrency(0).all().await,
                Err(Error::InvalidRequest { .. })
            ),
            "{path}"
        );
        let cursor = t
            .scan()
            .page_size(1)
            .page()
            .await
            .expect("page")
            .cursor
            .expect("more");
        assert!(
            matches!(
                t.scan().segments(2).start_after(cursor).all().await,
                Err(Error::InvalidRequest { .. })
            ),
            "{path}"
        );
    }
}

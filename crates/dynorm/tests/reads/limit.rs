//! `limit(n)` caps the items a read returns, across pages (dynamo_query's and ElectroDB's
//! `limit`); `page_size(n)` is DynamoDB's `Limit` per request. A capped page's cursor resumes
//! right after its last item. On both engine paths, and through `testing::instrument`.

use dynorm::Error;
use dynorm::expr::attr;
use dynorm::testing::instrument;
use futures::TryStreamExt;

use crate::query_fixture::{Order, both_paths, numbers, orders};

#[tokio::test]
async fn limit_caps_all_stream_and_count_across_pages() {
    let embedded = orders("ada", 40).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let five = t.query_partition("ada").limit(5).all().await.expect("all");
        assert_eq!(numbers(&five), [0, 1, 2, 3, 4], "{path}");
        // Pages of 3 requests: the cap still holds across them.
        let streamed: Vec<Order> = t
            .query_partition("ada")
            .page_size(3)
            .limit(8)
            .stream()
            .try_collect()
            .await
            .expect("stream");
        assert_eq!(numbers(&streamed), (0..8).collect::<Vec<_>>(), "{path}");
        // With a filter, the cap counts the items that pass it.
        let open = t
            .query_partition("ada")
            .filter(attr("status").eq("open"))
            .limit(4)
            .all()
            .await
            .expect("filtered");
        assert_eq!(numbers(&open), [0, 2, 4, 6], "{path}");
        assert_eq!(t.scan().limit(7).all().await.expect("scan").len(), 7, "{path}");
        assert_eq!(
            t.scan().segments(3).limit(7).all().await.expect("segments").len(),
            7
        );
        assert_eq!(t.query_partition("ada").limit(6).count().await.expect("count"), 6);
        assert_eq!(t.scan().segments(4).limit(6).count().await.expect("count"), 6);
        // More than there is: everything, once.
        assert_eq!(
            t.query_partition("ada")
                .limit(100)
                .all()
                .await
                .expect("all")
                .len(),
            40
        );
    }
}

#[tokio::test]
async fn a_capped_page_resumes_right_after_its_last_item() {
    let embedded = orders("ada", 30).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let mut seen = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            // A page size larger than the limit: the limit still bounds each page.
            let mut query = t
                .query_partition("ada")
                .filter(attr("status").eq("shipped"))
                .page_size(10)
                .limit(4);
            if let Some(c) = cursor.take() {
                query = query.start_after(c);
            }
            let page = query.page().await.expect("page");
            pages += 1;
            assert!(page.items.len() <= 4, "{path}");
            seen.extend(page.items);
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        // Every odd order exactly once, none skipped inside a page.
        assert_eq!(
            numbers(&seen),
            (0..30).filter(|n| n % 2 == 1).collect::<Vec<_>>(),
            "{path}"
        );
        assert!(pages >= 4, "{path}: {pages}");
    }
}

#[tokio::test]
async fn each_request_asks_for_no_more_than_the_items_still_wanted() {
    let embedded = orders("ada", 20).await;
    let (client, recorded) = instrument(&embedded);
    let t = client.table::<Order>();
    let page = t
        .query_partition("ada")
        .page_size(4)
        .limit(6)
        .page()
        .await
        .expect("page");
    assert_eq!(numbers(&page.items), (0..6).collect::<Vec<_>>());
    let limits: Vec<Option<u32>> = recorded.requests().iter().map(|r| r.limit).collect();
    assert_eq!(limits, [Some(4), Some(2)]);
    recorded.clear();
    // The rest, from the cursor: 6.. and nothing skipped.
    let rest = t
        .query_partition("ada")
        .start_after(page.cursor.expect("more"))
        .all()
        .await
        .expect("rest");
    assert_eq!(numbers(&rest), (6..20).collect::<Vec<_>>());
    assert_eq!(recorded.requests()[0].limit, None);
}

#[tokio::test]
async fn zero_limit_and_zero_page_size_are_refused_naming_the_table() {
    let embedded = orders("ada", 1).await;
    let t = embedded.table::<Order>();
    for result in [
        t.query_partition("ada").limit(0).all().await,
        t.query_partition("ada").page_size(0).all().await,
    ] {
        match result {
            Err(Error::InvalidRequest { table, message, .. }) => {
                assert_eq!(table, "orders");
                assert!(message.contains("at least 1"), "{message}");
            }
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }
}

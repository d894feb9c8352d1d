//! Paging: cursors as strings that resume a read exactly where it stopped, max_pages, and
//! cursors refused when altered or used on another table or index — on both engine paths.

use base64::Engine as _;
use dynorm::Error;
use dynorm::expr::{KeyCondition, attr};
use dynorm::query::Cursor;
use futures::TryStreamExt;

use crate::query_fixture::{self, Order, both_paths, numbers, orders};

#[tokio::test]
async fn pages_of_seven_through_250_items_resume_from_the_cursor_string() {
    let embedded = orders("ada", 250).await;
    embedded
        .table::<Order>()
        .put(&Order::new("bob", 1))
        .await
        .expect("put");
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut query = t.query_partition("ada").page_size(7);
            if let Some(text) = cursor.take() {
                // As an HTTP API would: the string goes out and comes back.
                query = query.start_after(text.parse().expect("infallible"));
            }
            let page = query.page().await.expect("page");
            pages += 1;
            assert!(page.items.len() <= 7, "{path}");
            seen.extend(page.items);
            match page.cursor {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        // Every item exactly once, in sort-key order; 250 / 7 = 35 full pages and one of 5.
        assert_eq!(numbers(&seen), (0..250).collect::<Vec<_>>(), "{path}");
        assert!(
            seen.iter()
                .all(|o| o.customer == "ada" && *o == Order::new("ada", o.number))
        );
        assert_eq!(pages, 36, "{path}");
    }
}

#[tokio::test]
async fn streams_page_transparently_and_stop_at_max_pages() {
    let embedded = orders("ada", 250).await;
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let streamed: Vec<Order> = t
            .query_partition("ada")
            .page_size(7)
            .stream()
            .try_collect()
            .await
            .expect("stream");
        assert_eq!(numbers(&streamed), (0..250).collect::<Vec<_>>(), "{path}");
        let capped = t
            .query_partition("ada")
            .page_size(7)
            .max_pages(3)
            .all()
            .await
            .expect("capped");
        assert_eq!(numbers(&capped), (0..21).collect::<Vec<_>>(), "{path}");
        let down = t
            .query_partition("ada")
            .descending()
            .page_size(10)
            .max_pages(2)
            .all()
            .await
            .expect("desc");
        assert_eq!(numbers(&down), (230..250).rev().collect::<Vec<_>>(), "{path}");
        // Resuming a stream from a page's cursor, descending, on an index.
        let first = t
            .query_partition("open")
            .index("by_status")
            .descending()
            .page_size(50)
            .page()
            .await
            .expect("page");
        assert_eq!(
            numbers(&first.items),
            (150..250).rev().filter(|n| n % 2 == 0).collect::<Vec<_>>(),
            "{path}"
        );
        let rest = t
            .query_partition("open")
            .index("by_status")
            .descending()
            .page_size(9)
            .start_after(first.cursor.expect("more"))
            .all()
            .await
            .expect("rest");
        assert_eq!(
            numbers(&rest),
            (0..150).rev().filter(|n| n % 2 == 0).collect::<Vec<_>>(),
            "{path}"
        );
        // A page emptied by a filter still carries the cursor onward.
        let filtered = t
            .query(KeyCondition::partition("customer", "ada").sort_lt("number", 5))
            .filter(attr("total").gt(1_000_000))
            .page_size(2)
            .page()
            .await
            .expect("filtered page");
        assert!(filtered.items.is_empty() && filtered.cursor.is_some(), "{path}");
        // The last page has no cursor.
        let last = t
            .query_partition("ada")
            .page_size(250)
            .max_pages(1)
            .page()
            .await
            .expect("one page");
        assert_eq!(last.items.len(), 250);
        let end = t
            .query_partition("ada")
            .page_size(250)
            .start_after(last.cursor.expect("LastEvaluatedKey at the limit"))
            .page()
            .await
            .expect("end");
        assert!(end.items.is_empty() && end.cursor.is_none(), "{path}");
    }
}

#[tokio::test]
async fn a_cursor_works_across_engine_paths() {
    let embedded = orders("ada", 30).await;
    let [(_, direct), (_, sdk)] = both_paths(&embedded);
    let page = direct
        .table::<Order>()
        .query_partition("ada")
        .page_size(10)
        .page()
        .await
        .expect("page");
    let rest = sdk
        .table::<Order>()
        .query_partition("ada")
        .start_after(page.cursor.expect("more"))
        .all()
        .await
        .expect("rest");
    assert_eq!(numbers(&rest), (10..30).collect::<Vec<_>>());
}

fn cursor_error(result: dynorm::Result<dynorm::query::Page<Order>>) -> (String, Option<String>, String) {
    match result {
        Err(Error::InvalidCursor { table, index, reason }) => (table, index, reason),
        other => panic!("expected InvalidCursor, got {other:?}"),
    }
}

#[tokio::test]
async fn tampered_and_foreign_cursors_are_refused() {
    let embedded = orders("ada", 20).await;
    let staged = embedded.table_named::<Order>("dev-orders");
    staged.create().await.expect("create dev-orders");
    for (path, client) in both_paths(&embedded) {
        let t = client.table::<Order>();
        let cursor = t
            .query_partition("ada")
            .page_size(5)
            .page()
            .await
            .expect("page")
            .cursor
            .expect("more");
        let gsi_cursor = t
            .query_partition("open")
            .index("by_status")
            .page_size(3)
            .page()
            .await
            .expect("page")
            .cursor
            .expect("more");

        // One character changed.
        let text = cursor.to_string();
        let mut chars: Vec<char> = text.chars().collect();
        let middle = chars.len() / 2;
        chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
        let altered: String = chars.into_iter().collect();
        let (table, index, reason) = cursor_error(
            t.query_partition("ada")
                .start_after(altered.parse().expect("text"))
                .page()
                .await,
        );
        assert_eq!((table.as_str(), index), ("orders", None), "{path}");
        assert!(
            reason.contains("altered") || reason.contains("base64"),
            "{path}: {reason}"
        );

        // Garbage, empty, truncated.
        for bad in ["not a cursor!", "", "AAAA", &text[..text.len() / 2]] {
            let (_, _, reason) = cursor_error(
                t.query_partition("ada")
                    .start_after(Cursor::new(bad))
                    .page()
                    .await,
            );
            assert!(!reason.is_empty(), "{path}: {bad}");
        }

        // A valid checksum over edited content: the key is checked against the table's keys.
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&text)
            .expect("base64url");
        let json = String::from_utf8(bytes[8..].to_vec()).expect("json");
        let forged = json.replace("\"number\"", "\"total\"");
        let (_, _, reason) = cursor_error(
            t.query_partition("ada")
                .start_after(Cursor::new(reforge(&forged)))
                .page()
                .await,
        );
        assert!(reason.contains("expected [customer, number]"), "{path}: {reason}");
        let forged = json.replace("{\"S\":\"ada\"}", "{\"N\":\"1\"}");
        let (_, _, reason) = cursor_error(
            t.query_partition("ada")
                .start_after(Cursor::new(reforge(&forged)))
                .page()
                .await,
        );
        assert!(reason.contains("`customer`"), "{path}: {reason}");

        // Another table (same type, other name), another index, the table instead of the index.
        let (table, _, reason) = cursor_error(
            staged
                .query_partition("ada")
                .start_after(cursor.clone())
                .page()
                .await,
        );
        assert_eq!(table, "dev-orders");
        assert!(reason.contains("table `orders`"), "{path}: {reason}");
        let (_, index, reason) = cursor_error(
            t.query_partition("open")
                .index("by_status")
                .start_after(cursor.clone())
                .page()
                .await,
        );
        assert_eq!(index.as_deref(), Some("by_status"));
        assert!(reason.contains("belongs to table `orders`"), "{path}: {reason}");
        let (_, _, reason) = cursor_error(
            t.query_partition("ada")
                .start_after(gsi_cursor.clone())
                .page()
                .await,
        );
        assert!(reason.contains("index `by_status`"), "{path}: {reason}");
        let (_, _, reason) = cursor_error(
            t.query_partition("open")
                .index("by_status_keys")
                .project::<query_fixture::OrderKeys>()
                .start_after(gsi_cursor.clone())
                .page()
                .await
                .map(|p| dynorm::query::Page {
                    items: Vec::<Order>::new(),
                    cursor: p.cursor,
                }),
        );
        assert!(reason.contains("by_status"), "{path}: {reason}");
        // Streams report it as their first item.
        let streamed: dynorm::Result<Vec<Order>> = t
            .query_partition("ada")
            .start_after(Cursor::new("zz"))
            .stream()
            .try_collect()
            .await;
        assert!(matches!(streamed, Err(Error::InvalidCursor { .. })), "{path}");

        // The genuine cursors still work.
        let rest = t
            .query_partition("ada")
            .start_after(cursor)
            .all()
            .await
            .expect("rest");
        assert_eq!(numbers(&rest), (5..20).collect::<Vec<_>>(), "{path}");
    }
}

/// A cursor with a valid checksum over `json` (FNV-1a 64, as dynorm computes it).
fn reforge(json: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in json.as_bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut bytes = hash.to_be_bytes().to_vec();
    bytes.extend_from_slice(json.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

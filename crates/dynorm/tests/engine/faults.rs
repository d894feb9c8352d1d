//! Batch writes and reads through injected faults (throttled requests, unprocessed items) lose
//! nothing: everything is retried until written, or returned to the caller.

use dynorm::batch::UnprocessedWrite;
use dynorm::testing::{FaultPlan, with_faults};
use dynorm::{Client, RetryPolicy, Table};

use crate::support::{User, both_paths, users_definition};

const PLAN: FaultPlan = FaultPlan {
    seed: 2024,
    throttle_probability: 0.3,
    unprocessed_fraction: 0.5,
};

fn users(prefix: &str, n: usize) -> Vec<User> {
    (0..n)
        .map(|i| User::new(&format!("{prefix}-{i:06}"), &format!("user number {i}"), i as i64))
        .collect()
}

/// Writes `n` items and reads them back through faults; every item comes back equal.
async fn round_trip(client: &Client, path: &str, n: usize) {
    let (faulty, faulty_faults) = with_faults(client, PLAN);
    let table = faulty.table::<User>();
    let all = users(path, n);
    // 0.65 chance of failing each attempt: 80 attempts leave ~1e-15 per item.
    let retry = RetryPolicy::immediate(80);
    let written = table
        .batch_put(&all)
        .retry(retry)
        .concurrency(8)
        .await
        .expect("batch put");
    assert_eq!(written.written, n, "{path}");
    assert!(
        written.is_complete(),
        "{path}: {} left",
        written.unprocessed.len()
    );

    let read = table
        .batch_get(all.iter().map(Table::key_of))
        .retry(retry)
        .concurrency(8)
        .await
        .expect("batch get");
    assert!(read.is_complete(), "{path}");
    assert!(read.missing.is_empty(), "{path}: {} missing", read.missing.len());
    assert_eq!(read.items.len(), n, "{path}");
    assert!(read.items == all, "{path}: every item read back equal, in order");

    let counts = faulty_faults.fault_counts();
    assert!(counts.throttled > (counts.requests / 5), "{path}: {counts:?}");
    assert!(counts.held_back >= n as u64, "{path}: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_items_survive_faults_on_the_direct_path() {
    // The embedded engine's direct path, and 100 000 items: an embedded-only load.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    let client = Client::embedded().expect("embedded");
    client.create_table(&users_definition()).await.expect("create");
    round_trip(&client, "direct", 100_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_survive_faults_on_the_sdk_path() {
    // The embedded engine's direct path, and 100 000 items: an embedded-only load.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    let embedded = Client::embedded().expect("embedded");
    embedded.create_table(&users_definition()).await.expect("create");
    let sdk = Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone());
    round_trip(&sdk, "sdk", 20_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_tiny_bound_leftovers_are_returned_not_dropped() {
    // The embedded engine's direct path, and 100 000 items: an embedded-only load.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    let embedded = Client::embedded().expect("embedded");
    embedded.create_table(&users_definition()).await.expect("create");
    for (path, client) in both_paths(&embedded) {
        let n = 5_000;
        let (faulty, _) = with_faults(&client, PLAN);
        let table = faulty.table::<User>();
        let all = users(&format!("{path}-tiny"), n);
        let outcome = table
            .batch_put(&all)
            .retry(RetryPolicy::immediate(2))
            .await
            .expect("batch put");
        assert!(!outcome.unprocessed.is_empty(), "{path}: the bound was reached");
        assert_eq!(
            outcome.written + outcome.unprocessed.len(),
            n,
            "{path}: written + left = total"
        );

        // What is stored is exactly what was reported written.
        let clean = client.table::<User>();
        let read = clean
            .batch_get(all.iter().map(Table::key_of))
            .await
            .expect("batch get");
        assert_eq!(read.items.len(), outcome.written, "{path}");
        assert_eq!(read.missing.len(), outcome.unprocessed.len(), "{path}");
        let left: std::collections::HashSet<String> = outcome
            .unprocessed
            .iter()
            .map(|w| match w {
                UnprocessedWrite::Put(item) => format!("{:?}", item.get("id")),
                UnprocessedWrite::Delete(_) => panic!("only puts were sent"),
            })
            .collect();
        for key in &read.missing {
            let id = key.as_item().expect("key").get("id");
            assert!(
                left.contains(&format!("{id:?}")),
                "{path}: a missing item was returned as left"
            );
        }

        // Sending the leftovers again (without faults) completes the job.
        let again: Vec<User> = outcome
            .unprocessed
            .into_iter()
            .map(|w| match w {
                UnprocessedWrite::Put(item) => User::from_item(item).expect("decode"),
                UnprocessedWrite::Delete(_) => unreachable!("only puts were sent"),
            })
            .collect();
        clean.batch_put(&again).await.expect("resend");
        let read = clean.batch_get(all.iter().map(Table::key_of)).await.expect("get");
        assert!(read.items == all, "{path}");

        // Gets too: unread keys come back, never reported missing.
        let read = table
            .batch_get(all.iter().map(Table::key_of))
            .retry(RetryPolicy::immediate(2))
            .await
            .expect("faulty get");
        assert!(read.missing.is_empty(), "{path}");
        assert!(!read.unprocessed.is_empty(), "{path}");
        assert_eq!(read.items.len() + read.unprocessed.len(), n, "{path}");
    }
}

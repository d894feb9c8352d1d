//! Endpoint mode's clean-up: the tables of a test client go when its last client is dropped,
//! whether the test ran under `run_test` or built its client itself, and also after a panic.
//! Meaningful against an endpoint (`DYNORM_TEST_ENDPOINT`, CI's `ci/endpoint-tests.sh`); on the
//! embedded engine every client's database goes with it anyway.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use dynorm::{AttributeType, Client, TableDefinition, TableNames};

/// Every table on the endpoint whose name starts with `prefix`, seen through a client of its own.
async fn tables_under(prefix: &str) -> Vec<String> {
    let observer = dynorm::testing::client().await.unwrap();
    let everything = observer.with_table_names(TableNames::identity());
    let mut names = everything.list_tables().await.unwrap();
    names.retain(|name| name.starts_with(prefix));
    names
}

/// Whether there is an endpoint to test against; otherwise says that the test is skipped (on
/// stderr, past the harness's capture), as `testing::require` does for capabilities.
fn on_an_endpoint(test: &str) -> bool {
    use std::io::Write as _;
    let on = dynorm::testing::endpoint().is_some();
    if !on {
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: it checks endpoint mode's clean-up and needs {}",
            dynorm::testing::ENDPOINT_VAR
        );
    }
    on
}

fn definition(name: &str) -> TableDefinition {
    TableDefinition::new(name, "id", AttributeType::String)
}

/// A client of the test fixture with two tables, and its prefix.
async fn client_with_tables() -> (Client, String) {
    let client = dynorm::testing::client().await.unwrap();
    client.create_table(&definition("kept_a")).await.unwrap();
    client.create_table(&definition("kept_b")).await.unwrap();
    let prefix = client.table_names().prefix().to_owned();
    assert!(!prefix.is_empty(), "an endpoint client has a prefix of its own");
    (client, prefix)
}

#[tokio::test]
async fn a_test_clients_tables_go_when_its_last_clone_is_dropped() {
    if !on_an_endpoint("a_test_clients_tables_go_when_its_last_clone_is_dropped") {
        return;
    }
    let (client, prefix) = client_with_tables().await;
    let clone = client.clone();
    let derived = client.with_table_prefix("other-").unwrap();
    drop(client);
    assert_eq!(tables_under(&prefix).await.len(), 2, "a clone still holds them");
    drop(clone);
    assert_eq!(
        tables_under(&prefix).await.len(),
        2,
        "a client made from it still holds them"
    );
    drop(derived);
    assert_eq!(tables_under(&prefix).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_panicking_test_leaves_no_tables() {
    if !on_an_endpoint("a_panicking_test_leaves_no_tables") {
        return;
    }
    let (client, prefix) = client_with_tables().await;
    let failing = tokio::spawn(async move {
        let _held = client;
        panic!("the test fails while holding its client");
    });
    assert!(failing.await.unwrap_err().is_panic());
    assert_eq!(tables_under(&prefix).await, Vec::<String>::new());
}

//! Endpoint mode: the test fixture against an external DynamoDB endpoint (`dynorm serve`, moto,
//! DynamoDB itself) instead of a fresh embedded database, chosen by [`ENDPOINT_VAR`].
//!
//! Each test gets a client with its own table prefix ([`TableNames`](crate::TableNames)), so
//! tests running at once on one endpoint never meet; [`drop_tables`] deletes what a prefix
//! holds. Tests that need what only the embedded engine has declare a [`Capability`] and are
//! skipped elsewhere with a printed reason ([`require`]).

use std::io::Write as _;

#[cfg(all(feature = "aws", feature = "embedded"))]
use std::sync::Arc;

#[cfg(all(feature = "aws", feature = "embedded"))]
use crate::engine::Backend;
use crate::engine::error_map::from_sdk;
#[cfg(all(feature = "aws", feature = "embedded"))]
use crate::engine::request::{Request, Response};
#[cfg(all(feature = "aws", feature = "embedded"))]
use crate::future::BoxFuture;
use crate::{Client, Error, Result};

/// The environment variable that opts the test fixture into endpoint mode: the endpoint's URL
/// (`http://127.0.0.1:8000`). Region and credentials come from the standard AWS environment;
/// without them, `us-east-1` and dummy credentials (what local endpoints accept).
pub const ENDPOINT_VAR: &str = "DYNORM_TEST_ENDPOINT";

/// Something a test needs that not every engine has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// The embedded engine itself: [`Client::database`], file-backed databases, engine
    /// snapshots, an injected clock. (Change streams: [`Capability::Streams`].)
    Embedded,
    /// Change streams read through the client ([`ChangeStream::new`](crate::stream::ChangeStream::new)):
    /// the embedded engine's, or an endpoint's with feature `aws-streams`.
    Streams,
}

impl Capability {
    /// The capability's name, as `requires(...)` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Embedded => "embedded",
            Capability::Streams => "streams",
        }
    }
}

/// The endpoint tests run against, when [`ENDPOINT_VAR`] is set (and not empty).
pub fn endpoint() -> Option<String> {
    std::env::var(ENDPOINT_VAR).ok().filter(|e| !e.trim().is_empty())
}

/// Whether the engine the tests run against has `capability`.
pub fn has(capability: Capability) -> bool {
    match capability {
        Capability::Embedded => endpoint().is_none(),
        Capability::Streams => endpoint().is_none() || cfg!(feature = "aws-streams"),
    }
}

/// Whether the current test may run: `true` when the engine has `capability`; otherwise it
/// prints (to the process's stderr, past the test harness's capture) that the test is skipped, naming the test (its thread's name) and the
/// capability, and returns `false`: `if !require(Capability::Embedded) { return; }`.
pub fn require(capability: Capability) -> bool {
    let thread = std::thread::current();
    require_for(thread.name().unwrap_or("this test"), &[capability])
}

/// [`require`] for every capability in `capabilities`, naming test `test`.
pub fn require_for(test: &str, capabilities: &[Capability]) -> bool {
    match capabilities.iter().find(|c| !has(**c)) {
        None => true,
        Some(missing) => {
            // Written to stderr itself, not through `eprintln!`, which the test harness captures.
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test}: it requires the `{}` capability, which {ENDPOINT_VAR}={} does not have",
                missing.name(),
                endpoint().unwrap_or_default()
            );
            false
        }
    }
}

/// A table prefix no other test of any process shares: process id, a counter and the time.
#[cfg(any(all(feature = "aws", feature = "embedded"), test))]
pub(super) fn unique_prefix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000_000);
    format!("t{}-{n}-{millis}-", std::process::id())
}

/// A client of `endpoint` under table prefix `prefix`.
#[cfg(all(feature = "aws", feature = "embedded"))]
async fn client(endpoint: &str, prefix: &str) -> Result<Client> {
    use aws_config::{BehaviorVersion, Region};
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).endpoint_url(endpoint);
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
        loader = loader.region(Region::new("us-east-1"));
    }
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() && std::env::var_os("AWS_PROFILE").is_none() {
        let dummy = aws_sdk_dynamodb::config::Credentials::new("dynorm", "dynorm", None, None, "dynorm-test");
        loader = loader.credentials_provider(dummy);
    }
    let config = loader.load().await;
    let client = Client::from_sdk(aws_sdk_dynamodb::Client::new(&config));
    // The endpoint serves both APIs (`dynorm serve`, moto, DynamoDB Local).
    #[cfg(feature = "aws-streams")]
    let client = client.with_streams(aws_sdk_dynamodbstreams::Client::new(&config));
    client.with_table_prefix(prefix)
}

/// A client of `endpoint` under a fresh [`unique_prefix`] whose tables are deleted when the last
/// client sharing its engine is dropped ([`TestTables`]): what [`run_test`](super::run_test),
/// [`database`](super::database) and [`client`](super::client) hand out, so a test's tables go
/// whether or not it ran under the fixture, and when it panics.
#[cfg(all(feature = "aws", feature = "embedded"))]
pub(super) async fn test_client(endpoint: &str) -> Result<Client> {
    let prefix = unique_prefix();
    let client = self::client(endpoint, &prefix).await?;
    let guard = TestTables {
        inner: client.engine().backend().clone(),
        endpoint: endpoint.to_owned(),
        prefix,
    };
    let engine = crate::engine::Engine::new(Arc::new(guard)).with_names(client.table_names().clone());
    Ok(client.with_engine(engine))
}

/// The backend of an endpoint-mode test client: it passes every request on, and when the last
/// client using it goes, it deletes the tables under its prefix ([`drop_tables`]).
///
/// Dropping cannot wait on the test's runtime (it may be the one being dropped, or inside a
/// panic), so the deletion runs on a thread of its own with its own runtime and SDK client, and
/// the drop waits for it. A failure is printed, never raised: a drop must not panic.
#[cfg(all(feature = "aws", feature = "embedded"))]
#[derive(Debug)]
struct TestTables {
    inner: Arc<dyn Backend>,
    endpoint: String,
    prefix: String,
}

#[cfg(all(feature = "aws", feature = "embedded"))]
impl Backend for TestTables {
    fn send(&self, request: Request, capacity: bool) -> BoxFuture<'_, Result<Response>> {
        self.inner.send(request, capacity)
    }

    fn may_throttle(&self) -> bool {
        self.inner.may_throttle()
    }
}

#[cfg(all(feature = "aws", feature = "embedded"))]
impl Drop for TestTables {
    fn drop(&mut self) {
        let (endpoint, prefix) = (self.endpoint.clone(), self.prefix.clone());
        let deleted = std::thread::Builder::new()
            .name("dynorm-test-tables".to_owned())
            .spawn(move || delete_prefix(&endpoint, &prefix))
            .map_err(|e| e.to_string())
            .and_then(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|_| Err("the deleting thread panicked".to_owned()))
            });
        if let Err(e) = deleted {
            // Past the harness's capture: a leftover table is worth seeing even when the test passed.
            let _ = writeln!(
                std::io::stderr(),
                "dynorm::testing: could not delete the tables under prefix `{}` on {}: {e}",
                self.prefix,
                self.endpoint
            );
        }
    }
}

/// Deletes what `prefix` holds on `endpoint`, on a runtime of the calling thread's own.
#[cfg(all(feature = "aws", feature = "embedded"))]
fn delete_prefix(endpoint: &str, prefix: &str) -> std::result::Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("no runtime: {e}"))?;
    runtime.block_on(async {
        let client = self::client(endpoint, prefix).await.map_err(|e| e.to_string())?;
        drop_tables(&client).await.map(|_| ()).map_err(|e| e.to_string())
    })
}

/// Without the `aws` feature there is no HTTP client to reach an endpoint with.
#[cfg(all(not(feature = "aws"), feature = "embedded"))]
pub(super) async fn test_client(endpoint: &str) -> Result<Client> {
    Err(Error::InvalidRequest {
        table: String::new(),
        index: None,
        message: format!("{ENDPOINT_VAR}={endpoint} needs dynorm's `aws` feature"),
    })
}

/// Deletes every table under `client`'s prefix (what a test made, whatever it created), without
/// waiting for them to go, and says how many. A client without a prefix is refused: it would
/// delete every table.
pub async fn drop_tables(client: &Client) -> Result<usize> {
    if client.table_names().is_identity() {
        return Err(Error::InvalidTablePrefix {
            prefix: String::new(),
            message: "drop_tables deletes a prefix's tables; this client has none".to_owned(),
        });
    }
    let tables = client.list_tables().await?;
    let mut first_error = None;
    for logical in &tables {
        if let Err(e) = delete_test_table(client, logical).await {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(tables.len()), Err)
}

/// Deletes a test's table, switching its deletion protection off first when it has it (a
/// test's own table, made from a definition that asks for protection).
async fn delete_test_table(client: &Client, logical: &str) -> Result<()> {
    match client.delete_table(logical).await {
        Err(e) if e.is_validation() => {
            client
                .sdk()
                .update_table()
                .table_name(client.physical_table_name(logical))
                .deletion_protection_enabled(false)
                .send()
                .await
                .map_err(|e| from_sdk(logical, e))?;
            client.delete_table(logical).await
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_valid() {
        let a = unique_prefix();
        let b = unique_prefix();
        assert_ne!(a, b);
        assert!(crate::TableNames::prefixed(a).is_ok());
    }
}

//! Test support: each test gets its own in-memory embedded database with its tables created, so
//! tests run in parallel without setup or clean-up.
//!
//! **Endpoint mode**: with [`ENDPOINT_VAR`] (`DYNORM_TEST_ENDPOINT=http://127.0.0.1:8000`) set,
//! [`run_test`], [`database`], [`client`] and `#[dynorm::test]` use that endpoint instead, each
//! test under a table prefix of its own, and the test's tables are deleted when its last client
//! is dropped (also when it panics).
//! A test that needs the embedded engine declares it (`#[dynorm::test(requires(embedded))]`, or
//! [`require`]`(Capability::Embedded)`) and is skipped elsewhere with the reason printed.
//!
//! ```
//! use dynorm::{AttributeType, TableDefinition};
//!
//! static USERS: std::sync::LazyLock<TableDefinition> =
//!     std::sync::LazyLock::new(|| TableDefinition::new("users", "id", AttributeType::String));
//!
//! dynorm::testing::run_test(&[&USERS], |client| async move {
//!     let users = client.describe_table("users").await.unwrap();
//!     assert!(users.is_some());
//! });
//! ```

#[cfg(feature = "embedded")]
mod changes;
mod endpoint;
#[cfg(feature = "embedded")]
mod fixture;
mod instrument;

#[cfg(feature = "embedded")]
pub use changes::ChangeLog;
pub use endpoint::{Capability, ENDPOINT_VAR, drop_tables, endpoint, has, require, require_for};
#[cfg(feature = "embedded")]
pub use fixture::{Skippable, client, database, run_test, run_test_requiring};
pub use instrument::{FaultCounts, FaultPlan, Recording, SentRequest, instrument, with_faults};

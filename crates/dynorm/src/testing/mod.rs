//! Test support: each test gets its own in-memory embedded database with its tables created, so
//! tests run in parallel without setup or clean-up.
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
mod fixture;
mod instrument;

#[cfg(feature = "embedded")]
pub use changes::ChangeLog;
#[cfg(feature = "embedded")]
pub use fixture::{database, run_test};
pub use instrument::{FaultCounts, FaultPlan, Recording, SentRequest, instrument, with_faults};

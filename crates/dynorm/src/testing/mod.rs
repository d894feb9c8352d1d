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
mod instrument;

#[cfg(feature = "embedded")]
pub use changes::ChangeLog;
pub use instrument::{FaultCounts, FaultPlan, Recording, SentRequest, instrument, with_faults};

#[cfg(feature = "embedded")]
use std::future::Future;

#[cfg(feature = "embedded")]
use crate::definition::TableDefinition;
#[cfg(feature = "embedded")]
use crate::{Client, Result};

/// Runs an async test on a fresh current-thread runtime, with a fresh in-memory embedded
/// [`Client`] whose tables `definitions` describe are already created.
///
/// This is what `#[dynorm::test(tables(A, B))]` expands to.
///
/// # Panics
///
/// When the runtime cannot be built, or the database opened, or a table created (an invalid
/// definition, say): the test fails with the reason.
#[cfg(feature = "embedded")]
pub fn run_test<F, Fut, R>(definitions: &[&'static TableDefinition], test: F) -> R
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = R>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => panic!("dynorm::testing: could not build a tokio runtime: {e}"),
    };
    runtime.block_on(async {
        let client = match database(definitions).await {
            Ok(client) => client,
            Err(e) => panic!("dynorm::testing: could not set up the test database: {e}"),
        };
        test(client).await
    })
}

/// A fresh in-memory embedded [`Client`] with the tables `definitions` describe created.
#[cfg(feature = "embedded")]
pub async fn database(definitions: &[&TableDefinition]) -> Result<Client> {
    let client = Client::embedded()?;
    for definition in definitions {
        client.create_table(definition).await?;
    }
    Ok(client)
}

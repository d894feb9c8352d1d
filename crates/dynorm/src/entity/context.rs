//! Where a table lives: its name from the environment (single-table-orm's `DB_TABLE_NAME`), a
//! per-stage prefix or suffix, and a scoped override (single-table-orm's `table_context`) that
//! holds for one task and what it awaits, never leaking into other tasks or tests.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use dynorm::entity::TableContext;
//!
//! let staged = TableContext::new().with_prefix("dev-");
//! assert_eq!(staged.resolve("app"), "dev-app");
//! let env = TableContext::from_lookup(|k| (k == "DB_TABLE_NAME").then(|| "shared".to_owned()));
//! assert_eq!(env.resolve("app"), "shared");
//!
//! TableContext::new().with_table_name("scratch").scope(async {
//!     assert_eq!(TableContext::current().resolve("app"), "scratch");
//! }).await;
//! # }
//! ```

use std::future::Future;

use crate::{Client, Table, TableClient};

/// The environment variable naming the table (single-table-orm's).
pub const TABLE_NAME_VAR: &str = "DB_TABLE_NAME";
/// The environment variable giving a prefix for table names (a stage: `dev-`).
pub const TABLE_PREFIX_VAR: &str = "DB_TABLE_PREFIX";
/// The environment variable giving a suffix for table names (a stage: `-prod`).
pub const TABLE_SUFFIX_VAR: &str = "DB_TABLE_SUFFIX";

tokio::task_local! {
    static CURRENT: TableContext;
}

/// How table names resolve, and optionally which client to use. A plain value: pass it around,
/// or make it current for a scope with [`scope`](Self::scope).
#[derive(Debug, Clone, Default)]
pub struct TableContext {
    /// A name used as is, whatever the declared name (`DB_TABLE_NAME`).
    pub table_name: Option<String>,
    /// Put before the declared name.
    pub prefix: String,
    /// Put after the declared name.
    pub suffix: String,
    /// The client to use instead of the one given.
    pub client: Option<Client>,
}

impl TableContext {
    /// Declared names as they are.
    pub fn new() -> Self {
        Self::default()
    }

    /// From the process environment: [`TABLE_NAME_VAR`], [`TABLE_PREFIX_VAR`],
    /// [`TABLE_SUFFIX_VAR`].
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// From variables looked up by name (tests give a map instead of the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            table_name: lookup(TABLE_NAME_VAR).filter(|n| !n.is_empty()),
            prefix: lookup(TABLE_PREFIX_VAR).unwrap_or_default(),
            suffix: lookup(TABLE_SUFFIX_VAR).unwrap_or_default(),
            client: None,
        }
    }

    /// Uses this name for every table.
    pub fn with_table_name(mut self, name: impl Into<String>) -> Self {
        self.table_name = Some(name.into());
        self
    }

    /// Puts this before declared names.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Puts this after declared names.
    pub fn with_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = suffix.into();
        self
    }

    /// Uses this client instead of the one given.
    pub fn with_client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The name a table declared as `declared` has here.
    pub fn resolve(&self, declared: &str) -> String {
        match &self.table_name {
            Some(name) => name.clone(),
            None => format!("{}{declared}{}", self.prefix, self.suffix),
        }
    }

    /// The typed client of table `T` here.
    pub fn table<T: Table>(&self, client: &Client) -> TableClient<T> {
        let client = self.client.as_ref().unwrap_or(client);
        client.table_named(self.resolve(&T::definition().name))
    }

    /// Runs `future` with this context current (for it and everything it awaits, in this task
    /// only).
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    /// The context made current by the innermost [`scope`](Self::scope), or else the one from
    /// the environment.
    pub fn current() -> Self {
        CURRENT
            .try_with(Clone::clone)
            .unwrap_or_else(|_| Self::from_env())
    }
}

impl Client {
    /// The typed client of table `T` with its name (and client) from
    /// [`TableContext::current`].
    pub fn table_in_context<T: Table>(&self) -> TableClient<T> {
        TableContext::current().table(self)
    }
}

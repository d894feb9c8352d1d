//! Strict reads: attributes an item holds that its type does not name are reported instead of
//! silently dropped while decoding.
//!
//! Opt in per read ([`Read::strict`](crate::query::Read::strict),
//! [`GetBuilder::strict`](crate::GetBuilder::strict)) or per type
//! ([`Table::STRICT_READS`](crate::Table::STRICT_READS), `#[dynorm(strict)]` /
//! `#[dynorm(strict = "warn")]` on `#[derive(Table)]`). The attributes the table's model names are
//! those of [`Table::stored_attributes`](crate::Table): a read into a
//! [`Projection`](crate::Projection) is strict about the table's model too, not about the fields
//! the projection leaves out on purpose.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! use dynorm::strict::Strict;
//!
//! #[derive(Debug, dynorm::Table)]
//! #[dynorm(table = "users")]
//! struct User {
//!     #[dynorm(partition_key)]
//!     id: String,
//! }
//!
//! let client = dynorm::Client::embedded()?;
//! let users = client.table::<User>();
//! users.create().await?;
//! // Another service wrote an attribute this model does not know.
//! client
//!     .sdk()
//!     .put_item()
//!     .table_name("users")
//!     .item("id", dynorm::AttributeValue::S("u1".into()))
//!     .item("plan", dynorm::AttributeValue::S("pro".into()))
//!     .send()
//!     .await
//!     .expect("put");
//!
//! assert!(users.get(User::key("u1")).await?.is_some()); // `plan` silently dropped
//! let error = users.get(User::key("u1")).strict(Strict::Refuse).await.unwrap_err();
//! assert!(error.to_string().contains("`plan`"));
//! # Ok(()) }
//! ```

use crate::definition::TableDefinition;
use crate::{Error, Item, Result};

/// What a strict read does with an item holding attributes its type does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strict {
    /// The read fails with [`Error::UnexpectedAttributes`] naming the table, the item's key and
    /// the attributes.
    Refuse,
    /// The item is decoded as usual and a `WARN` tracing event (target `dynorm::strict`) names the
    /// table, the item's key and the attributes.
    Warn,
}

/// The attributes a strict read accepts, gathered once per read.
#[derive(Debug, Clone)]
pub(crate) struct StrictCheck {
    mode: Strict,
    known: Vec<&'static str>,
}

impl StrictCheck {
    /// A check accepting `known` (the table's stored attributes), or `None` when not strict.
    pub(crate) fn new(mode: Option<Strict>, known: impl FnOnce() -> Vec<&'static str>) -> Option<Self> {
        mode.map(|mode| Self { mode, known: known() })
    }

    /// Reports the attributes of `item` outside the known ones, as the mode says.
    pub(crate) fn check(&self, definition: &TableDefinition, table: &str, item: &Item) -> Result<()> {
        let mut unexpected: Vec<String> = item
            .keys()
            .filter(|name| !self.known.contains(&name.as_str()))
            .cloned()
            .collect();
        if unexpected.is_empty() {
            return Ok(());
        }
        unexpected.sort_unstable();
        let key = crate::validate::render_key(definition, item);
        match self.mode {
            Strict::Refuse => Err(Error::UnexpectedAttributes {
                table: table.to_owned(),
                key,
                attributes: unexpected,
            }),
            Strict::Warn => {
                tracing::warn!(
                    target: "dynorm::strict",
                    table,
                    key = key.as_str(),
                    attributes = ?unexpected,
                    "the item holds attributes its type does not name"
                );
                Ok(())
            }
        }
    }
}

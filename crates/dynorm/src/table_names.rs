//! [`TableNames`]: how a client turns the logical table names of its types and layouts (what
//! `#[dynorm(table = "...")]` or a `Layout` declares) into the physical names its requests carry.
//!
//! One resolver per client: every route (table clients, entities, collections, batches,
//! transactions, clearing, table lifecycle, streams, PartiQL) sends the name it is given through
//! the client's `TableNames`, so application code and infrastructure agree on names:
//! [`TableNames::for_stage`] gives the names [`infra::physical_name`](crate::infra::physical_name)
//! gives the generated CloudFormation and Terraform (`<stage>-<table>`).
//!
//! ```
//! use dynorm::TableNames;
//!
//! let names = TableNames::for_stage("prod")?;
//! assert_eq!(names.physical("users"), "prod-users");
//! assert_eq!(names.logical("prod-users"), Some("users"));
//! assert_eq!(names.logical("users"), None);
//! assert!(TableNames::prefixed("no spaces ").is_err());
//! # Ok::<(), dynorm::Error>(())
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use crate::{Error, Result};

/// The longest prefix allowed: DynamoDB table names are at most 255 characters, and a logical
/// name has at least 3.
pub const MAX_TABLE_PREFIX: usize = 252;

/// A client's mapping from logical to physical table names: a prefix put before every logical
/// name (empty: names as declared).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableNames {
    prefix: Arc<str>,
}

impl TableNames {
    /// Names as declared.
    pub fn identity() -> Self {
        Self::default()
    }

    /// Every table under `prefix` + its logical name. The prefix may hold only what DynamoDB
    /// table names hold (letters, digits, `_`, `-`, `.`), at most [`MAX_TABLE_PREFIX`]
    /// characters; anything else is [`Error::InvalidTablePrefix`] naming it.
    pub fn prefixed(prefix: impl Into<String>) -> Result<Self> {
        let prefix = prefix.into();
        check_prefix(&prefix)?;
        Ok(Self {
            prefix: prefix.into(),
        })
    }

    /// The names of a stage, as infrastructure names them: `<stage>-<table>`
    /// ([`infra::physical_name`](crate::infra::physical_name)).
    pub fn for_stage(stage: &str) -> Result<Self> {
        if stage.is_empty() {
            return Err(Error::InvalidTablePrefix {
                prefix: String::new(),
                message: "a stage name cannot be empty".to_owned(),
            });
        }
        Self::prefixed(stage_prefix(stage))
    }

    /// The prefix (empty for [`identity`](Self::identity)).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether names are used as declared.
    pub fn is_identity(&self) -> bool {
        self.prefix.is_empty()
    }

    /// The physical name of logical table `logical`.
    pub fn physical<'a>(&self, logical: &'a str) -> Cow<'a, str> {
        if self.is_identity() {
            Cow::Borrowed(logical)
        } else {
            Cow::Owned(format!("{}{logical}", self.prefix))
        }
    }

    /// The logical name of physical table `physical`, or `None` when it is not under this
    /// mapping (another stage's or test's table).
    pub fn logical<'a>(&self, physical: &'a str) -> Option<&'a str> {
        physical.strip_prefix(&*self.prefix)
    }
}

/// The prefix of stage `stage`'s tables: the one rule both [`TableNames::for_stage`] and
/// [`infra::physical_name`](crate::infra::physical_name) follow.
pub(crate) fn stage_prefix(stage: &str) -> String {
    format!("{stage}-")
}

fn check_prefix(prefix: &str) -> Result<()> {
    let refuse = |message: String| {
        Err(Error::InvalidTablePrefix {
            prefix: prefix.to_owned(),
            message,
        })
    };
    if prefix.len() > MAX_TABLE_PREFIX {
        return refuse(format!(
            "it has {} characters, more than the {MAX_TABLE_PREFIX} a table name leaves for it",
            prefix.len()
        ));
    }
    match prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        Some(c) => refuse(format!(
            "{c:?} is not allowed in a table name (letters, digits, `_`, `-` and `.` are)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_map_both_ways_and_bad_ones_are_named() {
        let names = TableNames::prefixed("ci-1-").unwrap();
        assert_eq!(names.physical("users"), "ci-1-users");
        assert_eq!(names.logical("ci-1-users"), Some("users"));
        assert_eq!(names.logical("ci-2-users"), None);
        assert_eq!(TableNames::identity().physical("users"), "users");
        let long = "a".repeat(MAX_TABLE_PREFIX + 1);
        for bad in ["a b", "é", long.as_str()] {
            let e = TableNames::prefixed(bad).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidTablePrefix { prefix, .. } if prefix == bad),
                "{e}"
            );
        }
        assert!(TableNames::for_stage("").is_err());
        assert_eq!(TableNames::for_stage("dev").unwrap().physical("t"), "dev-t");
    }
}

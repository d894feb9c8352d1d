//! The model's rules for writes of items without their Rust type: what `dynorm import` and the
//! console's editor send, from a schema's [`TableDefinition::version_attribute`] or
//! [`EntityDefinition::version`](crate::entity::EntityDefinition::version).
//!
//! **Optimistic locking** holds on those routes as on typed writes (the rule is the write path's
//! own version condition): a put of a versioned item expects the version the
//! item carries (absent: none stored yet) and stores the next; a different stored version
//! refuses the write with [`Error::VersionConflict`], naming the table, key and both versions.
//!
//! ```
//! use dynorm::AttributeValue;
//! use dynorm::untyped::VersionedPut;
//!
//! let item = dynorm::Item::from([
//!     ("id".to_owned(), AttributeValue::S("a".into())),
//!     ("version".to_owned(), AttributeValue::N("3".into())),
//! ]);
//! let put = VersionedPut::new("users", "version", item).unwrap();
//! assert_eq!(put.expected, 3);
//! assert_eq!(put.item["version"], AttributeValue::N("4".into()));
//! ```

use crate::{AttributeValue, Error, Item, Result, expr, write};

#[cfg(doc)]
use crate::TableDefinition;

/// A put of an untyped item under optimistic locking: the item to store (its version bumped)
/// and the condition to send with it.
#[derive(Debug, Clone)]
pub struct VersionedPut {
    /// The item with its version set to `expected + 1`.
    pub item: Item,
    /// The stored version must be `expected` (or absent, when `expected` is 0).
    pub condition: expr::Condition,
    /// The version the item carried (0: none).
    pub expected: u64,
    table: String,
    attribute: String,
}

impl VersionedPut {
    /// The put of `item` on `table`, versioned by `attribute`. An item whose version is not a
    /// whole number is refused, naming the table, the attribute and the value.
    pub fn new(table: &str, attribute: &str, mut item: Item) -> Result<Self> {
        let expected: u64 = match item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => 0,
            Some(AttributeValue::N(n)) => n.parse().map_err(|_| not_a_version(table, attribute, n))?,
            Some(other) => return Err(not_a_version(table, attribute, &format!("{other:?}"))),
        };
        item.insert(
            attribute.to_owned(),
            AttributeValue::N(expected.saturating_add(1).to_string()),
        );
        Ok(Self {
            item,
            condition: write::version_condition(attribute, expected),
            expected,
            table: table.to_owned(),
            attribute: attribute.to_owned(),
        })
    }

    /// The error for a refused put: the key and the version stored, read from the item the
    /// failed condition returned (`ReturnValuesOnConditionCheckFailure = ALL_OLD`), if any.
    pub fn conflict(&self, key: &Item, stored: Option<&Item>) -> Error {
        Error::VersionConflict {
            table: self.table.clone(),
            key: crate::error::key_text(key),
            expected: self.expected,
            found: write::stored_version(&self.attribute, stored),
        }
    }
}

fn not_a_version(table: &str, attribute: &str, found: &str) -> Error {
    Error::Validation {
        table: table.to_owned(),
        message: format!("version attribute `{attribute}`: expected a whole number, found {found}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn item(version: Option<AttributeValue>) -> Item {
        let mut item = Item::from([("id".to_owned(), AttributeValue::S("a".into()))]);
        if let Some(v) = version {
            item.insert("v".into(), v);
        }
        item
    }

    #[test]
    fn a_new_item_expects_none_and_stores_one() {
        let put = VersionedPut::new("t", "v", item(None)).unwrap();
        assert_eq!(
            (put.expected, &put.item["v"]),
            (0, &AttributeValue::N("1".into()))
        );
        let mut attributes = expr::ExpressionAttributes::new();
        let text = put.condition.render(&mut attributes).unwrap();
        assert!(text.starts_with("attribute_not_exists("), "{text}");
    }

    #[test]
    fn a_version_that_is_not_a_whole_number_is_named() {
        for bad in [AttributeValue::N("1.5".into()), AttributeValue::S("3".into())] {
            let e = VersionedPut::new("t", "v", item(Some(bad)))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("`t`") && e.contains("`v`") && e.contains("whole number"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_conflict_names_both_versions() {
        let put = VersionedPut::new("t", "v", item(Some(AttributeValue::N("2".into())))).unwrap();
        let stored = item(Some(AttributeValue::N("5".into())));
        let e = put.conflict(&item(None), Some(&stored));
        assert!(
            matches!(
                e,
                Error::VersionConflict {
                    expected: 2,
                    found: Some(5),
                    ..
                }
            ),
            "{e:?}"
        );
    }
}

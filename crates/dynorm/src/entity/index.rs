//! An entity's own global indexes with multi-attribute keys (DynamoDB, November 2025): each key
//! attribute is one of the entity's fields, stored whole with its own type — nothing is rendered
//! from a template, so no write can leave such a key stale.

use crate::definition::ScalarType;

/// One attribute of a [`MultiAttributeIndex`]'s key: a field of the entity, stored whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexField {
    /// The field's name.
    pub field: &'static str,
    /// The attribute it is stored under (and the index reads).
    pub attribute: &'static str,
    /// The key type of the stored value (the derive refuses a field of any other type).
    pub key_type: ScalarType,
}

/// A global index of a shared table whose partition key and sort key are several of an entity's
/// fields, in order (at most four each): `#[dynorm(index(name = "..", pk(a, b), sk(c, d)))]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiAttributeIndex {
    /// The index name.
    pub name: &'static str,
    /// The partition-key attributes, in order.
    pub partition_key: &'static [IndexField],
    /// The sort-key attributes, in order (none: the index has no sort key).
    pub sort_key: &'static [IndexField],
}

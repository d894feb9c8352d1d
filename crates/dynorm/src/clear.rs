//! What a [`Clear`](crate::batch::Clear) deletes: dynamo_query's `clear_table` options (a
//! partition or a partition-key prefix, a sort key or sort-key prefix, an index, a filter, a
//! limit) rendered into the keys-only read that finds the items. The deleting itself is the
//! batch path's.

use crate::definition::TableDefinition;
use crate::engine::request::ReadRequest;
use crate::expr::{Condition, ExpressionAttributes, KeyCondition, ProjectionExpression, Value, attr};
use crate::query::{check_key_condition, find_index, read_key_attributes};
use crate::{AttributeValue, Error, Result};

/// Which sort keys are cleared.
#[derive(Debug, Clone)]
pub(crate) enum SortMatch {
    Equals(Value),
    BeginsWith(String),
}

/// The items a clear deletes, beyond its partition.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClearScope {
    pub(crate) partition_prefix: Option<String>,
    pub(crate) sort: Option<SortMatch>,
    pub(crate) index: Option<String>,
    /// A whole key condition (every attribute of a multi-attribute key), instead of a
    /// partition value and a [`SortMatch`].
    pub(crate) key: Option<KeyCondition>,
    pub(crate) filter: Option<Condition>,
    pub(crate) limit: Option<usize>,
}

fn refuse(table: &str, index: Option<&str>, message: &str) -> Error {
    Error::InvalidRequest {
        table: table.to_owned(),
        index: index.map(str::to_owned),
        message: message.to_owned(),
    }
}

impl ClearScope {
    /// The read of the keys to delete: a Query of `partition` (on the index, if any), or a Scan
    /// filtered by the prefixes; projecting the table's key attributes `key_names`.
    pub(crate) fn read_request(
        &self,
        definition: &TableDefinition,
        table: &str,
        key_names: &[&str],
        partition: Option<AttributeValue>,
    ) -> Result<ReadRequest> {
        let index_name = self.index.as_deref();
        let index = find_index(definition, table, index_name)?;
        let (partition_keys, sort_keys) = read_key_attributes(definition, index);
        self.check_options(table, index_name, partition.as_ref(), &partition_keys)?;
        let mut filters: Vec<Condition> = Vec::new();
        if let Some(prefix) = &self.partition_prefix {
            filters.push(attr(partition_keys[0]).begins_with(prefix.as_str()));
        }
        let sort = match (&self.sort, sort_keys.first()) {
            (None, _) => None,
            (Some(m), Some(name)) => Some((*name, m.clone())),
            (Some(_), None) => {
                return Err(refuse(
                    table,
                    index_name,
                    "a sort key was given, but what is cleared has none",
                ));
            }
        };
        let key = match (partition, &self.key) {
            (Some(value), _) => Some(with_sort(
                KeyCondition::partition(partition_keys[0], Value::from(value)),
                sort,
            )),
            (None, Some(key)) => Some(key.clone()),
            (None, None) => {
                filters.extend(sort.map(|(name, m)| match m {
                    SortMatch::Equals(v) => attr(name).eq(v),
                    SortMatch::BeginsWith(p) => attr(name).begins_with(p),
                }));
                None
            }
        };
        if let Some(key) = &key {
            check_key_condition(table, index_name, key, &partition_keys, &sort_keys)?;
        }
        let mut attributes = ExpressionAttributes::new();
        let key_condition = key.map(|k| k.render(&mut attributes));
        filters.extend(self.filter.clone());
        let named = |e: Error| crate::write::name_table(table, e);
        let key_condition = key_condition.transpose().map_err(named)?;
        let filter = filters
            .into_iter()
            .reduce(Condition::and)
            .map(|f| f.render(&mut attributes))
            .transpose()
            .map_err(named)?;
        let projection = ProjectionExpression::new(key_names.iter().copied())
            .render(&mut attributes)
            .map_err(named)?;
        let (names, values) = attributes.into_parts();
        Ok(ReadRequest {
            table: table.to_owned(),
            index: self.index.clone(),
            key_condition,
            filter,
            projection: Some(projection),
            names: names.unwrap_or_default(),
            values: values.unwrap_or_default(),
            // A global index cannot be read consistently; the table and its local indexes can.
            consistent_read: !matches!(index, Some(crate::definition::IndexRef::Global(_))),
            ..ReadRequest::default()
        })
    }

    /// Refuses options that cannot go together: a partition with a partition prefix or a key
    /// condition, a key condition with a sort match, a prefix of a key with several partition
    /// attributes, a limit of 0.
    fn check_options(
        &self,
        table: &str,
        index_name: Option<&str>,
        partition: Option<&AttributeValue>,
        partition_keys: &[&str],
    ) -> Result<()> {
        let refused = if partition.is_some() && self.partition_prefix.is_some() {
            "clear either one partition or the partitions with a key prefix, not both"
        } else if self.key.is_some() && (partition.is_some() || self.partition_prefix.is_some()) {
            "clear either by a key condition or by a partition (or its prefix), not both"
        } else if self.key.is_some() && self.sort.is_some() {
            "a key condition was given: put the sort-key conditions in it"
        } else if self.partition_prefix.is_some() && partition_keys.len() > 1 {
            "a partition-key prefix needs a single partition-key attribute; this key has several (give them all with `TableClient::clear_key`)"
        } else if self.limit == Some(0) {
            "the limit (the most items deleted) must be at least 1"
        } else {
            return Ok(());
        };
        Err(refuse(table, index_name, refused))
    }
}

/// A partition's key condition with the sort match, if any.
fn with_sort(key: KeyCondition, sort: Option<(&str, SortMatch)>) -> KeyCondition {
    match sort {
        Some((name, SortMatch::Equals(v))) => key.sort_eq(name, v),
        Some((name, SortMatch::BeginsWith(p))) => key.sort_begins_with(name, p),
        None => key,
    }
}

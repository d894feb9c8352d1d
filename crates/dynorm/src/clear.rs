//! What a [`Clear`](crate::batch::Clear) deletes: dynamo_query's `clear_table` options (a
//! partition or a partition-key prefix, a sort key or sort-key prefix, an index, a filter, a
//! limit) rendered into the keys-only read that finds the items. The deleting itself is the
//! batch path's.

use crate::definition::TableDefinition;
use crate::engine::request::ReadRequest;
use crate::expr::{Condition, ExpressionAttributes, KeyCondition, ProjectionExpression, Value, attr};
use crate::query::{find_index, read_keys};
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
        let (partition_key, sort_key) = read_keys(definition, index);
        if partition.is_some() && self.partition_prefix.is_some() {
            return Err(refuse(
                table,
                index_name,
                "clear either one partition or the partitions with a key prefix, not both",
            ));
        }
        if self.limit == Some(0) {
            return Err(refuse(
                table,
                index_name,
                "the limit (the most items deleted) must be at least 1",
            ));
        }
        let sort = match (&self.sort, sort_key) {
            (None, _) => None,
            (Some(m), Some(name)) => Some((name, m.clone())),
            (Some(_), None) => {
                return Err(refuse(
                    table,
                    index_name,
                    "a sort key was given, but what is cleared has none",
                ));
            }
        };
        let mut filters: Vec<Condition> = Vec::new();
        if let Some(prefix) = &self.partition_prefix {
            filters.push(attr(partition_key).begins_with(prefix.as_str()));
        }
        let mut attributes = ExpressionAttributes::new();
        let key_condition = match partition {
            Some(value) => {
                let mut key = KeyCondition::partition(partition_key, Value::from(value));
                key = match sort {
                    Some((name, SortMatch::Equals(v))) => key.sort_eq(name, v),
                    Some((name, SortMatch::BeginsWith(p))) => key.sort_begins_with(name, p),
                    None => key,
                };
                Some(key.render(&mut attributes))
            }
            None => {
                match sort {
                    Some((name, SortMatch::Equals(v))) => filters.push(attr(name).eq(v)),
                    Some((name, SortMatch::BeginsWith(p))) => filters.push(attr(name).begins_with(p)),
                    None => {}
                }
                None
            }
        };
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
}

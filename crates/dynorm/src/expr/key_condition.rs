//! Key conditions for queries: the partition key, and optionally a condition on the sort key.

use aws_sdk_dynamodb::types::AttributeValue;

use super::condition::Comparator;
use super::render::Render;
use super::{ExpressionAttributes, IntoValue, Path, Value, invalid};
use crate::Result;

#[derive(Debug, Clone, PartialEq)]
enum SortCondition {
    Compare(Comparator, Value),
    Between(Value, Value),
    BeginsWith(Value),
}

/// A `KeyConditionExpression`: `partition key = value`, plus an optional sort-key condition
/// (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN` or `begins_with`). Setting a sort-key condition again
/// replaces the previous one.
///
/// Key values must be strings, numbers or binary (checked at rendering).
///
/// ```
/// use dynorm::expr::{ExpressionAttributes, KeyCondition};
///
/// let key = KeyCondition::partition("pk", "user#1").sort_between("sk", "2024-01", "2024-06");
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(key.render(&mut attributes)?, "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
/// # Ok::<(), dynorm::Error>(())
/// ```
///
/// A global index with a multi-attribute key takes an equality on every partition-key attribute
/// ([`and_partition`](Self::and_partition)) and, on its sort-key attributes in order, equalities
/// on a leading run ([`and_sort_eq`](Self::and_sort_eq)) and at most one condition on the next
/// (the `sort_*` methods); queries check that rule against the index before sending.
///
/// ```
/// use dynorm::expr::{ExpressionAttributes, KeyCondition};
///
/// let key = KeyCondition::partition("tenant", "acme")
///     .and_partition("region", "eu")
///     .and_sort_eq("round", 2)
///     .sort_ge("match_no", 10);
/// assert_eq!(key.partition_keys(), ["tenant", "region"]);
/// assert_eq!(key.sort_keys(), ["round", "match_no"]);
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(
///     key.render(&mut attributes)?,
///     "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2 AND #n3 >= :v3"
/// );
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct KeyCondition {
    partition_key: String,
    partition_value: Value,
    /// Equalities on the further attributes of a multi-attribute partition key.
    more_partition: Vec<(String, Value)>,
    /// Equalities on the leading attributes of a multi-attribute sort key, in order.
    sort_equal: Vec<(String, Value)>,
    sort: Option<(String, SortCondition)>,
}

impl KeyCondition {
    /// `partition_key = value`.
    pub fn partition(partition_key: impl Into<String>, value: impl IntoValue) -> Self {
        Self {
            partition_key: partition_key.into(),
            partition_value: value.into_value(),
            more_partition: Vec::new(),
            sort_equal: Vec::new(),
            sort: None,
        }
    }

    /// `AND attribute = value` on a further attribute of a multi-attribute partition key.
    pub fn and_partition(mut self, attribute: impl Into<String>, value: impl IntoValue) -> Self {
        self.more_partition.push((attribute.into(), value.into_value()));
        self
    }

    /// `AND attribute = value` on the next leading attribute of a multi-attribute sort key
    /// (before the condition the `sort_*` methods set on the attribute after them).
    pub fn and_sort_eq(mut self, attribute: impl Into<String>, value: impl IntoValue) -> Self {
        self.sort_equal.push((attribute.into(), value.into_value()));
        self
    }

    /// Every partition-key attribute compared, in the order given.
    pub fn partition_keys(&self) -> Vec<&str> {
        std::iter::once(self.partition_key.as_str())
            .chain(self.more_partition.iter().map(|(n, _)| n.as_str()))
            .collect()
    }

    /// Every sort-key attribute with a condition, in order: the leading equalities, then the
    /// attribute of the `sort_*` condition.
    pub fn sort_keys(&self) -> Vec<&str> {
        self.sort_equal
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.sort.as_ref().map(|(n, _)| n.as_str()))
            .collect()
    }

    fn sort(mut self, sort_key: impl Into<String>, condition: SortCondition) -> Self {
        self.sort = Some((sort_key.into(), condition));
        self
    }

    /// `AND sort_key = value`.
    pub fn sort_eq(self, sort_key: impl Into<String>, value: impl IntoValue) -> Self {
        self.sort(
            sort_key,
            SortCondition::Compare(Comparator::Eq, value.into_value()),
        )
    }

    /// `AND sort_key < value`.
    pub fn sort_lt(self, sort_key: impl Into<String>, value: impl IntoValue) -> Self {
        self.sort(
            sort_key,
            SortCondition::Compare(Comparator::Lt, value.into_value()),
        )
    }

    /// `AND sort_key <= value`.
    pub fn sort_le(self, sort_key: impl Into<String>, value: impl IntoValue) -> Self {
        self.sort(
            sort_key,
            SortCondition::Compare(Comparator::Le, value.into_value()),
        )
    }

    /// `AND sort_key > value`.
    pub fn sort_gt(self, sort_key: impl Into<String>, value: impl IntoValue) -> Self {
        self.sort(
            sort_key,
            SortCondition::Compare(Comparator::Gt, value.into_value()),
        )
    }

    /// `AND sort_key >= value`.
    pub fn sort_ge(self, sort_key: impl Into<String>, value: impl IntoValue) -> Self {
        self.sort(
            sort_key,
            SortCondition::Compare(Comparator::Ge, value.into_value()),
        )
    }

    /// `AND sort_key BETWEEN low AND high`.
    pub fn sort_between(
        self,
        sort_key: impl Into<String>,
        low: impl IntoValue,
        high: impl IntoValue,
    ) -> Self {
        self.sort(
            sort_key,
            SortCondition::Between(low.into_value(), high.into_value()),
        )
    }

    /// `AND begins_with(sort_key, prefix)`.
    pub fn sort_begins_with(self, sort_key: impl Into<String>, prefix: impl IntoValue) -> Self {
        self.sort(sort_key, SortCondition::BeginsWith(prefix.into_value()))
    }

    /// The partition key attribute.
    pub fn partition_key(&self) -> &str {
        &self.partition_key
    }

    /// The attribute of the `sort_*` condition, when there is one.
    pub fn sort_key(&self) -> Option<&str> {
        self.sort.as_ref().map(|(name, _)| name.as_str())
    }

    /// Renders the key condition; names and values go into `attributes`.
    pub fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        let mut out = String::new();
        write_name(&mut out, attributes, &self.partition_key)?;
        out.push_str(" = ");
        write_key_value(
            &mut out,
            attributes,
            &self.partition_key,
            &self.partition_value,
            false,
        )?;
        for (name, value) in self.more_partition.iter().chain(&self.sort_equal) {
            out.push_str(" AND ");
            write_name(&mut out, attributes, name)?;
            out.push_str(" = ");
            write_key_value(&mut out, attributes, name, value, false)?;
        }
        let Some((sort_key, condition)) = &self.sort else {
            return Ok(out);
        };
        out.push_str(" AND ");
        match condition {
            SortCondition::Compare(comparator, value) => {
                write_name(&mut out, attributes, sort_key)?;
                out.push(' ');
                out.push_str(comparator.as_str());
                out.push(' ');
                write_key_value(&mut out, attributes, sort_key, value, false)?;
            }
            SortCondition::Between(low, high) => {
                write_name(&mut out, attributes, sort_key)?;
                out.push_str(" BETWEEN ");
                write_key_value(&mut out, attributes, sort_key, low, false)?;
                out.push_str(" AND ");
                write_key_value(&mut out, attributes, sort_key, high, false)?;
            }
            SortCondition::BeginsWith(prefix) => {
                out.push_str("begins_with(");
                write_name(&mut out, attributes, sort_key)?;
                out.push_str(", ");
                write_key_value(&mut out, attributes, sort_key, prefix, true)?;
                out.push(')');
            }
        }
        Ok(out)
    }
}

fn write_name(out: &mut String, attributes: &mut ExpressionAttributes, name: &str) -> Result<()> {
    Path::new(name).write(out, attributes)
}

fn write_key_value(
    out: &mut String,
    attributes: &mut ExpressionAttributes,
    key: &str,
    value: &Value,
    prefix: bool,
) -> Result<()> {
    let value = value.to_rendered().map_err(|mut e| {
        e.attribute.get_or_insert_with(|| key.to_owned());
        e
    })?;
    let valid = match value {
        AttributeValue::S(_) | AttributeValue::B(_) => true,
        AttributeValue::N(_) => !prefix,
        _ => false,
    };
    if !valid {
        let expected = if prefix {
            "a string or binary prefix"
        } else {
            "a string, number or binary"
        };
        return Err(invalid(format!(
            "key attribute `{key}` is compared with {}, but takes {expected}",
            crate::attribute::type_name(&value)
        )));
    }
    attributes.write_value(out, value);
    Ok(())
}

impl Render for KeyCondition {
    fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        KeyCondition::render(self, attributes)
    }
}

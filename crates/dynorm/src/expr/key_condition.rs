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
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct KeyCondition {
    partition_key: String,
    partition_value: Value,
    sort: Option<(String, SortCondition)>,
}

impl KeyCondition {
    /// `partition_key = value`.
    pub fn partition(partition_key: impl Into<String>, value: impl IntoValue) -> Self {
        Self {
            partition_key: partition_key.into(),
            partition_value: value.into_value(),
            sort: None,
        }
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

    /// The sort key attribute, when there is a sort-key condition.
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

//! The placeholder maps shared by the expressions of one request, and projections.

use std::collections::HashMap;
use std::fmt::Write as _;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::Result;

/// The name and value placeholders of ONE request, shared by all its expressions (key condition,
/// filter and projection; or condition and update).
///
/// Each distinct attribute name gets one placeholder (`#n0`, `#n1`, ...); each value gets its own
/// (`:v0`, `:v1`, ...). There is no limit on their number.
///
/// If rendering fails the maps may hold placeholders of the failed expression: drop them with
/// the request.
///
/// ```
/// use dynorm::expr::{attr, ExpressionAttributes, KeyCondition, ProjectionExpression};
///
/// let mut attributes = ExpressionAttributes::new();
/// let key = KeyCondition::partition("pk", "user#1").sort_begins_with("sk", "order#");
/// let filter = attr("status").ne("cancelled");
/// let projection = ProjectionExpression::new(["sk", "status", "total"]);
/// assert_eq!(key.render(&mut attributes)?, "#n0 = :v0 AND begins_with(#n1, :v1)");
/// assert_eq!(filter.render(&mut attributes)?, "#n2 <> :v2");
/// assert_eq!(projection.render(&mut attributes)?, "#n1, #n2, #n3");
///
/// let (names, values) = attributes.into_parts();
/// assert_eq!(names.map(|n| n.len()), Some(4));
/// assert_eq!(values.map(|v| v.len()), Some(3));
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpressionAttributes {
    /// Placeholder to name, as DynamoDB wants it.
    names: HashMap<String, String>,
    /// Name to its placeholder's number.
    numbers: HashMap<String, usize>,
    /// Placeholder to value.
    values: HashMap<String, AttributeValue>,
}

impl ExpressionAttributes {
    /// No placeholders yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `ExpressionAttributeNames`: placeholder (`#n0`) to attribute name.
    pub fn names(&self) -> &HashMap<String, String> {
        &self.names
    }

    /// `ExpressionAttributeValues`: placeholder (`:v0`) to value.
    pub fn values(&self) -> &HashMap<String, AttributeValue> {
        &self.values
    }

    /// Whether no placeholder was made.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.values.is_empty()
    }

    /// The two maps, each `None` when empty (DynamoDB refuses empty maps), ready for the SDK's
    /// `set_expression_attribute_names` and `set_expression_attribute_values`.
    #[allow(clippy::type_complexity)]
    pub fn into_parts(
        self,
    ) -> (
        Option<HashMap<String, String>>,
        Option<HashMap<String, AttributeValue>>,
    ) {
        let names = (!self.names.is_empty()).then_some(self.names);
        let values = (!self.values.is_empty()).then_some(self.values);
        (names, values)
    }

    /// The placeholder for an attribute name (the same one each time the name is used).
    pub fn name(&mut self, name: &str) -> String {
        let mut out = String::with_capacity(4);
        self.write_name(&mut out, name);
        out
    }

    /// A new placeholder for a value.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let mut out = String::with_capacity(4);
        self.write_value(&mut out, value);
        out
    }

    pub(crate) fn write_name(&mut self, out: &mut String, name: &str) {
        let number = match self.numbers.get(name) {
            Some(&n) => n,
            None => {
                let n = self.numbers.len();
                self.numbers.insert(name.to_owned(), n);
                self.names.insert(format!("#n{n}"), name.to_owned());
                n
            }
        };
        // Writing to a `String` cannot fail.
        let _ = write!(out, "#n{number}");
    }

    pub(crate) fn write_value(&mut self, out: &mut String, value: AttributeValue) {
        let placeholder = format!(":v{}", self.values.len());
        out.push_str(&placeholder);
        self.values.insert(placeholder, value);
    }
}

/// An expression that renders into the placeholders of a request.
///
/// Implemented by [`Condition`](super::Condition), [`Update`](super::Update),
/// [`KeyCondition`](super::KeyCondition), [`ProjectionExpression`](super::ProjectionExpression) and [`Path`](super::Path), so request
/// builders can take any of them.
pub trait Render {
    /// The expression text; names and values go into `attributes`.
    fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String>;
}

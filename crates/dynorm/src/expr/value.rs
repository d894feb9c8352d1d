//! Values in expressions: encoded with [`Attribute`], errors kept until rendering.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::Attribute;
use crate::error::EncodeError;

/// An encoded value for an expression, or the error encoding it met (reported at rendering).
///
/// A value that encodes to nothing (`None`, an empty set) is `NULL` in conditions; in
/// [`Update::set`](super::Update::set) it removes the attribute instead.
///
/// ```
/// use dynorm::expr::Value;
/// use dynorm::AttributeValue;
///
/// assert_eq!(Value::new("x").attribute_value()?, Some(&AttributeValue::S("x".into())));
/// assert_eq!(Value::new(None::<String>).attribute_value()?, None);
/// assert_eq!(Value::from(AttributeValue::Bool(true)).attribute_value()?, Some(&AttributeValue::Bool(true)));
/// # Ok::<(), dynorm::EncodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    inner: Result<Option<AttributeValue>, EncodeError>,
}

impl Value {
    /// Encodes a value.
    pub fn new(value: impl IntoValue) -> Self {
        value.into_value()
    }

    /// An already encoded value (`None` for nothing).
    pub fn from_result(result: Result<Option<AttributeValue>, EncodeError>) -> Self {
        Self { inner: result }
    }

    /// The encoded value (`None` when it encodes to nothing), or the error encoding it met.
    pub fn attribute_value(&self) -> Result<Option<&AttributeValue>, EncodeError> {
        match &self.inner {
            Ok(v) => Ok(v.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }

    /// Whether the value encodes to nothing (`None`, an empty set).
    pub fn is_nothing(&self) -> bool {
        matches!(self.inner, Ok(None))
    }

    /// The value to render: nothing becomes `NULL`.
    pub(crate) fn to_rendered(&self) -> Result<AttributeValue, EncodeError> {
        match &self.inner {
            Ok(Some(v)) => Ok(v.clone()),
            Ok(None) => Ok(AttributeValue::Null(true)),
            Err(e) => Err(e.clone()),
        }
    }

    pub(crate) fn number(n: usize) -> Self {
        Self::from(AttributeValue::N(n.to_string()))
    }
}

impl From<AttributeValue> for Value {
    fn from(value: AttributeValue) -> Self {
        Self {
            inner: Ok(Some(value)),
        }
    }
}

/// What can be a value in an expression: every [`Attribute`], string slices, `()` (NULL), raw
/// [`AttributeValue`]s (through [`Value::from`]) and [`Value`] itself.
pub trait IntoValue {
    /// Encodes the value.
    fn into_value(self) -> Value;
}

impl<T: Attribute> IntoValue for T {
    fn into_value(self) -> Value {
        Value::from_result(self.encode())
    }
}

impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::from(AttributeValue::S(self.to_owned()))
    }
}

impl IntoValue for &String {
    fn into_value(self) -> Value {
        Value::from(AttributeValue::S(self.clone()))
    }
}

/// `NULL` (for comparisons with it; [`Filter`](super::Filter)'s `exists` ignores its value).
impl IntoValue for () {
    fn into_value(self) -> Value {
        Value::from(AttributeValue::Null(true))
    }
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

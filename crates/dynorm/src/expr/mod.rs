//! Expressions, built never concatenated: conditions and filters, updates, key conditions and
//! projections, rendered with generated placeholders.
//!
//! Every attribute name goes through a name placeholder (`#n0`, `#n1`, ...) and every value
//! through a value placeholder (`:v0`, `:v1`, ...), so reserved words such as `name`, `status` or
//! `size` are always safe, values never appear in the expression text, and there is no limit on
//! the number of clauses. All expressions of one request render into the same
//! [`ExpressionAttributes`], which hands back the two maps DynamoDB needs.
//!
//! ```
//! use dynorm::expr::{attr, ExpressionAttributes};
//!
//! let condition = attr("status").eq("active") & attr("email").contains("@example.com");
//! let mut attributes = ExpressionAttributes::new();
//! let text = condition.render(&mut attributes)?;
//! assert_eq!(text, "#n0 = :v0 AND contains(#n1, :v1)");
//! assert_eq!(attributes.names()["#n0"], "status");
//! assert_eq!(attributes.values()[":v1"], dynorm::AttributeValue::S("@example.com".into()));
//! # Ok::<(), dynorm::Error>(())
//! ```
//!
//! Values are encoded with [`Attribute::encode`](crate::Attribute::encode). An encoding error
//! (a NaN number, say) is kept inside the expression and reported when it is rendered, so
//! building an expression never needs a `?`.

mod condition;
mod filter;
mod key_condition;
mod path;
mod projection;
mod render;
mod typed;
mod update;
mod value;

pub use condition::{Attr, Comparator, Condition, Operand, Size, StoredType};
pub use filter::{Comparison, Filter};
pub use key_condition::KeyCondition;
pub use path::{Path, Segment};
pub use projection::ProjectionExpression;
pub use render::{ExpressionAttributes, Render};
pub use typed::{FieldValue, FromField, HasFields, TypedPath};
pub(crate) use update::ImmutableEffect;
pub use update::{SetValue, Update};
pub use value::{IntoValue, Value};

/// The attribute at `path`, to build a condition on: `attr("age").gt(21)`.
///
/// A `&str` or `String` is one attribute name, even with dots in it; use [`Path::parse`] or
/// [`Attr::key`] / [`Attr::index`] for document paths.
///
/// ```
/// use dynorm::expr::{attr, ExpressionAttributes};
///
/// let mut attributes = ExpressionAttributes::new();
/// let text = attr("tags").size().gt(3).render(&mut attributes)?;
/// assert_eq!(text, "size(#n0) > :v0");
/// # Ok::<(), dynorm::Error>(())
/// ```
pub fn attr(path: impl Into<Path>) -> Attr {
    Attr::new(path)
}

/// The error for an invalid expression not tied to a table.
pub(crate) fn invalid(message: impl Into<String>) -> crate::Error {
    crate::Error::InvalidExpression {
        table: String::new(),
        message: message.into(),
    }
}

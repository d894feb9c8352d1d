//! Key templates: `T#{tenant_name}#Integrations`, `I#{integration_id}`, `ORDER#{order_id:08}`.
//!
//! A template is literal text with `{field}` placeholders; `{field:08}` (or `{field:8}`) pads an
//! integer with zeros to that width so keys sort numerically. `{{` and `}}` write literal braces.
//!
//! **Escaping.** A key must parse back into its field values, so a placeholder's value may not
//! be confused with the literal text after it. The characters that start a literal following a
//! placeholder (the *stop characters*, usually just `#`) and the backslash are escaped in values
//! with a backslash: the value `a#b` renders as `a\#b`, `c\d` as `c\\d`. Values without those
//! characters render unchanged, so keys stay byte for byte what other libraries write. Two
//! placeholders side by side (`{a}{b}`) cannot be told apart and are refused, as is a literal
//! starting with a backslash after a placeholder.
//!
//! The grammar lives in one internal crate, `dynorm-template`, used by `#[derive(Entity)]` too:
//! a derived entity's templates are parsed when it is compiled and kept as [`TemplatePart`]s
//! ([`KeyTemplate::plan`](super::KeyTemplate::plan)); [`Template::parse`] is for templates
//! known only at run time (schema files, `dynorm backfill`).
//!
//! ```
//! use dynorm::entity::template::Template;
//! use dynorm::AttributeValue;
//!
//! let pk = Template::parse("T#{tenant_name}#Integrations").unwrap();
//! let key = pk.render(&[("tenant_name", AttributeValue::S("tenant-2".into()))]).unwrap();
//! assert_eq!(key, "T#tenant-2#Integrations");
//! assert_eq!(pk.parse_key(&key).unwrap()["tenant_name"], "tenant-2");
//!
//! let sk = Template::parse("ORDER#{order_id:08}#{line}").unwrap();
//! let known = [("order_id", AttributeValue::N("42".into()))];
//! assert_eq!(sk.render_prefix(&known).unwrap(), "ORDER#00000042#");
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use dynorm_template::{Plan, Value};

use crate::AttributeValue;
use crate::attribute::type_name;

pub use dynorm_template::{Segment, TemplateError};

/// One piece of a compiled template: what `#[derive(Entity)]` writes into
/// [`KeyTemplate::parts`](super::KeyTemplate::parts) for each template, parsed at compile time.
pub type TemplatePart = Segment<&'static str>;

/// A parsed key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(dynorm_template::Template);

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Template {
    /// Parses a template; the error names the byte where it went wrong.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        dynorm_template::Template::parse(text).map(Self)
    }

    /// The template's segments, borrowed, to render with.
    pub fn plan(&self) -> TemplatePlan<'_, String> {
        TemplatePlan(self.0.plan())
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The pieces of the template.
    pub fn segments(&self) -> &[Segment] {
        self.0.segments()
    }

    /// The field names used, in order, each once.
    pub fn fields(&self) -> Vec<&str> {
        self.plan().fields()
    }

    /// Whether the template has no placeholders (a constant key such as `PROFILE`).
    pub fn is_constant(&self) -> bool {
        self.plan().is_constant()
    }

    /// Renders the key from field values (each an S or N attribute value). Every placeholder
    /// needs a value; the error lists all that are missing.
    pub fn render(&self, values: &[(&str, AttributeValue)]) -> Result<String, TemplateError> {
        self.plan().render(values)
    }

    /// [`render`](Self::render) with values looked up by field name (`None`: absent).
    pub fn render_with(
        &self,
        lookup: impl FnMut(&str) -> Option<AttributeValue>,
    ) -> Result<String, TemplateError> {
        self.plan().render_with(lookup)
    }

    /// [`render_with`](Self::render_with), the values borrowed (no copy per placeholder).
    pub fn render_borrowed<'v>(
        &self,
        lookup: impl FnMut(&str) -> Option<&'v AttributeValue>,
    ) -> Result<String, TemplateError> {
        self.plan().render_borrowed(lookup)
    }

    /// The known beginning of a key, for a `begins_with` condition: the literal text and values
    /// up to the first placeholder without a value (the whole key when all are known).
    pub fn render_prefix(&self, values: &[(&str, AttributeValue)]) -> Result<String, TemplateError> {
        self.plan().render_prefix(values)
    }

    /// Reads a stored key back into the text of each field (escapes undone, padding removed).
    /// Decode each text with the field's type (an N field's text is its number).
    pub fn parse_key(&self, key: &str) -> Result<BTreeMap<String, String>, TemplateError> {
        self.plan().parse_key(key)
    }
}

/// A template's segments, borrowed, rendering attribute values: a derived entity's templates
/// compiled into `const`s ([`KeyTemplate::plan`](super::KeyTemplate::plan), never parsed at run
/// time), or a parsed [`Template`]'s ([`Template::plan`]).
#[derive(Debug)]
pub struct TemplatePlan<'a, S = &'static str>(Plan<'a, S>);

// Copy whatever `S` is: a plan only borrows.
impl<S> Clone for TemplatePlan<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for TemplatePlan<'_, S> {}

impl TemplatePlan<'static> {
    /// The plan of a template compiled by `#[derive(Entity)]`: its text and parts.
    pub const fn compiled(template: &'static str, parts: &'static [TemplatePart]) -> Self {
        Self(Plan::new(template, parts))
    }
}

impl<'a, S> TemplatePlan<'a, S> {
    /// The plan rendering and reading keys as `form` stores them (escaping, empty values).
    pub const fn with_form(self, form: crate::StoredForm) -> Self {
        Self(
            self.0
                .with_escaping(form.key_escaping)
                .dropping_empty_values(form.drop_empty_key_values),
        )
    }
}

/// The text a placeholder reads from an attribute value: S and N values; NULL is absent (how
/// other libraries store `None`); other types are refused.
fn value(v: &AttributeValue) -> Option<Value<'_>> {
    Some(match v {
        AttributeValue::S(s) => Value::Str(Cow::Borrowed(s)),
        AttributeValue::N(n) => Value::Num(Cow::Borrowed(n)),
        AttributeValue::Null(_) => return None,
        other => Value::Other(type_name(other)),
    })
}

/// [`value`], owned.
fn owned_value(v: AttributeValue) -> Option<Value<'static>> {
    Some(match v {
        AttributeValue::S(s) => Value::Str(Cow::Owned(s)),
        AttributeValue::N(n) => Value::Num(Cow::Owned(n)),
        AttributeValue::Null(_) => return None,
        other => Value::Other(type_name(&other)),
    })
}

/// The first value given for a field.
fn find<'v>(values: &'v [(&str, AttributeValue)], name: &str) -> Option<&'v AttributeValue> {
    values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

impl<'a, S: AsRef<str>> TemplatePlan<'a, S> {
    /// The template text.
    pub fn as_str(&self) -> &'a str {
        self.0.as_str()
    }

    /// The pieces of the template.
    pub fn segments(&self) -> &'a [Segment<S>] {
        self.0.segments()
    }

    /// The field names used, in order, each once.
    pub fn fields(&self) -> Vec<&'a str> {
        self.0.fields()
    }

    /// Whether the template has no placeholders.
    pub fn is_constant(&self) -> bool {
        self.0.is_constant()
    }

    /// Renders the key from field values; see [`Template::render`].
    pub fn render(&self, values: &[(&str, AttributeValue)]) -> Result<String, TemplateError> {
        self.0.render(|name| find(values, name).and_then(value))
    }

    /// Renders the key, values looked up by field name; see [`Template::render_with`].
    pub fn render_with(
        &self,
        mut lookup: impl FnMut(&str) -> Option<AttributeValue>,
    ) -> Result<String, TemplateError> {
        self.0.render(|name| lookup(name).and_then(owned_value))
    }

    /// Renders the key, values borrowed; see [`Template::render_borrowed`].
    pub fn render_borrowed<'v>(
        &self,
        mut lookup: impl FnMut(&str) -> Option<&'v AttributeValue>,
    ) -> Result<String, TemplateError> {
        self.0.render(|name| lookup(name).and_then(value))
    }

    /// The known beginning of a key; see [`Template::render_prefix`].
    pub fn render_prefix(&self, values: &[(&str, AttributeValue)]) -> Result<String, TemplateError> {
        self.0.render_prefix(|name| find(values, name).and_then(value))
    }

    /// Reads a stored key back into the text of each field; see [`Template::parse_key`].
    pub fn parse_key(&self, key: &str) -> Result<BTreeMap<String, String>, TemplateError> {
        self.0.parse_key(key)
    }

    /// Whether a stored key has the template's shape (including a verbatim key that reads two
    /// ways: it is still this template's key, only its fields cannot be told apart).
    pub fn matches(&self, key: &str) -> bool {
        matches!(self.parse_key(key), Ok(_) | Err(TemplateError::Ambiguous { .. }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    #[test]
    fn segments() {
        let t = Template::parse("T#{tenant_name}#Integrations").unwrap();
        assert_eq!(
            t.segments(),
            &[
                Segment::Literal("T#".into()),
                Segment::Field {
                    name: "tenant_name".into(),
                    width: None
                },
                Segment::Literal("#Integrations".into()),
            ]
        );
        assert_eq!(t.fields(), ["tenant_name"]);
        assert!(Template::parse("PROFILE").unwrap().is_constant());
        assert_eq!(
            Template::parse("{{x}}").unwrap().segments(),
            &[Segment::Literal("{x}".into())]
        );
    }

    #[test]
    fn malformed() {
        for bad in [
            "A#{a", "A#{}", "A#{a:x}", "A#{a:0}", "{a}{b}", "A}", "{1a}", "{a}\\x",
        ] {
            assert!(
                matches!(Template::parse(bad), Err(TemplateError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let t = Template::parse("A#{a}#B#{b}").unwrap();
        assert_eq!(
            t.render(&[]).unwrap_err().to_string(),
            "key template `A#{a}#B#{b}` needs field(s) `a`, `b`"
        );
        assert_eq!(t.render_prefix(&[("a", s("1"))]).unwrap(), "A#1#B#");
        assert_eq!(t.render_prefix(&[("b", s("1"))]).unwrap(), "A#");
    }

    #[test]
    fn mismatch() {
        let t = Template::parse("A#{a}#B").unwrap();
        assert!(t.parse_key("X#1#B").is_err());
        assert!(t.parse_key("A#1#Bx").is_err());
        assert!(t.parse_key("A#1\\").is_err());
    }
}

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

use std::collections::BTreeMap;
use std::fmt;

use crate::AttributeValue;
use crate::attribute::type_name;

/// The escape character of placeholder values.
const ESCAPE: char = '\\';

/// Why a template could not be parsed, rendered, or matched against a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The template text is malformed.
    #[error("malformed key template `{template}` at byte {at}: {reason}")]
    Malformed {
        /// The template text.
        template: String,
        /// The byte offset of the problem.
        at: usize,
        /// What is wrong.
        reason: String,
    },
    /// Values for these placeholders were not given (or are absent).
    #[error("key template `{template}` needs field(s) {}", names(.missing))]
    MissingFields {
        /// The template text.
        template: String,
        /// The fields without a value, in template order.
        missing: Vec<String>,
    },
    /// A padded placeholder got a negative number, which would not sort.
    #[error("field `{field}` is padded to {width} digits and cannot be negative, found {value}")]
    Negative {
        /// The field.
        field: String,
        /// The pad width.
        width: usize,
        /// The value given.
        value: String,
    },
    /// A padded placeholder got a number with more digits than its width.
    #[error("field `{field}` is padded to {width} digits, but {value} is wider")]
    TooWide {
        /// The field.
        field: String,
        /// The pad width.
        width: usize,
        /// The value given.
        value: String,
    },
    /// A padded placeholder got something other than a whole number.
    #[error("field `{field}` is padded to {width} digits and must be a whole number, found {value}")]
    NotInteger {
        /// The field.
        field: String,
        /// The pad width.
        width: usize,
        /// The value given.
        value: String,
    },
    /// A value cannot be part of a key string (only S and N values can).
    #[error("field `{field}` must be stored as S or N to be part of a key, found {found}")]
    NotScalar {
        /// The field.
        field: String,
        /// The stored type found.
        found: &'static str,
    },
    /// A stored key does not have the template's shape.
    #[error("key `{key}` does not match template `{template}`: {reason}")]
    Mismatch {
        /// The template text.
        template: String,
        /// The key that was read.
        key: String,
        /// What did not match.
        reason: String,
    },
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text written as it is.
    Literal(String),
    /// A field's value.
    Field {
        /// The field name.
        name: String,
        /// Zero-pad an integer to this many digits.
        width: Option<usize>,
    },
}

/// A parsed key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
    /// The characters escaped in values (see the module docs).
    stops: Vec<char>,
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Template {
    /// Parses a template; the error names the byte where it went wrong.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let malformed = |at: usize, reason: &str| TemplateError::Malformed {
            template: text.to_owned(),
            at,
            reason: reason.to_owned(),
        };
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(malformed(at, "a lone `}` (write `}}` for a literal brace)")),
                '{' => {
                    let mut inner = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        inner.push(c);
                    }
                    if !closed {
                        return Err(malformed(at, "a `{` without its `}`"));
                    }
                    let (name, width) = match inner.split_once(':') {
                        Some((name, spec)) => {
                            let digits = spec.strip_prefix('0').unwrap_or(spec);
                            match digits.parse::<usize>() {
                                Ok(w) if w > 0 && w <= 38 && spec.chars().all(|c| c.is_ascii_digit()) => {
                                    (name, Some(w))
                                }
                                _ => {
                                    return Err(malformed(
                                        at,
                                        "a pad width must be a number from 1 to 38, as in `{id:08}`",
                                    ));
                                }
                            }
                        }
                        None => (inner.as_str(), None),
                    };
                    if name.is_empty()
                        || !name.chars().all(|c| c == '_' || c.is_alphanumeric())
                        || name.starts_with(|c: char| c.is_ascii_digit())
                    {
                        return Err(malformed(
                            at,
                            "a placeholder must name a field, as in `{tenant_name}`",
                        ));
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    } else if matches!(segments.last(), Some(Segment::Field { .. })) {
                        return Err(malformed(
                            at,
                            "two placeholders side by side cannot be read back; put literal text between them",
                        ));
                    }
                    segments.push(Segment::Field {
                        name: name.to_owned(),
                        width,
                    });
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        let mut stops = Vec::new();
        for pair in segments.windows(2) {
            if let [Segment::Field { .. }, Segment::Literal(l)] = pair
                && let Some(first) = l.chars().next()
            {
                if first == ESCAPE {
                    return Err(malformed(
                        0,
                        "a literal after a placeholder must not start with `\\`",
                    ));
                }
                if !stops.contains(&first) {
                    stops.push(first);
                }
            }
        }
        Ok(Self {
            source: text.to_owned(),
            segments,
            stops,
        })
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The pieces of the template.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The field names used, in order, each once.
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.segments {
            if let Segment::Field { name, .. } = s
                && !out.contains(&name.as_str())
            {
                out.push(name);
            }
        }
        out
    }

    /// Whether the template has no placeholders (a constant key such as `PROFILE`).
    pub fn is_constant(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Literal(_)))
    }

    /// Renders the key from field values (each an S or N attribute value). Every placeholder
    /// needs a value; the error lists all that are missing.
    pub fn render(&self, values: &[(&str, AttributeValue)]) -> Result<String, TemplateError> {
        self.render_borrowed(|name| values.iter().find(|(n, _)| *n == name).map(|(_, v)| v))
    }

    /// [`render`](Self::render) with values looked up by field name (`None`: absent).
    pub fn render_with(
        &self,
        mut lookup: impl FnMut(&str) -> Option<AttributeValue>,
    ) -> Result<String, TemplateError> {
        self.render_parts(|name, width, out| lookup(name).map(|v| self.push_value(out, name, width, &v)))
    }

    /// [`render_with`](Self::render_with), the values borrowed (no copy per placeholder).
    pub fn render_borrowed<'v>(
        &self,
        mut lookup: impl FnMut(&str) -> Option<&'v AttributeValue>,
    ) -> Result<String, TemplateError> {
        self.render_parts(|name, width, out| lookup(name).map(|v| self.push_value(out, name, width, v)))
    }

    /// Renders, `push` writing a placeholder's value (`None`: absent).
    fn render_parts(
        &self,
        mut push: impl FnMut(&str, Option<usize>, &mut String) -> Option<Result<(), TemplateError>>,
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len() + 16);
        let mut missing = Vec::new();
        for s in &self.segments {
            match s {
                Segment::Literal(l) => out.push_str(l),
                Segment::Field { name, width } => match push(name, *width, &mut out) {
                    Some(pushed) => pushed?,
                    None => {
                        if !missing.contains(name) {
                            missing.push(name.clone());
                        }
                    }
                },
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(TemplateError::MissingFields {
                template: self.source.clone(),
                missing,
            })
        }
    }

    /// The known beginning of a key, for a `begins_with` condition: the literal text and values
    /// up to the first placeholder without a value (the whole key when all are known).
    pub fn render_prefix(&self, values: &[(&str, AttributeValue)]) -> Result<String, TemplateError> {
        let mut out = String::new();
        for s in &self.segments {
            match s {
                Segment::Literal(l) => out.push_str(l),
                Segment::Field { name, width } => match values.iter().find(|(n, _)| n == name) {
                    Some((_, v)) => self.push_value(&mut out, name, *width, v)?,
                    None => break,
                },
            }
        }
        Ok(out)
    }

    /// Writes a placeholder's value, padded if its placeholder says so, escaped where it would
    /// make the key ambiguous.
    fn push_value(
        &self,
        out: &mut String,
        name: &str,
        width: Option<usize>,
        value: &AttributeValue,
    ) -> Result<(), TemplateError> {
        let padded;
        let text: &str = match value {
            AttributeValue::S(s) => {
                if let Some(width) = width {
                    return Err(TemplateError::NotInteger {
                        field: name.to_owned(),
                        width,
                        value: format!("the string {s:?}"),
                    });
                }
                s
            }
            AttributeValue::N(n) => match width {
                Some(width) => {
                    padded = pad(name, width, n)?;
                    &padded
                }
                None => n,
            },
            other => {
                return Err(TemplateError::NotScalar {
                    field: name.to_owned(),
                    found: type_name(other),
                });
            }
        };
        if !text.contains(|c: char| c == ESCAPE || self.stops.contains(&c)) {
            out.push_str(text);
            return Ok(());
        }
        for c in text.chars() {
            if c == ESCAPE || self.stops.contains(&c) {
                out.push(ESCAPE);
            }
            out.push(c);
        }
        Ok(())
    }

    /// Reads a stored key back into the text of each field (escapes undone, padding removed).
    /// Decode each text with the field's type (an N field's text is its number).
    pub fn parse_key(&self, key: &str) -> Result<BTreeMap<String, String>, TemplateError> {
        let mismatch = |reason: String| TemplateError::Mismatch {
            template: self.source.clone(),
            key: key.to_owned(),
            reason,
        };
        let mut fields = BTreeMap::new();
        let mut rest = key;
        let mut segments = self.segments.iter().peekable();
        while let Some(s) = segments.next() {
            match s {
                Segment::Literal(l) => {
                    rest = rest
                        .strip_prefix(l.as_str())
                        .ok_or_else(|| mismatch(format!("expected `{l}` at `{rest}`")))?;
                }
                Segment::Field { name, width } => {
                    let stop = match segments.peek() {
                        Some(Segment::Literal(l)) => l.chars().next(),
                        _ => None,
                    };
                    let mut value = String::new();
                    let mut chars = rest.char_indices();
                    let mut end = rest.len();
                    while let Some((at, c)) = chars.next() {
                        if c == ESCAPE {
                            match chars.next() {
                                Some((_, e)) if e == ESCAPE || self.stops.contains(&e) => value.push(e),
                                Some((_, e)) => {
                                    return Err(mismatch(format!(
                                        "field `{name}` has the unknown escape `\\{e}`"
                                    )));
                                }
                                None => {
                                    return Err(mismatch(format!("field `{name}` ends with a lone `\\`")));
                                }
                            }
                        } else if Some(c) == stop {
                            end = at;
                            break;
                        } else {
                            value.push(c);
                        }
                    }
                    rest = &rest[end..];
                    if let Some(width) = width {
                        if value.len() != *width || !value.chars().all(|c| c.is_ascii_digit()) {
                            return Err(mismatch(format!(
                                "field `{name}` must be {width} digits, found `{value}`"
                            )));
                        }
                        let trimmed = value.trim_start_matches('0');
                        value = if trimmed.is_empty() {
                            "0".to_owned()
                        } else {
                            trimmed.to_owned()
                        };
                    }
                    match fields.get(name) {
                        Some(previous) if previous != &value => {
                            return Err(mismatch(format!(
                                "field `{name}` appears twice with different values"
                            )));
                        }
                        _ => {
                            fields.insert(name.clone(), value);
                        }
                    }
                }
            }
        }
        if !rest.is_empty() {
            return Err(mismatch(format!("unexpected trailing text `{rest}`")));
        }
        Ok(fields)
    }
}

/// Zero-pads the digits of a non-negative integer to `width`.
fn pad(field: &str, width: usize, number: &str) -> Result<String, TemplateError> {
    let error =
        |kind: fn(String, usize, String) -> TemplateError| kind(field.to_owned(), width, number.to_owned());
    if number.starts_with('-') {
        return Err(error(|field, width, value| TemplateError::Negative {
            field,
            width,
            value,
        }));
    }
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(error(|field, width, value| TemplateError::NotInteger {
            field,
            width,
            value,
        }));
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if digits.len() > width {
        return Err(error(|field, width, value| TemplateError::TooWide {
            field,
            width,
            value,
        }));
    }
    Ok(format!("{digits:0>width$}"))
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

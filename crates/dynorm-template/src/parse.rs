//! The grammar: literal text, `{field}` and `{field:08}` placeholders, `{{` and `}}` for braces.

use std::fmt;

use crate::error::TemplateError;
use crate::join::ESCAPE;
use crate::plan::Plan;

/// The widest zero padding: DynamoDB numbers have at most 38 digits.
pub const MAX_WIDTH: usize = 38;

const LONE_CLOSE: &str = "a lone `}` (write `}}` for a literal brace)";
const UNCLOSED: &str = "a `{` without its `}`";
const BAD_WIDTH: &str = "a pad width must be a number from 1 to 38, as in `{id:08}`";
const BAD_NAME: &str = "a placeholder must name a field, as in `{tenant_name}`";
const SIDE_BY_SIDE: &str = "two placeholders side by side cannot be read back; put literal text between them";
const ESCAPE_AFTER_FIELD: &str = "a literal after a placeholder must not start with `\\`";

/// One piece of a template: owned text (`Segment<String>`, the default) when parsed at run time,
/// `Segment<&'static str>` in a plan the derive compiles into a `const`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment<S = String> {
    /// Text written as it is (`{{` and `}}` already read as single braces).
    Literal(S),
    /// A field's value.
    Field {
        /// The field name.
        name: S,
        /// Zero-pad an integer to this many digits.
        width: Option<usize>,
    },
}

impl<S: AsRef<str>> Segment<S> {
    /// The segment with its text borrowed.
    pub fn borrowed(&self) -> Segment<&str> {
        match self {
            Self::Literal(l) => Segment::Literal(l.as_ref()),
            Self::Field { name, width } => Segment::Field {
                name: name.as_ref(),
                width: *width,
            },
        }
    }
}

/// The segment as template text: braces in literals doubled, a padded field as `{name:0W}`.
/// Segments written one after another parse back to the same segments.
impl<S: AsRef<str>> fmt::Display for Segment<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Literal(l) => {
                for c in l.as_ref().chars() {
                    match c {
                        '{' => f.write_str("{{")?,
                        '}' => f.write_str("}}")?,
                        c => fmt::Write::write_char(f, c)?,
                    }
                }
                Ok(())
            }
            Self::Field { name, width: None } => write!(f, "{{{}}}", name.as_ref()),
            Self::Field { name, width: Some(w) } => write!(f, "{{{}:0{w}}}", name.as_ref()),
        }
    }
}

/// A parsed key template, owning its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Template {
    /// Parses a template; a malformed one is [`TemplateError::Malformed`], naming the byte
    /// where it went wrong.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let malformed = |at: usize, reason: &str| TemplateError::Malformed {
            template: text.to_owned(),
            at,
            reason: reason.to_owned(),
        };
        let mut segments: Vec<Segment> = Vec::new();
        // Where each literal segment starts, to point at one that breaks a rule.
        let mut starts: Vec<usize> = Vec::new();
        let mut literal = String::new();
        let mut literal_at = 0;
        let mut i = 0;
        while let Some(c) = text[i..].chars().next() {
            let rest = &text[i..];
            if literal.is_empty() {
                literal_at = i;
            }
            if rest.starts_with("{{") || rest.starts_with("}}") {
                literal.push(c);
                i += 2;
                continue;
            }
            match c {
                '}' => return Err(malformed(i, LONE_CLOSE)),
                '{' => {
                    let Some(len) = rest[1..].find('}') else {
                        return Err(malformed(i, UNCLOSED));
                    };
                    let (name, width) = placeholder(&rest[1..=len]).map_err(|r| malformed(i, r))?;
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                        starts.push(literal_at);
                    } else if matches!(segments.last(), Some(Segment::Field { .. })) {
                        return Err(malformed(i, SIDE_BY_SIDE));
                    }
                    segments.push(Segment::Field {
                        name: name.to_owned(),
                        width,
                    });
                    starts.push(i);
                    i += len + 2;
                }
                c => {
                    literal.push(c);
                    i += c.len_utf8();
                }
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
            starts.push(literal_at);
        }
        // Checked after the whole text, so any other problem is reported first.
        for (pair, at) in segments.windows(2).zip(starts.iter().skip(1)) {
            if let [Segment::Field { .. }, Segment::Literal(l)] = pair
                && l.starts_with(ESCAPE)
            {
                return Err(malformed(*at, ESCAPE_AFTER_FIELD));
            }
        }
        Ok(Self {
            source: text.to_owned(),
            segments,
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

    /// The template's segments, borrowed, to render and read keys with.
    pub fn plan(&self) -> Plan<'_, String> {
        Plan::new(&self.source, &self.segments)
    }
}

/// The name and pad width inside `{...}`.
fn placeholder(inner: &str) -> Result<(&str, Option<usize>), &'static str> {
    let (name, width) = match inner.split_once(':') {
        Some((name, spec)) => {
            let digits = spec.strip_prefix('0').unwrap_or(spec);
            match digits.parse::<usize>() {
                Ok(w) if (1..=MAX_WIDTH).contains(&w) && spec.chars().all(|c| c.is_ascii_digit()) => {
                    (name, Some(w))
                }
                _ => return Err(BAD_WIDTH),
            }
        }
        None => (inner, None),
    };
    if name.is_empty()
        || !name.chars().all(|c| c == '_' || c.is_alphanumeric())
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(BAD_NAME);
    }
    Ok((name, width))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(text: &str) -> (usize, String) {
        match Template::parse(text) {
            Err(TemplateError::Malformed { at, reason, .. }) => (at, reason),
            other => panic!("{text}: {other:?}"),
        }
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
        assert_eq!(
            Template::parse("{{x}}").unwrap().segments(),
            &[Segment::Literal("{x}".into())]
        );
        assert_eq!(
            Template::parse("O#{id:08}").unwrap().segments()[1],
            Segment::Field {
                name: "id".into(),
                width: Some(8)
            }
        );
        assert!(Template::parse("").unwrap().segments().is_empty());
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(at("A#{tenant"), (2, UNCLOSED.to_owned()));
        assert_eq!(at("A}"), (1, LONE_CLOSE.to_owned()));
        assert_eq!(at("A#{}"), (2, BAD_NAME.to_owned()));
        assert_eq!(at("A#{1a}"), (2, BAD_NAME.to_owned()));
        assert_eq!(at("A#{a:x}"), (2, BAD_WIDTH.to_owned()));
        assert_eq!(at("A#{a:0}"), (2, BAD_WIDTH.to_owned()));
        assert_eq!(at("A#{a:39}"), (2, BAD_WIDTH.to_owned()));
        assert_eq!(at("{a}{b}"), (3, SIDE_BY_SIDE.to_owned()));
        assert_eq!(at("X{a}\\x"), (4, ESCAPE_AFTER_FIELD.to_owned()));
        // The escape rule is checked last.
        assert_eq!(at("{a}\\x{").0, 5);
    }
}

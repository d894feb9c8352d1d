//! The one error type of templates: parsing, rendering and reading keys back.

use std::fmt;

/// Why a template could not be parsed, rendered, or matched against a key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateError {
    /// The template text is malformed.
    Malformed {
        /// The template text.
        template: String,
        /// The byte offset of the problem (always inside the text, or 0 for an empty one).
        at: usize,
        /// What is wrong.
        reason: String,
    },
    /// Values for these placeholders were not given (or are absent).
    MissingFields {
        /// The template text.
        template: String,
        /// The fields without a value, in template order.
        missing: Vec<String>,
    },
    /// A padded placeholder got a negative number, which would not sort.
    Negative {
        /// The field.
        field: String,
        /// The pad width.
        width: usize,
        /// The value given.
        value: String,
    },
    /// A padded placeholder got a number with more digits than its width.
    TooWide {
        /// The field.
        field: String,
        /// The pad width.
        width: usize,
        /// The value given.
        value: String,
    },
    /// A padded placeholder got something other than a whole number.
    NotInteger {
        /// The field.
        field: String,
        /// The pad width.
        width: usize,
        /// The value given.
        value: String,
    },
    /// A value cannot be part of a key string (only S and N values can).
    NotScalar {
        /// The field.
        field: String,
        /// The stored type found.
        found: &'static str,
    },
    /// A stored key does not have the template's shape.
    Mismatch {
        /// The template text.
        template: String,
        /// The key that was read.
        key: String,
        /// What did not match.
        reason: String,
    },
    /// A key written without escaping can be read back in more than one way (a value holds the
    /// text that follows its placeholder), so the fields cannot be recovered from it.
    Ambiguous {
        /// The template text.
        template: String,
        /// The key that was read.
        key: String,
        /// The first field the readings disagree on.
        field: String,
        /// One reading of that field.
        one: String,
        /// Another reading of it.
        other: String,
    },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { template, at, reason } => {
                write!(f, "malformed key template `{template}` at byte {at}: {reason}")
            }
            Self::MissingFields { template, missing } => {
                write!(f, "key template `{template}` needs field(s) ")?;
                for (i, name) in missing.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{name}`")?;
                }
                Ok(())
            }
            Self::Negative { field, width, value } => write!(
                f,
                "field `{field}` is padded to {width} digits and cannot be negative, found {value}"
            ),
            Self::TooWide { field, width, value } => {
                write!(
                    f,
                    "field `{field}` is padded to {width} digits, but {value} is wider"
                )
            }
            Self::NotInteger { field, width, value } => write!(
                f,
                "field `{field}` is padded to {width} digits and must be a whole number, found {value}"
            ),
            Self::NotScalar { field, found } => write!(
                f,
                "field `{field}` must be stored as S or N to be part of a key, found {found}"
            ),
            Self::Mismatch {
                template,
                key,
                reason,
            } => {
                write!(f, "key `{key}` does not match template `{template}`: {reason}")
            }
            Self::Ambiguous {
                template,
                key,
                field,
                one,
                other,
            } => write!(
                f,
                "key `{key}` reads two ways with template `{template}` (written without escaping): field `{field}` could be `{one}` or `{other}`; the fields cannot be recovered from this key"
            ),
        }
    }
}

impl std::error::Error for TemplateError {}

impl TemplateError {
    /// The byte offset of a malformed template's problem; `None` for other errors.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::Malformed { at, .. } => Some(*at),
            _ => None,
        }
    }

    /// What is wrong with a malformed template, without the template and position (as the
    /// derive reports it at the template's span); `None` for other errors.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Malformed { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

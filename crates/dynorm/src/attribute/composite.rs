//! Composite strings: several fields joined into one string attribute (Da Vinci's
//! `COMPOSITE_STRING`), used by the code `#[derive(Table)]` generates.
//!
//! Each part is first encoded through its field's own [`Attribute`](crate::Attribute) impl and
//! turned into text with [`part_text`]; the texts are joined with [`join`]. Reading splits the
//! text with [`split`] and decodes each part from [`part_value`].
//!
//! **Escaped form** (dynorm's default): in each part, `\` is written `\\` and every occurrence of
//! the separator's first character `c` is written `\c`. An unescaped `c` in the joined text
//! therefore always starts a separator, so any values round-trip, including ones that contain
//! the separator or backslashes, whatever the separator's length. A separator must not be empty
//! or start with a backslash (the escapes could not be told apart from it); [`split`] refuses
//! such separators.
//!
//! **Unescaped form** (`escaped = false`, Da Vinci's `"-".join(values)`): the parts are joined
//! as they are, and reading splits on every separator; a value containing the separator then
//! reads back as the wrong number of parts, which [`split`] reports.
//!
//! ```
//! use dynorm::attribute::composite::{join, split};
//!
//! let parts = vec!["a#b".to_owned(), "c\\d".to_owned()];
//! let joined = join(&parts, "#", true);
//! assert_eq!(joined, r"a\#b#c\\d");
//! assert_eq!(split(&joined, "#", 2, true).unwrap(), parts);
//!
//! // Da Vinci's form:
//! assert_eq!(join(&["user".to_owned(), "42".to_owned()], "-", false), "user-42");
//! assert!(split("a-b-c", "-", 2, false).is_err());
//! ```

use aws_sdk_dynamodb::types::AttributeValue;
// The escape character of the escaped form, shared with key templates.
use dynorm_template::ESCAPE;

use crate::attribute::number::shown;
use crate::attribute::type_name;
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Joins the parts' texts with `separator`, escaping them when `escaped` (see the module docs);
/// the joining rule of entities' joined attributes too.
pub fn join(parts: &[String], separator: &str, escaped: bool) -> String {
    dynorm_template::join(parts, separator, escaping(escaped))
}

/// The escaping of a composite string's parts.
fn escaping(escaped: bool) -> dynorm_template::Escaping {
    if escaped {
        dynorm_template::Escaping::Backslash
    } else {
        dynorm_template::Escaping::Verbatim
    }
}

/// Splits a joined text into exactly `count` parts (unescaping them when `escaped`).
///
/// Errors name what was wrong: the wrong number of parts, a dangling or unknown escape, a
/// character that starts the separator without being followed by the rest of it, or a separator
/// that cannot be used.
pub fn split(text: &str, separator: &str, count: usize, escaped: bool) -> Result<Vec<String>, DecodeError> {
    let Some(first) = separator.chars().next() else {
        return Err(DecodeError::custom(
            "a composite string's separator must not be empty",
        ));
    };
    if count == 0 {
        return if text.is_empty() {
            Ok(Vec::new())
        } else {
            Err(DecodeError::invalid("an empty composite string (no parts)", text))
        };
    }
    let parts = if escaped {
        if first == ESCAPE {
            return Err(DecodeError::custom(format!(
                "the escaped composite string separator `{separator}` must not start with a backslash"
            )));
        }
        split_escaped(text, separator, first)?
    } else {
        text.split(separator).map(str::to_owned).collect()
    };
    if parts.len() != count {
        return Err(DecodeError::custom(format!(
            "expected {count} part(s) joined by `{separator}`, found {} in `{}`{}",
            parts.len(),
            shown(text),
            if escaped {
                ""
            } else {
                " (values containing the separator cannot be read back)"
            },
        )));
    }
    Ok(parts)
}

fn split_escaped(text: &str, separator: &str, first: char) -> Result<Vec<String>, DecodeError> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        if c == ESCAPE {
            match chars.next() {
                Some((_, escaped)) if escaped == ESCAPE || escaped == first => current.push(escaped),
                Some((_, other)) => {
                    return Err(DecodeError::invalid(
                        format!(
                            "a composite string where `\\` escapes only `\\` or `{first}`, not `{other}`"
                        ),
                        text,
                    ));
                }
                None => {
                    return Err(DecodeError::invalid(
                        "a composite string that does not end with a lone `\\`",
                        text,
                    ));
                }
            }
        } else if c == first {
            if !text[at..].starts_with(separator) {
                return Err(DecodeError::invalid(
                    format!(
                        "a composite string where every unescaped `{first}` starts the separator `{separator}`"
                    ),
                    text,
                ));
            }
            parts.push(std::mem::take(&mut current));
            // Skip the rest of the separator.
            for _ in 1..separator.chars().count() {
                chars.next();
            }
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    Ok(parts)
}

/// The text of an encoded key part: the string of an S value or the number of an N value.
pub fn part_text(value: AttributeValue) -> Result<String, EncodeError> {
    match value {
        AttributeValue::S(text) | AttributeValue::N(text) => Ok(text),
        other => Err(EncodeError::new(format!(
            "a composite string part must be stored as S or N, found {}",
            type_name(&other)
        ))),
    }
}

/// The stored value a part's text is decoded from: N for `number` and `datetime_epoch` fields,
/// S for everything else.
pub fn part_value(text: String, ty: AttributeType) -> AttributeValue {
    match ty {
        AttributeType::Number | AttributeType::DatetimeEpoch => AttributeValue::N(text),
        _ => AttributeValue::S(text),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parts(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn escaped_forms() {
        assert_eq!(join(&parts(&["a", "b"]), "#", true), "a#b");
        assert_eq!(join(&parts(&["a#b", r"c\"]), "#", true), r"a\#b#c\\");
        assert_eq!(join(&parts(&["x::y", ":"]), "::", true), r"x\:\:y::\:");
        assert_eq!(
            split(r"x\:\:y::\:", "::", 2, true).unwrap(),
            parts(&["x::y", ":"])
        );
        assert_eq!(split("", "#", 1, true).unwrap(), parts(&[""]));
        assert_eq!(split("#", "#", 2, true).unwrap(), parts(&["", ""]));
        assert_eq!(split("", "#", 0, true).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn refuses_malformed_text() {
        let e = split("a#b#c", "#", 2, true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot decode a value: expected 2 part(s) joined by `#`, found 3 in `a#b#c`"
        );
        assert!(
            split(r"a\", "#", 1, true)
                .unwrap_err()
                .to_string()
                .contains("lone")
        );
        assert!(
            split(r"a\b", "#", 1, true)
                .unwrap_err()
                .to_string()
                .contains("not `b`")
        );
        assert!(
            split("a:b", "::", 2, true)
                .unwrap_err()
                .to_string()
                .contains("starts the separator")
        );
        assert!(split("ab", "", 1, true).is_err());
        assert!(split("ab", r"\", 1, true).is_err());
    }

    #[test]
    fn da_vinci_form() {
        assert_eq!(join(&parts(&["a", "b-c"]), "-", false), "a-b-c");
        assert_eq!(split("a-b", "-", 2, false).unwrap(), parts(&["a", "b"]));
        assert!(
            split("a-b-c", "-", 2, false)
                .unwrap_err()
                .to_string()
                .contains("cannot be read back")
        );
    }

    #[test]
    fn part_values() {
        assert_eq!(part_text(AttributeValue::N("12".into())).unwrap(), "12");
        assert_eq!(part_text(AttributeValue::S("x".into())).unwrap(), "x");
        assert_eq!(
            part_text(AttributeValue::Bool(true)).unwrap_err().reason,
            "a composite string part must be stored as S or N, found BOOL"
        );
        assert_eq!(
            part_value("1".into(), AttributeType::Number),
            AttributeValue::N("1".into())
        );
        assert_eq!(
            part_value("1".into(), AttributeType::DatetimeEpoch),
            AttributeValue::N("1".into())
        );
        assert_eq!(
            part_value("1".into(), AttributeType::Datetime),
            AttributeValue::S("1".into())
        );
    }
}

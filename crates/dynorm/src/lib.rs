#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod attribute;
mod client;
pub mod codec;
pub mod definition;
pub mod engine;
mod error;
mod lifecycle;
mod table;
#[cfg(feature = "embedded")]
pub mod testing;

pub use attribute::{Attribute, Bytes, EpochSeconds, Json, JsonString, KeyAttribute, Number, SetElement};
pub use client::{BoxFuture, Client, DeleteBuilder, GetBuilder, PutBuilder, TableClient};
pub use definition::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, GlobalSecondaryIndex, LocalSecondaryIndex,
    Projection, ScalarType, StreamViewType, TableDefinition,
};
pub use error::{
    CancellationReason, DecodeError, DecodeErrorKind, DefinitionErrors, EncodeError, Error, Result, TypeName,
};
pub use table::{Key, Table};

/// Re-exported so applications can configure their own client without a separate dependency.
pub use aws_sdk_dynamodb;
/// The AWS SDK's attribute value type, which dynorm items are made of.
pub use aws_sdk_dynamodb::types::AttributeValue;

#[cfg(feature = "derive")]
pub use dynorm_derive::Table;

/// One DynamoDB item: attribute names to values.
pub type Item = std::collections::HashMap<String, AttributeValue>;

/// The names most programs need: `use dynorm::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "derive")]
    pub use crate::Table;
    pub use crate::{
        Attribute, AttributeValue, Error, Item, Json, JsonString, Key, Number, Result, Table as _,
    };
}

/// Used by the code `#[derive(Table)]` generates; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use std::sync::OnceLock;

    use crate::definition::AttributeType;
    use crate::{Attribute, AttributeValue, DecodeError, EncodeError, Item};

    /// Puts an encoded attribute into an item (left out when it encodes to nothing).
    #[inline]
    pub fn put(
        item: &mut Item,
        table: &str,
        name: &str,
        value: Result<Option<AttributeValue>, EncodeError>,
    ) -> Result<(), EncodeError> {
        match value {
            Ok(Some(v)) => {
                item.insert(name.to_owned(), v);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e.at(table, name)),
        }
    }

    /// Puts an encoded key attribute into an item; a key must encode to a value.
    #[inline]
    pub fn put_key(
        item: &mut Item,
        table: &str,
        name: &str,
        value: Result<Option<AttributeValue>, EncodeError>,
    ) -> Result<(), EncodeError> {
        match value {
            Ok(Some(v)) => {
                item.insert(name.to_owned(), v);
                Ok(())
            }
            Ok(None) => Err(EncodeError::new("a key attribute must have a value").at(table, name)),
            Err(e) => Err(e.at(table, name)),
        }
    }

    /// Takes and decodes one attribute of an item.
    #[inline]
    pub fn take<T: Attribute>(item: &mut Item, table: &str, name: &str) -> Result<T, DecodeError> {
        match item.remove(name) {
            Some(v) => T::decode(v),
            None => T::decode_missing(),
        }
        .map_err(|e| e.at(table, name))
    }

    /// Takes and decodes one attribute with a codec module's `decode`; absent is an error.
    #[inline]
    pub fn take_with<T>(
        item: &mut Item,
        table: &str,
        name: &str,
        decode: impl FnOnce(AttributeValue) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        match item.remove(name) {
            Some(v) => decode(v),
            None => Err(DecodeError::missing()),
        }
        .map_err(|e| e.at(table, name))
    }

    /// Names the table and attribute of a decoding error.
    #[inline]
    pub fn decoded<T>(value: Result<T, DecodeError>, table: &str, name: &str) -> Result<T, DecodeError> {
        value.map_err(|e| e.at(table, name))
    }

    /// Encodes an `Option` field with a codec module for its inner type: `None` is left out.
    #[inline]
    pub fn encode_option_with<T>(
        value: &Option<T>,
        encode: impl FnOnce(&T) -> Result<Option<AttributeValue>, EncodeError>,
    ) -> Result<Option<AttributeValue>, EncodeError> {
        match value {
            Some(v) => encode(v),
            None => Ok(None),
        }
    }

    /// Decodes an `Option` field with a codec module for its inner type: NULL reads as `None`.
    #[inline]
    pub fn decode_option_with<T>(
        value: AttributeValue,
        decode: impl FnOnce(AttributeValue) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            v => decode(v).map(Some),
        }
    }

    /// Builds a composite attribute from its encoded parts (name, value).
    pub fn composite<const N: usize>(
        parts: [(&str, Result<Option<AttributeValue>, EncodeError>); N],
        separator: &str,
        escaped: bool,
    ) -> Result<Option<AttributeValue>, EncodeError> {
        let mut texts = Vec::with_capacity(N);
        for (part, value) in parts {
            let text = value
                .and_then(composite_parts::part_text)
                .map_err(|e| EncodeError::new(format!("part `{part}`: {}", e.reason)))?;
            texts.push(text);
        }
        Ok(Some(AttributeValue::S(composite_parts::join(
            &texts, separator, escaped,
        ))))
    }

    /// Takes a composite attribute and splits it into its `N` parts.
    pub fn take_composite<const N: usize>(
        item: &mut Item,
        table: &str,
        name: &str,
        separator: &str,
        escaped: bool,
    ) -> Result<[String; N], DecodeError> {
        let text = match item.remove(name) {
            Some(AttributeValue::S(s)) => s,
            Some(other) => return Err(DecodeError::wrong_type("S", &other).at(table, name)),
            None => return Err(DecodeError::missing().at(table, name)),
        };
        composite_parts::split(&text, separator, N, escaped)
            .and_then(|parts| {
                <[String; N]>::try_from(parts)
                    .map_err(|_| DecodeError::invalid(format!("{N} parts joined by `{separator}`"), &text))
            })
            .map_err(|e| e.at(table, name))
    }

    /// Decodes one part of a composite.
    #[inline]
    pub fn part<T: Attribute>(text: String, table: &str, name: &str, part: &str) -> Result<T, DecodeError> {
        composite_parts::part_value(text, T::TYPE)
            .and_then(T::decode)
            .map_err(|e| e.within(part).at(table, name))
    }

    /// Decodes one part of a composite with a codec module's `decode`.
    #[inline]
    pub fn part_with<T>(
        text: String,
        table: &str,
        name: &str,
        part: &str,
        attribute_type: AttributeType,
        decode: impl FnOnce(AttributeValue) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        composite_parts::part_value(text, attribute_type)
            .and_then(decode)
            .map_err(|e| e.within(part).at(table, name))
    }

    /// Stand-in for `attribute::composite` until it lands: parts as text, joined with a
    /// separator (escaped with a backslash unless Da Vinci's unescaped form is asked for).
    mod composite_parts {
        use crate::definition::AttributeType;
        use crate::{AttributeValue, DecodeError, EncodeError};

        pub(super) fn part_text(value: Option<AttributeValue>) -> Result<String, EncodeError> {
            match value {
                Some(AttributeValue::S(s)) | Some(AttributeValue::N(s)) => Ok(s),
                Some(AttributeValue::Bool(b)) => Ok(b.to_string()),
                Some(other) => Err(EncodeError::new(format!(
                    "a composite part must be a string, number or boolean, not {}",
                    crate::attribute::type_name(&other)
                ))),
                None => Err(EncodeError::new("a composite part must have a value")),
            }
        }

        pub(super) fn join(parts: &[String], separator: &str, escaped: bool) -> String {
            let mut out = String::with_capacity(parts.iter().map(|p| p.len() + separator.len()).sum());
            let first = separator.chars().next();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                if escaped {
                    for c in part.chars() {
                        if c == '\\' || Some(c) == first {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                } else {
                    out.push_str(part);
                }
            }
            out
        }

        pub(super) fn split(
            text: &str,
            separator: &str,
            n: usize,
            escaped: bool,
        ) -> Result<Vec<String>, DecodeError> {
            let parts: Vec<String> = if !escaped || separator.is_empty() {
                text.splitn(n.max(1), separator).map(str::to_owned).collect()
            } else {
                let mut parts = Vec::with_capacity(n);
                let mut current = String::new();
                let mut rest = text;
                while let Some(c) = rest.chars().next() {
                    if c == '\\' {
                        rest = &rest[1..];
                        match rest.chars().next() {
                            Some(next) => {
                                current.push(next);
                                rest = &rest[next.len_utf8()..];
                            }
                            None => {
                                return Err(DecodeError::invalid("a composite with complete escapes", text));
                            }
                        }
                    } else if parts.len() + 1 < n && rest.starts_with(separator) {
                        parts.push(std::mem::take(&mut current));
                        rest = &rest[separator.len()..];
                    } else {
                        current.push(c);
                        rest = &rest[c.len_utf8()..];
                    }
                }
                parts.push(current);
                parts
            };
            if parts.len() != n {
                return Err(DecodeError::invalid(
                    format!("{n} parts joined by `{separator}`"),
                    text,
                ));
            }
            Ok(parts)
        }

        pub(super) fn part_value(
            text: String,
            attribute_type: AttributeType,
        ) -> Result<AttributeValue, DecodeError> {
            Ok(match attribute_type {
                AttributeType::Number | AttributeType::DatetimeEpoch => AttributeValue::N(text),
                AttributeType::Boolean => match text.as_str() {
                    "true" => AttributeValue::Bool(true),
                    "false" => AttributeValue::Bool(false),
                    _ => return Err(DecodeError::invalid("`true` or `false`", &text)),
                },
                _ => AttributeValue::S(text),
            })
        }
    }
}

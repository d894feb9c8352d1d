//! Used by the code `#[derive(Table)]` and `#[derive(Entity)]` generate; not a public API.

pub use std::sync::OnceLock;

use crate::attribute::composite;
use crate::definition::AttributeType;
use crate::{Attribute, AttributeValue, DecodeError, EncodeError, Item};

/// The version number an integer field carries (`#[dynorm(version)]`).
#[diagnostic::on_unimplemented(
    message = "`#[dynorm(version)]` needs an unsigned or signed integer field, not `{Self}`",
    label = "not an integer version",
    note = "use `u64` (or `u32`, `i64`, ...)"
)]
pub trait VersionField: Copy {
    /// The version as `u64` (a negative version reads as 0).
    fn to_version(self) -> u64;
    /// The field value for a version (saturating at the type's maximum).
    fn from_version(version: u64) -> Self;
}

macro_rules! version_fields {
    ($($t:ty),*) => {
        $(
            impl VersionField for $t {
                fn to_version(self) -> u64 {
                    u64::try_from(self).unwrap_or(if self > 0 { u64::MAX } else { 0 })
                }
                fn from_version(version: u64) -> Self {
                    <$t>::try_from(version).unwrap_or(<$t>::MAX)
                }
            }
        )*
    };
}
version_fields!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// Puts the attributes of an `extra` field into an item; one that the type stores itself (a
/// field, a key, a computed attribute), or that is already in the item, is refused naming it.
pub fn put_extra<T: crate::Table, X: crate::ExtraAttributes>(
    item: &mut Item,
    table: &str,
    extra: &X,
) -> Result<(), EncodeError> {
    let attributes = extra.attributes();
    if attributes.is_empty() {
        return Ok(());
    }
    let claimed = T::stored_attributes();
    for (name, value) in attributes {
        if claimed.contains(&name) || item.contains_key(name) {
            return Err(EncodeError::new(format!(
                "the extra attributes hold `{name}`, which the type stores itself (a field, key or computed attribute); set it through its field"
            ))
            .at(table, name));
        }
        item.insert(name.to_owned(), value.clone());
    }
    Ok(())
}

/// What is left of an item once every field took its attribute, less the attributes the type
/// computes (keys, joined attributes, the entity type): the value of an `extra` field.
pub fn take_extra<T: crate::Table, X: crate::ExtraAttributes>(item: Item) -> X {
    let claimed = T::stored_attributes();
    X::from_attributes(
        item.into_iter()
            .filter(|(name, _)| !claimed.contains(&name.as_str())),
    )
}

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
        Err(e) => Err(encode_error(e, table, name)),
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
        Err(e) => Err(encode_error(e, table, name)),
    }
}

/// Names the table and attribute of an encoding error; a path inside the value (`[3]`,
/// `field`) stays under the attribute (`tags[3]`, `meta.field`).
#[cold]
fn encode_error(mut e: EncodeError, table: &str, name: &str) -> EncodeError {
    e.attribute = Some(match e.attribute.take() {
        Some(child) if child.starts_with('[') => format!("{name}{child}"),
        Some(child) => format!("{name}.{child}"),
        None => name.to_owned(),
    });
    e.at(table, name)
}

/// Names the table and attribute of a decoding error, keeping a path inside the value
/// under the attribute.
#[cold]
fn decode_error(e: DecodeError, table: &str, name: &str) -> DecodeError {
    e.within(name).at(table, name)
}

/// Takes and decodes one attribute of an item.
#[inline]
pub fn take<T: Attribute>(item: &mut Item, table: &str, name: &str) -> Result<T, DecodeError> {
    match item.remove(name) {
        Some(v) => T::decode(v),
        None => T::decode_missing(),
    }
    .map_err(|e| decode_error(e, table, name))
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
    .map_err(|e| decode_error(e, table, name))
}

/// Names the table and attribute of a decoding error.
#[inline]
pub fn decoded<T>(value: Result<T, DecodeError>, table: &str, name: &str) -> Result<T, DecodeError> {
    value.map_err(|e| decode_error(e, table, name))
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
        let text = match value {
            Ok(Some(v)) => composite::part_text(v),
            Ok(None) => Err(EncodeError::new("a composite string part must have a value")),
            Err(e) => Err(e),
        }
        .map_err(|e| EncodeError::new(format!("part `{part}`: {}", e.reason)))?;
        texts.push(text);
    }
    Ok(Some(AttributeValue::S(composite::join(
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
    composite::split(&text, separator, N, escaped)
        .and_then(|parts| {
            <[String; N]>::try_from(parts)
                .map_err(|_| DecodeError::invalid(format!("{N} parts joined by `{separator}`"), &text))
        })
        .map_err(|e| e.at(table, name))
}

/// Decodes one part of a composite.
#[inline]
pub fn part<T: Attribute>(text: String, table: &str, name: &str, part: &str) -> Result<T, DecodeError> {
    T::decode(composite::part_value(text, T::TYPE)).map_err(|e| decode_error(e.within(part), table, name))
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
    decode(composite::part_value(text, attribute_type)).map_err(|e| decode_error(e.within(part), table, name))
}

pub use crate::schema_version::{Upgrading, put_schema_version, schema_version, stored_schema_version};

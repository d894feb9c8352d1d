//! The schema version every item of a type with `#[dynorm(schema_version = N)]` carries: how it
//! is stored and read back. Plain data; what uses it is `evolve` (the upgrade) and the code
//! the derive generates.

use crate::{AttributeValue, DecodeError, Item};

/// The attribute that holds an item's schema version (a number; absent means version 1).
pub const SCHEMA_VERSION_ATTRIBUTE: &str = "_schema_version";

/// Stores the schema version of a type with `#[dynorm(schema_version = N)]`.
pub fn put_schema_version(item: &mut Item, version: u32) {
    item.insert(
        SCHEMA_VERSION_ATTRIBUTE.to_owned(),
        AttributeValue::N(version.to_string()),
    );
}

/// The schema version an item was stored at: 1 when it carries none (written before the type
/// declared versions). Refused when it is not a whole number from 1, or is newer than
/// `current` (written by a newer build: decoding it with this one would lose what it added).
pub fn schema_version(item: &Item, table: &str, current: u32) -> Result<u32, DecodeError> {
    let name = SCHEMA_VERSION_ATTRIBUTE;
    let version = match item.get(name) {
        None | Some(AttributeValue::Null(_)) => 1,
        Some(AttributeValue::N(text)) => match text.parse::<u32>() {
            Ok(v) if v >= 1 => v,
            _ => return Err(DecodeError::invalid("a schema version from 1", text).at(table, name)),
        },
        Some(other) => return Err(DecodeError::wrong_type("N", other).at(table, name)),
    };
    if version > current {
        return Err(DecodeError::invalid(
            format!("a schema version up to {current} (this build's); a newer build wrote it"),
            &version.to_string(),
        )
        .at(table, name));
    }
    Ok(version)
}

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

/// What an item of `T` is, in errors: ``entity `User` `` or ``type `Person` ``.
pub(crate) fn what<T: crate::Table>() -> String {
    match T::ENTITY_NAME {
        Some(entity) => format!("entity `{entity}`"),
        None => {
            let path = std::any::type_name::<T>();
            let name = path.split('<').next().unwrap_or(path);
            format!("type `{}`", name.rsplit("::").next().unwrap_or(name))
        }
    }
}

/// The schema version an item of `T` (current version `current`) is stored at, as
/// [`schema_version`] reads it, but a refusal is a [`DecodeErrorKind::SchemaVersion`] naming the
/// type (or entity), the item's key and both versions (used by generated code).
///
/// [`DecodeErrorKind::SchemaVersion`]: crate::error::DecodeErrorKind::SchemaVersion
pub fn stored_schema_version<T: crate::Table>(item: &Item, current: u32) -> Result<u32, DecodeError> {
    let table = &T::definition().name;
    let found = schema_version(item, table, current);
    let stored = match item.get(SCHEMA_VERSION_ATTRIBUTE) {
        Some(AttributeValue::N(text)) => text.parse().unwrap_or(0),
        _ => 0,
    };
    found.map_err(|e| Upgrading::new::<T>(item, stored, current).refused(e.kind.to_string()))
}

/// One item of `T` being read at an older schema version: what its errors name (used by
/// generated code to decode the older shape and run each upgrade step).
#[derive(Debug)]
pub struct Upgrading {
    table: String,
    what: String,
    key: String,
    stored: u32,
    current: u32,
}

impl Upgrading {
    /// The upgrade of `item`, stored at version `stored`, to `current`.
    pub fn new<T: crate::Table>(item: &Item, stored: u32, current: u32) -> Self {
        let definition = T::definition();
        let key = crate::validate::key_of_item::<T>(item);
        Self {
            table: definition.name.clone(),
            what: what::<T>(),
            key: crate::validate::render_key(definition, &key),
            stored,
            current,
        }
    }

    /// The older shape, decoded; its failure names the item and both versions.
    pub fn decoded<V>(&self, value: Result<V, DecodeError>) -> Result<V, DecodeError> {
        value.map_err(|e| self.refused(format!("its version {} shape does not decode: {e}", self.stored)))
    }

    /// One upgrade step (`From`, or a fallible `TryFrom`); its failure names the item and both
    /// versions.
    pub fn step<A, B>(&self, value: A) -> Result<B, DecodeError>
    where
        B: TryFrom<A>,
        B::Error: std::fmt::Display,
    {
        B::try_from(value).map_err(|e| {
            let to = std::any::type_name::<B>();
            self.refused(format!(
                "the upgrade to `{}` failed: {e}",
                to.rsplit("::").next().unwrap_or(to)
            ))
        })
    }

    fn refused(&self, reason: String) -> DecodeError {
        let mut e = DecodeError::new(crate::error::DecodeErrorKind::SchemaVersion(Box::new(
            crate::error::SchemaVersionError {
                what: self.what.clone(),
                key: self.key.clone(),
                stored: self.stored,
                current: self.current,
                reason,
            },
        )));
        e.table = Some(self.table.clone());
        e.attribute = Some(SCHEMA_VERSION_ATTRIBUTE.to_owned());
        e
    }
}

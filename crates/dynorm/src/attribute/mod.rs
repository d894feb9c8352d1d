//! How Rust values become DynamoDB attribute values and back.
//!
//! [`Attribute`] is implemented for the natural Rust form of every attribute type (see
//! [`AttributeType`]); `#[derive(Table)]` calls it for each field. A field can use another
//! stored form with `#[dynorm(with = path)]`, where `path` is a module like those in
//! [`crate::codec`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

pub(crate) mod binary;
pub mod composite;
pub(crate) mod datetime;
pub(crate) mod extra;
pub(crate) mod json;
pub(crate) mod number;

pub use binary::Bytes;
pub use datetime::EpochSeconds;
pub use extra::ExtraAttributes;
pub use json::{Json, JsonString};
pub use number::{Number, NumberError};

/// A Rust type with a stored DynamoDB form.
///
/// `encode` returns `Ok(None)` when the attribute is to be left out of the item (an absent
/// `Option`, an empty set: DynamoDB rejects empty sets). `decode_missing` says what an absent
/// attribute reads as; it is an error unless the type has a natural "nothing" value.
///
/// ```
/// use dynorm::{Attribute, AttributeValue};
/// assert_eq!(42_u32.encode().unwrap(), Some(AttributeValue::N("42".into())));
/// assert_eq!(u32::decode(AttributeValue::N("42".into())).unwrap(), 42);
/// assert!(u32::decode(AttributeValue::S("42".into())).is_err());
/// ```
pub trait Attribute: Sized {
    /// How values of this type are stored.
    const TYPE: AttributeType;

    /// The stored form, or `None` to leave the attribute out.
    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError>;

    /// Reads a stored value.
    fn decode(value: AttributeValue) -> Result<Self, DecodeError>;

    /// What an absent attribute reads as.
    fn decode_missing() -> Result<Self, DecodeError> {
        Err(DecodeError::missing())
    }
}

/// Types that can be a key attribute (partition or sort key of the table or of an index): they
/// are stored as a string, a number or bytes, and are always present.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a key attribute",
    label = "key attributes must be stored as a string, a number or bytes",
    note = "use `String`, an integer, `dynorm::Number`, `chrono::DateTime<Utc>` or `dynorm::Bytes`; keys are never optional"
)]
pub trait KeyAttribute: Attribute {}

pub use crate::error::type_name;

impl Attribute for String {
    const TYPE: AttributeType = AttributeType::String;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::S(self.clone())))
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::S(s) => Ok(s),
            other => Err(DecodeError::wrong_type("S", &other)),
        }
    }
}
impl KeyAttribute for String {}

impl Attribute for bool {
    const TYPE: AttributeType = AttributeType::Boolean;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::Bool(*self)))
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::Bool(b) => Ok(b),
            other => Err(DecodeError::wrong_type("BOOL", &other)),
        }
    }
}

/// An absent value leaves the attribute out; an absent or NULL attribute reads as `None`.
impl<T: Attribute> Attribute for Option<T> {
    const TYPE: AttributeType = T::TYPE;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        match self {
            Some(v) => v.encode(),
            None => Ok(None),
        }
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            v => T::decode(v).map(Some),
        }
    }

    fn decode_missing() -> Result<Self, DecodeError> {
        Ok(None)
    }
}

impl<T: Attribute> Attribute for Box<T> {
    const TYPE: AttributeType = T::TYPE;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        (**self).encode()
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        T::decode(value).map(Box::new)
    }

    fn decode_missing() -> Result<Self, DecodeError> {
        T::decode_missing().map(Box::new)
    }
}

/// Encodes one element of a list or map, where an absent value is stored as NULL.
pub(crate) fn encode_element<T: Attribute>(value: &T) -> Result<AttributeValue, EncodeError> {
    Ok(value.encode()?.unwrap_or(AttributeValue::Null(true)))
}

const fn list_type(element: AttributeType) -> AttributeType {
    match element {
        AttributeType::String => AttributeType::StringList,
        AttributeType::Number => AttributeType::NumberList,
        AttributeType::Json => AttributeType::JsonList,
        AttributeType::JsonString => AttributeType::JsonStringList,
        _ => AttributeType::List,
    }
}

/// A list (L). `Vec<String>` is Da Vinci's STRING_LIST, `Vec<i64>` its NUMBER_LIST, `Vec<Json<T>>`
/// its JSON_LIST and `Vec<JsonString<T>>` its JSON_STRING_LIST. An empty list is stored as `[]`;
/// an absent one reads as empty.
impl<T: Attribute> Attribute for Vec<T> {
    const TYPE: AttributeType = list_type(T::TYPE);

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        let mut out = Vec::with_capacity(self.len());
        for (i, v) in self.iter().enumerate() {
            out.push(encode_element(v).map_err(|e| index_encode_error(e, i))?);
        }
        Ok(Some(AttributeValue::L(out)))
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::L(list) => list
                .into_iter()
                .enumerate()
                .map(|(i, v)| T::decode(v).map_err(|e| e.within(&format!("[{i}]"))))
                .collect(),
            other => Err(DecodeError::wrong_type("L", &other)),
        }
    }

    fn decode_missing() -> Result<Self, DecodeError> {
        Ok(Vec::new())
    }
}

fn index_encode_error(mut e: EncodeError, i: usize) -> EncodeError {
    e.attribute = Some(match e.attribute.take() {
        Some(child) if child.starts_with('[') => format!("[{i}]{child}"),
        Some(child) => format!("[{i}].{child}"),
        None => format!("[{i}]"),
    });
    e
}

fn key_encode_error(mut e: EncodeError, key: &str) -> EncodeError {
    e.attribute = Some(match e.attribute.take() {
        Some(child) if child.starts_with('[') => format!("{key}{child}"),
        Some(child) => format!("{key}.{child}"),
        None => key.to_owned(),
    });
    e
}

impl<T: Attribute> Attribute for BTreeMap<String, T> {
    const TYPE: AttributeType = AttributeType::Map;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        encode_map(self.iter())
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_map(value)
    }

    fn decode_missing() -> Result<Self, DecodeError> {
        Ok(Self::new())
    }
}

impl<T: Attribute, S: BuildHasher + Default> Attribute for HashMap<String, T, S> {
    const TYPE: AttributeType = AttributeType::Map;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        encode_map(self.iter())
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_map(value)
    }

    fn decode_missing() -> Result<Self, DecodeError> {
        Ok(Self::default())
    }
}

fn encode_map<'a, T: Attribute + 'a>(
    entries: impl ExactSizeIterator<Item = (&'a String, &'a T)>,
) -> Result<Option<AttributeValue>, EncodeError> {
    let mut out = HashMap::with_capacity(entries.len());
    for (k, v) in entries {
        if let Some(v) = v.encode().map_err(|e| key_encode_error(e, k))? {
            out.insert(k.clone(), v);
        }
    }
    Ok(Some(AttributeValue::M(out)))
}

fn decode_map<T: Attribute, C: FromIterator<(String, T)>>(value: AttributeValue) -> Result<C, DecodeError> {
    match value {
        AttributeValue::M(map) => map
            .into_iter()
            .map(|(k, v)| match T::decode(v) {
                Ok(v) => Ok((k, v)),
                Err(e) => Err(e.within(&k)),
            })
            .collect(),
        other => Err(DecodeError::wrong_type("M", &other)),
    }
}

/// Element types of sets: strings (SS), numbers (NS) and bytes (BS).
pub trait SetElement: Sized {
    /// `StringSet`, `NumberSet` or `BinarySet`.
    const SET_TYPE: AttributeType;
    /// Builds the set value from its elements (never empty).
    fn encode_set<'a>(items: impl Iterator<Item = &'a Self>) -> Result<AttributeValue, EncodeError>
    where
        Self: 'a;
    /// Reads the elements of a stored set.
    fn decode_set<C: FromIterator<Self>>(value: AttributeValue) -> Result<C, DecodeError>;
}

impl SetElement for String {
    const SET_TYPE: AttributeType = AttributeType::StringSet;

    fn encode_set<'a>(items: impl Iterator<Item = &'a Self>) -> Result<AttributeValue, EncodeError> {
        Ok(AttributeValue::Ss(items.cloned().collect()))
    }

    fn decode_set<C: FromIterator<Self>>(value: AttributeValue) -> Result<C, DecodeError> {
        match value {
            AttributeValue::Ss(v) => Ok(v.into_iter().collect()),
            other => Err(DecodeError::wrong_type("SS", &other)),
        }
    }
}

/// A set (SS, NS or BS). An empty set is left out of the item, since DynamoDB rejects empty sets,
/// and an absent attribute reads as an empty set.
impl<T: SetElement + Ord> Attribute for BTreeSet<T> {
    const TYPE: AttributeType = T::SET_TYPE;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        if self.is_empty() {
            return Ok(None);
        }
        T::encode_set(self.iter()).map(Some)
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        T::decode_set(value)
    }

    fn decode_missing() -> Result<Self, DecodeError> {
        Ok(Self::new())
    }
}

/// A set (SS, NS or BS); see the `BTreeSet` implementation.
impl<T: SetElement + Eq + Hash, S: BuildHasher + Default> Attribute for HashSet<T, S> {
    const TYPE: AttributeType = T::SET_TYPE;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        if self.is_empty() {
            return Ok(None);
        }
        T::encode_set(self.iter()).map(Some)
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        T::decode_set(value)
    }

    fn decode_missing() -> Result<Self, DecodeError> {
        Ok(Self::default())
    }
}

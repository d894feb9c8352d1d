//! JSON values: natively (M, L, ...) or as JSON text (S).
//!
//! | Rust type | stored as | example |
//! |---|---|---|
//! | [`Json<T>`] | the value's own DynamoDB form, through `serde_dynamo` | `{"M": {"a": {"N": "1"}}}` |
//! | [`JsonString<T>`] | S, compact JSON text from `serde_json` | `{"S": "{\"a\":1}"}` |
//!
//! Native values are checked before they are written: numbers DynamoDB would refuse (NaN,
//! infinities, floats out of range, 128-bit integers with more than 38 digits) and map keys that
//! are not strings or integers are refused with an [`EncodeError`] naming the value.

use std::fmt;
use std::ops::{Deref, DerefMut};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::ser::{self, Impossible, Serialize};

use crate::attribute::number::{check_f32, check_f64};
use crate::attribute::{Attribute, Number};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// How deeply a stored value may nest when read as JSON (DynamoDB itself allows 32 levels).
const MAX_DEPTH: usize = 64;

/// Any serde value stored natively as a DynamoDB map, list or scalar (through `serde_dynamo`).
///
/// ```
/// use std::collections::BTreeMap;
/// use dynorm::{Attribute, AttributeValue, Json};
///
/// let value = Json(BTreeMap::from([("a".to_owned(), vec![1, 2])]));
/// let stored = value.encode().unwrap().unwrap();
/// let list = stored.as_m().unwrap()["a"].as_l().unwrap();
/// assert_eq!(list[0], AttributeValue::N("1".into()));
/// assert_eq!(Json::<BTreeMap<String, Vec<i32>>>::decode(stored).unwrap(), value);
/// assert!(Json(f64::NAN).encode().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Json<T>(pub T);

/// Any serde value stored as compact JSON text (`serde_json`) in a string attribute.
///
/// ```
/// use dynorm::{Attribute, AttributeValue, JsonString};
///
/// let value = JsonString(vec![Some(1), None]);
/// assert_eq!(value.encode().unwrap(), Some(AttributeValue::S("[1,null]".into())));
/// // Any JSON layout reads back.
/// let read = JsonString::<Vec<Option<i32>>>::decode(AttributeValue::S("[1, null]".into()));
/// assert_eq!(read.unwrap(), value);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct JsonString<T>(pub T);

macro_rules! wrapper_impls {
    ($($wrapper:ident),*) => {$(
        impl<T> $wrapper<T> {
            /// The wrapped value.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> Deref for $wrapper<T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $wrapper<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }

        impl<T> From<T> for $wrapper<T> {
            fn from(value: T) -> Self {
                $wrapper(value)
            }
        }
    )*};
}
wrapper_impls!(Json, JsonString);

impl<T: Serialize + DeserializeOwned> Attribute for Json<T> {
    const TYPE: AttributeType = AttributeType::Json;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        encode_json(&self.0).map(Some)
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_json(value).map(Json)
    }
}

impl<T: Serialize + DeserializeOwned> Attribute for JsonString<T> {
    const TYPE: AttributeType = AttributeType::JsonString;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        encode_json_string(&self.0).map(|text| Some(AttributeValue::S(text)))
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::S(text) => decode_json_string(&text).map(JsonString),
            other => Err(DecodeError::wrong_type("S", &other)),
        }
    }
}

/// A value's native DynamoDB form, through `serde_dynamo`, after checking that DynamoDB accepts
/// its numbers and that its map keys can be written.
pub(crate) fn encode_json<T: Serialize + ?Sized>(value: &T) -> Result<AttributeValue, EncodeError> {
    value.serialize(Check).map_err(|e| EncodeError::new(e.0))?;
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| EncodeError::new(format!("cannot store the value natively: {e}")))
}

/// Reads a native DynamoDB value through `serde_dynamo`.
pub(crate) fn decode_json<T: DeserializeOwned>(value: AttributeValue) -> Result<T, DecodeError> {
    let value = to_serde_dynamo(value, 0)?;
    serde_dynamo::from_attribute_value(value)
        .map_err(|e| DecodeError::custom(format!("the stored value does not fit the JSON type: {e}")))
}

/// A value's compact JSON text.
pub(crate) fn encode_json_string<T: Serialize + ?Sized>(value: &T) -> Result<String, EncodeError> {
    serde_json::to_string(value)
        .map_err(|e| EncodeError::new(format!("cannot write the value as JSON text: {e}")))
}

/// Reads JSON text in any layout.
pub(crate) fn decode_json_string<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    serde_json::from_str(text)
        .map_err(|e| DecodeError::invalid(format!("JSON text of the expected shape ({e})"), text))
}

/// Converts the SDK's value into `serde_dynamo`'s own (its `From` conversion panics on values of
/// a type this SDK does not know, and recursion is bounded here).
fn to_serde_dynamo(value: AttributeValue, depth: usize) -> Result<serde_dynamo::AttributeValue, DecodeError> {
    use serde_dynamo::AttributeValue as D;
    if depth > MAX_DEPTH {
        return Err(DecodeError::custom(format!(
            "the stored value nests deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(match value {
        AttributeValue::S(s) => D::S(s),
        AttributeValue::N(n) => D::N(n),
        AttributeValue::B(b) => D::B(b.into_inner()),
        AttributeValue::Bool(b) => D::Bool(b),
        AttributeValue::Null(n) => D::Null(n),
        AttributeValue::Ss(v) => D::Ss(v),
        AttributeValue::Ns(v) => D::Ns(v),
        AttributeValue::Bs(v) => D::Bs(v.into_iter().map(|b| b.into_inner()).collect()),
        // Sized up front: collecting into a `Result` loses the size hint, and the map would grow
        // from empty (measured: +94 to +247 ns per item in the `marshal` bench).
        AttributeValue::L(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, v) in list.into_iter().enumerate() {
                out.push(to_serde_dynamo(v, depth + 1).map_err(|e| e.within(&format!("[{i}]")))?);
            }
            D::L(out)
        }
        AttributeValue::M(map) => {
            let mut out = std::collections::HashMap::with_capacity(map.len());
            for (k, v) in map {
                match to_serde_dynamo(v, depth + 1) {
                    Ok(v) => out.insert(k, v),
                    Err(e) => return Err(e.within(&k)),
                };
            }
            D::M(out)
        }
        other => {
            return Err(DecodeError::wrong_type(
                "S, N, B, BOOL, NULL, SS, NS, BS, L or M",
                &other,
            ));
        }
    })
}

/// Why a value cannot be stored natively.
#[derive(Debug)]
struct CheckError(String);

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckError {}

impl ser::Error for CheckError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        CheckError(message.to_string())
    }
}

impl From<EncodeError> for CheckError {
    fn from(e: EncodeError) -> Self {
        CheckError(e.reason)
    }
}

/// A serializer that writes nothing: it walks a value and refuses what `serde_dynamo` would
/// write as invalid numbers, or would panic on (map keys that are sequences, maps or bytes).
struct Check;

fn check_wide(value: impl TryInto<Number, Error = crate::attribute::NumberError>) -> Result<(), CheckError> {
    value
        .try_into()
        .map(|_| ())
        .map_err(|e| CheckError(e.to_string()))
}

impl ser::Serializer for Check {
    type Ok = ();
    type Error = CheckError;
    type SerializeSeq = Check;
    type SerializeTuple = Check;
    type SerializeTupleStruct = Check;
    type SerializeTupleVariant = Check;
    type SerializeMap = Check;
    type SerializeStruct = Check;
    type SerializeStructVariant = Check;

    fn serialize_bool(self, _: bool) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), CheckError> {
        check_wide(v)
    }
    fn serialize_u8(self, _: u8) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), CheckError> {
        check_wide(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), CheckError> {
        Ok(check_f32(v)?)
    }
    fn serialize_f64(self, v: f64) -> Result<(), CheckError> {
        Ok(check_f64(v)?)
    }
    fn serialize_char(self, _: char) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn serialize_unit(self) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Check, CheckError> {
        Ok(Check)
    }
    fn serialize_tuple(self, _: usize) -> Result<Check, CheckError> {
        Ok(Check)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Check, CheckError> {
        Ok(Check)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Check, CheckError> {
        Ok(Check)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Check, CheckError> {
        Ok(Check)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Check, CheckError> {
        Ok(Check)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Check, CheckError> {
        Ok(Check)
    }
}

impl ser::SerializeSeq for Check {
    type Ok = ();
    type Error = CheckError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeTuple for Check {
    type Ok = ();
    type Error = CheckError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Check {
    type Ok = ();
    type Error = CheckError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Check {
    type Ok = ();
    type Error = CheckError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeMap for Check {
    type Ok = ();
    type Error = CheckError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CheckError> {
        key.serialize(KeyCheck)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeStruct for Check {
    type Ok = ();
    type Error = CheckError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Check {
    type Ok = ();
    type Error = CheckError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(Check)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

/// Checks a map key: strings, integers, booleans, chars and unit variants (or newtypes of them)
/// become attribute names; anything else is refused.
struct KeyCheck;

fn bad_key(what: &str) -> CheckError {
    CheckError(format!(
        "a map key must be a string, an integer, a bool or a unit enum variant, found {what}"
    ))
}

impl ser::Serializer for KeyCheck {
    type Ok = ();
    type Error = CheckError;
    type SerializeSeq = Impossible<(), CheckError>;
    type SerializeTuple = Impossible<(), CheckError>;
    type SerializeTupleStruct = Impossible<(), CheckError>;
    type SerializeTupleVariant = Impossible<(), CheckError>;
    type SerializeMap = Impossible<(), CheckError>;
    type SerializeStruct = Impossible<(), CheckError>;
    type SerializeStructVariant = Impossible<(), CheckError>;

    fn serialize_bool(self, _: bool) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), CheckError> {
        Err(bad_key(&format!("the float {v}")))
    }
    fn serialize_f64(self, v: f64) -> Result<(), CheckError> {
        Err(bad_key(&format!("the float {v}")))
    }
    fn serialize_char(self, _: char) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CheckError> {
        Err(bad_key("bytes"))
    }
    fn serialize_none(self) -> Result<(), CheckError> {
        Err(bad_key("None"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), CheckError> {
        Err(bad_key("an Option"))
    }
    fn serialize_unit(self) -> Result<(), CheckError> {
        Err(bad_key("()"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), CheckError> {
        Err(bad_key(&format!("the unit struct {name}")))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(KeyCheck)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: &T,
    ) -> Result<(), CheckError> {
        Err(bad_key(&format!("the enum variant {name}::{variant} with data")))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CheckError> {
        Err(bad_key("a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CheckError> {
        Err(bad_key("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CheckError> {
        Err(bad_key(&format!("the tuple struct {name}")))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CheckError> {
        Err(bad_key(&format!("the enum variant {name}::{variant} with data")))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CheckError> {
        Err(bad_key("a map"))
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self::SerializeStruct, CheckError> {
        Err(bad_key(&format!("the struct {name}")))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CheckError> {
        Err(bad_key(&format!("the enum variant {name}::{variant} with data")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::{BTreeMap, HashMap};

    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Profile {
        name: String,
        tags: Vec<String>,
        score: Option<f64>,
        extra: BTreeMap<String, serde_json::Value>,
    }

    #[test]
    fn native_form() {
        let value = Json(Profile {
            name: "Ada".into(),
            tags: vec![],
            score: None,
            extra: BTreeMap::new(),
        });
        let stored = value.encode().unwrap().unwrap();
        let map = stored.as_m().unwrap();
        assert_eq!(map["name"], AttributeValue::S("Ada".into()));
        assert_eq!(map["tags"], AttributeValue::L(vec![]));
        assert_eq!(map["score"], AttributeValue::Null(true));
        assert_eq!(map["extra"], AttributeValue::M(HashMap::new()));
        assert_eq!(Json::<Profile>::decode(stored).unwrap(), value);
    }

    #[test]
    fn refuses_numbers_dynamodb_refuses() {
        let e = Json(vec![1.0, f64::NAN]).encode().unwrap_err();
        assert!(e.reason.contains("NaN"), "{e}");
        assert!(
            Json(BTreeMap::from([("x".to_owned(), f64::INFINITY)]))
                .encode()
                .is_err()
        );
        assert!(Json(1e300).encode().unwrap_err().reason.contains("outside"));
        assert!(
            Json(u128::MAX)
                .encode()
                .unwrap_err()
                .reason
                .contains("39 significant digits")
        );
        assert!(Json(1.5e100).encode().is_ok());
    }

    #[test]
    fn refuses_map_keys_serde_dynamo_cannot_write() {
        let value = Json(BTreeMap::from([(vec![1_u8], 1)]));
        assert_eq!(
            value.encode().unwrap_err().reason,
            "a map key must be a string, an integer, a bool or a unit enum variant, found a sequence"
        );
        let value = Json(BTreeMap::from([((1, 2), 1)]));
        assert!(value.encode().is_err());
        assert!(Json(BTreeMap::from([(7_u32, true)])).encode().is_ok());
    }

    #[test]
    fn decode_errors_carry_serdes_message() {
        let e = Json::<Vec<i32>>::decode(AttributeValue::S("x".into())).unwrap_err();
        assert!(e.to_string().contains("does not fit the JSON type"), "{e}");
        let e = JsonString::<Vec<i32>>::decode(AttributeValue::S("[1,".into())).unwrap_err();
        assert!(e.to_string().contains("EOF while parsing"), "{e}");
        assert!(e.to_string().contains("found `[1,`"), "{e}");
        let e = JsonString::<Vec<i32>>::decode(AttributeValue::N("1".into())).unwrap_err();
        assert_eq!(e.to_string(), "cannot decode a value: expected S, found N");
    }

    #[test]
    fn refuses_nesting_too_deep() {
        let mut value = AttributeValue::N("1".into());
        for _ in 0..100 {
            value = AttributeValue::L(vec![value]);
        }
        let e = Json::<serde_json::Value>::decode(value).unwrap_err();
        assert!(e.to_string().contains("deeper than 64"), "{e}");
    }

    #[test]
    fn json_string_form() {
        let value = JsonString(BTreeMap::from([("a".to_owned(), 1)]));
        assert_eq!(
            value.encode().unwrap(),
            Some(AttributeValue::S(r#"{"a":1}"#.into()))
        );
    }
}

//! Any serde value stored as compact JSON text (S, `serde_json`): the stored form of
//! [`JsonString<T>`](crate::JsonString), for fields that stay their plain type.
//!
//! ```
//! use dynorm::AttributeValue;
//! use dynorm::codec::json_string;
//!
//! let stored = json_string::encode(&vec![1, 2]).unwrap().unwrap();
//! assert_eq!(stored, AttributeValue::S("[1,2]".into()));
//! let read: Vec<i32> = json_string::decode(AttributeValue::S("[1, 2]".into())).unwrap();
//! assert_eq!(read, vec![1, 2]);
//! ```

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::attribute::json::{decode_json_string, encode_json_string};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Stored as `json_string`.
pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::JsonString;

/// The value's compact JSON text (S).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Option<AttributeValue>, EncodeError> {
    encode_json_string(value).map(|text| Some(AttributeValue::S(text)))
}

/// Reads JSON text in any layout; errors carry serde's message.
pub fn decode<T: DeserializeOwned>(value: AttributeValue) -> Result<T, DecodeError> {
    match value {
        AttributeValue::S(text) => decode_json_string(&text),
        other => Err(DecodeError::wrong_type("S", &other)),
    }
}

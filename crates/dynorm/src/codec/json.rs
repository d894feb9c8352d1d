//! Any serde value stored natively (M, L, S, N, BOOL, NULL) through `serde_dynamo`: the stored
//! form of [`Json<T>`](crate::Json), for fields that stay their plain type.
//!
//! Numbers DynamoDB would refuse (NaN, infinities, out-of-range floats) are refused with an
//! [`EncodeError`]; empty maps and lists are stored as they are.
//!
//! ```
//! use std::collections::BTreeMap;
//! use dynorm::AttributeValue;
//! use dynorm::codec::json;
//!
//! let value = BTreeMap::from([("a".to_owned(), 1)]);
//! let stored = json::encode(&value).unwrap().unwrap();
//! assert_eq!(stored.as_m().unwrap()["a"], AttributeValue::N("1".into()));
//! let read: BTreeMap<String, i32> = json::decode(stored).unwrap();
//! assert_eq!(read, value);
//! ```

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::attribute::json::{decode_json, encode_json};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Stored as `json`.
pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::Json;

/// The value's native DynamoDB form.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Option<AttributeValue>, EncodeError> {
    encode_json(value).map(Some)
}

/// Reads a native value; errors carry serde's message.
pub fn decode<T: DeserializeOwned>(value: AttributeValue) -> Result<T, DecodeError> {
    decode_json(value)
}

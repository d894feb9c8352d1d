//! Bytes stored as binary (B), for `Vec<u8>` fields (which would otherwise be lists of numbers).
//!
//! ```
//! use dynorm::AttributeValue;
//! use dynorm::codec::binary;
//!
//! let stored = binary::encode(&vec![0_u8, 255]).unwrap().unwrap();
//! assert_eq!(stored.as_b().unwrap().as_ref(), &[0, 255]);
//! let read: Vec<u8> = binary::decode(stored).unwrap();
//! assert_eq!(read, vec![0, 255]);
//! ```

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;

use crate::attribute::binary::decode_bytes;
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Stored as `binary`.
pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::Binary;

/// The bytes (B).
pub fn encode<T: AsRef<[u8]> + ?Sized>(value: &T) -> Result<Option<AttributeValue>, EncodeError> {
    Ok(Some(AttributeValue::B(Blob::new(value.as_ref()))))
}

/// Reads B into `Vec<u8>` (or any type built from one, such as [`Bytes`](crate::Bytes)).
pub fn decode<T: From<Vec<u8>>>(value: AttributeValue) -> Result<T, DecodeError> {
    decode_bytes(value).map(T::from)
}

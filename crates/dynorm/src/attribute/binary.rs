//! Binary values (B) and binary sets (BS).

use std::ops::{Deref, DerefMut};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;

use crate::attribute::{Attribute, KeyAttribute, SetElement};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Bytes stored as DynamoDB binary (B); a `BTreeSet<Bytes>` or `HashSet<Bytes>` is a binary set
/// (BS).
///
/// (`Vec<u8>` on its own is a list of numbers; use `Bytes` or `#[dynorm(with =
/// dynorm::codec::binary)]` to store it as binary.)
///
/// ```
/// use dynorm::{Attribute, AttributeValue, Bytes};
/// let value = Bytes::from(&b"\x00\xff"[..]);
/// let stored = value.encode().unwrap().unwrap();
/// assert_eq!(stored.as_b().unwrap().as_ref(), b"\x00\xff");
/// assert_eq!(Bytes::decode(stored).unwrap(), value);
/// assert_eq!(value.len(), 2); // derefs to [u8]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The wrapped bytes.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl DerefMut for Bytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(value: Vec<u8>) -> Self {
        Bytes(value)
    }
}

impl From<&[u8]> for Bytes {
    fn from(value: &[u8]) -> Self {
        Bytes(value.to_vec())
    }
}

impl<const N: usize> From<[u8; N]> for Bytes {
    fn from(value: [u8; N]) -> Self {
        Bytes(value.to_vec())
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(value: Bytes) -> Self {
        value.0
    }
}

/// Reads the bytes of a B value.
pub(crate) fn decode_bytes(value: AttributeValue) -> Result<Vec<u8>, DecodeError> {
    match value {
        AttributeValue::B(blob) => Ok(blob.into_inner()),
        other => Err(DecodeError::wrong_type("B", &other)),
    }
}

impl Attribute for Bytes {
    const TYPE: AttributeType = AttributeType::Binary;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::B(Blob::new(self.0.clone()))))
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_bytes(value).map(Bytes)
    }
}
impl KeyAttribute for Bytes {}

impl SetElement for Bytes {
    const SET_TYPE: AttributeType = AttributeType::BinarySet;

    fn encode_set<'a>(items: impl Iterator<Item = &'a Self>) -> Result<AttributeValue, EncodeError> {
        Ok(AttributeValue::Bs(
            items.map(|b| Blob::new(b.0.clone())).collect(),
        ))
    }

    fn decode_set<C: FromIterator<Self>>(value: AttributeValue) -> Result<C, DecodeError> {
        match value {
            AttributeValue::Bs(items) => Ok(items.into_iter().map(|b| Bytes(b.into_inner())).collect()),
            other => Err(DecodeError::wrong_type("BS", &other)),
        }
    }
}

/// The SDK's own binary type, stored as B.
impl Attribute for Blob {
    const TYPE: AttributeType = AttributeType::Binary;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::B(self.clone())))
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::B(blob) => Ok(blob),
            other => Err(DecodeError::wrong_type("B", &other)),
        }
    }
}
impl KeyAttribute for Blob {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn stored_forms() {
        let value = Bytes(vec![1, 2, 3]);
        assert_eq!(
            value.encode().unwrap(),
            Some(AttributeValue::B(Blob::new(vec![1, 2, 3])))
        );
        assert_eq!(
            Bytes::decode(AttributeValue::B(Blob::new(vec![]))).unwrap(),
            Bytes::default()
        );
        assert_eq!(
            Bytes::decode(AttributeValue::S("AQID".into()))
                .unwrap_err()
                .to_string(),
            "cannot decode a value: expected B, found S"
        );
        let set: BTreeSet<Bytes> = [Bytes(vec![1]), Bytes(vec![2])].into();
        let stored = set.encode().unwrap().unwrap();
        assert_eq!(
            stored,
            AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2])])
        );
        assert_eq!(BTreeSet::<Bytes>::decode(stored).unwrap(), set);
        assert_eq!(BTreeSet::<Bytes>::new().encode().unwrap(), None);
        let blob = Blob::new(vec![9]);
        assert_eq!(Blob::decode(blob.encode().unwrap().unwrap()).unwrap(), blob);
    }
}

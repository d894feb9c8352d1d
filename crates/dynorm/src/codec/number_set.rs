//! `Vec<T>` of numbers (any integer, float or [`Number`]) stored as a number set (NS).
//!
//! Each element is written by its own [`Attribute`] impl, so floats may be stored too (unlike in
//! a `BTreeSet`). An empty list leaves the attribute out (DynamoDB refuses empty sets); a list
//! holding the same number twice (`1` and `1.0` included) is refused, as DynamoDB refuses
//! duplicates in sets. Reading keeps the stored order, which DynamoDB does not define.
//!
//! ```
//! use dynorm::AttributeValue;
//! use dynorm::codec::number_set;
//!
//! let stored = number_set::encode(&[3_u32, 1]).unwrap().unwrap();
//! assert_eq!(stored, AttributeValue::Ns(vec!["3".into(), "1".into()]));
//! let read: Vec<u32> = number_set::decode(stored).unwrap();
//! assert_eq!(read, vec![3, 1]);
//! assert_eq!(number_set::encode::<f64>(&[]).unwrap(), None);
//! assert!(number_set::encode(&[1.0, 1.0]).is_err());
//! ```
//!
//! Element types that are not stored as numbers do not compile:
//!
//! ```compile_fail
//! dynorm::codec::number_set::encode(&["1".to_owned()]);
//! ```

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::{Attribute, Number, type_name};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Stored as `number_set`.
pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::NumberSet;

/// The set (NS), or `None` for an empty list.
pub fn encode<T: Attribute>(value: &[T]) -> Result<Option<AttributeValue>, EncodeError> {
    const {
        assert!(
            matches!(T::TYPE, AttributeType::Number),
            "number_set stores elements that are stored as numbers"
        );
    }
    if value.is_empty() {
        return Ok(None);
    }
    let mut texts = Vec::with_capacity(value.len());
    let mut seen = HashSet::with_capacity(value.len());
    for (i, item) in value.iter().enumerate() {
        let text = match item.encode() {
            Ok(Some(AttributeValue::N(text))) => text,
            Ok(Some(other)) => {
                return Err(EncodeError::new(format!(
                    "number set element [{i}] is stored as {}, not N",
                    type_name(&other)
                )));
            }
            Ok(None) => return Err(EncodeError::new(format!("number set element [{i}] has no value"))),
            Err(e) => {
                return Err(EncodeError::new(format!(
                    "number set element [{i}]: {}",
                    e.reason
                )));
            }
        };
        let number: Number = text
            .parse()
            .map_err(|e| EncodeError::new(format!("number set element [{i}]: {e}")))?;
        if !seen.insert(number) {
            return Err(EncodeError::new(format!(
                "the number set holds {text} twice; DynamoDB sets cannot hold duplicates"
            )));
        }
        texts.push(text);
    }
    Ok(Some(AttributeValue::Ns(texts)))
}

/// Reads a number set (NS) in the stored order, each element through `T`'s own decoding.
pub fn decode<T: Attribute>(value: AttributeValue) -> Result<Vec<T>, DecodeError> {
    const {
        assert!(
            matches!(T::TYPE, AttributeType::Number),
            "number_set reads elements that are stored as numbers"
        );
    }
    match value {
        AttributeValue::Ns(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, text)| T::decode(AttributeValue::N(text)).map_err(|e| e.within(&format!("[{i}]"))))
            .collect(),
        other => Err(DecodeError::wrong_type("NS", &other)),
    }
}

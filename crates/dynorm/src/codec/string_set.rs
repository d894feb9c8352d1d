//! `Vec<String>` stored as a string set (SS).
//!
//! An empty list leaves the attribute out (DynamoDB refuses empty sets); a list holding the same
//! string twice is refused, as DynamoDB refuses duplicates in sets. Reading keeps the stored
//! order, which DynamoDB does not define.
//!
//! ```
//! use dynorm::AttributeValue;
//! use dynorm::codec::string_set;
//!
//! let tags = vec!["b".to_owned(), "a".to_owned()];
//! let stored = string_set::encode(&tags).unwrap().unwrap();
//! assert_eq!(stored, AttributeValue::Ss(tags.clone()));
//! assert_eq!(string_set::decode(stored).unwrap(), tags);
//! assert_eq!(string_set::encode(&[]).unwrap(), None);
//! assert!(string_set::encode(&["a".to_owned(), "a".to_owned()]).is_err());
//! ```

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::number::shown;
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Stored as `string_set`.
pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::StringSet;

/// The set (SS), or `None` for an empty list.
pub fn encode(value: &[String]) -> Result<Option<AttributeValue>, EncodeError> {
    if value.is_empty() {
        return Ok(None);
    }
    let mut seen = HashSet::with_capacity(value.len());
    for item in value {
        if !seen.insert(item.as_str()) {
            return Err(EncodeError::new(format!(
                "the string set holds `{}` twice; DynamoDB sets cannot hold duplicates",
                shown(item)
            )));
        }
    }
    Ok(Some(AttributeValue::Ss(value.to_vec())))
}

/// Reads a string set (SS) in the stored order.
pub fn decode(value: AttributeValue) -> Result<Vec<String>, DecodeError> {
    match value {
        AttributeValue::Ss(items) => Ok(items),
        other => Err(DecodeError::wrong_type("SS", &other)),
    }
}

//! `DateTime<Utc>` stored as epoch seconds (N), the form DynamoDB's TTL reads.
//!
//! Whole seconds are stored as an integer (`1700000000`), an instant with a sub-second part as a
//! decimal (`1700000000.25`). Reading accepts any number, and ISO 8601 text leniently. This is
//! the stored form of [`EpochSeconds`](crate::EpochSeconds), for fields that stay plain
//! `DateTime<Utc>`.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use dynorm::AttributeValue;
//! use dynorm::codec::epoch_seconds;
//!
//! let at = Utc.timestamp_opt(1_700_000_000, 500_000_000).unwrap();
//! let stored = epoch_seconds::encode(&at).unwrap().unwrap();
//! assert_eq!(stored, AttributeValue::N("1700000000.5".into()));
//! assert_eq!(epoch_seconds::decode(stored).unwrap(), at);
//! ```

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::attribute::datetime::{decode_datetime, epoch_text};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// Stored as `datetime_epoch`.
pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::DatetimeEpoch;

/// The epoch seconds (N).
pub fn encode(value: &DateTime<Utc>) -> Result<Option<AttributeValue>, EncodeError> {
    Ok(Some(AttributeValue::N(epoch_text(value))))
}

/// Reads epoch seconds (N, integer or decimal) or ISO 8601 text (S).
pub fn decode(value: AttributeValue) -> Result<DateTime<Utc>, DecodeError> {
    decode_datetime(value)
}

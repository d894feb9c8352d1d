//! Codec modules for `#[dynorm(with = ...)]`: other stored forms for a field than its type's own
//! [`Attribute`](crate::Attribute) impl.
//!
//! Every module here has the same three items, which `#[derive(Table)]` calls:
//!
//! ```text
//! pub const ATTRIBUTE_TYPE: AttributeType;
//! pub fn encode(value: &T) -> Result<Option<AttributeValue>, EncodeError>;  // None: leave it out
//! pub fn decode(value: AttributeValue) -> Result<T, DecodeError>;
//! ```
//!
//! A codec of your own is any module with these items.
//!
//! | module | Rust type | stored as | example |
//! |---|---|---|---|
//! | [`epoch_seconds`] | `DateTime<Utc>` | N, epoch seconds | `1700000000`, `1700000000.25` |
//! | [`json`] | any serde `T` | native M / L / S / N / BOOL / NULL | `{"M": {"a": {"N": "1"}}}` |
//! | [`json_string`] | any serde `T` | S, compact JSON text | `{"a":1}` |
//! | [`binary`] | `Vec<u8>` (any `AsRef<[u8]>`) | B | bytes |
//! | [`string_set`] | `Vec<String>` | SS; empty → left out | `["a", "b"]` |
//! | [`number_set`] | `Vec<T>` of numbers | NS; empty → left out | `["1", "2.5"]` |
//! | [`da_vinci::datetime`] | `DateTime<Utc>` | N, Python `str(float(ts))` | `1700000000.0` |
//! | [`da_vinci::optional_datetime`] | `Option<DateTime<Utc>>` | N; `None` → `0` | `0`, `1700000000.5` |
//! | [`da_vinci::optional_string`] | `Option<String>` | S; `None` → `"None"` | `"None"` |
//! | [`da_vinci::json`] | any serde `T` | native; empty map or null → left out | `{"M": …}` |
//! | [`da_vinci::json_string`] | any serde `T` | S, Python `json.dumps` text | `{"a": 1, "b": [1, 2]}` |
//! | [`da_vinci::number_set`] | `Vec<T>` of numbers | NS; empty → left out | `["1", "2"]` |
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use dynorm::AttributeValue;
//! use dynorm::codec::{da_vinci, epoch_seconds};
//!
//! let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
//! assert_eq!(epoch_seconds::encode(&at).unwrap(), Some(AttributeValue::N("1700000000".into())));
//! assert_eq!(da_vinci::datetime::encode(&at).unwrap(), Some(AttributeValue::N("1700000000.0".into())));
//! assert_eq!(da_vinci::datetime::decode(AttributeValue::N("1700000000.0".into())).unwrap(), at);
//! ```

pub mod binary;
pub mod da_vinci;
pub mod epoch_seconds;
pub mod json;
pub mod json_string;
pub mod number_set;
pub mod string_set;

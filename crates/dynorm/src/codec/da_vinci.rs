//! Da Vinci's stored forms, reproduced exactly, so a dynorm table can read and write items of a
//! table that Da Vinci (`da_vinci.core.orm`, Python) also uses.
//!
//! | module | Rust type | Da Vinci type | stored as |
//! |---|---|---|---|
//! | [`datetime`] | `DateTime<Utc>` | `DATETIME` | N, `str(float(ts))`: `1700000000.0`, `1700000000.123456` |
//! | [`optional_datetime`] | `Option<DateTime<Utc>>` | optional `DATETIME` | as above; `None` → `0`, and `0` reads as `None` |
//! | [`optional_string`] | `Option<String>` | optional `STRING` | S; `None` → the literal `"None"`, which reads back as `None` |
//! | [`json`] | any serde `T` | `JSON` | native M (L, …); an empty map or null leaves the attribute out |
//! | [`json_string`] | any serde `T` | `JSON_STRING` | S, `json.dumps` text: `{"a": 1, "b": [1, 2]}` |
//! | [`number_set`] | `Vec<T>` of numbers | `NUMBER_SET` | NS; empty → left out |
//!
//! The other Da Vinci types need no codec: `STRING` is `String`, `NUMBER` any integer or float,
//! `BOOLEAN` `bool`, `STRING_LIST` / `NUMBER_LIST` `Vec<String>` / `Vec<i64>`, `STRING_SET`
//! `BTreeSet<String>` (or [`string_set`](super::string_set)), and `COMPOSITE_STRING` a
//! composite attribute with separator `-` and `escaped = false`.
//!
//! Where Da Vinci's reading is lossy, dynorm reads the stored form faithfully instead: datetimes
//! are UTC (Da Vinci reads naive local time), and number sets read back as numbers (Da Vinci
//! reads them as strings).
//!
//! ```
//! use std::collections::BTreeMap;
//! use dynorm::AttributeValue;
//! use dynorm::codec::da_vinci;
//!
//! let value = BTreeMap::from([("a".to_owned(), vec![1, 2])]);
//! let stored = da_vinci::json_string::encode(&value).unwrap();
//! assert_eq!(stored, Some(AttributeValue::S(r#"{"a": [1, 2]}"#.into())));
//! assert_eq!(da_vinci::optional_string::encode(&None).unwrap(), Some(AttributeValue::S("None".into())));
//! ```

use std::io;

use serde_json::ser::Formatter;

/// Python's `repr` of a float from its shortest decimal digits: plain notation with at least one
/// fractional digit (`1700000000.0`) when the exponent is in -4..16, otherwise `1e+16`, `1.5e-05`.
fn python_float_repr(scientific: &str, out: &mut String) {
    // `scientific` is Rust's shortest `{:e}` text: `-1.2345e9`, `0e0`.
    let (negative, rest) = match scientific.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, scientific),
    };
    let (mantissa, exponent) = rest.split_once('e').unwrap_or((rest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let point = exponent as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', point - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(itoa::Buffer::new().format(magnitude));
    }
}

/// Python's `repr(float)` of an `f64`.
pub(crate) fn python_f64(value: f64) -> String {
    let mut out = String::with_capacity(24);
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        python_float_repr(&format!("{value:e}"), &mut out);
    }
    out
}

/// Writes JSON text as Python's `json.dumps` does with its default arguments: `", "` and `": "`
/// separators, every character outside printable ASCII escaped as `\uXXXX` (`ensure_ascii`), and
/// floats in Python's `repr` form (`1.0`, `1e+16`).
struct PythonJson;

impl Formatter for PythonJson {
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_f64(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        // The f32's own shortest digits, in Python's layout.
        let mut out = String::with_capacity(24);
        python_float_repr(&format!("{value:e}"), &mut out);
        writer.write_all(out.as_bytes())
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\x7f' {
                continue;
            }
            writer.write_all(&bytes[start..at])?;
            let mut units = [0_u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = at + c.len_utf8();
        }
        writer.write_all(&bytes[start..])
    }
}

pub mod datetime {
    //! `DateTime<Utc>` as Da Vinci's `DATETIME`: N, the epoch seconds as Python's
    //! `str(float(dt.timestamp()))` writes them: `1700000000.0`, `1700000000.123456`.
    //!
    //! Python datetimes have microseconds, so sub-microsecond digits are dropped when writing.
    //! Reading accepts any number (and ISO 8601 text leniently) and gives UTC. Da Vinci stores a
    //! missing datetime as `0` and reads `0` back as `None`; this codec, for a required
    //! `DateTime<Utc>`, reads `0` as the epoch (1970-01-01T00:00:00Z). Use
    //! [`optional_datetime`](super::optional_datetime) for Da Vinci's `None` handling.
    //!
    //! ```
    //! use chrono::{TimeZone, Utc};
    //! use dynorm::AttributeValue;
    //! use dynorm::codec::da_vinci::datetime;
    //!
    //! let at = Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
    //! let stored = datetime::encode(&at).unwrap().unwrap();
    //! assert_eq!(stored, AttributeValue::N("1700000000.123456".into()));
    //! assert_eq!(datetime::decode(stored).unwrap(), at);
    //! assert_eq!(datetime::decode(AttributeValue::N("0".into())).unwrap(), Utc.timestamp_opt(0, 0).unwrap());
    //! ```

    use aws_sdk_dynamodb::types::AttributeValue;
    use chrono::{DateTime, Utc};

    use crate::attribute::datetime::decode_datetime;
    use crate::definition::AttributeType;
    use crate::error::{DecodeError, EncodeError};

    /// Stored as `datetime_epoch` (Da Vinci's `DATETIME` keys are numbers).
    pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::DatetimeEpoch;

    /// Python's `str(float(ts))` text of the instant.
    pub(crate) fn text(value: &DateTime<Utc>) -> String {
        // Python's `timestamp()` divides the whole microseconds by 10**6, correctly rounded; so
        // does this division of two exactly represented doubles (for |micros| < 2**53).
        super::python_f64(value.timestamp_micros() as f64 / 1e6)
    }

    /// The epoch seconds (N), as Python writes the float.
    pub fn encode(value: &DateTime<Utc>) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::N(text(value))))
    }

    /// Reads epoch seconds (N) or ISO 8601 text (S); `0` is the epoch.
    pub fn decode(value: AttributeValue) -> Result<DateTime<Utc>, DecodeError> {
        decode_datetime(value)
    }
}

pub mod optional_datetime {
    //! `Option<DateTime<Utc>>` as Da Vinci's optional `DATETIME`: `None` is stored as `0`, and a
    //! stored zero (or NULL) reads as `None`; an instant is stored as in
    //! [`datetime`](super::datetime).
    //!
    //! As in Da Vinci, the epoch itself (1970-01-01T00:00:00Z) therefore reads back as `None`.
    //!
    //! ```
    //! use chrono::{TimeZone, Utc};
    //! use dynorm::AttributeValue;
    //! use dynorm::codec::da_vinci::optional_datetime;
    //!
    //! assert_eq!(optional_datetime::encode(&None).unwrap(), Some(AttributeValue::N("0".into())));
    //! assert_eq!(optional_datetime::decode(AttributeValue::N("0".into())).unwrap(), None);
    //! let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    //! let stored = optional_datetime::encode(&Some(at)).unwrap().unwrap();
    //! assert_eq!(optional_datetime::decode(stored).unwrap(), Some(at));
    //! ```

    use aws_sdk_dynamodb::types::AttributeValue;
    use chrono::{DateTime, Utc};

    use crate::attribute::Number;
    use crate::attribute::datetime::decode_datetime;
    use crate::definition::AttributeType;
    use crate::error::{DecodeError, EncodeError};

    /// Stored as `datetime_epoch`.
    pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::DatetimeEpoch;

    /// `0` for `None`, else the epoch seconds as Python writes the float.
    pub fn encode(value: &Option<DateTime<Utc>>) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::N(match value {
            Some(value) => super::datetime::text(value),
            None => "0".to_owned(),
        })))
    }

    /// Reads `None` from a zero or NULL, else epoch seconds (N) or ISO 8601 text (S).
    pub fn decode(value: AttributeValue) -> Result<Option<DateTime<Utc>>, DecodeError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            AttributeValue::N(text) if text.parse::<Number>().is_ok_and(|n| n.is_zero()) => Ok(None),
            other => decode_datetime(other).map(Some),
        }
    }
}

pub mod optional_string {
    //! `Option<String>` as Da Vinci's optional `STRING`: `None` is stored as the literal text
    //! `"None"` (Python's `str(None)`), and `"None"` (or NULL) reads back as `None`.
    //!
    //! As in Da Vinci, `Some("None")` therefore reads back as `None`.
    //!
    //! ```
    //! use dynorm::AttributeValue;
    //! use dynorm::codec::da_vinci::optional_string;
    //!
    //! assert_eq!(optional_string::encode(&None).unwrap(), Some(AttributeValue::S("None".into())));
    //! assert_eq!(optional_string::decode(AttributeValue::S("None".into())).unwrap(), None);
    //! assert_eq!(optional_string::decode(AttributeValue::S("x".into())).unwrap(), Some("x".to_owned()));
    //! ```

    use aws_sdk_dynamodb::types::AttributeValue;

    use crate::definition::AttributeType;
    use crate::error::{DecodeError, EncodeError};

    /// Stored as `string`.
    pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::String;

    /// The text, or `"None"`.
    pub fn encode(value: &Option<String>) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::S(
            value.clone().unwrap_or_else(|| "None".to_owned()),
        )))
    }

    /// Reads S; `"None"` and NULL are `None`.
    pub fn decode(value: AttributeValue) -> Result<Option<String>, DecodeError> {
        match value {
            AttributeValue::S(text) if text == "None" => Ok(None),
            AttributeValue::S(text) => Ok(Some(text)),
            AttributeValue::Null(_) => Ok(None),
            other => Err(DecodeError::wrong_type("S", &other)),
        }
    }
}

pub mod json {
    //! Any serde value as Da Vinci's `JSON`: stored natively (M, L, …) like
    //! [`codec::json`](crate::codec::json), except that an empty map or a null value (`None`,
    //! `()`) leaves the attribute out, as Da Vinci does. Pair it with an `Option` or a default
    //! so that the left-out attribute reads back.
    //!
    //! ```
    //! use std::collections::BTreeMap;
    //! use dynorm::codec::da_vinci::json;
    //!
    //! assert_eq!(json::encode(&BTreeMap::<String, i32>::new()).unwrap(), None);
    //! assert_eq!(json::encode(&Option::<i32>::None).unwrap(), None);
    //! let value = BTreeMap::from([("a".to_owned(), 1)]);
    //! let read: BTreeMap<String, i32> = json::decode(json::encode(&value).unwrap().unwrap()).unwrap();
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

    /// The native form, or `None` for an empty map or a null value.
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(match encode_json(value)? {
            AttributeValue::Null(_) => None,
            AttributeValue::M(map) if map.is_empty() => None,
            value => Some(value),
        })
    }

    /// Reads a native value; errors carry serde's message.
    pub fn decode<T: DeserializeOwned>(value: AttributeValue) -> Result<T, DecodeError> {
        decode_json(value)
    }
}

pub mod json_string {
    //! Any serde value as Da Vinci's `JSON_STRING`: S, the JSON text Python's `json.dumps`
    //! writes with its default arguments, byte for byte: `", "` and `": "` separators, non-ASCII
    //! characters escaped as `\uXXXX`, floats as Python writes them (`1.0`, `1e+16`). Reading
    //! accepts any JSON layout (compact text included).
    //!
    //! Map keys keep serde's order (struct field order, sorted for `BTreeMap`); Python keeps
    //! insertion order. NaN and infinities become `null`, as `serde_json` writes them (Python
    //! would write `NaN`, which is not JSON).
    //!
    //! ```
    //! use dynorm::AttributeValue;
    //! use dynorm::codec::da_vinci::json_string;
    //!
    //! let value = serde_json::json!({"a": 1, "b": [1, 2.0], "c": "é"});
    //! let stored = json_string::encode(&value).unwrap().unwrap();
    //! assert_eq!(stored, AttributeValue::S(r#"{"a": 1, "b": [1, 2.0], "c": "\u00e9"}"#.into()));
    //! let read: serde_json::Value = json_string::decode(stored).unwrap();
    //! assert_eq!(read, value);
    //! ```

    use aws_sdk_dynamodb::types::AttributeValue;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use crate::attribute::json::decode_json_string;
    use crate::definition::AttributeType;
    use crate::error::{DecodeError, EncodeError};

    /// Stored as `json_string`.
    pub const ATTRIBUTE_TYPE: AttributeType = AttributeType::JsonString;

    /// The `json.dumps` text of the value.
    pub(crate) fn dumps<T: Serialize + ?Sized>(value: &T) -> Result<String, EncodeError> {
        let mut out = Vec::with_capacity(128);
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, super::PythonJson);
        value
            .serialize(&mut serializer)
            .map_err(|e| EncodeError::new(format!("cannot write the value as JSON text: {e}")))?;
        // The formatter writes only UTF-8 (ASCII, in fact).
        String::from_utf8(out).map_err(|e| EncodeError::new(format!("JSON text is not UTF-8: {e}")))
    }

    /// The `json.dumps` text (S).
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Option<AttributeValue>, EncodeError> {
        dumps(value).map(|text| Some(AttributeValue::S(text)))
    }

    /// Reads JSON text in any layout; errors carry serde's message.
    pub fn decode<T: DeserializeOwned>(value: AttributeValue) -> Result<T, DecodeError> {
        match value {
            AttributeValue::S(text) => decode_json_string(&text),
            other => Err(DecodeError::wrong_type("S", &other)),
        }
    }
}

pub mod number_set {
    //! `Vec<T>` of numbers as Da Vinci's `NUMBER_SET`: NS, an empty list leaves the attribute
    //! out. The same stored form as [`codec::number_set`](crate::codec::number_set) (DynamoDB
    //! keeps numbers, not their text, so Python's `1e+16` and dynorm's `1e16` are the same
    //! stored value). Unlike Da Vinci, which reads the elements back as strings, this reads
    //! them as numbers.
    //!
    //! ```
    //! use dynorm::AttributeValue;
    //! use dynorm::codec::da_vinci::number_set;
    //!
    //! let stored = number_set::encode(&[1_i64, 2]).unwrap().unwrap();
    //! assert_eq!(stored, AttributeValue::Ns(vec!["1".into(), "2".into()]));
    //! assert_eq!(number_set::decode::<i64>(stored).unwrap(), vec![1, 2]);
    //! ```

    pub use crate::codec::number_set::{ATTRIBUTE_TYPE, decode, encode};
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;

    use aws_sdk_dynamodb::types::AttributeValue;
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn python_float_reprs() {
        // Each pair is Python's own `repr(float)`.
        for (value, text) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123456789012345.0, "123456789012345.0"),
            (1234567890123456.0, "1234567890123456.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (1e100, "1e+100"),
            (-2.5e-300, "-2.5e-300"),
            (1700000000.0, "1700000000.0"),
            (1700000000.123456, "1700000000.123456"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(python_f64(value), text);
        }
    }

    #[test]
    fn datetime_forms() {
        let at = |s, n| Utc.timestamp_opt(s, n).unwrap();
        let text = |v| datetime::encode(&v).unwrap().unwrap();
        assert_eq!(
            text(at(1_700_000_000, 0)),
            AttributeValue::N("1700000000.0".into())
        );
        assert_eq!(
            text(at(1_700_000_000, 123_456_789)),
            AttributeValue::N("1700000000.123456".into())
        );
        assert_eq!(
            text(at(1_700_000_000, 500_000_000)),
            AttributeValue::N("1700000000.5".into())
        );
        assert_eq!(text(at(0, 0)), AttributeValue::N("0.0".into()));
        assert_eq!(text(at(-1, 500_000_000)), AttributeValue::N("-0.5".into()));
        for micros in [0_i64, 1, 999_999, 123_456, 1_700_000_000_123_456, -86_400_000_001] {
            let value = Utc.timestamp_micros(micros).unwrap();
            assert_eq!(datetime::decode(text(value)).unwrap(), value, "{micros}");
        }
        assert_eq!(
            optional_datetime::encode(&None).unwrap(),
            Some(AttributeValue::N("0".into()))
        );
        assert_eq!(
            optional_datetime::decode(AttributeValue::N("0.0".into())).unwrap(),
            None
        );
        assert_eq!(
            optional_datetime::decode(AttributeValue::Null(true)).unwrap(),
            None
        );
        assert!(optional_datetime::decode(AttributeValue::N("x".into())).is_err());
    }

    #[test]
    fn optional_string_forms() {
        assert_eq!(
            optional_string::encode(&Some(String::new())).unwrap(),
            Some(AttributeValue::S(String::new()))
        );
        assert_eq!(optional_string::decode(AttributeValue::Null(true)).unwrap(), None);
        assert_eq!(
            optional_string::decode(AttributeValue::N("1".into()))
                .unwrap_err()
                .to_string(),
            "cannot decode a value: expected S, found N"
        );
    }

    #[test]
    fn json_string_matches_json_dumps() {
        // Expected texts are what Python 3's `json.dumps` writes for the same values.
        let dumps = |v: &serde_json::Value| json_string::dumps(v).unwrap();
        assert_eq!(dumps(&serde_json::json!({"a": 1})), r#"{"a": 1}"#);
        assert_eq!(
            dumps(&serde_json::json!({"a": 1, "b": [1, 2]})),
            r#"{"a": 1, "b": [1, 2]}"#
        );
        assert_eq!(dumps(&serde_json::json!({})), "{}");
        assert_eq!(dumps(&serde_json::json!([])), "[]");
        assert_eq!(
            dumps(&serde_json::json!([[], {}, null, true])),
            "[[], {}, null, true]"
        );
        assert_eq!(
            dumps(&serde_json::json!({"x": {"y": [1.5, 1e16, 1e-5]}})),
            r#"{"x": {"y": [1.5, 1e+16, 1e-05]}}"#
        );
        assert_eq!(
            dumps(&serde_json::json!("é😀\u{7f}\u{1}\n\"\\/")),
            r#""\u00e9\ud83d\ude00\u007f\u0001\n\"\\/""#
        );
        assert_eq!(json_string::dumps(&1.5_f32).unwrap(), "1.5");
        assert_eq!(json_string::dumps(&f64::NAN).unwrap(), "null");
        let value: BTreeMap<String, Vec<f64>> =
            json_string::decode(AttributeValue::S(r#"{"a":[1.0,2.5]}"#.into())).unwrap();
        assert_eq!(value["a"], vec![1.0, 2.5]);
    }

    #[test]
    fn json_leaves_out_empty_values() {
        assert_eq!(json::encode(&BTreeMap::<String, u8>::new()).unwrap(), None);
        assert_eq!(json::encode(&()).unwrap(), None);
        assert_eq!(
            json::encode(&Vec::<u8>::new()).unwrap(),
            Some(AttributeValue::L(vec![]))
        );
        assert_eq!(json::encode(&"").unwrap(), Some(AttributeValue::S(String::new())));
    }
}

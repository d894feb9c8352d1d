//! Date-times: ISO 8601 text by default, epoch seconds on request.
//!
//! | Rust type | stored as | example |
//! |---|---|---|
//! | `DateTime<Utc>` | S, ISO 8601 UTC | `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.250Z` |
//! | [`EpochSeconds`] | N, epoch seconds | `1714564800`, `1714564800.25` |
//!
//! Both read each other's form, RFC 3339 text with any offset (converted to UTC) and naive
//! `YYYY-MM-DDTHH:MM:SS[.f]` text without a zone (read as UTC, as `dynamo_query` writes it).

use std::fmt;
use std::ops::{Deref, DerefMut};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Timelike, Utc};

use crate::attribute::{Attribute, KeyAttribute, Number};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

const NANOS_PER_SECOND: u32 = 1_000_000_000;
const EXPECTED_ISO: &str = "an ISO 8601 date-time such as 2024-05-01T12:00:00Z";
const EXPECTED_EPOCH: &str = "epoch seconds within chrono's range";

/// A UTC instant stored as epoch seconds (N), the form DynamoDB's TTL reads.
///
/// Whole seconds are stored as an integer; an instant with a sub-second part as a decimal with
/// up to nine fractional digits (trailing zeros trimmed). Reading accepts any number (integer,
/// decimal or exponent form; digits beyond nanoseconds are dropped) and, leniently, ISO 8601
/// text.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use dynorm::{Attribute, AttributeValue, EpochSeconds};
///
/// let at = EpochSeconds(Utc.timestamp_opt(1_700_000_000, 250_000_000).unwrap());
/// assert_eq!(at.encode().unwrap(), Some(AttributeValue::N("1700000000.25".into())));
/// assert_eq!(EpochSeconds::decode(AttributeValue::N("1700000000.25".into())).unwrap(), at);
/// assert_eq!(at.timestamp(), 1_700_000_000); // derefs to the DateTime
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpochSeconds(pub DateTime<Utc>);

impl EpochSeconds {
    /// The current instant.
    pub fn now() -> Self {
        EpochSeconds(Utc::now())
    }

    /// The wrapped instant.
    pub fn into_inner(self) -> DateTime<Utc> {
        self.0
    }
}

impl Deref for EpochSeconds {
    type Target = DateTime<Utc>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for EpochSeconds {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<DateTime<Utc>> for EpochSeconds {
    fn from(value: DateTime<Utc>) -> Self {
        EpochSeconds(value)
    }
}

impl From<EpochSeconds> for DateTime<Utc> {
    fn from(value: EpochSeconds) -> Self {
        value.0
    }
}

/// Shows the stored form, the epoch seconds.
impl fmt::Display for EpochSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&epoch_text(&self.0))
    }
}

/// Appends `value` as exactly `width` decimal digits.
fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut divisor = 10_u32.pow(width - 1);
    for _ in 0..width {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// The ISO 8601 UTC text of an instant: `2024-05-01T12:00:00Z`, with a fractional part of 3, 6
/// or 9 digits only when there is one (the same text as chrono's
/// `to_rfc3339_opts(SecondsFormat::AutoSi, true)`, written without its formatting machinery).
pub(crate) fn iso_text(value: &DateTime<Utc>) -> String {
    let naive = value.naive_utc();
    let (year, nanos) = (naive.year(), naive.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= NANOS_PER_SECOND {
        return value.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    }
    let mut out = String::with_capacity(30);
    push_digits(&mut out, year as u32, 4);
    out.push('-');
    push_digits(&mut out, naive.month(), 2);
    out.push('-');
    push_digits(&mut out, naive.day(), 2);
    out.push('T');
    push_digits(&mut out, naive.hour(), 2);
    out.push(':');
    push_digits(&mut out, naive.minute(), 2);
    out.push(':');
    push_digits(&mut out, naive.second(), 2);
    if nanos != 0 {
        out.push('.');
        if nanos % 1_000_000 == 0 {
            push_digits(&mut out, nanos / 1_000_000, 3);
        } else if nanos % 1_000 == 0 {
            push_digits(&mut out, nanos / 1_000, 6);
        } else {
            push_digits(&mut out, nanos, 9);
        }
    }
    out.push('Z');
    out
}

/// Reads the exact form [`iso_text`] writes, `YYYY-MM-DDTHH:MM:SS[.f]Z`, without chrono's parser.
fn parse_iso_fast(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[b.len() - 1] != b'Z'
    {
        return None;
    }
    let number = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0_u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let year = number(&b[0..4])?;
    let month = number(&b[5..7])?;
    let day = number(&b[8..10])?;
    let hour = number(&b[11..13])?;
    let minute = number(&b[14..16])?;
    let second = number(&b[17..19])?;
    let fraction = &b[19..b.len() - 1];
    let nanos = match fraction.split_first() {
        None => 0,
        Some((b'.', digits)) if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10_u32.pow(9 - digits.len() as u32)
        }
        Some(_) => return None,
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(date.and_hms_nano_opt(hour, minute, second, nanos)?.and_utc())
}

/// Reads ISO 8601 text leniently: RFC 3339 with any offset (converted to UTC), or a naive
/// date-time without a zone, read as UTC.
pub(crate) fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    if let Some(value) = parse_iso_fast(text) {
        return Some(value);
    }
    if let Ok(value) = DateTime::parse_from_rfc3339(text) {
        return Some(value.with_timezone(&Utc));
    }
    // Years beyond 9999 (`+12345-…`), which RFC 3339 does not allow but chrono writes.
    if let Ok(value) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%:z") {
        return Some(value.with_timezone(&Utc));
    }
    // Naive text is read as UTC, and so is text ending in `Z` that RFC 3339 does not allow
    // (years beyond 9999, which chrono writes as `+12345-01-01T00:00:00Z`).
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// The epoch-seconds text of an instant: an integer, or a decimal with the trailing zeros of
/// its fraction trimmed (`-1.5` for half a second before 1969-12-31T23:59:59).
pub(crate) fn epoch_text(value: &DateTime<Utc>) -> String {
    let mut seconds = value.timestamp();
    let mut nanos = value.timestamp_subsec_nanos();
    if nanos >= NANOS_PER_SECOND {
        // A leap second: epoch seconds cannot tell it apart from the next second.
        seconds += 1;
        nanos -= NANOS_PER_SECOND;
    }
    let mut buffer = itoa::Buffer::new();
    if nanos == 0 {
        return buffer.format(seconds).to_owned();
    }
    let (sign, whole, fraction) = if seconds >= 0 {
        ("", seconds.unsigned_abs(), nanos)
    } else {
        ("-", (seconds + 1).unsigned_abs(), NANOS_PER_SECOND - nanos)
    };
    let mut out = String::with_capacity(32);
    out.push_str(sign);
    out.push_str(buffer.format(whole));
    out.push('.');
    let mut digits = 9;
    let mut fraction = fraction;
    while fraction % 10 == 0 {
        fraction /= 10;
        digits -= 1;
    }
    push_digits(&mut out, fraction, digits);
    out
}

/// Reads epoch seconds from any DynamoDB number text; digits beyond nanoseconds are dropped.
pub(crate) fn parse_epoch(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(seconds) = text.parse::<i64>() {
        return DateTime::from_timestamp(seconds, 0);
    }
    let number: Number = text.parse().ok()?;
    let (negative, seconds, nanos) = number.seconds_and_nanos()?;
    let seconds = i64::try_from(seconds).ok()?;
    match (negative, nanos) {
        (false, _) => DateTime::from_timestamp(seconds, nanos),
        (true, 0) => DateTime::from_timestamp(-seconds, 0),
        (true, _) => DateTime::from_timestamp(-seconds - 1, NANOS_PER_SECOND - nanos),
    }
}

/// Decodes a date-time from S (ISO 8601) or N (epoch seconds).
pub(crate) fn decode_datetime(value: AttributeValue) -> Result<DateTime<Utc>, DecodeError> {
    match value {
        AttributeValue::S(text) => parse_iso(&text).ok_or_else(|| DecodeError::invalid(EXPECTED_ISO, &text)),
        AttributeValue::N(text) => {
            parse_epoch(&text).ok_or_else(|| DecodeError::invalid(EXPECTED_EPOCH, &text))
        }
        other => Err(DecodeError::wrong_type("S or N", &other)),
    }
}

/// Stored as ISO 8601 UTC text (S); reads ISO text with any offset, naive text as UTC, and epoch
/// seconds (N).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use dynorm::{Attribute, AttributeValue};
///
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
/// assert_eq!(at.encode().unwrap(), Some(AttributeValue::S("2024-05-01T12:00:00Z".into())));
/// let read = chrono::DateTime::<Utc>::decode(AttributeValue::S("2024-05-01T14:00:00+02:00".into()));
/// assert_eq!(read.unwrap(), at);
/// ```
impl Attribute for DateTime<Utc> {
    const TYPE: AttributeType = AttributeType::Datetime;

    #[inline]
    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::S(iso_text(self))))
    }

    #[inline]
    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_datetime(value)
    }
}
impl KeyAttribute for DateTime<Utc> {}

impl Attribute for EpochSeconds {
    const TYPE: AttributeType = AttributeType::DatetimeEpoch;

    #[inline]
    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::N(epoch_text(&self.0))))
    }

    #[inline]
    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_datetime(value).map(EpochSeconds)
    }
}
impl KeyAttribute for EpochSeconds {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, nanos).unwrap()
    }

    #[test]
    fn iso_text_is_chronos_autosi_text() {
        let noon = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        assert_eq!(iso_text(&noon), "2024-05-01T12:00:00Z");
        for (value, text) in [
            (at(1_714_564_800, 0), "2024-05-01T12:00:00Z"),
            (at(1_714_564_800, 250_000_000), "2024-05-01T12:00:00.250Z"),
            (at(1_714_564_800, 250_000), "2024-05-01T12:00:00.000250Z"),
            (at(1_714_564_800, 1), "2024-05-01T12:00:00.000000001Z"),
            (at(-1, 0), "1969-12-31T23:59:59Z"),
            (at(-62_167_219_200, 0), "0000-01-01T00:00:00Z"),
        ] {
            assert_eq!(iso_text(&value), text);
            assert_eq!(value.to_rfc3339_opts(SecondsFormat::AutoSi, true), text);
            assert_eq!(parse_iso(text), Some(value));
        }
        // Outside 0000..=9999 chrono's own text is used.
        let far = Utc.with_ymd_and_hms(12345, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(iso_text(&far), "+12345-01-01T00:00:00Z");
        assert_eq!(parse_iso("+12345-01-01T00:00:00Z"), Some(far));
        assert_eq!(parse_iso("+12345-01-01T02:00:00+02:00"), Some(far));
        let early = Utc.with_ymd_and_hms(-44, 3, 15, 12, 0, 0).unwrap();
        assert_eq!(parse_iso(&iso_text(&early)), Some(early));
    }

    #[test]
    fn reads_iso_leniently() {
        let noon = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        for text in [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.000Z",
            "2024-05-01T12:00:00+00:00",
            "2024-05-01T14:00:00+02:00",
            "2024-05-01T07:00:00-05:00",
            "2024-05-01T12:00:00",
            "2024-05-01 12:00:00",
            "2024-05-01T12:00:00.000000",
        ] {
            assert_eq!(parse_iso(text), Some(noon), "{text}");
        }
        assert_eq!(
            parse_iso("2024-05-01T12:00:00.5"),
            Some(at(1_714_564_800, 500_000_000))
        );
        for bad in [
            "",
            "2024-05-01",
            "2024-13-01T12:00:00Z",
            "2024-05-01T12:00:00.Z",
            "yesterday",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn epoch_text_forms() {
        assert_eq!(epoch_text(&at(1_700_000_000, 0)), "1700000000");
        assert_eq!(epoch_text(&at(1_700_000_000, 123_456_000)), "1700000000.123456");
        assert_eq!(epoch_text(&at(0, 1)), "0.000000001");
        assert_eq!(epoch_text(&at(-2, 500_000_000)), "-1.5");
        assert_eq!(epoch_text(&at(-1, 500_000_000)), "-0.5");
        assert_eq!(epoch_text(&at(-1, 0)), "-1");
        for value in [
            at(1_700_000_000, 123_456_000),
            at(-2, 500_000_000),
            at(-1, 999_999_999),
            at(0, 1),
        ] {
            assert_eq!(parse_epoch(&epoch_text(&value)), Some(value));
        }
    }

    #[test]
    fn reads_epoch_in_any_number_form() {
        assert_eq!(parse_epoch("1700000000"), Some(at(1_700_000_000, 0)));
        assert_eq!(parse_epoch("1700000000.0"), Some(at(1_700_000_000, 0)));
        assert_eq!(parse_epoch("1.7E+9"), Some(at(1_700_000_000, 0)));
        assert_eq!(
            parse_epoch("1700000000.1234567891"),
            Some(at(1_700_000_000, 123_456_789))
        );
        assert_eq!(parse_epoch("-0.5"), Some(at(-1, 500_000_000)));
        assert_eq!(parse_epoch("1e100"), None);
        assert_eq!(parse_epoch("99999999999999999"), None);
        assert_eq!(parse_epoch("soon"), None);
    }

    #[test]
    fn attribute_forms() {
        let value = at(1_714_564_800, 0);
        assert_eq!(
            value.encode().unwrap(),
            Some(AttributeValue::S("2024-05-01T12:00:00Z".into()))
        );
        assert_eq!(
            DateTime::<Utc>::decode(AttributeValue::N("1714564800".into())).unwrap(),
            value
        );
        assert_eq!(
            EpochSeconds(value).encode().unwrap(),
            Some(AttributeValue::N("1714564800".into()))
        );
        assert_eq!(
            EpochSeconds::decode(AttributeValue::S("2024-05-01T12:00:00Z".into())).unwrap(),
            EpochSeconds(value)
        );
        assert_eq!(
            DateTime::<Utc>::decode(AttributeValue::S("nope".into()))
                .unwrap_err()
                .to_string(),
            "cannot decode a value: expected an ISO 8601 date-time such as 2024-05-01T12:00:00Z, found `nope`"
        );
        assert_eq!(
            EpochSeconds::decode(AttributeValue::Bool(true))
                .unwrap_err()
                .to_string(),
            "cannot decode a value: expected S or N, found BOOL"
        );
    }
}

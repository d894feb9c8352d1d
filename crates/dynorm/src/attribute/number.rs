//! Numbers: every integer width, floats, and the exact decimal [`Number`].
//!
//! DynamoDB numbers have up to 38 significant digits and a magnitude between 1E-130 and
//! 9.9999999999999999999999999999999999999E+125 (or are zero). Integers are written with `itoa`
//! and floats with `ryu` (shortest text that reads back to the same float); anything DynamoDB
//! would refuse or round (NaN, infinities, out-of-range floats, `i128`s with more than 38
//! significant digits) is refused when encoding instead of being rounded silently.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::{Attribute, KeyAttribute, SetElement};
use crate::definition::AttributeType;
use crate::error::{DecodeError, EncodeError};

/// The most significant digits a DynamoDB number keeps.
const MAX_DIGITS: usize = 38;
/// The power of ten of the first significant digit of the smallest number DynamoDB accepts.
const MIN_EXPONENT: i64 = -130;
/// The power of ten of the first significant digit of the largest number DynamoDB accepts.
const MAX_EXPONENT: i64 = 125;
/// The largest magnitude, as text, for messages.
const RANGE: &str = "1E-130 to 9.9999999999999999999999999999999999999E+125 in magnitude";

/// An exact decimal number within DynamoDB's limits: up to 38 significant digits, a magnitude
/// between 1E-130 and 9.9999999999999999999999999999999999999E+125, or zero.
///
/// Numbers are kept normalised, so `1.50`, `1.5` and `15e-1` are the same number (equal, with
/// the same hash), and they are ordered by value. [`Display`](fmt::Display) writes plain decimal
/// notation when the exponent is moderate and scientific notation otherwise; both are accepted
/// by DynamoDB and read back by [`FromStr`].
///
/// ```
/// use dynorm::Number;
/// let a: Number = "1.50".parse().unwrap();
/// let b: Number = "15e-1".parse().unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "1.5");
/// assert_eq!("1.5e100".parse::<Number>().unwrap().to_string(), "1.5E+100");
/// assert_eq!(Number::from(-1200_i64).to_string(), "-1200");
/// assert!("NaN".parse::<Number>().is_err());
/// assert!("1e126".parse::<Number>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Number {
    /// Whether the number is below zero (never set for zero).
    negative: bool,
    /// The significant digits as ASCII, without leading or trailing zeros; empty for zero.
    digits: String,
    /// The power of ten of the first digit (0 for zero).
    exponent: i16,
}

/// Why a text or a value is not a number DynamoDB can store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The text is not a decimal number (`NaN`, `inf` and empty text included).
    #[error("`{0}` is not a decimal number")]
    Invalid(String),
    /// The value is NaN or infinite.
    #[error("{0} is not a finite number; DynamoDB stores only finite numbers")]
    NotFinite(String),
    /// More significant digits than DynamoDB keeps.
    #[error("`{text}` has {digits} significant digits; DynamoDB keeps at most 38")]
    TooManyDigits {
        /// The number, shortened.
        text: String,
        /// How many significant digits it has.
        digits: usize,
    },
    /// Too large or too small in magnitude.
    #[error(
        "`{0}` is out of DynamoDB's range (1E-130 to 9.9999999999999999999999999999999999999E+125 in magnitude)"
    )]
    OutOfRange(String),
    /// A number converted to a Rust integer type is not an integer or is out of its range.
    #[error("{number} does not fit {target} (not an integer, or out of its range)")]
    DoesNotFit {
        /// The number.
        number: String,
        /// The Rust type, e.g. `an i32`.
        target: &'static str,
    },
}

impl NumberError {
    /// What a decoder expected, for [`DecodeError::invalid`].
    fn expected(&self) -> &'static str {
        match self {
            NumberError::Invalid(_) | NumberError::NotFinite(_) | NumberError::DoesNotFit { .. } => {
                "a decimal number"
            }
            NumberError::TooManyDigits { .. } => "a number with at most 38 significant digits",
            NumberError::OutOfRange(_) => "a number between 1E-130 and 9.99…E+125 in magnitude",
        }
    }
}

/// Shortens a text for an error message.
pub(crate) fn shown(text: &str) -> String {
    const SHOWN: usize = 64;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A number's text, split without allocating.
struct Scan<'a> {
    negative: bool,
    /// Digits before the decimal point.
    int: &'a [u8],
    /// Digits after the decimal point.
    frac: &'a [u8],
    /// Index (into `int` followed by `frac`) of the first and last non-zero digits; `None` for zero.
    span: Option<(usize, usize)>,
    /// The power of ten of the first significant digit.
    exponent: i64,
}

impl Scan<'_> {
    fn digit(&self, at: usize) -> u8 {
        match self.int.get(at) {
            Some(d) => *d,
            None => self.frac.get(at - self.int.len()).copied().unwrap_or(b'0'),
        }
    }

    fn significant_digits(&self) -> usize {
        self.span.map_or(0, |(first, last)| last - first + 1)
    }
}

/// Reads `[+-]digits[.digits][(e|E)[+-]digits]` and checks DynamoDB's limits.
fn scan(text: &str) -> Result<Scan<'_>, NumberError> {
    let bytes = text.as_bytes();
    let invalid = || NumberError::Invalid(shown(text));
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (int, mut rest) = rest.split_at(int_len);
    let mut frac: &[u8] = &[];
    if let Some((b'.', after)) = rest.split_first() {
        let frac_len = after.iter().take_while(|b| b.is_ascii_digit()).count();
        (frac, rest) = after.split_at(frac_len);
    }
    if int.is_empty() && frac.is_empty() {
        return Err(invalid());
    }
    let mut exp: i64 = 0;
    if let Some((b'e' | b'E', after)) = rest.split_first() {
        let (exp_negative, digits) = match after.split_first() {
            Some((b'-', d)) => (true, d),
            Some((b'+', d)) => (false, d),
            _ => (false, after),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        for d in digits {
            // Saturate: any exponent this large is out of range anyway.
            exp = (exp * 10 + i64::from(d - b'0')).min(1_000_000_000_000);
        }
        if exp_negative {
            exp = -exp;
        }
        rest = &[];
    }
    if !rest.is_empty() {
        return Err(invalid());
    }
    let all = || int.iter().chain(frac.iter());
    let first = all().position(|d| *d != b'0');
    let span = first.map(|first| {
        let total = int.len() + frac.len();
        let trailing = all().rev().take_while(|d| **d == b'0').count();
        (first, total - 1 - trailing)
    });
    let scan = Scan {
        negative: negative && span.is_some(),
        int,
        frac,
        span,
        // DynamoDB range-checks zero too, as if its last written digit were a 1: `0e126`
        // overflows like `1e126` does.
        exponent: match first {
            Some(first) => int.len() as i64 - 1 - first as i64 + exp,
            None => exp - frac.len() as i64,
        },
    };
    let digits = scan.significant_digits();
    if digits > MAX_DIGITS {
        return Err(NumberError::TooManyDigits {
            text: shown(text),
            digits,
        });
    }
    if !(MIN_EXPONENT..=MAX_EXPONENT).contains(&scan.exponent) {
        return Err(NumberError::OutOfRange(shown(text)));
    }
    Ok(scan)
}

/// Checks that a text is a number DynamoDB accepts, without allocating.
pub(crate) fn check_number_text(text: &str) -> Result<(), NumberError> {
    scan(text).map(|_| ())
}

impl FromStr for Number {
    type Err = NumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let scan = scan(text)?;
        let Some((first, last)) = scan.span else {
            return Ok(Number::default());
        };
        let mut digits = String::with_capacity(last - first + 1);
        for at in first..=last {
            digits.push(char::from(scan.digit(at)));
        }
        Ok(Number {
            negative: scan.negative,
            digits,
            // In MIN_EXPONENT..=MAX_EXPONENT, checked by `scan`.
            exponent: scan.exponent as i16,
        })
    }
}

impl Number {
    /// Builds a number from the decimal digits of an integer (no sign, no leading zeros).
    fn from_integer_digits(negative: bool, text: &str) -> Result<Self, NumberError> {
        let trimmed = text.trim_end_matches('0');
        if trimmed.is_empty() {
            return Ok(Number::default());
        }
        if trimmed.len() > MAX_DIGITS {
            let sign = if negative { "-" } else { "" };
            return Err(NumberError::TooManyDigits {
                text: shown(&format!("{sign}{text}")),
                digits: trimmed.len(),
            });
        }
        Ok(Number {
            negative,
            digits: trimmed.to_owned(),
            // An integer of at most 39 digits.
            exponent: (text.len() - 1) as i16,
        })
    }

    /// Zero.
    pub fn zero() -> Self {
        Number::default()
    }

    /// Whether the number is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether the number is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Whether the number has no fractional part.
    pub fn is_integer(&self) -> bool {
        i64::from(self.exponent) + 1 >= self.digits.len() as i64
    }

    /// The nearest `f64` (numbers beyond `f64`'s precision are rounded).
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The value as an `i128`, if it is an integer in range.
    pub fn to_i128(&self) -> Option<i128> {
        if !self.is_integer() {
            return None;
        }
        let mut value: i128 = 0;
        for d in self.digits.bytes() {
            let d = i128::from(d - b'0');
            value = value.checked_mul(10)?;
            value = if self.negative {
                value.checked_sub(d)?
            } else {
                value.checked_add(d)?
            };
        }
        for _ in self.digits.len()..=self.exponent as usize {
            value = value.checked_mul(10)?;
        }
        Some(value)
    }

    /// The value as a `u128`, if it is a non-negative integer in range.
    pub fn to_u128(&self) -> Option<u128> {
        if self.negative || !self.is_integer() {
            return None;
        }
        let mut value: u128 = 0;
        for d in self.digits.bytes() {
            value = value.checked_mul(10)?.checked_add(u128::from(d - b'0'))?;
        }
        for _ in self.digits.len()..=self.exponent as usize {
            value = value.checked_mul(10)?;
        }
        Some(value)
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        self.to_i128().and_then(|v| v.try_into().ok())
    }

    /// The value as a `u64`, if it is a non-negative integer in range.
    pub fn to_u64(&self) -> Option<u64> {
        self.to_u128().and_then(|v| v.try_into().ok())
    }

    /// The integer part (its magnitude, if it fits a `u64`) and the first nine digits of the
    /// fractional part as nanoseconds; used for epoch seconds.
    pub(crate) fn seconds_and_nanos(&self) -> Option<(bool, u64, u32)> {
        let exponent = i64::from(self.exponent);
        let mut seconds: u64 = 0;
        if !self.is_zero() && exponent >= 0 {
            for power in (0..=exponent).rev() {
                seconds = seconds.checked_mul(10)?.checked_add(self.digit_at_power(power))?;
            }
        }
        let mut nanos: u32 = 0;
        for power in (-9..=-1).rev() {
            nanos = nanos * 10 + self.digit_at_power(power) as u32;
        }
        Some((self.negative, seconds, nanos))
    }

    /// The digit standing for `10^power`.
    fn digit_at_power(&self, power: i64) -> u64 {
        let index = i64::from(self.exponent) - power;
        if index < 0 {
            return 0;
        }
        self.digits
            .as_bytes()
            .get(index as usize)
            .map_or(0, |d| u64::from(d - b'0'))
    }
}

/// Shows the value, as `Number(19.99)`.
impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let digits = self.digits.as_str();
        let exponent = i64::from(self.exponent);
        if (0..=38).contains(&exponent) {
            let point = exponent as usize + 1;
            if digits.len() <= point {
                f.write_str(digits)?;
                for _ in digits.len()..point {
                    f.write_str("0")?;
                }
                Ok(())
            } else {
                let (int, frac) = digits.split_at(point);
                write!(f, "{int}.{frac}")
            }
        } else if (-7..0).contains(&exponent) {
            f.write_str("0.")?;
            for _ in 1..-exponent {
                f.write_str("0")?;
            }
            f.write_str(digits)
        } else {
            let (first, rest) = digits.split_at(1);
            f.write_str(first)?;
            if !rest.is_empty() {
                write!(f, ".{rest}")?;
            }
            write!(f, "E{}{}", if exponent > 0 { "+" } else { "-" }, exponent.abs())
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        fn sign(n: &Number) -> i8 {
            match (n.is_zero(), n.negative) {
                (true, _) => 0,
                (false, true) => -1,
                (false, false) => 1,
            }
        }
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if self.is_zero() => Ordering::Equal,
            Ordering::Equal => {
                let magnitude = self
                    .exponent
                    .cmp(&other.exponent)
                    .then_with(|| self.digits.cmp(&other.digits));
                if self.negative {
                    magnitude.reverse()
                } else {
                    magnitude
                }
            }
            unequal => unequal,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

macro_rules! number_from_small_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Self {
                let mut buffer = itoa::Buffer::new();
                let text = buffer.format(value);
                let (negative, digits) = match text.strip_prefix('-') {
                    Some(digits) => (true, digits),
                    None => (false, text),
                };
                // At most 20 digits: always within DynamoDB's limits.
                Number::from_integer_digits(negative, digits).unwrap_or_default()
            }
        }
    )*};
}
number_from_small_integer!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! number_try_from_wide_integer {
    ($($t:ty),*) => {$(
        /// Refused when the value has more than 38 significant digits.
        impl TryFrom<$t> for Number {
            type Error = NumberError;

            fn try_from(value: $t) -> Result<Self, Self::Error> {
                let mut buffer = itoa::Buffer::new();
                let text = buffer.format(value);
                let (negative, digits) = match text.strip_prefix('-') {
                    Some(digits) => (true, digits),
                    None => (false, text),
                };
                Number::from_integer_digits(negative, digits)
            }
        }
    )*};
}
number_try_from_wide_integer!(i128, u128);

/// The exact value of the float's shortest text; NaN, infinities and values outside DynamoDB's
/// range are refused.
impl TryFrom<f64> for Number {
    type Error = NumberError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        if !value.is_finite() {
            return Err(NumberError::NotFinite(value.to_string()));
        }
        ryu::Buffer::new().format_finite(value).parse()
    }
}

/// The exact value of the float's shortest text; NaN and infinities are refused.
impl TryFrom<f32> for Number {
    type Error = NumberError;

    fn try_from(value: f32) -> Result<Self, Self::Error> {
        if !value.is_finite() {
            return Err(NumberError::NotFinite(value.to_string()));
        }
        ryu::Buffer::new().format_finite(value).parse()
    }
}

macro_rules! integer_try_from_number {
    ($($t:ty => $via:ident, $target:literal),*) => {$(
        /// Succeeds when the number is an integer within the type's range.
        impl TryFrom<&Number> for $t {
            type Error = NumberError;

            fn try_from(number: &Number) -> Result<Self, Self::Error> {
                number
                    .$via()
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| NumberError::DoesNotFit { number: number.to_string(), target: $target })
            }
        }
    )*};
}
integer_try_from_number!(
    i8 => to_i128, "an i8", i16 => to_i128, "an i16", i32 => to_i128, "an i32",
    i64 => to_i128, "an i64", i128 => to_i128, "an i128", isize => to_i128, "an isize",
    u8 => to_u128, "a u8", u16 => to_u128, "a u16", u32 => to_u128, "a u32",
    u64 => to_u128, "a u64", u128 => to_u128, "a u128", usize => to_u128, "a usize"
);

impl From<&Number> for f64 {
    fn from(number: &Number) -> Self {
        number.to_f64()
    }
}

impl serde::Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads a string (the form [`Serialize`](serde::Serialize) writes) or a JSON number.
impl<'de> serde::Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number or its text")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Number, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(v.into())
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(v.into())
            }

            fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Number, E> {
                Number::try_from(v).map_err(E::custom)
            }

            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Number, E> {
                Number::try_from(v).map_err(E::custom)
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                Number::try_from(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Attribute for Number {
    const TYPE: AttributeType = AttributeType::Number;

    fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
        Ok(Some(AttributeValue::N(self.to_string())))
    }

    fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::N(text) => parse_number(&text),
            other => Err(DecodeError::wrong_type("N", &other)),
        }
    }
}
impl KeyAttribute for Number {}

fn parse_number(text: &str) -> Result<Number, DecodeError> {
    text.parse()
        .map_err(|e: NumberError| DecodeError::invalid(e.expected(), text))
}

impl SetElement for Number {
    const SET_TYPE: AttributeType = AttributeType::NumberSet;

    fn encode_set<'a>(items: impl Iterator<Item = &'a Self>) -> Result<AttributeValue, EncodeError> {
        Ok(AttributeValue::Ns(items.map(Number::to_string).collect()))
    }

    fn decode_set<C: FromIterator<Self>>(value: AttributeValue) -> Result<C, DecodeError> {
        match value {
            AttributeValue::Ns(items) => items.iter().map(|text| parse_number(text)).collect(),
            other => Err(DecodeError::wrong_type("NS", &other)),
        }
    }
}

/// Integer types: their text, and how to read them from any DynamoDB number text.
trait Integer: Copy + FromStr {
    /// What decoders expect, e.g. `an i32`.
    const EXPECTED: &'static str;
    /// Whether the type holds integers with more digits than DynamoDB keeps (`i128`, `u128`).
    const WIDE: bool;
    /// The stored text.
    fn text(self) -> Result<String, EncodeError>;
    /// The value of an integral number, if in range.
    fn from_number(number: &Number) -> Option<Self>;
}

/// Reads an integer: the plain form directly, any other DynamoDB number text (`1E+2`, `100.0`)
/// when it is integral and in range.
#[inline]
fn decode_integer<T: Integer>(text: &str) -> Result<T, DecodeError> {
    if T::WIDE && text.len() > MAX_DIGITS {
        // Never stored by DynamoDB: refused as encoding refuses it.
        check_number_text(text).map_err(|e| DecodeError::invalid(e.expected(), text))?;
    }
    if let Ok(value) = text.parse::<T>() {
        return Ok(value);
    }
    text.parse::<Number>()
        .ok()
        .and_then(|n| T::from_number(&n))
        .ok_or_else(|| DecodeError::invalid(T::EXPECTED, text))
}

macro_rules! integer_attribute {
    ($($t:ty => $expected:literal, $via:ident, $wide:literal;)*) => {$(
        impl Integer for $t {
            const EXPECTED: &'static str = $expected;
            const WIDE: bool = $wide;

            #[inline]
            fn text(self) -> Result<String, EncodeError> {
                let mut buffer = itoa::Buffer::new();
                let text = buffer.format(self);
                if $wide && text.len() > MAX_DIGITS {
                    let digits = text.trim_start_matches('-').trim_end_matches('0').len();
                    if digits > MAX_DIGITS {
                        return Err(EncodeError::new(format!(
                            "{text} has {digits} significant digits; DynamoDB keeps at most 38"
                        )));
                    }
                }
                Ok(text.to_owned())
            }

            fn from_number(number: &Number) -> Option<Self> {
                number.$via().and_then(|v| v.try_into().ok())
            }
        }

        impl Attribute for $t {
            const TYPE: AttributeType = AttributeType::Number;

            #[inline]
            fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
                Ok(Some(AttributeValue::N(Integer::text(*self)?)))
            }

            #[inline]
            fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
                match value {
                    AttributeValue::N(text) => decode_integer(&text),
                    other => Err(DecodeError::wrong_type("N", &other)),
                }
            }
        }

        impl KeyAttribute for $t {}

        impl SetElement for $t {
            const SET_TYPE: AttributeType = AttributeType::NumberSet;

            fn encode_set<'a>(
                items: impl Iterator<Item = &'a Self>,
            ) -> Result<AttributeValue, EncodeError> {
                items.map(|v| Integer::text(*v)).collect::<Result<_, _>>().map(AttributeValue::Ns)
            }

            fn decode_set<C: FromIterator<Self>>(value: AttributeValue) -> Result<C, DecodeError> {
                match value {
                    AttributeValue::Ns(items) => items.iter().map(|text| decode_integer(text)).collect(),
                    other => Err(DecodeError::wrong_type("NS", &other)),
                }
            }
        }
    )*};
}

integer_attribute! {
    i8 => "an i8", to_i128, false;
    i16 => "an i16", to_i128, false;
    i32 => "an i32", to_i128, false;
    i64 => "an i64", to_i128, false;
    i128 => "an i128", to_i128, true;
    isize => "an isize", to_i128, false;
    u8 => "a u8", to_u128, false;
    u16 => "a u16", to_u128, false;
    u32 => "a u32", to_u128, false;
    u64 => "a u64", to_u128, false;
    u128 => "a u128", to_u128, true;
    usize => "a usize", to_u128, false;
}

/// The stored text of an `f64`: the shortest text that reads back to the same value.
#[inline]
pub(crate) fn f64_text(value: f64) -> Result<String, EncodeError> {
    if !value.is_finite() {
        return Err(EncodeError::new(format!(
            "the f64 {value} is not a finite number; DynamoDB stores only finite numbers"
        )));
    }
    if value == 0.0 {
        return Ok("0".to_owned());
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value);
    check_f64_range(value, text)?;
    Ok(text.to_owned())
}

/// Refuses an `f64` outside DynamoDB's range; `text` is its shortest text.
#[inline]
fn check_f64_range(value: f64, text: &str) -> Result<(), EncodeError> {
    let magnitude = value.abs();
    // Clearly inside DynamoDB's range (or zero); otherwise check the exact text.
    if magnitude == 0.0 || (1e-129..=9e125).contains(&magnitude) {
        return Ok(());
    }
    check_number_text(text).map_err(|_| {
        EncodeError::new(format!(
            "the f64 {text} is outside DynamoDB's number range ({RANGE})"
        ))
    })
}

/// Refuses an `f64` DynamoDB cannot store (NaN, infinities, out of range), without allocating.
pub(crate) fn check_f64(value: f64) -> Result<(), EncodeError> {
    if !value.is_finite() {
        return Err(EncodeError::new(format!(
            "the f64 {value} is not a finite number; DynamoDB stores only finite numbers"
        )));
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (1e-129..=9e125).contains(&magnitude) {
        return Ok(());
    }
    check_f64_range(value, ryu::Buffer::new().format_finite(value))
}

/// Refuses an `f32` DynamoDB cannot store (NaN, infinities).
pub(crate) fn check_f32(value: f32) -> Result<(), EncodeError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(EncodeError::new(format!(
            "the f32 {value} is not a finite number; DynamoDB stores only finite numbers"
        )))
    }
}

/// The stored text of an `f32` (always within DynamoDB's range when finite).
#[inline]
fn f32_text(value: f32) -> Result<String, EncodeError> {
    check_f32(value)?;
    if value == 0.0 {
        return Ok("0".to_owned());
    }
    Ok(ryu::Buffer::new().format_finite(value).to_owned())
}

/// Whether a text can only be a plain number (no `inf`, `NaN`, which Rust's float parser takes).
fn numeric_chars(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
}

macro_rules! float_attribute {
    ($($t:ty => $text:ident, $expected:literal;)*) => {$(
        /// NaN and infinities are refused when encoding; decoding takes any number text within
        /// the float's range.
        impl Attribute for $t {
            const TYPE: AttributeType = AttributeType::Number;

            #[inline]
            fn encode(&self) -> Result<Option<AttributeValue>, EncodeError> {
                $text(*self).map(|t| Some(AttributeValue::N(t)))
            }

            #[inline]
            fn decode(value: AttributeValue) -> Result<Self, DecodeError> {
                match value {
                    AttributeValue::N(text) => match text.parse::<$t>() {
                        Ok(v) if v.is_finite() && numeric_chars(&text) => Ok(v),
                        _ => Err(DecodeError::invalid($expected, &text)),
                    },
                    other => Err(DecodeError::wrong_type("N", &other)),
                }
            }
        }

        impl KeyAttribute for $t {}
    )*};
}

float_attribute! {
    f64 => f64_text, "a finite f64";
    f32 => f32_text, "a finite f32";
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn n(text: &str) -> Number {
        text.parse().unwrap()
    }

    #[test]
    fn normalises_equal_values() {
        assert_eq!(n("1.50"), n("1.5"));
        assert_eq!(n("15e-1"), n("1.5"));
        assert_eq!(n("0015.0"), n("+15"));
        assert_eq!(n("-0.0"), Number::zero());
        assert_eq!(n("0e125"), Number::zero());
        assert_eq!(n("0.0e-129"), Number::zero());
        // As DynamoDB does, zero's written exponent is range-checked too.
        assert!(matches!(
            "0e126".parse::<Number>(),
            Err(NumberError::OutOfRange(_))
        ));
        assert!(matches!(
            "0.0e-130".parse::<Number>(),
            Err(NumberError::OutOfRange(_))
        ));
        assert!(!n("-0").is_negative());
    }

    #[test]
    fn displays_plain_or_scientific() {
        assert_eq!(n("100").to_string(), "100");
        assert_eq!(n("1E+2").to_string(), "100");
        assert_eq!(n("-0.00012").to_string(), "-0.00012");
        assert_eq!(n("1.5e100").to_string(), "1.5E+100");
        assert_eq!(n("1e-130").to_string(), "1E-130");
        assert_eq!(n("1e-8").to_string(), "1E-8");
        assert_eq!(n("1e-7").to_string(), "0.0000001");
        assert_eq!(n("123.456").to_string(), "123.456");
        assert_eq!(n("1e38").to_string(), "100000000000000000000000000000000000000");
        assert_eq!(n("1e39").to_string(), "1E+39");
        let max = "9.9999999999999999999999999999999999999E+125";
        assert_eq!(n(max).to_string(), max);
    }

    #[test]
    fn refuses_what_dynamodb_refuses() {
        for bad in [
            "",
            "-",
            ".",
            "NaN",
            "inf",
            "-infinity",
            "1e",
            "1e+",
            "1.2.3",
            " 1",
            "1 ",
            "0x10",
            "1_000",
        ] {
            assert!(
                matches!(bad.parse::<Number>(), Err(NumberError::Invalid(_))),
                "{bad:?}"
            );
        }
        let digits_39 = format!("1.{}1", "0".repeat(37));
        assert!(matches!(
            digits_39.parse::<Number>(),
            Err(NumberError::TooManyDigits { digits: 39, .. })
        ));
        let digits_38 = format!("-1.{}1000", "0".repeat(36));
        assert_eq!(
            digits_38.parse::<Number>().unwrap().to_string(),
            &digits_38[..digits_38.len() - 3]
        );
        assert!(matches!(
            "1e126".parse::<Number>(),
            Err(NumberError::OutOfRange(_))
        ));
        assert!(matches!(
            "9.9e-131".parse::<Number>(),
            Err(NumberError::OutOfRange(_))
        ));
        assert!(matches!(
            "-1e-99999999999999999999".parse::<Number>(),
            Err(NumberError::OutOfRange(_))
        ));
        // 38 digits is fine, trailing zeros do not count.
        assert!(format!("{digits_39}000").parse::<Number>().is_err());
        assert!(
            "1000000000000000000000000000000000000100000"
                .parse::<Number>()
                .is_ok()
        );
    }

    #[test]
    fn orders_by_value() {
        let sorted = [
            "-1e100", "-2", "-1.5", "-1", "0", "1e-130", "0.5", "1", "1.05", "1.5", "2", "10", "1e125",
        ];
        for pair in sorted.windows(2) {
            assert!(n(pair[0]) < n(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn converts_integers_and_floats() {
        assert_eq!(Number::from(i64::MIN).to_i64(), Some(i64::MIN));
        assert_eq!(Number::from(u64::MAX).to_u64(), Some(u64::MAX));
        assert_eq!(n("1e2").to_i64(), Some(100));
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("-1").to_u64(), None);
        assert_eq!(i32::try_from(&n("1e10")).ok(), None);
        assert_eq!(u8::try_from(&n("255")).unwrap(), 255);
        assert!(Number::try_from(u128::MAX).is_err());
        assert_eq!(
            Number::try_from(10_u128.pow(38)).unwrap().to_u128(),
            Some(10_u128.pow(38))
        );
        assert_eq!(Number::try_from(0.1_f64).unwrap().to_string(), "0.1");
        assert_eq!(
            Number::try_from(1e16_f64).unwrap().to_string(),
            "10000000000000000"
        );
        assert!(Number::try_from(f64::NAN).is_err());
        assert!(Number::try_from(1e300_f64).is_err());
        assert_eq!(n("2.5").to_f64(), 2.5);
        assert_eq!(n("-12.25").seconds_and_nanos(), Some((true, 12, 250_000_000)));
        assert_eq!(n("0.000000001").seconds_and_nanos(), Some((false, 0, 1)));
    }

    #[test]
    fn serde_as_a_string() {
        assert_eq!(serde_json::to_string(&n("1.5")).unwrap(), "\"1.5\"");
        assert_eq!(serde_json::from_str::<Number>("\"1.50\"").unwrap(), n("1.5"));
        assert_eq!(serde_json::from_str::<Number>("12").unwrap(), n("12"));
        assert!(serde_json::from_str::<Number>("\"abc\"").is_err());
    }

    #[test]
    fn integer_forms() {
        let av = |t: &str| AttributeValue::N(t.to_owned());
        assert_eq!(i32::decode(av("1E+2")).unwrap(), 100);
        assert_eq!(i32::decode(av("100.0")).unwrap(), 100);
        assert_eq!(u8::decode(av("-0")).unwrap(), 0);
        let e = i32::decode(av("1.5")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot decode a value: expected an i32, found `1.5`"
        );
        assert!(i8::decode(av("128")).is_err());
        assert!(u64::decode(av("-1")).is_err());
        assert_eq!(
            i32::decode(AttributeValue::S("1".into()))
                .unwrap_err()
                .to_string(),
            "cannot decode a value: expected N, found S"
        );
        let e = i128::decode(av("108089693021945158982483698831267549521")).unwrap_err();
        assert!(e.to_string().contains("at most 38 significant digits"), "{e}");
        assert_eq!(
            i128::decode(av("100000000000000000000000000000000000000")).unwrap(),
            10_i128.pow(38)
        );
        assert_eq!(
            i128::MIN.encode().unwrap_err().reason,
            "-170141183460469231731687303715884105728 has 39 significant digits; DynamoDB keeps at most 38"
        );
        assert_eq!(
            (10_i128.pow(38)).encode().unwrap(),
            Some(av("100000000000000000000000000000000000000"))
        );
    }

    #[test]
    fn float_forms() {
        let av = |t: &str| AttributeValue::N(t.to_owned());
        assert_eq!(1.5_f64.encode().unwrap(), Some(av("1.5")));
        assert_eq!(1e16_f64.encode().unwrap(), Some(av("1e16")));
        assert_eq!((-0.0_f64).encode().unwrap(), Some(av("0")));
        assert_eq!(0.1_f32.encode().unwrap(), Some(av("0.1")));
        assert!(f64::NAN.encode().unwrap_err().reason.contains("NaN"));
        assert!(f64::INFINITY.encode().unwrap_err().reason.contains("inf"));
        assert!(1e126_f64.encode().unwrap_err().reason.contains("1e126"));
        assert!(1e-131_f64.encode().is_err());
        assert_eq!(1e-130_f64.encode().unwrap(), Some(av("1e-130")));
        assert_eq!(f64::decode(av("1E+2")).unwrap(), 100.0);
        for bad in ["NaN", "inf", "infinity", "1e400", "abc"] {
            assert!(f64::decode(av(bad)).is_err(), "{bad}");
        }
        assert!(f32::decode(av("1e39")).is_err());
    }
}

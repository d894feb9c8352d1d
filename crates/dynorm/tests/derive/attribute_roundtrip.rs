//! Property tests: every attribute type and codec module round-trips its values, refuses what
//! DynamoDB would refuse, and decodes arbitrary stored values without panicking.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;

use aws_smithy_types::Blob;
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use dynorm::attribute::composite::{join, part_text, part_value, split};
use dynorm::codec;
use dynorm::{Attribute, AttributeType, AttributeValue, Bytes, EpochSeconds, Json, JsonString, Number};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Encodes then decodes through the type's own `Attribute` impl.
fn roundtrip<T: Attribute + PartialEq + Debug>(value: &T) -> Result<(), TestCaseError> {
    let stored = value
        .encode()
        .map_err(|e| TestCaseError::fail(format!("encode {value:?}: {e}")))?;
    let stored = stored.ok_or_else(|| TestCaseError::fail(format!("{value:?} was left out")))?;
    let read =
        T::decode(stored.clone()).map_err(|e| TestCaseError::fail(format!("decode {stored:?}: {e}")))?;
    prop_assert_eq!(&read, value, "stored as {:?}", stored);
    Ok(())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.to_owned())
}

fn significant_digits(v: i128) -> usize {
    v.unsigned_abs().to_string().trim_end_matches('0').len()
}

// ---------------------------------------------------------------------------------------------
// Numbers

macro_rules! integer_roundtrips {
    ($($name:ident: $t:ty),*) => {$(
        proptest! {
            #[test]
            fn $name(v in any::<$t>()) {
                roundtrip(&v)?;
                roundtrip(&Some(v))?;
                // Any other DynamoDB form of the same integer reads too.
                prop_assert_eq!(<$t>::decode(n(&format!("{v}.0"))).unwrap(), v);
                prop_assert_eq!(<$t>::decode(n(&format!("{v}E+0"))).unwrap(), v);
                prop_assert_eq!(<$t>::decode(n(&format!("{v}000E-3"))).unwrap(), v);
                // A fractional part is refused, naming the type.
                let e = <$t>::decode(n(&format!("{v}.5"))).unwrap_err().to_string();
                prop_assert!(e.contains(stringify!($t)), "{}", e);
            }
        }
    )*};
}

integer_roundtrips!(
    roundtrip_i8: i8, roundtrip_i16: i16, roundtrip_i32: i32, roundtrip_i64: i64, roundtrip_isize: isize,
    roundtrip_u8: u8, roundtrip_u16: u16, roundtrip_u32: u32, roundtrip_u64: u64, roundtrip_usize: usize
);

#[test]
fn integer_limits() {
    for v in [i64::MIN, i64::MAX, 0, -1] {
        roundtrip(&v).unwrap();
    }
    roundtrip(&u64::MAX).unwrap();
    assert_eq!(u64::MAX.encode().unwrap(), Some(n("18446744073709551615")));
    let max_38 = 10_i128.pow(38) - 1;
    roundtrip(&max_38).unwrap();
    roundtrip(&-max_38).unwrap();
    roundtrip(&10_u128.pow(38)).unwrap();
    roundtrip(&(17 * 10_i128.pow(37))).unwrap();
    assert!((max_38 + 2).encode().is_err());
    assert!(i128::MAX.encode().is_err());
    assert!(u128::MAX.encode().is_err());
    // Out of the type's range.
    assert!(i8::decode(n("128")).is_err());
    assert!(i8::decode(n("1.28E+2")).is_err());
    assert!(u64::decode(n("18446744073709551616")).is_err());
    assert!(i64::decode(n("-9223372036854775809")).is_err());
    assert_eq!(i64::decode(n("-9.223372036854775808E+18")).unwrap(), i64::MIN);
    assert!(u32::decode(n("-1")).is_err());
    assert!(i32::decode(n("1e100")).is_err());
}

proptest! {
    #[test]
    fn roundtrip_wide_integers(v in any::<i128>(), u in any::<u128>()) {
        match v.encode() {
            Ok(_) => { prop_assert!(significant_digits(v) <= 38); roundtrip(&v)?; }
            Err(e) => { prop_assert!(significant_digits(v) > 38); prop_assert!(e.reason.contains("significant digits")); }
        }
        let u_digits = u.to_string().trim_end_matches('0').len();
        prop_assert_eq!(u.encode().is_ok(), u_digits <= 38);
    }

    #[test]
    fn roundtrip_i128_near_the_limit(v in -(10_i128.pow(38) - 1)..=(10_i128.pow(38) - 1)) {
        roundtrip(&v)?;
        prop_assert_eq!(Number::try_from(v).unwrap().to_i128(), Some(v));
    }

    #[test]
    fn roundtrip_f64(v in any::<f64>()) {
        let magnitude = v.abs();
        match v.encode() {
            Ok(Some(stored)) => {
                prop_assert!(v.is_finite());
                prop_assert!(magnitude == 0.0 || (1e-131..1e126).contains(&magnitude), "{} accepted", v);
                let read = f64::decode(stored).unwrap();
                prop_assert!(read == v, "{} read back as {}", v, read);
                prop_assert!(read.to_bits() == v.to_bits() || v == 0.0);
            }
            Ok(None) => prop_assert!(false, "left out"),
            Err(e) => {
                prop_assert!(!v.is_finite() || !(1e-129..9e125).contains(&magnitude), "{} refused: {}", v, e);
            }
        }
    }

    #[test]
    fn roundtrip_finite_f64_in_range(mantissa in -10.0..10.0_f64, exponent in -129..125_i32) {
        let v = mantissa * 10_f64.powi(exponent);
        prop_assume!(v == 0.0 || (1e-129..9e125).contains(&v.abs()));
        roundtrip(&v)?;
        roundtrip(&Number::try_from(v).unwrap())?;
        prop_assert_eq!(Number::try_from(v).unwrap().to_f64(), v);
    }

    #[test]
    fn roundtrip_f32(v in any::<f32>()) {
        if v.is_finite() {
            let read = f32::decode(v.encode().unwrap().unwrap()).unwrap();
            prop_assert!(read == v);
        } else {
            prop_assert!(v.encode().is_err());
        }
    }
}

#[test]
fn floats_refused_with_their_value() {
    assert!(f64::NAN.encode().unwrap_err().to_string().contains("NaN"));
    assert!(
        f64::NEG_INFINITY
            .encode()
            .unwrap_err()
            .to_string()
            .contains("-inf")
    );
    assert!(f32::INFINITY.encode().unwrap_err().to_string().contains("inf"));
    assert!(1e200.encode().unwrap_err().to_string().contains("1e200"));
    assert!(5e-324.encode().unwrap_err().to_string().contains("5e-324"));
    assert!(Some(f64::NAN).encode().is_err());
    assert!(
        vec![1.0, f64::NAN]
            .encode()
            .unwrap_err()
            .to_string()
            .contains("[1]")
    );
}

/// A DynamoDB number as (negative, significant digits, exponent of the first digit).
fn number_parts() -> impl Strategy<Value = (bool, String, i32)> {
    (any::<bool>(), "[1-9][0-9]{0,36}[1-9]|[1-9]", -130..=125_i32)
}

/// Writes the number `0.d1d2… × 10^(exponent+1)` in several textual forms.
fn number_texts(negative: bool, digits: &str, exponent: i32) -> Vec<String> {
    let sign = if negative { "-" } else { "" };
    let shift = exponent - (digits.len() as i32 - 1);
    let mut texts = vec![
        format!("{sign}{digits}e{shift}"),
        format!("{sign}{digits}E{shift:+}"),
        format!("{sign}{digits}000e{}", shift - 3),
        format!("{sign}0.{digits}e{}", exponent + 1),
        format!("{sign}00{}.{}E{exponent}", &digits[..1], &digits[1..]),
    ];
    if (0..40).contains(&shift) {
        texts.push(format!("{sign}{digits}{}", "0".repeat(shift as usize)));
        texts.push(format!("{sign}{digits}{}.000", "0".repeat(shift as usize)));
    }
    if (-45..0).contains(&exponent) {
        texts.push(format!(
            "{sign}0.{}{digits}",
            "0".repeat((-exponent - 1) as usize)
        ));
    }
    texts
}

proptest! {
    #[test]
    fn numbers_normalise_and_roundtrip((negative, digits, exponent) in number_parts()) {
        let texts = number_texts(negative, &digits, exponent);
        let first: Number = texts[0].parse().unwrap();
        let mut set = HashSet::new();
        for text in &texts {
            let number: Number = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(&number, &first, "{}", text);
            set.insert(number);
            // Any DynamoDB text reads as the same Number.
            prop_assert_eq!(Number::decode(n(text)).unwrap(), first.clone());
        }
        prop_assert_eq!(set.len(), 1);
        let shown = first.to_string();
        prop_assert_eq!(shown.parse::<Number>().unwrap(), first.clone());
        prop_assert!(shown.len() <= 46, "{}", shown);
        roundtrip(&first)?;
        prop_assert_eq!(first.is_negative(), negative);
        let f = first.to_f64();
        let expected: f64 = texts[0].parse().unwrap();
        prop_assert_eq!(f, expected);
        prop_assert_eq!(serde_json::from_str::<Number>(&serde_json::to_string(&first).unwrap()).unwrap(), first);
    }

    #[test]
    fn numbers_out_of_range_are_refused(digits in "[1-9][0-9]{0,10}", exponent in prop_oneof![126..400_i32, -400..-130_i32]) {
        let text = format!("{}E{}", &digits, exponent - (digits.len() as i32 - 1));
        prop_assert!(text.parse::<Number>().is_err(), "{}", text);
        prop_assert!(Number::decode(n(&text)).is_err());
        prop_assert!(i64::decode(n(&text)).is_err());
    }

    #[test]
    fn numbers_with_too_many_digits_are_refused(digits in "[1-9][0-9]{37,45}[1-9]") {
        let e = digits.parse::<Number>().unwrap_err();
        prop_assert!(e.to_string().contains("significant digits"), "{}", e);
        let e = Number::decode(n(&digits)).unwrap_err().to_string();
        prop_assert!(e.contains("38 significant digits"), "{}", e);
    }

    #[test]
    fn numbers_order_like_their_values(a in number_parts(), b in number_parts()) {
        let a: Number = number_texts(a.0, &a.1, a.2)[0].parse().unwrap();
        let b: Number = number_texts(b.0, &b.1, b.2)[0].parse().unwrap();
        let (fa, fb) = (a.to_f64(), b.to_f64());
        if fa < fb {
            prop_assert!(a < b, "{} < {}", a, b);
        }
        prop_assert_eq!(a.cmp(&b).reverse(), b.cmp(&a));
        prop_assert_eq!(a == b, a.cmp(&b).is_eq());
    }

    #[test]
    fn any_text_parses_without_panic(text in "[-+0-9.eE]{0,30}|\\PC{0,20}") {
        if let Ok(number) = text.parse::<Number>() {
            prop_assert_eq!(number.to_string().parse::<Number>().unwrap(), number.clone());
            let _ = (number.to_i64(), number.to_u128(), number.to_f64());
        }
        let _ = i64::decode(n(&text));
        let _ = u8::decode(n(&text));
        let _ = f64::decode(n(&text));
        let _ = EpochSeconds::decode(n(&text));
    }
}

#[test]
fn number_limits() {
    let max = "9.9999999999999999999999999999999999999E+125";
    let min = "1E-130";
    for text in [
        max,
        min,
        "-9.9999999999999999999999999999999999999E+125",
        "-1E-130",
        "0",
    ] {
        let number: Number = text.parse().unwrap();
        assert_eq!(number.to_string(), text);
        roundtrip(&number).unwrap();
    }
    for text in [
        "1E+126",
        "1E-131",
        "0.99E-130",
        "10E+125",
        "NaN",
        "Infinity",
        "-inf",
        "",
        "1,5",
    ] {
        assert!(text.parse::<Number>().is_err(), "{text}");
    }
    let decimal_38 = "1234567890.1234567890123456789012345678";
    let number: Number = decimal_38.parse().unwrap();
    assert_eq!(number.to_string(), decimal_38);
    roundtrip(&number).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Strings, bytes, collections

proptest! {
    #[test]
    fn roundtrip_strings(s in any::<String>(), t in "\\PC*") {
        roundtrip(&s)?;
        roundtrip(&t)?;
        roundtrip(&Some(s.clone()))?;
        roundtrip(&Box::new(t))?;
    }

    #[test]
    fn roundtrip_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        roundtrip(&Bytes(bytes.clone()))?;
        roundtrip(&Blob::new(bytes.clone()))?;
        let stored = codec::binary::encode(&bytes).unwrap().unwrap();
        prop_assert_eq!(codec::binary::decode::<Vec<u8>>(stored).unwrap(), bytes);
    }

    #[test]
    fn roundtrip_lists_and_maps(
        list in proptest::collection::vec(proptest::option::of(any::<i32>()), 0..8),
        strings in proptest::collection::vec("\\PC{0,8}", 0..8),
        map in proptest::collection::btree_map("\\PC{0,8}", proptest::option::of("\\PC{0,8}"), 0..8),
        nested in proptest::collection::hash_map("[a-z]{1,4}", proptest::collection::vec(any::<u64>(), 0..4), 0..4),
    ) {
        roundtrip(&list)?;
        roundtrip(&strings)?;
        roundtrip(&nested)?;
        roundtrip(&vec![list.clone(), list.clone()])?;
        // A `None` map entry is left out, so it reads back absent.
        let read = BTreeMap::<String, Option<String>>::decode(map.encode().unwrap().unwrap()).unwrap();
        let present: BTreeMap<_, _> = map.into_iter().filter(|(_, v)| v.is_some()).collect();
        prop_assert_eq!(read, present);
    }

    #[test]
    fn roundtrip_sets(
        strings in proptest::collection::btree_set("\\PC{0,8}", 0..8),
        ints in proptest::collection::btree_set(any::<i64>(), 0..8),
        bytes in proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..8), 0..8),
        small in proptest::collection::hash_set(any::<u8>(), 0..8),
        numbers in proptest::collection::btree_set(number_parts(), 0..8),
    ) {
        let numbers: BTreeSet<Number> =
            numbers.iter().map(|(neg, d, e)| number_texts(*neg, d, *e)[0].parse().unwrap()).collect();
        let bytes: BTreeSet<Bytes> = bytes.into_iter().map(Bytes).collect();
        if strings.is_empty() { prop_assert_eq!(strings.encode().unwrap(), None) } else { roundtrip(&strings)? }
        if ints.is_empty() { prop_assert_eq!(ints.encode().unwrap(), None) } else { roundtrip(&ints)? }
        if bytes.is_empty() { prop_assert_eq!(bytes.encode().unwrap(), None) } else { roundtrip(&bytes)? }
        if small.is_empty() { prop_assert_eq!(small.encode().unwrap(), None) } else { roundtrip(&small)? }
        if numbers.is_empty() { prop_assert_eq!(numbers.encode().unwrap(), None) } else { roundtrip(&numbers)? }
        // An absent set reads as empty.
        prop_assert_eq!(BTreeSet::<String>::decode_missing().unwrap(), BTreeSet::new());

        // The set codecs, on `Vec`s.
        let list: Vec<String> = strings.iter().cloned().collect();
        match codec::string_set::encode(&list).unwrap() {
            None => prop_assert!(list.is_empty()),
            Some(stored) => {
                let mut read = codec::string_set::decode(stored).unwrap();
                read.sort();
                prop_assert_eq!(read, list.clone());
            }
        }
        let list: Vec<i64> = ints.iter().copied().collect();
        for encode in [codec::number_set::encode::<i64>, codec::da_vinci::number_set::encode::<i64>] {
            match encode(&list).unwrap() {
                None => prop_assert!(list.is_empty()),
                Some(stored) => prop_assert_eq!(codec::number_set::decode::<i64>(stored).unwrap(), list.clone()),
            }
        }
        if let Some(first) = list.first() {
            let mut twice = list.clone();
            twice.push(*first);
            prop_assert!(codec::number_set::encode(&twice).unwrap_err().reason.contains("twice"));
        }
    }

    #[test]
    fn roundtrip_float_number_sets(values in proptest::collection::btree_set(-1_000_000_i64..1_000_000, 1..8)) {
        let floats: Vec<f64> = values.iter().map(|v| *v as f64 / 8.0).collect();
        let stored = codec::number_set::encode(&floats).unwrap().unwrap();
        prop_assert_eq!(codec::number_set::decode::<f64>(stored).unwrap(), floats);
    }
}

#[test]
fn sets_refuse_what_dynamodb_refuses() {
    assert_eq!(codec::string_set::encode(&[]).unwrap(), None);
    assert!(codec::string_set::encode(&["a".to_owned(), "a".to_owned()]).is_err());
    assert_eq!(codec::number_set::encode::<i32>(&[]).unwrap(), None);
    let e = codec::number_set::encode(&[1.0, f64::NAN]).unwrap_err();
    assert!(e.reason.contains("[1]") && e.reason.contains("NaN"), "{e}");
    let e = codec::number_set::encode(&[Number::from(1), "1.0".parse().unwrap()]).unwrap_err();
    assert!(e.reason.contains("twice"), "{e}");
    let e = codec::number_set::decode::<u8>(AttributeValue::Ns(vec!["1".into(), "300".into()])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot decode attribute `[1]`: expected a u8, found `300`"
    );
    assert!(BTreeSet::<i32>::decode(AttributeValue::Ss(vec!["1".into()])).is_err());
}

// ---------------------------------------------------------------------------------------------
// Date-times

fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    // Years 0000 to 9999 and a little beyond, any nanosecond.
    (
        -62_200_000_000_i64..253_500_000_000,
        0..1_000_000_000_u32,
        0..4_u8,
    )
        .prop_map(|(s, nanos, shape)| {
            let nanos = match shape {
                0 => 0,
                1 => nanos / 1_000_000 * 1_000_000,
                2 => nanos / 1_000 * 1_000,
                _ => nanos,
            };
            Utc.timestamp_opt(s, nanos).unwrap()
        })
}

proptest! {
    #[test]
    fn roundtrip_datetimes(at in instants(), offset_minutes in -1439..1440_i32) {
        roundtrip(&at)?;
        roundtrip(&EpochSeconds(at))?;
        let stored = codec::epoch_seconds::encode(&at).unwrap().unwrap();
        prop_assert_eq!(codec::epoch_seconds::decode(stored.clone()).unwrap(), at);
        // Each form reads the other.
        prop_assert_eq!(DateTime::<Utc>::decode(stored).unwrap(), at);
        prop_assert_eq!(EpochSeconds::decode(at.encode().unwrap().unwrap()).unwrap(), EpochSeconds(at));
        // The stored text is chrono's RFC 3339 text, with a fraction only when there is one.
        let text = at.encode().unwrap().unwrap().as_s().unwrap().clone();
        prop_assert_eq!(&text, &at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        prop_assert_eq!(text.contains('.'), at.timestamp_subsec_nanos() != 0);
        // Any offset, converted to UTC.
        let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap();
        let shifted = at.with_timezone(&offset).to_rfc3339();
        prop_assert_eq!(DateTime::<Utc>::decode(AttributeValue::S(shifted)).unwrap(), at);
        // Naive text, read as UTC.
        let naive = at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string();
        prop_assert_eq!(DateTime::<Utc>::decode(AttributeValue::S(naive)).unwrap(), at);
    }

    #[test]
    fn roundtrip_da_vinci_datetimes(micros in -8_000_000_000_000_000_i64..8_000_000_000_000_000) {
        let at = Utc.timestamp_micros(micros).unwrap();
        let stored = codec::da_vinci::datetime::encode(&at).unwrap().unwrap();
        let text = stored.as_n().unwrap();
        // Python's `str(float)`: always a decimal point (or an exponent).
        prop_assert!(text.contains('.') || text.contains('e'), "{}", text);
        prop_assert_eq!(codec::da_vinci::datetime::decode(stored.clone()).unwrap(), at);
        prop_assert_eq!(codec::da_vinci::optional_datetime::decode(stored).unwrap(), (micros != 0).then_some(at));
    }
}

#[test]
fn datetime_stored_forms() {
    let noon = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    assert_eq!(
        noon.encode().unwrap(),
        Some(AttributeValue::S("2024-05-01T12:00:00Z".into()))
    );
    assert_eq!(EpochSeconds(noon).encode().unwrap(), Some(n("1714564800")));
    let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    assert_eq!(
        codec::da_vinci::datetime::encode(&at).unwrap(),
        Some(n("1700000000.0"))
    );
    let at = Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
    assert_eq!(
        codec::da_vinci::datetime::encode(&at).unwrap(),
        Some(n("1700000000.123456"))
    );
    assert_eq!(
        codec::epoch_seconds::encode(&at).unwrap(),
        Some(n("1700000000.123456"))
    );
    assert!(DateTime::<Utc>::decode(n("1e20")).is_err());
    assert!(DateTime::<Utc>::decode(AttributeValue::Bool(false)).is_err());
}

// ---------------------------------------------------------------------------------------------
// JSON

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Doc {
    name: String,
    count: i64,
    ratio: f64,
    tags: Vec<String>,
    maybe: Vec<Option<u32>>,
    nested: BTreeMap<String, Vec<i32>>,
    empty: BTreeMap<String, String>,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Plain,
    Tagged(String),
    Pair { a: u8, b: Option<bool> },
}

fn docs() -> impl Strategy<Value = Doc> {
    (
        "\\PC{0,12}",
        any::<i64>(),
        prop_oneof![Just(0.0), -1e20..1e20_f64, Just(1.5e-100)],
        proptest::collection::vec("\\PC{0,6}", 0..4),
        proptest::collection::vec(proptest::option::of(any::<u32>()), 0..4),
        proptest::collection::btree_map("\\PC{0,6}", proptest::collection::vec(any::<i32>(), 0..3), 0..3),
        prop_oneof![
            Just(Kind::Plain),
            "\\PC{0,6}".prop_map(Kind::Tagged),
            (any::<u8>(), proptest::option::of(any::<bool>())).prop_map(|(a, b)| Kind::Pair { a, b }),
        ],
    )
        .prop_map(|(name, count, ratio, tags, maybe, nested, kind)| Doc {
            name,
            count,
            ratio,
            tags,
            maybe,
            nested,
            empty: BTreeMap::new(),
            kind,
        })
}

/// JSON values without floats (which serde_dynamo cannot tell from integers once stored).
fn json_values() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|v| serde_json::json!(v)),
        any::<u64>().prop_map(|v| serde_json::json!(v)),
        "\\PC{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("\\PC{0,6}", inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSON values with finite floats, for the text forms.
fn json_values_with_floats() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        json_values(),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|v| serde_json::json!(v)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn roundtrip_json(doc in docs(), value in json_values()) {
        roundtrip(&Json(doc.clone()))?;
        roundtrip(&JsonString(doc.clone()))?;
        roundtrip(&Json(value.clone()))?;
        roundtrip(&Json(vec![Some(doc.clone()), None]))?;
        let stored = codec::json::encode(&doc).unwrap().unwrap();
        prop_assert_eq!(codec::json::decode::<Doc>(stored).unwrap(), doc.clone());
        let stored = codec::json_string::encode(&doc).unwrap().unwrap();
        prop_assert_eq!(codec::json_string::decode::<Doc>(stored).unwrap(), doc.clone());
        match codec::da_vinci::json::encode(&value).unwrap() {
            Some(stored) => prop_assert_eq!(codec::da_vinci::json::decode::<serde_json::Value>(stored).unwrap(), value.clone()),
            None => prop_assert!(value.is_null() || value.as_object().is_some_and(|m| m.is_empty())),
        }
        // Invalid numbers anywhere are refused.
        let mut bad = doc;
        bad.ratio = f64::NAN;
        prop_assert!(Json(bad.clone()).encode().is_err());
        prop_assert!(codec::json::encode(&bad).is_err());
    }

    #[test]
    fn roundtrip_json_text(value in json_values_with_floats()) {
        roundtrip(&JsonString(value.clone()))?;
        let stored = codec::da_vinci::json_string::encode(&value).unwrap().unwrap();
        let text = stored.as_s().unwrap().clone();
        prop_assert!(text.is_ascii(), "{}", text);
        prop_assert_eq!(codec::da_vinci::json_string::decode::<serde_json::Value>(stored).unwrap(), value.clone());
        // The same value in compact text reads too.
        let compact = AttributeValue::S(serde_json::to_string(&value).unwrap());
        prop_assert_eq!(codec::da_vinci::json_string::decode::<serde_json::Value>(compact).unwrap(), value);
    }
}

#[test]
fn json_keeps_empty_values() {
    let empty: BTreeMap<String, Vec<i32>> = BTreeMap::from([("a".to_owned(), vec![])]);
    let stored = Json(empty.clone()).encode().unwrap().unwrap();
    assert_eq!(stored.as_m().unwrap()["a"], AttributeValue::L(vec![]));
    roundtrip(&Json(empty)).unwrap();
    roundtrip(&Json(BTreeMap::<String, u8>::new())).unwrap();
    assert_eq!(
        codec::da_vinci::json_string::encode(&serde_json::json!({"a": 1, "b": [1, 2]})).unwrap(),
        Some(AttributeValue::S(r#"{"a": 1, "b": [1, 2]}"#.into()))
    );
}

// ---------------------------------------------------------------------------------------------
// Composite strings

fn separators() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("#".to_owned()),
        Just("-".to_owned()),
        Just("::".to_owned()),
        Just("|x|".to_owned()),
        Just("é".to_owned()),
        Just("aa".to_owned()),
        "[^\\\\]\\PC{0,3}",
    ]
}

fn composite_parts() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(prop_oneof!["[-#:|xaé\\\\]{0,8}", "\\PC{0,8}"], 1..5)
}

proptest! {
    #[test]
    fn composite_roundtrips_any_values(parts in composite_parts(), separator in separators()) {
        let joined = join(&parts, &separator, true);
        let read = split(&joined, &separator, parts.len(), true)
            .map_err(|e| TestCaseError::fail(format!("{joined:?} with {separator:?}: {e}")))?;
        prop_assert_eq!(read, parts.clone());
        // Any other count is refused.
        prop_assert!(split(&joined, &separator, parts.len() + 1, true).is_err());
    }

    #[test]
    fn composite_da_vinci_form(parts in proptest::collection::vec("[a-z0-9_ -]{0,6}", 1..5)) {
        let joined = join(&parts, "-", false);
        prop_assert_eq!(&joined, &parts.join("-"));
        let clean = parts.iter().all(|p| !p.contains('-'));
        match split(&joined, "-", parts.len(), false) {
            Ok(read) => { prop_assert!(clean); prop_assert_eq!(read, parts); }
            Err(e) => { prop_assert!(!clean); prop_assert!(e.to_string().contains("cannot be read back")); }
        }
    }

    #[test]
    fn composite_split_never_panics(text in "\\PC{0,16}|[-#:\\\\]{0,16}", separator in separators(), count in 0..5_usize, escaped in any::<bool>()) {
        let _ = split(&text, &separator, count, escaped);
    }

    #[test]
    fn composite_parts_decode_through_their_type(id in any::<u64>(), name in "\\PC{0,8}", at in instants()) {
        let texts = vec![
            part_text(id.encode().unwrap().unwrap()).unwrap(),
            part_text(name.encode().unwrap().unwrap()).unwrap(),
            part_text(EpochSeconds(at).encode().unwrap().unwrap()).unwrap(),
            part_text(at.encode().unwrap().unwrap()).unwrap(),
        ];
        let joined = join(&texts, "#", true);
        let mut parts = split(&joined, "#", 4, true).unwrap().into_iter();
        let mut next = |ty| part_value(parts.next().unwrap(), ty);
        prop_assert_eq!(u64::decode(next(AttributeType::Number)).unwrap(), id);
        prop_assert_eq!(String::decode(next(AttributeType::String)).unwrap(), name);
        prop_assert_eq!(EpochSeconds::decode(next(AttributeType::DatetimeEpoch)).unwrap(), EpochSeconds(at));
        prop_assert_eq!(DateTime::<Utc>::decode(next(AttributeType::Datetime)).unwrap(), at);
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding arbitrary stored values never panics

/// Number texts, valid and not.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        "[-+0-9.eE]{0,12}",
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("1e999999999999999999999".to_owned()),
        Just("1e-999999999999999999".to_owned()),
        Just("99999999999999999999999999999999999999999".to_owned()),
        "\\PC{0,6}",
    ]
}

fn attribute_values() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        prop_oneof![
            "\\PC{0,12}",
            number_text(),
            Just("None".to_owned()),
            Just("2024-05-01T12:00:00Z".to_owned())
        ]
        .prop_map(AttributeValue::S),
        number_text().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| AttributeValue::B(Blob::new(b))),
        any::<bool>().prop_map(AttributeValue::Bool),
        any::<bool>().prop_map(AttributeValue::Null),
        proptest::collection::vec("\\PC{0,6}", 0..4).prop_map(AttributeValue::Ss),
        proptest::collection::vec(number_text(), 0..4).prop_map(AttributeValue::Ns),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..4), 0..4)
            .prop_map(|v| AttributeValue::Bs(v.into_iter().map(Blob::new).collect())),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            proptest::collection::hash_map(prop_oneof!["[a-z]{1,6}", "\\PC{0,6}"], inner, 0..6)
                .prop_map(AttributeValue::M),
        ]
    })
}

fn decode_all(value: &AttributeValue) {
    macro_rules! try_decode {
        ($($t:ty),* $(,)?) => {$(
            let _ = <$t as Attribute>::decode(value.clone());
        )*};
    }
    try_decode!(
        i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, Number, String, bool,
        DateTime<Utc>, EpochSeconds, Bytes, Blob, Option<i64>, Box<String>,
        Json<serde_json::Value>, Json<Doc>, Json<Vec<Option<String>>>, Json<BTreeMap<String, f64>>,
        Json<HashMap<u32, bool>>, Json<Kind>, Json<(u8, String)>, Json<Vec<u8>>,
        JsonString<serde_json::Value>, JsonString<Doc>,
        Vec<Option<i64>>, Vec<String>, Vec<Vec<Number>>, BTreeMap<String, Number>, HashMap<String, Vec<Bytes>>,
        BTreeSet<String>, BTreeSet<i32>, BTreeSet<Number>, BTreeSet<Bytes>, HashSet<u64>,
    );
    let _ = codec::epoch_seconds::decode(value.clone());
    let _ = codec::json::decode::<serde_json::Value>(value.clone());
    let _ = codec::json::decode::<Doc>(value.clone());
    let _ = codec::json_string::decode::<serde_json::Value>(value.clone());
    let _ = codec::binary::decode::<Vec<u8>>(value.clone());
    let _ = codec::string_set::decode(value.clone());
    let _ = codec::number_set::decode::<i64>(value.clone());
    let _ = codec::number_set::decode::<f64>(value.clone());
    let _ = codec::number_set::decode::<Number>(value.clone());
    let _ = codec::da_vinci::datetime::decode(value.clone());
    let _ = codec::da_vinci::optional_datetime::decode(value.clone());
    let _ = codec::da_vinci::optional_string::decode(value.clone());
    let _ = codec::da_vinci::json::decode::<serde_json::Value>(value.clone());
    let _ = codec::da_vinci::json_string::decode::<serde_json::Value>(value.clone());
    if let AttributeValue::S(text) | AttributeValue::N(text) = value {
        for separator in ["#", "::", "-"] {
            let _ = split(text, separator, 2, true);
            let _ = split(text, separator, 2, false);
        }
    }
}

proptest! {
    #[test]
    fn decoding_arbitrary_values_never_panics(value in attribute_values()) {
        decode_all(&value);
    }

    #[test]
    fn decoded_values_reencode(value in attribute_values()) {
        // Whatever decodes must encode again (for types whose decoding checks everything).
        if let Ok(v) = Number::decode(value.clone()) { roundtrip(&v)?; }
        if let Ok(v) = i64::decode(value.clone()) { roundtrip(&v)?; }
        if let Ok(v) = DateTime::<Utc>::decode(value.clone()) { roundtrip(&v)?; }
        // Encoding what was read never panics (it may refuse numbers DynamoDB would refuse).
        if let Ok(v) = Json::<serde_json::Value>::decode(value.clone()) { let _ = v.encode(); }
        if let Ok(v) = BTreeSet::<Number>::decode(value) && !v.is_empty() { roundtrip(&v)?; }
    }
}

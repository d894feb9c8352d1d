//! Builds an arbitrary DynamoDB item (attribute names to nested values, number texts valid or
//! not) and decodes every attribute, and the whole item as a map, into many types: decoding
//! must return `Ok` or `Err`, never panic. What decodes must also encode again, and for the
//! exact types read back the same value.

#![no_main]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use arbitrary::Arbitrary;
use chrono::{DateTime, Utc};
use dynorm::attribute::composite::split;
use dynorm::aws_sdk_dynamodb::primitives::Blob;
use dynorm::{Attribute, AttributeValue, Bytes, EpochSeconds, Item, Json, JsonString, Number, codec};
use libfuzzer_sys::fuzz_target;

/// How deeply built values nest (DynamoDB allows 32 levels; a little more tests the limits).
const MAX_DEPTH: usize = 40;

#[derive(Debug, Arbitrary)]
enum Value {
    S(String),
    N(NumberText),
    B(Vec<u8>),
    Bool(bool),
    Null,
    Ss(Vec<String>),
    Ns(Vec<NumberText>),
    Bs(Vec<Vec<u8>>),
    L(Vec<Value>),
    M(Vec<(String, Value)>),
}

/// Number text: mostly well-formed, sometimes anything.
#[derive(Debug, Arbitrary)]
enum NumberText {
    Int(i64),
    Wide(i128),
    Float(f64),
    Decimal {
        negative: bool,
        digits: u128,
        exponent: i16,
        scientific: bool,
    },
    Raw(String),
}

impl NumberText {
    fn text(&self) -> String {
        match self {
            NumberText::Int(v) => v.to_string(),
            NumberText::Wide(v) => v.to_string(),
            NumberText::Float(v) => v.to_string(),
            NumberText::Decimal {
                negative,
                digits,
                exponent,
                scientific,
            } => {
                let sign = if *negative { "-" } else { "" };
                if *scientific {
                    format!("{sign}{digits}E{exponent:+}")
                } else {
                    let digits = digits.to_string();
                    let point = (exponent.unsigned_abs() as usize).min(digits.len());
                    format!(
                        "{sign}{}.{}",
                        &digits[..digits.len() - point],
                        &digits[digits.len() - point..]
                    )
                }
            }
            NumberText::Raw(text) => text.clone(),
        }
    }
}

impl Value {
    fn build(&self, depth: usize) -> AttributeValue {
        if depth > MAX_DEPTH {
            return AttributeValue::Null(true);
        }
        match self {
            Value::S(s) => AttributeValue::S(s.clone()),
            Value::N(n) => AttributeValue::N(n.text()),
            Value::B(b) => AttributeValue::B(Blob::new(b.clone())),
            Value::Bool(b) => AttributeValue::Bool(*b),
            Value::Null => AttributeValue::Null(true),
            Value::Ss(v) => AttributeValue::Ss(v.clone()),
            Value::Ns(v) => AttributeValue::Ns(v.iter().map(NumberText::text).collect()),
            Value::Bs(v) => AttributeValue::Bs(v.iter().cloned().map(Blob::new).collect()),
            Value::L(v) => AttributeValue::L(v.iter().map(|v| v.build(depth + 1)).collect()),
            Value::M(v) => {
                AttributeValue::M(v.iter().map(|(k, v)| (k.clone(), v.build(depth + 1))).collect())
            }
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Doc {
    name: String,
    count: Option<i64>,
    ratio: f64,
    tags: Vec<String>,
    nested: BTreeMap<String, Vec<Option<u32>>>,
    kind: Kind,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Kind {
    Plain,
    Tagged(String),
    Pair { a: u8, b: Option<bool> },
}

/// Decodes as `T`; what decodes must encode again without panicking.
fn decode<T: Attribute>(value: &AttributeValue) -> Option<T> {
    let decoded = T::decode(value.clone()).ok()?;
    let _ = decoded.encode();
    Some(decoded)
}

/// Decodes as `T`; what decodes must encode and read back the same value.
fn decode_exact<T: Attribute + PartialEq + std::fmt::Debug>(value: &AttributeValue) {
    let Some(decoded) = decode::<T>(value) else { return };
    match decoded.encode() {
        Ok(Some(stored)) => {
            let again = T::decode(stored.clone());
            assert_eq!(
                again.as_ref().ok(),
                Some(&decoded),
                "{decoded:?} stored as {stored:?}: {again:?}"
            );
        }
        Ok(None) => {}
        Err(e) => panic!("{decoded:?} decoded from {value:?} but does not encode: {e}"),
    }
}

fn decode_everything(value: &AttributeValue) {
    decode_exact::<i8>(value);
    decode_exact::<i16>(value);
    decode_exact::<i32>(value);
    decode_exact::<i64>(value);
    decode_exact::<i128>(value);
    decode_exact::<isize>(value);
    decode_exact::<u8>(value);
    decode_exact::<u16>(value);
    decode_exact::<u32>(value);
    decode_exact::<u64>(value);
    decode_exact::<u128>(value);
    decode_exact::<usize>(value);
    decode::<f32>(value);
    decode::<f64>(value);
    decode_exact::<Number>(value);
    decode_exact::<String>(value);
    decode_exact::<bool>(value);
    decode_exact::<DateTime<Utc>>(value);
    decode_exact::<EpochSeconds>(value);
    decode_exact::<Bytes>(value);
    decode_exact::<Blob>(value);
    decode_exact::<Option<i64>>(value);
    decode_exact::<Vec<Option<String>>>(value);
    decode_exact::<Vec<Vec<Number>>>(value);
    decode_exact::<BTreeMap<String, Number>>(value);
    decode_exact::<HashMap<String, Vec<Bytes>>>(value);
    decode_exact::<BTreeSet<String>>(value);
    decode_exact::<BTreeSet<i32>>(value);
    decode_exact::<BTreeSet<Number>>(value);
    decode_exact::<BTreeSet<Bytes>>(value);
    decode_exact::<HashSet<u64>>(value);
    decode::<Json<serde_json::Value>>(value);
    decode::<Json<Doc>>(value);
    decode::<Json<Vec<Option<String>>>>(value);
    decode::<Json<HashMap<u32, bool>>>(value);
    decode::<Json<(u8, String)>>(value);
    decode::<JsonString<serde_json::Value>>(value);
    decode::<JsonString<Doc>>(value);

    let _ = codec::epoch_seconds::decode(value.clone());
    let _ = codec::json::decode::<serde_json::Value>(value.clone());
    let _ = codec::json_string::decode::<Doc>(value.clone());
    let _ = codec::binary::decode::<Vec<u8>>(value.clone());
    if let Ok(set) = codec::string_set::decode(value.clone()) {
        let _ = codec::string_set::encode(&set);
    }
    if let Ok(set) = codec::number_set::decode::<f64>(value.clone()) {
        let _ = codec::number_set::encode(&set);
    }
    let _ = codec::number_set::decode::<u16>(value.clone());
    if let Ok(at) = codec::da_vinci::datetime::decode(value.clone()) {
        let _ = codec::da_vinci::datetime::encode(&at);
    }
    let _ = codec::da_vinci::optional_datetime::decode(value.clone());
    let _ = codec::da_vinci::optional_string::decode(value.clone());
    if let Ok(json) = codec::da_vinci::json::decode::<serde_json::Value>(value.clone()) {
        let _ = codec::da_vinci::json_string::encode(&json);
    }
    let _ = codec::da_vinci::json_string::decode::<serde_json::Value>(value.clone());
    if let AttributeValue::S(text) | AttributeValue::N(text) = value {
        let _ = text.parse::<Number>();
        for separator in ["#", "::", "-"] {
            for count in 1..4 {
                let _ = split(text, separator, count, true);
                let _ = split(text, separator, count, false);
            }
        }
    }
}

fuzz_target!(|attributes: Vec<(String, Value)>| {
    let item: Item = attributes
        .iter()
        .map(|(name, value)| (name.clone(), value.build(0)))
        .collect();
    for value in item.values() {
        decode_everything(value);
    }
    decode_everything(&AttributeValue::M(item));
});

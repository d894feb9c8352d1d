//! Plain JSON whose numbers keep their exact text, read and written.
//!
//! `serde_json::Value` holds a number that is not a 64-bit integer as an `f64`, which would round
//! DynamoDB's numbers (up to 38 significant digits) on `import` and `dump`. Reading goes through
//! `RawValue`, so each number is taken as it was written.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON value, numbers as text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number exactly as written (valid JSON number syntax).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in the order written.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses one JSON document.
    pub(crate) fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(text)?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'{') => Json::Object(
                serde_json::from_str::<Members>(text)?
                    .0
                    .into_iter()
                    .map(|(k, v)| Ok((k, Self::from_raw(v)?)))
                    .collect::<Result<_, serde_json::Error>>()?,
            ),
            Some(b'[') => Json::Array(
                serde_json::from_str::<Vec<&RawValue>>(text)?
                    .into_iter()
                    .map(Self::from_raw)
                    .collect::<Result<_, _>>()?,
            ),
            Some(b'"') => Json::String(serde_json::from_str(text)?),
            Some(b't' | b'f') => Json::Bool(serde_json::from_str(text)?),
            Some(b'n') => Json::Null,
            // RawValue only holds valid JSON: anything else is a number.
            _ => Json::Number(text.to_owned()),
        })
    }

    /// The number text as JSON, when it is one (DynamoDB also writes forms JSON lacks, such as
    /// `.5` or `+1`: those are written as strings).
    pub(crate) fn number(text: &str) -> Self {
        match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) if raw.get().starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                Json::Number(text.to_owned())
            }
            _ => Json::String(text.to_owned()),
        }
    }

    /// Whether the value is `null`.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let string = |f: &mut fmt::Formatter<'_>, s: &str| {
            // Escaping a string into JSON cannot fail.
            f.write_str(&serde_json::to_string(s).unwrap_or_default())
        };
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => f.write_str(n),
            Json::String(s) => string(f, s),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(members) => {
                f.write_str("{")?;
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    string(f, k)?;
                    write!(f, ":{v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// An object's members in order, values unparsed.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(de::Error::invalid_type(de::Unexpected::Seq, &self))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn numbers_keep_their_text_both_ways() {
        let text = r#"{"id":"a","n":12345678901234567890123456789012345678,"f":0.100000000000000000000000000000000001,"e":-1.5E-130,"l":[1,2.50,{"x":null}],"b":true,"s":"q\"\u00e9"}"#;
        let json = Json::parse(text).unwrap();
        let Json::Object(members) = &json else { panic!() };
        assert_eq!(
            members[1].1,
            Json::Number("12345678901234567890123456789012345678".into())
        );
        assert_eq!(
            members[2].1,
            Json::Number("0.100000000000000000000000000000000001".into())
        );
        assert_eq!(members[3].1, Json::Number("-1.5E-130".into()));
        // Written back, numbers are as read (strings re-escaped canonically).
        let back = json.to_string();
        assert!(
            back.contains(r#""n":12345678901234567890123456789012345678"#),
            "{back}"
        );
        assert!(back.contains(r#""l":[1,2.50,{"x":null}]"#), "{back}");
        assert_eq!(Json::parse(&back).unwrap(), json);
        assert!(Json::parse("{\"a\":}").is_err());
        assert!(Json::parse("{} extra").is_err());
        assert_eq!(Json::number(".5"), Json::String(".5".into()));
        assert_eq!(Json::number("1e3"), Json::Number("1e3".into()));
    }
}

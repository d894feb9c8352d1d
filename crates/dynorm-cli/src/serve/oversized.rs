//! Refusing a PutItem whose item is over DynamoDB's 400 KB limit before the engine parses it.
//!
//! The engine builds its own tree of the request, at several hundred bytes per attribute value:
//! a 14 MB PutItem of a million NULLs takes it about 770 MB, only to refuse the item as too
//! large. This pass reads the same body without building anything (attribute names and strings
//! are measured, everything else skipped) and adds up a lower bound of the item's DynamoDB size:
//! names and string bytes, one byte per number, boolean and NULL, a byte per list or map element.
//! When even that bound is over the limit, the engine would refuse the item too, and the server
//! answers with the engine's own error without parsing further.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// DynamoDB's limit on one item: 400 KB.
pub(crate) const MAX_ITEM: u64 = 400 * 1024;

/// The engine's message for an item over the limit.
pub(crate) const ITEM_TOO_LARGE: &str = "Item size has exceeded the maximum allowed size";

/// Whether `body` is a PutItem whose item is certainly over [`MAX_ITEM`]. A body that does not
/// read as one is left to the engine (`false`).
pub(crate) fn put_item_too_large(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Put {
        #[serde(rename = "Item")]
        item: Option<MapSize>,
    }
    body.len() as u64 > MAX_ITEM
        && serde_json::from_slice::<Put>(body)
            .ok()
            .and_then(|put| put.item)
            .is_some_and(|size| size.0 > MAX_ITEM)
}

/// The lower bound of a map of attributes (an item, or an M value's members).
struct MapSize(u64);

/// The lower bound of one attribute value.
struct ValueSize(u64);

/// The length of a string, without keeping it.
struct StrLen(u64);

impl<'de> Deserialize<'de> for StrLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StrLen;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<StrLen, E> {
                Ok(StrLen(s.len() as u64))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for MapSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MapSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of attribute values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MapSize, A::Error> {
                let mut total = 0u64;
                while let Some(name) = map.next_key::<StrLen>()? {
                    let value = map.next_value::<ValueSize>()?;
                    total = total.saturating_add(name.0 + value.0);
                }
                Ok(MapSize(total))
            }
        }
        d.deserialize_map(V)
    }
}

/// The sum of a list's (or set's) elements, one byte each at least.
fn sum_seq<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    mut seq: A,
    size: impl Fn(T) -> u64,
) -> Result<u64, A::Error> {
    let mut total = 0u64;
    while let Some(element) = seq.next_element::<T>()? {
        total = total.saturating_add(1 + size(element));
    }
    Ok(total)
}

struct ListSize(u64);

impl<'de> Deserialize<'de> for ListSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ListSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ListSize, A::Error> {
                sum_seq(seq, |v: ValueSize| v.0).map(ListSize)
            }
        }
        d.deserialize_seq(V)
    }
}

struct SetSize(u64);

impl<'de> Deserialize<'de> for SetSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SetSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a set of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<SetSize, A::Error> {
                sum_seq(seq, |s: StrLen| s.0).map(SetSize)
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for ValueSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValueSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ValueSize, A::Error> {
                let mut total = 0u64;
                while let Some(kind) = map.next_key::<String>()? {
                    let size = match kind.as_str() {
                        "S" => map.next_value::<StrLen>()?.0,
                        "B" => map.next_value::<StrLen>()?.0 * 3 / 4,
                        "L" => 3 + map.next_value::<ListSize>()?.0,
                        "M" => 3 + map.next_value::<MapSize>()?.0,
                        "SS" | "NS" | "BS" => map.next_value::<SetSize>()?.0,
                        _ => map.next_value::<IgnoredAny>().map(|_| 1)?,
                    };
                    total = total.saturating_add(size);
                }
                Ok(ValueSize(total))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nulls(n: usize) -> Vec<u8> {
        format!(
            r#"{{"TableName":"t","Item":{{"id":{{"S":"a"}},"nulls":{{"L":[{}]}}}}}}"#,
            vec![r#"{"NULL":true}"#; n].join(",")
        )
        .into_bytes()
    }

    #[test]
    fn a_million_nulls_are_over_the_limit_and_a_small_item_is_not() {
        assert!(put_item_too_large(&nulls(1_000_000)));
        assert!(!put_item_too_large(&nulls(10)));
        // Padding in the JSON is not item size.
        let padded = format!(
            r#"{{"TableName":"t",{}"Item":{{"id":{{"S":"a"}}}}}}"#,
            " ".repeat(500_000)
        );
        assert!(!put_item_too_large(padded.as_bytes()));
        let big_string = format!(
            r#"{{"TableName":"t","Item":{{"id":{{"S":"{}"}}}}}}"#,
            "x".repeat(500_000)
        );
        assert!(put_item_too_large(big_string.as_bytes()));
    }
}

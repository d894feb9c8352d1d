//! Conversions between the SDK's attribute values and dynoxide's.

use std::collections::HashMap;

use aws_smithy_types::Blob;
use dynoxide::AttributeValue as DynValue;

use super::MAX_VALUE_DEPTH;
use super::guard::too_deep_value;
use crate::{AttributeValue, Error, Item, Result};

/// An SDK item as a dynoxide item. Values nested deeper than [`MAX_VALUE_DEPTH`] are refused
/// before the conversion could run out of stack.
pub(crate) fn item_to_dynoxide(table: &str, item: Item) -> Result<HashMap<String, DynValue>> {
    map_to_dynoxide(table, item, 1)
}

/// Sized up front: collecting into a `Result` loses the size hint, and the map would grow (and
/// rehash) from empty on every put, key and batch item.
fn map_to_dynoxide(table: &str, item: Item, depth: usize) -> Result<HashMap<String, DynValue>> {
    let mut out = HashMap::with_capacity(item.len());
    for (k, v) in item {
        out.insert(k, value_to_dynoxide(table, v, depth)?);
    }
    Ok(out)
}

/// SDK values as dynoxide values (statement parameters), nesting refused as for items.
pub(crate) fn values_to_dynoxide(table: &str, values: Vec<AttributeValue>) -> Result<Vec<DynValue>> {
    values
        .into_iter()
        .map(|v| value_to_dynoxide(table, v, 1))
        .collect()
}

fn value_to_dynoxide(table: &str, value: AttributeValue, depth: usize) -> Result<DynValue> {
    if depth > MAX_VALUE_DEPTH + 1 {
        return Err(too_deep_value(table));
    }
    Ok(match value {
        AttributeValue::S(s) => DynValue::S(s),
        AttributeValue::N(n) => DynValue::N(n),
        AttributeValue::B(b) => DynValue::B(b.into_inner()),
        AttributeValue::Bool(b) => DynValue::BOOL(b),
        AttributeValue::Null(b) => DynValue::NULL(b),
        AttributeValue::Ss(v) => DynValue::SS(v),
        AttributeValue::Ns(v) => DynValue::NS(v),
        AttributeValue::Bs(v) => DynValue::BS(v.into_iter().map(Blob::into_inner).collect()),
        AttributeValue::L(v) => {
            let mut out = Vec::with_capacity(v.len());
            for v in v {
                out.push(value_to_dynoxide(table, v, depth + 1)?);
            }
            DynValue::L(out)
        }
        AttributeValue::M(m) => DynValue::M(map_to_dynoxide(table, m, depth + 1)?),
        _ => {
            return Err(Error::Validation {
                table: table.to_owned(),
                message:
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                        .to_owned(),
            });
        }
    })
}

/// A dynoxide item as an SDK item. (dynoxide never stores values nested deeper than 32 levels.)
pub(crate) fn item_from_dynoxide(item: HashMap<String, DynValue>) -> Item {
    item.into_iter()
        .map(|(k, v)| (k, value_from_dynoxide(v)))
        .collect()
}

fn value_from_dynoxide(value: DynValue) -> AttributeValue {
    match value {
        DynValue::S(s) => AttributeValue::S(s),
        DynValue::N(n) => AttributeValue::N(n),
        DynValue::B(b) => AttributeValue::B(Blob::new(b)),
        DynValue::BOOL(b) => AttributeValue::Bool(b),
        DynValue::NULL(b) => AttributeValue::Null(b),
        DynValue::SS(v) => AttributeValue::Ss(v),
        DynValue::NS(v) => AttributeValue::Ns(v),
        DynValue::BS(v) => AttributeValue::Bs(v.into_iter().map(Blob::new).collect()),
        DynValue::L(v) => AttributeValue::L(v.into_iter().map(value_from_dynoxide).collect()),
        DynValue::M(m) => {
            AttributeValue::M(m.into_iter().map(|(k, v)| (k, value_from_dynoxide(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        let item: Item = [
            ("s", AttributeValue::S("x".into())),
            ("n", AttributeValue::N("1.5".into())),
            ("b", AttributeValue::B(Blob::new(vec![1, 2]))),
            ("t", AttributeValue::Bool(true)),
            ("z", AttributeValue::Null(true)),
            ("ss", AttributeValue::Ss(vec!["a".into()])),
            ("ns", AttributeValue::Ns(vec!["2".into()])),
            ("bs", AttributeValue::Bs(vec![Blob::new(vec![3])])),
            ("l", AttributeValue::L(vec![AttributeValue::S("y".into())])),
            (
                "m",
                AttributeValue::M(
                    [("k".to_owned(), AttributeValue::N("3".into()))]
                        .into_iter()
                        .collect(),
                ),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let back = item_from_dynoxide(item_to_dynoxide("t", item.clone()).expect("converts"));
        assert_eq!(back, item);
    }
}

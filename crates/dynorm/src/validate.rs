//! Client-side validation before a request is sent: item size, key attributes and item counts,
//! checked with DynamoDB's own rules so a bad request fails with a typed error naming the table
//! and attribute instead of a round trip and a `ValidationException`.
//!
//! Other operations (batch writes, transactions) call these functions for their items.

use std::fmt::Write as _;

use crate::definition::{ScalarType, TableDefinition};
use crate::{AttributeValue, Error, Item, Result};

/// DynamoDB's largest item: 400 KB.
pub(crate) const MAX_ITEM_SIZE: usize = 400 * 1024;
/// The longest partition key value, in bytes.
pub(crate) const MAX_PARTITION_KEY_SIZE: usize = 2048;
/// The longest sort key value, in bytes.
pub(crate) const MAX_SORT_KEY_SIZE: usize = 1024;
/// The most items of one transaction.
#[allow(dead_code)]
pub(crate) const MAX_TRANSACTION_ITEMS: usize = 100;

/// The size of an item by DynamoDB's rules: for each attribute, its name's UTF-8 bytes plus the
/// size of its value.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// The size of one value by DynamoDB's rules (strings and binaries by their bytes, numbers about
/// one byte per two significant digits plus one, lists and maps 3 bytes plus one per element).
pub(crate) fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.len() + v.iter().map(value_size).sum::<usize>(),
        AttributeValue::M(m) => 3 + m.iter().map(|(k, v)| k.len() + 1 + value_size(v)).sum::<usize>(),
        _ => 0,
    }
}

/// `(significant digits + 1) / 2 + 1`, as DynamoDB counts numbers.
fn number_size(n: &str) -> usize {
    let mantissa = n.split(['e', 'E']).next().unwrap_or(n);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1);
    significant.div_ceil(2) + 1
}

/// Whether `n` is a number DynamoDB accepts: an optional sign, digits with an optional fraction,
/// an optional exponent, at most 38 significant digits.
pub(crate) fn check_number(n: &str) -> std::result::Result<(), String> {
    let body = n.strip_prefix(['-', '+']).unwrap_or(n);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) {
        return Err(format!("expected a number, found `{n}`"));
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        if e.is_empty() || !digits_ok(e) {
            return Err(format!("expected a number, found `{n}`"));
        }
    }
    let all: String = format!("{int}{frac}");
    let significant = all.trim_start_matches('0').trim_end_matches('0').len();
    if significant > 38 {
        return Err(format!(
            "a number has at most 38 significant digits, `{n}` has {significant}"
        ));
    }
    Ok(())
}

/// A key rendered readably for errors: `id = "ada"`, `pk = "a", sk = 3`, partition key first.
pub(crate) fn render_key(definition: &TableDefinition, key: &Item) -> String {
    let mut out = String::new();
    let names = std::iter::once(definition.partition_key.as_str()).chain(definition.sort_key.as_deref());
    for name in names {
        if let Some(v) = key.get(name) {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let _ = write!(out, "{name} = ");
            render_value(&mut out, v);
        }
    }
    if out.is_empty() {
        // Not the table's key attributes: show what there is, sorted.
        let mut entries: Vec<_> = key.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (name, v) in entries {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let _ = write!(out, "{name} = ");
            render_value(&mut out, v);
        }
    }
    out
}

pub(crate) fn render_value(out: &mut String, v: &AttributeValue) {
    let _ = match v {
        AttributeValue::S(s) => write!(out, "{s:?}"),
        AttributeValue::N(n) => write!(out, "{n}"),
        AttributeValue::B(b) => write!(out, "<{} bytes>", b.as_ref().len()),
        other => write!(out, "<{}>", crate::attribute::type_name(other)),
    };
}

/// A value rendered readably (strings quoted, numbers as they are, other types by name).
pub(crate) fn value_text(v: &AttributeValue) -> String {
    let mut out = String::new();
    render_value(&mut out, v);
    out
}

/// Checks the key attributes of `item` (a whole item or just a key): present, of the declared
/// type, not empty, within DynamoDB's length limits, numbers valid.
pub(crate) fn check_key(table: &str, definition: &TableDefinition, item: &Item) -> Result<()> {
    check_key_attribute(
        table,
        definition,
        item,
        &definition.partition_key,
        MAX_PARTITION_KEY_SIZE,
    )?;
    if let Some(sort) = &definition.sort_key {
        check_key_attribute(table, definition, item, sort, MAX_SORT_KEY_SIZE)?;
    }
    Ok(())
}

fn check_key_attribute(
    table: &str,
    definition: &TableDefinition,
    item: &Item,
    name: &str,
    limit: usize,
) -> Result<()> {
    let invalid = |reason: String| Error::InvalidKey {
        table: table.to_owned(),
        attribute: name.to_owned(),
        reason,
    };
    let Some(value) = item.get(name) else {
        return Err(invalid("the key attribute is missing".to_owned()));
    };
    let expected = definition.key_type(name);
    let (found, len) = match value {
        AttributeValue::S(s) => (ScalarType::S, s.len()),
        AttributeValue::N(n) => {
            check_number(n).map_err(invalid)?;
            (ScalarType::N, n.len())
        }
        AttributeValue::B(b) => (ScalarType::B, b.as_ref().len()),
        other => {
            return Err(invalid(format!(
                "expected {}, found {}",
                expected.map_or("S, N or B", ScalarType::as_str),
                crate::attribute::type_name(other)
            )));
        }
    };
    if let Some(expected) = expected
        && expected != found
    {
        return Err(invalid(format!(
            "expected {}, found {}",
            expected.as_str(),
            found.as_str()
        )));
    }
    if len == 0 && found != ScalarType::N {
        return Err(invalid(format!(
            "a key {} value must not be empty",
            if found == ScalarType::S {
                "string"
            } else {
                "binary"
            }
        )));
    }
    if len > limit {
        return Err(invalid(format!(
            "a {} key is at most {limit} bytes, found {len}",
            if limit == MAX_PARTITION_KEY_SIZE {
                "partition"
            } else {
                "sort"
            }
        )));
    }
    Ok(())
}

/// Checks the index key attributes an item holds (an absent one leaves the item out of that
/// index): of the declared type, not empty, within the length limits. DynamoDB refuses such an
/// item; refused here, the error names the attribute before anything is sent.
fn check_index_keys(table: &str, definition: &TableDefinition, item: &Item) -> Result<()> {
    let global = definition.global_secondary_indexes.iter().flat_map(|g| {
        [
            Some((g.partition_key.as_str(), MAX_PARTITION_KEY_SIZE)),
            g.sort_key.as_deref().map(|s| (s, MAX_SORT_KEY_SIZE)),
        ]
    });
    let local = definition
        .local_secondary_indexes
        .iter()
        .map(|l| Some((l.sort_key.as_str(), MAX_SORT_KEY_SIZE)));
    for (name, limit) in global.chain(local).flatten() {
        let table_key = name == definition.partition_key || definition.sort_key.as_deref() == Some(name);
        if !table_key && item.contains_key(name) {
            check_key_attribute(table, definition, item, name, limit)?;
        }
    }
    Ok(())
}

/// Checks a whole item before a write: its key attributes (the table's and the indexes' it
/// holds), and its size against 400 KB.
pub(crate) fn check_item(table: &str, definition: &TableDefinition, item: &Item) -> Result<()> {
    check_key(table, definition, item)?;
    check_index_keys(table, definition, item)?;
    let size = item_size(item);
    if size > MAX_ITEM_SIZE {
        return Err(Error::ItemTooLarge {
            table: table.to_owned(),
            key: render_key(definition, item),
            size,
            limit: MAX_ITEM_SIZE,
        });
    }
    Ok(())
}

/// Checks the number of items of one request against a limit (100 for a transaction).
#[allow(dead_code)]
pub(crate) fn check_count(table: &str, operation: &str, count: usize, limit: usize) -> Result<()> {
    if count > limit {
        return Err(Error::TooManyItems {
            table: table.to_owned(),
            operation: operation.to_owned(),
            count,
            limit,
        });
    }
    Ok(())
}

/// The closest candidate to a misspelt name, if it is close enough to suggest.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The key attributes of an item of `T`.
pub(crate) fn key_of_item<T: crate::Table>(item: &Item) -> Item {
    let d = T::definition();
    std::iter::once(d.partition_key.as_str())
        .chain(d.sort_key.as_deref())
        .filter_map(|k| item.get(k).map(|v| (k.to_owned(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_sizes_follow_dynamodb() {
        assert_eq!(number_size("0"), 2);
        assert_eq!(number_size("1"), 2);
        assert_eq!(number_size("12"), 2);
        assert_eq!(number_size("123"), 3);
        assert_eq!(number_size("-1000"), 2);
        assert_eq!(number_size("1.5e10"), 2);
    }

    #[test]
    fn numbers_are_checked() {
        for good in ["0", "-1", "1.5", ".5", "5.", "1e10", "-1.2E-3"] {
            assert!(check_number(good).is_ok(), "{good}");
        }
        for bad in ["", "-", "abc", "1.2.3", "1e", "NaN", "1 "] {
            assert!(check_number(bad).is_err(), "{bad}");
        }
        assert!(check_number(&"1".repeat(39)).is_err());
        assert!(check_number(&"1".repeat(38)).is_ok());
    }

    #[test]
    fn sizes_count_names_and_nesting() {
        let item = Item::from([
            ("ab".to_owned(), AttributeValue::S("xyz".into())),
            (
                "l".to_owned(),
                AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::Null(true)]),
            ),
        ]);
        assert_eq!(item_size(&item), 2 + 3 + 1 + (3 + 2 + 2));
    }
}

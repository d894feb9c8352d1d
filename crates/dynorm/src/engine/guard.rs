//! Cheap scans that keep requests the embedded engine cannot survive away from it.

use super::{MAX_EXPRESSION_DEPTH, MAX_VALUE_DEPTH, NESTING_LIMIT_MESSAGE};
use crate::{AttributeValue, Error, Item, Result};

/// How deeply an expression (condition, filter, key condition, update, projection) or a PartiQL
/// statement nests, as an upper bound on the depth of the tree a recursive-descent parser builds
/// for it.
///
/// Each open bracket (`(`, `[`, `{`) counts one level, and within a bracket level every `NOT`,
/// `AND`, `OR`, `+` and `-` counts one more (chains of `AND`/`OR` build left-deep trees, chains of
/// `NOT` nest). Text inside quotes (`'…'`, `"…"`, as PartiQL uses them) is skipped. The scan is
/// linear and never recurses.
pub fn expression_depth(expression: &str) -> usize {
    // levels[i] is what the i-th open bracket level adds (1 for the bracket itself plus its
    // operators); `current` is their sum plus the operators outside every bracket.
    let mut levels: Vec<usize> = Vec::new();
    let mut current = 0usize;
    let mut max = 0usize;
    let bytes = expression.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'(' | b'[' | b'{' => {
                levels.push(1);
                current += 1;
            }
            b')' | b']' | b'}' => {
                if let Some(level) = levels.pop() {
                    current -= level;
                }
            }
            b'+' | b'-' => bump(&mut levels, &mut current),
            b'\'' | b'"' => {
                // Skip to the closing quote; a doubled quote is an escaped one.
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b {
                        if bytes.get(i + 1) == Some(&b) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            _ if b.is_ascii_alphabetic() => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &expression[start..i];
                // A word glued to a placeholder or path (`#not`, `:and`, `a.or`) is a name.
                let glued = start > 0 && matches!(bytes[start - 1], b'#' | b':' | b'.' | b'_');
                if !glued
                    && (word.eq_ignore_ascii_case("not")
                        || word.eq_ignore_ascii_case("and")
                        || word.eq_ignore_ascii_case("or"))
                {
                    bump(&mut levels, &mut current);
                }
                max = max.max(current);
                continue;
            }
            _ => {}
        }
        max = max.max(current);
        i += 1;
    }
    max
}

fn bump(levels: &mut [usize], current: &mut usize) {
    // Operators of the top level are only in `current`: nothing ever pops them.
    if let Some(level) = levels.last_mut() {
        *level += 1;
    }
    *current += 1;
}

/// Refuses an expression that nests deeper than [`MAX_EXPRESSION_DEPTH`].
pub(crate) fn check_expression(table: &str, field: &str, expression: &str) -> Result<()> {
    let depth = expression_depth(expression);
    if depth > MAX_EXPRESSION_DEPTH {
        return Err(Error::ExpressionTooDeep {
            table: table.to_owned(),
            field: field.to_owned(),
            depth,
            limit: MAX_EXPRESSION_DEPTH,
        });
    }
    Ok(())
}

/// The message the in-process SDK adapter answers a too-deep expression with (as a
/// `ValidationException`), which [`parse_too_deep_message`] reads back.
#[cfg(feature = "embedded")]
pub(crate) fn too_deep_message(field: &str, depth: usize) -> String {
    format!(
        "Invalid {field}: the expression nests {depth} levels deep, more than the {MAX_EXPRESSION_DEPTH} dynorm lets through to the embedded engine"
    )
}

/// Reads back the field and depth from a [`too_deep_message`].
pub(crate) fn parse_too_deep_message(message: &str) -> Option<(String, usize)> {
    let rest = message.strip_prefix("Invalid ")?;
    let (field, rest) = rest.split_once(": the expression nests ")?;
    let (depth, rest) = rest.split_once(" levels deep, more than the ")?;
    if !rest.ends_with(" dynorm lets through to the embedded engine") {
        return None;
    }
    Some((field.to_owned(), depth.parse().ok()?))
}

/// Refuses an item with a value nested deeper than [`MAX_VALUE_DEPTH`], without recursing.
pub(crate) fn check_item_depth(table: &str, item: &Item) -> Result<()> {
    check_item_depth_from(table, item, 1)
}

/// [`check_item_depth`] counting the item's values at depth `start`.
fn check_item_depth_from(table: &str, item: &Item, start: usize) -> Result<()> {
    let mut stack: Vec<(&AttributeValue, usize)> = item.values().map(|v| (v, start)).collect();
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &AttributeValue>> = match value {
            AttributeValue::L(list) => Box::new(list.iter()),
            AttributeValue::M(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth > MAX_VALUE_DEPTH {
            return Err(too_deep_value(table));
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    Ok(())
}

/// Refuses an item with a value nested deeper than [`MAX_VALUE_DEPTH`], taking a refused item
/// apart without recursing (dropping a value nested 10,000 levels deep whole overflows a 2 MiB
/// stack by itself).
pub(crate) fn guard_item(table: &str, item: Item) -> Result<Item> {
    match check_item_depth(table, &item) {
        Ok(()) => Ok(item),
        Err(e) => {
            dismantle(item);
            Err(e)
        }
    }
}

/// [`guard_item`] for a list of values (statement parameters).
pub(crate) fn guard_values(table: &str, values: Vec<AttributeValue>) -> Result<Vec<AttributeValue>> {
    let wrapped = AttributeValue::L(values);
    let mut item = Item::with_capacity(1);
    item.insert(String::new(), wrapped);
    // One level of nesting added by the wrapping list, allowed for here.
    let mut item = match check_item_depth_from(table, &item, 0) {
        Ok(()) => item,
        Err(e) => {
            dismantle(item);
            return Err(e);
        }
    };
    match item.remove("") {
        Some(AttributeValue::L(values)) => Ok(values),
        _ => Ok(Vec::new()),
    }
}

/// Drops an item one value at a time, so nesting never deepens the stack.
pub(crate) fn dismantle(item: Item) {
    let mut stack: Vec<AttributeValue> = item.into_values().collect();
    while let Some(value) = stack.pop() {
        match value {
            AttributeValue::L(list) => stack.extend(list),
            AttributeValue::M(map) => stack.extend(map.into_values()),
            _ => {}
        }
    }
}

/// The error for a value nested too deeply, as DynamoDB words it.
pub(crate) fn too_deep_value(table: &str) -> Error {
    Error::Validation {
        table: table.to_owned(),
        message: NESTING_LIMIT_MESSAGE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_and_operators() {
        assert_eq!(expression_depth("pk = :v"), 0);
        assert_eq!(expression_depth("attribute_exists(pk)"), 1);
        assert_eq!(expression_depth("a = :a AND b = :b AND c = :c"), 2);
        assert_eq!(expression_depth("NOT NOT NOT a = :a"), 3);
        assert_eq!(expression_depth("(a = :a OR (b = :b OR (c = :c)))"), 5);
        assert_eq!(
            expression_depth(&format!("{}a{}", "(".repeat(50), ")".repeat(50))),
            50
        );
        // Names that merely contain the keywords are not operators.
        assert_eq!(expression_depth("#not = :and AND notes = :or"), 1);
        // PartiQL quotes are skipped.
        assert_eq!(expression_depth("SELECT * FROM \"t\" WHERE a = '((((('"), 0);
        assert_eq!(expression_depth("SELECT * FROM t WHERE a = 'it''s ((('"), 0);
        // Unbalanced closers do not underflow.
        assert_eq!(expression_depth(")))a = :a"), 0);
    }

    #[test]
    #[cfg(feature = "embedded")]
    fn too_deep_message_round_trips() {
        let m = too_deep_message("ConditionExpression", 2000);
        assert_eq!(
            parse_too_deep_message(&m),
            Some(("ConditionExpression".to_owned(), 2000))
        );
        assert_eq!(
            parse_too_deep_message("Invalid ConditionExpression: Syntax error"),
            None
        );
    }

    #[test]
    fn deep_items_are_refused_without_recursion() {
        let mut v = AttributeValue::S("x".into());
        for _ in 0..10_000 {
            v = AttributeValue::L(vec![v]);
        }
        let item: Item = [("a".to_owned(), v)].into_iter().collect();
        assert!(check_item_depth("t", &item).is_err());
        assert!(guard_item("t", item).is_err());
    }
}

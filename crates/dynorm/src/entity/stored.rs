//! What a table's [`StoredForm`](crate::StoredForm) changes in an entity's item after its fields
//! and keys are encoded (NULL for `None`, stamps' text, fields kept only in keys), and how such
//! an item's fields are read back.

use chrono::DateTime;

use super::{Entity, KeyTemplate, TemplateError};
use crate::error::DecodeError;
use crate::format::{NoneForm, StampForm};
use crate::{AttributeValue, Item, Table};

/// Finishes an encoded item in the layout's form (used by generated code): `None` fields as
/// NULL, stamps as the form's text, and with [`Entity::STORE_ALIASES`] off, the fields and
/// joined attributes a key holds whole (`{field}`) left out, as dynamojo's `store_aliases=False`.
#[doc(hidden)]
pub fn finish_item<E: Entity + Table>(item: &mut Item) {
    let form = E::layout().form;
    if form.none == NoneForm::Null {
        for f in E::FIELDS.iter().filter(|f| f.optional) {
            item.entry(f.stored.to_owned())
                .or_insert(AttributeValue::Null(true));
        }
    }
    if form.stamps == StampForm::NaiveMicros {
        for attribute in [E::CREATED_AT_ATTRIBUTE, E::UPDATED_AT_ATTRIBUTE]
            .into_iter()
            .flatten()
        {
            restamp(item, attribute, form.stamps);
        }
    }
    if !E::STORE_ALIASES {
        for name in aliases::<E>().filter(|name| !in_multi_attribute_index::<E>(name)) {
            let stored = E::field(name).map_or(name, |f| f.stored);
            item.remove(stored);
        }
    }
}

/// Whether a multi-attribute index reads the field: its own attribute is the index's key, so it
/// is stored even where a key also holds it whole (else the item would silently leave the index).
fn in_multi_attribute_index<E: Entity>(name: &str) -> bool {
    E::INDEXES
        .iter()
        .flat_map(|i| i.partition_key.iter().chain(i.sort_key))
        .any(|f| f.field == name)
}

/// Rewrites a stamp encoded as ISO 8601 UTC text in `form`.
fn restamp(item: &mut Item, attribute: &str, form: StampForm) {
    if let Some(AttributeValue::S(text)) = item.get_mut(attribute)
        && let Ok(at) = DateTime::parse_from_rfc3339(text)
    {
        *text = form.text(at.to_utc());
    }
}

/// The fields and joined attributes some key holds whole: the key template is just `{name}`.
fn aliases<E: Entity>() -> impl Iterator<Item = &'static str> {
    E::KEYS.iter().filter_map(alias_of)
}

/// The field a key holds whole, if its template is just one placeholder.
fn alias_of(key: &KeyTemplate) -> Option<&'static str> {
    match key.parts {
        [super::TemplatePart::Field { name, width: None }] => Some(name),
        _ => None,
    }
}

/// Puts back the fields an item keeps only in its keys (used by generated code, before
/// decoding): each absent field is read from a key holding it, whole first, then from any key
/// template that reads it unambiguously. A key that reads two ways is a typed error naming the
/// table and attribute, never a guess. Padded placeholders give numbers, others strings.
#[doc(hidden)]
pub fn restore_fields<E: Entity>(item: &mut Item) -> Result<(), DecodeError> {
    if E::STORE_ALIASES {
        return Ok(());
    }
    let layout = E::layout();
    for field in E::FIELDS {
        if item.contains_key(field.stored) {
            continue;
        }
        if let Some(value) = value_from_keys::<E>(item, field.name, layout.name)? {
            item.insert(field.stored.to_owned(), value);
        }
    }
    Ok(())
}

/// Field `name`'s value read from the item's keys; the error names the table and key attribute.
fn value_from_keys<E: Entity>(
    item: &Item,
    name: &str,
    table: &str,
) -> Result<Option<AttributeValue>, DecodeError> {
    let mut keys: Vec<&KeyTemplate> = E::KEYS.iter().filter(|k| k.fields.contains(&name)).collect();
    // Keys holding the field whole first: they read back without any split.
    keys.sort_by_key(|k| alias_of(k).is_none());
    for key in keys {
        let Some(AttributeValue::S(text)) = item.get(key.attribute) else {
            continue;
        };
        let fields = key
            .plan()
            .parse_key(text)
            .map_err(|e: TemplateError| DecodeError::custom(e.to_string()).at(table, key.attribute))?;
        if let Some(value) = fields.get(name) {
            let padded = key
                .parts
                .iter()
                .any(|p| matches!(p, super::TemplatePart::Field { name: n, width: Some(_) } if *n == name));
            return Ok(Some(if padded {
                AttributeValue::N(value.clone())
            } else {
                AttributeValue::S(value.clone())
            }));
        }
    }
    Ok(None)
}

//! Which entity type an item of a shared table belongs to: by the layout's entity-type
//! attribute, or, for an item that stores none, by the first type whose table key templates
//! read its keys back. Collections and change streams classify items the same way.

use super::{KeyTemplate, Layout, Ownership};
use crate::{AttributeValue, Item};

/// One entity type a reader accepts: its entity-type name and its key templates.
pub(crate) type Candidate = (&'static str, &'static [KeyTemplate]);

/// The position in `candidates` of the item's type, and how to check its ownership when
/// decoding; `None` when it is of no candidate type.
pub(crate) fn classify(
    layout: &Layout,
    candidates: impl IntoIterator<Item = Candidate>,
    item: &Item,
) -> Option<(usize, Ownership)> {
    let mut candidates = candidates.into_iter();
    if let Some(attribute) = layout.entity_attribute
        && let Some(AttributeValue::S(entity)) = item.get(attribute)
    {
        return candidates
            .position(|(name, _)| name == entity)
            .map(|i| (i, Ownership::Check));
    }
    candidates
        .position(|(_, keys)| {
            keys.iter()
                .filter(|k| k.index.is_none())
                .all(|k| match item.get(k.attribute) {
                    Some(AttributeValue::S(text)) => k.plan().matches(text),
                    _ => false,
                })
        })
        .map(|i| (i, Ownership::Ignore))
}

//! Guards for `#[dynorm(immutable)]` attributes: conditions that let a write set such an
//! attribute the first time (or to the value it already holds) and fail otherwise, and the typed
//! error that names the attribute when one did.

use crate::expr::{self, ImmutableEffect};
use crate::validate::value_text;
use crate::{AttributeValue, Error, Item};

/// The immutable attributes one write touches, and what it does to each.
#[derive(Debug, Clone, Default)]
pub(crate) struct Guards(Vec<(&'static str, ImmutableEffect)>);

impl Guards {
    /// No guard (a table without immutable attributes, a delete).
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// A whole item replacing whatever is stored: every immutable attribute is set to the
    /// item's value, or removed when the item lacks it.
    pub(crate) fn for_item(immutable: &[&'static str], item: &Item) -> Self {
        Self(
            immutable
                .iter()
                .map(|a| {
                    let effect = match item.get(*a) {
                        Some(v) => ImmutableEffect::Sets(v.clone()),
                        None => ImmutableEffect::Changes(None),
                    };
                    (*a, effect)
                })
                .collect(),
        )
    }

    /// The immutable attributes an update touches.
    pub(crate) fn for_update(immutable: &[&'static str], update: &expr::Update) -> Self {
        Self(update.immutable_effects(immutable))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The condition: each attribute absent, or (when set to a value) already equal to it.
    pub(crate) fn condition(&self) -> Option<expr::Condition> {
        self.0
            .iter()
            .map(|(attribute, effect)| match effect {
                ImmutableEffect::Sets(v) => expr::attr(*attribute)
                    .not_exists()
                    .or(expr::attr(*attribute).eq(expr::Value::from(v.clone()))),
                ImmutableEffect::Changes(_) => expr::attr(*attribute).not_exists(),
            })
            .reduce(expr::Condition::and)
    }

    /// The error for a failed write, when the stored item shows a guard was what failed.
    pub(crate) fn violation(&self, table: &str, key: &str, stored: Option<&Item>) -> Option<Error> {
        let stored = stored?;
        self.0.iter().find_map(|(attribute, effect)| {
            let old = stored.get(*attribute)?;
            let attempted = match effect {
                ImmutableEffect::Sets(v) if same(v, old) => return None,
                ImmutableEffect::Sets(v) => Some(value_text(v)),
                ImmutableEffect::Changes(what) => what.clone(),
            };
            Some(Error::ImmutableAttribute {
                table: table.to_owned(),
                key: key.to_owned(),
                attribute: (*attribute).to_owned(),
                stored: value_text(old),
                attempted,
            })
        })
    }
}

/// Whether two stored values are the same (sets compare as sets, whatever their order).
fn same(a: &AttributeValue, b: &AttributeValue) -> bool {
    fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
        let mut v = v.to_vec();
        v.sort();
        v
    }
    match (a, b) {
        (AttributeValue::Ss(x), AttributeValue::Ss(y)) => sorted(x) == sorted(y),
        (AttributeValue::Ns(x), AttributeValue::Ns(y)) => sorted(x) == sorted(y),
        (AttributeValue::Bs(x), AttributeValue::Bs(y)) => {
            let bytes = |v: &[aws_sdk_dynamodb::primitives::Blob]| {
                sorted(&v.iter().map(|b| b.as_ref().to_vec()).collect::<Vec<_>>())
            };
            bytes(x) == bytes(y)
        }
        _ => a == b,
    }
}

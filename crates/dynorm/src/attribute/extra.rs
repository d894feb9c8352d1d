//! The types a `#[dynorm(extra)]` field can have: a map from attribute name to the value as
//! stored, holding every attribute the type does not name (dynamo_query's extra data).

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use crate::AttributeValue;

/// A map of attributes kept as stored, for a `#[dynorm(extra)]` field: [`Item`](crate::Item)
/// (a `HashMap<String, AttributeValue>`) or a `BTreeMap<String, AttributeValue>`.
///
/// On a read, the field receives every attribute of the item that no field, key, joined
/// attribute or entity-type attribute of the type claims; on a write they are stored beside
/// the type's own, and one the type claims is refused (it never shadows a key or a computed
/// attribute).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::{AttributeValue, Item, Table};
///
/// #[derive(Table, Debug, PartialEq)]
/// #[dynorm(table = "records")]
/// struct Record {
///     #[dynorm(partition_key)]
///     id: String,
///     name: String,
///     #[dynorm(extra)]
///     extra: Item,
/// }
///
/// let db = dynorm::Client::embedded()?;
/// let records = db.table::<Record>();
/// records.create().await?;
/// let extra = Item::from([("color".to_owned(), AttributeValue::S("red".into()))]);
/// let record = Record { id: "r1".into(), name: "Ada".into(), extra };
/// records.put(&record).await?;
/// assert_eq!(records.get(Record::key("r1")).await?, Some(record));
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[dynorm(extra)]` needs a map of attributes, not `{Self}`",
    label = "not a map of attributes",
    note = "use `dynorm::Item` or `BTreeMap<String, dynorm::AttributeValue>`"
)]
pub trait ExtraAttributes: Sized {
    /// The attributes left over on a read.
    fn from_attributes(attributes: impl Iterator<Item = (String, AttributeValue)>) -> Self;

    /// The attributes to store, by name.
    fn attributes(&self) -> Vec<(&str, &AttributeValue)>;
}

impl<S: BuildHasher + Default> ExtraAttributes for HashMap<String, AttributeValue, S> {
    fn from_attributes(attributes: impl Iterator<Item = (String, AttributeValue)>) -> Self {
        attributes.collect()
    }

    fn attributes(&self) -> Vec<(&str, &AttributeValue)> {
        self.iter().map(|(k, v)| (k.as_str(), v)).collect()
    }
}

impl ExtraAttributes for BTreeMap<String, AttributeValue> {
    fn from_attributes(attributes: impl Iterator<Item = (String, AttributeValue)>) -> Self {
        attributes.collect()
    }

    fn attributes(&self) -> Vec<(&str, &AttributeValue)> {
        self.iter().map(|(k, v)| (k.as_str(), v)).collect()
    }
}

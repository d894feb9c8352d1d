//! [`UpsertBuilder`]: write a value's attributes with UpdateItem, keeping what the value does not
//! own (dynamo_query's `upsert_record`): the creation time stamped once, the modification time
//! stamped always, attributes set only if absent, and attributes the value leaves empty removed.

use std::collections::HashSet;
use std::fmt;
use std::future::IntoFuture;

use chrono::{DateTime, Utc};

use crate::client::{
    BoxFuture, Conditions, classify_failure, condition_methods, decode_with, encode_error, into_future,
    name_table, system_condition,
};
use crate::definition::AttributeType;
use crate::engine::ops::{Condition, ReturnValues, UpdateItem};
use crate::expr::{self, Update, Value};
use crate::immutable::Guards;
use crate::{Attribute, AttributeValue, EpochSeconds, Item, Result, Table, TableClient, validate};

impl<T: Table> TableClient<T> {
    /// Upserts `value`: one UpdateItem that SETs every non-key attribute of the value, REMOVEs
    /// the table's attributes the value leaves empty (`None`), stamps
    /// [`Table::CREATED_AT_ATTRIBUTE`] only when the item is new (`if_not_exists`) and
    /// [`Table::UPDATED_AT_ATTRIBUTE`] always, and returns the stored item.
    ///
    /// Stamps are ISO 8601 UTC text (`2024-05-01T12:00:00.123Z`), or epoch seconds when the
    /// attribute is declared as a number (`EpochSeconds`, `#[dynorm(epoch_seconds)]`) or the value
    /// encodes it as one. On a versioned table the stored version is incremented (not checked:
    /// an upsert writes whatever is there).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
    /// use dynorm::Table;
    ///
    /// #[derive(Table, Debug)]
    /// #[dynorm(table = "profiles")]
    /// struct Profile {
    ///     #[dynorm(partition_key)]
    ///     id: String,
    ///     name: String,
    ///     referrer: Option<String>,
    /// }
    ///
    /// let client = dynorm::Client::embedded()?;
    /// client.create_table(Profile::definition()).await?;
    /// let profiles = client.table::<Profile>();
    /// let first = Profile { id: "p".into(), name: "Ada".into(), referrer: Some("bob".into()) };
    /// profiles.upsert(&first).set_if_not_exists(["referrer"]).await?;
    /// let again = Profile { id: "p".into(), name: "Ada L.".into(), referrer: Some("eve".into()) };
    /// let stored = profiles.upsert(&again).set_if_not_exists(["referrer"]).await?;
    /// assert_eq!(stored.name, "Ada L.");
    /// assert_eq!(stored.referrer.as_deref(), Some("bob")); // set only once
    /// # Ok(()) }
    /// ```
    pub fn upsert(&self, value: &T) -> UpsertBuilder<T> {
        UpsertBuilder {
            table: self.clone(),
            item: value.to_item(),
            if_not_exists: HashSet::new(),
            conditions: Conditions::default(),
        }
    }
}

/// An upsert waiting to be sent: `.send().await` or just `.await`. See [`TableClient::upsert`].
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct UpsertBuilder<T> {
    table: TableClient<T>,
    item: std::result::Result<Item, crate::EncodeError>,
    if_not_exists: HashSet<String>,
    conditions: Conditions,
}

impl<T> fmt::Debug for UpsertBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertBuilder")
            .field("table", &self.table.name)
            .field("item", &self.item)
            .field("if_not_exists", &self.if_not_exists)
            .field("conditions", &self.conditions)
            .finish()
    }
}

/// The current time as the stored form of a timestamp attribute: epoch seconds when the
/// definition or the value's own encoding says number, ISO 8601 text otherwise.
fn stamp(
    definition: &crate::TableDefinition,
    attribute: &str,
    sample: Option<&AttributeValue>,
    now: DateTime<Utc>,
) -> Value {
    let declared = definition.attribute(attribute).map(|a| a.attribute_type);
    let numeric = matches!(
        declared,
        Some(AttributeType::Number | AttributeType::DatetimeEpoch)
    ) || matches!(sample, Some(AttributeValue::N(_)));
    if numeric {
        Value::from_result(EpochSeconds(now).encode())
    } else {
        Value::from_result(now.encode())
    }
}

impl<T: Table> UpsertBuilder<T> {
    condition_methods!();

    /// Attributes set only when the stored item does not have them yet (`if_not_exists`); an
    /// attribute the value leaves empty is then left alone rather than removed.
    pub fn set_if_not_exists<S: Into<String>>(mut self, attributes: impl IntoIterator<Item = S>) -> Self {
        self.if_not_exists.extend(attributes.into_iter().map(Into::into));
        self
    }

    /// Sends the request: the item as stored after the upsert.
    pub async fn send(self) -> Result<T> {
        let name = &self.table.name;
        let definition = T::definition();
        // Refuse values nested too deeply first: building the update walks them recursively.
        let mut item = crate::engine::guard_item(name, self.item.map_err(|e| encode_error(name, e))?)?;
        validate::check_item(name, definition, &item)?;
        let is_key = |a: &str| a == definition.partition_key || definition.sort_key.as_deref() == Some(a);
        let created = T::CREATED_AT_ATTRIBUTE;
        let updated = T::UPDATED_AT_ATTRIBUTE;
        let version = T::VERSION_ATTRIBUTE;
        let managed = |a: &str| Some(a) == created || Some(a) == updated || Some(a) == version;

        // One instant for both stamps: a new item's creation and modification times are equal.
        let now = Utc::now();
        let mut update = Update::new();
        if let Some(c) = created {
            update = update.set_if_not_exists(c, stamp(definition, c, item.get(c), now));
        }
        if let Some(u) = updated {
            update = update.set(u, stamp(definition, u, item.get(u), now));
        }
        if let Some(v) = version {
            update = update.add(v, 1u64);
        }
        let key: Item = item
            .iter()
            .filter(|(k, _)| is_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let shown_key = key.clone();
        // Sorted, so the same value always renders the same expression.
        let present: HashSet<String> = item.keys().cloned().collect();
        let mut names: Vec<String> = item
            .keys()
            .filter(|k| !is_key(k) && !managed(k))
            .cloned()
            .collect();
        names.sort_unstable();
        for attribute in names {
            let Some(value) = item.remove(&attribute) else {
                continue;
            };
            update = if self.if_not_exists.contains(&attribute) {
                update.set_if_not_exists(attribute, Value::from(value))
            } else {
                update.set(attribute, Value::from(value))
            };
        }
        for a in &definition.attributes {
            let a = a.name.as_str();
            // Left out of the encoded item: empty in the value.
            if !is_key(a) && !managed(a) && !present.contains(a) && !self.if_not_exists.contains(a) {
                update = update.remove(a);
            }
        }
        let user_wants_item = self.conditions.return_item;
        let mut attributes = expr::ExpressionAttributes::new();
        let update_expression = update.render(&mut attributes).map_err(|e| name_table(name, e))?;
        let guards = Guards::for_update(T::IMMUTABLE_ATTRIBUTES, &update);
        let (condition_expression, raw) =
            self.conditions
                .render(name, system_condition(None, &guards), &mut attributes)?;
        let (names, values) = attributes.into_parts();
        let mut names = names.unwrap_or_default();
        let mut values = values.unwrap_or_default();
        if let Some(Condition {
            names: raw_names,
            values: raw_values,
            ..
        }) = raw
        {
            names.extend(raw_names);
            values.extend(raw_values);
        }
        let stored = self
            .table
            .client
            .engine_update_item(UpdateItem {
                table: name.clone(),
                key,
                update_expression,
                condition_expression,
                names,
                values,
                return_values: ReturnValues::AllNew,
                return_item_on_condition_failure: user_wants_item || !guards.is_empty(),
            })
            .await
            .map_err(|e| classify_failure::<T>(e, name, &shown_key, None, &guards, user_wants_item))?;
        decode_with(name, stored.unwrap_or_default(), T::from_item)
    }
}

into_future!(UpsertBuilder, T);

//! [`UpdateBuilder`]: UpdateItem by typed key, with built update actions, conditions, return
//! values and optimistic locking.

use std::fmt;
use std::future::IntoFuture;

use crate::client::{
    BoxFuture, Conditions, classify_failure, condition_methods, decode_with, encode_error, into_future,
    name_table, system_condition,
};
use crate::engine::ops::{Condition, ReturnValues, UpdateItem};
use crate::expr::{self, IntoValue, Path, SetValue, Update};
use crate::immutable::Guards;
use crate::{AttributeValue, Error, Item, Key, Result, Table, TableClient, validate};

impl<T: Table> TableClient<T> {
    /// Updates the item with this key (creating it if absent, unless
    /// [`must_exist`](UpdateBuilder::must_exist)), with [`Update`] actions or the builder's
    /// fluent `set`, `add`, `remove`, ... methods.
    ///
    /// Key attributes cannot be changed: an action on one is refused with
    /// [`Error::InvalidKey`]. On a versioned table every update increments the stored version;
    /// give [`UpdateBuilder::expected_version`] to also check it.
    pub fn update(&self, key: Key<T>) -> UpdateBuilder<T> {
        UpdateBuilder {
            table: self.clone(),
            key,
            update: Update::new(),
            expected_version: None,
            conditions: Conditions::default(),
        }
    }
}

/// An UpdateItem waiting to be sent: `.send().await` or just `.await`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::Table;
/// use dynorm::expr::{attr, Update};
///
/// #[derive(Table, Debug)]
/// #[dynorm(table = "counters")]
/// struct Counter {
///     #[dynorm(partition_key)]
///     id: String,
///     hits: i64,
///     label: Option<String>,
/// }
///
/// let client = dynorm::Client::embedded()?;
/// client.create_table(Counter::definition()).await?;
/// let counters = client.table::<Counter>();
/// let key = || Counter::key("home".to_owned());
///
/// // Fluent actions...
/// let c = counters.update(key()).set("hits", 1).set("label", "Home").return_new().await?;
/// assert_eq!(c.hits, 1);
/// // ... or a built `Update`, with a condition; `return_updated` gives the changed attributes.
/// let changed = counters
///     .update(key())
///     .apply(Update::new().increment("hits", 2).remove("label"))
///     .condition(attr("hits").lt(10))
///     .return_updated()
///     .await?;
/// assert_eq!(changed.get("hits"), Some(&dynorm::AttributeValue::N("3".into())));
/// // Key attributes cannot be updated.
/// assert!(counters.update(key()).set("id", "other").await.is_err());
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct UpdateBuilder<T> {
    table: TableClient<T>,
    key: Key<T>,
    update: Update,
    expected_version: Option<u64>,
    conditions: Conditions,
}

impl<T> fmt::Debug for UpdateBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateBuilder")
            .field("table", &self.table.name)
            .field("key", &self.key)
            .field("update", &self.update)
            .field("expected_version", &self.expected_version)
            .field("conditions", &self.conditions)
            .finish()
    }
}

impl<T: Table> UpdateBuilder<T> {
    condition_methods!();

    /// Adds the actions of a built [`Update`].
    pub fn apply(mut self, update: Update) -> Self {
        self.update = self.update.merge(update);
        self
    }

    /// `SET path = value` ([`Update::set`]; a value that encodes to nothing removes the attribute).
    pub fn set(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.update = self.update.set(path, value);
        self
    }

    /// `SET path = <any SET value>` ([`Update::set_to`]).
    pub fn set_to(mut self, path: impl Into<Path>, value: SetValue) -> Self {
        self.update = self.update.set_to(path, value);
        self
    }

    /// `SET path = if_not_exists(path, value)` ([`Update::set_if_not_exists`]).
    pub fn set_if_not_exists(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.update = self.update.set_if_not_exists(path, value);
        self
    }

    /// `SET path = path + by` ([`Update::increment`]).
    pub fn increment(mut self, path: impl Into<Path>, by: impl IntoValue) -> Self {
        self.update = self.update.increment(path, by);
        self
    }

    /// `SET path = path - by` ([`Update::decrement`]).
    pub fn decrement(mut self, path: impl Into<Path>, by: impl IntoValue) -> Self {
        self.update = self.update.decrement(path, by);
        self
    }

    /// Adds elements at the end of a list ([`Update::append`]).
    pub fn append(mut self, path: impl Into<Path>, list: impl IntoValue) -> Self {
        self.update = self.update.append(path, list);
        self
    }

    /// Adds elements at the start of a list ([`Update::prepend`]).
    pub fn prepend(mut self, path: impl Into<Path>, list: impl IntoValue) -> Self {
        self.update = self.update.prepend(path, list);
        self
    }

    /// `REMOVE path` ([`Update::remove`]).
    pub fn remove(mut self, path: impl Into<Path>) -> Self {
        self.update = self.update.remove(path);
        self
    }

    /// `ADD path value`: to a number or a set ([`Update::add`]).
    pub fn add(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.update = self.update.add(path, value);
        self
    }

    /// `DELETE path set`: elements from a set ([`Update::delete`]).
    pub fn delete(mut self, path: impl Into<Path>, set: impl IntoValue) -> Self {
        self.update = self.update.delete(path, set);
        self
    }

    /// On a versioned table: update only if the stored version is this one, failing with
    /// [`Error::VersionConflict`] otherwise. Ignored on a table without a version attribute.
    pub fn expected_version(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    /// Have the call return the whole item as it is after the update, decoded.
    pub fn return_new(self) -> UpdateReturnNew<T> {
        UpdateReturnNew { update: self }
    }

    /// Have the call return the attributes the update changed, as they are now.
    pub fn return_updated(self) -> UpdateReturnUpdated<T> {
        UpdateReturnUpdated { update: self }
    }

    /// Have the call return the item as it was before the update (`None` when it did not exist).
    pub fn return_old(self) -> UpdateReturnOld<T> {
        UpdateReturnOld { update: self }
    }

    /// Sends the request.
    pub async fn send(self) -> Result<()> {
        self.execute(ReturnValues::None).await.map(|_| ())
    }

    async fn execute(self, return_values: ReturnValues) -> Result<Option<Item>> {
        let name = &self.table.name;
        let definition = T::definition();
        let key = self.key.into_item().map_err(|e| encode_error(name, e))?;
        validate::check_key(name, definition, &key)?;
        let mut update = self.update;
        if let Some(attribute) = T::VERSION_ATTRIBUTE {
            update = update.add(attribute, 1u64);
        }
        let mut attributes = expr::ExpressionAttributes::new();
        let update_expression = update.render(&mut attributes).map_err(|e| name_table(name, e))?;
        check_no_key_targets(name, definition, &update_expression, &attributes)?;
        let version = T::VERSION_ATTRIBUTE.zip(self.expected_version);
        let user_wants_item = self.conditions.return_item;
        let guards = Guards::for_update(T::IMMUTABLE_ATTRIBUTES, &update);
        let (condition_expression, raw) =
            self.conditions
                .render(name, system_condition(version, &guards), &mut attributes)?;
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
        let shown_key = (version.is_some() || !guards.is_empty()).then(|| key.clone());
        self.table
            .client
            .engine_update_item(UpdateItem {
                table: name.clone(),
                key,
                update_expression,
                condition_expression,
                names,
                values,
                return_values,
                return_item_on_condition_failure: user_wants_item || shown_key.is_some(),
            })
            .await
            .map_err(|e| {
                classify_failure::<T>(
                    e,
                    name,
                    shown_key.as_ref().unwrap_or(&Item::new()),
                    version.map(|(_, v)| v),
                    &guards,
                    user_wants_item,
                )
            })
    }
}

into_future!(UpdateBuilder, (), any_t);

/// Refuses an update whose actions target a key attribute: DynamoDB would refuse it too, with a
/// message that names neither the table nor the attribute.
fn check_no_key_targets(
    table: &str,
    definition: &crate::TableDefinition,
    expression: &str,
    attributes: &expr::ExpressionAttributes,
) -> Result<()> {
    for placeholder in action_targets(expression) {
        let Some(name) = attributes.names().get(placeholder) else {
            continue;
        };
        if *name == definition.partition_key || definition.sort_key.as_deref() == Some(name.as_str()) {
            return Err(Error::InvalidKey {
                table: table.to_owned(),
                attribute: name.clone(),
                reason: "an update cannot change a key attribute; write a new item and delete the old one"
                    .to_owned(),
            });
        }
    }
    Ok(())
}

/// The name placeholders of the top-level attribute each action of a rendered update expression
/// targets (`SET #n0 = ..., #n1.#n2 = ... REMOVE #n3` gives `#n0`, `#n1`, `#n3`).
fn action_targets(expression: &str) -> Vec<&str> {
    const KEYWORDS: [&str; 4] = ["SET ", "REMOVE ", "ADD ", "DELETE "];
    let bytes = expression.as_bytes();
    let mut targets = Vec::new();
    let mut depth = 0usize;
    let mut expect_target = true;
    let mut i = 0;
    while i < bytes.len() {
        if expect_target {
            let rest = &expression[i..];
            if let Some(k) = KEYWORDS.iter().find(|k| rest.starts_with(*k)) {
                i += k.len();
                continue;
            }
            if bytes[i] == b'#' {
                let end = rest[1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(rest.len(), |e| e + 1);
                targets.push(&rest[..end]);
                i += end;
                expect_target = false;
                continue;
            }
            if bytes[i] == b' ' {
                i += 1;
                continue;
            }
            expect_target = false;
        }
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => expect_target = true,
            b' ' if depth == 0 => {
                let rest = &expression[i + 1..];
                if KEYWORDS.iter().any(|k| rest.starts_with(k)) {
                    expect_target = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    targets
}

/// An UpdateItem returning the item as it is after the update.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct UpdateReturnNew<T> {
    update: UpdateBuilder<T>,
}

impl<T: Table> UpdateReturnNew<T> {
    /// Sends the request: the item as it is now.
    pub async fn send(self) -> Result<T> {
        let name = self.update.table.name.clone();
        let item = self.update.execute(ReturnValues::AllNew).await?;
        decode_with(&name, item.unwrap_or_default(), T::from_item)
    }
}

into_future!(UpdateReturnNew, T);

/// An UpdateItem returning the attributes it changed, as they are now.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct UpdateReturnUpdated<T> {
    update: UpdateBuilder<T>,
}

impl<T: Table> UpdateReturnUpdated<T> {
    /// Sends the request: the updated attributes (`UPDATED_NEW`; removed ones are absent).
    pub async fn send(self) -> Result<Item> {
        Ok(self
            .update
            .execute(ReturnValues::UpdatedNew)
            .await?
            .unwrap_or_default())
    }
}

into_future!(UpdateReturnUpdated, Item, any_t);

/// An UpdateItem returning the item as it was before the update.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct UpdateReturnOld<T> {
    update: UpdateBuilder<T>,
}

impl<T: Table> UpdateReturnOld<T> {
    /// Sends the request: the item as it was, `None` when the update created it.
    ///
    /// The embedded engine answers `ALL_OLD` for an item it creates with the key attributes
    /// alone (DynamoDB answers nothing); an answer holding exactly the key is therefore read as
    /// "there was no item".
    pub async fn send(self) -> Result<Option<T>> {
        let name = self.update.table.name.clone();
        let key = self.update.key.as_item().ok().cloned();
        let item = self.update.execute(ReturnValues::AllOld).await?;
        item.filter(|item| Some(item) != key.as_ref())
            .map(|item| decode_with(&name, item, T::from_item))
            .transpose()
    }
}

into_future!(UpdateReturnOld, Option<T>);

#[cfg(test)]
mod tests {
    use super::action_targets;

    #[test]
    fn finds_action_targets() {
        assert_eq!(
            action_targets("SET #n0 = :v0, #n1.#n2 = if_not_exists(#n3, :v1) REMOVE #n4, #n5[0] ADD #n6 :v2"),
            vec!["#n0", "#n1", "#n4", "#n5", "#n6"]
        );
        assert_eq!(
            action_targets("SET #n0 = list_append(#n0, :v0), #n1 = #n2 + :v1 DELETE #n3 :v2"),
            vec!["#n0", "#n1", "#n3"]
        );
    }
}

//! The one write path: every route that writes (put, update, delete, upsert, batch writes,
//! transaction items, entity writes, backfill) builds its request here, so the model's rules hold
//! on all of them:
//!
//! - **version**: a versioned write expects the stored version (0: none) and stores version + 1;
//!   an update bumps the version and checks it when one is expected;
//! - **computed attributes**: an update's changes are completed with every attribute the type
//!   computes from the changed ones (an entity's index keys and joined attributes), or refused
//!   naming what is missing; writing a computed attribute directly is refused (the builders'
//!   `raw_*` methods are the escape hatch);
//! - **immutable attributes**: guarded by a condition DynamoDB checks;
//! - **stamps**: `created_at` / `updated_at` from one clock reading per call ([`Stamp`]);
//! - **validation**: keys and item size, before anything is sent;
//! - **schema version** (`#[dynorm(schema_version = N)]`): every whole-item write (put, batch
//!   put, transaction put, upsert) stores the current version, an upsert also removes the
//!   attributes only older versions stored; an update that writes an attribute some older
//!   version does not store is conditioned on the item being absent or current (and stores the
//!   current version), so it never leaves a half-upgraded item ([`Error::OutdatedSchemaVersion`]
//!   otherwise). An update writing only attributes every version stores (a counter) applies to
//!   an item of any version and leaves its version as it is. An update that sets the version
//!   attribute itself (the upgrade's rewrite, through `raw_apply`) is trusted.
//!
//! A failed condition is explained by [`Failure::explain`]: a version conflict, an immutable
//! attribute, or the caller's own condition.

use chrono::{DateTime, Utc};

use crate::definition::AttributeType;
use crate::engine::request::{Placeholders, TxKind, TxWrite};
use crate::error::EncodeError;
use crate::expr::{self, ExpressionAttributes, Update, Value};
use crate::immutable::Guards;
use crate::{
    Attribute, AttributeValue, EpochSeconds, Error, Item, Key, Result, Table, TableDefinition, validate,
};

/// The conditions a write carries on the caller's behalf: a built [`expr::Condition`], the raw
/// escape hatch, and whether to return the old item when they fail.
#[derive(Debug, Default, Clone)]
pub(crate) struct Conditions {
    pub(crate) typed: Option<expr::Condition>,
    pub(crate) raw: Option<RawCondition>,
    pub(crate) return_item: bool,
    /// The item must already exist (`attribute_exists` on the partition key); its absence is
    /// [`Error::NotFound`], told apart from other failed conditions by [`Failure::explain`].
    pub(crate) must_exist: bool,
}

/// A condition written by hand, with its own placeholders.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawCondition {
    pub(crate) expression: String,
    pub(crate) placeholders: Placeholders,
}

impl Conditions {
    /// Adds a condition (ANDed with those already given).
    pub(crate) fn and(&mut self, condition: expr::Condition) {
        self.typed = Some(match self.typed.take() {
            Some(c) => c & condition,
            None => condition,
        });
    }

    /// The raw condition, created empty on first use.
    pub(crate) fn raw(&mut self) -> &mut RawCondition {
        self.raw.get_or_insert_with(RawCondition::default)
    }

    /// Renders the built condition (ANDed with `system`, the model's own conditions) into
    /// `attributes` and joins the raw expression, whose placeholders must not collide.
    fn render(
        self,
        table: &str,
        system: Option<expr::Condition>,
        attributes: &mut ExpressionAttributes,
    ) -> Result<(Option<String>, Option<Placeholders>)> {
        let typed = match (self.typed, system) {
            (Some(a), Some(b)) => Some(a & b),
            (a, b) => a.or(b),
        };
        let text = typed
            .map(|c| c.render(attributes))
            .transpose()
            .map_err(|e| name_table(table, e))?;
        let Some(raw) = self.raw else {
            return Ok((text, None));
        };
        let taken = raw
            .placeholders
            .names
            .keys()
            .find(|p| attributes.names().contains_key(*p))
            .or_else(|| {
                raw.placeholders
                    .values
                    .keys()
                    .find(|p| attributes.values().contains_key(*p))
            });
        if let Some(placeholder) = taken {
            return Err(Error::InvalidExpression {
                table: table.to_owned(),
                message: format!(
                    "the raw condition's placeholder `{placeholder}` is also one dynorm generated for a built condition; rename it (dynorm uses `#n<number>` and `:v<number>`)"
                ),
            });
        }
        let expression = match text {
            Some(t) => format!("({}) AND ({t})", raw.expression),
            None => raw.expression,
        };
        Ok((Some(expression), Some(raw.placeholders)))
    }
}

/// Names the table of an expression error.
pub(crate) fn name_table(table: &str, e: Error) -> Error {
    match e {
        Error::InvalidExpression { table: t, message } if t.is_empty() => Error::InvalidExpression {
            table: table.to_owned(),
            message,
        },
        other => other,
    }
}

/// Names the table written in an encoding error (whatever name the type declares).
pub(crate) fn encode_error(table: &str, e: EncodeError) -> Error {
    Error::Encode(e.in_table(table))
}

/// One clock reading, shared by every stamp of one call: a new item's `created_at` equals its
/// `updated_at`, and every item of one batch gets the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp(DateTime<Utc>);

impl Stamp {
    pub(crate) fn now() -> Self {
        Self(Utc::now())
    }

    /// The time in the stored form of `attribute` (epoch seconds for number attributes, as a
    /// `sample` value of it shows or its declared type says; ISO 8601 text otherwise).
    pub(crate) fn value(
        self,
        definition: &TableDefinition,
        attribute: &str,
        sample: Option<&AttributeValue>,
        form: crate::format::StampForm,
    ) -> Result<AttributeValue> {
        let declared = definition.attribute(attribute).map(|a| a.attribute_type);
        let numeric = matches!(
            declared,
            Some(AttributeType::Number | AttributeType::DatetimeEpoch)
        ) || matches!(sample, Some(AttributeValue::N(_)));
        let encoded = if numeric {
            EpochSeconds(self.0).encode()
        } else {
            Ok(Some(AttributeValue::S(form.text(self.0))))
        };
        encoded
            .map_err(|e| encode_error(&definition.name, e.at(&definition.name, attribute)))?
            .ok_or_else(|| {
                Error::Encode(
                    EncodeError::new("the current time encodes to nothing").at(&definition.name, attribute),
                )
            })
    }
}

/// A write with the model's rules applied, ready to become an engine request.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) table: String,
    /// The key of the item written.
    pub(crate) key: Item,
    /// The whole item, for a put.
    pub(crate) item: Option<Item>,
    /// The update expression, for an update.
    pub(crate) update: Option<String>,
    pub(crate) condition: Option<String>,
    pub(crate) placeholders: Placeholders,
    /// The version stored by a versioned put.
    pub(crate) written_version: Option<u64>,
    pub(crate) failure: Failure,
}

impl Prepared {
    /// As one item of a TransactWriteItems.
    pub(crate) fn into_transaction_item(self, kind: TxKind) -> TxWrite {
        TxWrite {
            kind,
            table: self.table,
            return_old_on_failure: self.failure.needs_item(),
            item: self.item.unwrap_or(self.key),
            update: self.update,
            condition: self.condition,
            placeholders: self.placeholders,
        }
    }
}

/// What explains a failed condition of one write.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    definition: &'static TableDefinition,
    /// The key, when a version or immutable-attribute failure may have to show it.
    key: Item,
    version: Option<(&'static str, u64)>,
    guards: Guards,
    user_wants_item: bool,
    must_exist: bool,
    /// The current schema version an update required of the item, and what the item is.
    schema: Option<SchemaGuard>,
}

/// An update's requirement that the item be absent or stored at the current schema version.
#[derive(Debug, Clone)]
pub(crate) struct SchemaGuard {
    current: u32,
    what: String,
}

impl Failure {
    /// Whether the stored item must come back with a failed condition to explain it.
    pub(crate) fn needs_item(&self) -> bool {
        self.user_wants_item
            || self.must_exist
            || self.version.is_some()
            || !self.guards.is_empty()
            || self.schema.is_some()
    }

    /// A failed condition as [`Error::NotFound`] when a write that needs the item finds none
    /// (DynamoDB returns no old item then), [`Error::VersionConflict`] when the stored version is
    /// not the one expected, [`Error::ImmutableAttribute`] when an immutable attribute would
    /// change, and the caller's own [`Error::ConditionalCheckFailed`] otherwise (with the old
    /// item only if asked).
    pub(crate) fn explain(&self, error: Error) -> Error {
        let Error::ConditionalCheckFailed { table, item } = error else {
            return error;
        };
        if self.must_exist && item.is_none() {
            return Error::NotFound {
                table,
                key: validate::render_key(self.definition, &self.key),
            };
        }
        if let Some((attribute, expected)) = self.version {
            let found = stored_version(attribute, item.as_deref());
            if found.unwrap_or(0) != expected {
                return Error::VersionConflict {
                    table,
                    key: validate::render_key(self.definition, &self.key),
                    expected,
                    found,
                };
            }
        }
        let shown = validate::render_key(self.definition, &self.key);
        if let Some(outdated) = self.outdated(&table, &shown, item.as_deref()) {
            return outdated;
        }
        if let Some(violation) = self.guards.violation(&table, &shown, item.as_deref()) {
            return violation;
        }
        Error::ConditionalCheckFailed {
            table,
            item: if self.user_wants_item { item } else { None },
        }
    }
}

impl Failure {
    /// [`Error::OutdatedSchemaVersion`] when the update required the current schema version and
    /// the item is stored at an older one.
    fn outdated(&self, table: &str, key: &str, item: Option<&Item>) -> Option<Error> {
        let guard = self.schema.as_ref()?;
        let stored = crate::schema_version::schema_version(item?, table, u32::MAX).ok()?;
        (stored < guard.current).then(|| Error::OutdatedSchemaVersion {
            table: table.to_owned(),
            what: guard.what.clone(),
            key: key.to_owned(),
            stored,
            current: guard.current,
        })
    }
}

/// For an update of a type with a schema version that writes an attribute some older version
/// does not store (and does not set the version itself): the guard, the condition that the
/// item is absent or current, and the update storing the current version.
fn schema_guard<T: Table>(update: Update) -> (Update, Option<(SchemaGuard, expr::Condition)>) {
    let Some(current) = T::SCHEMA_VERSION else {
        return (update, None);
    };
    let targets = update.top_level_targets();
    let every = T::attributes_of_every_version();
    if targets.contains(&crate::schema_version::SCHEMA_VERSION_ATTRIBUTE)
        || targets.iter().all(|t| every.contains(t))
    {
        return (update, None);
    }
    let attribute = crate::schema_version::SCHEMA_VERSION_ATTRIBUTE;
    let condition =
        expr::attr(T::definition().partition_key.as_str()).not_exists() | expr::attr(attribute).eq(current);
    let guard = SchemaGuard {
        current,
        what: crate::schema_version::what::<T>(),
    };
    (update.set(attribute, current), Some((guard, condition)))
}

/// The version stored in an item.
pub(crate) fn stored_version(attribute: &str, item: Option<&Item>) -> Option<u64> {
    match item?.get(attribute)? {
        AttributeValue::N(n) => n.parse().ok(),
        _ => None,
    }
}

/// The condition of a versioned write: the stored version is `expected` (0: none stored yet).
pub(crate) fn version_condition(attribute: &str, expected: u64) -> expr::Condition {
    if expected == 0 {
        expr::attr(attribute).not_exists()
    } else {
        expr::attr(attribute).eq(expected)
    }
}

/// The model's own conditions: the version check and the guards of immutable attributes.
fn system_condition(version: Option<(&str, u64)>, guards: &Guards) -> Option<expr::Condition> {
    let version = version.map(|(attribute, expected)| version_condition(attribute, expected));
    match (version, guards.condition()) {
        (Some(v), Some(g)) => Some(v.and(g)),
        (v, g) => v.or(g),
    }
}

pub(crate) use crate::validate::key_of_item;

/// The version a value of `T` carries, when `T` is versioned.
pub(crate) fn value_version<T: Table>(value: &T) -> Option<u64> {
    T::VERSION_ATTRIBUTE.map(|_| value.version().unwrap_or(0))
}

/// Finishes a write: renders the conditions with the model's own and joins the placeholders.
#[allow(clippy::too_many_arguments)]
fn finish<T: Table>(
    table: &str,
    key: Item,
    item: Option<Item>,
    update: Option<String>,
    mut attributes: ExpressionAttributes,
    version: Option<(&'static str, u64)>,
    guards: Guards,
    mut conditions: Conditions,
    schema: Option<(SchemaGuard, expr::Condition)>,
) -> Result<Prepared> {
    let user_wants_item = conditions.return_item;
    let must_exist = conditions.must_exist;
    let existing = must_exist.then(|| expr::attr(T::definition().partition_key.as_str()).exists());
    let system = match (existing, system_condition(version, &guards)) {
        (Some(e), Some(s)) => Some(e.and(s)),
        (e, s) => e.or(s),
    };
    let (schema, schema_condition) = schema.unzip();
    if let Some(c) = schema_condition {
        conditions.and(c);
    }
    let (condition, raw) = conditions.render(table, system, &mut attributes)?;
    // The key is shown only in the errors of a missing item, a version or an immutable attribute.
    let shown_key = if must_exist || version.is_some() || !guards.is_empty() || schema.is_some() {
        key.clone()
    } else {
        Item::new()
    };
    let (names, values) = attributes.into_parts();
    let mut placeholders = Placeholders {
        names: names.unwrap_or_default(),
        values: values.unwrap_or_default(),
    };
    if let Some(raw) = raw {
        placeholders.names.extend(raw.names);
        placeholders.values.extend(raw.values);
    }
    Ok(Prepared {
        table: table.to_owned(),
        written_version: None,
        failure: Failure {
            definition: T::definition(),
            key: shown_key,
            version,
            guards,
            user_wants_item,
            must_exist,
            schema,
        },
        key,
        item,
        update,
        condition,
        placeholders,
    })
}

/// A put of a whole item: versioned (expecting `expected_version`), immutable attributes
/// guarded, validated.
pub(crate) fn put<T: Table>(
    table: &str,
    item: std::result::Result<Item, EncodeError>,
    expected_version: Option<u64>,
    conditions: Conditions,
) -> Result<Prepared> {
    // Refuse values nested too deeply first: everything below may walk them recursively.
    let mut item = crate::engine::guard_item(table, item.map_err(|e| encode_error(table, e))?)?;
    let version = T::VERSION_ATTRIBUTE.zip(expected_version);
    let written = version.map(|(attribute, expected)| {
        let next = expected.saturating_add(1);
        item.insert(attribute.to_owned(), AttributeValue::N(next.to_string()));
        next
    });
    validate::check_item(table, T::definition(), &item)?;
    let guards = Guards::for_item(T::IMMUTABLE_ATTRIBUTES, &item);
    // A put needs its key only to explain a version or immutable-attribute failure.
    let key = if version.is_some() || !guards.is_empty() {
        key_of_item::<T>(&item)
    } else {
        Item::new()
    };
    let mut prepared = finish::<T>(
        table,
        key,
        Some(item),
        None,
        ExpressionAttributes::new(),
        version,
        guards,
        conditions,
        None,
    )?;
    prepared.written_version = written;
    Ok(prepared)
}

/// An update: completed with the attributes `T` computes from the changed ones (or refused),
/// then `raw` (written as given), the version bumped (and checked when `expected_version` is
/// given), immutable attributes guarded.
pub(crate) fn update<T: Table>(
    table: &str,
    key: Key<T>,
    update: Update,
    raw: Update,
    expected_version: Option<u64>,
    conditions: Conditions,
) -> Result<Prepared> {
    let definition = T::definition();
    let key = key.into_item().map_err(|e| encode_error(table, e))?;
    validate::check_key(table, definition, &key)?;
    let completed = T::complete_update(&key, &update).map_err(|e| name_table_of(table, e))?;
    let mut update = update.merge(completed).merge(raw);
    if let Some(attribute) = T::VERSION_ATTRIBUTE {
        update = update.add(attribute, 1u64);
    }
    let (update, schema) = schema_guard::<T>(update);
    let mut attributes = ExpressionAttributes::new();
    let text = update.render(&mut attributes).map_err(|e| name_table(table, e))?;
    check_no_key_targets(table, definition, &update)?;
    let guards = Guards::for_update(T::IMMUTABLE_ATTRIBUTES, &update);
    let version = T::VERSION_ATTRIBUTE.zip(expected_version);
    finish::<T>(
        table,
        key,
        None,
        Some(text),
        attributes,
        version,
        guards,
        conditions,
        schema,
    )
}

/// An upsert's removal of the attributes only older schema versions of `T` stored (none
/// present in the value, none a key): the upsert stores the current version, so it upgrades
/// the item whole.
fn remove_older_only<T: Table>(
    mut update: Update,
    present: &std::collections::HashSet<String>,
    if_not_exists: &std::collections::HashSet<String>,
) -> Update {
    let current = T::stored_attributes();
    let mut older: Vec<&str> = T::earlier_stored_attributes()
        .into_iter()
        .filter(|a| !current.contains(a) && !present.contains(*a) && !if_not_exists.contains(*a))
        .collect();
    older.sort_unstable();
    older.dedup();
    for a in older {
        update = update.remove(a);
    }
    update
}

/// Names the table in an error a model hook raised without one.
fn name_table_of(table: &str, e: Error) -> Error {
    match e {
        Error::IncompleteUpdate {
            table: t,
            entity,
            index,
            attribute,
            missing,
        } if t.is_empty() => Error::IncompleteUpdate {
            table: table.to_owned(),
            entity,
            index,
            attribute,
            missing,
        },
        Error::ComputedAttribute {
            table: t,
            attribute,
            sources,
        } if t.is_empty() => Error::ComputedAttribute {
            table: table.to_owned(),
            attribute,
            sources,
        },
        Error::InvalidRequest {
            table: t,
            index,
            message,
        } if t.is_empty() => Error::InvalidRequest {
            table: table.to_owned(),
            index,
            message,
        },
        other => name_table(table, other),
    }
}

/// Refuses an update of the table's own key attributes (an item cannot move in place).
fn check_no_key_targets(table: &str, definition: &TableDefinition, update: &Update) -> Result<()> {
    for attribute in update.top_level_targets() {
        if attribute == definition.partition_key || definition.sort_key.as_deref() == Some(attribute) {
            return Err(Error::InvalidKey {
                table: table.to_owned(),
                attribute: attribute.to_owned(),
                reason: "an update cannot change a key attribute; write a new item and delete the old one"
                    .to_owned(),
            });
        }
    }
    Ok(())
}

/// A delete, checking the version when one is expected.
pub(crate) fn delete<T: Table>(
    table: &str,
    key: Key<T>,
    expected_version: Option<u64>,
    conditions: Conditions,
) -> Result<Prepared> {
    let key = key.into_item().map_err(|e| encode_error(table, e))?;
    validate::check_key(table, T::definition(), &key)?;
    let version = T::VERSION_ATTRIBUTE.zip(expected_version);
    finish::<T>(
        table,
        key,
        None,
        None,
        ExpressionAttributes::new(),
        version,
        Guards::none(),
        conditions,
        None,
    )
}

/// A condition check of a transaction.
pub(crate) fn check<T: Table>(table: &str, key: Key<T>, conditions: Conditions) -> Result<Prepared> {
    delete::<T>(table, key, None, conditions)
}

/// An upsert (dynamo_query's `upsert_record`): the value's attributes written with UpdateItem,
/// keeping what the value does not own: `created_at` stamped once, `updated_at` always (both
/// from `stamp`), the attributes in `if_not_exists` set only when absent, and the attributes the
/// value leaves empty removed. The version is bumped, and checked when `expected_version` is
/// given (like an update).
pub(crate) fn upsert<T: Table>(
    table: &str,
    item: std::result::Result<Item, EncodeError>,
    expected_version: Option<u64>,
    if_not_exists: &std::collections::HashSet<String>,
    conditions: Conditions,
    stamp: Stamp,
) -> Result<Prepared> {
    let definition = T::definition();
    // Refuse values nested too deeply first: building the update walks them recursively.
    let mut item = crate::engine::guard_item(table, item.map_err(|e| encode_error(table, e))?)?;
    validate::check_item(table, definition, &item)?;
    let is_key = |a: &str| a == definition.partition_key || definition.sort_key.as_deref() == Some(a);
    let (created, updated, version) = (
        T::CREATED_AT_ATTRIBUTE,
        T::UPDATED_AT_ATTRIBUTE,
        T::VERSION_ATTRIBUTE,
    );
    let managed = |a: &str| Some(a) == created || Some(a) == updated || Some(a) == version;
    let mut update = Update::new();
    if let Some(c) = created {
        update = update.set_if_not_exists(
            c,
            Value::from(stamp.value(definition, c, item.get(c), T::STORED_FORM.stamps)?),
        );
    }
    if let Some(u) = updated {
        update = update.set(
            u,
            Value::from(stamp.value(definition, u, item.get(u), T::STORED_FORM.stamps)?),
        );
    }
    if let Some(v) = version {
        update = update.add(v, 1u64);
    }
    let key = key_of_item::<T>(&item);
    let present: std::collections::HashSet<String> = item.keys().cloned().collect();
    // Sorted, so the same value always renders the same expression.
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
        update = if if_not_exists.contains(&attribute) {
            update.set_if_not_exists(attribute, Value::from(value))
        } else {
            update.set(attribute, Value::from(value))
        };
    }
    update = remove_older_only::<T>(update, &present, if_not_exists);
    let remove_empty = T::STORED_FORM.upsert_none == crate::format::UpsertNone::Remove;
    for a in T::stored_attributes() {
        // Left out of the encoded item: empty in the value.
        if remove_empty && !is_key(a) && !managed(a) && !present.contains(a) && !if_not_exists.contains(a) {
            update = update.remove(a);
        }
    }
    let mut attributes = ExpressionAttributes::new();
    let text = update.render(&mut attributes).map_err(|e| name_table(table, e))?;
    let guards = Guards::for_update(T::IMMUTABLE_ATTRIBUTES, &update);
    let version = version.zip(expected_version);
    let mut prepared = finish::<T>(
        table,
        key,
        None,
        Some(text),
        attributes,
        version,
        guards,
        conditions,
        None,
    )?;
    prepared.written_version = version.map(|(_, v)| v.saturating_add(1));
    Ok(prepared)
}

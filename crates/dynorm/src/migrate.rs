//! Migrations: compare table definitions with the live tables, list what would change
//! ([`plan`]), and carry it out in DynamoDB's order ([`apply`]).
//!
//! A [`Plan`] is a list of [`Step`]s. What DynamoDB can change in place becomes a step: create a
//! table, add or remove a global secondary index, change TTL, the stream, billing and capacity,
//! tags and deletion protection. What it cannot (the key schema, key attribute types, local
//! secondary indexes) becomes [`Step::RequiresNewTable`], which is reported and never attempted.
//! What the live description leaves out (some engines drop key attribute definitions after
//! UpdateTable) becomes [`Step::Undetermined`]: said, never taken for a difference.
//! A global index whose keys or projection change is removed and added again (two steps, the
//! removal destructive).
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use dynorm::definition::{AttributeType, TableDefinition};
//! use dynorm::migrate::{apply, plan, ApplyOptions};
//!
//! let client = dynorm::Client::embedded()?;
//! let users = TableDefinition::new("users", "id", AttributeType::String);
//! let first = plan(&client, std::slice::from_ref(&users)).await?;
//! assert_eq!(first.to_string(), "+ users: create table (id S), on demand\n");
//! apply(&client, &first, ApplyOptions::default()).await?;
//! assert!(plan(&client, &[users]).await?.is_empty());
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use aws_sdk_dynamodb::types::{self as sdk, BillingMode as SdkBillingMode};
use serde::{Deserialize, Serialize};

use crate::definition::{
    BillingMode, Capacity, GlobalSecondaryIndex, Projection, StreamViewType, TableDefinition,
};
use crate::engine::error_map::{build_error, from_sdk};
use crate::lifecycle::{sdk_projection, show_billing, throughput};
use crate::{Client, Error};

/// What would change to make the live tables match their definitions, in the order
/// [`apply`] carries it out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    /// The steps, table by table.
    pub steps: Vec<Step>,
}

/// One change to one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// Create the table (with its indexes, stream, tags, TTL and deletion protection).
    CreateTable {
        /// The table's definition.
        definition: TableDefinition,
    },
    /// Add a global secondary index (DynamoDB backfills it from the table's items).
    AddGlobalIndex {
        /// The table.
        table: String,
        /// The index to add.
        index: GlobalSecondaryIndex,
        /// The key attributes the index needs, with their types (`S`, `N`, `B`).
        key_types: BTreeMap<String, String>,
    },
    /// Remove a global secondary index (destructive: queries on it stop working).
    RemoveGlobalIndex {
        /// The table.
        table: String,
        /// The index to remove.
        index: String,
        /// Why, when the index is removed to be added again with other keys or projection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaced_because: Option<String>,
    },
    /// Switch time to live on, off, or to another attribute (off then on).
    ChangeTtl {
        /// The table.
        table: String,
        /// The TTL attribute now.
        from: Option<String>,
        /// The TTL attribute wanted.
        to: Option<String>,
    },
    /// Switch the stream on, off, or to another view type (off then on: a new stream).
    ChangeStream {
        /// The table.
        table: String,
        /// The stream now.
        from: Option<StreamViewType>,
        /// The stream wanted.
        to: Option<StreamViewType>,
    },
    /// Change billing mode or provisioned capacity (of the table and its global indexes).
    ChangeBilling {
        /// The table.
        table: String,
        /// Billing now.
        from: BillingMode,
        /// Billing wanted.
        to: BillingMode,
        /// The capacity of each global index that stays, for provisioned billing.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        index_capacity: BTreeMap<String, Capacity>,
    },
    /// Add, change or remove tags (`aws:*` tags are never touched).
    ChangeTags {
        /// The table.
        table: String,
        /// Tags to add or overwrite.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<String, String>,
        /// Tag keys to remove.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<String>,
    },
    /// Switch deletion protection on or off.
    ChangeDeletionProtection {
        /// The table.
        table: String,
        /// Whether it is wanted on.
        enabled: bool,
    },
    /// A change DynamoDB cannot make to an existing table; never attempted.
    RequiresNewTable {
        /// The table.
        table: String,
        /// What differs.
        reason: String,
    },
    /// Something the plan needs that the live table's description leaves out (some engines drop
    /// the definitions of key attributes after UpdateTable), so whether it differs is unknown;
    /// never attempted.
    Undetermined {
        /// The table.
        table: String,
        /// What could not be determined.
        what: String,
    },
}

impl Step {
    /// The table the step changes.
    pub fn table(&self) -> &str {
        match self {
            Step::CreateTable { definition } => &definition.name,
            Step::AddGlobalIndex { table, .. }
            | Step::RemoveGlobalIndex { table, .. }
            | Step::ChangeTtl { table, .. }
            | Step::ChangeStream { table, .. }
            | Step::ChangeBilling { table, .. }
            | Step::ChangeTags { table, .. }
            | Step::ChangeDeletionProtection { table, .. }
            | Step::RequiresNewTable { table, .. }
            | Step::Undetermined { table, .. } => table,
        }
    }

    /// Whether the step loses something: an index, a stream, a TTL setting, or deletion
    /// protection. [`apply`] refuses such steps unless [`ApplyOptions::allow_destructive`].
    pub fn is_destructive(&self) -> bool {
        match self {
            Step::RemoveGlobalIndex { .. } => true,
            Step::ChangeTtl { from, .. } => from.is_some(),
            Step::ChangeStream { from, .. } => from.is_some(),
            Step::ChangeDeletionProtection { enabled, .. } => !enabled,
            _ => false,
        }
    }

    /// Whether [`apply`] carries the step out (everything but [`Step::RequiresNewTable`] and
    /// [`Step::Undetermined`]).
    pub fn is_applicable(&self) -> bool {
        !matches!(self, Step::RequiresNewTable { .. } | Step::Undetermined { .. })
    }
}

fn show_projection(p: &Projection) -> String {
    match p {
        Projection::KeysOnly => "keys_only".to_owned(),
        Projection::All => "all".to_owned(),
        Projection::Include(a) => format!("include {}", a.join(", ")),
    }
}

fn show_option<T: fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "off".to_owned(), |v| v.to_string())
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self {
            Step::CreateTable { .. } | Step::AddGlobalIndex { .. } => '+',
            Step::RemoveGlobalIndex { .. } => '-',
            Step::RequiresNewTable { .. } => '!',
            Step::Undetermined { .. } => '?',
            _ => '~',
        };
        write!(f, "{sign} {}: ", self.table())?;
        match self {
            Step::CreateTable { definition: d } => {
                let key = |name: &str| format!("{name} {}", d.key_type(name).map_or("?", |t| t.as_str()));
                write!(f, "create table ({}", key(&d.partition_key))?;
                if let Some(sk) = &d.sort_key {
                    write!(f, ", {}", key(sk))?;
                }
                write!(f, "), {}", show_billing(&d.billing))?;
                for g in &d.global_secondary_indexes {
                    write!(
                        f,
                        ", GSI {} (projection {})",
                        g.name,
                        show_projection(&g.projection)
                    )?;
                }
                for l in &d.local_secondary_indexes {
                    write!(
                        f,
                        ", LSI {} (projection {})",
                        l.name,
                        show_projection(&l.projection)
                    )?;
                }
                if let Some(s) = d.stream {
                    write!(f, ", stream {}", s.as_str())?;
                }
                if let Some(t) = &d.ttl_attribute {
                    write!(f, ", TTL {t}")?;
                }
                Ok(())
            }
            Step::AddGlobalIndex { index: g, .. } => {
                // A multi-attribute key shows its attributes joined with `+`, in order.
                write!(f, "add GSI {} ({}", g.name, g.partition_keys().join(" + "))?;
                if g.sort_key.is_some() {
                    write!(f, ", {}", g.sort_keys().join(" + "))?;
                }
                write!(f, ", projection {})", show_projection(&g.projection))
            }
            Step::RemoveGlobalIndex {
                index,
                replaced_because,
                ..
            } => match replaced_because {
                Some(why) => write!(f, "remove GSI {index} to add it again ({why})"),
                None => write!(f, "remove GSI {index}"),
            },
            Step::ChangeTtl { from, to, .. } => write!(
                f,
                "TTL {} -> {}",
                show_option(from.as_deref()),
                show_option(to.as_deref())
            ),
            Step::ChangeStream { from, to, .. } => write!(
                f,
                "stream {} -> {}",
                show_option(from.map(StreamViewType::as_str)),
                show_option(to.map(StreamViewType::as_str))
            ),
            Step::ChangeBilling {
                from,
                to,
                index_capacity,
                ..
            } => {
                write!(f, "billing {} -> {}", show_billing(from), show_billing(to))?;
                for (index, c) in index_capacity {
                    write!(f, ", GSI {index} ({} read, {} write)", c.read, c.write)?;
                }
                Ok(())
            }
            Step::ChangeTags { set, remove, .. } => {
                let mut parts: Vec<String> = set.iter().map(|(k, v)| format!("set {k}={v}")).collect();
                parts.extend(remove.iter().map(|k| format!("remove {k}")));
                write!(f, "tags {}", parts.join(", "))
            }
            Step::ChangeDeletionProtection { enabled, .. } => {
                write!(f, "deletion protection {}", if *enabled { "on" } else { "off" })
            }
            Step::RequiresNewTable { reason, .. } => {
                write!(f, "needs a new table, not changed in place: {reason}")
            }
            Step::Undetermined { what, .. } => write!(
                f,
                "cannot tell {what}: the live table's description leaves it out (nothing changed for it; check it in the console)"
            ),
        }?;
        if self.is_destructive() {
            f.write_str(" [destructive]")?;
        }
        Ok(())
    }
}

impl Plan {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps [`apply`] refuses without [`ApplyOptions::allow_destructive`].
    pub fn destructive_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.is_destructive())
    }

    /// The changes that need a new table ([`Step::RequiresNewTable`]).
    pub fn requires_new_table(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| matches!(s, Step::RequiresNewTable { .. }))
    }

    /// The plan as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl fmt::Display for Plan {
    /// One line per step; an empty plan displays as nothing, so callers choose their wording.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            writeln!(f, "{s}")?;
        }
        Ok(())
    }
}

/// How [`apply`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Carry out destructive steps ([`Step::is_destructive`]) too.
    pub allow_destructive: bool,
    /// How long to wait for a table and its indexes to become ACTIVE after each step.
    pub wait_timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            allow_destructive: false,
            wait_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// Why a migration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The plan has destructive steps and they were not allowed; nothing was changed.
    #[error(
        "the plan has {} destructive step(s), refused without allowing destructive changes:\n{}",
        .steps.len(),
        .steps.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n")
    )]
    DestructiveRefused {
        /// The destructive steps.
        steps: Vec<Step>,
    },
    /// A DynamoDB call failed (steps before it were carried out).
    #[error(transparent)]
    Dynamo(#[from] Error),
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// The steps carried out, in order.
    pub done: Vec<Step>,
    /// The steps left alone: they need a new table, or could not be determined.
    pub skipped: Vec<Step>,
    /// Changes the engine accepted but did not make, found by describing each changed table
    /// again afterwards (the embedded engine ignores a global index's provisioned capacity in
    /// UpdateTable, for one), each in words.
    pub not_taken: Vec<String>,
}

/// Compares each definition with its live table and lists what would change.
///
/// Definitions are validated first ([`Error::InvalidDefinition`]). For a table whose key schema,
/// key attribute types or local indexes differ, the plan holds only
/// [`Step::RequiresNewTable`]: nothing else is worth changing on a table that must be replaced.
pub async fn plan(client: &Client, definitions: &[TableDefinition]) -> Result<Plan, Error> {
    let mut steps = Vec::new();
    for want in definitions {
        want.validate()?;
        match client.describe_table(&want.name).await? {
            None => steps.push(Step::CreateTable {
                definition: want.clone(),
            }),
            Some(live) => table_steps(want, &live, &mut steps),
        }
    }
    Ok(Plan { steps })
}

fn key_type_name(d: &TableDefinition, key: &str) -> String {
    d.key_type(key).map_or("?", |t| t.as_str()).to_owned()
}

fn projection_key(p: &Projection) -> (String, BTreeSet<String>) {
    match p {
        Projection::Include(a) => ("INCLUDE".to_owned(), a.iter().cloned().collect()),
        other => (other.type_name().to_owned(), BTreeSet::new()),
    }
}

/// What matters about a local index: sort key, its type, projection.
type LsiShape = (String, String, (String, BTreeSet<String>));

/// Whether a key attribute changes type: `Some(message)` when it does, `None` when it does not
/// or when the live description does not say (then `unknown` notes it).
fn type_change(
    what: &str,
    key: &str,
    want: &TableDefinition,
    live: &TableDefinition,
    unknown: &mut BTreeSet<String>,
) -> Option<String> {
    if live.key_type(key).is_none() {
        unknown.insert(format!("the type of key attribute {key}"));
        return None;
    }
    let (from, to) = (key_type_name(live, key), key_type_name(want, key));
    (from != to).then(|| format!("{what} {key} changes type from {from} to {to}"))
}

/// The steps that make a live table match its definition.
fn table_steps(want: &TableDefinition, live: &TableDefinition, steps: &mut Vec<Step>) {
    let table = want.name.clone();
    let mut unknown = BTreeSet::new();
    let mut new_table = Vec::new();
    if want.partition_key != live.partition_key {
        new_table.push(format!(
            "partition key changes from {} to {}",
            live.partition_key, want.partition_key
        ));
    } else {
        new_table.extend(type_change(
            "partition key",
            &want.partition_key,
            want,
            live,
            &mut unknown,
        ));
    }
    match (&want.sort_key, &live.sort_key) {
        (Some(a), Some(b)) if a == b => {
            new_table.extend(type_change("sort key", a, want, live, &mut unknown));
        }
        (None, None) => {}
        (a, b) => new_table.push(format!(
            "sort key changes from {} to {}",
            b.as_deref().unwrap_or("none"),
            a.as_deref().unwrap_or("none")
        )),
    }
    new_table.extend(lsi_changes(want, live, &mut unknown));
    if !new_table.is_empty() {
        steps.push(Step::RequiresNewTable {
            table,
            reason: new_table.join("; "),
        });
        return;
    }
    change_steps(want, live, &mut unknown, steps);
    steps.extend(unknown.into_iter().map(|what| Step::Undetermined {
        table: want.name.clone(),
        what,
    }));
}

/// What differs in the local indexes (which only a new table can change), each index named with
/// its old and new definition.
fn lsi_changes(
    want: &TableDefinition,
    live: &TableDefinition,
    unknown: &mut BTreeSet<String>,
) -> Option<String> {
    let mut shape = |d: &TableDefinition, l: &crate::definition::LocalSecondaryIndex| -> LsiShape {
        let k = &l.sort_key;
        // A type the live description leaves out is taken as the one wanted (and noted).
        let key_type = if d.key_type(k).is_none() && std::ptr::eq(d, live) {
            unknown.insert(format!("the type of key attribute {k}"));
            key_type_name(want, k)
        } else {
            key_type_name(d, k)
        };
        (k.clone(), key_type, projection_key(&l.projection))
    };
    let shown = |s: &LsiShape| {
        let (sort_key, key_type, (projection, include)) = s;
        let mut text = format!("sort key {sort_key} {key_type}, projection {projection}");
        if !include.is_empty() {
            text.push_str(&format!(
                " ({})",
                include.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
            ));
        }
        text
    };
    let mut live_lsi: BTreeMap<String, LsiShape> = BTreeMap::new();
    for l in &live.local_secondary_indexes {
        let s = shape(live, l);
        live_lsi.insert(l.name.clone(), s);
    }
    let mut changes = Vec::new();
    for l in &want.local_secondary_indexes {
        let wanted = shape(want, l);
        match live_lsi.remove(&l.name) {
            None => changes.push(format!("LSI {} is added ({})", l.name, shown(&wanted))),
            Some(now) if now != wanted => changes.push(format!(
                "LSI {} changes from ({}) to ({})",
                l.name,
                shown(&now),
                shown(&wanted)
            )),
            Some(_) => {}
        }
    }
    for (name, now) in live_lsi {
        changes.push(format!("LSI {name} is removed (was {})", shown(&now)));
    }
    (!changes.is_empty()).then(|| {
        format!(
            "{}; local secondary indexes can only be set when a table is created",
            changes.join(", ")
        )
    })
}

/// The in-place changes of a table whose keys and local indexes stay.
fn change_steps(
    want: &TableDefinition,
    live: &TableDefinition,
    unknown: &mut BTreeSet<String>,
    steps: &mut Vec<Step>,
) {
    let table = want.name.clone();

    // Billing first: an index added to a provisioned table needs the table's mode settled.
    steps.extend(billing_step(want, live, unknown));

    let mut adds = Vec::new();
    for l in &live.global_secondary_indexes {
        match want.global_secondary_indexes.iter().find(|g| g.name == l.name) {
            None => steps.push(Step::RemoveGlobalIndex {
                table: table.clone(),
                index: l.name.clone(),
                replaced_because: None,
            }),
            Some(g) => {
                if let Some(why) = gsi_replaced_because(g, l, want, live, unknown) {
                    steps.push(Step::RemoveGlobalIndex {
                        table: table.clone(),
                        index: l.name.clone(),
                        replaced_because: Some(why),
                    });
                    adds.push(g);
                }
            }
        }
    }
    for g in &want.global_secondary_indexes {
        if !live.global_secondary_indexes.iter().any(|l| l.name == g.name) {
            adds.push(g);
        }
    }
    for g in adds {
        let mut index = g.clone();
        if let BillingMode::Provisioned(c) = want.billing {
            index.capacity = Some(g.capacity.unwrap_or(c));
        }
        let key_types = g
            .key_attributes()
            .into_iter()
            .map(|k| (k.to_owned(), key_type_name(want, k)))
            .collect();
        steps.push(Step::AddGlobalIndex {
            table: table.clone(),
            index,
            key_types,
        });
    }

    if want.stream != live.stream {
        steps.push(Step::ChangeStream {
            table: table.clone(),
            from: live.stream,
            to: want.stream,
        });
    }
    if want.ttl_attribute != live.ttl_attribute {
        steps.push(Step::ChangeTtl {
            table: table.clone(),
            from: live.ttl_attribute.clone(),
            to: want.ttl_attribute.clone(),
        });
    }
    let set: BTreeMap<String, String> = want
        .tags
        .iter()
        .filter(|(k, v)| live.tags.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<String> = live
        .tags
        .keys()
        .filter(|k| !k.starts_with("aws:") && !want.tags.contains_key(*k))
        .cloned()
        .collect();
    if !set.is_empty() || !remove.is_empty() {
        steps.push(Step::ChangeTags {
            table: table.clone(),
            set,
            remove,
        });
    }
    if want.deletion_protection != live.deletion_protection {
        steps.push(Step::ChangeDeletionProtection {
            table,
            enabled: want.deletion_protection,
        });
    }
}

/// The billing change, with the capacity of each global index that stays.
fn billing_step(
    want: &TableDefinition,
    live: &TableDefinition,
    unknown: &mut BTreeSet<String>,
) -> Option<Step> {
    let want_provisioned = matches!(want.billing, BillingMode::Provisioned(_));
    let mut index_capacity = BTreeMap::new();
    let mut capacity_differs = false;
    if let BillingMode::Provisioned(table_capacity) = want.billing {
        for g in &want.global_secondary_indexes {
            let Some(l) = live.global_secondary_indexes.iter().find(|l| l.name == g.name) else {
                continue;
            };
            if gsi_replaced_because(g, l, want, live, unknown).is_some() {
                continue;
            }
            let wanted = g.capacity.unwrap_or(table_capacity);
            // An index that reports no capacity of its own runs on the table's (as `compare_table`
            // reads it).
            let live_table = match live.billing {
                BillingMode::Provisioned(c) => Some(c),
                BillingMode::OnDemand => None,
            };
            if l.capacity.or(live_table) != Some(wanted) {
                capacity_differs = true;
            }
            index_capacity.insert(g.name.clone(), wanted);
        }
    }
    (want.billing != live.billing || (want_provisioned && capacity_differs)).then(|| Step::ChangeBilling {
        table: want.name.clone(),
        from: live.billing,
        to: want.billing,
        index_capacity,
    })
}

/// Why a global index must be removed and added again, if it must.
fn gsi_replaced_because(
    g: &GlobalSecondaryIndex,
    l: &GlobalSecondaryIndex,
    want: &TableDefinition,
    live: &TableDefinition,
    unknown: &mut BTreeSet<String>,
) -> Option<String> {
    let mut why = Vec::new();
    // Which attributes make each key, and their order, both count (a multi-attribute key is
    // compared attribute by attribute).
    if g.partition_keys() != l.partition_keys() || g.sort_keys() != l.sort_keys() {
        let show = |i: &GlobalSecondaryIndex| {
            let mut keys = i.partition_keys().join(", ");
            if !i.sort_keys().is_empty() {
                keys.push_str(" | ");
                keys.push_str(&i.sort_keys().join(", "));
            }
            keys
        };
        why.push(format!("keys change from ({}) to ({})", show(l), show(g)));
    } else {
        for k in g.key_attributes() {
            why.extend(type_change("key", k, want, live, unknown));
        }
    }
    if projection_key(&g.projection) != projection_key(&l.projection) {
        why.push(format!(
            "projection changes from {} to {}",
            show_projection(&l.projection),
            show_projection(&g.projection)
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// Carries a plan out, step by step, waiting after each until the table and its indexes are
/// ACTIVE (one global index change per UpdateTable call, as DynamoDB requires).
///
/// Destructive steps are refused, before anything changes, unless
/// [`ApplyOptions::allow_destructive`] ([`MigrateError::DestructiveRefused`] lists them).
/// [`Step::RequiresNewTable`] and [`Step::Undetermined`] steps are never attempted; they come
/// back in [`Applied::skipped`]. Afterwards each changed table is described again, and any change
/// the engine accepted but did not make is listed in [`Applied::not_taken`].
pub async fn apply(client: &Client, plan: &Plan, options: ApplyOptions) -> Result<Applied, MigrateError> {
    if !options.allow_destructive {
        let refused: Vec<Step> = plan.destructive_steps().cloned().collect();
        if !refused.is_empty() {
            return Err(MigrateError::DestructiveRefused { steps: refused });
        }
    }
    let mut applied = Applied::default();
    for step in &plan.steps {
        if !step.is_applicable() {
            applied.skipped.push(step.clone());
            continue;
        }
        apply_step(client, step, options.wait_timeout).await?;
        applied.done.push(step.clone());
    }
    // The engine may accept a change and not make it: describe each changed table again.
    let mut tables: Vec<&str> = applied.done.iter().map(Step::table).collect();
    tables.dedup();
    for table in tables {
        let live = client.describe_table(table).await?;
        for step in applied.done.iter().filter(|s| s.table() == table) {
            applied.not_taken.extend(not_taken(step, live.as_ref()));
        }
    }
    Ok(applied)
}

/// What of an applied step the live table does not show, in words.
fn not_taken(step: &Step, live: Option<&TableDefinition>) -> Vec<String> {
    let table = step.table();
    let Some(live) = live else {
        return vec![format!("{table}: the table is not there after `{step}`")];
    };
    let shown_capacity = |c: Option<Capacity>| {
        c.map_or_else(
            || "no capacity (0 read, 0 write)".to_owned(),
            |c| format!("{} read, {} write", c.read, c.write),
        )
    };
    // The capacity a live index reports (none when the engine reports 0/0).
    let index_capacity = |name: &str| {
        live.global_secondary_indexes
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.capacity)
    };
    let mut out = Vec::new();
    let mut capacity = |index: &str, wanted: Capacity| match index_capacity(index) {
        Some(now) if now != Some(wanted) => out.push(format!(
            "{table}: GSI {index} asked for {} but shows {}",
            shown_capacity(Some(wanted)),
            shown_capacity(now)
        )),
        _ => {}
    };
    match step {
        Step::AddGlobalIndex { index, .. } => {
            if let (Some(c), BillingMode::Provisioned(_)) = (index.capacity, live.billing) {
                capacity(&index.name, c);
            }
        }
        Step::ChangeBilling {
            to, index_capacity, ..
        } => {
            for (index, c) in index_capacity {
                capacity(index, *c);
            }
            if live.billing != *to {
                out.push(format!(
                    "{table}: billing asked {} but shows {}",
                    show_billing(to),
                    show_billing(&live.billing)
                ));
            }
        }
        _ => {}
    }
    let differs = |what: &str, wanted: String, now: String| {
        (wanted != now).then(|| format!("{table}: {what} asked {wanted} but shows {now}"))
    };
    out.extend(match step {
        Step::RemoveGlobalIndex {
            index,
            replaced_because: None,
            ..
        } => index_capacity(index).map(|_| format!("{table}: GSI {index} is still there")),
        Step::ChangeStream { to, .. } => differs(
            "stream",
            show_option(to.map(|s| s.as_str())),
            show_option(live.stream.map(|s| s.as_str())),
        ),
        Step::ChangeTtl { to, .. } => differs(
            "TTL",
            show_option(to.as_ref()),
            show_option(live.ttl_attribute.as_ref()),
        ),
        Step::ChangeDeletionProtection { enabled, .. } => differs(
            "deletion protection",
            enabled.to_string(),
            live.deletion_protection.to_string(),
        ),
        Step::ChangeTags { set, remove, .. } => {
            let missing: Vec<&String> = set
                .iter()
                .filter(|(k, v)| live.tags.get(*k) != Some(v))
                .map(|(k, _)| k)
                .chain(remove.iter().filter(|k| live.tags.contains_key(*k)))
                .collect();
            (!missing.is_empty()).then(|| {
                let keys: Vec<&str> = missing.iter().map(|k| k.as_str()).collect();
                format!("{table}: tags {} did not change", keys.join(", "))
            })
        }
        _ => None,
    });
    out
}

async fn apply_step(client: &Client, step: &Step, wait: Duration) -> Result<(), Error> {
    let table = step.table();
    let be = |e| build_error(table, e);
    let sdk = client.sdk();
    match step {
        Step::CreateTable { definition } => {
            client.create_table(definition).await?;
        }
        Step::AddGlobalIndex { index, key_types, .. } => {
            add_global_index(client, table, index, key_types).await?;
        }
        Step::RemoveGlobalIndex { index, .. } => {
            sdk.update_table()
                .table_name(client.physical_table_name(table))
                .global_secondary_index_updates(
                    sdk::GlobalSecondaryIndexUpdate::builder()
                        .delete(
                            sdk::DeleteGlobalSecondaryIndexAction::builder()
                                .index_name(index)
                                .build()
                                .map_err(be)?,
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(|e| from_sdk(table, e))?;
        }
        Step::ChangeBilling {
            from,
            to,
            index_capacity,
            ..
        } => {
            let mut request = sdk.update_table().table_name(client.physical_table_name(table));
            // Only the indexes' capacity may change: DynamoDB refuses a table throughput equal
            // to the current one ("will not change").
            if from != to {
                request = match to {
                    BillingMode::OnDemand => request.billing_mode(SdkBillingMode::PayPerRequest),
                    BillingMode::Provisioned(c) => request
                        .billing_mode(SdkBillingMode::Provisioned)
                        .provisioned_throughput(throughput(table, *c)?),
                };
            }
            for (index, c) in index_capacity {
                request = request.global_secondary_index_updates(
                    sdk::GlobalSecondaryIndexUpdate::builder()
                        .update(
                            sdk::UpdateGlobalSecondaryIndexAction::builder()
                                .index_name(index)
                                .provisioned_throughput(throughput(table, *c)?)
                                .build()
                                .map_err(be)?,
                        )
                        .build(),
                );
            }
            request.send().await.map_err(|e| from_sdk(table, e))?;
        }
        Step::ChangeStream { from, to, .. } => {
            if from.is_some() {
                let off = sdk::StreamSpecification::builder()
                    .stream_enabled(false)
                    .build()
                    .map_err(be)?;
                sdk.update_table()
                    .table_name(client.physical_table_name(table))
                    .stream_specification(off)
                    .send()
                    .await
                    .map_err(|e| from_sdk(table, e))?;
                client.wait_until_active(table, wait).await?;
            }
            if let Some(view) = to {
                let on = sdk::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(sdk::StreamViewType::from(view.as_str()))
                    .build()
                    .map_err(be)?;
                sdk.update_table()
                    .table_name(client.physical_table_name(table))
                    .stream_specification(on)
                    .send()
                    .await
                    .map_err(|e| from_sdk(table, e))?;
            }
        }
        Step::ChangeTtl { from, to, .. } => {
            for (attribute, enabled) in from
                .iter()
                .map(|a| (a, false))
                .chain(to.iter().map(|a| (a, true)))
            {
                let spec = sdk::TimeToLiveSpecification::builder()
                    .enabled(enabled)
                    .attribute_name(attribute)
                    .build()
                    .map_err(be)?;
                sdk.update_time_to_live()
                    .table_name(client.physical_table_name(table))
                    .time_to_live_specification(spec)
                    .send()
                    .await
                    .map_err(|e| from_sdk(table, e))?;
            }
        }
        Step::ChangeTags { set, remove, .. } => change_tags(client, table, set, remove).await?,
        Step::ChangeDeletionProtection { enabled, .. } => {
            sdk.update_table()
                .table_name(client.physical_table_name(table))
                .deletion_protection_enabled(*enabled)
                .send()
                .await
                .map_err(|e| from_sdk(table, e))?;
        }
        Step::RequiresNewTable { .. } | Step::Undetermined { .. } => return Ok(()),
    }
    client.wait_until_active(table, wait).await
}

/// UpdateTable creating a global index, with the definitions of its key attributes.
async fn add_global_index(
    client: &Client,
    table: &str,
    index: &GlobalSecondaryIndex,
    key_types: &BTreeMap<String, String>,
) -> Result<(), Error> {
    let be = |e| build_error(table, e);
    let sdk = client.sdk();
    let key_schema = crate::lifecycle::index_key_schema(table, index)?;
    let mut create = sdk::CreateGlobalSecondaryIndexAction::builder()
        .index_name(&index.name)
        .set_key_schema(Some(key_schema))
        .projection(sdk_projection(&index.projection));
    if let Some(c) = index.capacity {
        create = create.provisioned_throughput(throughput(table, c)?);
    }
    let mut request = sdk
        .update_table()
        .table_name(client.physical_table_name(table))
        .global_secondary_index_updates(
            sdk::GlobalSecondaryIndexUpdate::builder()
                .create(create.build().map_err(be)?)
                .build(),
        );
    for (name, t) in key_types {
        request = request.attribute_definitions(
            sdk::AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(sdk::ScalarAttributeType::from(t.as_str()))
                .build()
                .map_err(be)?,
        );
    }
    request.send().await.map_err(|e| from_sdk(table, e))?;
    Ok(())
}

/// Tags set and removed on the table's ARN.
async fn change_tags(
    client: &Client,
    table: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    let be = |e| build_error(table, e);
    let sdk = client.sdk();
    let arn = sdk
        .describe_table()
        .table_name(client.physical_table_name(table))
        .send()
        .await
        .map_err(|e| from_sdk(table, e))?
        .table
        .and_then(|t| t.table_arn)
        .ok_or_else(|| Error::TableNotFound {
            table: table.to_owned(),
            message: "the table has no ARN to tag".to_owned(),
        })?;
    if !remove.is_empty() {
        sdk.untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(|e| from_sdk(table, e))?;
    }
    if !set.is_empty() {
        let mut request = sdk.tag_resource().resource_arn(&arn);
        for (k, v) in set {
            request = request.tags(sdk::Tag::builder().key(k).value(v).build().map_err(be)?);
        }
        request.send().await.map_err(|e| from_sdk(table, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{AttributeDefinition, AttributeType, LocalSecondaryIndex};

    /// A table as an engine may describe it after UpdateTable (moto): the key attributes'
    /// definitions left out.
    fn without_attribute_definitions(d: &TableDefinition) -> TableDefinition {
        let mut live = d.clone();
        live.attributes.clear();
        live
    }

    #[test]
    fn what_the_live_description_leaves_out_is_undetermined_not_a_new_table() {
        let mut want = TableDefinition::new("events", "user", AttributeType::String);
        want.sort_key = Some("at".into());
        want.attributes
            .push(AttributeDefinition::new("at", AttributeType::String));
        want.attributes
            .push(AttributeDefinition::new("kind", AttributeType::String));
        want.global_secondary_indexes
            .push(GlobalSecondaryIndex::new("by_kind", "kind", None));
        want.local_secondary_indexes.push(LocalSecondaryIndex {
            name: "by_kind_local".into(),
            sort_key: "kind".into(),
            projection: Projection::KeysOnly,
        });
        let live = without_attribute_definitions(&want);
        let mut steps = Vec::new();
        table_steps(&want, &live, &mut steps);
        let plan = Plan { steps };
        assert_eq!(
            plan.to_string(),
            "? events: cannot tell the type of key attribute at: the live table's description leaves it out (nothing changed for it; check it in the console)\n\
             ? events: cannot tell the type of key attribute kind: the live table's description leaves it out (nothing changed for it; check it in the console)\n\
             ? events: cannot tell the type of key attribute user: the live table's description leaves it out (nothing changed for it; check it in the console)\n"
        );
        assert_eq!(plan.requires_new_table().count(), 0);
        assert!(plan.steps.iter().all(|s| !s.is_applicable()));

        // A real difference is still found beside what cannot be told.
        let mut changed = want.clone();
        changed.stream = Some(StreamViewType::NewImage);
        let mut steps = Vec::new();
        table_steps(&changed, &live, &mut steps);
        assert!(matches!(steps[0], Step::ChangeStream { .. }), "{steps:?}");
    }
}

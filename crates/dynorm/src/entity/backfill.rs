//! Rewriting the composed key attributes of stored items after an entity's templates change.
//!
//! When an entity gains an index or one of its key templates changes, the items already stored
//! still carry the old key attributes (or none), so queries on the new index miss them. A
//! backfill scans the table, recognises the items of the given entities, computes the key
//! attributes each should have from its stored fields (the same rules as a fresh write: see
//! [`EntityDefinition::expected_keys`]) and sends an `UpdateItem` that sets and removes only the
//! key attributes that differ (and joined attributes missing or stale, which are stored beside
//! the keys):
//!
//! - **Concurrent changes are not clobbered.** Each update is conditioned on every field the
//!   rewritten keys read still holding the value that was scanned (or still being absent), and on
//!   the item still being of the entity. When the condition fails, the item is read again, its
//!   keys recomputed and the update retried, a bounded number of times; an item deleted meanwhile
//!   is counted as gone.
//! - **The table's own key never changes in place.** An item whose partition or sort key would
//!   change is reported ([`Problem::NeedsNewItem`]) and left as it is: moving it means writing a
//!   new item and deleting the old one, which is the application's decision.
//! - **Nothing is dropped silently.** Items whose keys cannot be computed (a missing required
//!   field, a padded placeholder over text) or whose update failed are reported, with their key.
//! - **Resumable.** After each page, the callback gets the counts and the [`Cursor`] of the next
//!   page; save both, and [`Backfill::resume`] continues from there with the totals intact. A
//!   backfill is idempotent: items rewritten before an interruption count as unchanged when their
//!   page is read again.
//!
//! This backfill rewrites key attributes from data ([`EntityDefinition`]), without the Rust
//! types. An entity whose *shape* changed declares `schema_version` and `upgrades(..)`, and
//! [`evolve::Upgrade`](crate::evolve::Upgrade) rewrites its old items to the current version (the
//! same upgrade as tables: resumable, parallel segments, rate-limited, dry run, verification
//! count, conditioned on the item not having changed), touching only that entity's items.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::ops::ControlFlow;
//! use dynorm::entity::backfill::Backfill;
//! use dynorm::entity::{Entity as _, EntityDefinition, IndexLayout, Layout, SingleTable};
//! use dynorm::Table as _;
//!
//! struct App;
//! impl SingleTable for App {
//!     const LAYOUT: Layout = Layout {
//!         global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
//!         ..Layout::new("app", "pk", Some("sk"))
//!     };
//! }
//!
//! // Version 1 of the entity, already in production: no index.
//! #[derive(dynorm::Entity)]
//! #[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{user}")]
//! struct UserV1 { tenant: String, user: String, email: String }
//!
//! // Version 2 finds users by email.
//! #[derive(dynorm::Entity, Debug)]
//! #[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{user}")]
//! #[dynorm(index(name = "gsi1", pk = "EMAIL#{email}", sk = "T#{tenant}"))]
//! struct User { tenant: String, user: String, email: String }
//!
//! let client = dynorm::Client::embedded()?;
//! client.create_table(User::definition()).await?;
//! let old = UserV1 { tenant: "acme".into(), user: "ann".into(), email: "ann@acme.test".into() };
//! client.table::<UserV1>().put(&old).await?;
//!
//! let report = Backfill::new(&client, User::definition(), [User::entity_definition()])
//!     .run(|page| {
//!         println!("{}", page.totals); // scanned 1, matched 1: 1 rewritten, ...
//!         ControlFlow::Continue(())
//!     })
//!     .await?;
//! assert_eq!(report.counts.rewritten, 1);
//! assert!(report.complete && report.is_clean());
//!
//! let found = client.table::<User>().entity_query().field("email", "ann@acme.test").all().await?;
//! assert_eq!(found[0].user, "ann");
//! # Ok(()) }
//! ```

use std::fmt;
use std::ops::{AddAssign, ControlFlow};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::model::{EntityDefinition, EntityKey, EntityProblems, place};
use super::{Template, TemplateError};
use crate::definition::TableDefinition;
use crate::engine::request::{GetItem, Placeholders, ReadPageRequest, ReadRequest, ReturnValues, UpdateItem};
use crate::expr::{Condition, ExpressionAttributes, StoredType, Update, Value, attr};
use crate::query::Cursor;
use crate::retry::Jitter;
use crate::{AttributeValue, Client, Error, Item, RetryPolicy};

/// How many UpdateItem calls a backfill keeps in flight unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How many times one item is tried when concurrent changes keep failing its condition.
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// Why an item's key attributes could not be computed from its stored values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key template could not be rendered: a required field is absent, a padded placeholder
    /// holds text or a too wide number, a field is not a string or number, or the template is
    /// malformed.
    #[error("entity `{entity}`: {} key `{attribute}`: {source}", place(.index.as_deref()))]
    Template {
        /// The entity type.
        entity: String,
        /// The index (`None`: the table's own key).
        index: Option<String>,
        /// The key attribute.
        attribute: String,
        /// What went wrong.
        source: Box<TemplateError>,
    },
    /// A key reads a joined attribute whose sources cannot be joined.
    #[error(
        "entity `{entity}`: {} key `{attribute}` reads joined attribute `{joined}`: {reason}",
        place(.index.as_deref())
    )]
    Join {
        /// The entity type.
        entity: String,
        /// The index (`None`: the table's own key).
        index: Option<String>,
        /// The key attribute.
        attribute: String,
        /// The joined attribute.
        joined: String,
        /// Why it cannot be joined.
        reason: String,
    },
}

/// A table key attribute whose stored value differs from what the templates give.
#[derive(Debug, Clone, PartialEq)]
pub struct TableKeyChange {
    /// The key attribute (`pk`, `sk`, ...).
    pub attribute: String,
    /// The value stored.
    pub stored: Option<AttributeValue>,
    /// The value the templates give (`None`: absent).
    pub expected: Option<String>,
}

impl fmt::Display for TableKeyChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` from {} to {}",
            self.attribute,
            self.stored
                .as_ref()
                .map_or_else(|| "nothing".to_owned(), show_value),
            self.expected
                .as_ref()
                .map_or_else(|| "nothing".to_owned(), |e| format!("`{e}`"))
        )
    }
}

fn show_value(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => format!("`{s}`"),
        AttributeValue::N(n) => n.clone(),
        other => format!("a {} value", crate::attribute::type_name(other)),
    }
}

/// What must change in an item's key attributes; see [`EntityDefinition::key_rewrite`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyRewrite {
    /// Index key attributes to write (missing or different), with their values, in declaration
    /// order.
    pub set: Vec<(String, String)>,
    /// Index key attributes stored but to be absent (a sparse index whose fields are absent).
    pub remove: Vec<String>,
    /// Joined attributes missing or stale (a join added or changed), with their values.
    pub joined: Vec<(String, String)>,
    /// Table key attributes that differ: the item would need a new key, which an update cannot
    /// give it.
    pub table_key_changes: Vec<TableKeyChange>,
}

impl KeyRewrite {
    /// Whether the item's keys are already right.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.remove.is_empty()
            && self.joined.is_empty()
            && self.table_key_changes.is_empty()
    }

    /// Whether the table's own key would change (the item must be written anew).
    pub fn needs_new_item(&self) -> bool {
        !self.table_key_changes.is_empty()
    }

    /// The key attributes set or removed.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.set
            .iter()
            .map(|(a, _)| a.as_str())
            .chain(self.remove.iter().map(String::as_str))
    }
}

impl fmt::Display for KeyRewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.table_key_changes.is_empty() {
            let changes: Vec<String> = self.table_key_changes.iter().map(ToString::to_string).collect();
            parts.push(format!("table key {}", changes.join(", ")));
        }
        if !self.set.is_empty() {
            let set: Vec<String> = self.set.iter().map(|(a, v)| format!("{a} = `{v}`")).collect();
            parts.push(format!("set {}", set.join(", ")));
        }
        if !self.remove.is_empty() {
            parts.push(format!("remove {}", self.remove.join(", ")));
        }
        if !self.joined.is_empty() {
            let set: Vec<String> = self.joined.iter().map(|(a, v)| format!("{a} = `{v}`")).collect();
            parts.push(format!("join {}", set.join(", ")));
        }
        if parts.is_empty() {
            f.write_str("no change")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

impl EntityDefinition {
    /// Whether a stored item is of this entity: its entity-type attribute holds the entity's
    /// name; or, when the layout stores no entity type, its table keys read back with the
    /// entity's table key templates (as [`Collection`](super::Collection) classifies items).
    pub fn owns(&self, item: &Item) -> bool {
        match &self.entity_attribute {
            Some(a) => matches!(item.get(a), Some(AttributeValue::S(e)) if *e == self.name),
            None => {
                let mut keys = self.keys_of(None).peekable();
                keys.peek().is_some()
                    && keys.all(|k| match (item.get(&k.attribute), Template::parse(&k.template)) {
                        (Some(AttributeValue::S(text)), Ok(t)) => {
                            t.plan().with_form(self.stored_form()).matches(text)
                        }
                        _ => false,
                    })
            }
        }
    }

    /// The key attributes a stored item should have, computed from its stored fields: every key
    /// with its text, or `None` when it must be absent. Each placeholder reads the field's stored
    /// attribute (a NULL value counts as absent) or a joined attribute rendered from its sources;
    /// a padded placeholder needs a number. As on a fresh write, when a key of a sparse index
    /// reads an absent field, every key of that index is absent; any other key that cannot be
    /// rendered is an error.
    pub fn expected_keys(&self, item: &Item) -> Result<Vec<(&EntityKey, Option<String>)>, KeyError> {
        let field_value = |name: &str| -> Option<AttributeValue> {
            let f = self.field(name)?;
            match item.get(f.stored_name()) {
                None | Some(AttributeValue::Null(_)) => None,
                Some(v) => Some(v.clone()),
            }
        };
        let joined: Vec<(&str, Result<String, String>)> = self
            .joined
            .iter()
            .map(|j| (j.attribute.as_str(), j.render(field_value)))
            .collect();
        let lookup = |name: &str| -> Option<AttributeValue> {
            if self.field(name).is_some() {
                return field_value(name);
            }
            joined
                .iter()
                .find(|(a, _)| *a == name)
                .and_then(|(_, r)| r.as_ref().ok())
                .map(|text| AttributeValue::S(text.clone()))
        };
        let template_error = |key: &EntityKey, source: TemplateError| KeyError::Template {
            entity: self.name.clone(),
            index: key.index.clone(),
            attribute: key.attribute.clone(),
            source: Box::new(source),
        };
        let form = self.stored_form();
        let each_key = form.sparse_keys == crate::format::SparseKeys::EachKey;
        let mut left_out: Vec<Option<&str>> = Vec::new();
        let mut out: Vec<(&EntityKey, Option<String>)> = Vec::with_capacity(self.keys.len());
        for key in &self.keys {
            let template = Template::parse(&key.template).map_err(|e| template_error(key, e))?;
            for name in template.fields() {
                if let Some((_, Err(reason))) = joined.iter().find(|(a, _)| *a == name) {
                    return Err(KeyError::Join {
                        entity: self.name.clone(),
                        index: key.index.clone(),
                        attribute: key.attribute.clone(),
                        joined: name.to_owned(),
                        reason: reason.clone(),
                    });
                }
            }
            match template.plan().with_form(form).render_with(lookup) {
                Ok(text) => out.push((key, Some(text))),
                Err(TemplateError::MissingFields { .. }) if key.sparse && key.index.is_some() => {
                    if !each_key {
                        left_out.push(key.index.as_deref());
                    }
                    out.push((key, None));
                }
                Err(e) => return Err(template_error(key, e)),
            }
        }
        for (key, value) in &mut out {
            if left_out.contains(&key.index.as_deref()) {
                *value = None;
            }
        }
        Ok(out)
    }

    /// What must change in a stored item's key attributes so they match the templates: index
    /// keys to set and to remove, and table keys that differ (which no update can fix).
    pub fn key_rewrite(&self, item: &Item) -> Result<KeyRewrite, KeyError> {
        let mut rewrite = KeyRewrite::default();
        for (key, expected) in self.expected_keys(item)? {
            let stored = item.get(&key.attribute);
            let same = match (&expected, stored) {
                (Some(text), Some(AttributeValue::S(s))) => text == s,
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            match (key.index.is_none(), expected) {
                (true, expected) => rewrite.table_key_changes.push(TableKeyChange {
                    attribute: key.attribute.clone(),
                    stored: stored.cloned(),
                    expected,
                }),
                (false, Some(text)) => rewrite.set.push((key.attribute.clone(), text)),
                (false, None) => rewrite.remove.push(key.attribute.clone()),
            }
        }
        // Joined attributes are stored beside the keys; one whose sources cannot be joined is
        // left as it is (a key reading it was reported above).
        for join in &self.joined {
            let value = |name: &str| {
                self.field(name)
                    .and_then(|f| item.get(f.stored_name()))
                    .filter(|v| !matches!(v, AttributeValue::Null(_)))
                    .cloned()
            };
            if let Ok(text) = join.render(value)
                && !matches!(item.get(&join.attribute), Some(AttributeValue::S(s)) if *s == text)
            {
                rewrite.joined.push((join.attribute.clone(), text));
            }
        }
        Ok(rewrite)
    }
}

/// The first of `entities` that owns the item (see [`EntityDefinition::owns`]).
pub fn classify<'a>(entities: &'a [EntityDefinition], item: &Item) -> Option<&'a EntityDefinition> {
    entities.iter().find(|e| e.owns(item))
}

/// Running totals of a backfill. In a dry run, `rewritten` counts the items that would be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Items read.
    pub scanned: u64,
    /// Items of the given entities.
    pub matched: u64,
    /// Items whose key attributes were rewritten.
    pub rewritten: u64,
    /// Items whose key attributes were already right.
    pub unchanged: u64,
    /// Items whose table key would change: reported, left as they are.
    pub needs_new_item: u64,
    /// Items whose keys could not be computed or written.
    pub failed: u64,
    /// Items deleted (or given another entity type) while the backfill ran.
    pub gone: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.scanned += o.scanned;
        self.matched += o.matched;
        self.rewritten += o.rewritten;
        self.unchanged += o.unchanged;
        self.needs_new_item += o.needs_new_item;
        self.failed += o.failed;
        self.gone += o.gone;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scanned {}, matched {}: {} rewritten, {} unchanged, {} need a new item, {} failed",
            self.scanned, self.matched, self.rewritten, self.unchanged, self.needs_new_item, self.failed
        )?;
        if self.gone > 0 {
            write!(f, ", {} gone", self.gone)?;
        }
        Ok(())
    }
}

/// Why one item was not rewritten.
#[derive(Debug)]
#[non_exhaustive]
pub enum Problem {
    /// The table's own key would change; the item was left as it is.
    NeedsNewItem(Vec<TableKeyChange>),
    /// Its keys could not be computed from its stored values.
    Keys(KeyError),
    /// Concurrent changes failed the update's condition on every attempt.
    Contended {
        /// How many times it was tried.
        attempts: u32,
    },
    /// The update (or reading the item again) failed.
    Write(Error),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NeedsNewItem(changes) => {
                let changes: Vec<String> = changes.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "its table key would change ({}); an update cannot move an item: write it under the new key and delete this one",
                    changes.join(", ")
                )
            }
            Problem::Keys(e) => write!(f, "{e}"),
            Problem::Contended { attempts } => write!(
                f,
                "the item kept changing while it was rewritten ({attempts} attempts); run the backfill again"
            ),
            Problem::Write(e) => write!(f, "the update failed: {e}"),
        }
    }
}

/// The table key of an item as stored: the partition key, then the sort key.
pub type StoredKey = Vec<(String, AttributeValue)>;

fn key_text(key: &StoredKey) -> String {
    key.iter()
        .map(|(a, v)| format!("{a}={}", show_value(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An item that was not rewritten, and why.
#[derive(Debug)]
pub struct ItemProblem {
    /// Its entity type.
    pub entity: String,
    /// Its table key.
    pub key: StoredKey,
    /// What went wrong.
    pub problem: Problem,
}

impl fmt::Display for ItemProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", key_text(&self.key), self.entity, self.problem)
    }
}

/// An item whose key attributes were rewritten (or, in a dry run, would be).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    /// Its entity type.
    pub entity: String,
    /// Its table key.
    pub key: StoredKey,
    /// What was set and removed.
    pub rewrite: KeyRewrite,
}

impl fmt::Display for ItemChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", key_text(&self.key), self.entity, self.rewrite)
    }
}

/// What one page of a backfill did, handed to the callback of [`Backfill::run`].
#[derive(Debug)]
pub struct PageReport {
    /// The page's number in this run, from 1.
    pub page: usize,
    /// This page's counts.
    pub counts: Counts,
    /// The counts so far, those given to [`Backfill::resume`] included.
    pub totals: Counts,
    /// Where the next page starts; `None` when this was the last page. Save it (with `totals`)
    /// to resume later.
    pub cursor: Option<Cursor>,
    /// The items rewritten (or that would be, in a dry run), in scan order.
    pub changes: Vec<ItemChange>,
    /// The items that were not rewritten, and why, in scan order.
    pub problems: Vec<ItemProblem>,
}

/// How a backfill ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillReport {
    /// The totals, those given to [`Backfill::resume`] included.
    pub counts: Counts,
    /// Whether the whole table was read.
    pub complete: bool,
    /// Where to resume when it is not complete.
    pub cursor: Option<Cursor>,
    /// How many pages this run read.
    pub pages: usize,
    /// Whether nothing was written.
    pub dry_run: bool,
}

impl BackfillReport {
    /// Whether every matched item has its keys right (or, in a dry run, could have): nothing
    /// failed and no item needs a new key.
    pub fn is_clean(&self) -> bool {
        self.counts.failed == 0 && self.counts.needs_new_item == 0
    }
}

/// Why a backfill could not start or could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackfillError {
    /// No entity was given.
    #[error("backfill of table `{table}`: no entity given")]
    NoEntities {
        /// The table.
        table: String,
    },
    /// The same entity type was given twice.
    #[error("backfill of table `{table}`: entity `{entity}` is given twice")]
    DuplicateEntity {
        /// The table.
        table: String,
        /// The entity type.
        entity: String,
    },
    /// An entity definition is invalid for the table; every problem is listed.
    #[error(transparent)]
    InvalidEntity(#[from] EntityProblems),
    /// An option is out of range.
    #[error("backfill of table `{table}`: {what} must be at least 1")]
    InvalidOption {
        /// The table.
        table: String,
        /// The option (`page size`, `concurrency`, `attempts`).
        what: &'static str,
    },
    /// Reading a page failed, or the cursor to resume from is not one of this table's. The
    /// pages reported before were done; resume from the last cursor reported.
    #[error(transparent)]
    Dynamo(#[from] Error),
}

/// A backfill of the key attributes of some entities of one table; see the [module
/// docs](self).
#[derive(Debug)]
#[must_use = "a backfill does nothing until it is run"]
pub struct Backfill {
    client: Client,
    table: TableDefinition,
    table_name: String,
    entities: Vec<EntityDefinition>,
    page_size: Option<u32>,
    concurrency: usize,
    attempts: u32,
    retry: RetryPolicy,
    dry_run: bool,
    start: Option<Cursor>,
    counts: Counts,
    max_pages: Option<usize>,
}

/// What a backfill did with one item.
#[derive(Debug)]
#[non_exhaustive]
pub enum ItemOutcome {
    /// The item is of none of the backfill's entities.
    NotMatched,
    /// Its key attributes were rewritten (or, in a dry run, would be).
    Rewritten(ItemChange),
    /// Its key attributes were already right.
    Unchanged,
    /// It was deleted, or given another entity type, while the backfill ran.
    Gone,
    /// It was not rewritten.
    Problem(ItemProblem),
}

impl Counts {
    /// Counts one scanned item's outcome.
    pub fn count(&mut self, outcome: &ItemOutcome) {
        self.scanned += 1;
        if matches!(outcome, ItemOutcome::NotMatched) {
            return;
        }
        self.matched += 1;
        match outcome {
            ItemOutcome::Rewritten(_) => self.rewritten += 1,
            ItemOutcome::Unchanged => self.unchanged += 1,
            ItemOutcome::Gone => self.gone += 1,
            ItemOutcome::Problem(p) if matches!(p.problem, Problem::NeedsNewItem(_)) => {
                self.needs_new_item += 1;
            }
            ItemOutcome::Problem(_) => self.failed += 1,
            ItemOutcome::NotMatched => {}
        }
    }
}

/// What happened to one item of an entity.
enum Outcome {
    Rewritten(KeyRewrite),
    Unchanged,
    Gone,
    Problem(Problem),
}

impl Backfill {
    /// A backfill of `entities` in the table `table` defines (under its declared name; see
    /// [`table_name`](Self::table_name)).
    pub fn new(
        client: &Client,
        table: &TableDefinition,
        entities: impl IntoIterator<Item = EntityDefinition>,
    ) -> Self {
        Self {
            client: client.clone(),
            table_name: table.name.clone(),
            table: table.clone(),
            entities: entities.into_iter().collect(),
            page_size: None,
            concurrency: DEFAULT_CONCURRENCY,
            attempts: DEFAULT_ATTEMPTS,
            retry: RetryPolicy::default(),
            dry_run: false,
            start: None,
            counts: Counts::default(),
            max_pages: None,
        }
    }

    /// Works on the live table with this name (a stage's), rather than the declared one.
    pub fn table_name(mut self, name: impl Into<String>) -> Self {
        self.table_name = name.into();
        self
    }

    /// Reads at most this many items per page (DynamoDB's `Limit`; by default a page is up to
    /// 1 MB).
    pub fn page_size(mut self, items: u32) -> Self {
        self.page_size = Some(items);
        self
    }

    /// Keeps at most this many updates in flight (default [`DEFAULT_CONCURRENCY`]).
    pub fn concurrency(mut self, updates: usize) -> Self {
        self.concurrency = updates;
        self
    }

    /// Tries an item at most this many times when concurrent changes fail its condition
    /// (default [`DEFAULT_ATTEMPTS`]).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// How throttled updates are retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Computes and reports what would change, writing nothing.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// Continues a backfill from the cursor of a page it reported, with the totals it reported
    /// then.
    pub fn resume(mut self, cursor: Cursor, totals: Counts) -> Self {
        self.start = Some(cursor);
        self.counts = totals;
        self
    }

    /// Stops after this many pages (the report then holds the cursor to resume from).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = Some(pages);
        self
    }

    fn check(&self) -> Result<(), BackfillError> {
        let table = || self.table.name.clone();
        if self.entities.is_empty() {
            return Err(BackfillError::NoEntities { table: table() });
        }
        for (i, e) in self.entities.iter().enumerate() {
            if self.entities[..i].iter().any(|o| o.name == e.name) {
                return Err(BackfillError::DuplicateEntity {
                    table: table(),
                    entity: e.name.clone(),
                });
            }
            e.validate(&self.table)?;
        }
        for (what, bad) in [
            ("the page size", self.page_size == Some(0)),
            ("the concurrency", self.concurrency == 0),
            ("the number of attempts", self.attempts == 0),
        ] {
            if bad {
                return Err(BackfillError::InvalidOption { table: table(), what });
            }
        }
        Ok(())
    }

    /// Rewrites the key attributes of one item as it was read (by a scan of your own, or from a
    /// stream record's new image): nothing when it is of none of the entities. The update is
    /// conditioned on the item being unchanged since, as in [`run`](Self::run).
    pub async fn rewrite_item(&self, item: Item) -> Result<ItemOutcome, BackfillError> {
        self.check()?;
        Ok(self.handle(item).await)
    }

    async fn handle(&self, item: Item) -> ItemOutcome {
        let Some(entity) = classify(&self.entities, &item) else {
            return ItemOutcome::NotMatched;
        };
        let key: StoredKey = std::iter::once(&self.table.partition_key)
            .chain(self.table.sort_key.as_ref())
            .filter_map(|a| item.get(a).map(|v| (a.clone(), v.clone())))
            .collect();
        let name = entity.name.clone();
        match self.process(entity, &key, item).await {
            Outcome::Rewritten(rewrite) => ItemOutcome::Rewritten(ItemChange {
                entity: name,
                key,
                rewrite,
            }),
            Outcome::Unchanged => ItemOutcome::Unchanged,
            Outcome::Gone => ItemOutcome::Gone,
            Outcome::Problem(problem) => ItemOutcome::Problem(ItemProblem {
                entity: name,
                key,
                problem,
            }),
        }
    }

    /// Scans the table page by page, rewriting the key attributes of the entities' items, and
    /// calls `on_page` after each page; returning [`ControlFlow::Break`] stops there (the report
    /// then holds the cursor to resume from).
    pub async fn run(
        self,
        mut on_page: impl FnMut(&PageReport) -> ControlFlow<()>,
    ) -> Result<BackfillReport, BackfillError> {
        self.check()?;
        let key_attributes: Vec<String> = std::iter::once(self.table.partition_key.clone())
            .chain(self.table.sort_key.clone())
            .collect();
        let mut start = match &self.start {
            Some(cursor) => Some(cursor.decode(&self.table_name, None, &self.table, &key_attributes)?),
            None => None,
        };
        let request = ReadRequest {
            table: self.table_name.clone(),
            limit: self.page_size,
            ..ReadRequest::default()
        };
        let mut totals = self.counts;
        let mut pages = 0usize;
        loop {
            let page = self
                .client
                .engine()
                .read_page(ReadPageRequest {
                    read: request.clone(),
                    start: start.take(),
                    segment: None,
                })
                .await?;
            pages += 1;
            let mut counts = Counts::default();
            let outcomes: Vec<ItemOutcome> = futures::stream::iter(page.items)
                .map(|item| self.handle(item))
                .buffered(self.concurrency)
                .collect()
                .await;
            let mut changes = Vec::new();
            let mut problems = Vec::new();
            for outcome in outcomes {
                counts.count(&outcome);
                match outcome {
                    ItemOutcome::Rewritten(change) => changes.push(change),
                    ItemOutcome::Problem(problem) => problems.push(problem),
                    ItemOutcome::NotMatched | ItemOutcome::Unchanged | ItemOutcome::Gone => {}
                }
            }
            totals += counts;
            let last_key = page.last_key.filter(|k| !k.is_empty());
            let cursor = last_key
                .as_ref()
                .map(|k| Cursor::encode(&self.table_name, None, k))
                .transpose()?;
            let report = PageReport {
                page: pages,
                counts,
                totals,
                cursor: cursor.clone(),
                changes,
                problems,
            };
            let flow = on_page(&report);
            let stop = flow.is_break() || self.max_pages.is_some_and(|max| pages >= max);
            match last_key {
                Some(key) if !stop => start = Some(key),
                _ => {
                    return Ok(BackfillReport {
                        counts: totals,
                        complete: cursor.is_none(),
                        cursor,
                        pages,
                        dry_run: self.dry_run,
                    });
                }
            }
        }
    }

    /// Rewrites one item's keys: retried with the item as it is now when a concurrent change
    /// failed the condition, and after a wait when throttled.
    async fn process(&self, entity: &EntityDefinition, key: &StoredKey, mut item: Item) -> Outcome {
        let mut attempt = 0u32;
        let mut throttled = 0u32;
        let mut jitter = Jitter::fresh();
        loop {
            let rewrite = match entity.key_rewrite(&item) {
                Ok(r) => r,
                Err(e) => return Outcome::Problem(Problem::Keys(e)),
            };
            if rewrite.needs_new_item() {
                return Outcome::Problem(Problem::NeedsNewItem(rewrite.table_key_changes));
            }
            if rewrite.is_empty() {
                return Outcome::Unchanged;
            }
            if self.dry_run {
                return Outcome::Rewritten(rewrite);
            }
            attempt += 1;
            match self.write(entity, key, &item, &rewrite).await {
                Ok(()) => return Outcome::Rewritten(rewrite),
                Err(Error::ConditionalCheckFailed { item: returned, .. }) => {
                    let now = match returned {
                        Some(now) => Some(*now),
                        // Not every engine hands the item back; read it.
                        None => match self.read(key).await {
                            Ok(now) => now,
                            Err(e) => return Outcome::Problem(Problem::Write(e)),
                        },
                    };
                    match now {
                        Some(now) if entity.owns(&now) => item = now,
                        _ => return Outcome::Gone,
                    }
                    if attempt >= self.attempts {
                        return Outcome::Problem(Problem::Contended { attempts: attempt });
                    }
                }
                Err(e) if e.is_throttled() && self.retry.allows_after(throttled + 1) => {
                    throttled += 1;
                    attempt -= 1;
                    self.retry.wait(throttled, &mut jitter).await;
                }
                Err(e) => return Outcome::Problem(Problem::Write(e)),
            }
        }
    }

    /// Sets and removes the key attributes, on condition that the item is still of the entity
    /// and every field the rewritten keys read still holds the value read.
    async fn write(
        &self,
        entity: &EntityDefinition,
        key: &StoredKey,
        item: &Item,
        rewrite: &KeyRewrite,
    ) -> Result<(), Error> {
        let mut update = Update::new();
        for (attribute, text) in &rewrite.set {
            update = update.set(attribute.as_str(), Value::from(AttributeValue::S(text.clone())));
        }
        for attribute in &rewrite.remove {
            update = update.remove(attribute.as_str());
        }
        for (attribute, text) in &rewrite.joined {
            update = update.set(attribute.as_str(), Value::from(AttributeValue::S(text.clone())));
        }
        let mut attributes = ExpressionAttributes::new();
        let update_expression = update.render(&mut attributes)?;
        let condition_expression =
            unchanged_condition(entity, &self.table.partition_key, item, rewrite).render(&mut attributes)?;
        let (names, values) = attributes.into_parts();
        self.client
            .engine()
            .update_item(UpdateItem {
                table: self.table_name.clone(),
                key: key.iter().cloned().collect(),
                update: update_expression,
                condition: Some(condition_expression),
                placeholders: Placeholders {
                    names: names.unwrap_or_default(),
                    values: values.unwrap_or_default(),
                },
                return_values: ReturnValues::None,
                return_old_on_failure: true,
            })
            .await
            .map(|_| ())
    }

    async fn read(&self, key: &StoredKey) -> Result<Option<Item>, Error> {
        self.client
            .engine()
            .get_item(GetItem {
                table: self.table_name.clone(),
                key: key.iter().cloned().collect(),
                consistent_read: true,
                ..GetItem::default()
            })
            .await
    }
}

/// The condition of a rewrite: the item still exists and is of the entity, and every field read
/// by a key of an index the rewrite touches holds the value read (or is still absent).
fn unchanged_condition(
    entity: &EntityDefinition,
    partition_key: &str,
    item: &Item,
    rewrite: &KeyRewrite,
) -> Condition {
    let mut conditions = vec![match &entity.entity_attribute {
        Some(a) => attr(a.as_str()).eq(entity.name.as_str()),
        None => attr(partition_key).exists(),
    }];
    let mut indexes: Vec<Option<&str>> = Vec::new();
    for attribute in rewrite.attributes() {
        if let Some(k) = entity.key(attribute)
            && !indexes.contains(&k.index.as_deref())
        {
            indexes.push(k.index.as_deref());
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    let join_sources = rewrite
        .joined
        .iter()
        .filter_map(|(a, _)| entity.joined_attribute(a))
        .flat_map(|j| j.fields.iter().map(String::as_str));
    let key_sources = indexes
        .into_iter()
        .flat_map(|index| entity.keys_of(index))
        .flat_map(|key| entity.key_fields(key));
    {
        {
            for field in key_sources.chain(join_sources) {
                let Some(stored) = entity.field(field).map(|f| f.stored_name()) else {
                    continue;
                };
                if seen.contains(&stored) {
                    continue;
                }
                seen.push(stored);
                conditions.push(match item.get(stored) {
                    None => attr(stored).not_exists(),
                    Some(AttributeValue::Null(_)) => attr(stored).is_type(StoredType::Null),
                    Some(v) => attr(stored).eq(Value::from(v.clone())),
                });
            }
        }
    }
    Condition::all(conditions)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::entity::model::{EntityField, EntityJoin};

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    fn field(name: &str, optional: bool) -> EntityField {
        EntityField {
            name: name.to_owned(),
            stored: None,
            optional,
            immutable: false,
        }
    }

    fn key(index: Option<&str>, attribute: &str, template: &str, sparse: bool) -> EntityKey {
        EntityKey {
            index: index.map(str::to_owned),
            attribute: attribute.to_owned(),
            template: template.to_owned(),
            sparse,
        }
    }

    fn user() -> EntityDefinition {
        EntityDefinition {
            indexes: Vec::new(),
            form: None,
            version: None,
            schema_version: None,
            name: "User".into(),
            table: "app".into(),
            entity_attribute: Some("__entity".into()),
            fields: vec![
                field("tenant", false),
                EntityField {
                    stored: Some("UserId".into()),
                    ..field("user", false)
                },
                field("team", true),
                field("n", false),
            ],
            keys: vec![
                key(None, "pk", "T#{tenant}", false),
                key(None, "sk", "U#{user}", false),
                key(Some("gsi1"), "gsi1pk", "TEAM#{team}", true),
                key(Some("gsi1"), "gsi1sk", "U#{user}", true),
                key(Some("gsi2"), "gsi2pk", "N#{n:04}", false),
                key(Some("gsi2"), "gsi2sk", "{tu}", false),
            ],
            joined: vec![EntityJoin {
                attribute: "tu".into(),
                fields: vec!["tenant".into(), "user".into()],
                separator: "~".into(),
            }],
        }
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn keys_come_from_stored_names_joins_and_padding() {
        let e = user();
        assert!(e.problems().is_empty(), "{:?}", e.problems());
        let it = item(&[
            ("tenant", s("acme")),
            ("UserId", s("ann")),
            ("team", s("red")),
            ("n", AttributeValue::N("7".into())),
            ("pk", s("T#acme")),
            ("sk", s("U#ann")),
            ("gsi2pk", s("N#7")),
        ]);
        let rewrite = e.key_rewrite(&it).unwrap();
        assert_eq!(
            rewrite.set,
            [
                ("gsi1pk".to_owned(), "TEAM#red".to_owned()),
                ("gsi1sk".to_owned(), "U#ann".to_owned()),
                ("gsi2pk".to_owned(), "N#0007".to_owned()),
                ("gsi2sk".to_owned(), "acme~ann".to_owned()),
            ]
        );
        assert!(rewrite.remove.is_empty() && !rewrite.needs_new_item());
        // The joined attribute is stored beside the keys: missing here, so it is written too,
        // and the update is conditioned on its sources.
        assert_eq!(rewrite.joined, [("tu".to_owned(), "acme~ann".to_owned())]);
        assert!(rewrite.to_string().contains("join tu = `acme~ann`"), "{rewrite}");
        let mut attributes = crate::expr::ExpressionAttributes::new();
        let only_join = KeyRewrite {
            joined: rewrite.joined.clone(),
            ..KeyRewrite::default()
        };
        unchanged_condition(&e, "pk", &it, &only_join)
            .render(&mut attributes)
            .unwrap();
        let names: Vec<&String> = attributes.names().values().collect();
        assert!(
            names.iter().any(|n| *n == "UserId") && names.iter().any(|n| *n == "tenant"),
            "{names:?}"
        );
        let mut current = it.clone();
        current.insert("tu".into(), s("acme~ann"));
        assert!(e.key_rewrite(&current).unwrap().joined.is_empty());
    }

    #[test]
    fn a_sparse_index_with_an_absent_field_is_removed_whole() {
        let e = user();
        let it = item(&[
            ("tenant", s("acme")),
            ("UserId", s("ann")),
            ("team", AttributeValue::Null(true)),
            ("n", AttributeValue::N("7".into())),
            ("pk", s("T#acme")),
            ("sk", s("U#ann")),
            ("gsi1pk", s("TEAM#old")),
            ("gsi1sk", s("U#ann")),
            ("gsi2pk", s("N#0007")),
            ("gsi2sk", s("acme~ann")),
        ]);
        let rewrite = e.key_rewrite(&it).unwrap();
        assert!(rewrite.set.is_empty());
        assert_eq!(rewrite.remove, ["gsi1pk", "gsi1sk"]);
    }

    #[test]
    fn table_key_changes_and_unrenderable_keys_are_reported() {
        let e = user();
        let mut it = item(&[
            ("tenant", s("acme")),
            ("UserId", s("ann")),
            ("n", AttributeValue::N("7".into())),
            ("pk", s("TENANT#acme")),
            ("sk", s("U#ann")),
        ]);
        let rewrite = e.key_rewrite(&it).unwrap();
        assert!(rewrite.needs_new_item());
        assert_eq!(
            rewrite.table_key_changes[0].to_string(),
            "`pk` from `TENANT#acme` to `T#acme`"
        );
        // A padded placeholder over text.
        it.insert("n".into(), s("seven"));
        let err = e.key_rewrite(&it).unwrap_err();
        assert!(
            matches!(&err, KeyError::Template { attribute, .. } if attribute == "gsi2pk"),
            "{err}"
        );
        // A required field absent.
        it.remove("n");
        let err = e.key_rewrite(&it).unwrap_err().to_string();
        assert!(
            err.contains("index `gsi2` key `gsi2pk`") && err.contains("`n`"),
            "{err}"
        );
        // A joined source that cannot be joined.
        let mut e = e;
        e.fields.push(field("extra", true));
        e.joined[0].fields.push("extra".into());
        it.insert("n".into(), AttributeValue::N("7".into()));
        it.insert("extra".into(), AttributeValue::Bool(true));
        let err = e.key_rewrite(&it).unwrap_err();
        assert!(
            matches!(&err, KeyError::Join { joined, .. } if joined == "tu"),
            "{err}"
        );
    }

    #[test]
    fn ownership_by_entity_attribute_or_by_table_keys() {
        let mut e = user();
        let mut it = item(&[("pk", s("T#acme")), ("sk", s("U#ann")), ("__entity", s("User"))]);
        assert!(e.owns(&it));
        it.insert("__entity".into(), s("Order"));
        assert!(!e.owns(&it));
        e.entity_attribute = None;
        assert!(e.owns(&it));
        it.insert("sk".into(), s("O#1"));
        assert!(!e.owns(&it));
    }

    #[test]
    fn the_condition_covers_the_fields_of_the_touched_indexes_only() {
        let e = user();
        let it = item(&[("tenant", s("acme")), ("UserId", s("ann")), ("team", s("red"))]);
        let rewrite = KeyRewrite {
            set: vec![("gsi1pk".into(), "TEAM#red".into())],
            ..KeyRewrite::default()
        };
        let mut attributes = ExpressionAttributes::new();
        let text = unchanged_condition(&e, "pk", &it, &rewrite)
            .render(&mut attributes)
            .unwrap();
        let mut names: Vec<&String> = attributes.names().values().collect();
        names.sort();
        assert_eq!(names, ["UserId", "__entity", "team"]);
        assert_eq!(text.matches(" AND ").count(), 2, "{text}");
    }
}

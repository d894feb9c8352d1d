//! Errors: one enum for everything dynorm reports, each variant naming what was wrong.

use std::fmt;

use crate::{AttributeValue, Item};

/// The result type of dynorm operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in dynorm.
///
/// Engine errors are mapped to the same variants whichever engine answered (the embedded
/// engine, DynamoDB, or any compatible endpoint), so code and tests can match on them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A table definition breaks DynamoDB's rules; every problem is listed.
    #[error("{0}")]
    InvalidDefinition(#[from] DefinitionErrors),

    /// A value could not be encoded into its stored form.
    #[error(transparent)]
    Encode(#[from] EncodeError),

    /// A stored item could not be decoded into its Rust type.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// The table (or index) does not exist.
    #[error("table `{table}` not found: {message}")]
    TableNotFound {
        /// The table that was named.
        table: String,
        /// The engine's message.
        message: String,
    },

    /// The table already exists, or is being created, updated or deleted.
    #[error("table `{table}` is in use: {message}")]
    TableInUse {
        /// The table that was named.
        table: String,
        /// The engine's message.
        message: String,
    },

    /// A live table differs from its definition.
    #[error("table `{table}` differs from its definition: {}", .differences.join("; "))]
    TableMismatch {
        /// The table that was compared.
        table: String,
        /// One line per difference, naming what differs and both sides.
        differences: Vec<String>,
    },

    /// A condition expression evaluated to false.
    #[error("conditional check failed on table `{table}`")]
    ConditionalCheckFailed {
        /// The table written to.
        table: String,
        /// The item as it was, when it was asked for.
        item: Option<Box<Item>>,
    },

    /// A transaction was cancelled; the reasons are per item, in request order.
    #[error("transaction cancelled: {}", .reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", "))]
    TransactionCanceled {
        /// One reason per transaction item.
        reasons: Vec<CancellationReason>,
    },

    /// The request was refused by DynamoDB's validation (the message is DynamoDB's own).
    #[error("validation error on table `{table}`: {message}")]
    Validation {
        /// The table the request was for (empty when it named none).
        table: String,
        /// DynamoDB's message.
        message: String,
    },

    /// Throughput was exceeded or the request was throttled.
    #[error("throttled on table `{table}`: {message}")]
    Throttled {
        /// The table the request was for.
        table: String,
        /// The engine's message.
        message: String,
    },

    /// An expression nests deeper than dynorm lets through (see [`MAX_EXPRESSION_DEPTH`]).
    ///
    /// [`MAX_EXPRESSION_DEPTH`]: crate::engine::MAX_EXPRESSION_DEPTH
    #[error("{field} nests {depth} levels deep, more than the {limit} dynorm allows (table `{table}`)")]
    ExpressionTooDeep {
        /// The table the request was for.
        table: String,
        /// Which expression (e.g. `ConditionExpression`).
        field: String,
        /// How deep it nests.
        depth: usize,
        /// The allowed depth.
        limit: usize,
    },

    /// An expression could not be built: a malformed document path, an `IN` list of the wrong
    /// length, two update actions on overlapping paths, or a filter naming an attribute or a
    /// comparison the table does not have (the message names what was wrong and what is valid).
    #[error("invalid expression{}: {message}", if .table.is_empty() { String::new() } else { format!(" for table `{}`", .table) })]
    InvalidExpression {
        /// The table the expression is for (empty when it is not tied to one).
        table: String,
        /// What was wrong.
        message: String,
    },

    /// A wait (for a table to become active or to go away) ran out of time.
    #[error("timed out waiting for table `{table}` to {what}")]
    Timeout {
        /// The table waited on.
        table: String,
        /// What was waited for.
        what: String,
    },

    /// Any other error the engine returned, with its DynamoDB error code.
    #[error("{code} on table `{table}`: {message}")]
    Service {
        /// The table the request was for.
        table: String,
        /// DynamoDB's error code, e.g. `InternalServerError`.
        code: String,
        /// The engine's message.
        message: String,
    },

    /// The request could not be sent or its answer not read (network, credentials, configuration).
    #[error("could not reach DynamoDB for table `{table}`: {message}")]
    Transport {
        /// The table the request was for.
        table: String,
        /// What went wrong.
        message: String,
    },

    /// A table prefix or stage ([`TableNames`](crate::TableNames)) that cannot start a
    /// DynamoDB table name.
    #[error("invalid table prefix `{prefix}`: {message}")]
    InvalidTablePrefix {
        /// The prefix that was given.
        prefix: String,
        /// What is wrong with it.
        message: String,
    },

    /// The embedded engine could not be opened.
    #[error("could not open the embedded database{}: {message}", .path.as_deref().map(|p| format!(" at `{p}`")).unwrap_or_default())]
    EmbeddedOpen {
        /// The database file, if it is file-backed.
        path: Option<String>,
        /// What went wrong.
        message: String,
    },

    /// A query or scan named an index the table's definition does not have.
    #[error("table `{table}` has no index `{index}` (its indexes: {})", if .known.is_empty() { "none".to_owned() } else { .known.join(", ") })]
    UnknownIndex {
        /// The table queried.
        table: String,
        /// The index that was named.
        index: String,
        /// The indexes the definition has.
        known: Vec<String>,
    },

    /// A query's key condition names attributes other than the keys of the table or index read.
    #[error("key condition on table `{table}`{}: expected {expected}, found {found}", .index.as_deref().map(|i| format!(" index `{i}`")).unwrap_or_default())]
    InvalidKeyCondition {
        /// The table queried.
        table: String,
        /// The index queried, if any.
        index: Option<String>,
        /// The key attribute(s) the table or index has.
        expected: String,
        /// What the key condition named.
        found: String,
    },

    /// A pagination cursor was tampered with, is malformed, or belongs to another table or index.
    #[error("invalid cursor for table `{table}`{}: {reason}", .index.as_deref().map(|i| format!(" index `{i}`")).unwrap_or_default())]
    InvalidCursor {
        /// The table read.
        table: String,
        /// The index read, if any.
        index: Option<String>,
        /// What was wrong with the cursor.
        reason: String,
    },

    /// A PartiQL statement refused before it was sent: not a `SELECT`, another table, an
    /// attribute the model does not name, a scan not asked for, parameters not matching.
    #[error("invalid PartiQL statement on table `{table}`{}: {message}", if *.column > 0 { format!(" at column {column}") } else { String::new() })]
    InvalidStatement {
        /// The table the statement was run on.
        table: String,
        /// Where in the statement (1-based, in characters; 0 for the whole statement).
        column: usize,
        /// What was wrong.
        message: String,
    },

    /// A strict read ([`crate::strict::Strict::Refuse`]) met an item holding attributes its type
    /// does not name.
    #[error("item {key} of table `{table}` holds attributes its type does not name: {}", .attributes.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "))]
    UnexpectedAttributes {
        /// The table read.
        table: String,
        /// The item's key, rendered.
        key: String,
        /// The attributes the type does not name, sorted.
        attributes: Vec<String>,
    },

    /// Reading from a KEYS_ONLY or INCLUDE index into a type that needs attributes the index
    /// does not hold (they would otherwise come back missing or defaulted).
    #[error("index `{index}` of table `{table}` does not project {}; read a projection type or fetch the full items", .missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "))]
    IndexProjection {
        /// The table read.
        table: String,
        /// The index read.
        index: String,
        /// The attributes needed that the index does not hold.
        missing: Vec<String>,
    },

    /// A read request combines options DynamoDB (or dynorm) refuses, e.g. a consistent read on a
    /// global secondary index, a page size of 0, or a cursor on a parallel scan.
    #[error("invalid request on table `{table}`{}: {message}", .index.as_deref().map(|i| format!(" index `{i}`")).unwrap_or_default())]
    InvalidRequest {
        /// The table read.
        table: String,
        /// The index read, if any.
        index: Option<String>,
        /// What was wrong.
        message: String,
    },

    /// No item has this key: from the `get_or_fail` operations (a plain get returns `None`), and
    /// from writes that need the item to exist (`must_exist()`, `entity_update`), like
    /// single-table-orm's `ObjectDoesNotExist`.
    #[error("no item with key {key} in table `{table}`")]
    NotFound {
        /// The table read.
        table: String,
        /// The key, rendered readably: `id = "ada"`, `pk = "a", sk = 3`.
        key: String,
    },

    /// An optimistic-locking write found another version stored than the one the value carries:
    /// someone else wrote the item since it was read. Read it again and retry.
    #[error("version conflict on key {key} in table `{table}`: expected version {expected}, found {}", .found.map_or_else(|| "no item".to_owned(), |v| format!("version {v}")))]
    VersionConflict {
        /// The table written to.
        table: String,
        /// The key, rendered readably.
        key: String,
        /// The version the write expected to find (0: no item yet).
        expected: u64,
        /// The version stored (`None` when there was no versioned item), when known.
        found: Option<u64>,
    },

    /// An update of a type with a schema version (`#[dynorm(schema_version = N)]`) found the
    /// item stored at an older version, and writes attributes that version does not store:
    /// applied in place it would leave a half-upgraded item. Read the item (it is upgraded on
    /// read) and put it, or run [`Upgrade`](crate::evolve::Upgrade) first.
    #[error(
        "{what} item {key} in table `{table}` is stored at schema version {stored}, older than this build's {current}: an update writing attributes version {stored} does not store would half-upgrade it; read and put it, or run the upgrade first"
    )]
    OutdatedSchemaVersion {
        /// The table written to.
        table: String,
        /// What the item is: ``entity `User` `` or ``type `Person` ``.
        what: String,
        /// The key, rendered readably.
        key: String,
        /// The version the item is stored at.
        stored: u32,
        /// The version this build stores.
        current: u32,
    },

    /// An item is larger than DynamoDB accepts (400 KB, counted with DynamoDB's size rules:
    /// attribute name bytes plus value sizes).
    #[error("item with key {key} in table `{table}` is {size} bytes, over the {limit}-byte limit")]
    ItemTooLarge {
        /// The table written to.
        table: String,
        /// The key, rendered readably.
        key: String,
        /// The item's size in bytes.
        size: usize,
        /// The limit (409,600 bytes).
        limit: usize,
    },

    /// A key attribute is missing, of the wrong type, empty, too long, not a valid number, or
    /// an update tried to change it.
    #[error("invalid key attribute `{attribute}` of table `{table}`: {reason}")]
    InvalidKey {
        /// The table.
        table: String,
        /// The key attribute.
        attribute: String,
        /// What was wrong, with what was expected and found.
        reason: String,
    },

    /// A request holds more items than DynamoDB accepts in one call (100 transaction items, say).
    #[error("{operation} on table `{table}` has {count} items, more than the {limit} allowed")]
    TooManyItems {
        /// The table (the first one, for requests spanning several).
        table: String,
        /// The operation, e.g. `TransactWriteItems`.
        operation: String,
        /// How many items the request holds.
        count: usize,
        /// DynamoDB's limit.
        limit: usize,
    },

    /// Two items of one transaction name the same item (DynamoDB refuses this); refused before
    /// sending.
    #[error("transaction items #{first} and #{second} both name the item with key {key} of table `{table}`")]
    DuplicateTransactionItem {
        /// The table of both items.
        table: String,
        /// The key both items name, as text.
        key: String,
        /// The position of the first item (from 0, in the order they were added).
        first: usize,
        /// The position of the second item.
        second: usize,
    },

    /// A transaction built with [`Client::transact_write`](crate::Client::transact_write) or
    /// [`Client::transact_get`](crate::Client::transact_get) was cancelled: one entry per item, in
    /// the order the items were added, each naming its table and key beside DynamoDB's reason.
    #[error("transaction cancelled: {}", .items.iter().map(|i| format!("#{} `{}` {}: {}", i.index, i.table, i.key_text(), i.reason.code)).collect::<Vec<_>>().join(", "))]
    TransactionItemsCanceled {
        /// One entry per transaction item.
        items: Vec<CanceledItem>,
    },

    /// An update changes attributes that a computed attribute (an entity's index key or joined
    /// attribute) is built from, without the other values needed to rebuild it; refused rather
    /// than leave the computed attribute stale.
    #[error("updating `{entity}` in table `{table}`: `{attribute}`{} is built from a changed field and also from {}, which the update does not give; use `entity_update(..)` with `.known(..)` or `.read_first()`", .index.as_ref().map(|i| format!(" (index `{i}`)")).unwrap_or_default(), .missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "))]
    IncompleteUpdate {
        /// The table.
        table: String,
        /// The entity type.
        entity: &'static str,
        /// The index whose key it is (`None`: a joined attribute or the table's key).
        index: Option<&'static str>,
        /// The computed attribute that would go stale.
        attribute: &'static str,
        /// The fields it also needs (or a changed field whose new value is computed in
        /// DynamoDB, so it cannot be rendered into a key).
        missing: Vec<&'static str>,
    },

    /// A write names an attribute the model computes from others (an index key, a joined
    /// attribute); only the model writes it. `raw_set`/`raw_remove` write it as given, to repair
    /// or reproduce foreign data.
    #[error("attribute `{attribute}` of table `{table}` is computed from {}; set those instead (or use `raw_set` to write it as given)", .sources.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "))]
    ComputedAttribute {
        /// The table.
        table: String,
        /// The computed attribute.
        attribute: String,
        /// The fields it is computed from.
        sources: Vec<String>,
    },

    /// A write would change (or remove) an attribute declared `#[dynorm(immutable)]` that the
    /// stored item already holds.
    #[error("attribute `{attribute}` of key {key} in table `{table}` is immutable: it holds {stored}; the write would {}", .attempted.as_ref().map_or_else(|| "remove it".to_owned(), |a| format!("make it {a}")))]
    ImmutableAttribute {
        /// The table written to.
        table: String,
        /// The key, rendered readably.
        key: String,
        /// The immutable attribute.
        attribute: String,
        /// The stored value, rendered.
        stored: String,
        /// The value the write carried, rendered (`None`: it removed the attribute; an update
        /// computing the value in DynamoDB shows its expression).
        attempted: Option<String>,
    },

    /// A change stream record could not be decoded into its Rust type.
    #[error("cannot decode stream record {sequence_number} of table `{table}`{}: {reason}", .attribute.as_ref().map_or_else(String::new, |a| format!(", attribute `{a}`")))]
    StreamDecode {
        /// The table whose stream it is.
        table: String,
        /// The record's sequence number (its event id when the record carries none).
        sequence_number: String,
        /// The attribute that could not be decoded, when one was at fault.
        attribute: Option<String>,
        /// What was wrong.
        reason: String,
    },

    /// A shard iterator expired (DynamoDB's last 15 minutes) or its data was trimmed (24 hours);
    /// a consumer renews it from its last sequence number.
    #[error(
        "the shard iterator of shard `{shard}` of table `{table}`'s stream can no longer be read: {message}"
    )]
    StreamIteratorExpired {
        /// The table whose stream it is.
        table: String,
        /// The shard read.
        shard: String,
        /// The engine's message.
        message: String,
    },
}

impl Error {
    /// The table an engine's error names, for the variants an engine answers with.
    pub(crate) fn engine_table_mut(&mut self) -> Option<&mut String> {
        match self {
            Error::TableNotFound { table, .. }
            | Error::TableInUse { table, .. }
            | Error::ConditionalCheckFailed { table, .. }
            | Error::Validation { table, .. }
            | Error::Throttled { table, .. }
            | Error::ExpressionTooDeep { table, .. }
            | Error::InvalidExpression { table, .. }
            | Error::Timeout { table, .. }
            | Error::Service { table, .. }
            | Error::Transport { table, .. } => Some(table),
            _ => None,
        }
    }

    /// Whether a condition expression failed.
    pub fn is_conditional_check_failed(&self) -> bool {
        matches!(self, Error::ConditionalCheckFailed { .. })
    }

    /// Whether an item was not found ([`Error::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether an optimistic-locking write met another version ([`Error::VersionConflict`]).
    pub fn is_version_conflict(&self) -> bool {
        matches!(self, Error::VersionConflict { .. })
    }

    /// Whether the table was not found.
    pub fn is_table_not_found(&self) -> bool {
        matches!(self, Error::TableNotFound { .. })
    }

    /// Whether DynamoDB's validation refused the request.
    pub fn is_validation(&self) -> bool {
        matches!(self, Error::Validation { .. })
    }

    /// Whether the request was throttled (worth retrying later).
    pub fn is_throttled(&self) -> bool {
        matches!(self, Error::Throttled { .. })
    }

    /// The DynamoDB error code of an engine error, e.g. `ConditionalCheckFailedException`.
    pub fn code(&self) -> Option<&str> {
        Some(match self {
            Error::TableNotFound { .. } => "ResourceNotFoundException",
            Error::TableInUse { .. } => "ResourceInUseException",
            Error::ConditionalCheckFailed { .. } => "ConditionalCheckFailedException",
            Error::TransactionCanceled { .. } => "TransactionCanceledException",
            Error::Validation { .. } => "ValidationException",
            Error::Throttled { .. } => "ThrottlingException",
            Error::Service { code, .. } => code,
            _ => return None,
        })
    }
}

/// Why one item of a cancelled transaction was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// DynamoDB's code, `None` for items that would have succeeded.
    pub code: String,
    /// DynamoDB's message.
    pub message: Option<String>,
    /// The item as it was, when asked for.
    pub item: Option<Item>,
}

/// A stored type, as named in errors: `S`, `N`, `B`, `BOOL`, `NULL`, `SS`, `NS`, `BS`, `L`, `M`.
pub type TypeName = &'static str;

/// Why a value could not be encoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot encode {}: {reason}", describe_place(.table.as_deref(), .attribute.as_deref()))]
pub struct EncodeError {
    /// The table, once known.
    pub table: Option<String>,
    /// The attribute (a path for nested values), once known.
    pub attribute: Option<String>,
    /// What was wrong.
    pub reason: String,
}

impl EncodeError {
    /// An error with a reason; the derive adds the table and attribute.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            table: None,
            attribute: None,
            reason: reason.into(),
        }
    }

    /// Names the table an operation actually used: it wins over the name a type declares (a
    /// layout's placeholder such as `test-dynamojo`, a stage's table named at run time).
    pub(crate) fn in_table(mut self, table: &str) -> Self {
        table.clone_into(self.table.get_or_insert_with(String::new));
        self
    }

    /// Names the attribute (if not named yet) and the table.
    pub fn at(mut self, table: &str, attribute: &str) -> Self {
        if self.table.is_none() {
            self.table = Some(table.to_owned());
        }
        if self.attribute.is_none() {
            self.attribute = Some(attribute.to_owned());
        }
        self
    }
}

/// Why a stored value could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot decode {}: {kind}", describe_place(.table.as_deref(), .attribute.as_deref()))]
pub struct DecodeError {
    /// The table, once known.
    pub table: Option<String>,
    /// The attribute (a path for nested values), once known.
    pub attribute: Option<String>,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// What was wrong with a stored value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A required attribute is absent.
    #[error("required attribute is missing")]
    Missing,
    /// The stored type is not the one expected.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the Rust type reads (e.g. `S`, or `N or S`).
        expected: &'static str,
        /// What was stored.
        found: TypeName,
    },
    /// The stored type is right but its content is not valid for the Rust type.
    #[error("expected {expected}, found `{found}`")]
    InvalidValue {
        /// What the Rust type needs (e.g. `an i32`).
        expected: String,
        /// The stored text, shortened.
        found: String,
    },
    /// Anything else (custom codecs).
    #[error("{0}")]
    Custom(String),
    /// An item of a type with a schema version could not be read as the current version: it
    /// claims a version newer than this build's, or its older shape did not decode or upgrade.
    #[error("{0}")]
    SchemaVersion(Box<SchemaVersionError>),
}

/// Why an item of a type with a schema version could not be read at the current version
/// ([`DecodeErrorKind::SchemaVersion`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} item {key} is stored at schema version {stored} and this build's is {current}: {reason}")]
pub struct SchemaVersionError {
    /// What the item is: ``entity `User` `` or ``type `Person` ``.
    pub what: String,
    /// The item's key, rendered readably.
    pub key: String,
    /// The version the item claims.
    pub stored: u32,
    /// The version this build stores.
    pub current: u32,
    /// What went wrong.
    pub reason: String,
}

impl DecodeError {
    /// A decode error of the given kind; the derive adds the table and attribute.
    pub fn new(kind: DecodeErrorKind) -> Self {
        Self {
            table: None,
            attribute: None,
            kind,
        }
    }

    /// The attribute is missing.
    pub fn missing() -> Self {
        Self::new(DecodeErrorKind::Missing)
    }

    /// The stored type is not the expected one.
    pub fn wrong_type(expected: &'static str, found: &aws_sdk_dynamodb::types::AttributeValue) -> Self {
        Self::new(DecodeErrorKind::WrongType {
            expected,
            found: type_name(found),
        })
    }

    /// The stored value is not valid for the Rust type.
    pub fn invalid(expected: impl Into<String>, found: &str) -> Self {
        const SHOWN: usize = 64;
        let found = match found.char_indices().nth(SHOWN) {
            Some((cut, _)) => format!("{}…", &found[..cut]),
            None => found.to_owned(),
        };
        Self::new(DecodeErrorKind::InvalidValue {
            expected: expected.into(),
            found,
        })
    }

    /// A custom codec's message.
    pub fn custom(message: impl fmt::Display) -> Self {
        Self::new(DecodeErrorKind::Custom(message.to_string()))
    }

    /// Names the table an operation actually used: it wins over the name a type declares (a
    /// layout's placeholder such as `test-dynamojo`, a stage's table named at run time).
    pub(crate) fn in_table(mut self, table: &str) -> Self {
        table.clone_into(self.table.get_or_insert_with(String::new));
        self
    }

    /// Names the attribute (if not named yet) and the table.
    pub fn at(mut self, table: &str, attribute: &str) -> Self {
        if self.table.is_none() {
            self.table = Some(table.to_owned());
        }
        if self.attribute.is_none() {
            self.attribute = Some(attribute.to_owned());
        }
        self
    }

    /// Prefixes the attribute path with a parent (used for nested values: `parent.child`, `list[3]`).
    pub fn within(mut self, parent: &str) -> Self {
        self.attribute = Some(match self.attribute.take() {
            Some(child) if child.starts_with('[') => format!("{parent}{child}"),
            Some(child) => format!("{parent}.{child}"),
            None => parent.to_owned(),
        });
        self
    }
}

fn describe_place(table: Option<&str>, attribute: Option<&str>) -> String {
    match (table, attribute) {
        (Some(t), Some(a)) => format!("attribute `{a}` of table `{t}`"),
        (None, Some(a)) => format!("attribute `{a}`"),
        (Some(t), None) => format!("an item of table `{t}`"),
        (None, None) => "a value".to_owned(),
    }
}

/// Every problem found in a table definition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct DefinitionErrors {
    /// The table the definition is for.
    pub table: String,
    /// The problems, each naming the attribute or index concerned.
    pub problems: Vec<String>,
}

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table `{}` has {} definition problem(s):",
            self.table,
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

/// The stored type's name (`S`, `N`, `M`, ...) for messages.
pub fn type_name(value: &AttributeValue) -> TypeName {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        _ => "an unknown type",
    }
}

/// What one item of a transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactAction {
    /// Puts a whole item.
    Put,
    /// Updates an item.
    Update,
    /// Deletes an item.
    Delete,
    /// Checks a condition on an item without writing it.
    ConditionCheck,
    /// Reads an item (in [`Client::transact_get`](crate::Client::transact_get)).
    Get,
}

/// One item of a cancelled transaction: where it was, what it named, and why DynamoDB refused
/// the transaction (code `None` for items that were not the cause).
#[derive(Debug, Clone, PartialEq)]
pub struct CanceledItem {
    /// The item's position, from 0, in the order the items were added.
    pub index: usize,
    /// What the item did.
    pub action: TransactAction,
    /// The item's table.
    pub table: String,
    /// The key of the item.
    pub key: Item,
    /// DynamoDB's reason for this item.
    pub reason: CancellationReason,
}

impl CanceledItem {
    /// The key as text, e.g. `{id: "a"}`.
    pub fn key_text(&self) -> String {
        key_text(&self.key)
    }

    /// Whether this item's condition failed.
    pub fn is_conditional_check_failed(&self) -> bool {
        self.reason.code == "ConditionalCheckFailed"
    }
}

impl Error {
    /// The per-item reasons of a cancelled transaction built with
    /// [`Client::transact_write`](crate::Client::transact_write) or [`Client::transact_get`](crate::Client::transact_get).
    pub fn canceled_items(&self) -> Option<&[CanceledItem]> {
        match self {
            Error::TransactionItemsCanceled { items } => Some(items),
            _ => None,
        }
    }
}

/// A key as text for error messages: `{id: "a", sk: 3}`.
pub(crate) fn key_text(key: &Item) -> String {
    let mut parts: Vec<(&String, &AttributeValue)> = key.iter().collect();
    parts.sort_by(|a, b| a.0.cmp(b.0));
    let shown: Vec<String> = parts
        .into_iter()
        .map(|(name, value)| match value {
            AttributeValue::S(s) => format!("{name}: {s:?}"),
            AttributeValue::N(n) => format!("{name}: {n}"),
            AttributeValue::B(b) => format!("{name}: <{} bytes>", b.as_ref().len()),
            other => format!("{name}: {other:?}"),
        })
        .collect();
    format!("{{{}}}", shown.join(", "))
}

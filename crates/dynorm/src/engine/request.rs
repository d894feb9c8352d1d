//! What is sent to an engine: one [`Request`] per DynamoDB call, already rendered (expressions,
//! placeholders, attribute values), and the [`Response`] it gets. Nothing here knows about tables
//! as Rust types; the layers above build these from typed operations.

use std::collections::HashMap;

use crate::Item;

/// What a write hands back (`ReturnValues`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ReturnValues {
    /// Nothing.
    #[default]
    None,
    /// The item as it was.
    AllOld,
    /// The item as it is now (UpdateItem).
    AllNew,
    /// The updated attributes as they are now (UpdateItem).
    UpdatedNew,
}

impl ReturnValues {
    /// The wire name (the embedded engine takes it as text; the SDK has its own enum).
    #[cfg(feature = "embedded")]
    pub(crate) fn as_str(self) -> Option<&'static str> {
        match self {
            ReturnValues::None => None,
            ReturnValues::AllOld => Some("ALL_OLD"),
            ReturnValues::AllNew => Some("ALL_NEW"),
            ReturnValues::UpdatedNew => Some("UPDATED_NEW"),
        }
    }
}

/// The placeholders of a request's expressions (`#n0` → name, `:v0` → value).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Placeholders {
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: Item,
}

impl Placeholders {
    /// The names, or `None` when there are none (DynamoDB refuses an empty map).
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The values, or `None` when there are none.
    pub(crate) fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// PutItem.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PutItem {
    pub(crate) table: String,
    pub(crate) item: Item,
    pub(crate) condition: Option<String>,
    pub(crate) placeholders: Placeholders,
    /// Hand back the replaced item.
    pub(crate) return_old: bool,
    /// Hand back the stored item when the condition fails.
    pub(crate) return_old_on_failure: bool,
}

/// GetItem.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct GetItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) consistent_read: bool,
    pub(crate) projection: Option<String>,
    pub(crate) placeholders: Placeholders,
}

/// DeleteItem.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DeleteItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) condition: Option<String>,
    pub(crate) placeholders: Placeholders,
    pub(crate) return_old: bool,
    pub(crate) return_old_on_failure: bool,
}

/// UpdateItem: the update and condition expressions share their placeholders.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct UpdateItem {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) update: String,
    pub(crate) condition: Option<String>,
    pub(crate) placeholders: Placeholders,
    pub(crate) return_values: ReturnValues,
    pub(crate) return_old_on_failure: bool,
}

/// One write of a BatchWriteItem.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WriteOp {
    /// Put this item.
    Put(Item),
    /// Delete the item with this key.
    Delete(Item),
}

/// BatchWriteItem on one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct BatchWrite {
    pub(crate) table: String,
    pub(crate) writes: Vec<WriteOp>,
}

/// BatchGetItem on one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct BatchGet {
    pub(crate) table: String,
    pub(crate) keys: Vec<Item>,
    pub(crate) consistent_read: bool,
}

/// A Query (when `key_condition` is set) or a Scan, already rendered. Reused for every page.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ReadRequest {
    pub(crate) table: String,
    pub(crate) index: Option<String>,
    pub(crate) key_condition: Option<String>,
    pub(crate) filter: Option<String>,
    pub(crate) projection: Option<String>,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: Item,
    pub(crate) limit: Option<u32>,
    pub(crate) descending: bool,
    pub(crate) consistent_read: bool,
    pub(crate) count_only: bool,
}

/// One page of a Query or Scan: the request, where to start, and the segment of a parallel scan
/// (`(segment, total)`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ReadPageRequest {
    pub(crate) read: ReadRequest,
    pub(crate) start: Option<Item>,
    pub(crate) segment: Option<(u32, u32)>,
}

/// One page of a Query or Scan.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ReadPage {
    pub(crate) items: PageItems,
    pub(crate) count: usize,
    pub(crate) last_key: Option<Item>,
}

/// The items of a page as the engine answered them. The embedded engine's are converted one at
/// a time as they are taken: converting a whole page (a megabyte of data, several in memory)
/// before decoding it walked it twice, which cost a scan about 5 % against the raw engine.
#[derive(Debug, PartialEq)]
pub(crate) enum PageItems {
    Sdk(Vec<Item>),
    #[cfg(feature = "embedded")]
    Embedded(Vec<HashMap<String, dynoxide::AttributeValue>>),
}

impl Default for PageItems {
    fn default() -> Self {
        Self::Sdk(Vec::new())
    }
}

impl PageItems {
    /// Every item, converted.
    pub(crate) fn into_vec(self) -> Vec<Item> {
        match self {
            Self::Sdk(items) => items,
            #[cfg(feature = "embedded")]
            Self::Embedded(_) => self.into_iter().collect(),
        }
    }
}

impl IntoIterator for PageItems {
    type Item = Item;
    type IntoIter = PageItemsIter;

    fn into_iter(self) -> PageItemsIter {
        match self {
            Self::Sdk(items) => PageItemsIter::Sdk(items.into_iter()),
            #[cfg(feature = "embedded")]
            Self::Embedded(items) => PageItemsIter::Embedded(items.into_iter()),
        }
    }
}

/// The items of a [`PageItems`], each converted when taken.
pub(crate) enum PageItemsIter {
    Sdk(std::vec::IntoIter<Item>),
    #[cfg(feature = "embedded")]
    Embedded(std::vec::IntoIter<HashMap<String, dynoxide::AttributeValue>>),
}

impl Iterator for PageItemsIter {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        match self {
            Self::Sdk(items) => items.next(),
            #[cfg(feature = "embedded")]
            Self::Embedded(items) => items.next().map(super::convert::item_from_dynoxide),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Self::Sdk(items) => items.size_hint(),
            #[cfg(feature = "embedded")]
            Self::Embedded(items) => items.size_hint(),
        }
    }
}

impl ExactSizeIterator for PageItemsIter {}

/// What one transaction write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxKind {
    Put,
    Update,
    Delete,
    ConditionCheck,
}

/// One item of a TransactWriteItems.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TxWrite {
    pub(crate) kind: TxKind,
    pub(crate) table: String,
    /// The item of a put; the key otherwise.
    pub(crate) item: Item,
    pub(crate) update: Option<String>,
    pub(crate) condition: Option<String>,
    pub(crate) placeholders: Placeholders,
    pub(crate) return_old_on_failure: bool,
}

/// TransactWriteItems.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TransactWrite {
    pub(crate) items: Vec<TxWrite>,
    pub(crate) token: Option<String>,
}

/// TransactGetItems: `(table, key)` pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TransactGet {
    pub(crate) gets: Vec<(String, Item)>,
}

/// ExecuteStatement (PartiQL), one page: the statement with its `?` parameters, never values
/// formatted into the text.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Statement {
    /// The table the statement names (for the span and errors).
    pub(crate) table: String,
    /// The index the statement names, if any.
    pub(crate) index: Option<String>,
    pub(crate) statement: String,
    pub(crate) parameters: Vec<crate::AttributeValue>,
    pub(crate) limit: Option<u32>,
    pub(crate) next_token: Option<String>,
    pub(crate) consistent_read: bool,
}

/// BatchExecuteStatement, or ExecuteTransaction when `transaction`: PartiQL statements that
/// each read one item.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StatementBatch {
    pub(crate) statements: Vec<Statement>,
    pub(crate) transaction: bool,
}

impl StatementBatch {
    /// The table the first statement names (for the span and errors).
    pub(crate) fn table(&self) -> &str {
        self.statements.first().map_or("", |s| s.table.as_str())
    }
}

/// One statement's answer in a [`StatementBatch`]: its item, or its own error (a batch's
/// statements fail one by one; a transaction fails whole, as the request's error).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StatementOutcome {
    Item(Option<Item>),
    Failed {
        /// DynamoDB's code, e.g. `ValidationError`.
        code: String,
        message: String,
        item: Option<Item>,
    },
}

/// One DynamoDB call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Request {
    Put(PutItem),
    Get(GetItem),
    Delete(DeleteItem),
    Update(UpdateItem),
    BatchWrite(BatchWrite),
    BatchGet(BatchGet),
    Read(ReadPageRequest),
    TransactWrite(TransactWrite),
    TransactGet(TransactGet),
    Statement(Statement),
    StatementBatch(StatementBatch),
}

impl Request {
    /// DynamoDB's name for the operation.
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Request::Put(_) => "PutItem",
            Request::Get(_) => "GetItem",
            Request::Delete(_) => "DeleteItem",
            Request::Update(_) => "UpdateItem",
            Request::BatchWrite(_) => "BatchWriteItem",
            Request::BatchGet(_) => "BatchGetItem",
            Request::Read(r) if r.read.key_condition.is_some() => "Query",
            Request::Read(_) => "Scan",
            Request::TransactWrite(_) => "TransactWriteItems",
            Request::TransactGet(_) => "TransactGetItems",
            Request::Statement(_) => "ExecuteStatement",
            Request::StatementBatch(r) if r.transaction => "ExecuteTransaction",
            Request::StatementBatch(_) => "BatchExecuteStatement",
        }
    }

    /// The table the request names (the first one, for transactions).
    pub(crate) fn table(&self) -> &str {
        match self {
            Request::Put(r) => &r.table,
            Request::Get(r) => &r.table,
            Request::Delete(r) => &r.table,
            Request::Update(r) => &r.table,
            Request::BatchWrite(r) => &r.table,
            Request::BatchGet(r) => &r.table,
            Request::Read(r) => &r.read.table,
            Request::TransactWrite(r) => r.items.first().map_or("", |w| w.table.as_str()),
            Request::TransactGet(r) => r.gets.first().map_or("", |g| g.0.as_str()),
            Request::Statement(r) => &r.table,
            Request::StatementBatch(r) => r.table(),
        }
    }

    /// Renames every table the request names (logical to physical names).
    pub(crate) fn map_tables(&mut self, rename: impl Fn(&str) -> String) {
        let table = match self {
            Request::Put(r) => &mut r.table,
            Request::Get(r) => &mut r.table,
            Request::Delete(r) => &mut r.table,
            Request::Update(r) => &mut r.table,
            Request::BatchWrite(r) => &mut r.table,
            Request::BatchGet(r) => &mut r.table,
            Request::Read(r) => &mut r.read.table,
            Request::Statement(r) => &mut r.table,
            Request::TransactWrite(r) => {
                r.items.iter_mut().for_each(|w| w.table = rename(&w.table));
                return;
            }
            Request::TransactGet(r) => {
                r.gets.iter_mut().for_each(|g| g.0 = rename(&g.0));
                return;
            }
            // The statements' texts already name the physical tables (PartiQL plans name them).
            Request::StatementBatch(r) => {
                r.statements.iter_mut().for_each(|s| s.table = rename(&s.table));
                return;
            }
        };
        *table = rename(table);
    }

    /// The index a read names.
    pub(crate) fn index(&self) -> Option<&str> {
        match self {
            Request::Read(r) => r.read.index.as_deref(),
            Request::Statement(r) => r.index.as_deref(),
            _ => None,
        }
    }

    /// How many items or keys a batch or transaction carries (1 for single-item calls).
    pub(crate) fn count(&self) -> usize {
        match self {
            Request::BatchWrite(r) => r.writes.len(),
            Request::BatchGet(r) => r.keys.len(),
            Request::TransactWrite(r) => r.items.len(),
            Request::TransactGet(r) => r.gets.len(),
            Request::StatementBatch(r) => r.statements.len(),
            _ => 1,
        }
    }
}

/// What an engine answered.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Response {
    pub(crate) answer: Answer,
    /// Consumed capacity units, when asked for and given.
    pub(crate) capacity: Option<f64>,
}

/// The content of an answer, by operation.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Answer {
    /// A single-item call: the item asked for (get), or handed back (return values).
    Item(Option<Item>),
    /// BatchWriteItem: the writes not processed.
    BatchWrite(Vec<WriteOp>),
    /// BatchGetItem: the items found and the keys not processed.
    BatchGet(Vec<Item>, Vec<Item>),
    /// One page of a Query or Scan.
    Page(ReadPage),
    /// TransactGetItems: one item (or none) per get, in order.
    Items(Vec<Option<Item>>),
    /// ExecuteStatement: the items of one page and the NextToken.
    Statement(Vec<Item>, Option<String>),
    /// BatchExecuteStatement / ExecuteTransaction: one outcome per statement, in order.
    Statements(Vec<StatementOutcome>),
    /// Nothing to hand back (TransactWriteItems).
    #[default]
    Done,
}

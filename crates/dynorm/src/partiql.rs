//! Typed PartiQL reads: `SELECT` statements with parameters bound from Rust values (never
//! formatted into the text), checked against the table's model, decoded into the table type or a
//! [`Projection`], paged as a stream like queries.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
//! #[derive(Debug, PartialEq, dynorm::Table)]
//! #[dynorm(table = "orders")]
//! struct Order {
//!     #[dynorm(partition_key)]
//!     customer: String,
//!     #[dynorm(sort_key)]
//!     number: u32,
//!     status: String,
//! }
//!
//! let client = dynorm::Client::embedded()?;
//! let orders = client.table::<Order>();
//! orders.create().await?;
//! for number in 0..4 {
//!     let status = if number % 2 == 0 { "open" } else { "shipped" };
//!     orders.put(&Order { customer: "ada".into(), number, status: status.into() }).await?;
//! }
//!
//! let open = orders
//!     .partiql(r#"SELECT * FROM "orders" WHERE customer = ? AND status = ?"#)
//!     .bind("ada")
//!     .bind("open")
//!     .all()
//!     .await?;
//! assert_eq!(open.iter().map(|o| o.number).collect::<Vec<_>>(), [0, 2]);
//!
//! // A misspelt attribute is refused before anything is sent, naming it.
//! let error = orders.partiql(r#"SELECT * FROM orders WHERE customer = ? AND stat = ?"#).bind("ada").bind("x").all().await;
//! assert!(error.unwrap_err().to_string().contains("`stat`"));
//! // So is a statement that would read the whole table, unless asked for.
//! assert!(orders.partiql(r#"SELECT * FROM orders WHERE status = ?"#).bind("open").all().await.is_err());
//! # Ok(()) }
//! ```
//!
//! **Where PartiQL fits**: ad-hoc reads and statements copied from the console. The typed query
//! API is better in code: it cannot scan by accident, its conditions are checked at compile time
//! ([`Table::fields`](crate::Table)), and its cursors are checked. A statement here is checked
//! when it runs: the table (the one the [`TableClient`] reads), the index, every attribute name
//! against the model, the number of `?` parameters, and that it reads by partition key unless
//! [`allow_scan`](PartiqlRead::allow_scan) says otherwise.
//!
//! **Writes** (`INSERT`, `UPDATE`, `DELETE`) are refused here: a statement cannot apply the
//! model's rules (optimistic locking, computed index keys, immutable attributes, timestamps),
//! which every typed write does through one write path. `client.sdk().execute_statement()`
//! remains for writes that knowingly bypass them.

use std::fmt;
use std::marker::PhantomData;

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};

use crate::definition::TableDefinition;
use crate::engine::request::Statement;
use crate::expr::{IntoValue, Value};
use crate::strict::{Strict, StrictCheck};
use crate::{AttributeValue, DecodeError, Error, Item, Projection, Result, Table, TableClient};

/// A PartiQL `SELECT` on table `T` waiting to run, yielding `O` (`T` or a [`Projection`]).
/// Build one with [`TableClient::partiql`]; see [the module](self).
#[must_use = "a statement does nothing until it is run with `.stream()`, `.page()` or `.all()`"]
pub struct PartiqlRead<T, O = T> {
    table: TableClient<T>,
    statement: String,
    parameters: Vec<Value>,
    page_size: Option<u32>,
    consistent_read: bool,
    allow_scan: bool,
    start: Option<String>,
    strict: Option<Strict>,
    decode: fn(Item) -> Result<O, DecodeError>,
    output: PhantomData<fn() -> O>,
}

impl<T, O> fmt::Debug for PartiqlRead<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartiqlRead")
            .field("table", &self.table.name)
            .field("statement", &self.statement)
            .field("parameters", &self.parameters.len())
            .field("page_size", &self.page_size)
            .field("consistent_read", &self.consistent_read)
            .field("allow_scan", &self.allow_scan)
            .field("strict", &self.strict)
            .finish()
    }
}

/// One page of a [`PartiqlRead`] and, when there may be more, DynamoDB's `NextToken`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementPage<O> {
    /// The items of this page.
    pub items: Vec<O>,
    /// Resumes the same statement with [`PartiqlRead::start_after`]; `None` when it is done.
    pub next_token: Option<String>,
}

impl<T: Table> TableClient<T> {
    /// A PartiQL `SELECT` on this table (or one of its indexes: `FROM "table"."index"`), its
    /// `?` parameters bound in order with [`bind`](PartiqlRead::bind). See [`crate::partiql`].
    pub fn partiql(&self, statement: impl Into<String>) -> PartiqlRead<T> {
        PartiqlRead {
            table: self.clone(),
            statement: statement.into(),
            parameters: Vec::new(),
            page_size: None,
            consistent_read: false,
            allow_scan: false,
            start: None,
            strict: T::STRICT_READS,
            decode: T::from_item,
            output: PhantomData,
        }
    }
}

impl<T: Table, O> PartiqlRead<T, O> {
    /// Binds the next `?` parameter, encoded by the value's own codec (never formatted into the
    /// statement's text).
    pub fn bind(mut self, value: impl IntoValue) -> Self {
        self.parameters.push(value.into_value());
        self
    }

    /// The most items DynamoDB evaluates per page (its `Limit`).
    pub fn page_size(mut self, items: u32) -> Self {
        self.page_size = Some(items);
        self
    }

    /// Asks for strongly consistent reads (refused by DynamoDB on a global secondary index).
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Lets the statement run without an equality on the partition key at the top of its `WHERE`
    /// clause, i.e. as a Scan of the whole table or index.
    pub fn allow_scan(mut self) -> Self {
        self.allow_scan = true;
        self
    }

    /// Resumes after a page's [`next_token`](StatementPage::next_token).
    pub fn start_after(mut self, next_token: impl Into<String>) -> Self {
        self.start = Some(next_token.into());
        self
    }

    /// Reports attributes the table's model does not name ([`crate::strict`]).
    pub fn strict(mut self, mode: Strict) -> Self {
        self.strict = Some(mode);
        self
    }

    /// Decodes each item as projection `P` (select its attributes in the statement).
    pub fn project<P: Projection<Table = T>>(self) -> PartiqlRead<T, P> {
        PartiqlRead {
            table: self.table,
            statement: self.statement,
            parameters: self.parameters,
            page_size: self.page_size,
            consistent_read: self.consistent_read,
            allow_scan: self.allow_scan,
            start: self.start,
            strict: self.strict,
            decode: P::from_item,
            output: PhantomData,
        }
    }
}

/// A checked statement ready to send page by page.
pub(crate) struct Plan<O> {
    client: crate::Client,
    pub(crate) request: Statement,
    definition: &'static TableDefinition,
    strict: Option<StrictCheck>,
    decode: fn(Item) -> Result<O, DecodeError>,
}

impl<T: Table, O: Send + 'static> PartiqlRead<T, O> {
    /// The statement checked against the model, its parameters encoded (what every way of
    /// running it sends: one statement, or a batch or transaction of them).
    pub(crate) fn plan(self) -> Result<Plan<O>> {
        let definition = T::definition();
        let table = self.table.name.clone();
        let known = T::stored_attributes();
        let checked = check_select(&self.statement, &table, definition, &known, self.allow_scan)?;
        if checked.parameters != self.parameters.len() {
            return Err(invalid(
                &table,
                0,
                format!(
                    "the statement has {} `?` parameter(s), {} bound",
                    checked.parameters,
                    self.parameters.len()
                ),
            ));
        }
        let parameters = self
            .parameters
            .iter()
            .map(|v| v.to_rendered().map_err(|e| encode_error(&table, e)))
            .collect::<Result<Vec<AttributeValue>>>()?;
        if self.page_size == Some(0) {
            return Err(invalid(&table, 0, "the page size must be at least 1"));
        }
        let names = self.table.client.table_names();
        let statement = if names.is_identity() {
            self.statement
        } else {
            with_table(&self.statement, checked.source, &names.physical(&table))
        };
        Ok(Plan {
            client: self.table.client.clone(),
            request: Statement {
                table,
                index: checked.index,
                statement,
                parameters,
                limit: self.page_size,
                next_token: self.start,
                consistent_read: self.consistent_read,
            },
            definition,
            strict: StrictCheck::new(self.strict, T::stored_attributes),
            decode: self.decode,
        })
    }

    /// Reads one page.
    pub async fn page(self) -> Result<StatementPage<O>> {
        let plan = self.plan()?;
        let start = plan.request.next_token.clone();
        plan.page(start).await
    }

    /// Every item, paging transparently.
    pub fn stream(self) -> impl Stream<Item = Result<O>> + Send + Unpin + 'static {
        let plan = match self.plan() {
            Ok(plan) => std::sync::Arc::new(plan),
            Err(e) => return stream::once(futures::future::ready(Err(e))).boxed(),
        };
        let start = plan.request.next_token.clone();
        let pages: BoxStream<'static, Result<Vec<O>>> = stream::try_unfold(Some(start), move |next| {
            let plan = std::sync::Arc::clone(&plan);
            async move {
                let Some(start) = next else {
                    return Ok(None);
                };
                let page = plan.page(start).await?;
                Ok(Some((page.items, page.next_token.map(Some))))
            }
        })
        .boxed();
        pages
            .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every item, in one vector.
    pub async fn all(self) -> Result<Vec<O>> {
        self.stream().try_collect().await
    }
}

impl<O> Plan<O> {
    /// One item the statement read, checked (strict reads) and decoded.
    pub(crate) fn decode(&self, item: Item) -> Result<O> {
        let table = &self.request.table;
        if let Some(strict) = &self.strict {
            strict.check(self.definition, table, &item)?;
        }
        (self.decode)(item).map_err(|mut e| {
            e.table.get_or_insert_with(|| table.clone());
            Error::Decode(e)
        })
    }

    async fn page(&self, start: Option<String>) -> Result<StatementPage<O>> {
        let mut request = self.request.clone();
        request.next_token = start;
        let (items, next_token) = self.client.engine().execute_statement(request).await?;
        let items = items
            .into_iter()
            .map(|item| self.decode(item))
            .collect::<Result<Vec<O>>>()?;
        Ok(StatementPage { items, next_token })
    }
}

fn invalid(table: &str, column: usize, message: impl Into<String>) -> Error {
    Error::InvalidStatement {
        table: table.to_owned(),
        column,
        message: message.into(),
    }
}

fn encode_error(table: &str, mut e: crate::EncodeError) -> Error {
    e.table.get_or_insert_with(|| table.to_owned());
    Error::Encode(e)
}

/// One token of a statement and the column (1-based, in characters) it starts at.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare word: keyword, function or attribute name.
    Word(String),
    /// A double-quoted identifier.
    Quoted(String),
    /// A single-quoted string literal.
    Text,
    Number,
    Parameter,
    /// Punctuation or an operator.
    Symbol(&'static str),
}

const SYMBOLS: &[&str] = &[
    "<<", ">>", "<=", ">=", "<>", "!=", "=", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", "*", ":", "+",
    "-", "/", "||", "%",
];

/// Splits a statement into tokens; an unterminated quote or an unknown character is an error
/// naming its column.
fn tokenize(table: &str, text: &str) -> Result<Vec<(Token, usize)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            let (content, end) = quoted(&chars, i).ok_or_else(|| {
                invalid(
                    table,
                    column,
                    format!("the quote {c} opened here is never closed"),
                )
            })?;
            out.push((
                if c == '"' {
                    Token::Quoted(content)
                } else {
                    Token::Text
                },
                column,
            ));
            i = end;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '_'))
                .unwrap_or(chars.len());
            out.push((Token::Word(chars[i..end].iter().collect()), column));
            i = end;
        } else if c.is_ascii_digit() {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '.'))
                .unwrap_or(chars.len());
            out.push((Token::Number, column));
            i = end;
        } else if c == '?' {
            out.push((Token::Parameter, column));
            i += 1;
        } else if let Some(symbol) = SYMBOLS
            .iter()
            .find(|s| s.chars().zip(&chars[i..]).filter(|(a, b)| a == *b).count() == s.len())
        {
            out.push((Token::Symbol(symbol), column));
            i += symbol.chars().count();
        } else {
            return Err(invalid(table, column, format!("unexpected character `{c}`")));
        }
    }
    Ok(out)
}

/// The content of the quoted text starting at `start` (a doubled quote stands for one) and the
/// position after its closing quote.
fn quoted(chars: &[char], start: usize) -> Option<(String, usize)> {
    let quote = chars[start];
    let mut content = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                content.push(quote);
                i += 2;
                continue;
            }
            return Some((content, i + 1));
        }
        content.push(chars[i]);
        i += 1;
    }
    None
}

/// Words that are never attribute names in a `SELECT`.
const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "BETWEEN", "IN", "IS", "NULL", "MISSING", "TRUE", "FALSE",
    "ORDER", "BY", "ASC", "DESC", "VALUE", "EXISTS",
];

/// What checking a `SELECT` found.
#[derive(Debug, PartialEq)]
struct CheckedSelect {
    index: Option<String>,
    parameters: usize,
    /// Where the table's name stands in the statement: its first character and how many.
    source: (usize, usize),
}

/// Checks a statement against the model: a `SELECT` from `table` (and a known index), every
/// attribute name known, and an equality on the partition key unless scans are allowed.
fn check_select(
    statement: &str,
    table: &str,
    definition: &TableDefinition,
    known: &[&str],
    allow_scan: bool,
) -> Result<CheckedSelect> {
    let tokens = tokenize(table, statement)?;
    let first = match tokens.first() {
        Some((Token::Word(w), _)) => w.to_ascii_uppercase(),
        _ => {
            return Err(invalid(
                table,
                1,
                "the statement is empty or does not start with a keyword",
            ));
        }
    };
    if first != "SELECT" {
        return Err(invalid(
            table,
            1,
            format!(
                "only SELECT statements are typed; {first} would bypass the model's rules (versions, computed keys, immutable attributes, timestamps): write with the typed API, or knowingly with `client.sdk().execute_statement()`"
            ),
        ));
    }
    let from = tokens
        .iter()
        .position(|(t, _)| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("FROM")))
        .ok_or_else(|| invalid(table, 1, "a SELECT needs FROM and the table"))?;
    let (index, after_source) = check_source(&tokens, from, table, definition)?;
    let source = source_span(&tokens[from + 1], table);
    for (position, (_, column)) in tokens.iter().enumerate() {
        if position > from && position < after_source {
            continue;
        }
        if let Some(name) = attribute_name(&tokens, position)
            && !known.contains(&name)
        {
            return Err(invalid(
                table,
                *column,
                format!(
                    "`{name}` is not an attribute of table `{table}` (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    if !allow_scan {
        check_reads_by_partition(&tokens, after_source, table, definition, index.as_deref())?;
    }
    let parameters = tokens.iter().filter(|(t, _)| *t == Token::Parameter).count();
    Ok(CheckedSelect {
        index,
        parameters,
        source,
    })
}

/// The characters of the statement the table's name token covers (a quoted name with its
/// quotes; table names hold no quotes, so nothing inside is escaped).
fn source_span(token: &(Token, usize), table: &str) -> (usize, usize) {
    let quotes = if matches!(token.0, Token::Quoted(_)) { 2 } else { 0 };
    (token.1 - 1, table.chars().count() + quotes)
}

/// `statement` with the table's name at `source` replaced by `physical`, quoted.
fn with_table(statement: &str, source: (usize, usize), physical: &str) -> String {
    let before: String = statement.chars().take(source.0).collect();
    let after: String = statement.chars().skip(source.0 + source.1).collect();
    format!("{before}\"{physical}\"{after}")
}

/// The table (and index) after `FROM`: the table must be the one read, the index one of its
/// own. Returns the index and the position after the source.
fn check_source(
    tokens: &[(Token, usize)],
    from: usize,
    table: &str,
    definition: &TableDefinition,
) -> Result<(Option<String>, usize)> {
    let name_at = |i: usize| match tokens.get(i) {
        Some((Token::Word(w), c)) | Some((Token::Quoted(w), c)) => Some((w.as_str(), *c)),
        _ => None,
    };
    let column = tokens.get(from).map_or(1, |t| t.1);
    let (named, named_column) =
        name_at(from + 1).ok_or_else(|| invalid(table, column, "FROM needs the table's name"))?;
    if named != table {
        return Err(invalid(
            table,
            named_column,
            format!("the statement reads table `{named}`, but it is run on table `{table}`"),
        ));
    }
    if tokens.get(from + 2).map(|t| &t.0) != Some(&Token::Symbol(".")) {
        return Ok((None, from + 2));
    }
    let (index, _) = name_at(from + 3)
        .ok_or_else(|| invalid(table, named_column, "a `.` after the table needs an index name"))?;
    if let Some(crate::definition::IndexRef::Global(g)) = definition.index(index)
        && g.is_multi_attribute()
    {
        // DynamoDB refuses PartiQL reads of such an index; say so before sending.
        return Err(invalid(
            table,
            named_column,
            format!(
                "index `{index}` has a multi-attribute key, which DynamoDB's PartiQL cannot read; query it with the typed API"
            ),
        ));
    }
    if definition.index(index).is_none() {
        return Err(Error::UnknownIndex {
            table: table.to_owned(),
            index: index.to_owned(),
            known: definition
                .global_secondary_indexes
                .iter()
                .map(|g| g.name.clone())
                .chain(definition.local_secondary_indexes.iter().map(|l| l.name.clone()))
                .collect(),
        });
    }
    Ok((Some(index.to_owned()), from + 4))
}

/// The attribute a token names, if it names one: a word that is not a keyword or a function, or
/// a quoted identifier, at the head of a path (not after a `.`).
fn attribute_name(tokens: &[(Token, usize)], position: usize) -> Option<&str> {
    let name = match &tokens[position].0 {
        Token::Word(w) if !KEYWORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) => w.as_str(),
        Token::Quoted(q) => q.as_str(),
        _ => return None,
    };
    let before = position.checked_sub(1).map(|p| &tokens[p].0);
    let after = tokens.get(position + 1).map(|t| &t.0);
    if before == Some(&Token::Symbol(".")) || after == Some(&Token::Symbol("(")) {
        return None;
    }
    // `IS [NOT] MISSING` / type names after IS are keywords already; `attribute_type(a, 'S')`
    // passes the type as text.
    Some(name)
}

/// Refuses a statement that would scan: its `WHERE` clause must compare the partition key of
/// what is read with `=` (or `IN`), joined to the rest with `AND` only at the top level.
fn check_reads_by_partition(
    tokens: &[(Token, usize)],
    after_source: usize,
    table: &str,
    definition: &TableDefinition,
    index: Option<&str>,
) -> Result<()> {
    let partition_keys: Vec<&str> = match index.and_then(|i| definition.index(i)) {
        Some(crate::definition::IndexRef::Global(g)) => g.partition_keys(),
        _ => vec![definition.partition_key.as_str()],
    };
    let where_at = tokens[after_source.min(tokens.len())..]
        .iter()
        .position(|(t, _)| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("WHERE")))
        .map(|p| p + after_source);
    let mut depth = 0usize;
    let mut keyed = Vec::new();
    let mut top_level_or = false;
    if let Some(start) = where_at {
        for (i, (token, _)) in tokens.iter().enumerate().skip(start + 1) {
            match token {
                Token::Symbol("(" | "[" | "{" | "<<") => depth += 1,
                Token::Symbol(")" | "]" | "}" | ">>") => depth = depth.saturating_sub(1),
                Token::Word(w) if depth == 0 && w.eq_ignore_ascii_case("OR") => top_level_or = true,
                Token::Word(w) | Token::Quoted(w) if depth == 0 && partition_keys.contains(&w.as_str()) => {
                    let next = tokens.get(i + 1).map(|t| &t.0);
                    let compares = matches!(next, Some(Token::Symbol("=")))
                        || matches!(next, Some(Token::Word(op)) if op.eq_ignore_ascii_case("IN"));
                    if compares && attribute_name(tokens, i).is_some() {
                        keyed.push(w.as_str());
                    }
                }
                _ => {}
            }
        }
    }
    if partition_keys.iter().all(|k| keyed.contains(k)) && !top_level_or && where_at.is_some() {
        return Ok(());
    }
    Err(invalid(
        table,
        where_at.map_or(1, |w| tokens[w].1),
        format!(
            "the statement would scan {}: compare the partition key {} with `=` in its WHERE clause (not under OR), or call `.allow_scan()`",
            index.map_or_else(|| format!("table `{table}`"), |i| format!("index `{i}`")),
            partition_keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_skip_quoted_text_and_name_columns() {
        let tokens = tokenize("t", r#"SELECT "a""b" FROM t WHERE x = 'it''s ?' AND y = ?"#).expect("tokens");
        assert_eq!(tokens[1], (Token::Quoted("a\"b".into()), 8));
        assert_eq!(tokens.iter().filter(|(t, _)| *t == Token::Parameter).count(), 1);
        let error = tokenize("t", "SELECT * FROM t WHERE a = 'open").expect_err("unterminated");
        assert!(error.to_string().contains("column 27"), "{error}");
    }

    #[test]
    fn only_the_from_token_is_renamed() {
        let definition = TableDefinition::new("orders", "id", crate::AttributeType::String);
        for (statement, renamed) in [
            (
                r#"SELECT * FROM orders WHERE id = 'orders'"#,
                r#"SELECT * FROM "ci-orders" WHERE id = 'orders'"#,
            ),
            (
                r#"SELECT "orders" FROM "orders" WHERE id = ?"#,
                r#"SELECT "orders" FROM "ci-orders" WHERE id = ?"#,
            ),
        ] {
            let known = ["id", "orders"];
            let checked = check_select(statement, "orders", &definition, &known, false).expect("checked");
            assert_eq!(with_table(statement, checked.source, "ci-orders"), renamed);
        }
    }
}

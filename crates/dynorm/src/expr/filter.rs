//! Filters built at run time from (attribute, comparison, value) triples, checked against a table
//! definition: Da Vinci's `TableScanDefinition.add("email", "contains", "@example.com")`, without
//! its reserved-word failures or its 26-clause cap.

use std::fmt;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;

use super::render::Render;
use super::{Attr, Condition, ExpressionAttributes, IntoValue, Path, Value};
use crate::definition::{AttributeDefinition, AttributeType, TableDefinition};
use crate::{Error, Result};

/// A comparison of a [`Filter`] clause, named as Da Vinci names them or by its symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `equal` or `=`.
    Equal,
    /// `not_equal` or `<>`.
    NotEqual,
    /// `less_than` or `<`.
    LessThan,
    /// `less_than_or_equal` or `<=`.
    LessThanOrEqual,
    /// `greater_than` or `>`.
    GreaterThan,
    /// `greater_than_or_equal` or `>=`.
    GreaterThanOrEqual,
    /// `contains`: a substring of a string, an element of a set or list.
    Contains,
    /// `begins_with`: a prefix of a string or binary.
    BeginsWith,
    /// `exists`: the attribute is present (the value is ignored).
    Exists,
    /// `not_exists`: the attribute is absent (the value is ignored).
    NotExists,
}

impl Comparison {
    /// Every comparison.
    pub const ALL: [Comparison; 10] = [
        Comparison::Equal,
        Comparison::NotEqual,
        Comparison::LessThan,
        Comparison::LessThanOrEqual,
        Comparison::GreaterThan,
        Comparison::GreaterThanOrEqual,
        Comparison::Contains,
        Comparison::BeginsWith,
        Comparison::Exists,
        Comparison::NotExists,
    ];

    /// The name: `equal`, `not_equal`, `less_than`, ... `not_exists`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Equal => "equal",
            Comparison::NotEqual => "not_equal",
            Comparison::LessThan => "less_than",
            Comparison::LessThanOrEqual => "less_than_or_equal",
            Comparison::GreaterThan => "greater_than",
            Comparison::GreaterThanOrEqual => "greater_than_or_equal",
            Comparison::Contains => "contains",
            Comparison::BeginsWith => "begins_with",
            Comparison::Exists => "exists",
            Comparison::NotExists => "not_exists",
        }
    }

    /// The symbol of the six comparison operators (`=`, `<>`, `<`, `<=`, `>`, `>=`).
    pub fn symbol(self) -> Option<&'static str> {
        Some(match self {
            Comparison::Equal => "=",
            Comparison::NotEqual => "<>",
            Comparison::LessThan => "<",
            Comparison::LessThanOrEqual => "<=",
            Comparison::GreaterThan => ">",
            Comparison::GreaterThanOrEqual => ">=",
            _ => return None,
        })
    }

    fn phrase(self) -> &'static str {
        match self {
            Comparison::Equal => "equals",
            Comparison::NotEqual => "does not equal",
            Comparison::LessThan => "is less than",
            Comparison::LessThanOrEqual => "is less than or equal to",
            Comparison::GreaterThan => "is greater than",
            Comparison::GreaterThanOrEqual => "is greater than or equal to",
            Comparison::Contains => "contains",
            Comparison::BeginsWith => "begins with",
            Comparison::Exists => "exists",
            Comparison::NotExists => "does not exist",
        }
    }

    fn takes_value(self) -> bool {
        !matches!(self, Comparison::Exists | Comparison::NotExists)
    }

    fn valid_list() -> String {
        Comparison::ALL
            .iter()
            .map(|c| match c.symbol() {
                Some(symbol) => format!("`{}` (`{symbol}`)", c.as_str()),
                None => format!("`{}`", c.as_str()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a name (`greater_than`) or symbol (`>`); an unknown one is an error listing the valid ones.
impl FromStr for Comparison {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Comparison::ALL
            .into_iter()
            .find(|c| c.as_str() == text || c.symbol() == Some(text))
            .ok_or_else(|| {
                super::invalid(format!(
                    "unknown comparison `{text}`; valid comparisons are {}",
                    Comparison::valid_list()
                ))
            })
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    path: Path,
    comparison: Comparison,
    value: Value,
}

impl Clause {
    fn to_condition(&self) -> Condition {
        let attr = Attr::new(self.path.clone());
        let value = self.value.clone();
        match self.comparison {
            Comparison::Equal => attr.eq(value),
            Comparison::NotEqual => attr.ne(value),
            Comparison::LessThan => attr.lt(value),
            Comparison::LessThanOrEqual => attr.le(value),
            Comparison::GreaterThan => attr.gt(value),
            Comparison::GreaterThanOrEqual => attr.ge(value),
            Comparison::Contains => attr.contains(value),
            Comparison::BeginsWith => attr.begins_with(value),
            Comparison::Exists => attr.exists(),
            Comparison::NotExists => attr.not_exists(),
        }
    }
}

/// A filter built at run time from (attribute, comparison, value) triples, each checked against
/// the table definition when it is added; the clauses are joined with AND. There is no limit on
/// their number, and reserved words are safe.
///
/// The attribute is a stored attribute name (or the Rust field it comes from); a document path
/// (`prefs.theme`) is accepted under an attribute of a document type (json, map, list).
///
/// ```
/// use dynorm::{AttributeDefinition, AttributeType, TableDefinition};
/// use dynorm::expr::{ExpressionAttributes, Filter};
///
/// let mut users = TableDefinition::new("users", "id", AttributeType::String);
/// users.attributes.push(AttributeDefinition::new("email", AttributeType::String));
/// users.attributes.push(AttributeDefinition::new("status", AttributeType::String));
///
/// let mut filter = Filter::new(&users);
/// filter.add("email", "contains", "@example.com")?.add("status", "<>", "banned")?;
/// assert_eq!(filter.describe(), "`email` contains \"@example.com\"\nand `status` does not equal \"banned\"");
///
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(filter.render(&mut attributes)?, "contains(#n0, :v0) AND #n1 <> :v1");
///
/// let error = filter.add("emial", "contains", "x").unwrap_err();
/// assert!(error.to_string().contains("no attribute `emial`"));
/// let error = filter.add("email", "like", "x").unwrap_err();
/// assert!(error.to_string().contains("unknown comparison `like`"));
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Filter<'a> {
    definition: &'a TableDefinition,
    clauses: Vec<Clause>,
}

impl<'a> Filter<'a> {
    /// An empty filter on a table.
    pub fn new(definition: &'a TableDefinition) -> Self {
        Self {
            definition,
            clauses: Vec::new(),
        }
    }

    /// Adds `attribute <comparison> value`, where `comparison` is a name (`greater_than`) or a
    /// symbol (`>`). Refused with a typed error naming the table: an unknown attribute (the
    /// error lists the known ones), an unknown comparison (the error lists the valid ones), or a
    /// value of the wrong type for the attribute (the error names the expected and found types).
    /// `exists` and `not_exists` ignore the value (pass `()`).
    pub fn add(&mut self, attribute: &str, comparison: &str, value: impl IntoValue) -> Result<&mut Self> {
        let comparison = comparison.parse::<Comparison>().map_err(|e| self.at_table(e))?;
        self.add_clause(attribute, comparison, value)
    }

    /// Adds a clause with an already parsed [`Comparison`]; checked like [`add`](Self::add).
    pub fn add_clause(
        &mut self,
        attribute: &str,
        comparison: Comparison,
        value: impl IntoValue,
    ) -> Result<&mut Self> {
        let (path, definition) = self.resolve(attribute)?;
        let value = if comparison.takes_value() {
            let value = value.into_value();
            let encoded = value
                .attribute_value()
                .map_err(|e| Error::Encode(e.at(&self.definition.name, attribute)))?;
            if let (Some(definition), Some(encoded)) = (definition, encoded) {
                check_type(definition, comparison, encoded).map_err(|m| self.error(m))?;
            }
            value
        } else {
            Value::from(AttributeValue::Null(true))
        };
        self.clauses.push(Clause {
            path,
            comparison,
            value,
        });
        Ok(self)
    }

    /// The number of clauses.
    pub fn len(&self) -> usize {
        self.clauses.len()
    }

    /// Whether there are no clauses.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The clauses joined with AND, or `None` when there are none.
    pub fn to_condition(&self) -> Option<Condition> {
        if self.clauses.is_empty() {
            return None;
        }
        Some(Condition::all(self.clauses.iter().map(Clause::to_condition)))
    }

    /// Renders the filter; an empty filter is an error (leave the request's filter out instead).
    pub fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        match self.to_condition() {
            Some(condition) => condition.render(attributes).map_err(|e| self.at_table(e)),
            None => Err(self.error("a filter has no clauses".to_owned())),
        }
    }

    /// The clauses in words, one per line (like Da Vinci's `to_instructions()`).
    pub fn describe(&self) -> String {
        if self.clauses.is_empty() {
            return "no conditions: every item matches".to_owned();
        }
        let mut out = String::new();
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                out.push_str("\nand ");
            }
            out.push_str(&format!("`{}` {}", clause.path, clause.comparison.phrase()));
            if clause.comparison.takes_value() {
                out.push(' ');
                match clause.value.attribute_value() {
                    Ok(Some(v)) => out.push_str(&show(v)),
                    Ok(None) => out.push_str("null"),
                    Err(e) => out.push_str(&format!("<{}>", e.reason)),
                }
            }
        }
        out
    }

    fn error(&self, message: String) -> Error {
        Error::InvalidExpression {
            table: self.definition.name.clone(),
            message,
        }
    }

    fn at_table(&self, error: Error) -> Error {
        match error {
            Error::InvalidExpression { table, message } if table.is_empty() => self.error(message),
            other => other,
        }
    }

    /// The path of an attribute named by stored name, field name or document path, and its
    /// definition when the path is a top-level attribute (whose type can then be checked).
    fn resolve(&self, attribute: &str) -> Result<(Path, Option<&'a AttributeDefinition>)> {
        let definition: &'a TableDefinition = self.definition;
        let find = |name: &str| {
            definition.attribute(name).or_else(|| {
                definition
                    .attributes
                    .iter()
                    .find(|a| a.field.as_deref() == Some(name))
            })
        };
        if let Some(found) = find(attribute) {
            return Ok((Path::new(found.name.clone()), Some(found)));
        }
        if let Ok(path) = Path::parse(attribute)
            && let Some(root) = find(path.attribute())
            && !path.is_top_level()
        {
            if !is_document(root.attribute_type) {
                return Err(self.error(format!(
                    "`{attribute}` looks into attribute `{}`, which is a {} and has no nested values",
                    root.name,
                    root.attribute_type.as_str()
                )));
            }
            let mut rooted = Path::new(root.name.clone());
            for segment in &path.segments()[1..] {
                rooted = match segment {
                    super::Segment::Name(key) => rooted.key(key.clone()),
                    super::Segment::Index(index) => rooted.index(*index),
                };
            }
            return Ok((rooted, None));
        }
        let known = definition
            .attributes
            .iter()
            .map(|a| format!("`{}`", a.name))
            .collect::<Vec<_>>()
            .join(", ");
        Err(self.error(format!(
            "table `{}` has no attribute `{attribute}`; its attributes are {known}",
            definition.name
        )))
    }
}

impl Render for Filter<'_> {
    fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        Filter::render(self, attributes)
    }
}

fn is_document(t: AttributeType) -> bool {
    matches!(
        t,
        AttributeType::Json
            | AttributeType::Map
            | AttributeType::List
            | AttributeType::JsonList
            | AttributeType::StringList
            | AttributeType::NumberList
    )
}

/// The stored type of an attribute type, when it has one.
fn stored(t: AttributeType) -> Option<&'static str> {
    Some(match t {
        AttributeType::String
        | AttributeType::Datetime
        | AttributeType::JsonString
        | AttributeType::CompositeString => "S",
        AttributeType::Number | AttributeType::DatetimeEpoch => "N",
        AttributeType::Boolean => "BOOL",
        AttributeType::Binary => "B",
        AttributeType::StringSet => "SS",
        AttributeType::NumberSet => "NS",
        AttributeType::BinarySet => "BS",
        AttributeType::StringList
        | AttributeType::NumberList
        | AttributeType::JsonList
        | AttributeType::JsonStringList
        | AttributeType::List => "L",
        AttributeType::Map => "M",
        _ => return None,
    })
}

/// The stored type of an element of a set or list type, when it is known.
fn element(t: AttributeType) -> Option<&'static str> {
    Some(match t {
        AttributeType::StringSet | AttributeType::StringList | AttributeType::JsonStringList => "S",
        AttributeType::NumberSet | AttributeType::NumberList => "N",
        AttributeType::BinarySet => "B",
        AttributeType::JsonList => "M",
        _ => return None,
    })
}

/// Checks a value against the declared type of the attribute, where the expected type is clear.
fn check_type(
    definition: &AttributeDefinition,
    comparison: Comparison,
    value: &AttributeValue,
) -> std::result::Result<(), String> {
    let t = definition.attribute_type;
    let found = crate::attribute::type_name(value);
    let kind = |s: Option<&str>| match s {
        Some(s) => format!("a {} ({s})", t.as_str()),
        None => format!("a {}", t.as_str()),
    };
    let mismatch = |expected: &str| {
        Err(format!(
            "attribute `{}` is {}, so `{}` expects {expected}, not {found}",
            definition.name,
            kind(stored(t)),
            comparison.as_str()
        ))
    };
    if found == "NULL" && matches!(comparison, Comparison::Equal | Comparison::NotEqual) {
        return Ok(());
    }
    let own = stored(t);
    match comparison {
        Comparison::Exists | Comparison::NotExists => Ok(()),
        Comparison::Equal | Comparison::NotEqual => match own {
            Some(e) if e != found => mismatch(e),
            _ => Ok(()),
        },
        Comparison::LessThan
        | Comparison::LessThanOrEqual
        | Comparison::GreaterThan
        | Comparison::GreaterThanOrEqual => match own {
            Some(e @ ("S" | "N" | "B")) if e != found => mismatch(e),
            Some("S" | "N" | "B") => Ok(()),
            Some(_) => Err(format!(
                "attribute `{}` is {}, which `{}` cannot order (only strings, numbers and binary)",
                definition.name,
                kind(own),
                comparison.as_str()
            )),
            None => Ok(()),
        },
        Comparison::BeginsWith => match own {
            Some(e @ ("S" | "B")) if e != found => mismatch(e),
            Some("S" | "B") => Ok(()),
            Some(_) => Err(format!(
                "attribute `{}` is {}; `begins_with` works on strings and binary",
                definition.name,
                kind(own)
            )),
            None if matches!(found, "S" | "B") => Ok(()),
            None => mismatch("S or B"),
        },
        Comparison::Contains => match (own, element(t)) {
            (Some(e @ ("S" | "B")), _) if e != found => mismatch(e),
            (Some("S" | "B"), _) => Ok(()),
            (_, Some(e)) if e != found => mismatch(e),
            (_, Some(_)) => Ok(()),
            (Some("N" | "BOOL" | "M"), None) => Err(format!(
                "attribute `{}` is {}; `contains` works on strings, binary, sets and lists",
                definition.name,
                kind(own)
            )),
            _ => Ok(()),
        },
    }
}

/// A value in words for [`Filter::describe`].
fn show(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("{s:?}"),
        AttributeValue::N(n) => n.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null(_) => "null".to_owned(),
        AttributeValue::B(b) => format!("{} bytes", b.as_ref().len()),
        AttributeValue::Ss(s) => format!("{s:?}"),
        AttributeValue::Ns(n) => format!("[{}]", n.join(", ")),
        AttributeValue::Bs(b) => format!("a set of {} binary values", b.len()),
        AttributeValue::L(l) => format!("a list of {} values", l.len()),
        AttributeValue::M(m) => format!("a map of {} entries", m.len()),
        other => format!("a value of type {}", crate::attribute::type_name(other)),
    }
}

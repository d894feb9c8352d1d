//! Conditions and filters: comparisons, functions, AND / OR / NOT.

use std::ops::{BitAnd, BitOr, Not};

use super::render::Render;
use super::{ExpressionAttributes, IntoValue, Path, Value, invalid};
use crate::Result;

/// DynamoDB's limit on the values of one `IN`.
pub(crate) const MAX_IN_VALUES: usize = 100;

/// How deep AND / OR / NOT may nest when rendering, far beyond what DynamoDB accepts, so that a
/// pathological tree is an error rather than a stack overflow.
const MAX_NESTING: usize = 256;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparator {
    /// The operator as written in expressions: `=`, `<>`, `<`, `<=`, `>`, `>=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

/// A stored DynamoDB type, for `attribute_type(path, type)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoredType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
    /// Boolean.
    Bool,
    /// Null.
    Null,
    /// String set.
    Ss,
    /// Number set.
    Ns,
    /// Binary set.
    Bs,
    /// List.
    L,
    /// Map.
    M,
}

impl StoredType {
    /// DynamoDB's name: `S`, `N`, `B`, `BOOL`, `NULL`, `SS`, `NS`, `BS`, `L` or `M`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoredType::S => "S",
            StoredType::N => "N",
            StoredType::B => "B",
            StoredType::Bool => "BOOL",
            StoredType::Null => "NULL",
            StoredType::Ss => "SS",
            StoredType::Ns => "NS",
            StoredType::Bs => "BS",
            StoredType::L => "L",
            StoredType::M => "M",
        }
    }
}

/// One side of a comparison: a path, a value, or `size(path)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// An attribute or document path.
    Path(Path),
    /// A value.
    Value(Value),
    /// `size(path)`.
    Size(Path),
}

impl Operand {
    /// An attribute or document path.
    pub fn path(path: impl Into<Path>) -> Self {
        Operand::Path(path.into())
    }

    /// A value.
    pub fn value(value: impl IntoValue) -> Self {
        Operand::Value(value.into_value())
    }

    /// `size(path)`.
    pub fn size(path: impl Into<Path>) -> Self {
        Operand::Size(path.into())
    }

    pub(crate) fn write(&self, out: &mut String, attributes: &mut ExpressionAttributes) -> Result<()> {
        match self {
            Operand::Path(path) => path.write(out, attributes),
            Operand::Value(value) => {
                attributes.write_value(out, value.to_rendered()?);
                Ok(())
            }
            Operand::Size(path) => {
                out.push_str("size(");
                path.write(out, attributes)?;
                out.push(')');
                Ok(())
            }
        }
    }
}

impl From<Path> for Operand {
    fn from(path: Path) -> Self {
        Operand::Path(path)
    }
}

impl From<Attr> for Operand {
    fn from(attr: Attr) -> Self {
        Operand::Path(attr.path)
    }
}

impl From<Value> for Operand {
    fn from(value: Value) -> Self {
        Operand::Value(value)
    }
}

impl From<Size> for Operand {
    fn from(size: Size) -> Self {
        Operand::Size(size.path)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    BeginsWith(Path, Operand),
    Contains(Path, Operand),
    Exists(Path),
    NotExists(Path),
    Type(Path, StoredType),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

impl Node {
    /// Functions are self-delimiting: they never need parentheses.
    fn is_function(&self) -> bool {
        matches!(
            self,
            Node::BeginsWith(..) | Node::Contains(..) | Node::Exists(_) | Node::NotExists(_) | Node::Type(..)
        )
    }

    fn write(&self, out: &mut String, attributes: &mut ExpressionAttributes, depth: usize) -> Result<()> {
        if depth > MAX_NESTING {
            return Err(invalid(format!(
                "a condition nests AND / OR / NOT more than {MAX_NESTING} levels deep"
            )));
        }
        match self {
            Node::Compare(left, op, right) => {
                left.write(out, attributes)?;
                out.push(' ');
                out.push_str(op.as_str());
                out.push(' ');
                right.write(out, attributes)
            }
            Node::Between(operand, low, high) => {
                operand.write(out, attributes)?;
                out.push_str(" BETWEEN ");
                low.write(out, attributes)?;
                out.push_str(" AND ");
                high.write(out, attributes)
            }
            Node::In(operand, list) => {
                if list.is_empty() || list.len() > MAX_IN_VALUES {
                    return Err(invalid(format!(
                        "IN takes 1 to {MAX_IN_VALUES} values, not {}",
                        list.len()
                    )));
                }
                operand.write(out, attributes)?;
                out.push_str(" IN (");
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, attributes)?;
                }
                out.push(')');
                Ok(())
            }
            Node::BeginsWith(path, operand) => function2(out, attributes, "begins_with", path, operand),
            Node::Contains(path, operand) => function2(out, attributes, "contains", path, operand),
            Node::Exists(path) => function1(out, attributes, "attribute_exists", path),
            Node::NotExists(path) => function1(out, attributes, "attribute_not_exists", path),
            Node::Type(path, stored) => {
                let operand =
                    Operand::Value(Value::from(crate::AttributeValue::S(stored.as_str().to_owned())));
                function2(out, attributes, "attribute_type", path, &operand)
            }
            Node::And(children) => write_group(out, attributes, depth, children, " AND ", |child| {
                matches!(child, Node::Or(_) | Node::Between(..))
            }),
            Node::Or(children) => write_group(out, attributes, depth, children, " OR ", |child| {
                matches!(child, Node::Between(..))
            }),
            Node::Not(child) => {
                out.push_str("NOT ");
                if child.is_function() {
                    child.write(out, attributes, depth + 1)
                } else {
                    out.push('(');
                    child.write(out, attributes, depth + 1)?;
                    out.push(')');
                    Ok(())
                }
            }
        }
    }
}

fn function1(out: &mut String, attributes: &mut ExpressionAttributes, name: &str, path: &Path) -> Result<()> {
    out.push_str(name);
    out.push('(');
    path.write(out, attributes)?;
    out.push(')');
    Ok(())
}

fn function2(
    out: &mut String,
    attributes: &mut ExpressionAttributes,
    name: &str,
    path: &Path,
    operand: &Operand,
) -> Result<()> {
    out.push_str(name);
    out.push('(');
    path.write(out, attributes)?;
    out.push_str(", ");
    operand.write(out, attributes)?;
    out.push(')');
    Ok(())
}

/// Joins the children of AND / OR, parenthesising those that bind more loosely than `separator`
/// (an OR inside an AND) or would read ambiguously (a BETWEEN, whose own `AND` is not a conjunction).
fn write_group(
    out: &mut String,
    attributes: &mut ExpressionAttributes,
    depth: usize,
    children: &[Node],
    separator: &str,
    needs_parentheses: impl Fn(&Node) -> bool,
) -> Result<()> {
    if children.is_empty() {
        return Err(invalid(format!("an{separator}of no conditions")));
    }
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        if needs_parentheses(child) {
            out.push('(');
            child.write(out, attributes, depth + 1)?;
            out.push(')');
        } else {
            child.write(out, attributes, depth + 1)?;
        }
    }
    Ok(())
}

/// A condition (for `ConditionExpression`) or filter (for `FilterExpression`).
///
/// Built with [`attr`](super::attr) and combined with [`and`](Condition::and) / `&`,
/// [`or`](Condition::or) / `|` and [`not`](Condition::not) / `!`. NOT binds tighter than AND, and
/// AND tighter than OR; the rendered text has parentheses exactly where the meaning needs them.
///
/// ```
/// use dynorm::expr::{attr, ExpressionAttributes};
///
/// let adult_or_admin = attr("role").eq("admin") | attr("verified").eq(true) & attr("name").exists();
/// let condition = adult_or_admin & !attr("banned").eq(true);
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(
///     condition.render(&mut attributes)?,
///     "(#n0 = :v0 OR #n1 = :v1 AND attribute_exists(#n2)) AND NOT (#n3 = :v2)"
/// );
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Condition {
    node: Node,
}

impl Condition {
    fn from_node(node: Node) -> Self {
        Self { node }
    }

    /// `left <op> right`, for any two operands.
    ///
    /// ```
    /// use dynorm::expr::{Comparator, Condition, ExpressionAttributes, Operand};
    ///
    /// let condition = Condition::compare(Operand::size("a"), Comparator::Le, Operand::size("b"));
    /// let mut attributes = ExpressionAttributes::new();
    /// assert_eq!(condition.render(&mut attributes)?, "size(#n0) <= size(#n1)");
    /// # Ok::<(), dynorm::Error>(())
    /// ```
    pub fn compare(left: impl Into<Operand>, comparator: Comparator, right: impl Into<Operand>) -> Self {
        Self::from_node(Node::Compare(left.into(), comparator, right.into()))
    }

    /// `operand BETWEEN low AND high`, for any operands.
    pub fn between(operand: impl Into<Operand>, low: impl Into<Operand>, high: impl Into<Operand>) -> Self {
        Self::from_node(Node::Between(operand.into(), low.into(), high.into()))
    }

    /// `operand IN (a, b, ...)`, for any operands; 1 to 100 of them (checked at rendering).
    pub fn is_in<O: Into<Operand>>(operand: impl Into<Operand>, list: impl IntoIterator<Item = O>) -> Self {
        Self::from_node(Node::In(
            operand.into(),
            list.into_iter().map(Into::into).collect(),
        ))
    }

    /// All of the conditions (AND). One condition is itself; none is an error at rendering.
    ///
    /// ```
    /// use dynorm::expr::{attr, Condition, ExpressionAttributes};
    ///
    /// let all = Condition::all((0..3).map(|i| attr(format!("a{i}")).exists()));
    /// let mut attributes = ExpressionAttributes::new();
    /// assert_eq!(
    ///     all.render(&mut attributes)?,
    ///     "attribute_exists(#n0) AND attribute_exists(#n1) AND attribute_exists(#n2)"
    /// );
    /// # Ok::<(), dynorm::Error>(())
    /// ```
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Self::group(conditions, true)
    }

    /// Any of the conditions (OR). One condition is itself; none is an error at rendering.
    pub fn any(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Self::group(conditions, false)
    }

    fn group(conditions: impl IntoIterator<Item = Condition>, and: bool) -> Self {
        let mut children = Vec::new();
        for c in conditions {
            match (c.node, and) {
                (Node::And(inner), true) | (Node::Or(inner), false) => children.extend(inner),
                (node, _) => children.push(node),
            }
        }
        if children.len() == 1
            && let Some(only) = children.pop()
        {
            return Self::from_node(only);
        }
        Self::from_node(if and {
            Node::And(children)
        } else {
            Node::Or(children)
        })
    }

    /// This condition AND `other` (also written `self & other`).
    pub fn and(self, other: Condition) -> Self {
        Self::all([self, other])
    }

    /// This condition OR `other` (also written `self | other`).
    pub fn or(self, other: Condition) -> Self {
        Self::any([self, other])
    }

    /// NOT this condition (also written `!self`).
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        Self::from_node(Node::Not(Box::new(self.node)))
    }

    /// Renders the condition; names and values go into `attributes`.
    pub fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        let mut out = String::new();
        self.node.write(&mut out, attributes, 0)?;
        Ok(out)
    }
}

impl Render for Condition {
    fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        Condition::render(self, attributes)
    }
}

impl BitAnd for Condition {
    type Output = Condition;

    fn bitand(self, other: Condition) -> Condition {
        self.and(other)
    }
}

impl BitOr for Condition {
    type Output = Condition;

    fn bitor(self, other: Condition) -> Condition {
        self.or(other)
    }
}

impl Not for Condition {
    type Output = Condition;

    fn not(self) -> Condition {
        Condition::not(self)
    }
}

/// An attribute (or document path) to build conditions on; made by [`attr`](super::attr).
///
/// ```
/// use dynorm::expr::{attr, ExpressionAttributes, StoredType};
///
/// let mut attributes = ExpressionAttributes::new();
/// let mut render = |c: dynorm::expr::Condition| c.render(&mut attributes);
/// assert_eq!(render(attr("email").begins_with("admin@"))?, "begins_with(#n0, :v0)");
/// assert_eq!(render(attr("a").eq_path("b"))?, "#n1 = #n2");
/// assert_eq!(render(attr("kind").is_in(["x", "y"]))?, "#n3 IN (:v1, :v2)");
/// assert_eq!(render(attr("doc").key("meta").is_type(StoredType::M))?, "attribute_type(#n4.#n5, :v3)");
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Attr {
    path: Path,
}

macro_rules! comparisons {
    ($($value:ident $path:ident $op:ident $sym:literal;)*) => {
        $(
            #[doc = concat!("`path ", $sym, " value`.")]
            pub fn $value(self, value: impl IntoValue) -> Condition {
                Condition::compare(self.path, Comparator::$op, Operand::value(value))
            }

            #[doc = concat!("`path ", $sym, " other_path`.")]
            pub fn $path(self, other: impl Into<Path>) -> Condition {
                Condition::compare(self.path, Comparator::$op, Operand::Path(other.into()))
            }
        )*
    };
}

impl Attr {
    /// The attribute or document path.
    pub fn new(path: impl Into<Path>) -> Self {
        Self { path: path.into() }
    }

    /// A nested map key of this attribute.
    pub fn key(self, key: impl Into<String>) -> Self {
        Self {
            path: self.path.key(key),
        }
    }

    /// A list element of this attribute.
    pub fn index(self, index: usize) -> Self {
        Self {
            path: self.path.index(index),
        }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    comparisons! {
        eq eq_path Eq "=";
        ne ne_path Ne "<>";
        lt lt_path Lt "<";
        le le_path Le "<=";
        gt gt_path Gt ">";
        ge ge_path Ge ">=";
    }

    /// `path BETWEEN low AND high`.
    pub fn between(self, low: impl IntoValue, high: impl IntoValue) -> Condition {
        Condition::between(self.path, Operand::value(low), Operand::value(high))
    }

    /// `path IN (a, b, ...)`: 1 to 100 values (DynamoDB's limit), checked at rendering.
    pub fn is_in<V: IntoValue>(self, values: impl IntoIterator<Item = V>) -> Condition {
        Condition::is_in(self.path, values.into_iter().map(Operand::value))
    }

    /// `begins_with(path, prefix)`.
    pub fn begins_with(self, prefix: impl IntoValue) -> Condition {
        Condition::from_node(Node::BeginsWith(self.path, Operand::value(prefix)))
    }

    /// `contains(path, value)`: a substring of a string, an element of a set or list.
    pub fn contains(self, value: impl IntoValue) -> Condition {
        Condition::from_node(Node::Contains(self.path, Operand::value(value)))
    }

    /// `contains(path, other_path)`.
    pub fn contains_path(self, other: impl Into<Path>) -> Condition {
        Condition::from_node(Node::Contains(self.path, Operand::Path(other.into())))
    }

    /// `attribute_exists(path)`.
    pub fn exists(self) -> Condition {
        Condition::from_node(Node::Exists(self.path))
    }

    /// `attribute_not_exists(path)`.
    pub fn not_exists(self) -> Condition {
        Condition::from_node(Node::NotExists(self.path))
    }

    /// `attribute_type(path, type)`.
    pub fn is_type(self, stored: StoredType) -> Condition {
        Condition::from_node(Node::Type(self.path, stored))
    }

    /// `size(path)`, to compare.
    pub fn size(self) -> Size {
        Size { path: self.path }
    }
}

impl From<Attr> for Path {
    fn from(attr: Attr) -> Self {
        attr.path
    }
}

/// `size(path)`, the length of a string, binary, set, list or map; made by [`Attr::size`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Size {
    path: Path,
}

macro_rules! size_comparisons {
    ($($name:ident $op:ident $sym:literal;)*) => {
        $(
            #[doc = concat!("`size(path) ", $sym, " n`.")]
            pub fn $name(self, n: usize) -> Condition {
                Condition::compare(Operand::Size(self.path), Comparator::$op, Operand::Value(Value::number(n)))
            }
        )*
    };
}

impl Size {
    size_comparisons! {
        eq Eq "=";
        ne Ne "<>";
        lt Lt "<";
        le Le "<=";
        gt Gt ">";
        ge Ge ">=";
    }

    /// `size(path) BETWEEN low AND high`.
    pub fn between(self, low: usize, high: usize) -> Condition {
        Condition::between(
            Operand::Size(self.path),
            Operand::Value(Value::number(low)),
            Operand::Value(Value::number(high)),
        )
    }
}

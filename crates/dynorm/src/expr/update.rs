//! Update expressions: SET, REMOVE, ADD and DELETE actions.

use aws_sdk_dynamodb::types::AttributeValue;

use super::render::Render;
use super::{ExpressionAttributes, IntoValue, Path, Value, invalid};
use crate::Result;

/// An operand of a SET action.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(Path),
    Value(Value),
    IfNotExists(Path, Value),
    ListAppend(Box<Operand>, Box<Operand>),
}

impl Operand {
    fn write(&self, out: &mut String, attributes: &mut ExpressionAttributes) -> Result<()> {
        match self {
            Operand::Path(path) => path.write(out, attributes),
            Operand::Value(value) => {
                attributes.write_value(out, value.to_rendered()?);
                Ok(())
            }
            Operand::IfNotExists(path, value) => {
                out.push_str("if_not_exists(");
                path.write(out, attributes)?;
                out.push_str(", ");
                attributes.write_value(out, value.to_rendered()?);
                out.push(')');
                Ok(())
            }
            Operand::ListAppend(first, second) => {
                out.push_str("list_append(");
                first.write(out, attributes)?;
                out.push_str(", ");
                second.write(out, attributes)?;
                out.push(')');
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum SetNode {
    Operand(Operand),
    Plus(Operand, Operand),
    Minus(Operand, Operand),
    /// A combination DynamoDB cannot express, reported at rendering.
    Invalid(String),
}

/// The right-hand side of a SET action: a value, a path, `if_not_exists`, `list_append`, or one
/// `+` / `-` between two of those.
///
/// ```
/// use dynorm::expr::{ExpressionAttributes, SetValue, Update, Value};
/// use dynorm::AttributeValue;
///
/// // A counter that starts at 0 when absent: `#n0 = if_not_exists(#n0, :v0) + :v1`.
/// let (zero, one) = (AttributeValue::N("0".into()), AttributeValue::N("1".into()));
/// let visits = SetValue::if_not_exists("visits", Value::from(zero)).plus(SetValue::value(Value::from(one)));
/// let update = Update::new().set_to("visits", visits);
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(update.render(&mut attributes)?, "SET #n0 = if_not_exists(#n0, :v0) + :v1");
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct SetValue {
    node: SetNode,
}

impl SetValue {
    fn operand(operand: Operand) -> Self {
        Self {
            node: SetNode::Operand(operand),
        }
    }

    /// A value (`:v0`).
    pub fn value(value: impl IntoValue) -> Self {
        Self::operand(Operand::Value(value.into_value()))
    }

    /// The value at a path (`#n0`).
    pub fn path(path: impl Into<Path>) -> Self {
        Self::operand(Operand::Path(path.into()))
    }

    /// `if_not_exists(path, value)`: the attribute at `path`, or `value` when it is absent.
    pub fn if_not_exists(path: impl Into<Path>, value: impl IntoValue) -> Self {
        Self::operand(Operand::IfNotExists(path.into(), value.into_value()))
    }

    /// `list_append(first, second)`: two lists joined.
    pub fn list_append(first: SetValue, second: SetValue) -> Self {
        match (first.node, second.node) {
            (SetNode::Operand(a), SetNode::Operand(b)) => {
                Self::operand(Operand::ListAppend(Box::new(a), Box::new(b)))
            }
            _ => Self::invalid("list_append takes two operands, not an arithmetic result"),
        }
    }

    /// `self + other`.
    pub fn plus(self, other: SetValue) -> Self {
        self.arithmetic(other, SetNode::Plus)
    }

    /// `self - other`.
    pub fn minus(self, other: SetValue) -> Self {
        self.arithmetic(other, SetNode::Minus)
    }

    fn arithmetic(self, other: SetValue, make: fn(Operand, Operand) -> SetNode) -> Self {
        match (self.node, other.node) {
            (SetNode::Operand(a), SetNode::Operand(b)) => Self { node: make(a, b) },
            (SetNode::Invalid(m), _) | (_, SetNode::Invalid(m)) => Self::invalid(m),
            _ => Self::invalid("a SET action allows one `+` or `-`"),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self {
            node: SetNode::Invalid(message.into()),
        }
    }

    fn write(&self, out: &mut String, attributes: &mut ExpressionAttributes) -> Result<()> {
        let (a, sign, b) = match &self.node {
            SetNode::Operand(operand) => return operand.write(out, attributes),
            SetNode::Plus(a, b) => (a, " + ", b),
            SetNode::Minus(a, b) => (a, " - ", b),
            SetNode::Invalid(message) => return Err(invalid(message.clone())),
        };
        a.write(out, attributes)?;
        out.push_str(sign);
        b.write(out, attributes)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, Value),
    Delete(Path, Value),
}

impl Action {
    fn path(&self) -> &Path {
        match self {
            Action::Set(path, _) | Action::Remove(path) | Action::Add(path, _) | Action::Delete(path, _) => {
                path
            }
        }
    }

    /// Whether the action does something: adding or deleting an empty set does nothing.
    fn is_effective(&self) -> bool {
        match self {
            Action::Add(_, value) | Action::Delete(_, value) => !value.is_nothing(),
            _ => true,
        }
    }
}

/// What an update does to an immutable attribute (see [`Update::immutable_effects`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ImmutableEffect {
    /// Sets it to this value: allowed if absent or already equal.
    Sets(AttributeValue),
    /// Removes it, or computes it in DynamoDB (described): allowed only while absent.
    Changes(Option<String>),
}

/// An update expression: SET, REMOVE, ADD and DELETE actions, rendered as one
/// `SET a = :v0, b = :v1 REMOVE c ADD d :v2 DELETE e :v3`.
///
/// Two actions on the same or overlapping paths (`a` and `a.b`, or `a[0]` and `a.b`) are refused
/// at rendering with an error naming both, as DynamoDB would refuse them.
///
/// ```
/// use std::collections::BTreeSet;
/// use dynorm::expr::{ExpressionAttributes, Update};
///
/// let tags: BTreeSet<String> = ["new".to_owned()].into();
/// let update = Update::new()
///     .set("name", "Ada")
///     .set("nickname", None::<String>) // nothing: removes the attribute
///     .append("history", vec!["renamed".to_owned()])
///     .add("tags", tags.clone())
///     .delete("old_tags", tags);
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(
///     update.render(&mut attributes)?,
///     "SET #n0 = :v0, #n1 = list_append(#n1, :v1) REMOVE #n2 ADD #n3 :v2 DELETE #n4 :v3"
/// );
/// assert_eq!(attributes.names()["#n2"], "nickname");
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct Update {
    actions: Vec<Action>,
}

impl Update {
    /// An update with no actions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `SET path = value`. A value that encodes to nothing (`None`, an empty set) removes the
    /// attribute instead, as it would be left out of a written item.
    pub fn set(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        let value = value.into_value();
        let path = path.into();
        self.actions.push(if value.is_nothing() {
            Action::Remove(path)
        } else {
            Action::Set(path, SetValue::operand(Operand::Value(value)))
        });
        self
    }

    /// `SET path = <any SET value>`.
    pub fn set_to(mut self, path: impl Into<Path>, value: SetValue) -> Self {
        self.actions.push(Action::Set(path.into(), value));
        self
    }

    /// `SET path = other_path`.
    pub fn set_path(self, path: impl Into<Path>, other: impl Into<Path>) -> Self {
        self.set_to(path, SetValue::path(other))
    }

    /// `SET path = if_not_exists(path, value)`: sets the attribute only if it is absent.
    pub fn set_if_not_exists(self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        let path = path.into();
        let value = SetValue::if_not_exists(path.clone(), value);
        self.set_to(path, value)
    }

    /// `SET path = path + value`.
    pub fn increment(self, path: impl Into<Path>, by: impl IntoValue) -> Self {
        let path = path.into();
        let value = SetValue::path(path.clone()).plus(SetValue::value(by));
        self.set_to(path, value)
    }

    /// `SET path = path - value`.
    pub fn decrement(self, path: impl Into<Path>, by: impl IntoValue) -> Self {
        let path = path.into();
        let value = SetValue::path(path.clone()).minus(SetValue::value(by));
        self.set_to(path, value)
    }

    /// `SET path = list_append(path, list)`: adds elements at the end of a list.
    pub fn append(self, path: impl Into<Path>, list: impl IntoValue) -> Self {
        let path = path.into();
        let value = SetValue::list_append(SetValue::path(path.clone()), SetValue::value(list));
        self.set_to(path, value)
    }

    /// `SET path = list_append(list, path)`: adds elements at the start of a list.
    pub fn prepend(self, path: impl Into<Path>, list: impl IntoValue) -> Self {
        let path = path.into();
        let value = SetValue::list_append(SetValue::value(list), SetValue::path(path.clone()));
        self.set_to(path, value)
    }

    /// `REMOVE path`.
    pub fn remove(mut self, path: impl Into<Path>) -> Self {
        self.actions.push(Action::Remove(path.into()));
        self
    }

    /// `ADD path value`: adds to a number, or adds elements to a set (an empty set does nothing).
    pub fn add(mut self, path: impl Into<Path>, value: impl IntoValue) -> Self {
        self.actions.push(Action::Add(path.into(), value.into_value()));
        self
    }

    /// `DELETE path set`: removes elements from a set (an empty set does nothing).
    pub fn delete(mut self, path: impl Into<Path>, set: impl IntoValue) -> Self {
        self.actions.push(Action::Delete(path.into(), set.into_value()));
        self
    }

    /// The actions of `other` added to these.
    pub fn merge(mut self, other: Update) -> Self {
        self.actions.extend(other.actions);
        self
    }

    /// What the update does to each of these attributes it touches. `SET a = if_not_exists(a, v)`
    /// never changes a written value, so it is not counted.
    pub(crate) fn immutable_effects(
        &self,
        immutable: &[&'static str],
    ) -> Vec<(&'static str, ImmutableEffect)> {
        self.effects()
            .into_iter()
            .filter_map(|(attribute, effect)| {
                let attribute = immutable.iter().copied().find(|a| *a == attribute)?;
                Some((attribute, effect))
            })
            .collect()
    }

    /// What the update does to each top-level attribute it touches: sets it to a value, or
    /// changes it otherwise (removes it, or computes it in DynamoDB). `SET a = if_not_exists(a, v)`
    /// never changes a written value, so it is not counted.
    pub(crate) fn effects(&self) -> Vec<(&str, ImmutableEffect)> {
        let mut out = Vec::new();
        for action in &self.actions {
            let path = action.path();
            let effect = match action {
                Action::Set(
                    _,
                    SetValue {
                        node: SetNode::Operand(Operand::Value(v)),
                    },
                ) if path.is_top_level() => match v.attribute_value() {
                    Ok(Some(v)) => ImmutableEffect::Sets(v.clone()),
                    _ => ImmutableEffect::Changes(None),
                },
                Action::Set(
                    _,
                    SetValue {
                        node: SetNode::Operand(Operand::IfNotExists(p, _)),
                    },
                ) if p == path => continue,
                Action::Remove(_) if path.is_top_level() => ImmutableEffect::Changes(None),
                _ => ImmutableEffect::Changes(Some("a value computed in DynamoDB".to_owned())),
            };
            out.push((path.attribute(), effect));
        }
        out
    }

    /// The top-level attribute of every action's path.
    pub(crate) fn top_level_targets(&self) -> Vec<&str> {
        self.actions.iter().map(|a| a.path().attribute()).collect()
    }

    /// Whether there are no actions.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The number of actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Renders the update; names and values go into `attributes`.
    pub fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        let actions: Vec<&Action> = self.actions.iter().filter(|a| a.is_effective()).collect();
        if actions.is_empty() {
            return Err(invalid("an update has no actions"));
        }
        for (i, a) in actions.iter().enumerate() {
            for b in &actions[i + 1..] {
                if a.path().overlaps(b.path()) {
                    return Err(invalid(format!(
                        "two actions of one update touch overlapping paths `{}` and `{}` \
                         (DynamoDB refuses them: \"Two document paths overlap\")",
                        a.path(),
                        b.path()
                    )));
                }
            }
        }

        let mut out = String::new();

        let mut first = true;
        for action in &actions {
            if let Action::Set(path, value) = action {
                clause("SET", &mut out, &mut first);
                path.write(&mut out, attributes)?;
                out.push_str(" = ");
                value.write(&mut out, attributes)?;
            }
        }
        let mut first = true;
        for action in &actions {
            if let Action::Remove(path) = action {
                clause("REMOVE", &mut out, &mut first);
                path.write(&mut out, attributes)?;
            }
        }
        let mut first = true;
        for action in &actions {
            if let Action::Add(path, value) = action {
                let value = value.to_rendered()?;
                if !matches!(
                    value,
                    AttributeValue::N(_)
                        | AttributeValue::Ss(_)
                        | AttributeValue::Ns(_)
                        | AttributeValue::Bs(_)
                ) {
                    return Err(invalid(format!(
                        "ADD `{path}` takes a number or a set, not {}",
                        crate::attribute::type_name(&value)
                    )));
                }
                clause("ADD", &mut out, &mut first);
                path.write(&mut out, attributes)?;
                out.push(' ');
                attributes.write_value(&mut out, value);
            }
        }
        let mut first = true;
        for action in &actions {
            if let Action::Delete(path, value) = action {
                let value = value.to_rendered()?;
                if !matches!(
                    value,
                    AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
                ) {
                    return Err(invalid(format!(
                        "DELETE `{path}` takes a set, not {}",
                        crate::attribute::type_name(&value)
                    )));
                }
                clause("DELETE", &mut out, &mut first);
                path.write(&mut out, attributes)?;
                out.push(' ');
                attributes.write_value(&mut out, value);
            }
        }
        Ok(out)
    }
}

/// Starts a clause (`SET `, with a space before it unless it is the first) or separates its actions.
fn clause(keyword: &str, out: &mut String, first: &mut bool) {
    if *first {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(keyword);
        out.push(' ');
        *first = false;
    } else {
        out.push_str(", ");
    }
}

impl Render for Update {
    fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        Update::render(self, attributes)
    }
}

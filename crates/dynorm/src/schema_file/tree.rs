//! A schema file parsed into a tree that remembers where every key and value sits, so a problem
//! found later (by serde or by a definition's own checks) can point at the exact place.

use super::Location;

/// One value of the file, with where it starts.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) at: Location,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone)]
pub(super) enum Kind {
    Scalar(serde_json::Value),
    List(Vec<Node>),
    /// Key, where the key is written, value; in file order.
    Map(Vec<(String, Location, Node)>),
}

/// One step of a path into the tree, as serde names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

/// What a path leads to: the value, and the key that names it (when the last step is a key).
pub(super) struct Found<'a> {
    pub(super) node: &'a Node,
    pub(super) key_at: Option<Location>,
    /// Whether the whole path was found (else `node` is the deepest part that was).
    pub(super) complete: bool,
}

impl Node {
    /// The value as JSON, for serde to read.
    pub(super) fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            Kind::Scalar(v) => v.clone(),
            Kind::List(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, _, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// The value under a key of this map.
    pub(super) fn get(&self, key: &str) -> Option<(&Location, &Node)> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _, _)| k == key)
                .map(|(_, at, v)| (at, v)),
            _ => None,
        }
    }

    /// Follows a path as far as it goes.
    pub(super) fn find(&self, path: &[Step]) -> Found<'_> {
        let mut found = Found {
            node: self,
            key_at: None,
            complete: true,
        };
        for step in path {
            let next = match (step, &found.node.kind) {
                (Step::Key(k), Kind::Map(_)) => found.node.get(k).map(|(at, v)| (Some(*at), v)),
                (Step::Index(i), Kind::List(items)) => items.get(*i).map(|v| (None, v)),
                _ => None,
            };
            match next {
                Some((key_at, node)) => {
                    found.node = node;
                    found.key_at = key_at;
                }
                None => {
                    found.complete = false;
                    break;
                }
            }
        }
        found
    }

    /// Every map in the tree (this node included) with its path, in file order.
    pub(super) fn maps(&self) -> Vec<(Vec<Step>, &Node)> {
        fn walk<'a>(node: &'a Node, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, &'a Node)>) {
            match &node.kind {
                Kind::Scalar(_) => {}
                Kind::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Step::Index(i));
                        walk(item, path, out);
                        path.pop();
                    }
                }
                Kind::Map(entries) => {
                    out.push((path.clone(), node));
                    for (k, _, v) in entries {
                        path.push(Step::Key(k.clone()));
                        walk(v, path, out);
                        path.pop();
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut Vec::new(), &mut out);
        out
    }
}

/// A syntax error: where, and what.
pub(super) type SyntaxError = (Option<Location>, String);

/// Parses JSON (serde_json checks the syntax; a small scanner then finds where each value sits).
pub(super) fn json(text: &str) -> Result<Node, SyntaxError> {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
        return Err((
            (e.line() > 0).then(|| Location {
                line: e.line(),
                column: e.column().max(1),
            }),
            e.to_string(),
        ));
    }
    let mut scanner = JsonScanner { text, pos: 0 };
    scanner
        .value()
        .ok_or_else(|| (None, "cannot read the JSON".to_owned()))
}

/// Walks JSON already known to be valid, noting where each value starts.
struct JsonScanner<'a> {
    text: &'a str,
    pos: usize,
}

impl JsonScanner<'_> {
    fn skip_space(&mut self) {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn here(&self) -> Location {
        Location::of_offset(self.text, self.pos)
    }

    /// The end of the string starting at `self.pos` (just past its closing quote).
    fn string_end(&self) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = self.pos + 1;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        (i + 1).min(bytes.len())
    }

    /// The value starting here, read by serde_json from its own slice.
    fn scalar(&mut self) -> Option<serde_json::Value> {
        let rest = self.text.get(self.pos..)?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        let value = stream.next()?.ok()?;
        self.pos += stream.byte_offset();
        Some(value)
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_space();
        let at = self.here();
        let kind = match self.peek()? {
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_space();
                    match self.peek()? {
                        b'}' => break,
                        b',' => self.pos += 1,
                        _ => {
                            let key_at = self.here();
                            let serde_json::Value::String(key) = self.scalar()? else {
                                return None;
                            };
                            self.skip_space();
                            // The colon.
                            self.pos += 1;
                            entries.push((key, key_at, self.value()?));
                        }
                    }
                }
                self.pos += 1;
                Kind::Map(entries)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    match self.peek()? {
                        b']' => break,
                        b',' => self.pos += 1,
                        _ => items.push(self.value()?),
                    }
                }
                self.pos += 1;
                Kind::List(items)
            }
            b'"' => {
                let end = self.string_end();
                let value = serde_json::from_str(self.text.get(self.pos..end)?).ok()?;
                self.pos = end;
                Kind::Scalar(value)
            }
            _ => Kind::Scalar(self.scalar()?),
        };
        Some(Node { at, kind })
    }
}

#[cfg(feature = "schema-files")]
pub(super) use formats::{toml, yaml};

#[cfg(feature = "schema-files")]
mod formats {
    use super::{Kind, Location, Node, SyntaxError};

    /// Parses TOML with the spans of every key and value.
    pub(in crate::schema_file) fn toml(text: &str) -> Result<Node, SyntaxError> {
        use toml::de::{DeTable, DeValue};
        fn value(text: &str, v: &toml::Spanned<DeValue<'_>>) -> Node {
            let at = Location::of_offset(text, v.span().start);
            let kind = match v.get_ref() {
                DeValue::String(s) => Kind::Scalar(serde_json::Value::String(s.to_string())),
                DeValue::Integer(i) => Kind::Scalar(
                    i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                        .map_or_else(|_| serde_json::Value::String(i.as_str().to_owned()), Into::into),
                ),
                DeValue::Float(f) => Kind::Scalar(
                    f.as_str()
                        .replace('_', "")
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or_else(|| serde_json::Value::String(f.as_str().to_owned()), Into::into),
                ),
                DeValue::Boolean(b) => Kind::Scalar(serde_json::Value::Bool(*b)),
                DeValue::Datetime(d) => Kind::Scalar(serde_json::Value::String(d.to_string())),
                DeValue::Array(items) => Kind::List(items.iter().map(|i| value(text, i)).collect()),
                DeValue::Table(t) => table(text, t),
            };
            Node { at, kind }
        }
        fn table(text: &str, t: &DeTable<'_>) -> Kind {
            Kind::Map(
                t.iter()
                    .map(|(k, v)| {
                        (
                            k.get_ref().to_string(),
                            Location::of_offset(text, k.span().start),
                            value(text, v),
                        )
                    })
                    .collect(),
            )
        }
        let root = DeTable::parse(text).map_err(|e| {
            (
                e.span().map(|s| Location::of_offset(text, s.start)),
                e.message().trim_end().to_owned(),
            )
        })?;
        Ok(Node {
            at: Location { line: 1, column: 1 },
            kind: table(text, root.get_ref()),
        })
    }

    /// A YAML value read through serde-saphyr, which tells where each node sits.
    struct Yaml(Node);

    fn location(l: serde_saphyr::Location) -> Location {
        Location {
            line: usize::try_from(l.line()).unwrap_or(usize::MAX).max(1),
            column: usize::try_from(l.column()).unwrap_or(usize::MAX).max(1),
        }
    }

    impl<'de> serde::Deserialize<'de> for Yaml {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            type Spanned<T> = serde_saphyr::Spanned<T>;
            fn leaf(v: serde_json::Value) -> Yaml {
                Yaml(Node {
                    at: Location { line: 1, column: 1 },
                    kind: Kind::Scalar(v),
                })
            }
            fn placed(s: Spanned<Yaml>) -> Node {
                let mut node = s.value.0;
                node.at = location(s.referenced);
                node
            }
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Yaml;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("any YAML value")
                }
                fn visit_bool<E>(self, v: bool) -> Result<Yaml, E> {
                    Ok(leaf(v.into()))
                }
                fn visit_i64<E>(self, v: i64) -> Result<Yaml, E> {
                    Ok(leaf(v.into()))
                }
                fn visit_u64<E>(self, v: u64) -> Result<Yaml, E> {
                    Ok(leaf(v.into()))
                }
                fn visit_f64<E>(self, v: f64) -> Result<Yaml, E> {
                    Ok(leaf(
                        serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
                    ))
                }
                fn visit_str<E>(self, v: &str) -> Result<Yaml, E> {
                    Ok(leaf(v.into()))
                }
                fn visit_unit<E>(self) -> Result<Yaml, E> {
                    Ok(leaf(serde_json::Value::Null))
                }
                fn visit_none<E>(self) -> Result<Yaml, E> {
                    Ok(leaf(serde_json::Value::Null))
                }
                fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Yaml, D2::Error> {
                    serde::Deserialize::deserialize(d)
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element::<Spanned<Yaml>>()? {
                        items.push(placed(item));
                    }
                    Ok(Yaml(Node {
                        at: Location { line: 1, column: 1 },
                        kind: Kind::List(items),
                    }))
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(key) = map.next_key::<Spanned<String>>()? {
                        let value = map.next_value::<Spanned<Yaml>>()?;
                        entries.push((key.value, location(key.referenced), placed(value)));
                    }
                    Ok(Yaml(Node {
                        at: Location { line: 1, column: 1 },
                        kind: Kind::Map(entries),
                    }))
                }
            }
            d.deserialize_any(Visit)
        }
    }

    /// Parses YAML with the place of every key and value.
    pub(in crate::schema_file) fn yaml(text: &str) -> Result<Node, SyntaxError> {
        if text.trim().is_empty() {
            return Ok(Node {
                at: Location { line: 1, column: 1 },
                kind: Kind::Scalar(serde_json::Value::Null),
            });
        }
        serde_saphyr::from_str::<serde_saphyr::Spanned<Yaml>>(text)
            .map(|s| {
                let mut node = s.value.0;
                node.at = location(s.referenced);
                node
            })
            .map_err(|e| {
                (
                    e.location().filter(|l| l.line() > 0).map(location),
                    super::super::yaml_message(&e),
                )
            })
    }
}

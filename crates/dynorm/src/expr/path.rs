//! Document paths: an attribute name, then nested map keys and list indexes.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use super::invalid;
use crate::Result;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An attribute name or a map key (rendered through a name placeholder).
    Name(String),
    /// A list index (rendered as `[i]`).
    Index(usize),
}

/// A document path: a top-level attribute name, then map keys and list indexes.
///
/// `Path::new("a.b")` (and `"a.b".into()`) is ONE attribute name, dots included, since dots are
/// legal in DynamoDB attribute names. [`Path::parse`] reads the document-path syntax instead.
///
/// ```
/// use dynorm::expr::{Path, ExpressionAttributes};
///
/// let nested = Path::new("address").key("lines").index(2);
/// assert_eq!(nested, Path::parse("address.lines[2]")?);
/// assert_eq!(nested.to_string(), "address.lines[2]");
///
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(nested.render(&mut attributes)?, "#n0.#n1[2]");
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    segments: Vec<Segment>,
}

impl Path {
    /// The top-level attribute `name` (one name, even with dots in it).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            segments: vec![Segment::Name(name.into())],
        }
    }

    /// This path extended with a nested map key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.segments.push(Segment::Name(key.into()));
        self
    }

    /// This path extended with a list index.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.segments.push(Segment::Index(index));
        self
    }

    /// Reads a document path: names separated by `.`, list indexes in brackets (`a.b[2].c`).
    ///
    /// ```
    /// use dynorm::expr::{Path, Segment};
    ///
    /// let path = Path::parse("orders[0].items")?;
    /// assert_eq!(path.segments().len(), 3);
    /// assert_eq!(path.segments()[1], Segment::Index(0));
    /// assert!(Path::parse("a..b").is_err());
    /// assert!(Path::parse("a[x]").is_err());
    /// # Ok::<(), dynorm::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let fail = |what: &str| invalid(format!("cannot read document path `{text}`: {what}"));
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        let mut segments = Vec::new();
        let mut rest = text;
        // Whether a name is expected next (at the start and after a dot).
        let mut need_name = true;
        while !rest.is_empty() {
            if need_name {
                let end = rest.find(['.', '[', ']']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(fail(if segments.is_empty() {
                        "it must start with an attribute name"
                    } else {
                        "an attribute name is empty"
                    }));
                }
                segments.push(Segment::Name(rest[..end].to_owned()));
                rest = &rest[end..];
                need_name = false;
            } else if let Some(after) = rest.strip_prefix('.') {
                if after.is_empty() {
                    return Err(fail("it ends with `.`"));
                }
                rest = after;
                need_name = true;
            } else if let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']').ok_or_else(|| fail("a `[` is not closed"))?;
                let digits = &after[..close];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(fail(&format!("list index `{digits}` is not a number")));
                }
                let index = digits
                    .parse()
                    .map_err(|_| fail(&format!("list index `{digits}` is too large")))?;
                segments.push(Segment::Index(index));
                rest = &after[close + 1..];
            } else {
                return Err(fail("expected `.` or `[` after a name or index"));
            }
        }
        Ok(Self { segments })
    }

    /// The steps of the path; the first is always a [`Segment::Name`].
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The top-level attribute name.
    pub fn attribute(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Name(name)) => name,
            _ => "",
        }
    }

    /// Whether this is a single top-level attribute name.
    pub fn is_top_level(&self) -> bool {
        self.segments.len() == 1
    }

    /// Whether two paths overlap or conflict, as DynamoDB refuses them in one update: equal, one
    /// a prefix of the other, or a list index in one where the other has a map key.
    pub(crate) fn overlaps(&self, other: &Path) -> bool {
        for (a, b) in self.segments.iter().zip(&other.segments) {
            match (a, b) {
                (Segment::Name(x), Segment::Name(y)) if x != y => return false,
                (Segment::Index(x), Segment::Index(y)) if x != y => return false,
                _ => {}
            }
        }
        true
    }

    /// Renders the path with name placeholders: `#n0.#n1[2]`.
    pub fn render(&self, attributes: &mut super::ExpressionAttributes) -> Result<String> {
        let mut out = String::new();
        self.write(&mut out, attributes)?;
        Ok(out)
    }

    pub(crate) fn write(&self, out: &mut String, attributes: &mut super::ExpressionAttributes) -> Result<()> {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Name(name) => {
                    if name.is_empty() {
                        return Err(invalid(format!("an attribute name in path `{self}` is empty")));
                    }
                    if i > 0 {
                        out.push('.');
                    }
                    attributes.write_name(out, name);
                }
                Segment::Index(index) => {
                    // Writing to a `String` cannot fail.
                    let _ = write!(out, "[{index}]");
                }
            }
        }
        Ok(())
    }
}

/// `a.b[2]`: names joined with dots, indexes in brackets.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Name(name) if i == 0 => f.write_str(name)?,
                Segment::Name(name) => write!(f, ".{name}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One attribute name (dots included).
impl From<&str> for Path {
    fn from(name: &str) -> Self {
        Path::new(name)
    }
}

/// One attribute name (dots included).
impl From<String> for Path {
    fn from(name: String) -> Self {
        Path::new(name)
    }
}

/// One attribute name (dots included).
impl From<&String> for Path {
    fn from(name: &String) -> Self {
        Path::new(name.as_str())
    }
}

impl From<&Path> for Path {
    fn from(path: &Path) -> Self {
        path.clone()
    }
}

/// Reads the document-path syntax, like [`Path::parse`].
impl FromStr for Path {
    type Err = crate::Error;

    fn from_str(text: &str) -> Result<Self> {
        Path::parse(text)
    }
}

impl super::Render for Path {
    fn render(&self, attributes: &mut super::ExpressionAttributes) -> Result<String> {
        Path::render(self, attributes)
    }
}

//! Rendering keys from values and reading them back, over a template's segments.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::join::{ESCAPE, Escaping, KEY_ESCAPING, escape_into};
use crate::parse::Segment;

/// A placeholder's value: the text of a string or of a number, or a type keys cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string, written as it is (escaped where needed).
    Str(Cow<'a, str>),
    /// A number's text; the only value a padded placeholder takes.
    Num(Cow<'a, str>),
    /// A value of another type, by its type name (`BOOL`, `L`, ...): an error to render.
    Other(&'static str),
}

impl<'a> Value<'a> {
    /// A borrowed string value.
    pub fn str(text: &'a str) -> Self {
        Self::Str(Cow::Borrowed(text))
    }

    /// A borrowed number value.
    pub fn num(text: &'a str) -> Self {
        Self::Num(Cow::Borrowed(text))
    }

    /// Whether the value is the empty string.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Str(s) if s.is_empty())
    }
}

/// A template's segments, borrowed: what keys are rendered and read back with. The derive
/// compiles each template into a `Plan<'static, &'static str>` (no parsing at run time); a
/// [`Template`](crate::Template) parsed at run time lends one with
/// [`plan`](crate::Template::plan).
///
/// Build one only from the segments of a template that parsed: the rules [`Template::parse`]
/// enforces (no two placeholders side by side, ...) are what make keys read back.
///
/// [`Template::parse`]: crate::Template::parse
#[derive(Debug)]
pub struct Plan<'a, S> {
    source: &'a str,
    segments: &'a [Segment<S>],
    escaping: Escaping,
    drop_empty: Option<char>,
}

// Copy whatever `S` is: a plan only borrows.
impl<S> Clone for Plan<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Plan<'_, S> {}

impl<'a, S> Plan<'a, S> {
    /// The plan of a template's text and its segments (as [`Template::parse`] gives them), with
    /// values escaped as [`KEY_ESCAPING`] says.
    ///
    /// [`Template::parse`]: crate::Template::parse
    pub const fn new(source: &'a str, segments: &'a [Segment<S>]) -> Self {
        Self {
            source,
            segments,
            escaping: KEY_ESCAPING,
            drop_empty: None,
        }
    }

    /// The template text.
    pub const fn as_str(&self) -> &'a str {
        self.source
    }

    /// The pieces of the template.
    pub const fn segments(&self) -> &'a [Segment<S>] {
        self.segments
    }

    /// How values are escaped.
    pub const fn escaping(&self) -> Escaping {
        self.escaping
    }

    /// The plan with values escaped another way (for stored layouts of libraries that write
    /// keys verbatim); rendering and reading back follow it alike.
    pub const fn with_escaping(self, escaping: Escaping) -> Self {
        Self { escaping, ..self }
    }

    /// The plan with empty values left out together with one `separator` beside them (the one
    /// before, else the one after), as single-table-orm joins its key parts: `T#{tenant}#Model`
    /// with tenant `""` is `T#Model`, `I#{id}` with id `""` is `I`. `None` keeps empty values.
    pub const fn dropping_empty_values(self, separator: Option<char>) -> Self {
        Self {
            drop_empty: separator,
            ..self
        }
    }
}

impl<'a, S: AsRef<str>> Plan<'a, S> {
    /// The field names used, in order, each once.
    pub fn fields(&self) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = Vec::new();
        for s in self.segments {
            if let Segment::Field { name, .. } = s
                && !out.contains(&name.as_ref())
            {
                out.push(name.as_ref());
            }
        }
        out
    }

    /// Whether the template has no placeholders (a constant key such as `PROFILE`).
    pub fn is_constant(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Literal(_)))
    }

    /// Whether `c` is escaped in values: the backslash, and each character that starts a
    /// literal right after a placeholder (its *stop characters*, usually just `#`).
    fn is_special(&self, c: char) -> bool {
        c == ESCAPE || self.is_stop(c)
    }

    fn is_stop(&self, c: char) -> bool {
        self.stops().contains(c)
    }

    /// The stop characters, gathered once per rendering (checking the segments for every
    /// character of every value would cost more than the rendering itself).
    fn stops(&self) -> Stops {
        let mut stops = Stops::default();
        for pair in self.segments.windows(2) {
            if let [Segment::Field { .. }, Segment::Literal(l)] = pair
                && let Some(c) = l.as_ref().chars().next()
            {
                stops.add(c);
            }
        }
        stops
    }

    /// Renders the key, looking each placeholder's value up by field name (`None`: absent).
    /// Every placeholder needs a value; the error lists all that are missing.
    pub fn render<'v>(&self, lookup: impl FnMut(&str) -> Option<Value<'v>>) -> Result<String, TemplateError> {
        let (out, missing) = self.render_until(lookup, false)?;
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(TemplateError::MissingFields {
                template: self.source.to_owned(),
                missing,
            })
        }
    }

    /// The known beginning of a key, for a `begins_with` condition: the literal text and values
    /// up to the first placeholder without a value (the whole key when all are known).
    pub fn render_prefix<'v>(
        &self,
        lookup: impl FnMut(&str) -> Option<Value<'v>>,
    ) -> Result<String, TemplateError> {
        Ok(self.render_until(lookup, true)?.0)
    }

    /// The rendered text and the placeholders without a value (stopping at the first one when
    /// `prefix_only`).
    fn render_until<'v>(
        &self,
        mut lookup: impl FnMut(&str) -> Option<Value<'v>>,
        prefix_only: bool,
    ) -> Result<(String, Vec<String>), TemplateError> {
        let mut out = String::with_capacity(self.source.len() + 16);
        let mut missing: Vec<String> = Vec::new();
        let stops = self.stops();
        let mut skip_separator = false;
        for s in self.segments {
            match s {
                Segment::Literal(l) => {
                    let l = l.as_ref();
                    let skip = std::mem::take(&mut skip_separator);
                    out.push_str(match self.drop_empty {
                        Some(c) if skip => l.strip_prefix(c).unwrap_or(l),
                        _ => l,
                    });
                }
                Segment::Field { name, width } => match lookup(name.as_ref()) {
                    Some(v)
                        if v.is_empty()
                            && let Some(separator) = self.drop_empty =>
                    {
                        skip_separator = drop_separator(&mut out, separator);
                    }
                    Some(v) => self.push_value(&mut out, name.as_ref(), *width, &v, &stops)?,
                    None if prefix_only => break,
                    None if !missing.iter().any(|m| m == name.as_ref()) => {
                        missing.push(name.as_ref().to_owned())
                    }
                    None => {}
                },
            }
        }
        Ok((out, missing))
    }

    /// Writes a placeholder's value, padded if its placeholder says so, escaped where it would
    /// make the key ambiguous.
    fn push_value(
        &self,
        out: &mut String,
        name: &str,
        width: Option<usize>,
        value: &Value<'_>,
        stops: &Stops,
    ) -> Result<(), TemplateError> {
        let padded;
        let text: &str = match (value, width) {
            (Value::Str(s), Some(width)) => {
                return Err(TemplateError::NotInteger {
                    field: name.to_owned(),
                    width,
                    value: format!("the string {s:?}"),
                });
            }
            (Value::Str(s), None) | (Value::Num(s), None) => s,
            (Value::Num(n), Some(width)) => {
                padded = pad(name, width, n)?;
                &padded
            }
            (Value::Other(found), _) => {
                return Err(TemplateError::NotScalar {
                    field: name.to_owned(),
                    found,
                });
            }
        };
        escape_into(out, text, self.escaping, |c| stops.contains(c));
        Ok(())
    }

    /// Reads a stored key back into the text of each field (escapes undone, padding removed).
    /// Decode each text with the field's type (an N field's text is its number).
    pub fn parse_key(&self, key: &str) -> Result<BTreeMap<String, String>, TemplateError> {
        if self.escaping == Escaping::Verbatim {
            return self.parse_verbatim(key);
        }
        let mismatch = |reason: String| TemplateError::Mismatch {
            template: self.source.to_owned(),
            key: key.to_owned(),
            reason,
        };
        let mut fields = BTreeMap::new();
        let mut rest = key;
        let mut segments = self.segments.iter().peekable();
        while let Some(s) = segments.next() {
            match s {
                Segment::Literal(l) => {
                    let l = l.as_ref();
                    rest = rest
                        .strip_prefix(l)
                        .ok_or_else(|| mismatch(format!("expected `{l}` at `{rest}`")))?;
                }
                Segment::Field { name, width } => {
                    let name = name.as_ref();
                    let stop = match segments.peek() {
                        Some(Segment::Literal(l)) => l.as_ref().chars().next(),
                        _ => None,
                    };
                    let (mut value, end) = self.read_value(name, rest, stop).map_err(mismatch)?;
                    rest = &rest[end..];
                    if let Some(width) = width {
                        value = unpad(&value, *width).ok_or_else(|| {
                            mismatch(format!("field `{name}` must be {width} digits, found `{value}`"))
                        })?;
                    }
                    match fields.get(name) {
                        Some(previous) if previous != &value => {
                            return Err(mismatch(format!(
                                "field `{name}` appears twice with different values"
                            )));
                        }
                        _ => {
                            fields.insert(name.to_owned(), value);
                        }
                    }
                }
            }
        }
        if !rest.is_empty() {
            return Err(mismatch(format!("unexpected trailing text `{rest}`")));
        }
        Ok(fields)
    }

    /// [`parse_key`](Self::parse_key) for keys written without escaping: every way the key can
    /// be split is tried; one reading is the answer, none is a mismatch, two are ambiguous (never a
    /// guess).
    fn parse_verbatim(&self, key: &str) -> Result<BTreeMap<String, String>, TemplateError> {
        let mut readings = Vec::new();
        let mut budget = MAX_SPLITS_TRIED;
        self.readings(0, key, BTreeMap::new(), &mut readings, &mut budget);
        if budget == 0 && readings.len() < 2 {
            return Err(TemplateError::Mismatch {
                template: self.source.to_owned(),
                key: key.to_owned(),
                reason: format!("more than {MAX_SPLITS_TRIED} ways to split it were tried"),
            });
        }
        let mut readings = readings.into_iter();
        let Some(first) = readings.next() else {
            return Err(TemplateError::Mismatch {
                template: self.source.to_owned(),
                key: key.to_owned(),
                reason: "no way to split it into the template's parts".to_owned(),
            });
        };
        match readings.next() {
            None => Ok(first),
            Some(second) => {
                let (field, one) = first
                    .iter()
                    .find(|(k, v)| second.get(*k) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                let other = second.get(&field).cloned().unwrap_or_default();
                Err(TemplateError::Ambiguous {
                    template: self.source.to_owned(),
                    key: key.to_owned(),
                    field,
                    one,
                    other,
                })
            }
        }
    }

    /// Collects up to two readings of `rest` against the segments from `at` on.
    fn readings(
        &self,
        at: usize,
        rest: &str,
        fields: BTreeMap<String, String>,
        out: &mut Vec<BTreeMap<String, String>>,
        budget: &mut usize,
    ) {
        if out.len() >= 2 || *budget == 0 {
            return;
        }
        *budget -= 1;
        let Some(segment) = self.segments.get(at) else {
            if rest.is_empty() {
                out.push(fields);
            }
            return;
        };
        match segment {
            Segment::Literal(l) => {
                if let Some(rest) = rest.strip_prefix(l.as_ref()) {
                    self.readings(at + 1, rest, fields, out, budget);
                }
            }
            Segment::Field { name, width } => {
                let next = match self.segments.get(at + 1) {
                    Some(Segment::Literal(l)) => Some(l.as_ref()),
                    _ => None,
                };
                for end in candidate_ends(rest, next) {
                    let mut value = rest[..end].to_owned();
                    if let Some(width) = width {
                        match unpad(&value, *width) {
                            Some(v) => value = v,
                            None => continue,
                        }
                    }
                    if fields.get(name.as_ref()).is_some_and(|v| v != &value) {
                        continue;
                    }
                    let mut fields = fields.clone();
                    fields.insert(name.as_ref().to_owned(), value);
                    self.readings(at + 1, &rest[end..], fields, out, budget);
                }
            }
        }
    }

    /// Field `name`'s value at the start of `rest`, unescaped, and the byte where it ends (at
    /// `stop` or the end); the error says why the text cannot be read.
    fn read_value(&self, name: &str, rest: &str, stop: Option<char>) -> Result<(String, usize), String> {
        let mut value = String::new();
        let mut chars = rest.char_indices();
        while let Some((at, c)) = chars.next() {
            if c == ESCAPE && self.escaping == Escaping::Backslash {
                match chars.next() {
                    Some((_, e)) if self.is_special(e) => value.push(e),
                    Some((_, e)) => return Err(format!("field `{name}` has the unknown escape `\\{e}`")),
                    None => return Err(format!("field `{name}` ends with a lone `\\`")),
                }
            } else if Some(c) == stop {
                return Ok((value, at));
            } else {
                value.push(c);
            }
        }
        Ok((value, rest.len()))
    }
}

/// Leaves out the `separator` before an empty value when the text so far ends with it (`I#` +
/// `""` is `I`); otherwise the separator after it goes, which the return says.
fn drop_separator(out: &mut String, separator: char) -> bool {
    if out.ends_with(separator) {
        out.pop();
        false
    } else {
        true
    }
}

/// How many partial splits reading a verbatim key may try: a hostile key full of separators
/// must not cost more than this.
const MAX_SPLITS_TRIED: usize = 10_000;

/// Where a value at the start of `rest` may end: before each occurrence of the literal that
/// follows it, or at the end when nothing follows.
fn candidate_ends(rest: &str, next: Option<&str>) -> Vec<usize> {
    match next {
        None => vec![rest.len()],
        Some(literal) => (0..=rest.len())
            .filter(|&at| rest.is_char_boundary(at) && rest[at..].starts_with(literal))
            .collect(),
    }
}

/// Zero-pads the digits of a non-negative integer to `width`.
fn pad(field: &str, width: usize, number: &str) -> Result<String, TemplateError> {
    let (field, value) = (field.to_owned(), number.to_owned());
    if number.starts_with('-') {
        return Err(TemplateError::Negative { field, width, value });
    }
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(TemplateError::NotInteger { field, width, value });
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if digits.len() > width {
        return Err(TemplateError::TooWide { field, width, value });
    }
    Ok(format!("{digits:0>width$}"))
}

/// The number a padded field's text holds (`None`: not `width` digits).
fn unpad(text: &str, width: usize) -> Option<String> {
    if text.len() != width || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let trimmed = text.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
}

/// A template's stop characters: almost always one or two, kept inline (no allocation).
#[derive(Debug, Default)]
struct Stops {
    inline: [char; 4],
    len: usize,
    more: Vec<char>,
}

impl Stops {
    fn add(&mut self, c: char) {
        if self.contains(c) {
            return;
        }
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = c;
                self.len += 1;
            }
            None => self.more.push(c),
        }
    }

    fn contains(&self, c: char) -> bool {
        self.inline[..self.len].contains(&c) || self.more.contains(&c)
    }
}

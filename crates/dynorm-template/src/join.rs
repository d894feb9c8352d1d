//! Escaping, and joining parts with a separator: the one rule behind key placeholders,
//! composite strings and joined attributes.

/// The escape character of [`Escaping::Backslash`].
pub const ESCAPE: char = '\\';

/// How a value is written where the text after it could be mistaken for part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Escaping {
    /// Written as it is (Da Vinci's composite strings, dynamojo's joined attributes). Text and
    /// values cannot always be told apart when read back.
    Verbatim,
    /// `\` and every *special* character (a separator's first character, a key's stop
    /// characters) written with a `\` before it, so the text always reads back. Values without
    /// them are written unchanged, byte for byte what other libraries write.
    Backslash,
}

/// The escaping of placeholder values in keys: chosen here, once, for rendering and reading back.
pub const KEY_ESCAPING: Escaping = Escaping::Backslash;

/// Appends `text` to `out`, with a `\` before `\` and before each character `special` names
/// when `escaping` is [`Escaping::Backslash`].
pub fn escape_into(out: &mut String, text: &str, escaping: Escaping, special: impl Fn(char) -> bool) {
    if escaping == Escaping::Verbatim || !text.contains(|c: char| c == ESCAPE || special(c)) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if c == ESCAPE || special(c) {
            out.push(ESCAPE);
        }
        out.push(c);
    }
}

/// Joins `parts` with `separator`. [`Escaping::Backslash`] escapes `\` and the separator's first
/// character in each part, so an unescaped occurrence of that character always starts a
/// separator; [`Escaping::Verbatim`] writes the parts as they are.
///
/// ```
/// use dynorm_template::{Escaping, join};
///
/// assert_eq!(join(&["a#b", r"c\d"], "#", Escaping::Backslash), r"a\#b#c\\d");
/// assert_eq!(join(&["user", "42"], "-", Escaping::Verbatim), "user-42");
/// assert_eq!(join(&["ann", ""], "~", Escaping::Verbatim), "ann~");
/// ```
pub fn join<S: AsRef<str>>(parts: &[S], separator: &str, escaping: Escaping) -> String {
    let capacity = parts.iter().map(|p| p.as_ref().len()).sum::<usize>() + separator.len() * parts.len();
    let mut out = String::with_capacity(capacity);
    let first = separator.chars().next();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        escape_into(&mut out, part.as_ref(), escaping, |c| Some(c) == first);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_and_verbatim() {
        assert_eq!(join(&["a", "b"], "#", Escaping::Backslash), "a#b");
        assert_eq!(join(&["x::y", ":"], "::", Escaping::Backslash), r"x\:\:y::\:");
        assert_eq!(join(&["a", "b-c"], "-", Escaping::Verbatim), "a-b-c");
        assert_eq!(join::<&str>(&[], "-", Escaping::Verbatim), "");
        assert_eq!(join(&[r"a\"], "", Escaping::Backslash), r"a\\");
    }
}

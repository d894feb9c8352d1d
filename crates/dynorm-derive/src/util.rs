//! Small helpers shared by the parsing, checking and expansion steps.

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use std::fmt::Display;

/// Collects every error so they are all reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// An error at `span` with a `help:` line showing the right form.
    pub(crate) fn at(&mut self, span: Span, message: impl Display, help: impl Display) {
        self.push(error(span, message, help));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// An error at `span` with a `help:` line.
pub(crate) fn error(span: Span, message: impl Display, help: impl Display) -> syn::Error {
    syn::Error::new(span, format!("{message}\n= help: {help}"))
}

/// A value and where it was written.
#[derive(Clone)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

impl<T> Sp<T> {
    pub(crate) fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

/// The doc comment of an item as one text: lines of a paragraph joined with spaces, paragraphs
/// separated by a blank line, surrounding whitespace trimmed. `None` when there is none.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            for line in s.value().split('\n') {
                lines.push(line.trim().to_owned());
            }
        }
    }
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { " " });
        }
        blank = false;
        out.push_str(&line);
    }
    (!out.is_empty()).then_some(out)
}

/// Rust source text of an expression, spaced the way people write it (`Default::default()`,
/// `vec![1, 2]`, `"x".to_owned()`).
pub(crate) fn source_text(tokens: TokenStream) -> String {
    let mut out = String::new();
    write_tokens(tokens, &mut out);
    out
}

fn write_tokens(tokens: TokenStream, out: &mut String) {
    // Whether the previous token ends a word (identifier, literal, closing group), so that a
    // following word needs a space and a following `-` is binary.
    let mut prev_word = false;
    let mut prev_joint = false;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                if prev_word {
                    out.push(' ');
                }
                out.push_str(&i.to_string());
                prev_word = true;
                prev_joint = false;
            }
            TokenTree::Literal(l) => {
                if prev_word {
                    out.push(' ');
                }
                out.push_str(&l.to_string());
                prev_word = true;
                prev_joint = false;
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                if g.delimiter() == Delimiter::Brace && prev_word {
                    out.push(' ');
                }
                out.push_str(open);
                write_tokens(g.stream(), out);
                out.push_str(close);
                prev_word = true;
                prev_joint = false;
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let spaced = matches!(c, '=' | '+' | '*' | '/' | '%' | '|' | '^')
                    || (c == '-' && prev_word)
                    || (c == '&' && prev_word && !prev_joint);
                if spaced && !prev_joint && !out.is_empty() {
                    out.push(' ');
                }
                out.push(c);
                let joint = p.spacing() == Spacing::Joint;
                if (spaced && !joint) || matches!(c, ',' | ';') {
                    out.push(' ');
                }
                prev_word = false;
                prev_joint = joint;
            }
        }
    }
}

/// `Some(inner)` when `ty` is syntactically `Option<inner>`.
pub(crate) fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    generic_arg_of(ty, "Option")
}

/// Whether `ty` is syntactically `DateTime<..>` (any path ending so).
pub(crate) fn is_datetime(ty: &syn::Type) -> bool {
    generic_arg_of(ty, "DateTime").is_some()
}

/// Whether `ty` is syntactically `EpochSeconds` (any path ending so).
pub(crate) fn is_epoch_seconds(ty: &syn::Type) -> bool {
    match strip_groups(ty) {
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "EpochSeconds" && s.arguments.is_none()),
        _ => false,
    }
}

/// Whether `ty` is syntactically `String` (any path ending so).
pub(crate) fn is_string(ty: &syn::Type) -> bool {
    match strip_groups(ty) {
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "String" && s.arguments.is_none()),
        _ => false,
    }
}

fn strip_groups(mut ty: &syn::Type) -> &syn::Type {
    loop {
        match ty {
            syn::Type::Group(g) => ty = &g.elem,
            syn::Type::Paren(p) => ty = &p.elem,
            _ => return ty,
        }
    }
}

fn generic_arg_of<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(p) = strip_groups(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// The closest candidate to a misspelt name, if it is close enough to suggest.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbouring characters as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// `a, b, c` with each name in backticks.
pub(crate) fn list(names: impl IntoIterator<Item = impl Display>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn source_text_reads_like_source() {
        assert_eq!(source_text(quote!(true)), "true");
        assert_eq!(source_text(quote!(Default::default())), "Default::default()");
        assert_eq!(source_text(quote!(vec![1, 2])), "vec![1, 2]");
        assert_eq!(source_text(quote!("x".to_owned())), "\"x\".to_owned()");
        assert_eq!(source_text(quote!(-5)), "-5");
        assert_eq!(source_text(quote!(a - 5)), "a - 5");
        assert_eq!(source_text(quote!(1 + 2 * 3)), "1 + 2 * 3");
        assert_eq!(source_text(quote!(x == y)), "x == y");
        assert_eq!(source_text(quote!(Vec::<u8>::new())), "Vec::<u8>::new()");
        assert_eq!(source_text(quote!(f(&x))), "f(&x)");
        assert_eq!(source_text(quote!(|| 3)), "|| 3");
    }

    #[test]
    fn docs_join() {
        let attrs: Vec<syn::Attribute> = vec![
            syn::parse_quote!(#[doc = " User table for"]),
            syn::parse_quote!(#[doc = " storing profiles"]),
            syn::parse_quote!(#[doc = ""]),
            syn::parse_quote!(#[doc = " Second."]),
        ];
        assert_eq!(
            doc_text(&attrs).as_deref(),
            Some("User table for storing profiles\n\nSecond.")
        );
        assert_eq!(doc_text(&[]), None);
    }

    #[test]
    fn types() {
        let t: syn::Type = syn::parse_quote!(Option<String>);
        assert!(option_inner(&t).is_some());
        let t: syn::Type = syn::parse_quote!(std::option::Option<DateTime<Utc>>);
        assert!(is_datetime(option_inner(&t).unwrap_or(&t)));
        let t: syn::Type = syn::parse_quote!(chrono::DateTime<chrono::Utc>);
        assert!(is_datetime(&t));
        let t: syn::Type = syn::parse_quote!(String);
        assert!(is_string(&t) && option_inner(&t).is_none());
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("emial", ["email", "name"]), Some("email"));
        assert_eq!(closest("creatd", ["created", "name"]), Some("created"));
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(closest("zzz", ["email", "name"]), None);
    }
}

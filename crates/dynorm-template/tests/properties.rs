//! Property tests of the grammar: any text parses or fails at a byte inside it, segments written
//! out parse back, and rendered keys read back into their values.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use dynorm_template::{Escaping, Segment, Template, TemplateError, Value, join};
use proptest::prelude::*;

/// Literal text, braces, escapes and stop characters included.
fn literal() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9#~{}\\\\:é😀 -]{1,6}"
}

fn field() -> impl Strategy<Value = (String, Option<usize>)> {
    ("[a-c]", prop::option::of(1usize..=12)).prop_map(|(n, w)| (n, w))
}

/// A template that parses: literal text between fields, never a `\` right after a field.
fn segments() -> impl Strategy<Value = Vec<Segment>> {
    (
        prop::option::of(literal()),
        prop::collection::vec((field(), literal()), 0..4),
        prop::option::of(field()),
    )
        .prop_map(|(head, middle, tail)| {
            let mut out = Vec::new();
            out.extend(head.map(Segment::Literal));
            for ((name, width), l) in middle {
                out.push(Segment::Field { name, width });
                out.push(Segment::Literal(l.trim_start_matches('\\').to_owned() + "#"));
            }
            if let Some((name, width)) = tail {
                out.push(Segment::Field { name, width });
            }
            // Merge adjacent literals, as the parser does.
            let mut merged: Vec<Segment> = Vec::new();
            for s in out {
                match (merged.last_mut(), s) {
                    (Some(Segment::Literal(a)), Segment::Literal(b)) => a.push_str(&b),
                    (_, s) => merged.push(s),
                }
            }
            merged
        })
        .prop_filter("a literal after a field must not start with `\\`", |s| {
            s.windows(2)
                .all(|p| !matches!(p, [Segment::Field { .. }, Segment::Literal(l)] if l.starts_with('\\') || l.is_empty()))
        })
}

fn text_of(segments: &[Segment]) -> String {
    segments.iter().map(ToString::to_string).collect()
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,24}|[{}a:0-9\\\\#]{0,16}") {
        match Template::parse(&text) {
            Ok(t) => {
                prop_assert_eq!(t.as_str(), text.as_str());
                // What parsed, written out, parses to the same segments.
                let again = Template::parse(&text_of(t.segments())).unwrap();
                prop_assert_eq!(again.segments(), t.segments());
            }
            Err(TemplateError::Malformed { at, reason, .. }) => {
                prop_assert!(at < text.len().max(1), "{} outside {:?}", at, text);
                prop_assert!(text.is_char_boundary(at));
                prop_assert!(!reason.is_empty());
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn segments_written_out_parse_back(segments in segments()) {
        let text = text_of(&segments);
        let t = Template::parse(&text).unwrap();
        prop_assert_eq!(t.segments(), segments.as_slice());
    }

    #[test]
    fn keys_read_back(
        segments in segments(),
        strings in prop::collection::vec("\\PC{0,8}|[#~\\\\{}]{0,4}", 3),
        numbers in prop::collection::vec(0u64..1_000_000_000_000, 3),
    ) {
        let text = text_of(&segments);
        let t = Template::parse(&text).unwrap();
        let plan = t.plan();
        let padded: BTreeMap<&str, usize> = segments
            .iter()
            .filter_map(|s| match s {
                Segment::Field { name, width: Some(w) } => Some((name.as_str(), *w)),
                _ => None,
            })
            .collect();
        let index = |name: &str| usize::from(name.as_bytes()[0] - b'a');
        // A name padded anywhere takes a number that fits every width it is padded to.
        let number = |name: &str| {
            let width = segments.iter().filter_map(|s| match s {
                Segment::Field { name: n, width: Some(w) } if n == name => Some(*w),
                _ => None,
            }).min().unwrap_or(12);
            (numbers[index(name)] % 10u64.pow(width as u32)).to_string()
        };
        let value = |name: &str| if padded.contains_key(name) {
            Value::Num(number(name).into())
        } else {
            Value::Str(strings[index(name)].clone().into())
        };
        let key = plan.render(|name| Some(value(name))).unwrap();
        let back = plan.parse_key(&key).unwrap();
        for name in plan.fields() {
            let expected = if padded.contains_key(name) { number(name) } else { strings[index(name)].clone() };
            prop_assert_eq!(&back[name], &expected, "key {:?} of {:?}", key, text);
        }
        // The prefix up to the second field is a prefix of the key.
        let first = plan.fields().first().copied();
        let prefix = plan.render_prefix(|name| (Some(name) == first).then(|| value(name))).unwrap();
        prop_assert!(key.starts_with(&prefix), "{:?} {:?}", key, prefix);
    }

    /// Keys written verbatim (single-table-orm, dynamojo) read back into exactly their values,
    /// or are refused as ambiguous: never a wrong reading, never a mismatch.
    #[test]
    fn verbatim_keys_read_back_or_are_ambiguous(
        segments in segments(),
        strings in prop::collection::vec("[a#~]{0,4}|\\PC{0,4}", 3),
    ) {
        let text = text_of(&segments);
        let t = Template::parse(&text).unwrap();
        let plan = t.plan().with_escaping(Escaping::Verbatim);
        let padded = segments.iter().any(|s| matches!(s, Segment::Field { width: Some(_), .. }));
        prop_assume!(!padded);
        let index = |name: &str| usize::from(name.as_bytes()[0] - b'a');
        let key = plan.render(|name| Some(Value::Str(strings[index(name)].clone().into()))).unwrap();
        match plan.parse_key(&key) {
            Ok(back) => {
                for name in plan.fields() {
                    prop_assert_eq!(&back[name], &strings[index(name)], "key {:?} of {:?}", key, text);
                }
            }
            Err(TemplateError::Ambiguous { one, other, .. }) => prop_assert_ne!(one, other),
            Err(e) => prop_assert!(false, "{e} (key {key:?} of {text:?})"),
        }
    }

    /// The parser accepts and refuses what the runtime parser it replaced did.
    #[test]
    fn same_language_as_before(text in "\\PC{0,16}|[{}ab:0-9\\\\#]{0,14}") {
        let new = Template::parse(&text).map(|t| t.segments().to_vec());
        match (new, reference::parse(&text)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(TemplateError::Malformed { reason, at, .. }), Err((old_at, old_reason))) => {
                prop_assert_eq!(reason, old_reason);
                // The old parser put the escape rule's error at byte 0.
                if old_at != 0 { prop_assert_eq!(at, old_at); }
            }
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }

    #[test]
    fn joined_parts_are_unambiguous(parts in prop::collection::vec("\\PC{0,6}|[#\\\\]{0,3}", 1..4)) {
        let joined = join(&parts, "#", Escaping::Backslash);
        // Escaped joining is reversible: the unescaped separators split exactly the parts.
        let mut split = vec![String::new()];
        let mut chars = joined.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => split.last_mut().unwrap().push(chars.next().unwrap()),
                '#' => split.push(String::new()),
                c => split.last_mut().unwrap().push(c),
            }
        }
        prop_assert_eq!(split, parts.clone());
        prop_assert_eq!(join(&parts, "-", Escaping::Verbatim), parts.join("-"));
    }
}

#[test]
fn errors_of_rendering() {
    let t = Template::parse("A#{a}#B#{b:04}").unwrap();
    let p = t.plan();
    assert_eq!(
        p.render(|_| None).unwrap_err().to_string(),
        "key template `A#{a}#B#{b:04}` needs field(s) `a`, `b`"
    );
    let with_b =
        |b: Value<'static>| p.render(move |n| Some(if n == "a" { Value::str("x") } else { b.clone() }));
    assert!(matches!(
        with_b(Value::num("-1")),
        Err(TemplateError::Negative { width: 4, .. })
    ));
    assert!(matches!(
        with_b(Value::num("12345")),
        Err(TemplateError::TooWide { .. })
    ));
    assert!(matches!(
        with_b(Value::num("1.5")),
        Err(TemplateError::NotInteger { .. })
    ));
    assert_eq!(
        with_b(Value::str("7")).unwrap_err().to_string(),
        "field `b` is padded to 4 digits and must be a whole number, found the string \"7\""
    );
    assert!(matches!(
        with_b(Value::Other("BOOL")),
        Err(TemplateError::NotScalar { found: "BOOL", .. })
    ));
    assert_eq!(with_b(Value::num("+7")).unwrap(), "A#x#B#0007");
    assert_eq!(p.parse_key("A#x#B#0000").unwrap()["b"], "0");
    assert!(p.parse_key("A#x#B#7").is_err());
    assert!(p.parse_key("A#x\\").is_err());
    assert!(p.parse_key("A#x\\y#B#0001").is_err());
    assert!(p.parse_key("A#x#B#0001z").is_err());
    assert!(
        Template::parse("{a}#{a}")
            .unwrap()
            .plan()
            .parse_key("1#2")
            .is_err()
    );
}

/// The runtime parser before this crate (dynorm's `entity/template.rs`), kept as an oracle.
mod reference {
    use dynorm_template::Segment;

    pub(crate) fn parse(text: &str) -> Result<Vec<Segment>, (usize, String)> {
        let malformed = |at: usize, reason: &str| (at, reason.to_owned());
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(malformed(at, "a lone `}` (write `}}` for a literal brace)")),
                '{' => {
                    let mut inner = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        inner.push(c);
                    }
                    if !closed {
                        return Err(malformed(at, "a `{` without its `}`"));
                    }
                    let (name, width) = match inner.split_once(':') {
                        Some((name, spec)) => {
                            let digits = spec.strip_prefix('0').unwrap_or(spec);
                            match digits.parse::<usize>() {
                                Ok(w) if w > 0 && w <= 38 && spec.chars().all(|c| c.is_ascii_digit()) => {
                                    (name, Some(w))
                                }
                                _ => {
                                    return Err(malformed(
                                        at,
                                        "a pad width must be a number from 1 to 38, as in `{id:08}`",
                                    ));
                                }
                            }
                        }
                        None => (inner.as_str(), None),
                    };
                    if name.is_empty()
                        || !name.chars().all(|c| c == '_' || c.is_alphanumeric())
                        || name.starts_with(|c: char| c.is_ascii_digit())
                    {
                        return Err(malformed(
                            at,
                            "a placeholder must name a field, as in `{tenant_name}`",
                        ));
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    } else if matches!(segments.last(), Some(Segment::Field { .. })) {
                        return Err(malformed(
                            at,
                            "two placeholders side by side cannot be read back; put literal text between them",
                        ));
                    }
                    segments.push(Segment::Field {
                        name: name.to_owned(),
                        width,
                    });
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        for pair in segments.windows(2) {
            if let [Segment::Field { .. }, Segment::Literal(l)] = pair
                && l.starts_with('\\')
            {
                return Err(malformed(
                    0,
                    "a literal after a placeholder must not start with `\\`",
                ));
            }
        }
        Ok(segments)
    }
}

#[test]
fn verbatim_keys() {
    let t = Template::parse("A#{a}#B").unwrap();
    let p = t.plan().with_escaping(Escaping::Verbatim);
    assert_eq!(p.escaping(), Escaping::Verbatim);
    assert_eq!(t.plan().escaping(), dynorm_template::KEY_ESCAPING);
    let key = p.render(|_| Some(Value::str(r"x\y"))).unwrap();
    assert_eq!(key, r"A#x\y#B");
    assert_eq!(p.parse_key(&key).unwrap()["a"], r"x\y");
    // A value holding the stop character still reads back when only one split fits.
    let key = p.render(|_| Some(Value::str("x#y"))).unwrap();
    assert_eq!(key, "A#x#y#B");
    assert_eq!(p.parse_key(&key).unwrap()["a"], "x#y");
}

/// single-table-orm leaves an empty value out with one separator beside it.
#[test]
fn empty_values_dropped_as_single_table_orm_does() {
    let render = |template: &str, value: &str| {
        let t = Template::parse(template).unwrap();
        t.plan()
            .with_escaping(Escaping::Verbatim)
            .dropping_empty_values(Some('#'))
            .render(|_| Some(Value::str(value)))
            .unwrap()
    };
    assert_eq!(render("T#{t}#TenantIntegration", ""), "T#TenantIntegration");
    assert_eq!(render("I#{i}", ""), "I");
    assert_eq!(render("{i}#X", ""), "X");
    assert_eq!(
        render("T#{t}#TenantIntegration", "a#b"),
        "T#a#b#TenantIntegration"
    );
    assert_eq!(render("T#{t}#U#{t}#M", ""), "T#U#M");
    // Without the rule the empty value stays.
    let t = Template::parse("I#{i}").unwrap();
    assert_eq!(t.plan().render(|_| Some(Value::str(""))).unwrap(), "I#");
}

#[test]
fn verbatim_ambiguity_is_reported() {
    let t = Template::parse("T#{a}#{b}").unwrap();
    let p = t.plan().with_escaping(Escaping::Verbatim);
    let err = p.parse_key("T#x#y#z").unwrap_err();
    assert_eq!(
        err.to_string(),
        "key `T#x#y#z` reads two ways with template `T#{a}#{b}` (written without escaping): field `a` could be `x` or `x#y`; the fields cannot be recovered from this key"
    );
    assert_eq!(p.parse_key("T#x#y").unwrap()["b"], "y");
    assert!(matches!(p.parse_key("U#x"), Err(TemplateError::Mismatch { .. })));
    // A trailing literal pins the split.
    let t = Template::parse("{a}~{b}").unwrap();
    assert!(
        t.plan()
            .with_escaping(Escaping::Verbatim)
            .parse_key("p~q~x")
            .is_err()
    );
    let t = Template::parse("{a}").unwrap();
    assert_eq!(
        t.plan()
            .with_escaping(Escaping::Verbatim)
            .parse_key("p~q")
            .unwrap()["a"],
        "p~q"
    );
}

#[test]
fn hostile_verbatim_keys_are_bounded() {
    let t = Template::parse("{a}#{b}#{c}#{d}#{e}#{f}#X").unwrap();
    let p = t.plan().with_escaping(Escaping::Verbatim);
    let key = format!("{}Y", "#".repeat(2000));
    assert!(matches!(p.parse_key(&key), Err(TemplateError::Mismatch { .. })));
}

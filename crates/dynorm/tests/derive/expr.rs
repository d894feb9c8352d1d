//! Rendered expressions: exact text, names and values (snapshot-style, written inline), precedence,
//! reserved words, placeholders without limit, and the errors DynamoDB would otherwise report late.

use std::collections::{BTreeMap, BTreeSet};

use dynorm::definition::{AttributeDefinition, AttributeType, TableDefinition};
use dynorm::expr::{
    Comparator, Comparison, Condition, ExpressionAttributes, Filter, KeyCondition, Operand, Path,
    ProjectionExpression, Render, Segment, SetValue, StoredType, Update, Value, attr,
};
use dynorm::{Attribute, AttributeValue as Av, DecodeError, EncodeError, Error};

/// A number with the test's own [`Attribute`] impl, so these tests go through `Attribute::encode`
/// like every typed value; like dynorm's floats, it refuses NaN and infinities.
#[derive(Debug, Clone, Copy)]
struct Num(f64);

impl Attribute for Num {
    const TYPE: AttributeType = AttributeType::Number;

    fn encode(&self) -> Result<Option<Av>, EncodeError> {
        if self.0.is_finite() {
            Ok(Some(Av::N(self.0.to_string())))
        } else {
            Err(EncodeError::new(format!(
                "{} is not a number DynamoDB can store",
                self.0
            )))
        }
    }

    fn decode(value: Av) -> Result<Self, DecodeError> {
        match value {
            Av::N(n) => n
                .parse()
                .map(Num)
                .map_err(|_| DecodeError::invalid("a number", &n)),
            other => Err(DecodeError::wrong_type("N", &other)),
        }
    }
}

fn n(x: impl Into<f64>) -> Num {
    Num(x.into())
}

fn s(text: &str) -> Av {
    Av::S(text.to_owned())
}

fn num(text: &str) -> Av {
    Av::N(text.to_owned())
}

/// Text, names and values, each map sorted for comparison.
type Rendered = (String, BTreeMap<String, String>, BTreeMap<String, Av>);

fn render(expression: &impl Render) -> Rendered {
    let mut attributes = ExpressionAttributes::new();
    let text = expression.render(&mut attributes).expect("renders");
    parts(text, attributes)
}

fn parts(text: String, attributes: ExpressionAttributes) -> Rendered {
    let names = attributes
        .names()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let values = attributes
        .values()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (text, names, values)
}

fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn values(pairs: &[(&str, Av)]) -> BTreeMap<String, Av> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn text(expression: &impl Render) -> String {
    render(expression).0
}

fn error(expression: &impl Render) -> Error {
    expression
        .render(&mut ExpressionAttributes::new())
        .expect_err("refused")
}

fn invalid_message(error: Error) -> String {
    match error {
        Error::InvalidExpression { message, .. } => message,
        other => panic!("expected InvalidExpression, got {other:?}"),
    }
}

// ---------------------------------------------------------------- comparisons and functions

#[test]
fn comparisons_render_with_placeholders() {
    let cases: Vec<(Condition, &str)> = vec![
        (attr("age").eq(n(21)), "#n0 = :v0"),
        (attr("age").ne(n(21)), "#n0 <> :v0"),
        (attr("age").lt(n(21)), "#n0 < :v0"),
        (attr("age").le(n(21)), "#n0 <= :v0"),
        (attr("age").gt(n(21)), "#n0 > :v0"),
        (attr("age").ge(n(21)), "#n0 >= :v0"),
    ];
    for (condition, expected) in cases {
        assert_eq!(
            render(&condition),
            (
                expected.to_owned(),
                names(&[("#n0", "age")]),
                values(&[(":v0", num("21"))])
            )
        );
    }
}

#[test]
fn path_comparisons_use_no_values() {
    assert_eq!(
        render(&attr("a").eq_path("b")),
        (
            "#n0 = #n1".into(),
            names(&[("#n0", "a"), ("#n1", "b")]),
            values(&[])
        )
    );
    assert_eq!(text(&attr("a").ne_path("b")), "#n0 <> #n1");
    assert_eq!(text(&attr("a").lt_path("b")), "#n0 < #n1");
    assert_eq!(text(&attr("a").le_path("b")), "#n0 <= #n1");
    assert_eq!(text(&attr("a").gt_path("b")), "#n0 > #n1");
    assert_eq!(text(&attr("a").ge_path("b")), "#n0 >= #n1");
    assert_eq!(text(&attr("a").contains_path("b")), "contains(#n0, #n1)");
}

#[test]
fn functions_render_exactly() {
    assert_eq!(
        render(&attr("email").contains("@example.com")),
        (
            "contains(#n0, :v0)".into(),
            names(&[("#n0", "email")]),
            values(&[(":v0", s("@example.com"))])
        )
    );
    assert_eq!(
        render(&attr("sk").begins_with("order#")),
        (
            "begins_with(#n0, :v0)".into(),
            names(&[("#n0", "sk")]),
            values(&[(":v0", s("order#"))])
        )
    );
    assert_eq!(
        render(&attr("deleted_at").not_exists()),
        (
            "attribute_not_exists(#n0)".into(),
            names(&[("#n0", "deleted_at")]),
            values(&[])
        )
    );
    assert_eq!(text(&attr("id").exists()), "attribute_exists(#n0)");
    assert_eq!(
        render(&attr("tags").size().gt(3)),
        (
            "size(#n0) > :v0".into(),
            names(&[("#n0", "tags")]),
            values(&[(":v0", num("3"))])
        )
    );
    assert_eq!(
        render(&attr("tags").size().between(1, 10)),
        (
            "size(#n0) BETWEEN :v0 AND :v1".into(),
            names(&[("#n0", "tags")]),
            values(&[(":v0", num("1")), (":v1", num("10"))])
        )
    );
    assert_eq!(
        render(&attr("age").between(n(18), n(65))),
        (
            "#n0 BETWEEN :v0 AND :v1".into(),
            names(&[("#n0", "age")]),
            values(&[(":v0", num("18")), (":v1", num("65"))])
        )
    );
    assert_eq!(
        render(&attr("kind").is_in(["a", "b", "c"])),
        (
            "#n0 IN (:v0, :v1, :v2)".into(),
            names(&[("#n0", "kind")]),
            values(&[(":v0", s("a")), (":v1", s("b")), (":v2", s("c"))])
        )
    );
    assert_eq!(
        render(&Condition::compare(
            Operand::size("a"),
            Comparator::Ge,
            Operand::path("b")
        )),
        (
            "size(#n0) >= #n1".into(),
            names(&[("#n0", "a"), ("#n1", "b")]),
            values(&[])
        )
    );
}

#[test]
fn attribute_type_takes_every_stored_type_as_a_value() {
    let all = [
        (StoredType::S, "S"),
        (StoredType::N, "N"),
        (StoredType::B, "B"),
        (StoredType::Bool, "BOOL"),
        (StoredType::Null, "NULL"),
        (StoredType::Ss, "SS"),
        (StoredType::Ns, "NS"),
        (StoredType::Bs, "BS"),
        (StoredType::L, "L"),
        (StoredType::M, "M"),
    ];
    for (stored, name) in all {
        assert_eq!(stored.as_str(), name);
        assert_eq!(
            render(&attr("data").is_type(stored)),
            (
                "attribute_type(#n0, :v0)".into(),
                names(&[("#n0", "data")]),
                values(&[(":v0", s(name))])
            )
        );
    }
}

#[test]
fn typed_values_go_through_attribute_encode() {
    let set: BTreeSet<String> = ["x".to_owned(), "y".to_owned()].into();
    assert_eq!(
        render(&(attr("flag").eq(true) & attr("tags").eq(set) & attr("nick").eq(None::<String>))),
        (
            "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2".into(),
            names(&[("#n0", "flag"), ("#n1", "tags"), ("#n2", "nick")]),
            values(&[
                (":v0", Av::Bool(true)),
                (":v1", Av::Ss(vec!["x".into(), "y".into()])),
                (":v2", Av::Null(true)),
            ])
        )
    );
    assert_eq!(render(&attr("x").eq(())).2, values(&[(":v0", Av::Null(true))]));
    assert_eq!(
        render(&attr("x").eq(String::from("s"))).2,
        values(&[(":v0", s("s"))])
    );
    let owned = String::from("s");
    assert_eq!(render(&attr("x").eq(&owned)).2, values(&[(":v0", s("s"))]));
    assert_eq!(owned, "s");
    assert_eq!(
        render(&attr("x").eq(Value::from(num("1.5")))).2,
        values(&[(":v0", num("1.5"))])
    );
}

// ---------------------------------------------------------------- precedence

#[test]
fn and_binds_tighter_than_or() {
    let (a, b, c) = (attr("a").exists(), attr("b").exists(), attr("c").exists());
    // a OR (b AND c): no parentheses needed.
    assert_eq!(
        text(&(a.clone() | b.clone() & c.clone())),
        "attribute_exists(#n0) OR attribute_exists(#n1) AND attribute_exists(#n2)"
    );
    // (a OR b) AND c: the OR must be parenthesised.
    assert_eq!(
        text(&((a.clone() | b.clone()) & c.clone())),
        "(attribute_exists(#n0) OR attribute_exists(#n1)) AND attribute_exists(#n2)"
    );
    // The method forms mean the same.
    assert_eq!(
        text(&a.clone().or(b.clone()).and(c.clone())),
        text(&((a.clone() | b.clone()) & c.clone()))
    );
    // a AND (b OR (c AND d)).
    let d = attr("d").exists();
    assert_eq!(
        text(&(a.clone() & (b.clone() | c.clone() & d.clone()))),
        "attribute_exists(#n0) AND (attribute_exists(#n1) OR attribute_exists(#n2) AND attribute_exists(#n3))"
    );
    // Nested ORs inside an AND.
    assert_eq!(
        text(&((a.clone() | b.clone()) & (c.clone() | d.clone()))),
        "(attribute_exists(#n0) OR attribute_exists(#n1)) AND (attribute_exists(#n2) OR attribute_exists(#n3))"
    );
    // Same-operator chains flatten, whichever way they were grouped.
    assert_eq!(
        text(&(a.clone() | (b.clone() | c.clone()))),
        "attribute_exists(#n0) OR attribute_exists(#n1) OR attribute_exists(#n2)"
    );
    assert_eq!(
        text(&(a & (b & c))),
        "attribute_exists(#n0) AND attribute_exists(#n1) AND attribute_exists(#n2)"
    );
}

#[test]
fn not_binds_tightest_and_parenthesises_groups() {
    let (a, b) = (attr("a").eq("x"), attr("b").eq("y"));
    assert_eq!(
        render(&!(a.clone() & b.clone())),
        (
            "NOT (#n0 = :v0 AND #n1 = :v1)".into(),
            names(&[("#n0", "a"), ("#n1", "b")]),
            values(&[(":v0", s("x")), (":v1", s("y"))])
        )
    );
    assert_eq!(text(&(!a.clone() & b.clone())), "NOT (#n0 = :v0) AND #n1 = :v1");
    assert_eq!(text(&!(a.clone() | b.clone())), "NOT (#n0 = :v0 OR #n1 = :v1)");
    assert_eq!(
        text(&(!attr("a").exists() | b)),
        "NOT attribute_exists(#n0) OR #n1 = :v0"
    );
    assert_eq!(text(&!!attr("a").exists()), "NOT (NOT attribute_exists(#n0))");
    assert_eq!(text(&a.not()), "NOT (#n0 = :v0)");
}

#[test]
fn between_inside_a_group_is_parenthesised() {
    let condition = attr("age").between(n(1), n(2)) & attr("b").eq("x") | attr("c").between(n(3), n(4));
    assert_eq!(
        text(&condition),
        "(#n0 BETWEEN :v0 AND :v1) AND #n1 = :v2 OR (#n2 BETWEEN :v3 AND :v4)"
    );
}

#[test]
fn all_and_any_collect_conditions() {
    assert_eq!(
        text(&Condition::all([attr("a").exists()])),
        "attribute_exists(#n0)"
    );
    assert_eq!(
        text(&Condition::any([attr("a").exists(), attr("b").exists()])),
        "attribute_exists(#n0) OR attribute_exists(#n1)"
    );
    let message = invalid_message(error(&Condition::all([])));
    assert_eq!(message, "an AND of no conditions");
    let message = invalid_message(error(&Condition::any([])));
    assert_eq!(message, "an OR of no conditions");
}

#[test]
fn pathological_nesting_is_an_error_not_a_stack_overflow() {
    let mut condition = attr("a").exists();
    for i in 0..300 {
        condition = if i % 2 == 0 {
            !condition
        } else {
            condition | attr("b").exists() & attr("c").exists()
        };
    }
    let message = invalid_message(error(&condition));
    assert_eq!(
        message,
        "a condition nests AND / OR / NOT more than 256 levels deep"
    );
    let mut shallow = attr("a").exists();
    for _ in 0..100 {
        shallow = !shallow;
    }
    assert!(text(&shallow).starts_with("NOT (NOT (NOT ("));
}

// ---------------------------------------------------------------- names and paths

#[test]
fn reserved_words_always_go_through_name_placeholders() {
    let condition = attr("name").eq("Ada")
        & attr("status").ne("deleted")
        & attr("size").size().gt(0)
        & attr("order").key("by").exists();
    assert_eq!(
        render(&condition),
        (
            "#n0 = :v0 AND #n1 <> :v1 AND size(#n2) > :v2 AND attribute_exists(#n3.#n4)".into(),
            names(&[
                ("#n0", "name"),
                ("#n1", "status"),
                ("#n2", "size"),
                ("#n3", "order"),
                ("#n4", "by")
            ]),
            values(&[(":v0", s("Ada")), (":v1", s("deleted")), (":v2", num("0"))])
        )
    );
}

#[test]
fn each_distinct_name_has_one_placeholder() {
    let condition = attr("a").gt(n(1)) & attr("a").lt(n(5)) & attr("b").key("a").exists();
    assert_eq!(
        render(&condition),
        (
            "#n0 > :v0 AND #n0 < :v1 AND attribute_exists(#n1.#n0)".into(),
            names(&[("#n0", "a"), ("#n1", "b")]),
            values(&[(":v0", num("1")), (":v1", num("5"))])
        )
    );
}

#[test]
fn a_name_with_dots_is_one_attribute() {
    assert_eq!(
        render(&attr("a.b").exists()),
        (
            "attribute_exists(#n0)".into(),
            names(&[("#n0", "a.b")]),
            values(&[])
        )
    );
    assert_eq!(Path::from("a.b"), Path::new("a.b"));
    assert_eq!(
        Path::from(String::from("a.b")).segments(),
        [Segment::Name("a.b".into())]
    );
}

#[test]
fn document_paths_with_indexes() {
    let path = Path::parse("a.b[2]").expect("parses");
    assert_eq!(
        render(&path),
        (
            "#n0.#n1[2]".into(),
            names(&[("#n0", "a"), ("#n1", "b")]),
            values(&[])
        )
    );
    assert_eq!(path, Path::new("a").key("b").index(2));
    assert_eq!(path.to_string(), "a.b[2]");

    let deep = Path::parse("orders[0][1].items.name").expect("parses");
    assert_eq!(
        deep.segments(),
        [
            Segment::Name("orders".into()),
            Segment::Index(0),
            Segment::Index(1),
            Segment::Name("items".into()),
            Segment::Name("name".into()),
        ]
    );
    assert_eq!(
        render(&attr(deep).eq("x")),
        (
            "#n0[0][1].#n1.#n2 = :v0".into(),
            names(&[("#n0", "orders"), ("#n1", "items"), ("#n2", "name")]),
            values(&[(":v0", s("x"))])
        )
    );
    assert_eq!(text(&attr("list").index(3).exists()), "attribute_exists(#n0[3])");
    assert_eq!("x.y".parse::<Path>().expect("parses"), Path::new("x").key("y"));
}

#[test]
fn bad_document_paths_are_refused() {
    let cases = [
        ("", "it is empty"),
        (".a", "it must start with an attribute name"),
        ("[0]", "it must start with an attribute name"),
        ("a.", "it ends with `.`"),
        ("a..b", "an attribute name is empty"),
        ("a.[0]", "an attribute name is empty"),
        ("a[", "a `[` is not closed"),
        ("a[x]", "list index `x` is not a number"),
        ("a[]", "list index `` is not a number"),
        ("a[-1]", "list index `-1` is not a number"),
        (
            "a[99999999999999999999999]",
            "list index `99999999999999999999999` is too large",
        ),
        ("a]", "expected `.` or `[` after a name or index"),
        ("a[1]b", "expected `.` or `[` after a name or index"),
    ];
    for (input, reason) in cases {
        let message = invalid_message(Path::parse(input).expect_err(input));
        assert_eq!(message, format!("cannot read document path `{input}`: {reason}"));
    }
}

#[test]
fn an_empty_attribute_name_is_refused_at_rendering() {
    let message = invalid_message(error(&attr("").exists()));
    assert_eq!(message, "an attribute name in path `` is empty");
}

// ---------------------------------------------------------------- IN limits and encoding errors

#[test]
fn in_takes_one_to_a_hundred_values() {
    let message = invalid_message(error(&attr("a").is_in(Vec::<&str>::new())));
    assert_eq!(message, "IN takes 1 to 100 values, not 0");
    let message = invalid_message(error(&attr("a").is_in((0..101).map(n))));
    assert_eq!(message, "IN takes 1 to 100 values, not 101");

    let (text, _, values) = render(&attr("a").is_in((0..100).map(n)));
    assert_eq!(values.len(), 100);
    assert!(text.starts_with("#n0 IN (:v0, :v1, "));
    assert!(text.ends_with(", :v98, :v99)"));
}

#[test]
fn an_encoding_error_is_reported_at_rendering() {
    // Building never fails ...
    let condition = attr("score").gt(n(f64::NAN)) & attr("ok").eq(true);
    // ... rendering reports the encoding error.
    match error(&condition) {
        Error::Encode(e) => assert_eq!(e.reason, "NaN is not a number DynamoDB can store"),
        other => panic!("expected an encoding error, got {other:?}"),
    }
    assert!(matches!(
        error(&Update::new().set("x", n(f64::INFINITY))),
        Error::Encode(_)
    ));
    assert!(matches!(
        error(&Update::new().add("x", n(f64::NAN))),
        Error::Encode(_)
    ));
    match error(&KeyCondition::partition("pk", n(f64::NAN))) {
        Error::Encode(e) => assert_eq!(e.attribute.as_deref(), Some("pk")),
        other => panic!("expected an encoding error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- updates

#[test]
fn update_combines_all_clauses() {
    let tags: BTreeSet<String> = ["a".to_owned()].into();
    let update = Update::new()
        .set("a", "x")
        .remove("c")
        .add("d", n(2))
        .set("b", n(1))
        .delete("e", tags.clone());
    assert_eq!(
        render(&update),
        (
            "SET #n0 = :v0, #n1 = :v1 REMOVE #n2 ADD #n3 :v2 DELETE #n4 :v3".into(),
            names(&[
                ("#n0", "a"),
                ("#n1", "b"),
                ("#n2", "c"),
                ("#n3", "d"),
                ("#n4", "e")
            ]),
            values(&[
                (":v0", s("x")),
                (":v1", num("1")),
                (":v2", num("2")),
                (":v3", Av::Ss(vec!["a".into()]))
            ])
        )
    );
    assert_eq!(update.len(), 5);
    assert!(!update.is_empty());
}

#[test]
fn update_set_forms() {
    let cases: Vec<(Update, &str)> = vec![
        (Update::new().increment("count", n(1)), "SET #n0 = #n0 + :v0"),
        (Update::new().decrement("stock", n(2)), "SET #n0 = #n0 - :v0"),
        (Update::new().set_path("copy", "original"), "SET #n0 = #n1"),
        (
            Update::new().set_if_not_exists("created", "now"),
            "SET #n0 = if_not_exists(#n0, :v0)",
        ),
        (
            Update::new().append("log", vec!["e".to_owned()]),
            "SET #n0 = list_append(#n0, :v0)",
        ),
        (
            Update::new().prepend("log", vec!["e".to_owned()]),
            "SET #n0 = list_append(:v0, #n0)",
        ),
        (
            Update::new().set_to("total", SetValue::path("a").plus(SetValue::path("b"))),
            "SET #n0 = #n1 + #n2",
        ),
        (
            Update::new().set_to(
                "n",
                SetValue::if_not_exists("n", n(0)).plus(SetValue::value(n(1))),
            ),
            "SET #n0 = if_not_exists(#n0, :v0) + :v1",
        ),
        (
            Update::new().set_to(
                "log",
                SetValue::list_append(
                    SetValue::if_not_exists("log", Vec::<String>::new()),
                    SetValue::value(vec!["e".to_owned()]),
                ),
            ),
            "SET #n0 = list_append(if_not_exists(#n0, :v0), :v1)",
        ),
        (
            Update::new().set(Path::parse("a.b[1]").expect("parses"), "x"),
            "SET #n0.#n1[1] = :v0",
        ),
        (Update::new().remove(Path::new("list").index(0)), "REMOVE #n0[0]"),
    ];
    for (update, expected) in cases {
        assert_eq!(text(&update), expected);
    }
    assert_eq!(
        render(&Update::new().increment("count", n(1))).1,
        names(&[("#n0", "count")])
    );
}

#[test]
fn setting_nothing_removes_and_adding_nothing_does_nothing() {
    assert_eq!(
        render(&Update::new().set("a", "x").set("nick", None::<String>)),
        (
            "SET #n0 = :v0 REMOVE #n1".into(),
            names(&[("#n0", "a"), ("#n1", "nick")]),
            values(&[(":v0", s("x"))])
        )
    );
    let empty: BTreeSet<String> = BTreeSet::new();
    assert_eq!(
        text(
            &Update::new()
                .set("a", "x")
                .add("tags", empty.clone())
                .delete("other", empty.clone())
        ),
        "SET #n0 = :v0"
    );
    let message = invalid_message(error(&Update::new().add("tags", empty)));
    assert_eq!(message, "an update has no actions");
    assert_eq!(invalid_message(error(&Update::new())), "an update has no actions");
}

#[test]
fn overlapping_update_paths_are_refused() {
    let overlapping = [
        (Update::new().set("a", "x").remove("a"), "a", "a"),
        (
            Update::new().set("a", "x").set(Path::new("a").key("b"), "y"),
            "a",
            "a.b",
        ),
        (
            Update::new()
                .remove(Path::parse("a.b.c").expect("parses"))
                .set(Path::new("a").key("b"), "y"),
            "a.b.c",
            "a.b",
        ),
        (
            Update::new()
                .set(Path::new("a").index(0), "x")
                .set(Path::new("a").key("b"), "y"),
            "a[0]",
            "a.b",
        ),
        (Update::new().add("n", n(1)).increment("n", n(1)), "n", "n"),
    ];
    for (update, first, second) in overlapping {
        let message = invalid_message(error(&update));
        assert_eq!(
            message,
            format!(
                "two actions of one update touch overlapping paths `{first}` and `{second}` \
                 (DynamoDB refuses them: \"Two document paths overlap\")"
            )
        );
    }
    // Siblings do not overlap.
    assert_eq!(
        text(
            &Update::new()
                .set(Path::new("a").key("b"), "x")
                .set(Path::new("a").key("c"), "y")
        ),
        "SET #n0.#n1 = :v0, #n0.#n2 = :v1"
    );
    assert_eq!(
        text(
            &Update::new()
                .set(Path::new("a").index(0), "x")
                .remove(Path::new("a").index(1))
        ),
        "SET #n0[0] = :v0 REMOVE #n0[1]"
    );
    // A name with a dot is not the path it looks like.
    assert_eq!(
        text(&Update::new().set("a.b", "x").set(Path::new("a").key("c"), "y")),
        "SET #n0 = :v0, #n1.#n2 = :v1"
    );
}

#[test]
fn update_checks_value_types_and_arithmetic() {
    assert_eq!(
        invalid_message(error(&Update::new().add("n", "text"))),
        "ADD `n` takes a number or a set, not S"
    );
    assert_eq!(
        invalid_message(error(&Update::new().delete("tags", n(1)))),
        "DELETE `tags` takes a set, not N"
    );
    let twice = SetValue::path("a")
        .plus(SetValue::value(n(1)))
        .plus(SetValue::value(n(2)));
    assert_eq!(
        invalid_message(error(&Update::new().set_to("a", twice))),
        "a SET action allows one `+` or `-`"
    );
    let appended = SetValue::list_append(
        SetValue::path("a").minus(SetValue::value(n(1))),
        SetValue::path("b"),
    );
    assert_eq!(
        invalid_message(error(&Update::new().set_to("a", appended))),
        "list_append takes two operands, not an arithmetic result"
    );
}

#[test]
fn updates_merge() {
    let update = Update::new()
        .set("a", "x")
        .merge(Update::new().increment("version", n(1)));
    assert_eq!(text(&update), "SET #n0 = :v0, #n1 = #n1 + :v1");
}

// ---------------------------------------------------------------- key conditions

#[test]
fn key_conditions_render_every_sort_form() {
    let cases: Vec<(KeyCondition, &str)> = vec![
        (KeyCondition::partition("pk", "u#1"), "#n0 = :v0"),
        (
            KeyCondition::partition("pk", "u#1").sort_eq("sk", "a"),
            "#n0 = :v0 AND #n1 = :v1",
        ),
        (
            KeyCondition::partition("pk", "u#1").sort_lt("sk", "a"),
            "#n0 = :v0 AND #n1 < :v1",
        ),
        (
            KeyCondition::partition("pk", "u#1").sort_le("sk", "a"),
            "#n0 = :v0 AND #n1 <= :v1",
        ),
        (
            KeyCondition::partition("pk", "u#1").sort_gt("sk", "a"),
            "#n0 = :v0 AND #n1 > :v1",
        ),
        (
            KeyCondition::partition("pk", "u#1").sort_ge("sk", "a"),
            "#n0 = :v0 AND #n1 >= :v1",
        ),
        (
            KeyCondition::partition("pk", "u#1").sort_begins_with("sk", "a"),
            "#n0 = :v0 AND begins_with(#n1, :v1)",
        ),
        (
            KeyCondition::partition("pk", "u#1").sort_between("sk", "a", "b"),
            "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2",
        ),
        // A later sort condition replaces the earlier one.
        (
            KeyCondition::partition("pk", "u#1")
                .sort_lt("sk", "a")
                .sort_gt("sk", "b"),
            "#n0 = :v0 AND #n1 > :v1",
        ),
    ];
    for (key, expected) in cases {
        assert_eq!(text(&key), expected);
    }
    let key = KeyCondition::partition("status", "open").sort_between("size", n(1), n(9));
    assert_eq!(key.partition_key(), "status");
    assert_eq!(key.sort_key(), Some("size"));
    assert_eq!(
        render(&key),
        (
            "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2".into(),
            names(&[("#n0", "status"), ("#n1", "size")]),
            values(&[(":v0", s("open")), (":v1", num("1")), (":v2", num("9"))])
        )
    );
}

#[test]
fn key_values_must_be_scalar() {
    assert_eq!(
        invalid_message(error(&KeyCondition::partition("pk", true))),
        "key attribute `pk` is compared with BOOL, but takes a string, number or binary"
    );
    assert_eq!(
        invalid_message(error(
            &KeyCondition::partition("pk", "a").sort_begins_with("sk", n(1))
        )),
        "key attribute `sk` is compared with N, but takes a string or binary prefix"
    );
}

// ---------------------------------------------------------------- one request, shared placeholders

#[test]
fn expressions_of_one_request_share_placeholders() {
    let mut attributes = ExpressionAttributes::new();
    let key = KeyCondition::partition("pk", "user#1").sort_begins_with("sk", "order#");
    let filter = attr("status").ne("cancelled") & attr("total").gt(n(100));
    let projection =
        ProjectionExpression::new(["sk", "status"]).with(Path::parse("lines[0].sku").expect("parses"));
    assert_eq!(
        key.render(&mut attributes).expect("renders"),
        "#n0 = :v0 AND begins_with(#n1, :v1)"
    );
    assert_eq!(
        filter.render(&mut attributes).expect("renders"),
        "#n2 <> :v2 AND #n3 > :v3"
    );
    assert_eq!(
        projection.render(&mut attributes).expect("renders"),
        "#n1, #n2, #n4[0].#n5"
    );
    assert_eq!(projection.paths().len(), 3);
    let (names_map, values_map) = attributes.into_parts();
    assert_eq!(
        names_map.expect("names").into_iter().collect::<BTreeMap<_, _>>(),
        names(&[
            ("#n0", "pk"),
            ("#n1", "sk"),
            ("#n2", "status"),
            ("#n3", "total"),
            ("#n4", "lines"),
            ("#n5", "sku")
        ])
    );
    assert_eq!(
        values_map
            .expect("values")
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        values(&[
            (":v0", s("user#1")),
            (":v1", s("order#")),
            (":v2", s("cancelled")),
            (":v3", num("100"))
        ])
    );

    // Condition and update of one write.
    let mut attributes = ExpressionAttributes::new();
    let condition = attr("version").eq(n(3));
    let update = Update::new().set("name", "x").increment("version", n(1));
    assert_eq!(condition.render(&mut attributes).expect("renders"), "#n0 = :v0");
    assert_eq!(
        update.render(&mut attributes).expect("renders"),
        "SET #n1 = :v1, #n0 = #n0 + :v2"
    );
}

#[test]
fn empty_maps_are_left_out() {
    assert_eq!(ExpressionAttributes::new().into_parts(), (None, None));
    let mut attributes = ExpressionAttributes::new();
    assert_eq!(
        attr("a").exists().render(&mut attributes).expect("renders"),
        "attribute_exists(#n0)"
    );
    let (names_map, values_map) = attributes.into_parts();
    assert_eq!(names_map.map(|m| m.len()), Some(1));
    assert_eq!(values_map, None);
}

#[test]
fn projection_of_nothing_is_refused() {
    let message = invalid_message(error(&ProjectionExpression::new(Vec::<Path>::new())));
    assert_eq!(message, "a projection names no attributes");
    assert_eq!(
        render(&ProjectionExpression::new(["name", "size", "status"])),
        (
            "#n0, #n1, #n2".into(),
            names(&[("#n0", "name"), ("#n1", "size"), ("#n2", "status")]),
            values(&[])
        )
    );
}

#[test]
fn placeholders_are_unlimited() {
    let condition = Condition::all((0..5_000).map(|i| attr(format!("a{i}")).eq(n(i))));
    let (text, names_map, values_map) = render(&condition);
    assert_eq!(names_map.len(), 5_000);
    assert_eq!(values_map.len(), 5_000);
    assert!(text.ends_with("#n4999 = :v4999"));
    assert_eq!(values_map[":v4999"], num("4999"));
}

// ---------------------------------------------------------------- filters from triples

fn users() -> TableDefinition {
    let mut def = TableDefinition::new("users", "id", AttributeType::String);
    for (name, ty) in [
        ("email", AttributeType::String),
        ("age", AttributeType::Number),
        ("status", AttributeType::String),
        ("active", AttributeType::Boolean),
        ("tags", AttributeType::StringSet),
        ("scores", AttributeType::NumberList),
        ("prefs", AttributeType::Json),
        ("avatar", AttributeType::Binary),
    ] {
        def.attributes.push(AttributeDefinition::new(name, ty));
    }
    let mut created = AttributeDefinition::new("CreatedAt", AttributeType::Datetime);
    created.field = Some("created_at".into());
    def.attributes.push(created);
    def
}

#[test]
fn filter_from_triples() -> Result<(), Error> {
    let def = users();
    let mut filter = Filter::new(&def);
    filter
        .add("email", "contains", "@example.com")?
        .add("age", "greater_than_or_equal", n(21))?
        .add("status", "=", "active")?
        .add("tags", "contains", "admin")?
        .add("scores", "contains", n(100))?
        .add("created_at", ">", "2024-01-01T00:00:00Z")?
        .add("prefs.theme", "equal", "dark")?
        .add("avatar", "exists", ())?;
    // `deleted` is not declared: refused, and nothing is added.
    assert!(filter.add("deleted", "not_exists", ()).is_err());
    assert_eq!(filter.len(), 8);
    assert_eq!(
        render(&filter),
        (
            "contains(#n0, :v0) AND #n1 >= :v1 AND #n2 = :v2 AND contains(#n3, :v3) AND contains(#n4, :v4) \
             AND #n5 > :v5 AND #n6.#n7 = :v6 AND attribute_exists(#n8)"
                .into(),
            names(&[
                ("#n0", "email"),
                ("#n1", "age"),
                ("#n2", "status"),
                ("#n3", "tags"),
                ("#n4", "scores"),
                ("#n5", "CreatedAt"),
                ("#n6", "prefs"),
                ("#n7", "theme"),
                ("#n8", "avatar"),
            ]),
            values(&[
                (":v0", s("@example.com")),
                (":v1", num("21")),
                (":v2", s("active")),
                (":v3", s("admin")),
                (":v4", num("100")),
                (":v5", s("2024-01-01T00:00:00Z")),
                (":v6", s("dark")),
            ])
        )
    );
    assert_eq!(
        filter.describe(),
        "`email` contains \"@example.com\"\n\
         and `age` is greater than or equal to 21\n\
         and `status` equals \"active\"\n\
         and `tags` contains \"admin\"\n\
         and `scores` contains 100\n\
         and `CreatedAt` is greater than \"2024-01-01T00:00:00Z\"\n\
         and `prefs.theme` equals \"dark\"\n\
         and `avatar` exists"
    );
    Ok(())
}

#[test]
fn filter_comparisons_by_name_and_symbol() {
    let def = users();
    let pairs = [
        ("equal", "=", "#n0 = :v0"),
        ("not_equal", "<>", "#n0 <> :v0"),
        ("less_than", "<", "#n0 < :v0"),
        ("less_than_or_equal", "<=", "#n0 <= :v0"),
        ("greater_than", ">", "#n0 > :v0"),
        ("greater_than_or_equal", ">=", "#n0 >= :v0"),
    ];
    for (name, symbol, expected) in pairs {
        for comparison in [name, symbol] {
            let mut filter = Filter::new(&def);
            filter.add("age", comparison, n(30)).expect("valid");
            assert_eq!(text(&filter), expected);
        }
        assert_eq!(name.parse::<Comparison>().expect("valid").symbol(), Some(symbol));
    }
    let mut filter = Filter::new(&def);
    filter.add("email", "begins_with", "admin").expect("valid");
    filter
        .add_clause("status", Comparison::NotExists, ())
        .expect("valid");
    assert_eq!(
        text(&filter),
        "begins_with(#n0, :v0) AND attribute_not_exists(#n1)"
    );
    assert_eq!(Comparison::ALL.len(), 10);
}

#[test]
fn filter_refuses_unknown_attributes_and_comparisons() {
    let def = users();
    let mut filter = Filter::new(&def);
    match filter.add("emial", "contains", "x").expect_err("refused") {
        Error::InvalidExpression { table, message } => {
            assert_eq!(table, "users");
            assert_eq!(
                message,
                "table `users` has no attribute `emial`; its attributes are `id`, `email`, `age`, `status`, \
                 `active`, `tags`, `scores`, `prefs`, `avatar`, `CreatedAt`"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    match filter.add("email", "like", "x").expect_err("refused") {
        Error::InvalidExpression { table, message } => {
            assert_eq!(table, "users");
            assert_eq!(
                message,
                "unknown comparison `like`; valid comparisons are `equal` (`=`), `not_equal` (`<>`), \
                 `less_than` (`<`), `less_than_or_equal` (`<=`), `greater_than` (`>`), \
                 `greater_than_or_equal` (`>=`), `contains`, `begins_with`, `exists`, `not_exists`"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = invalid_message(filter.add("email.domain", "=", "x").expect_err("refused"));
    assert_eq!(
        message,
        "`email.domain` looks into attribute `email`, which is a string and has no nested values"
    );
    assert!(filter.is_empty());
    assert_eq!(filter.to_condition(), None);
    assert_eq!(filter.describe(), "no conditions: every item matches");
    assert_eq!(invalid_message(error(&filter)), "a filter has no clauses");
    let shown = filter.add("nope", "=", "x").expect_err("refused").to_string();
    assert!(shown.starts_with("invalid expression for table `users`: table `users` has no attribute `nope`"));
}

#[test]
fn filter_checks_value_types() {
    let def = users();
    let mut filter = Filter::new(&def);
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "age",
            "greater_than",
            Value::new("21"),
            "attribute `age` is a number (N), so `greater_than` expects N, not S",
        ),
        (
            "email",
            "=",
            Value::new(n(1)),
            "attribute `email` is a string (S), so `equal` expects S, not N",
        ),
        (
            "active",
            "=",
            Value::new("yes"),
            "attribute `active` is a boolean (BOOL), so `equal` expects BOOL, not S",
        ),
        (
            "tags",
            "contains",
            Value::new(n(1)),
            "attribute `tags` is a string_set (SS), so `contains` expects S, not N",
        ),
        (
            "scores",
            "contains",
            Value::new("x"),
            "attribute `scores` is a number_list (L), so `contains` expects N, not S",
        ),
        (
            "tags",
            "<",
            Value::new("a"),
            "attribute `tags` is a string_set (SS), which `less_than` cannot order (only strings, numbers and binary)",
        ),
        (
            "age",
            "begins_with",
            Value::new(n(1)),
            "attribute `age` is a number (N); `begins_with` works on strings and binary",
        ),
        (
            "age",
            "contains",
            Value::new(n(1)),
            "attribute `age` is a number (N); `contains` works on strings, binary, sets and lists",
        ),
        (
            "prefs",
            "begins_with",
            Value::new(n(1)),
            "attribute `prefs` is a json, so `begins_with` expects S or B, not N",
        ),
    ];
    for (attribute, comparison, value, expected) in cases {
        match filter.add(attribute, comparison, value).expect_err(expected) {
            Error::InvalidExpression { table, message } => {
                assert_eq!(table, "users");
                assert_eq!(message, expected);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(filter.is_empty());
    // NULL compares with anything; json attributes take any value.
    filter.add("age", "=", ()).expect("valid");
    filter.add("prefs", "=", n(1)).expect("valid");
    filter.add("prefs", "contains", "x").expect("valid");
    assert_eq!(filter.len(), 3);
}

#[test]
fn filter_reports_encoding_errors_with_the_attribute() {
    let def = users();
    let mut filter = Filter::new(&def);
    match filter.add("age", "=", n(f64::NAN)).expect_err("refused") {
        Error::Encode(e) => {
            assert_eq!(e.table.as_deref(), Some("users"));
            assert_eq!(e.attribute.as_deref(), Some("age"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn filter_has_no_clause_cap() {
    // Da Vinci's `:a`..`:z` placeholders stop at 26 clauses; a thousand must work.
    let def = users();
    let mut filter = Filter::new(&def);
    for i in 0..1_000 {
        let attribute = ["age", "status", "email"][i % 3];
        match attribute {
            "age" => filter.add(attribute, "<>", n(i as f64)),
            _ => filter.add(attribute, "not_equal", format!("v{i}").as_str()),
        }
        .expect("valid");
    }
    assert_eq!(filter.len(), 1_000);
    let (text, names_map, values_map) = render(&filter);
    assert_eq!(
        names_map,
        names(&[("#n0", "age"), ("#n1", "status"), ("#n2", "email")])
    );
    assert_eq!(values_map.len(), 1_000);
    assert_eq!(values_map[":v999"], num("999"));
    assert_eq!(values_map[":v26"], s("v26"));
    assert!(text.starts_with("#n0 <> :v0 AND #n1 <> :v1 AND #n2 <> :v2 AND #n0 <> :v3 AND "));
    assert!(text.ends_with(" AND #n0 <> :v999"));
    assert_eq!(text.matches(" AND ").count(), 999);
    assert_eq!(filter.describe().lines().count(), 1_000);
}

// ---------------------------------------------------------------- properties

mod properties {
    use std::collections::BTreeSet;

    use dynorm::expr::{Condition, ExpressionAttributes, Path, StoredType, attr};
    use proptest::prelude::*;

    use super::{Num, n};

    /// Names that stress placeholders: reserved words, dots, brackets, placeholder look-alikes.
    const NAMES: [&str; 9] = [
        "name", "status", "size", "a.b", "#n0", ":v0", "x[1]", "order", "plain",
    ];

    fn path() -> impl Strategy<Value = Path> {
        (
            0..NAMES.len(),
            prop::option::of(0..NAMES.len()),
            prop::option::of(0usize..4),
        )
            .prop_map(|(root, key, index)| {
                let mut path = Path::new(NAMES[root]);
                if let Some(k) = key {
                    path = path.key(NAMES[k]);
                }
                if let Some(i) = index {
                    path = path.index(i);
                }
                path
            })
    }

    fn number() -> impl Strategy<Value = Num> {
        prop_oneof![9 => (-1e6f64..1e6).prop_map(Num), 1 => Just(Num(f64::NAN))]
    }

    fn leaf() -> impl Strategy<Value = Condition> {
        prop_oneof![
            (path(), number()).prop_map(|(p, v)| attr(p).gt(v)),
            (path(), ".*").prop_map(|(p, v)| attr(p).eq(v.as_str())),
            (path(), path()).prop_map(|(p, q)| attr(p).le_path(q)),
            (path(), number(), number()).prop_map(|(p, lo, hi)| attr(p).between(lo, hi)),
            (path(), prop::collection::vec(number(), 0..103)).prop_map(|(p, list)| attr(p).is_in(list)),
            (path(), ".*").prop_map(|(p, v)| attr(p).begins_with(v.as_str())),
            (path(), ".*").prop_map(|(p, v)| attr(p).contains(v.as_str())),
            path().prop_map(|p| attr(p).exists()),
            path().prop_map(|p| attr(p).not_exists()),
            path().prop_map(|p| attr(p).is_type(StoredType::Ss)),
            (path(), 0usize..1000).prop_map(|(p, k)| attr(p).size().ge(k)),
        ]
    }

    fn tree() -> impl Strategy<Value = Condition> {
        leaf().prop_recursive(6, 64, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Condition::all),
                prop::collection::vec(inner.clone(), 0..4).prop_map(Condition::any),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| a & b),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| a | b),
                inner.prop_map(|a| !a),
            ]
        })
    }

    /// The placeholders written in an expression text.
    fn used(text: &str, sigil: char, letter: char) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let bytes: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i + 1 < bytes.len() {
            if bytes[i] == sigil && bytes[i + 1] == letter {
                let mut j = i + 2;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                found.insert(bytes[i..j].iter().collect());
                i = j;
            } else {
                i += 1;
            }
        }
        found
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn placeholders_in_the_text_and_the_maps_agree(condition in tree()) {
            let mut attributes = ExpressionAttributes::new();
            // Rendering may refuse (an empty group, an IN list of the wrong length, NaN) but never panics.
            if let Ok(text) = condition.render(&mut attributes) {
                let names: BTreeSet<String> = attributes.names().keys().cloned().collect();
                let values: BTreeSet<String> = attributes.values().keys().cloned().collect();
                prop_assert_eq!(used(&text, '#', 'n'), names);
                prop_assert_eq!(used(&text, ':', 'v'), values);
                // Names and values never appear in the text itself.
                prop_assert!(!text.contains("name") && !text.contains("status") && !text.contains("plain"));
                // Each distinct name has one placeholder.
                let distinct: BTreeSet<&String> = attributes.names().values().collect();
                prop_assert_eq!(distinct.len(), attributes.names().len());
            }
        }
    }

    // ------------------------------------------------------------ the meaning survives rendering

    /// A condition over five boolean atoms (`attribute_exists(a<i>)`), kept as a tree to evaluate.
    #[derive(Debug, Clone)]
    enum Tree {
        Atom(usize),
        And(Vec<Tree>),
        Or(Vec<Tree>),
        Not(Box<Tree>),
        Between(usize),
    }

    impl Tree {
        fn eval(&self, world: u8) -> bool {
            match self {
                Tree::Atom(i) | Tree::Between(i) => world & (1 << i) != 0,
                Tree::And(children) => children.iter().all(|c| c.eval(world)),
                Tree::Or(children) => children.iter().any(|c| c.eval(world)),
                Tree::Not(child) => !child.eval(world),
            }
        }

        fn condition(&self) -> Condition {
            match self {
                Tree::Atom(i) => attr(format!("a{i}")).exists(),
                // A BETWEEN whose own `AND` must not be read as a conjunction.
                Tree::Between(i) => attr(format!("a{i}")).between(n(0), n(1)),
                Tree::And(children) => Condition::all(children.iter().map(Tree::condition)),
                Tree::Or(children) => Condition::any(children.iter().map(Tree::condition)),
                Tree::Not(child) => !child.condition(),
            }
        }
    }

    fn logic() -> impl Strategy<Value = Tree> {
        prop_oneof![
            (0usize..5).prop_map(Tree::Atom),
            (0usize..5).prop_map(Tree::Between)
        ]
        .prop_recursive(6, 48, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(Tree::And),
                prop::collection::vec(inner.clone(), 1..4).prop_map(Tree::Or),
                inner.prop_map(|t| Tree::Not(Box::new(t))),
            ]
        })
    }

    /// Reads rendered text with DynamoDB's precedence (NOT, then AND, then OR) and evaluates it.
    struct Reader<'a> {
        tokens: Vec<&'a str>,
        at: usize,
        names: &'a std::collections::HashMap<String, String>,
        world: u8,
    }

    impl<'a> Reader<'a> {
        fn next(&mut self) -> &'a str {
            let token = self.tokens[self.at];
            self.at += 1;
            token
        }

        fn peek(&self) -> Option<&str> {
            self.tokens.get(self.at).copied()
        }

        fn atom_value(&self, placeholder: &str) -> bool {
            let name = &self.names[placeholder];
            let i: u8 = name[1..].parse().expect("a<i>");
            self.world & (1 << i) != 0
        }

        fn or(&mut self) -> bool {
            let mut value = self.and();
            while self.peek() == Some("OR") {
                self.next();
                value |= self.and();
            }
            value
        }

        fn and(&mut self) -> bool {
            let mut value = self.not();
            while self.peek() == Some("AND") {
                self.next();
                value &= self.not();
            }
            value
        }

        fn not(&mut self) -> bool {
            if self.peek() == Some("NOT") {
                self.next();
                return !self.not();
            }
            self.primary()
        }

        fn primary(&mut self) -> bool {
            match self.next() {
                "(" => {
                    let value = self.or();
                    assert_eq!(self.next(), ")");
                    value
                }
                "attribute_exists" => {
                    assert_eq!(self.next(), "(");
                    let placeholder = self.next().to_owned();
                    assert_eq!(self.next(), ")");
                    self.atom_value(&placeholder)
                }
                placeholder => {
                    // `#nK BETWEEN :vX AND :vY`
                    assert_eq!(self.next(), "BETWEEN");
                    self.next();
                    assert_eq!(self.next(), "AND");
                    self.next();
                    self.atom_value(placeholder)
                }
            }
        }
    }

    fn tokens(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            if c == '(' || c == ')' || c == ' ' || c == ',' {
                if let Some(s) = start.take() {
                    out.push(&text[s..i]);
                }
                if c == '(' || c == ')' {
                    out.push(&text[i..i + 1]);
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            out.push(&text[s..]);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn rendered_text_means_what_the_tree_means(tree in logic()) {
            let mut attributes = ExpressionAttributes::new();
            let text = tree.condition().render(&mut attributes).expect("renders");
            let tokens = tokens(&text);
            for world in 0u8..32 {
                let mut reader = Reader { tokens: tokens.clone(), at: 0, names: attributes.names(), world };
                let value = reader.or();
                prop_assert_eq!(reader.at, tokens.len(), "all of `{}` is read", text);
                prop_assert_eq!(value, tree.eval(world), "`{}` in world {:05b}", text, world);
            }
        }
    }
}

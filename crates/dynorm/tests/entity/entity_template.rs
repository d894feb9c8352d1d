//! Key templates (render, parse back, prefixes, padding) and `#[derive(Entity)]` round trips.

#![allow(clippy::unwrap_used)]

use dynorm::entity::{Entity as _, IndexLayout, Layout, Ownership, SingleTable, Template, TemplateError};
use dynorm::{AttributeValue, Table as _};
use proptest::prelude::*;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

#[test]
fn storm_integration_key() {
    let pk = Template::parse("T#{tenant_name}#Integrations").unwrap();
    let sk = Template::parse("I#{integration_id}").unwrap();
    assert_eq!(
        pk.render(&[("tenant_name", s("tenant-2"))]).unwrap(),
        "T#tenant-2#Integrations"
    );
    assert_eq!(
        sk.render(&[("integration_id", s("INT0001"))]).unwrap(),
        "I#INT0001"
    );
    assert_eq!(
        pk.parse_key("T#tenant-2#Integrations").unwrap()["tenant_name"],
        "tenant-2"
    );
    assert_eq!(sk.parse_key("I#INT0001").unwrap()["integration_id"], "INT0001");
}

#[test]
fn padding() {
    let t = Template::parse("ORDER#{order_id:08}").unwrap();
    assert_eq!(t.render(&[("order_id", n("42"))]).unwrap(), "ORDER#00000042");
    assert_eq!(t.parse_key("ORDER#00000042").unwrap()["order_id"], "42");
    assert_eq!(t.parse_key("ORDER#00000000").unwrap()["order_id"], "0");
    assert!(matches!(
        t.render(&[("order_id", n("-1"))]),
        Err(TemplateError::Negative { width: 8, .. })
    ));
    assert!(matches!(
        t.render(&[("order_id", n("123456789"))]),
        Err(TemplateError::TooWide { width: 8, .. })
    ));
    assert!(matches!(
        t.render(&[("order_id", n("1.5"))]),
        Err(TemplateError::NotInteger { .. })
    ));
    assert!(matches!(
        t.render(&[("order_id", s("42"))]),
        Err(TemplateError::NotInteger { .. })
    ));
    assert!(t.parse_key("ORDER#42").is_err());
    // Padded keys sort like the numbers.
    let mut keys: Vec<String> = [7u32, 100, 42, 9]
        .iter()
        .map(|v| t.render(&[("order_id", n(&v.to_string()))]).unwrap())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "ORDER#00000007",
            "ORDER#00000009",
            "ORDER#00000042",
            "ORDER#00000100"
        ]
    );
}

#[test]
fn escaping_and_prefixes() {
    let t = Template::parse("A#{a}#B#{b}").unwrap();
    let key = t.render(&[("a", s("x#y")), ("b", s(r"c\d"))]).unwrap();
    assert_eq!(key, r"A#x\#y#B#c\\d");
    let back = t.parse_key(&key).unwrap();
    assert_eq!(back["a"], "x#y");
    assert_eq!(back["b"], r"c\d");
    assert_eq!(t.render_prefix(&[("a", s("x"))]).unwrap(), "A#x#B#");
    assert_eq!(t.render_prefix(&[]).unwrap(), "A#");
    assert!(matches!(
        t.render(&[("a", AttributeValue::Bool(true)), ("b", s("1"))]),
        Err(TemplateError::NotScalar { found: "BOOL", .. })
    ));
    match t.render(&[("b", s("1"))]) {
        Err(TemplateError::MissingFields { missing, .. }) => assert_eq!(missing, ["a"]),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #[test]
    fn render_parse_round_trip(a in "[a-z#\\\\~é😀-]{0,12}", b in "\\PC{0,12}", num in 0u64..100_000_000) {
        for text in ["T#{a}#Integrations#{b}", "{a}~{b}#N#{num:08}", "X#{a}#{b}"] {
            let t = Template::parse(text).unwrap();
            let values = [("a", s(&a)), ("b", s(&b)), ("num", n(&num.to_string()))];
            let key = t.render(&values).unwrap();
            let back = t.parse_key(&key).unwrap();
            prop_assert_eq!(&back["a"], &a);
            prop_assert_eq!(&back["b"], &b);
            if text.contains("num") {
                prop_assert_eq!(&back["num"], &num.to_string());
            }
            // A prefix is a prefix of the key.
            let prefix = t.render_prefix(&values[..1]).unwrap();
            prop_assert!(key.starts_with(&prefix));
        }
    }
}

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[
            IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk")),
            IndexLayout::global("gsi2", "gsi2pk", Some("gsi2sk")),
        ],
        local_indexes: &[IndexLayout::local("lsi1", "lsi1sk")],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

/// An integration of a tenant.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Integration")]
#[dynorm(pk = "T#{tenant_name}#Integrations", sk = "I#{integration_id}")]
#[dynorm(index(name = "gsi1", pk = "INT#{integration_id}", sk = "T#{tenant_name}"))]
#[dynorm(index(name = "gsi2", pk = "RUN#{last_seen_run}", sk = "I#{integration_id}"))]
#[dynorm(index(name = "lsi1", sk = "SEQ#{seq:06}"))]
struct Integration {
    tenant_name: String,
    integration_id: String,
    locked: bool,
    last_seen_run: Option<String>,
    seq: u32,
    #[dynorm(rename = "notebookPath")]
    notebook_path: String,
}

fn integration() -> Integration {
    Integration {
        tenant_name: "tenant-2".into(),
        integration_id: "INT0001".into(),
        locked: true,
        last_seen_run: Some("run_21901".into()),
        seq: 7,
        notebook_path: "s3://bucket/notebooks/a".into(),
    }
}

#[test]
fn entity_item_layout() {
    let item = integration().to_entity_item().unwrap();
    let text = |k: &str| item[k].as_s().unwrap().clone();
    assert_eq!(text("pk"), "T#tenant-2#Integrations");
    assert_eq!(text("sk"), "I#INT0001");
    assert_eq!(text("gsi1pk"), "INT#INT0001");
    assert_eq!(text("gsi1sk"), "T#tenant-2");
    assert_eq!(text("gsi2pk"), "RUN#run_21901");
    assert_eq!(text("gsi2sk"), "I#INT0001");
    assert_eq!(text("lsi1sk"), "SEQ#000007");
    assert_eq!(text("__entity"), "Integration");
    assert_eq!(text("tenant_name"), "tenant-2");
    assert_eq!(text("notebookPath"), "s3://bucket/notebooks/a");
    assert_eq!(item["locked"], AttributeValue::Bool(true));
    assert_eq!(item.len(), 14);
    assert_eq!(Integration::from_entity_item(item).unwrap(), integration());
}

#[test]
fn sparse_index_is_left_out() {
    let mut i = integration();
    i.last_seen_run = None;
    let item = i.to_entity_item().unwrap();
    assert!(!item.contains_key("gsi2pk"));
    assert!(
        !item.contains_key("gsi2sk"),
        "every key of a sparse index is left out"
    );
    assert!(item.contains_key("gsi1pk"));
    assert_eq!(Integration::from_entity_item(item).unwrap(), i);
}

#[test]
fn ownership() {
    let mut item = integration().to_entity_item().unwrap();
    item.insert("__entity".into(), s("Run"));
    let e = Integration::from_entity_item(item.clone()).unwrap_err();
    assert!(
        e.to_string().contains("entity type `Run`, not `Integration`"),
        "{e}"
    );
    item.remove("__entity");
    assert!(Integration::from_entity_item(item.clone()).is_err());
    assert_eq!(
        Integration::from_item_checked(item, Ownership::Ignore).unwrap(),
        integration()
    );
}

#[test]
fn keys_and_affected_indexes() {
    let key = Integration::key("tenant-2", "INT0001").into_item().unwrap();
    assert_eq!(key.len(), 2);
    assert_eq!(key["pk"], s("T#tenant-2#Integrations"));
    assert_eq!(key["sk"], s("I#INT0001"));
    assert_eq!(integration().key_item().unwrap(), key);

    let affected: Vec<&str> = Integration::index_keys_affected_by(&["tenant_name"])
        .iter()
        .map(|k| k.attribute)
        .collect();
    assert_eq!(affected, ["pk", "gsi1sk"]);
    let run = Integration::index_keys_affected_by(&["last_seen_run"]);
    assert_eq!(run.len(), 1);
    assert_eq!(run[0].index, Some("gsi2"));
    assert!(run[0].sparse);
    assert_eq!(run[0].missing(&["last_seen_run"]), Vec::<&str>::new());
    let gsi1sk = Integration::key_template("gsi1sk").unwrap();
    assert_eq!(gsi1sk.missing(&["integration_id"]), ["tenant_name"]);
    assert!(Integration::index_keys_affected_by(&["locked"]).is_empty());
}

#[test]
fn table_definition_is_the_layout() {
    let def = Integration::definition();
    def.validate().unwrap();
    assert_eq!(def.name, "app");
    assert_eq!(def.global_secondary_indexes.len(), 2);
    assert_eq!(def.local_secondary_indexes.len(), 1);
}

#[cfg(feature = "embedded")]
#[tokio::test]
async fn put_and_get_on_the_embedded_engine() {
    let db = dynorm::testing::database(&[Integration::definition()])
        .await
        .unwrap();
    let table = db.table::<Integration>();
    table.put(&integration()).send().await.unwrap();
    let got = table
        .get(Integration::key("tenant-2", "INT0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(got, Some(integration()));
}

/// The derive compiles each template with the grammar the runtime parses with: the const parts
/// are the parsed segments, and the plan renders and reads keys as a parsed template does.
#[test]
fn compiled_plans_are_the_parsed_templates() {
    use dynorm::entity::{Segment, TemplatePart};

    for k in Integration::KEYS {
        let parsed = Template::parse(k.template).unwrap();
        let parts: Vec<Segment<&str>> = parsed.segments().iter().map(Segment::borrowed).collect();
        assert_eq!(k.parts, parts.as_slice(), "{}", k.template);
        assert_eq!(k.plan().as_str(), k.template);
        assert_eq!(k.plan().fields(), k.fields);
    }
    let lsi1sk = Integration::key_template("lsi1sk").unwrap();
    assert_eq!(
        lsi1sk.parts,
        &[
            TemplatePart::Literal("SEQ#"),
            TemplatePart::Field {
                name: "seq",
                width: Some(6)
            }
        ]
    );
    let plan = lsi1sk.plan();
    assert_eq!(plan.render(&[("seq", n("7"))]).unwrap(), "SEQ#000007");
    assert_eq!(plan.parse_key("SEQ#000007").unwrap()["seq"], "7");
    assert_eq!(plan.render_prefix(&[]).unwrap(), "SEQ#");
}

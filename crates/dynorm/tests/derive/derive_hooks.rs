//! `#[dynorm(version)]`, `#[dynorm(created_at)]` and `#[dynorm(updated_at)]`: the `Table`
//! constants and methods they generate, and their place in the definition.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use dynorm::{AttributeType, AttributeValue, EpochSeconds, Item, Table};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "documents", rename_all = "PascalCase")]
struct Document {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(version)]
    version: u64,
    #[dynorm(created_at, rename = "Created")]
    created_at: DateTime<Utc>,
    #[dynorm(updated_at, epoch_seconds)]
    modified: Option<DateTime<Utc>>,
    body: String,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "counters")]
struct Counter {
    #[dynorm(partition_key)]
    name: String,
    #[dynorm(version)]
    revision: u32,
    #[dynorm(updated_at)]
    touched: EpochSeconds,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "plain")]
struct Plain {
    #[dynorm(partition_key)]
    id: String,
}

#[test]
fn constants_name_the_stored_attributes() {
    assert_eq!(Document::VERSION_ATTRIBUTE, Some("Version"));
    assert_eq!(Document::CREATED_AT_ATTRIBUTE, Some("Created"));
    assert_eq!(Document::UPDATED_AT_ATTRIBUTE, Some("Modified"));
    assert_eq!(Counter::VERSION_ATTRIBUTE, Some("revision"));
    assert_eq!(Counter::CREATED_AT_ATTRIBUTE, None);
    assert_eq!(Counter::UPDATED_AT_ATTRIBUTE, Some("touched"));
    assert_eq!(Plain::VERSION_ATTRIBUTE, None);
    assert_eq!(Plain::CREATED_AT_ATTRIBUTE, None);
    assert_eq!(Plain::UPDATED_AT_ATTRIBUTE, None);
}

#[test]
fn the_definition_names_the_version_for_tools_without_the_type() {
    // `dynorm import` and the console lock optimistically from the schema file's
    // `version_attribute`; the definition a schema file is written from carries it.
    assert_eq!(
        Document::definition().version_attribute.as_deref(),
        Some("Version")
    );
    assert_eq!(
        Counter::definition().version_attribute.as_deref(),
        Some("revision")
    );
    assert_eq!(Plain::definition().version_attribute, None);
    Document::definition().validate().unwrap();
    let mut wrong = Counter::definition().clone();
    wrong.version_attribute = Some("missing".into());
    let problems = wrong.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("version attribute `missing` is not a declared attribute")),
        "{problems:?}"
    );
}

fn document() -> Document {
    Document {
        id: "d1".into(),
        version: 3,
        created_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
        modified: Some(Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).unwrap()),
        body: "hello".into(),
    }
}

#[test]
fn version_is_read_and_set() {
    let mut d = document();
    assert_eq!(d.version(), Some(3));
    d.set_version(4);
    assert_eq!(d.version, 4);
    assert_eq!(d.version(), Some(4));

    let mut c = Counter {
        name: "c".into(),
        revision: 7,
        touched: EpochSeconds(Utc.timestamp_opt(10, 0).unwrap()),
    };
    assert_eq!(c.version(), Some(7));
    c.set_version(u64::MAX);
    assert_eq!(c.revision, u32::MAX, "saturates at the field type's maximum");

    let mut p = Plain { id: "p".into() };
    assert_eq!(p.version(), None);
    p.set_version(9);
}

#[test]
fn hook_fields_are_ordinary_attributes() {
    let def = Document::definition();
    let names: Vec<_> = def.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Id", "Version", "Created", "Modified", "Body"]);
    let attr = |n: &str| def.attributes.iter().find(|a| a.name == n).unwrap();
    assert_eq!(attr("Version").attribute_type, AttributeType::Number);
    assert!(attr("Version").optional, "an absent version reads as 0");
    assert_eq!(attr("Modified").attribute_type, AttributeType::DatetimeEpoch);
    assert!(!attr("Created").optional);

    let item = document().to_item().unwrap();
    assert_eq!(item["Version"], AttributeValue::N("3".into()));
    assert_eq!(item["Modified"], AttributeValue::N("1706933106".into()));
    assert_eq!(Document::from_item(item).unwrap(), document());
}

#[test]
fn an_item_without_a_version_reads_as_version_zero() {
    let mut item = document().to_item().unwrap();
    item.remove("Version");
    let d = Document::from_item(item).unwrap();
    assert_eq!(d.version(), Some(0));
    let _: Item = d.to_item().unwrap();
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "legacy", compat = "da_vinci")]
struct Legacy {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(version)]
    revision: i64,
    #[dynorm(created_at)]
    created: Option<DateTime<Utc>>,
    #[dynorm(updated_at)]
    updated: DateTime<Utc>,
}

#[test]
fn da_vinci_timestamps_and_signed_versions() {
    assert_eq!(Legacy::VERSION_ATTRIBUTE, Some("Revision"));
    assert_eq!(Legacy::CREATED_AT_ATTRIBUTE, Some("Created"));
    assert_eq!(Legacy::UPDATED_AT_ATTRIBUTE, Some("Updated"));
    let mut l = Legacy {
        id: "l".into(),
        revision: -5,
        created: None,
        updated: Utc.timestamp_opt(0, 0).unwrap(),
    };
    assert_eq!(l.version(), Some(0), "a negative version reads as 0");
    l.set_version(12);
    assert_eq!(l.revision, 12);
    assert_eq!(Legacy::from_item(l.to_item().unwrap()).unwrap(), l);
}

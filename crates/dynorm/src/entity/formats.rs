//! The stored formats of single-table libraries in other languages, so a Rust service can read
//! and write the same table as a Python service built on them.
//!
//! - [`storm`]: mavills/single-table-orm (`PK`/`SK`/`GSI1PK`, keys `A#<a>#B#<b>#<Suffix>`);
//! - [`dynamojo`]: `pk`/`sk`, `gsi0..gsi19`, `lsi0..lsi4`, joined attributes, index maps;
//! - [`dynamo_query`]: `pk`/`sk`, naive ISO `dt_created`/`dt_modified`, sort-key prefixes.
//!
//! Each has a ready-made [`Layout`] (usable with `#[derive(Entity)]`) and table definition.

use super::{IndexLayout, Layout};

/// mavills/single-table-orm ("STORM").
///
/// Key strings: `"#".join([id1, v1, id2, v2, ..., suffix])` for the partition key and
/// `GSI1PK`, the same without the suffix for the sort key. A field's identifier is the first
/// letter of its name upper-cased unless given; the suffix is the model (class) name unless
/// given. Like STORM, parts that are empty strings are dropped from the join (Python's falsy
/// strings) — an empty value drops only itself, its identifier stays. STORM refuses a key when a
/// key field was never set (`None`); [`storm::key`] takes values that are present.
/// STORM does not escape values, so a value containing `#` cannot be read back; keys built by
/// [`storm::key`] are byte for byte STORM's.
pub mod storm {
    use super::Layout;
    use crate::TableDefinition;
    use crate::entity::IndexLayout;

    /// STORM's table layout: `PK`/`SK`, index `GSI1` on `GSI1PK` + `SK`, no entity attribute,
    /// provisioned 1/1 (as `get_standard_definition`). The table name is a placeholder: STORM
    /// reads it from `DB_TABLE_NAME`; copy the layout with another `name`.
    pub const LAYOUT: Layout = Layout {
        name: "single-table",
        partition_key: "PK",
        sort_key: Some("SK"),
        global_indexes: &[IndexLayout::global("GSI1", "GSI1PK", Some("SK"))],
        local_indexes: &[],
        entity_attribute: None,
        provisioned: Some((1, 1)),
        form: crate::StoredForm::STORM,
    };

    /// The marker type for `#[dynorm(table = dynorm::entity::formats::storm::Table)]`.
    #[derive(Debug, Clone, Copy)]
    pub struct Table;

    impl crate::entity::SingleTable for Table {
        const LAYOUT: Layout = LAYOUT;
    }

    /// STORM's standard table definition (`get_standard_definition(name)`).
    pub fn table_definition(name: &str) -> TableDefinition {
        let mut def = LAYOUT.definition();
        name.clone_into(&mut def.name);
        def
    }

    /// The default identifier of a field: its name's first letter, upper-cased.
    pub fn identifier(field: &str) -> String {
        field
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }

    /// A key string: identifier/value pairs in declaration order, then the suffix (partition
    /// keys and `GSI1PK`; `None` for sort keys), joined by `#` with empty parts dropped.
    ///
    /// ```
    /// use dynorm::entity::formats::storm;
    /// assert_eq!(storm::key(&[("A", "aaa"), ("B", "bbb")], Some("TestModel")), "A#aaa#B#bbb#TestModel");
    /// assert_eq!(storm::key(&[("C", "ccc"), ("D", "ddd")], None), "C#ccc#D#ddd");
    /// ```
    pub fn key(parts: &[(&str, &str)], suffix: Option<&str>) -> String {
        parts
            .iter()
            .flat_map(|(id, value)| [*id, *value])
            .chain(suffix)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("#")
    }
}

/// mathewmoon/dynamojo.
///
/// All index attributes are strings: `pk`/`sk`, `gsiN_pk`/`gsiN_sk` for N in 0..20 and `lsiN_sk`
/// for N in 0..5. Readable fields are stored, and [`IndexMap`](dynamojo::IndexMap)s copy them
/// into the index key attributes (dropping keys whose field is absent, dynamojo's
/// `drop_null_index_keys`). Joined attributes are `sep.join(str(v))` with `""` for a missing
/// source and `~` as the default separator.
pub mod dynamojo {
    use super::{IndexLayout, Layout};
    use crate::{AttributeValue, Item, TableDefinition};

    /// dynamojo's default separator for joined attributes.
    pub const JOIN_SEPARATOR: &str = "~";

    const fn gsi_layouts() -> [IndexLayout; 20] {
        const NAMES: [(&str, &str, &str); 20] = [
            ("gsi0", "gsi0_pk", "gsi0_sk"),
            ("gsi1", "gsi1_pk", "gsi1_sk"),
            ("gsi2", "gsi2_pk", "gsi2_sk"),
            ("gsi3", "gsi3_pk", "gsi3_sk"),
            ("gsi4", "gsi4_pk", "gsi4_sk"),
            ("gsi5", "gsi5_pk", "gsi5_sk"),
            ("gsi6", "gsi6_pk", "gsi6_sk"),
            ("gsi7", "gsi7_pk", "gsi7_sk"),
            ("gsi8", "gsi8_pk", "gsi8_sk"),
            ("gsi9", "gsi9_pk", "gsi9_sk"),
            ("gsi10", "gsi10_pk", "gsi10_sk"),
            ("gsi11", "gsi11_pk", "gsi11_sk"),
            ("gsi12", "gsi12_pk", "gsi12_sk"),
            ("gsi13", "gsi13_pk", "gsi13_sk"),
            ("gsi14", "gsi14_pk", "gsi14_sk"),
            ("gsi15", "gsi15_pk", "gsi15_sk"),
            ("gsi16", "gsi16_pk", "gsi16_sk"),
            ("gsi17", "gsi17_pk", "gsi17_sk"),
            ("gsi18", "gsi18_pk", "gsi18_sk"),
            ("gsi19", "gsi19_pk", "gsi19_sk"),
        ];
        let mut out = [IndexLayout::global("", "", None); 20];
        let mut i = 0;
        while i < 20 {
            out[i] = IndexLayout::global(NAMES[i].0, NAMES[i].1, Some(NAMES[i].2));
            i += 1;
        }
        out
    }

    const GSIS: [IndexLayout; 20] = gsi_layouts();
    const LSIS: [IndexLayout; 5] = [
        IndexLayout::local("lsi0", "lsi0_sk"),
        IndexLayout::local("lsi1", "lsi1_sk"),
        IndexLayout::local("lsi2", "lsi2_sk"),
        IndexLayout::local("lsi3", "lsi3_sk"),
        IndexLayout::local("lsi4", "lsi4_sk"),
    ];

    /// dynamojo's recommended table: `pk`/`sk`, 20 GSIs and 5 LSIs, all keys S, projection ALL,
    /// on demand; no entity attribute. The name is the README's `test-dynamojo`.
    pub const LAYOUT: Layout = Layout {
        name: "test-dynamojo",
        partition_key: "pk",
        sort_key: Some("sk"),
        global_indexes: &GSIS,
        local_indexes: &LSIS,
        entity_attribute: None,
        provisioned: None,
        form: crate::StoredForm::DYNAMOJO,
    };

    /// The marker type for `#[dynorm(table = dynorm::entity::formats::dynamojo::Table)]`.
    #[derive(Debug, Clone, Copy)]
    pub struct Table;

    impl crate::entity::SingleTable for Table {
        const LAYOUT: Layout = LAYOUT;
    }

    /// The full table definition under another name.
    pub fn table_definition(name: &str) -> TableDefinition {
        let mut def = LAYOUT.definition();
        name.clone_into(&mut def.name);
        def
    }

    /// A joined attribute: the sources' values joined by `separator`, `""` for a missing one.
    ///
    /// ```
    /// use dynorm::entity::formats::dynamojo::{join, JOIN_SEPARATOR};
    /// assert_eq!(join(&[Some("u1"), None, Some("login")], JOIN_SEPARATOR), "u1~~login");
    /// ```
    pub fn join(values: &[Option<&str>], separator: &str) -> String {
        values
            .iter()
            .map(|v| v.unwrap_or(""))
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// Maps readable fields onto an index's key attributes (dynamojo's `IndexMap`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct IndexMap {
        /// `table`, `gsi0`..`gsi19` or `lsi0`..`lsi4`.
        pub index: &'static str,
        /// The field copied into the partition key (not for a local index).
        pub partition_key: Option<&'static str>,
        /// The field copied into the sort key.
        pub sort_key: Option<&'static str>,
    }

    /// Why index maps could not be applied.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[non_exhaustive]
    pub enum IndexMapError {
        /// The index is not one of dynamojo's.
        #[error("`{0}` is not a dynamojo index (table, gsi0..gsi19, lsi0..lsi4)")]
        UnknownIndex(String),
        /// A local index was given a partition key.
        #[error("local index `{0}` shares the table's partition key and cannot map one")]
        LocalPartitionKey(String),
        /// The table's own key fields must be present.
        #[error("the table key field `{0}` is missing")]
        MissingTableKey(String),
    }

    /// The key attribute names of an index: (partition key, sort key).
    pub fn key_attributes(index: &str) -> Option<(Option<&'static str>, &'static str)> {
        if index == "table" {
            return Some((Some("pk"), "sk"));
        }
        LAYOUT
            .index(index)
            .and_then(|i| Some((i.partition_key, i.sort_key?)))
    }

    /// Adds the index key attributes the maps derive from the item's readable fields. Keys whose
    /// field is absent (or NULL) are left out; the table's keys must be present.
    pub fn apply_index_maps(item: &mut Item, maps: &[IndexMap]) -> Result<(), IndexMapError> {
        for map in maps {
            let (pk, sk) =
                key_attributes(map.index).ok_or_else(|| IndexMapError::UnknownIndex(map.index.to_owned()))?;
            let mut pairs = Vec::with_capacity(2);
            match (pk, map.partition_key) {
                (None, Some(_)) => return Err(IndexMapError::LocalPartitionKey(map.index.to_owned())),
                (Some(attr), Some(field)) => pairs.push((attr, field)),
                _ => {}
            }
            if let Some(field) = map.sort_key {
                pairs.push((sk, field));
            }
            for (attr, field) in pairs {
                match item.get(field) {
                    Some(AttributeValue::Null(_)) | None => {
                        if map.index == "table" {
                            return Err(IndexMapError::MissingTableKey(field.to_owned()));
                        }
                    }
                    Some(v) => {
                        let v = v.clone();
                        item.insert(attr.to_owned(), v);
                    }
                }
            }
        }
        Ok(())
    }
}

/// vemel's dynamo_query (published as altitudenetworks/dynamoquery).
///
/// Keys `pk`/`sk` (strings) by default, pay per request when no capacity is set; timestamps
/// `dt_created`/`dt_modified` are Python's `datetime.utcnow().isoformat()`: naive, no zone, and
/// microseconds only when not zero (`2024-05-01T12:00:00.123456`, `2024-05-01T12:00:00`).
/// Several record types share a table by starting their sort keys with a per-type prefix.
pub mod dynamo_query {
    use chrono::{DateTime, NaiveDateTime, Utc};

    use super::Layout;
    use crate::{AttributeValue, DecodeError, Item, TableDefinition};

    /// The attribute stamped when a record is created.
    pub const CREATED: &str = "dt_created";
    /// The attribute stamped on every write.
    pub const MODIFIED: &str = "dt_modified";

    /// dynamo_query's default table: `pk`/`sk` strings, no indexes, pay per request.
    pub const LAYOUT: Layout = Layout {
        name: "dynamo-query",
        partition_key: "pk",
        sort_key: Some("sk"),
        global_indexes: &[],
        local_indexes: &[],
        entity_attribute: None,
        provisioned: None,
        form: crate::StoredForm::DYNAMO_QUERY,
    };

    /// The marker type for `#[dynorm(table = dynorm::entity::formats::dynamo_query::Table)]`.
    #[derive(Debug, Clone, Copy)]
    pub struct Table;

    impl crate::entity::SingleTable for Table {
        const LAYOUT: Layout = LAYOUT;
    }

    /// The default table definition under another name.
    pub fn table_definition(name: &str) -> TableDefinition {
        let mut def = LAYOUT.definition();
        name.clone_into(&mut def.name);
        def
    }

    /// Python's naive `isoformat()` of a UTC instant (sub-microsecond digits are cut).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use dynorm::entity::formats::dynamo_query::timestamp;
    /// let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    /// assert_eq!(timestamp(t), "2024-05-01T12:00:00");
    /// ```
    pub fn timestamp(at: DateTime<Utc>) -> String {
        crate::format::naive_micros(at)
    }

    /// Reads a naive ISO timestamp (as UTC), with or without microseconds.
    pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, DecodeError> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|n| n.and_utc())
            .map_err(|_| {
                DecodeError::invalid("a naive ISO timestamp like `2024-05-01T12:00:00.123456`", text)
            })
    }

    /// Stamps a record written at `now`: `dt_modified` always, `dt_created` unless present.
    pub fn stamp(item: &mut Item, now: DateTime<Utc>) {
        let text = timestamp(now);
        item.entry(CREATED.to_owned())
            .or_insert_with(|| AttributeValue::S(text.clone()));
        item.insert(MODIFIED.to_owned(), AttributeValue::S(text));
    }

    /// A sort key with its record type's prefix (`order_` + `0001`).
    pub fn prefixed(prefix: &str, value: &str) -> String {
        format!("{prefix}{value}")
    }

    /// The record type of a sort key among `prefixes` (the longest that matches), if any.
    pub fn record_type<'a>(sort_key: &str, prefixes: &[&'a str]) -> Option<&'a str> {
        prefixes
            .iter()
            .copied()
            .filter(|p| sort_key.starts_with(p))
            .max_by_key(|p| p.len())
    }
}

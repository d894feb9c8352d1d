//! Table definitions as plain data: the single source of truth that code, table creation,
//! migrations and infrastructure export all read.
//!
//! A definition is usually produced by `#[derive(Table)]`, but it is ordinary serde data and can be
//! written by hand or loaded from a schema file.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::DefinitionErrors;

/// DynamoDB's limit on local secondary indexes per table.
pub const MAX_LOCAL_INDEXES: usize = 5;
/// DynamoDB's limit on global secondary indexes per table.
pub const MAX_GLOBAL_INDEXES: usize = 20;
/// DynamoDB's limit on non-key attributes projected (INCLUDE) across all indexes of a table.
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;
/// DynamoDB's limit on the attributes of a global secondary index's partition key, and of its
/// sort key (multi-attribute keys, since November 2025).
pub const MAX_INDEX_KEY_ATTRIBUTES: usize = 4;

/// A DynamoDB table: keys, attributes, indexes and table settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDefinition {
    /// The table name (before any stage prefix or suffix).
    pub name: String,
    /// What the table holds (from the struct's doc comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The stored name of the partition key attribute.
    pub partition_key: String,
    /// The stored name of the sort key attribute, if the table has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<String>,
    /// Every attribute, keys included, in declaration order.
    #[serde(default)]
    pub attributes: Vec<AttributeDefinition>,
    /// Global secondary indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global_secondary_indexes: Vec<GlobalSecondaryIndex>,
    /// Local secondary indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_secondary_indexes: Vec<LocalSecondaryIndex>,
    /// On-demand (the default) or provisioned capacity.
    #[serde(default, skip_serializing_if = "BillingMode::is_on_demand")]
    pub billing: BillingMode,
    /// The attribute DynamoDB's time to live reads (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_attribute: Option<String>,
    /// The stream, if enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamViewType>,
    /// Resource tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Whether the table refuses deletion.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deletion_protection: bool,
    /// The attribute holding each item's optimistic-locking version (`#[dynorm(version)]`): the
    /// tools that write items without the Rust type (`dynorm import`, the console) expect the
    /// version an item carries and store the next, as typed writes do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_attribute: Option<String>,
    /// The version of the shape the table's type stores (`#[dynorm(schema_version = N)]`):
    /// documentation only (DynamoDB knows nothing of it; infrastructure exports leave it out).
    /// Items carry it in [`SCHEMA_VERSION_ATTRIBUTE`](crate::evolve::SCHEMA_VERSION_ATTRIBUTE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
}

/// One attribute of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeDefinition {
    /// The stored attribute name.
    pub name: String,
    /// The Rust field it comes from, when it differs from the stored name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// How the value is stored.
    #[serde(rename = "type")]
    pub attribute_type: AttributeType,
    /// What the attribute means (from the field's doc comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether an item may lack it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// The default used when an item lacks it, as Rust source text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// For a composite string: the fields it is built from and the separator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composite: Option<Composite>,
}

impl AttributeDefinition {
    /// A required attribute of the given type.
    pub fn new(name: impl Into<String>, attribute_type: AttributeType) -> Self {
        Self {
            name: name.into(),
            field: None,
            attribute_type,
            description: None,
            optional: false,
            default: None,
            composite: None,
        }
    }
}

/// How a composite string is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Composite {
    /// The stored names of the parts, in order.
    pub fields: Vec<String>,
    /// What joins them.
    pub separator: String,
    /// Whether separators inside values are escaped (so every value round-trips). Da Vinci's
    /// stored form does not escape.
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    pub escaped: bool,
}

fn yes() -> bool {
    true
}

/// The type of a key attribute as DynamoDB declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// `S`, `N` or `B`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

/// How an attribute is stored: Da Vinci's attribute types, plus binary types and maps.
///
/// | type | stored as | Rust form |
/// |---|---|---|
/// | `string` | S | `String`, `&str`-like types |
/// | `number` | N | integers, floats, [`Number`](crate::Number) |
/// | `boolean` | BOOL | `bool` |
/// | `datetime` | S, ISO 8601 UTC (`2024-05-01T12:00:00Z`) | `chrono::DateTime<Utc>` |
/// | `datetime_epoch` | N, epoch seconds | `DateTime<Utc>` with `#[dynorm(epoch_seconds)]` or [`EpochSeconds`](crate::EpochSeconds) |
/// | `json` | M / L / native | [`Json<T>`](crate::Json) or `#[dynorm(json)]` |
/// | `json_string` | S, JSON text | [`JsonString<T>`](crate::JsonString) or `#[dynorm(json_string)]` |
/// | `string_list` / `number_list` | L of S / L of N | `Vec<String>`, `Vec<i64>`, ... |
/// | `json_list` / `json_string_list` | L of M / L of S | `Vec<Json<T>>`, `Vec<JsonString<T>>` |
/// | `composite_string` | S, parts joined | `#[dynorm(composite(...))]` on the struct |
/// | `string_set` / `number_set` / `binary_set` | SS / NS / BS | `BTreeSet`/`HashSet` of strings, numbers, bytes |
/// | `binary` | B | [`Bytes`](crate::Bytes), `Vec<u8>` with `#[dynorm(binary)]` |
/// | `map` | M | `HashMap<String, T>`, `BTreeMap<String, T>` |
/// | `list` | L | `Vec<T>` of other types |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributeType {
    /// UTF-8 text (S). Schema files may also write DynamoDB's letter `S` (Stelvio's form).
    #[serde(alias = "S")]
    String,
    /// A number (N). Schema files may also write `N`.
    #[serde(alias = "N")]
    Number,
    /// true or false (BOOL).
    Boolean,
    /// A UTC instant as ISO 8601 text (S).
    Datetime,
    /// A UTC instant as epoch seconds (N); what TTL needs.
    DatetimeEpoch,
    /// Any serde value stored natively (M, L, ...).
    Json,
    /// Any serde value stored as JSON text (S).
    JsonString,
    /// A list of strings (L of S).
    StringList,
    /// A list of numbers (L of N).
    NumberList,
    /// A list of JSON values stored natively (L of M).
    JsonList,
    /// A list of JSON values stored as text (L of S).
    JsonStringList,
    /// Several fields joined into one string (S).
    CompositeString,
    /// A string set (SS).
    StringSet,
    /// A number set (NS).
    NumberSet,
    /// Bytes (B). Schema files may also write `B`.
    #[serde(alias = "B")]
    Binary,
    /// A binary set (BS).
    BinarySet,
    /// A map of named values (M).
    Map,
    /// A list of values (L).
    List,
}

impl AttributeType {
    /// The key type, for the types a key attribute can have.
    pub const fn scalar_type(self) -> Option<ScalarType> {
        match self {
            AttributeType::String
            | AttributeType::Datetime
            | AttributeType::JsonString
            | AttributeType::CompositeString => Some(ScalarType::S),
            AttributeType::Number | AttributeType::DatetimeEpoch => Some(ScalarType::N),
            AttributeType::Binary => Some(ScalarType::B),
            _ => None,
        }
    }

    /// The name used in schema files and documentation (`string`, `number_set`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Number => "number",
            AttributeType::Boolean => "boolean",
            AttributeType::Datetime => "datetime",
            AttributeType::DatetimeEpoch => "datetime_epoch",
            AttributeType::Json => "json",
            AttributeType::JsonString => "json_string",
            AttributeType::StringList => "string_list",
            AttributeType::NumberList => "number_list",
            AttributeType::JsonList => "json_list",
            AttributeType::JsonStringList => "json_string_list",
            AttributeType::CompositeString => "composite_string",
            AttributeType::StringSet => "string_set",
            AttributeType::NumberSet => "number_set",
            AttributeType::Binary => "binary",
            AttributeType::BinarySet => "binary_set",
            AttributeType::Map => "map",
            AttributeType::List => "list",
        }
    }
}

/// A global secondary index.
///
/// Its partition key and sort key may each have up to [`MAX_INDEX_KEY_ATTRIBUTES`] attributes
/// (DynamoDB's multi-attribute keys): `partition_key` / `sort_key` name the first, and
/// `additional_partition_keys` / `additional_sort_keys` the others, in order. Each attribute keeps
/// its own type; an item missing any of them is not in the index. In schema files a key with
/// several attributes is a list: `partition_key = ["tenant", "region"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "GlobalIndexForm", into = "GlobalIndexForm")]
pub struct GlobalSecondaryIndex {
    /// The index name.
    pub name: String,
    /// The stored name of its partition key attribute (the first, for a multi-attribute key).
    pub partition_key: String,
    /// The stored name of its sort key attribute (the first, for a multi-attribute key).
    pub sort_key: Option<String>,
    /// The further attributes of a multi-attribute partition key, in order.
    pub additional_partition_keys: Vec<String>,
    /// The further attributes of a multi-attribute sort key, in order (only with a `sort_key`).
    pub additional_sort_keys: Vec<String>,
    /// Which attributes are copied into the index.
    pub projection: Projection,
    /// Provisioned capacity of the index (provisioned tables only).
    pub capacity: Option<Capacity>,
}

impl GlobalSecondaryIndex {
    /// An index keyed by `partition_key` (and `sort_key`), projecting every attribute.
    pub fn new(name: impl Into<String>, partition_key: impl Into<String>, sort_key: Option<String>) -> Self {
        Self {
            name: name.into(),
            partition_key: partition_key.into(),
            sort_key,
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::All,
            capacity: None,
        }
    }

    /// An index with multi-attribute keys: `partition_keys` (1 to 4) and `sort_keys` (0 to 4),
    /// in order, projecting every attribute.
    ///
    /// ```
    /// use dynorm::GlobalSecondaryIndex;
    /// let index = GlobalSecondaryIndex::multi("by_region", ["tenant", "region"], ["round", "match_id"]);
    /// assert_eq!(index.partition_keys(), ["tenant", "region"]);
    /// assert_eq!(index.sort_keys(), ["round", "match_id"]);
    /// assert!(index.is_multi_attribute());
    /// ```
    pub fn multi<P, S>(name: impl Into<String>, partition_keys: P, sort_keys: S) -> Self
    where
        P: IntoIterator,
        P::Item: Into<String>,
        S: IntoIterator,
        S::Item: Into<String>,
    {
        let mut partition = partition_keys.into_iter().map(Into::into);
        let mut sort = sort_keys.into_iter().map(Into::into);
        let mut index = Self::new(name, partition.next().unwrap_or_default(), sort.next());
        index.additional_partition_keys = partition.collect();
        index.additional_sort_keys = sort.collect();
        index
    }

    /// The attributes of the partition key, in order.
    pub fn partition_keys(&self) -> Vec<&str> {
        std::iter::once(self.partition_key.as_str())
            .chain(self.additional_partition_keys.iter().map(String::as_str))
            .collect()
    }

    /// The attributes of the sort key, in order (empty without a sort key).
    pub fn sort_keys(&self) -> Vec<&str> {
        self.sort_key
            .iter()
            .chain(&self.additional_sort_keys)
            .map(String::as_str)
            .collect()
    }

    /// Every key attribute of the index: the partition key's, then the sort key's.
    pub fn key_attributes(&self) -> Vec<&str> {
        let mut keys = self.partition_keys();
        keys.extend(self.sort_keys());
        keys
    }

    /// Whether its partition key or sort key has more than one attribute.
    pub fn is_multi_attribute(&self) -> bool {
        !self.additional_partition_keys.is_empty() || !self.additional_sort_keys.is_empty()
    }
}

/// How a global index is written in schema files and JSON: a key with one attribute is its
/// name, a key with several a list of names.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GlobalIndexForm {
    name: String,
    partition_key: KeyNames,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_key: Option<KeyNames>,
    #[serde(default)]
    projection: Projection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    capacity: Option<Capacity>,
}

/// One key attribute's name, or the names of a multi-attribute key.
struct KeyNames(Vec<String>);

impl Serialize for KeyNames {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for KeyNames {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> serde::de::Visitor<'de> for Names {
            type Value = KeyNames;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an attribute name, or a list of 1 to 4 attribute names")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<KeyNames, E> {
                Ok(KeyNames(vec![name.to_owned()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<KeyNames, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                if names.is_empty() {
                    return Err(serde::de::Error::invalid_length(0, &self));
                }
                Ok(KeyNames(names))
            }
        }
        deserializer.deserialize_any(Names)
    }
}

impl From<GlobalIndexForm> for GlobalSecondaryIndex {
    fn from(form: GlobalIndexForm) -> Self {
        let mut partition = form.partition_key.0.into_iter();
        let mut sort = form.sort_key.map(|s| s.0).unwrap_or_default().into_iter();
        Self {
            name: form.name,
            partition_key: partition.next().unwrap_or_default(),
            sort_key: sort.next(),
            additional_partition_keys: partition.collect(),
            additional_sort_keys: sort.collect(),
            projection: form.projection,
            capacity: form.capacity,
        }
    }
}

impl From<GlobalSecondaryIndex> for GlobalIndexForm {
    fn from(index: GlobalSecondaryIndex) -> Self {
        let mut partition = vec![index.partition_key];
        partition.extend(index.additional_partition_keys);
        let sort = index.sort_key.map(|first| {
            let mut sort = vec![first];
            sort.extend(index.additional_sort_keys);
            KeyNames(sort)
        });
        Self {
            name: index.name,
            partition_key: KeyNames(partition),
            sort_key: sort,
            projection: index.projection,
            capacity: index.capacity,
        }
    }
}

/// A local secondary index (same partition key, another sort key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSecondaryIndex {
    /// The index name.
    pub name: String,
    /// The stored name of its sort key attribute.
    pub sort_key: String,
    /// Which attributes are copied into the index.
    #[serde(default)]
    pub projection: Projection,
}

/// Which attributes an index holds besides the keys.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Projection {
    /// Only the table and index keys. Schema files may write `keys_only` or `keys-only`
    /// (Stelvio's form).
    #[serde(alias = "keys-only")]
    KeysOnly,
    /// Every attribute: the default when an index names no projection (as DynamoDB users most
    /// often mean; DynamoDB's own API has no default).
    #[default]
    All,
    /// The keys plus these attributes.
    Include(Vec<String>),
}

impl Projection {
    /// DynamoDB's name: `KEYS_ONLY`, `ALL` or `INCLUDE`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Projection::KeysOnly => "KEYS_ONLY",
            Projection::All => "ALL",
            Projection::Include(_) => "INCLUDE",
        }
    }
}

/// Read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Read capacity units.
    pub read: u64,
    /// Write capacity units.
    pub write: u64,
}

/// How the table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    /// Pay per request (DynamoDB's on-demand mode).
    #[default]
    OnDemand,
    /// Provisioned capacity for the table; each GSI gives its own or inherits this one.
    Provisioned(Capacity),
}

impl BillingMode {
    fn is_on_demand(&self) -> bool {
        matches!(self, BillingMode::OnDemand)
    }
}

/// What a stream record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamViewType {
    /// Only the key attributes.
    KeysOnly,
    /// The item after the change.
    NewImage,
    /// The item before the change.
    OldImage,
    /// Both.
    NewAndOldImages,
}

impl StreamViewType {
    /// DynamoDB's name, e.g. `NEW_AND_OLD_IMAGES`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamViewType::KeysOnly => "KEYS_ONLY",
            StreamViewType::NewImage => "NEW_IMAGE",
            StreamViewType::OldImage => "OLD_IMAGE",
            StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// The view type DynamoDB names `name` (`NEW_AND_OLD_IMAGES`, ...), if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::KeysOnly,
            Self::NewImage,
            Self::OldImage,
            Self::NewAndOldImages,
        ]
        .into_iter()
        .find(|v| v.as_str() == name)
    }

    /// Whether records of this view type carry the item as it is after a change.
    pub fn has_new_image(self) -> bool {
        matches!(self, Self::NewImage | Self::NewAndOldImages)
    }

    /// Whether records of this view type carry the item as it was before a change.
    pub fn has_old_image(self) -> bool {
        matches!(self, Self::OldImage | Self::NewAndOldImages)
    }
}

impl TableDefinition {
    /// A table with a partition key of the given type and nothing else.
    pub fn new(name: impl Into<String>, partition_key: impl Into<String>, key_type: AttributeType) -> Self {
        let partition_key = partition_key.into();
        Self {
            name: name.into(),
            description: None,
            attributes: vec![AttributeDefinition::new(partition_key.clone(), key_type)],
            partition_key,
            sort_key: None,
            global_secondary_indexes: Vec::new(),
            local_secondary_indexes: Vec::new(),
            billing: BillingMode::OnDemand,
            ttl_attribute: None,
            stream: None,
            tags: BTreeMap::new(),
            deletion_protection: false,
            version_attribute: None,
            schema_version: None,
        }
    }

    /// The attribute with this stored name.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDefinition> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The key type of a key attribute, if it is declared with a scalar type.
    pub fn key_type(&self, name: &str) -> Option<ScalarType> {
        self.attribute(name).and_then(|a| a.attribute_type.scalar_type())
    }

    /// Every attribute used as a key by the table or one of its indexes, each once, in a stable order.
    pub fn key_attributes(&self) -> Vec<&str> {
        let gsi_keys = self
            .global_secondary_indexes
            .iter()
            .flat_map(GlobalSecondaryIndex::key_attributes);
        let all = std::iter::once(self.partition_key.as_str())
            .chain(self.sort_key.as_deref())
            .chain(gsi_keys)
            .chain(self.local_secondary_indexes.iter().map(|l| l.sort_key.as_str()));
        let mut names: Vec<&str> = Vec::new();
        for n in all {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names
    }

    /// The global or local index with this name.
    pub fn index(&self, name: &str) -> Option<IndexRef<'_>> {
        if let Some(g) = self.global_secondary_indexes.iter().find(|g| g.name == name) {
            return Some(IndexRef::Global(g));
        }
        self.local_secondary_indexes
            .iter()
            .find(|l| l.name == name)
            .map(IndexRef::Local)
    }

    /// Checks the definition against DynamoDB's rules and reports every problem at once.
    pub fn validate(&self) -> Result<(), DefinitionErrors> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DefinitionErrors {
                table: self.name.clone(),
                problems,
            })
        }
    }

    /// Every problem with the definition (empty when it is valid).
    pub fn problems(&self) -> Vec<String> {
        // One check per rule, in the order problems are reported.
        let mut p = Vec::new();
        self.check_table_name(&mut p);
        self.check_attribute_names(&mut p);
        self.check_table_keys(&mut p);
        self.check_index_counts(&mut p);
        self.check_index_names_and_projections(&mut p);
        self.check_global_indexes(&mut p);
        self.check_local_indexes(&mut p);
        self.check_billing(&mut p);
        self.check_ttl(&mut p);
        self.check_version(&mut p);
        self.check_composites(&mut p);
        if self.schema_version == Some(0) {
            p.push("schema versions start at 1, found `schema_version = 0`".to_owned());
        }
        p
    }

    fn check_table_name(&self, p: &mut Vec<String>) {
        if !is_valid_name(&self.name) {
            p.push(format!(
                "table name `{}` must be 3-255 characters of letters, digits, `_`, `-` and `.`",
                self.name
            ));
        }
    }

    fn check_attribute_names(&self, p: &mut Vec<String>) {
        let mut seen = BTreeSet::new();
        for a in &self.attributes {
            if a.name.is_empty() {
                p.push("an attribute has an empty name".to_owned());
            } else if !seen.insert(a.name.as_str()) {
                p.push(format!("attribute `{}` is declared twice", a.name));
            }
        }
    }

    /// A key (`role`) names a declared scalar attribute, never optional in the table's keys.
    /// An index key may be optional: an item without it is not in the index (sparse).
    fn check_key(&self, p: &mut Vec<String>, role: &str, name: &str, index: bool) {
        let Some(a) = self.attribute(name) else {
            p.push(format!("{role} `{name}` is not a declared attribute"));
            return;
        };
        if a.attribute_type.scalar_type().is_none() {
            p.push(format!(
                "{role} `{name}` has type `{}`, but key attributes must be string, number or binary",
                a.attribute_type.as_str()
            ));
        }
        if a.optional && !index {
            p.push(format!(
                "{role} `{name}` is optional, but the table's key attributes are always required"
            ));
        }
    }

    fn check_table_keys(&self, p: &mut Vec<String>) {
        self.check_key(p, "partition key", &self.partition_key, false);
        if let Some(sk) = &self.sort_key {
            self.check_key(p, "sort key", sk, false);
            if sk == &self.partition_key {
                p.push(format!("sort key `{sk}` is also the partition key"));
            }
        }
    }

    fn check_index_counts(&self, p: &mut Vec<String>) {
        if self.global_secondary_indexes.len() > MAX_GLOBAL_INDEXES {
            p.push(format!(
                "{} global secondary indexes, more than DynamoDB's limit of {MAX_GLOBAL_INDEXES}",
                self.global_secondary_indexes.len()
            ));
        }
        if self.local_secondary_indexes.len() > MAX_LOCAL_INDEXES {
            p.push(format!(
                "{} local secondary indexes, more than DynamoDB's limit of {MAX_LOCAL_INDEXES}",
                self.local_secondary_indexes.len()
            ));
        }
    }

    /// Index names valid and unique; each index projects an attribute once, and all indexes
    /// together stay within DynamoDB's limit of projected attributes.
    fn check_index_names_and_projections(&self, p: &mut Vec<String>) {
        let mut index_names = BTreeSet::new();
        let mut projected = BTreeSet::new();
        let indexes = self
            .global_secondary_indexes
            .iter()
            .map(|g| (&g.name, &g.projection, "global"))
            .chain(
                self.local_secondary_indexes
                    .iter()
                    .map(|l| (&l.name, &l.projection, "local")),
            );
        for (name, projection, kind) in indexes {
            if !is_valid_name(name) {
                p.push(format!(
                    "{kind} index name `{name}` must be 3-255 characters of letters, digits, `_`, `-` and `.`"
                ));
            }
            if !index_names.insert(name.as_str()) {
                p.push(format!("index name `{name}` is used twice"));
            }
            if let Projection::Include(attrs) = projection {
                let mut local = BTreeSet::new();
                for a in attrs {
                    if !local.insert(a.as_str()) {
                        p.push(format!("index `{name}` projects `{a}` twice"));
                    }
                    projected.insert(a.as_str());
                }
            }
        }
        if projected.len() > MAX_PROJECTED_ATTRIBUTES {
            p.push(format!(
                "the indexes project {} distinct non-key attributes, more than DynamoDB's limit of {MAX_PROJECTED_ATTRIBUTES}",
                projected.len()
            ));
        }
    }

    fn check_global_indexes(&self, p: &mut Vec<String>) {
        let provisioned = matches!(self.billing, BillingMode::Provisioned(_));
        for g in &self.global_secondary_indexes {
            let role = format!("partition key of index `{}`", g.name);
            for name in g.partition_keys() {
                self.check_key(p, &role, name, true);
            }
            for name in g.sort_keys() {
                self.check_key(p, &format!("sort key of index `{}`", g.name), name, true);
            }
            check_multi_attribute_key(p, g);
            if g.capacity.is_some() && !provisioned {
                p.push(format!(
                    "index `{}` sets provisioned capacity, but the table is billed on demand",
                    g.name
                ));
            }
        }
    }

    /// Local indexes need a table sort key, and sort by another attribute than it.
    fn check_local_indexes(&self, p: &mut Vec<String>) {
        if !self.local_secondary_indexes.is_empty() && self.sort_key.is_none() {
            p.push(format!(
                "local secondary indexes ({}) need a table with a sort key",
                self.local_secondary_indexes
                    .iter()
                    .map(|l| format!("`{}`", l.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for l in &self.local_secondary_indexes {
            let role = format!("sort key of local index `{}`", l.name);
            self.check_key(p, &role, &l.sort_key, true);
            if Some(&l.sort_key) == self.sort_key.as_ref() {
                p.push(format!(
                    "local index `{}` uses the table's own sort key `{}`; it needs a different one",
                    l.name, l.sort_key
                ));
            }
        }
    }

    fn check_billing(&self, p: &mut Vec<String>) {
        if let BillingMode::Provisioned(c) = self.billing
            && (c.read == 0 || c.write == 0)
        {
            p.push("provisioned capacity must be at least 1 read and 1 write unit".to_owned());
        }
    }

    /// The TTL attribute is declared and holds epoch seconds.
    fn check_ttl(&self, p: &mut Vec<String>) {
        let Some(ttl) = &self.ttl_attribute else {
            return;
        };
        match self.attribute(ttl) {
            None => p.push(format!("TTL attribute `{ttl}` is not a declared attribute")),
            Some(a)
                if !matches!(
                    a.attribute_type,
                    AttributeType::Number | AttributeType::DatetimeEpoch
                ) =>
            {
                p.push(format!(
                    "TTL attribute `{ttl}` has type `{}`, but DynamoDB's TTL reads epoch seconds (number or datetime_epoch)",
                    a.attribute_type.as_str()
                ));
            }
            Some(_) => {}
        }
    }

    /// The version attribute is a declared number, not a key.
    fn check_version(&self, p: &mut Vec<String>) {
        let Some(version) = &self.version_attribute else {
            return;
        };
        if self.key_attributes().contains(&version.as_str()) {
            p.push(format!(
                "version attribute `{version}` is a key attribute: a version changes with every write"
            ));
        }
        match self.attribute(version) {
            None => p.push(format!(
                "version attribute `{version}` is not a declared attribute"
            )),
            Some(a) if a.attribute_type != AttributeType::Number => p.push(format!(
                "version attribute `{version}` has type `{}`, but a version is a number",
                a.attribute_type.as_str()
            )),
            Some(_) => {}
        }
    }

    fn check_composites(&self, p: &mut Vec<String>) {
        for a in &self.attributes {
            if let Some(c) = &a.composite {
                if c.fields.is_empty() {
                    p.push(format!("composite attribute `{}` names no fields", a.name));
                }
                if c.separator.is_empty() {
                    p.push(format!("composite attribute `{}` has an empty separator", a.name));
                }
            }
        }
    }
}

/// DynamoDB's rules for multi-attribute index keys: at most 4 + 4 attributes, none named twice,
/// further sort-key attributes only after a first one.
fn check_multi_attribute_key(p: &mut Vec<String>, g: &GlobalSecondaryIndex) {
    for (role, count) in [
        ("partition key", g.partition_keys().len()),
        ("sort key", g.sort_keys().len()),
    ] {
        if count > MAX_INDEX_KEY_ATTRIBUTES {
            p.push(format!(
                "{role} of index `{}` has {count} attributes, more than DynamoDB's limit of {MAX_INDEX_KEY_ATTRIBUTES}",
                g.name
            ));
        }
    }
    if g.sort_key.is_none() && !g.additional_sort_keys.is_empty() {
        p.push(format!(
            "sort key of index `{}` lists further attributes ({}) but no first one",
            g.name,
            g.additional_sort_keys.join(", ")
        ));
    }
    let mut seen = BTreeSet::new();
    for name in g.key_attributes() {
        if !seen.insert(name) {
            p.push(format!("index `{}` names key attribute `{name}` twice", g.name));
        }
    }
}

/// DynamoDB's rule for table and index names: 3-255 characters of letters, digits, `_`, `-`
/// and `.`.
fn is_valid_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A global or local secondary index.
#[derive(Debug, Clone, Copy)]
pub enum IndexRef<'a> {
    /// A global secondary index.
    Global(&'a GlobalSecondaryIndex),
    /// A local secondary index.
    Local(&'a LocalSecondaryIndex),
}

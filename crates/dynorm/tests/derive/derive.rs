//! `#[derive(Table)]` on every seed table: the definitions it generates, field by field, and the
//! items it encodes and decodes.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeZone, Utc};
use dynorm::definition::Composite;
use dynorm::{
    AttributeDefinition, AttributeType, AttributeValue, BillingMode, Capacity, DecodeError, DecodeErrorKind,
    GlobalSecondaryIndex, IndexProjection as Projection, Item, LocalSecondaryIndex, StreamViewType, Table,
    TableDefinition,
};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

fn item<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn attr(name: &str, attribute_type: AttributeType) -> AttributeDefinition {
    AttributeDefinition::new(name, attribute_type)
}

fn described(mut a: AttributeDefinition, description: &str) -> AttributeDefinition {
    a.description = Some(description.to_owned());
    a
}

fn from_field(mut a: AttributeDefinition, field: &str) -> AttributeDefinition {
    a.field = Some(field.to_owned());
    a
}

fn optional(mut a: AttributeDefinition) -> AttributeDefinition {
    a.optional = true;
    a
}

fn table(name: &str, partition_key: &str, attributes: Vec<AttributeDefinition>) -> TableDefinition {
    TableDefinition {
        name: name.to_owned(),
        description: None,
        partition_key: partition_key.to_owned(),
        sort_key: None,
        attributes,
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

fn gsi(
    name: &str,
    partition_key: &str,
    sort_key: Option<&str>,
    projection: Projection,
) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex {
        name: name.to_owned(),
        partition_key: partition_key.to_owned(),
        sort_key: sort_key.map(str::to_owned),
        additional_partition_keys: Vec::new(),
        additional_sort_keys: Vec::new(),
        projection,
        capacity: None,
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).unwrap()
}

fn decode_error(table: &str, attribute: &str, kind: DecodeErrorKind) -> DecodeError {
    DecodeError {
        table: Some(table.to_owned()),
        attribute: Some(attribute.to_owned()),
        kind,
    }
}

// ---------------------------------------------------------------------------------------------
// Da Vinci: UserTable

/// User table for storing user profiles
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users")]
struct User {
    /// Unique user identifier
    #[dynorm(partition_key)]
    user_id: String,
    /// User email address
    email: String,
    /// User full name
    name: String,
}

fn alice() -> User {
    User {
        user_id: "user-123".into(),
        email: "alice@example.com".into(),
        name: "Alice".into(),
    }
}

#[test]
fn user_definition() {
    let mut expected = table(
        "users",
        "user_id",
        vec![
            described(attr("user_id", AttributeType::String), "Unique user identifier"),
            described(attr("email", AttributeType::String), "User email address"),
            described(attr("name", AttributeType::String), "User full name"),
        ],
    );
    expected.description = Some("User table for storing user profiles".into());
    assert_eq!(*User::definition(), expected);
    User::definition().validate().unwrap();
    // Built once.
    assert!(std::ptr::eq(User::definition(), User::definition()));
}

#[test]
fn user_items() {
    let stored = item([
        ("user_id", s("user-123")),
        ("email", s("alice@example.com")),
        ("name", s("Alice")),
    ]);
    assert_eq!(alice().to_item().unwrap(), stored);
    assert_eq!(User::from_item(stored.clone()).unwrap(), alice());

    // Unknown attributes are ignored.
    let mut extra = stored.clone();
    extra.insert("other".into(), n("1"));
    assert_eq!(User::from_item(extra).unwrap(), alice());

    // A missing required attribute names the table and attribute.
    let mut missing = stored.clone();
    missing.remove("email");
    let e = User::from_item(missing).unwrap_err();
    assert_eq!(e, decode_error("users", "email", DecodeErrorKind::Missing));
    assert_eq!(
        e.to_string(),
        "cannot decode attribute `email` of table `users`: required attribute is missing"
    );

    // A wrong type names the expected and found types.
    let mut wrong = stored;
    wrong.insert("name".into(), n("7"));
    assert_eq!(
        User::from_item(wrong).unwrap_err(),
        decode_error(
            "users",
            "name",
            DecodeErrorKind::WrongType {
                expected: "S",
                found: "N"
            }
        )
    );
}

#[test]
fn user_keys() {
    let key = item([("user_id", s("user-123"))]);
    assert_eq!(User::key("user-123").into_item().unwrap(), key);
    assert_eq!(alice().key_item().unwrap(), key);
    assert_eq!(alice().key_of(), User::key(String::from("user-123")));
}

// ---------------------------------------------------------------------------------------------
// Da Vinci: UserTable with global secondary indexes, in Da Vinci's stored form

/// Users, as Da Vinci stores them.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users", compat = "da_vinci")]
#[dynorm(gsi(name = "email_index", partition_key = email))]
#[dynorm(gsi(name = "status_created_index", partition_key = "status", sort_key = created_at))]
struct IndexedUser {
    #[dynorm(partition_key)]
    user_id: String,
    email: String,
    status: String,
    created_at: DateTime<Utc>,
    /// Da Vinci writes an absent optional string as "None".
    nickname: Option<String>,
    last_login: Option<DateTime<Utc>>,
}

#[test]
fn da_vinci_user_definition() {
    let mut expected = table(
        "users",
        "UserId",
        vec![
            from_field(attr("UserId", AttributeType::String), "user_id"),
            from_field(attr("Email", AttributeType::String), "email"),
            from_field(attr("Status", AttributeType::String), "status"),
            from_field(attr("CreatedAt", AttributeType::DatetimeEpoch), "created_at"),
            described(
                optional(from_field(attr("Nickname", AttributeType::String), "nickname")),
                "Da Vinci writes an absent optional string as \"None\".",
            ),
            optional(from_field(
                attr("LastLogin", AttributeType::DatetimeEpoch),
                "last_login",
            )),
        ],
    );
    expected.description = Some("Users, as Da Vinci stores them.".into());
    expected.global_secondary_indexes = vec![
        gsi("email_index", "Email", None, Projection::All),
        gsi(
            "status_created_index",
            "Status",
            Some("CreatedAt"),
            Projection::All,
        ),
    ];
    assert_eq!(*IndexedUser::definition(), expected);
    IndexedUser::definition().validate().unwrap();
}

#[test]
fn da_vinci_user_items() {
    let user = IndexedUser {
        user_id: "user-123".into(),
        email: "alice@example.com".into(),
        status: "active".into(),
        created_at: at(1_700_000_000),
        nickname: None,
        last_login: None,
    };
    let stored = item([
        ("UserId", s("user-123")),
        ("Email", s("alice@example.com")),
        ("Status", s("active")),
        ("CreatedAt", n("1700000000.0")),
        ("Nickname", s("None")),
        ("LastLogin", n("0")),
    ]);
    assert_eq!(user.to_item().unwrap(), stored);
    assert_eq!(IndexedUser::from_item(stored).unwrap(), user);

    let user = IndexedUser {
        nickname: Some("Al".into()),
        last_login: Some(at(1_700_000_100)),
        ..user
    };
    let stored = user.to_item().unwrap();
    assert_eq!(stored["Nickname"], s("Al"));
    assert_eq!(stored["LastLogin"], n("1700000100.0"));
    assert_eq!(IndexedUser::from_item(stored.clone()).unwrap(), user);

    // Items written without the optional attributes read as `None`.
    let mut sparse = stored;
    sparse.remove("Nickname");
    sparse.remove("LastLogin");
    let read = IndexedUser::from_item(sparse).unwrap();
    assert_eq!((read.nickname, read.last_login), (None, None));

    assert_eq!(
        IndexedUser::key("user-123").into_item().unwrap(),
        item([("UserId", s("user-123"))])
    );
}

// ---------------------------------------------------------------------------------------------
// Da Vinci: ProductTable (various types)

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Metadata {
    color: String,
    sizes: Vec<u32>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "products")]
struct Product {
    #[dynorm(partition_key)]
    product_id: String,
    price: f64,
    in_stock: bool,
    tags: Vec<String>,
    #[dynorm(json_string)]
    metadata: Metadata,
    created_at: DateTime<Utc>,
}

fn product() -> Product {
    Product {
        product_id: "p-1".into(),
        price: 19.99,
        in_stock: true,
        tags: vec!["new".into(), "sale".into()],
        metadata: Metadata {
            color: "red".into(),
            sizes: vec![38, 40],
        },
        created_at: at(1_714_564_800),
    }
}

#[test]
fn product_definition() {
    let expected = table(
        "products",
        "product_id",
        vec![
            attr("product_id", AttributeType::String),
            attr("price", AttributeType::Number),
            attr("in_stock", AttributeType::Boolean),
            attr("tags", AttributeType::StringList),
            attr("metadata", AttributeType::JsonString),
            attr("created_at", AttributeType::Datetime),
        ],
    );
    assert_eq!(*Product::definition(), expected);
    Product::definition().validate().unwrap();
}

#[test]
fn product_items() {
    let stored = item([
        ("product_id", s("p-1")),
        ("price", n("19.99")),
        ("in_stock", AttributeValue::Bool(true)),
        ("tags", AttributeValue::L(vec![s("new"), s("sale")])),
        ("metadata", s(r#"{"color":"red","sizes":[38,40]}"#)),
        ("created_at", s("2024-05-01T12:00:00Z")),
    ]);
    assert_eq!(product().to_item().unwrap(), stored);
    assert_eq!(Product::from_item(stored.clone()).unwrap(), product());

    // An absent list reads as empty; a missing codec attribute is an error.
    let mut sparse = stored.clone();
    sparse.remove("tags");
    assert_eq!(Product::from_item(sparse).unwrap().tags, Vec::<String>::new());
    let mut missing = stored.clone();
    missing.remove("metadata");
    assert_eq!(
        Product::from_item(missing).unwrap_err(),
        decode_error("products", "metadata", DecodeErrorKind::Missing)
    );

    // Errors inside a value keep their path under the attribute.
    let mut wrong = stored;
    wrong.insert("tags".into(), AttributeValue::L(vec![s("a"), n("1")]));
    let e = Product::from_item(wrong).unwrap_err();
    assert_eq!(e.attribute.as_deref(), Some("tags[1]"));
    assert_eq!(e.table.as_deref(), Some("products"));

    // Encoding errors name the attribute too.
    let nan = Product {
        price: f64::NAN,
        ..product()
    };
    let e = nan.to_item().unwrap_err();
    assert_eq!(
        (e.table.as_deref(), e.attribute.as_deref()),
        (Some("products"), Some("price"))
    );
}

// ---------------------------------------------------------------------------------------------
// Da Vinci: OrderItemTable (composite key)

/// Order lines, keyed by order and user.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "order_items")]
#[dynorm(composite(
    name = "composite_key",
    fields(order_id, user_id),
    separator = "#",
    partition_key
))]
struct OrderItem {
    order_id: String,
    user_id: String,
    #[dynorm(sort_key)]
    item_id: String,
    quantity: u32,
}

#[test]
fn order_item_definition() {
    let mut expected = table(
        "order_items",
        "composite_key",
        vec![
            AttributeDefinition {
                composite: Some(Composite {
                    fields: vec!["order_id".into(), "user_id".into()],
                    separator: "#".into(),
                    escaped: true,
                }),
                ..attr("composite_key", AttributeType::CompositeString)
            },
            attr("item_id", AttributeType::String),
            attr("quantity", AttributeType::Number),
        ],
    );
    expected.description = Some("Order lines, keyed by order and user.".into());
    expected.sort_key = Some("item_id".into());
    assert_eq!(*OrderItem::definition(), expected);
    OrderItem::definition().validate().unwrap();
}

#[test]
fn order_item_items() {
    let line = OrderItem {
        order_id: "order-123".into(),
        user_id: "user-456".into(),
        item_id: "item-789".into(),
        quantity: 2,
    };
    let stored = item([
        ("composite_key", s("order-123#user-456")),
        ("item_id", s("item-789")),
        ("quantity", n("2")),
    ]);
    assert_eq!(line.to_item().unwrap(), stored);
    assert_eq!(OrderItem::from_item(stored).unwrap(), line);

    let key = item([
        ("composite_key", s("order-123#user-456")),
        ("item_id", s("item-789")),
    ]);
    assert_eq!(
        OrderItem::key("order-123", "user-456", "item-789")
            .into_item()
            .unwrap(),
        key
    );
    assert_eq!(line.key_item().unwrap(), key);
}

#[test]
fn composite_round_trips_values_containing_the_separator() {
    for (order_id, user_id) in [
        ("a#b", "c"),
        ("#", "#"),
        ("", ""),
        ("back\\slash#", "\\#\\"),
        ("ünï#cødé", "##"),
    ] {
        let line = OrderItem {
            order_id: order_id.into(),
            user_id: user_id.into(),
            item_id: "i".into(),
            quantity: 1,
        };
        let stored = line.to_item().unwrap();
        assert_eq!(OrderItem::from_item(stored.clone()).unwrap(), line, "{stored:?}");
        assert_eq!(
            OrderItem::key(order_id, user_id, "i").into_item().unwrap()["composite_key"],
            stored["composite_key"]
        );
    }
}

#[tokio::test]
async fn a_composite_partition_is_queried_from_its_parts() {
    let client = dynorm::testing::client().await.expect("test client");
    let lines = client.table::<OrderItem>();
    lines.create().await.unwrap();
    for (order_id, item_id) in [("o#1", "a"), ("o#1", "b"), ("o", "c")] {
        let line = OrderItem {
            order_id: order_id.into(),
            user_id: "u".into(),
            item_id: item_id.into(),
            quantity: 1,
        };
        lines.put(&line).await.unwrap();
    }
    // No hand-joined (and escaped) `o\#1#u`: the parts, encoded as the item stores them.
    let found = lines
        .query_partition(OrderItem::partition("o#1", "u"))
        .all()
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|l| l.item_id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        OrderItem::partition("o#1", "u")
            .attribute_value()
            .unwrap()
            .cloned(),
        Some(OrderItem::key("o#1", "u", "a").into_item().unwrap()["composite_key"].clone())
    );
}

#[test]
fn composite_errors() {
    let mut wrong = item([
        ("composite_key", n("1")),
        ("item_id", s("i")),
        ("quantity", n("1")),
    ]);
    assert_eq!(
        OrderItem::from_item(wrong.clone()).unwrap_err(),
        decode_error(
            "order_items",
            "composite_key",
            DecodeErrorKind::WrongType {
                expected: "S",
                found: "N"
            }
        )
    );
    wrong.insert("composite_key".into(), s("no-separator"));
    let e = OrderItem::from_item(wrong.clone()).unwrap_err();
    assert_eq!(
        (e.table.as_deref(), e.attribute.as_deref()),
        (Some("order_items"), Some("composite_key"))
    );
    wrong.remove("composite_key");
    assert_eq!(
        OrderItem::from_item(wrong).unwrap_err(),
        decode_error("order_items", "composite_key", DecodeErrorKind::Missing)
    );
}

/// The same table in Da Vinci's stored form: PascalCase names, parts joined with `-` unescaped.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "order_items", compat = "da_vinci")]
#[dynorm(composite(name = "composite_key", fields(order_id, user_id), partition_key))]
struct DaVinciOrderItem {
    order_id: String,
    user_id: u64,
    #[dynorm(sort_key)]
    item_id: String,
    quantity: i64,
}

#[test]
fn da_vinci_order_item() {
    let def = DaVinciOrderItem::definition();
    assert_eq!(def.partition_key, "CompositeKey");
    assert_eq!(def.sort_key.as_deref(), Some("ItemId"));
    assert_eq!(
        def.attributes[0].composite,
        Some(Composite {
            fields: vec!["OrderId".into(), "UserId".into()],
            separator: "-".into(),
            escaped: false,
        })
    );
    def.validate().unwrap();

    let line = DaVinciOrderItem {
        order_id: "order123".into(),
        user_id: 456,
        item_id: "item-789".into(),
        quantity: 2,
    };
    let stored = item([
        ("CompositeKey", s("order123-456")),
        ("ItemId", s("item-789")),
        ("Quantity", n("2")),
    ]);
    assert_eq!(line.to_item().unwrap(), stored);
    assert_eq!(DaVinciOrderItem::from_item(stored).unwrap(), line);
    assert_eq!(
        DaVinciOrderItem::key("order123", 456_u64, "item-789")
            .into_item()
            .unwrap(),
        item([("CompositeKey", s("order123-456")), ("ItemId", s("item-789"))])
    );

    // A number part that does not parse names the composite and the part.
    let bad = item([
        ("CompositeKey", s("order123-x")),
        ("ItemId", s("i")),
        ("Quantity", n("1")),
    ]);
    let e = DaVinciOrderItem::from_item(bad).unwrap_err();
    assert_eq!(e.table.as_deref(), Some("order_items"));
    assert_eq!(e.attribute.as_deref(), Some("CompositeKey.user_id"));
}

// ---------------------------------------------------------------------------------------------
// Da Vinci: EventTable (local secondary index)

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "events")]
#[dynorm(lsi(name = "user_timestamp_index", sort_key = timestamp))]
struct Event {
    #[dynorm(partition_key)]
    user_id: String,
    #[dynorm(sort_key)]
    event_id: String,
    timestamp: DateTime<Utc>,
}

#[test]
fn event_definition_and_items() {
    let mut expected = table(
        "events",
        "user_id",
        vec![
            attr("user_id", AttributeType::String),
            attr("event_id", AttributeType::String),
            attr("timestamp", AttributeType::Datetime),
        ],
    );
    expected.sort_key = Some("event_id".into());
    expected.local_secondary_indexes = vec![LocalSecondaryIndex {
        name: "user_timestamp_index".into(),
        sort_key: "timestamp".into(),
        projection: Projection::All,
    }];
    assert_eq!(*Event::definition(), expected);
    Event::definition().validate().unwrap();

    let event = Event {
        user_id: "u".into(),
        event_id: "e".into(),
        timestamp: at(1_714_564_800),
    };
    let stored = item([
        ("user_id", s("u")),
        ("event_id", s("e")),
        ("timestamp", s("2024-05-01T12:00:00Z")),
    ]);
    assert_eq!(event.to_item().unwrap(), stored);
    assert_eq!(Event::from_item(stored).unwrap(), event);
    assert_eq!(
        Event::key("u", "e").into_item().unwrap(),
        item([("user_id", s("u")), ("event_id", s("e"))])
    );
}

// ---------------------------------------------------------------------------------------------
// Da Vinci: ConfigTable (defaults, optional)

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "config")]
struct Config {
    #[dynorm(partition_key)]
    key: String,
    value: String,
    #[dynorm(default = true)]
    enabled: bool,
    description: Option<String>,
    #[dynorm(default)]
    retries: u8,
}

#[test]
fn config_definition() {
    let expected = table(
        "config",
        "key",
        vec![
            attr("key", AttributeType::String),
            attr("value", AttributeType::String),
            AttributeDefinition {
                optional: true,
                default: Some("true".into()),
                ..attr("enabled", AttributeType::Boolean)
            },
            optional(attr("description", AttributeType::String)),
            AttributeDefinition {
                optional: true,
                default: Some("Default::default()".into()),
                ..attr("retries", AttributeType::Number)
            },
        ],
    );
    assert_eq!(*Config::definition(), expected);
    Config::definition().validate().unwrap();
}

#[test]
fn config_items() {
    // Absent attributes take their defaults; absent options read as `None`.
    let read = Config::from_item(item([("key", s("k")), ("value", s("v"))])).unwrap();
    assert_eq!(
        read,
        Config {
            key: "k".into(),
            value: "v".into(),
            enabled: true,
            description: None,
            retries: 0,
        }
    );
    // `None` is left out of the item; explicit falsy values are kept.
    let off = Config {
        enabled: false,
        ..read
    };
    let stored = item([
        ("key", s("k")),
        ("value", s("v")),
        ("enabled", AttributeValue::Bool(false)),
        ("retries", n("0")),
    ]);
    assert_eq!(off.to_item().unwrap(), stored);
    assert_eq!(Config::from_item(stored).unwrap(), off);

    let described = Config {
        description: Some("d".into()),
        ..off
    };
    let stored = described.to_item().unwrap();
    assert_eq!(stored["description"], s("d"));
    assert_eq!(Config::from_item(stored).unwrap(), described);

    // NULL reads as `None`; a default does not hide a wrong type.
    let read = Config::from_item(item([
        ("key", s("k")),
        ("value", s("v")),
        ("description", AttributeValue::Null(true)),
    ]))
    .unwrap();
    assert_eq!(read.description, None);
    assert_eq!(
        Config::from_item(item([("key", s("k")), ("value", s("v")), ("enabled", s("yes"))])).unwrap_err(),
        decode_error(
            "config",
            "enabled",
            DecodeErrorKind::WrongType {
                expected: "BOOL",
                found: "S"
            }
        )
    );
    assert_eq!(Config::key("k").into_item().unwrap(), item([("key", s("k"))]));
}

// ---------------------------------------------------------------------------------------------
// Da Vinci: SecureTable (custom exporter / importer)

/// A reversible stand-in for encryption (the quickstart uses AES-GCM).
mod rot13 {
    use dynorm::{AttributeType, AttributeValue, DecodeError, EncodeError};

    pub(crate) const ATTRIBUTE_TYPE: AttributeType = AttributeType::String;

    fn rotate(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
                'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
                _ => c,
            })
            .collect()
    }

    pub(crate) fn encode(value: &str) -> Result<Option<AttributeValue>, EncodeError> {
        if value.contains('\0') {
            return Err(EncodeError::new("NUL cannot be encrypted"));
        }
        Ok(Some(AttributeValue::S(rotate(value))))
    }

    pub(crate) fn decode(value: AttributeValue) -> Result<String, DecodeError> {
        match value {
            AttributeValue::S(text) => Ok(rotate(&text)),
            other => Err(DecodeError::wrong_type("S", &other)),
        }
    }
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "secure_data")]
struct Secure {
    #[dynorm(partition_key)]
    id: String,
    /// Encrypted at rest.
    #[dynorm(with = rot13)]
    sensitive_data: String,
    #[dynorm(with = "rot13")]
    note: Option<String>,
    #[dynorm(with = rot13, default = String::from("none"))]
    hint: String,
}

#[test]
fn secure_definition_and_items() {
    let expected = table(
        "secure_data",
        "id",
        vec![
            attr("id", AttributeType::String),
            described(
                attr("sensitive_data", AttributeType::String),
                "Encrypted at rest.",
            ),
            optional(attr("note", AttributeType::String)),
            AttributeDefinition {
                optional: true,
                default: Some("String::from(\"none\")".into()),
                ..attr("hint", AttributeType::String)
            },
        ],
    );
    assert_eq!(*Secure::definition(), expected);

    let secret = Secure {
        id: "1".into(),
        sensitive_data: "Hello".into(),
        note: None,
        hint: "abc".into(),
    };
    let stored = item([("id", s("1")), ("sensitive_data", s("Uryyb")), ("hint", s("nop"))]);
    assert_eq!(secret.to_item().unwrap(), stored);
    assert_eq!(Secure::from_item(stored).unwrap(), secret);

    let noted = Secure {
        note: Some("n".into()),
        ..secret.clone()
    };
    let stored = noted.to_item().unwrap();
    assert_eq!(stored["note"], s("a"));
    assert_eq!(Secure::from_item(stored).unwrap(), noted);

    // Missing: required is an error, optional is `None`, a default applies.
    let read = Secure::from_item(item([
        ("id", s("1")),
        ("sensitive_data", s("Uryyb")),
        ("note", AttributeValue::Null(true)),
    ]))
    .unwrap();
    assert_eq!((read.note, read.hint.as_str()), (None, "none"));
    assert_eq!(
        Secure::from_item(item([("id", s("1"))])).unwrap_err(),
        decode_error("secure_data", "sensitive_data", DecodeErrorKind::Missing)
    );
    let e = Secure::from_item(item([("id", s("1")), ("sensitive_data", n("1"))])).unwrap_err();
    assert_eq!(
        e,
        decode_error(
            "secure_data",
            "sensitive_data",
            DecodeErrorKind::WrongType {
                expected: "S",
                found: "N"
            }
        )
    );

    // The codec's encoding errors get the table and attribute.
    let bad = Secure {
        sensitive_data: "\0".into(),
        ..secret
    };
    let e = bad.to_item().unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot encode attribute `sensitive_data` of table `secure_data`: NUL cannot be encrypted"
    );
}

// ---------------------------------------------------------------------------------------------
// Stelvio: orders with local and global indexes and projections

/// Customer orders.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "orders")]
#[dynorm(lsi(name = "status-index", sort_key = status, projection(include(total))))]
#[dynorm(lsi(name = "status-keys-index", sort_key = status, projection = "keys_only"))]
#[dynorm(gsi(name = "status-total-index", partition_key = status, sort_key = total, projection = "all"))]
#[dynorm(gsi(name = "total-index", partition_key = total, projection = keys_only))]
#[dynorm(gsi(name = "status-only-index", partition_key = status, projection(include(total, customer_id))))]
#[dynorm(billing(provisioned(read = 5, write = 2)))]
#[dynorm(gsi(name = "capacity-index", partition_key = order_date, read = 1, write = 1))]
#[dynorm(stream = "new_and_old_images", deletion_protection)]
#[dynorm(tag(key = "team", value = "orders"), tag(key = "env", value = "test"))]
struct Order {
    #[dynorm(partition_key)]
    customer_id: String,
    #[dynorm(sort_key)]
    order_date: String,
    status: String,
    total: dynorm::Number,
}

#[test]
fn stelvio_orders_definition() {
    let mut expected = table(
        "orders",
        "customer_id",
        vec![
            attr("customer_id", AttributeType::String),
            attr("order_date", AttributeType::String),
            attr("status", AttributeType::String),
            attr("total", AttributeType::Number),
        ],
    );
    expected.description = Some("Customer orders.".into());
    expected.sort_key = Some("order_date".into());
    expected.local_secondary_indexes = vec![
        LocalSecondaryIndex {
            name: "status-index".into(),
            sort_key: "status".into(),
            projection: Projection::Include(vec!["total".into()]),
        },
        LocalSecondaryIndex {
            name: "status-keys-index".into(),
            sort_key: "status".into(),
            projection: Projection::KeysOnly,
        },
    ];
    expected.global_secondary_indexes = vec![
        gsi("status-total-index", "status", Some("total"), Projection::All),
        gsi("total-index", "total", None, Projection::KeysOnly),
        gsi(
            "status-only-index",
            "status",
            None,
            Projection::Include(vec!["total".into(), "customer_id".into()]),
        ),
        GlobalSecondaryIndex {
            capacity: Some(Capacity { read: 1, write: 1 }),
            ..gsi("capacity-index", "order_date", None, Projection::All)
        },
    ];
    expected.billing = BillingMode::Provisioned(Capacity { read: 5, write: 2 });
    expected.stream = Some(StreamViewType::NewAndOldImages);
    expected.deletion_protection = true;
    expected.tags = BTreeMap::from([
        ("team".to_owned(), "orders".to_owned()),
        ("env".to_owned(), "test".to_owned()),
    ]);
    assert_eq!(*Order::definition(), expected);
    Order::definition().validate().unwrap();

    let order = Order {
        customer_id: "c".into(),
        order_date: "2024-05-01".into(),
        status: "open".into(),
        total: "12.50".parse().unwrap(),
    };
    let stored = order.to_item().unwrap();
    assert_eq!(stored.len(), 4);
    assert_eq!(stored["customer_id"], s("c"));
    assert_eq!(Order::from_item(stored).unwrap(), order);
}

// ---------------------------------------------------------------------------------------------
// dynamo_query: UserTable with GSIs

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "my_table")]
#[dynorm(gsi(name = "gsi_name", partition_key = name))]
#[dynorm(gsi(name = "gsi_email_age", partition_key = email, sort_key = age))]
struct UserRecord {
    #[dynorm(partition_key)]
    pk: String,
    email: String,
    name: String,
    age: i32,
    points: Option<i64>,
}

#[test]
fn dynamo_query_user_table() {
    let mut expected = table(
        "my_table",
        "pk",
        vec![
            attr("pk", AttributeType::String),
            attr("email", AttributeType::String),
            attr("name", AttributeType::String),
            attr("age", AttributeType::Number),
            optional(attr("points", AttributeType::Number)),
        ],
    );
    expected.global_secondary_indexes = vec![
        gsi("gsi_name", "name", None, Projection::All),
        gsi("gsi_email_age", "email", Some("age"), Projection::All),
    ];
    assert_eq!(*UserRecord::definition(), expected);
    UserRecord::definition().validate().unwrap();

    let record = UserRecord {
        pk: "puppy@gmail.com".into(),
        email: "puppy@gmail.com".into(),
        name: "Doge Barky".into(),
        age: 20,
        points: Some(-3),
    };
    let stored = item([
        ("pk", s("puppy@gmail.com")),
        ("email", s("puppy@gmail.com")),
        ("name", s("Doge Barky")),
        ("age", n("20")),
        ("points", n("-3")),
    ]);
    assert_eq!(record.to_item().unwrap(), stored);
    assert_eq!(UserRecord::from_item(stored).unwrap(), record);
    assert_eq!(
        UserRecord::key("puppy@gmail.com").into_item().unwrap(),
        item([("pk", s("puppy@gmail.com"))])
    );
}

// ---------------------------------------------------------------------------------------------
// Renames, skip, TTL, shorthands

/// A session.
///
/// Expires on its own.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "sessions", rename_all = "camelCase", ttl = expires_at)]
#[dynorm(description = "Sessions of signed-in users")]
struct Session {
    /// The session's
    /// identifier.
    #[dynorm(partition_key, rename = "SID")]
    session_id: String,
    #[dynorm(sort_key)]
    started_at: i64,
    #[dynorm(epoch_seconds)]
    expires_at: DateTime<Utc>,
    #[dynorm(json)]
    claims: HashMap<String, serde_json::Value>,
    #[dynorm(string_set)]
    roles: Vec<String>,
    #[dynorm(number_set)]
    scores: Vec<i32>,
    #[dynorm(binary)]
    token: Vec<u8>,
    #[dynorm(skip)]
    cache: Vec<u8>,
    #[dynorm(skip, default = 7)]
    hits: u32,
    r#type: String,
}

#[test]
fn renames_skip_ttl_and_shorthands() {
    let def = Session::definition();
    assert_eq!(def.description.as_deref(), Some("Sessions of signed-in users"));
    assert_eq!(def.partition_key, "SID");
    assert_eq!(def.sort_key.as_deref(), Some("startedAt"));
    assert_eq!(def.ttl_attribute.as_deref(), Some("expiresAt"));
    let names: Vec<(&str, Option<&str>, AttributeType)> = def
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.field.as_deref(), a.attribute_type))
        .collect();
    assert_eq!(
        names,
        [
            ("SID", Some("session_id"), AttributeType::String),
            ("startedAt", Some("started_at"), AttributeType::Number),
            ("expiresAt", Some("expires_at"), AttributeType::DatetimeEpoch),
            ("claims", None, AttributeType::Json),
            ("roles", None, AttributeType::StringSet),
            ("scores", None, AttributeType::NumberSet),
            ("token", None, AttributeType::Binary),
            ("type", None, AttributeType::String),
        ]
    );
    assert_eq!(
        def.attributes[0].description.as_deref(),
        Some("The session's identifier.")
    );
    def.validate().unwrap();

    let session = Session {
        session_id: "s".into(),
        started_at: 1,
        expires_at: at(1_700_000_000),
        claims: HashMap::from([("admin".to_owned(), serde_json::json!(true))]),
        roles: vec!["a".into()],
        scores: vec![],
        token: vec![1, 2],
        cache: vec![9],
        hits: 1,
        r#type: "web".into(),
    };
    let stored = session.to_item().unwrap();
    assert_eq!(
        stored,
        item([
            ("SID", s("s")),
            ("startedAt", n("1")),
            ("expiresAt", n("1700000000")),
            (
                "claims",
                AttributeValue::M(HashMap::from([("admin".to_owned(), AttributeValue::Bool(true))]))
            ),
            ("roles", AttributeValue::Ss(vec!["a".into()])),
            ("token", AttributeValue::B(vec![1, 2].into())),
            ("type", s("web")),
        ])
    );
    let read = Session::from_item(stored).unwrap();
    assert_eq!(
        read,
        Session {
            cache: vec![],
            hits: 7,
            ..session
        }
    );
    assert_eq!(
        Session::key("s", 1).into_item().unwrap(),
        item([("SID", s("s")), ("startedAt", n("1"))])
    );
}

#[test]
fn field_level_ttl_and_number_key() {
    #[derive(Table, Debug, PartialEq)]
    #[dynorm(table = "counters", rename_all = "SCREAMING_SNAKE_CASE")]
    struct Counter {
        #[dynorm(partition_key)]
        counter_id: u64,
        #[dynorm(ttl)]
        expires: i64,
    }
    let def = Counter::definition();
    assert_eq!(def.partition_key, "COUNTER_ID");
    assert_eq!(def.ttl_attribute.as_deref(), Some("EXPIRES"));
    def.validate().unwrap();
    assert_eq!(
        Counter::key(u64::MAX).into_item().unwrap(),
        item([("COUNTER_ID", n("18446744073709551615"))])
    );
    let c = Counter {
        counter_id: 3,
        expires: i64::MIN,
    };
    assert_eq!(Counter::from_item(c.to_item().unwrap()).unwrap(), c);
}

#[test]
fn decoding_never_panics_on_odd_items() {
    let odd = [
        Item::new(),
        item([("composite_key", s("\\"))]),
        item([
            ("composite_key", s("a#b#c")),
            ("item_id", s("i")),
            ("quantity", n("1")),
        ]),
        item([
            ("composite_key", s("a#b")),
            ("item_id", s("i")),
            ("quantity", n("-1")),
        ]),
        item([
            ("composite_key", s("a#b")),
            ("item_id", s("i")),
            ("quantity", n("1e400")),
        ]),
        item([("composite_key", AttributeValue::Null(true))]),
    ];
    for it in odd {
        assert!(OrderItem::from_item(it.clone()).is_err(), "{it:?}");
        let _ = Session::from_item(it.clone());
        let _ = IndexedUser::from_item(it.clone());
        let _ = Config::from_item(it);
    }
}

// ---------------------------------------------------------------------------------------------
// Hygiene: field names and names in scope that the generated code must not trip over

mod shadowing {
    #![allow(dead_code)]

    // Names the generated code could clash with.
    type Result<T> = std::result::Result<T, ()>;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Vec;
    struct Item;
    fn put() {}
    fn take() {}
    fn decoded() {}
    fn __dynorm_key_item() {}

    fn fallback() -> std::string::String {
        "fallback".to_owned()
    }

    #[derive(dynorm::Table, Debug, PartialEq)]
    #[dynorm(table = "hygiene")]
    #[dynorm(composite(name = "pair", fields(value, inner), sort_key))]
    pub(super) struct Hygiene {
        #[dynorm(partition_key)]
        pub(super) item: std::string::String,
        pub(super) value: std::string::String,
        pub(super) inner: u8,
        #[dynorm(default = fallback())]
        pub(super) part0: std::string::String,
        pub(super) e: std::option::Option<std::string::String>,
        pub(super) v: std::vec::Vec<std::string::String>,
    }
}

#[test]
fn generated_code_is_hygienic() {
    use shadowing::Hygiene;
    let h = Hygiene {
        item: "i".into(),
        value: "v#".into(),
        inner: 7,
        part0: "p".into(),
        e: None,
        v: vec![],
    };
    let stored = h.to_item().unwrap();
    assert_eq!(
        stored,
        item([
            ("item", s("i")),
            ("pair", s("v\\##7")),
            ("part0", s("p")),
            ("v", AttributeValue::L(vec![])),
        ])
    );
    assert_eq!(Hygiene::from_item(stored).unwrap(), h);
    let read = Hygiene::from_item(item([("item", s("i")), ("pair", s("a#1"))])).unwrap();
    assert_eq!(read.part0, "fallback");
    assert_eq!(
        Hygiene::key("i", "v#", 7_u8).into_item().unwrap(),
        item([("item", s("i")), ("pair", s("v\\##7"))])
    );
}

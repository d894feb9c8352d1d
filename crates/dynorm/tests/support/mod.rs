//! A small table type implementing `Table` by hand, so these tests do not depend on the derive.
#![allow(dead_code, unreachable_pub)]

use std::sync::OnceLock;

use dynorm::{
    AttributeDefinition, AttributeType, AttributeValue, DecodeError, EncodeError, Item, Key, Table,
    TableDefinition,
};

/// A user: partition key `id`, a name and an age.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub age: i64,
}

impl User {
    pub fn new(id: &str, name: &str, age: i64) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            age,
        }
    }

    pub fn key(id: &str) -> Key<User> {
        Key::from_item(Item::from([("id".to_owned(), AttributeValue::S(id.to_owned()))]))
    }
}

pub fn users_definition() -> TableDefinition {
    let mut d = TableDefinition::new("users", "id", AttributeType::String);
    d.attributes
        .push(AttributeDefinition::new("name", AttributeType::String));
    d.attributes
        .push(AttributeDefinition::new("age", AttributeType::Number));
    d
}

impl Table for User {
    fn definition() -> &'static TableDefinition {
        static D: OnceLock<TableDefinition> = OnceLock::new();
        D.get_or_init(users_definition)
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        Ok(Item::from([
            ("id".to_owned(), AttributeValue::S(self.id.clone())),
            ("name".to_owned(), AttributeValue::S(self.name.clone())),
            ("age".to_owned(), AttributeValue::N(self.age.to_string())),
        ]))
    }

    fn from_item(mut item: Item) -> Result<Self, DecodeError> {
        let mut string = |name: &str| match item.remove(name) {
            Some(AttributeValue::S(s)) => Ok(s),
            Some(other) => Err(DecodeError::wrong_type("S", &other).at("users", name)),
            None => Err(DecodeError::missing().at("users", name)),
        };
        let id = string("id")?;
        let name = string("name")?;
        let age = match item.remove("age") {
            Some(AttributeValue::N(n)) => n
                .parse()
                .map_err(|_| DecodeError::invalid("an i64", &n).at("users", "age"))?,
            Some(other) => return Err(DecodeError::wrong_type("N", &other).at("users", "age")),
            None => return Err(DecodeError::missing().at("users", "age")),
        };
        Ok(Self { id, name, age })
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        Ok(Item::from([(
            "id".to_owned(),
            AttributeValue::S(self.id.clone()),
        )]))
    }
}

/// Same table name, but a numeric `id`: writing one to `users` breaks its key schema.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericUser {
    pub id: i64,
}

impl Table for NumericUser {
    fn definition() -> &'static TableDefinition {
        static D: OnceLock<TableDefinition> = OnceLock::new();
        D.get_or_init(|| TableDefinition::new("numeric_users", "id", AttributeType::Number))
    }

    fn to_item(&self) -> Result<Item, EncodeError> {
        self.key_item()
    }

    fn from_item(mut item: Item) -> Result<Self, DecodeError> {
        match item.remove("id") {
            Some(AttributeValue::N(n)) => Ok(Self {
                id: n.parse().map_err(|_| DecodeError::invalid("an i64", &n))?,
            }),
            Some(other) => Err(DecodeError::wrong_type("N", &other)),
            None => Err(DecodeError::missing()),
        }
    }

    fn key_item(&self) -> Result<Item, EncodeError> {
        Ok(Item::from([(
            "id".to_owned(),
            AttributeValue::N(self.id.to_string()),
        )]))
    }
}

/// The two clients every engine test runs on: the embedded engine called directly, and the
/// remote code path (SDK fluent builders) against the embedded engine's in-process SDK client.
pub fn both_paths(embedded: &dynorm::Client) -> [(&'static str, dynorm::Client); 2] {
    [
        ("direct", embedded.clone()),
        (
            "sdk",
            dynorm::Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone()),
        ),
    ]
}

/// `client` through the SDK's fluent builders: on the embedded engine a client of its in-process
/// SDK client; a client of an endpoint (endpoint mode) already takes that route, and is returned
/// as it is so that it keeps its test tables (they go when the test client is dropped).
pub fn through_sdk(client: dynorm::Client) -> dynorm::Client {
    if client.is_embedded() {
        dynorm::Client::from_sdk(client.sdk().clone()).with_table_names(client.table_names().clone())
    } else {
        client
    }
}

/// The item stored under `key`, exactly as DynamoDB holds it (a raw GetItem).
pub async fn raw_item<T: Table>(client: &dynorm::Client, key: Key<T>) -> Item {
    let got = client
        .sdk()
        .get_item()
        .table_name(client.physical_table_name(&T::definition().name))
        .set_key(Some(key.into_item().unwrap().into_iter().collect()))
        .send()
        .await
        .unwrap();
    got.item.unwrap().into_iter().collect()
}

/// A stamp in dynamo_query's form (`datetime.utcnow().isoformat()`: no zone, microseconds only
/// when not zero), returned as text.
pub fn naive_stamp(item: &Item, attribute: &str) -> String {
    let Some(AttributeValue::S(text)) = item.get(attribute) else {
        panic!("{attribute} missing in {item:?}");
    };
    let (date, time) = text.split_once('T').unwrap();
    assert_eq!(date.len(), 10, "{text}");
    assert!(
        time.len() == 8 || (time.len() == 15 && &time[8..9] == "."),
        "{text}"
    );
    assert!(!text.ends_with('Z') && !text.contains('+'), "{text}");
    text.clone()
}

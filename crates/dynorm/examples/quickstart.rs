//! Quickstart: the seed tables of Da Vinci, Stelvio and dynamo_query declared once in Rust, created
//! on the embedded engine (in process, nothing to install), with one item of each written and read
//! back.
//!
//! Run it with `cargo run --example quickstart`.

#![allow(clippy::print_stdout)]

use chrono::{DateTime, TimeZone, Utc};
use dynorm::{Client, Number, Table};

/// User table for storing user profiles
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users")]
#[dynorm(gsi(name = "email_index", partition_key = email))]
#[dynorm(gsi(name = "status_created_index", partition_key = status, sort_key = created_at))]
struct User {
    /// Unique user identifier
    #[dynorm(partition_key)]
    user_id: String,
    /// User email address
    email: String,
    /// User full name
    name: String,
    /// Account status
    status: String,
    /// When the account was created
    created_at: DateTime<Utc>,
}

/// Products for sale
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "products")]
struct Product {
    #[dynorm(partition_key)]
    product_id: String,
    /// Exact price (no float rounding)
    price: Number,
    in_stock: bool,
    tags: Vec<String>,
    /// Free-form metadata, stored as JSON text
    #[dynorm(json_string)]
    metadata: serde_json::Value,
    created_at: DateTime<Utc>,
}

/// Order lines, keyed by a composite of order and user
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "order_items")]
#[dynorm(composite(name = "composite_key", fields(order_id, user_id), partition_key))]
struct OrderItem {
    order_id: String,
    user_id: String,
    #[dynorm(sort_key)]
    item_id: String,
    quantity: u32,
}

/// User events, also sorted by time through a local index
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

/// Settings with defaults
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "config")]
struct Config {
    #[dynorm(partition_key)]
    key: String,
    value: String,
    #[dynorm(default = true)]
    enabled: bool,
    /// Explicitly optional
    description: Option<String>,
}

/// Secrets, encrypted before they leave the process
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "secure_data")]
struct Secure {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(with = crypto)]
    sensitive_data: String,
}

/// Stelvio's orders table: a local index and a global index with projections
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "orders")]
#[dynorm(lsi(name = "status-index", sort_key = status, projection(include(total))))]
#[dynorm(gsi(name = "status-total-index", partition_key = status, sort_key = total, projection = "all"))]
struct Order {
    #[dynorm(partition_key)]
    customer_id: String,
    #[dynorm(sort_key)]
    order_date: String,
    status: String,
    total: Number,
}

/// dynamo_query's UserTable: `pk` computed from the email, two GSIs
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "my_table")]
#[dynorm(gsi(name = "gsi_name", partition_key = name))]
#[dynorm(gsi(name = "gsi_email_age", partition_key = email, sort_key = age))]
struct UserRecord {
    #[dynorm(partition_key)]
    pk: String,
    email: String,
    name: String,
    age: u32,
    points: Option<i64>,
}

/// AES-256-GCM for one attribute: Da Vinci's `custom_exporter`/`custom_importer`, as a codec module.
mod crypto {
    use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
    use aes_gcm::{Aes256Gcm, Key, Nonce};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use dynorm::{AttributeType, AttributeValue, DecodeError, EncodeError};

    pub(crate) const ATTRIBUTE_TYPE: AttributeType = AttributeType::String;
    const NONCE_LEN: usize = 12;

    fn cipher() -> Aes256Gcm {
        // A real service loads its key from a secret store; the demo derives a fixed one.
        let key =
            std::env::var("QUICKSTART_KEY").unwrap_or_else(|_| "0123456789abcdef0123456789abcdef".into());
        let mut bytes = [0u8; 32];
        for (b, k) in bytes.iter_mut().zip(key.bytes()) {
            *b = k;
        }
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes))
    }

    pub(crate) fn encode(plain: &String) -> Result<Option<AttributeValue>, EncodeError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher()
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|e| EncodeError::new(e.to_string()))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(Some(AttributeValue::S(STANDARD.encode(stored))))
    }

    pub(crate) fn decode(value: AttributeValue) -> Result<String, DecodeError> {
        let AttributeValue::S(text) = &value else {
            return Err(DecodeError::wrong_type("S", &value));
        };
        let stored = STANDARD.decode(text).map_err(DecodeError::custom)?;
        if stored.len() < NONCE_LEN {
            return Err(DecodeError::custom("ciphertext too short"));
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let plain = cipher()
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(DecodeError::custom)?;
        String::from_utf8(plain).map_err(DecodeError::custom)
    }
}

async fn round_trip<T: Table + std::fmt::Debug + PartialEq + Send + Sync + 'static>(
    db: &Client,
    value: &T,
) -> dynorm::Result<()> {
    let table = db.table::<T>();
    table.create().await?;
    table.put(value).await?;
    let read = table.get(value.key_of()).await?;
    let def = T::definition();
    let indexes: Vec<&str> = def
        .global_secondary_indexes
        .iter()
        .map(|g| g.name.as_str())
        .chain(def.local_secondary_indexes.iter().map(|l| l.name.as_str()))
        .collect();
    println!(
        "{:<12} key {}{}{}",
        def.name,
        def.partition_key,
        def.sort_key
            .as_deref()
            .map(|s| format!(" + {s}"))
            .unwrap_or_default(),
        if indexes.is_empty() {
            String::new()
        } else {
            format!(", indexes {}", indexes.join(", "))
        }
    );
    println!("  wrote {value:?}");
    println!("  read  {read:?}");
    assert_eq!(read.as_ref(), Some(value), "read back what was written");
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> dynorm::Result<()> {
    // The embedded engine; with DYNORM_TEST_ENDPOINT set, that endpoint under a table prefix of
    // its own (how CI runs the examples against `dynorm serve`).
    let db = dynorm::testing::client().await?;
    let at = |secs| Utc.timestamp_opt(secs, 0).single().unwrap_or_default();

    round_trip(
        &db,
        &User {
            user_id: "user-123".into(),
            email: "alice@example.com".into(),
            name: "Alice".into(),
            status: "active".into(),
            created_at: at(1_714_564_800),
        },
    )
    .await?;
    round_trip(
        &db,
        &Product {
            product_id: "p-1".into(),
            price: "19.99"
                .parse()
                .map_err(|e| dynorm::EncodeError::new(format!("{e}")))?,
            in_stock: true,
            tags: vec!["kitchen".into(), "sale".into()],
            metadata: serde_json::json!({"color": "red", "dimensions": {"w": 10, "h": 4}}),
            created_at: at(1_714_564_800),
        },
    )
    .await?;
    round_trip(
        &db,
        &OrderItem {
            order_id: "order-123".into(),
            user_id: "user-456".into(),
            item_id: "item-789".into(),
            quantity: 2,
        },
    )
    .await?;
    round_trip(
        &db,
        &Event {
            user_id: "user-123".into(),
            event_id: "evt-1".into(),
            timestamp: at(1_714_564_900),
        },
    )
    .await?;
    round_trip(
        &db,
        &Config {
            key: "feature.x".into(),
            value: "on".into(),
            enabled: true,
            description: None,
        },
    )
    .await?;
    round_trip(
        &db,
        &Secure {
            id: "s-1".into(),
            sensitive_data: "4111 1111 1111 1111".into(),
        },
    )
    .await?;
    round_trip(
        &db,
        &Order {
            customer_id: "c-9".into(),
            order_date: "2024-05-01".into(),
            status: "shipped".into(),
            total: Number::from(42_u32),
        },
    )
    .await?;
    round_trip(
        &db,
        &UserRecord {
            pk: "newuser@gmail.com".into(),
            email: "newuser@gmail.com".into(),
            name: "Somebody".into(),
            age: 23,
            points: None,
        },
    )
    .await?;

    // What is really stored for the secret: ciphertext, read with the plain AWS SDK client (which
    // takes physical table names).
    let raw = db
        .sdk()
        .get_item()
        .table_name(db.physical_table_name("secure_data"))
        .key("id", dynorm::AttributeValue::S("s-1".into()))
        .send()
        .await
        .map_err(|e| dynorm::Error::Transport {
            table: "secure_data".into(),
            message: e.to_string(),
        })?;
    if let Some(dynorm::AttributeValue::S(at_rest)) = raw.item().and_then(|i| i.get("sensitive_data")) {
        println!("secure_data.sensitive_data at rest: {at_rest}");
    }

    // A ConfigTable item written by another tool without `enabled` reads with the default.
    db.sdk()
        .put_item()
        .table_name(db.physical_table_name("config"))
        .item("key", dynorm::AttributeValue::S("legacy".into()))
        .item("value", dynorm::AttributeValue::S("1".into()))
        .send()
        .await
        .map_err(|e| dynorm::Error::Transport {
            table: "config".into(),
            message: e.to_string(),
        })?;
    let legacy = db.table::<Config>().get(Config::key("legacy")).await?;
    println!("config item without `enabled` reads as {legacy:?}");
    Ok(())
}

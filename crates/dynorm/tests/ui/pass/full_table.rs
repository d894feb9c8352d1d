//! Every option of `#[derive(Table)]` together, in a crate with strict lints.
#![deny(warnings, missing_docs, unreachable_pub, unused_qualifications)]
#![deny(clippy::all, clippy::pedantic)]

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use dynorm::Table;

mod codec {
    pub(crate) mod upper {
        use dynorm::{AttributeType, AttributeValue, DecodeError, EncodeError};

        pub(crate) const ATTRIBUTE_TYPE: AttributeType = AttributeType::String;

        pub(crate) fn encode(value: &str) -> Result<Option<AttributeValue>, EncodeError> {
            Ok(Some(AttributeValue::S(value.to_uppercase())))
        }

        pub(crate) fn decode(value: AttributeValue) -> Result<String, DecodeError> {
            match value {
                AttributeValue::S(s) => Ok(s.to_lowercase()),
                other => Err(DecodeError::wrong_type("S", &other)),
            }
        }
    }
}

/// User table for storing user profiles
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users", rename_all = "PascalCase")]
#[dynorm(gsi(name = "email_index", partition_key = email))]
#[dynorm(gsi(
    name = "status_created_index",
    partition_key = status,
    sort_key = created_at,
    projection = "keys_only",
    read = 5,
    write = 5
))]
#[dynorm(gsi(name = "by_total", partition_key = status, projection(include(total, name))))]
#[dynorm(lsi(name = "user_timestamp_index", sort_key = timestamp, projection = "all"))]
#[dynorm(billing(provisioned(read = 5, write = 5)))]
#[dynorm(stream = "new_and_old_images", ttl = expires_at, deletion_protection)]
#[dynorm(tag(key = "team", value = "core"))]
#[dynorm(composite(name = "tenant_user", fields(tenant, user_id), separator = "#", partition_key))]
pub struct User {
    tenant: String,
    /// Unique user identifier
    user_id: String,
    #[dynorm(sort_key)]
    created: i64,
    #[dynorm(rename = "mail")]
    email: String,
    status: String,
    created_at: DateTime<Utc>,
    timestamp: u64,
    total: f64,
    name: String,
    #[dynorm(default)]
    enabled: bool,
    #[dynorm(default = true)]
    active: bool,
    description: Option<String>,
    #[dynorm(with = crate::codec::upper)]
    shout: String,
    #[dynorm(with = crate::codec::upper)]
    maybe_shout: Option<String>,
    #[dynorm(json)]
    meta: serde_json::Value,
    #[dynorm(json_string)]
    meta_text: Vec<u8>,
    #[dynorm(epoch_seconds)]
    expires_at: DateTime<Utc>,
    #[dynorm(string_set)]
    roles: Vec<String>,
    #[dynorm(number_set)]
    scores: Vec<i64>,
    #[dynorm(binary)]
    blob: Vec<u8>,
    set: BTreeSet<String>,
    #[dynorm(skip)]
    cache: Vec<u8>,
}

fn main() {
    let definition = User::definition();
    assert_eq!(definition.partition_key, "TenantUser");
    assert!(definition.validate().is_ok(), "{:?}", definition.validate());
    let key = User::key("t", "u", 5_i32);
    assert!(key.as_item().is_ok());
    let f = User::fields();
    let condition = f.status.eq("active") & f.total.gt(1.5) & f.meta.key("a").exists();
    let update = f.roles.set(vec!["admin".to_owned()]).merge(f.description.remove());
    assert!(condition.render(&mut dynorm::expr::ExpressionAttributes::new()).is_ok());
    assert_eq!(update.len(), 2);
}

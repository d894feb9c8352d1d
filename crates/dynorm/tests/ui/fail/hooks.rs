use chrono::{DateTime, Utc};
use dynorm::Table;

#[derive(Table)]
#[dynorm(table = "a")]
struct KeyVersion {
    #[dynorm(partition_key, version)]
    id: u64,
}

#[derive(Table)]
#[dynorm(table = "b")]
struct TwoVersions {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(version)]
    v1: u64,
    #[dynorm(version)]
    v2: u64,
}

#[derive(Table)]
#[dynorm(table = "c")]
struct OptionalVersion {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(version)]
    v: Option<u64>,
    #[dynorm(created_at)]
    created: String,
    #[dynorm(updated_at, json)]
    updated: DateTime<Utc>,
    #[dynorm(created_at, updated_at)]
    both: DateTime<Utc>,
}

fn main() {}

#![allow(unused_imports)]
use dynorm::entity::formats::storm;

// `storm(..)` on a field without `#[dynorm(storm)]` on the struct.
#[derive(dynorm::Entity)]
#[dynorm(table = storm::Table, pk = "T#{tenant}")]
struct Unflagged {
    #[dynorm(storm(pk))]
    tenant: String,
}

// Templates and flags together; a field in two keys; an unknown part.
#[derive(dynorm::Entity)]
#[dynorm(table = storm::Table, storm, pk = "T#{tenant}")]
struct Both {
    #[dynorm(storm(pk, sk))]
    tenant: String,
    #[dynorm(storm(partition))]
    user: String,
}

// No sort key field: single-table-orm would write an empty SK, which DynamoDB refuses.
#[derive(dynorm::Entity)]
#[dynorm(table = storm::Table, storm(suffix = "Fruit"))]
struct Fruit {
    #[dynorm(storm(pk))]
    apple: String,
}

fn main() {}

use dynorm::Table;

#[derive(Table)]
#[dynorm(table = "people")]
struct PersonV1 {
    #[dynorm(partition_key)]
    id: String,
}

// Version 3 needs the types of versions 1 and 2.
#[derive(Table)]
#[dynorm(table = "people", schema_version = 3, upgrades(PersonV1))]
struct Person {
    #[dynorm(partition_key)]
    id: String,
}

// `upgrades` without a version.
#[derive(Table)]
#[dynorm(table = "people", upgrades(PersonV1))]
struct Other {
    #[dynorm(partition_key)]
    id: String,
}

// Versions start at 1.
#[derive(Table)]
#[dynorm(table = "people", schema_version = 0)]
struct Zero {
    #[dynorm(partition_key)]
    id: String,
}

fn main() {}

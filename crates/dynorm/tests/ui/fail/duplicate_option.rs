#[derive(dynorm::Table)]
#[dynorm(table = "users")]
#[dynorm(table = "people", stream = "keys_only", stream = "new_image")]
struct User {
    #[dynorm(partition_key, partition_key)]
    id: String,
    #[dynorm(rename = "a")]
    #[dynorm(rename = "b")]
    name: String,
    #[dynorm(json, with = serde_json)]
    data: String,
}

fn main() {}

#[derive(dynorm::Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(sort_key, skip)]
    created: i64,
}

fn main() {}

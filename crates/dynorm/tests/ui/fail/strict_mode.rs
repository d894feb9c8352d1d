#[derive(dynorm::Table)]
#[dynorm(table = "users", strict = "loud")]
struct User {
    #[dynorm(partition_key)]
    id: String,
}

fn main() {}

#[derive(dynorm::Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(partition_key)]
    email: String,
}

fn main() {}

#[derive(dynorm::Table)]
struct User {
    #[dynorm(partition_key)]
    id: String,
}

fn main() {}

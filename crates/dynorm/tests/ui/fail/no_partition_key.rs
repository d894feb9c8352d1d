#[derive(dynorm::Table)]
#[dynorm(table = "users")]
struct User {
    id: String,
    #[dynorm(sort_key)]
    created: i64,
}

fn main() {}

#[derive(dynorm::Table)]
#[dynorm(table = "users")]
#[dynorm(gsi(name = "email_index", partition_key = emial))]
#[dynorm(lsi(name = "by_created", sort_key = "creatd"))]
struct User {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(sort_key)]
    name: String,
    email: String,
    created: i64,
}

fn main() {}

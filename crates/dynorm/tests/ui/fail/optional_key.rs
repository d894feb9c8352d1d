#[derive(dynorm::Table)]
#[dynorm(table = "users")]
#[dynorm(gsi(name = "email_index", partition_key = email))]
struct User {
    #[dynorm(partition_key)]
    id: Option<String>,
    email: Option<String>,
}

fn main() {}

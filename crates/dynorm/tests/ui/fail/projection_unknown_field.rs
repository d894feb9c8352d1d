use dynorm::{Projection, Table};

#[derive(Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    user_id: String,
    email: String,
}

#[derive(Projection)]
#[dynorm(table = User)]
struct UserEmail {
    user_id: String,
    emial: String,
    #[dynorm(field = "mail")]
    address: String,
}

fn main() {}

use dynorm::{Projection, Table};

#[derive(Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    user_id: String,
    age: u32,
}

#[derive(Projection)]
#[dynorm(table = User)]
struct UserAge {
    user_id: String,
    age: String,
}

fn main() {}

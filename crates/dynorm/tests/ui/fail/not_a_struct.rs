#[derive(dynorm::Table)]
#[dynorm(table = "users")]
enum User {
    Admin,
    Member,
}

#[derive(dynorm::Table)]
#[dynorm(table = "pairs")]
struct Pair(String, String);

fn main() {}

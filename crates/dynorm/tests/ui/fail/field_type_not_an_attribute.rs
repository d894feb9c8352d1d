struct Opaque;

#[derive(dynorm::Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    id: String,
    opaque: Opaque,
}

fn main() {}

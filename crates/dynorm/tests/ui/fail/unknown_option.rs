#[derive(dynorm::Table)]
#[dynorm(table = "users", tabel_name = "x")]
#[dynorm(gsi(name = "email_index", partition_key = email, sort = name))]
struct User {
    #[dynorm(partiton_key)]
    id: String,
    #[dynorm(partition_key, table = "users")]
    email: String,
    #[dynorm(renamed = "Name")]
    name: String,
}

fn main() {}

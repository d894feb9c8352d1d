#[derive(dynorm::Table)]
#[dynorm(table = "users", rename_all = "Pascal", compat = "dynamo")]
#[dynorm(stream = "new")]
#[dynorm(billing = "provisioned")]
#[dynorm(gsi(name = "by_email", partition_key = email, projection = "some"))]
struct User {
    #[dynorm(partition_key = true)]
    id: String,
    #[dynorm(default)]
    email: String,
}

fn main() {}

#[derive(dynorm::Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    id: String,
}

#[dynorm::test(tables(User))]
fn not_async(db: dynorm::Client) {
    let _ = db;
}

#[dynorm::test(table(User))]
async fn bad_option(db: dynorm::Client) {
    let _ = db;
}

#[dynorm::test(tables(User), requires(transactions))]
async fn unknown_capability(db: dynorm::Client) {
    let _ = db;
}

fn main() {}

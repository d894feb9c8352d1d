use dynorm::Table;

#[derive(Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    user_id: String,
    age: u32,
}

fn main() {
    let _ = User::fields().age.gt("21");
    let _ = User::fields().user_id.eq(5);
    let _ = User::fields().age.set(1.5);
}

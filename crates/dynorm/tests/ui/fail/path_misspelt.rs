use dynorm::Table;

#[derive(Table)]
#[dynorm(table = "users")]
struct User {
    #[dynorm(partition_key)]
    user_id: String,
    age: u32,
    #[dynorm(skip)]
    scratch: u8,
}

fn main() {
    let _ = User::fields().agee.gt(21);
    let _ = User::fields().scratch.eq(1);
}

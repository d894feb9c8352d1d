#[derive(dynorm::Table)]
#[dynorm(table = "order_items")]
#[dynorm(composite(name = "order_user", fields(order_id, user_id)))]
struct OrderItem {
    #[dynorm(partition_key)]
    order_id: String,
    user_id: String,
}

fn main() {}

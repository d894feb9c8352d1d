#[derive(dynorm::Table)]
#[dynorm(table = "order_items")]
#[dynorm(composite(name = "order_user", fields(order_id, user_id), partition_key))]
struct OrderItem {
    order_id: String,
    user_id: Option<String>,
}

fn main() {}

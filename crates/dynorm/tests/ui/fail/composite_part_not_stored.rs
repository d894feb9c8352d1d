// A composite part lives inside the composite: an index must name the composite.
#[derive(dynorm::Table)]
#[dynorm(table = "order_items")]
#[dynorm(composite(name = "order_user", fields(order_id, user_id), partition_key))]
#[dynorm(gsi(name = "by_user", partition_key = user_id))]
struct OrderItem {
    order_id: String,
    user_id: String,
}

fn main() {}

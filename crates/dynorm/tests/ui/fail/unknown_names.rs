// Every unknown name is reported at once: ttl, composite parts, projections.
#[derive(dynorm::Table)]
#[dynorm(table = "orders", ttl = expires)]
#[dynorm(composite(name = "order_user", fields(order_id, usr_id), partition_key))]
#[dynorm(gsi(name = "by_total", partition_key = total, projection(include(status, nme))))]
struct Order {
    order_id: String,
    user_id: String,
    total: i64,
    status: String,
    expires_at: i64,
}

fn main() {}

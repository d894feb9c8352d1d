#[derive(dynorm::Table)]
#[dynorm(table = "events")]
#[dynorm(composite(name = "day_kind", fields(day, kind), sort_key))]
struct Event {
    #[dynorm(partition_key)]
    user_id: String,
    #[dynorm(sort_key)]
    at: i64,
    day: String,
    kind: String,
}

fn main() {}

#[derive(dynorm::Table)]
#[dynorm(table = "events")]
#[dynorm(lsi(name = "by_timestamp", sort_key = timestamp))]
struct Event {
    #[dynorm(partition_key)]
    user_id: String,
    timestamp: i64,
}

fn main() {}

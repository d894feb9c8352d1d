#[derive(dynorm::Table)]
#[dynorm(table = "events")]
#[dynorm(lsi(name = "by_event", sort_key = event_id))]
struct Event {
    #[dynorm(partition_key)]
    user_id: String,
    #[dynorm(sort_key)]
    event_id: String,
}

fn main() {}

use dynorm::entity::{Layout, SingleTable};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "U#{user_action}#{missing_join}")]
#[dynorm(join(attribute = "user_action", fields(user, acton)))]
#[dynorm(join(attribute = "tenant", fields(user)))]
#[dynorm(join(fields(user)))]
struct Event {
    #[dynorm(created_at)]
    tenant: String,
    #[dynorm(partition_key)]
    user: String,
    action: String,
    #[dynorm(skip, immutable)]
    cache: String,
    #[dynorm(version)]
    revision: Option<u64>,
    #[dynorm(rename = "user")]
    alias: String,
}

fn main() {}

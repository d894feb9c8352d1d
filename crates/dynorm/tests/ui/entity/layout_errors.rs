use dynorm::entity::{IndexLayout, Layout, SingleTable};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "gsi9", pk = "X#{id}", sk = "Y"))]
struct Unknown {
    tenant: String,
    id: String,
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "I#{flags}")]
struct NotKey {
    tenant: String,
    flags: Vec<bool>,
}

fn main() {}

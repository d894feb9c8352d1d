use dynorm::entity::{Layout, SingleTable};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant_nme}", sk = "I#{id}{other}")]
#[dynorm(index(name = "gsi1", pk = "X#{run", sk = "Y"), colour = "red")]
struct Integration {
    tenant_name: String,
    id: Option<String>,
    other: String,
    run: Option<String>,
}

fn main() {}

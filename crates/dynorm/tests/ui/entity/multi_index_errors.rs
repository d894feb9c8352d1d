use dynorm::entity::{Layout, SingleTable};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "wide", pk(a, b, c, d, tenant), sk(id)))]
#[dynorm(index(name = "typo", pk(tenat), sk(a, a)))]
#[dynorm(index(name = "mixed", pk = "X#{id}", sk(a)))]
#[dynorm(index(name = "headless", sk(a)))]
#[dynorm(index(name = "wide", pk(a)))]
struct Wrong {
    tenant: String,
    id: String,
    a: String,
    b: String,
    c: String,
    d: String,
}

fn main() {}

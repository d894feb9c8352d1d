use dynorm::entity::{IndexLayout, Layout, SingleTable};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        local_indexes: &[IndexLayout::local("lsi1", "lsi1sk")],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

// A local index of the layout cannot have a multi-attribute key.
#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "lsi1", pk(tenant, region)))]
struct OnLocal {
    tenant: String,
    id: String,
    region: String,
}

// A field stored as a layout key attribute.
#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "by_key", pk(tenant, gsi1pk)))]
struct OnKey {
    tenant: String,
    id: String,
    gsi1pk: String,
}

// A field that is not a string, number or binary.
#[derive(dynorm::Entity)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "by_tags", pk(tenant), sk(tags)))]
struct NotScalar {
    tenant: String,
    id: String,
    tags: Vec<String>,
}

struct Storm;
impl SingleTable for Storm {
    const LAYOUT: Layout = Layout {
        form: dynorm::StoredForm::STORM,
        ..Layout::new("storm", "PK", Some("SK"))
    };
}

// `None` stored as NULL cannot be an index key.
#[derive(dynorm::Entity)]
#[dynorm(table = Storm, pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "by_region", pk(tenant, region)))]
struct NullKey {
    tenant: String,
    id: String,
    region: Option<String>,
}

fn main() {}

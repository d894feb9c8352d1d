#[derive(dynorm::Table)]
#[dynorm(table = "wide")]
#[dynorm(lsi(name = "local_0", sort_key = a))]
#[dynorm(lsi(name = "local_1", sort_key = a))]
#[dynorm(lsi(name = "local_2", sort_key = a))]
#[dynorm(lsi(name = "local_3", sort_key = a))]
#[dynorm(lsi(name = "local_4", sort_key = a))]
#[dynorm(lsi(name = "local_5", sort_key = a))]
struct Wide {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(sort_key)]
    sk: String,
    a: String,
}

fn main() {}

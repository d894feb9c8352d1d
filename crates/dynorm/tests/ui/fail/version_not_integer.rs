use dynorm::Table;

#[derive(Table)]
#[dynorm(table = "a")]
struct Doc {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(version)]
    version: String,
}

fn main() {}

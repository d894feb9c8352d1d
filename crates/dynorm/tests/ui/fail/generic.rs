#[derive(dynorm::Table)]
#[dynorm(table = "boxes")]
struct Boxed<T> {
    #[dynorm(partition_key)]
    id: String,
    value: T,
}

fn main() {}

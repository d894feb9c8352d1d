#[derive(dynorm::Table)]
#[dynorm(table = "matches")]
#[dynorm(gsi(name = "too_wide", partition_key(a, b, c, d, e)))]
#[dynorm(gsi(name = "twice", partition_key(a, b), sort_key(c, a)))]
#[dynorm(gsi(name = "empty", partition_key()))]
#[dynorm(lsi(name = "local", sort_key(b, c)))]
struct Match {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(sort_key)]
    at: String,
    a: String,
    b: String,
    c: u32,
    d: String,
    e: String,
}

fn main() {}

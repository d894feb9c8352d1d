use std::collections::HashMap;

#[derive(dynorm::Table)]
#[dynorm(table = "users")]
#[dynorm(gsi(name = "by_flag", partition_key = flag))]
struct User {
    #[dynorm(partition_key)]
    ids: Vec<String>,
    #[dynorm(sort_key)]
    attrs: HashMap<String, String>,
    flag: bool,
}

fn main() {}

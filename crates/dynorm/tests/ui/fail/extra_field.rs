use std::collections::BTreeMap;

#[derive(dynorm::Table)]
#[dynorm(table = "records")]
struct Record {
    #[dynorm(partition_key, extra)]
    id: String,
    #[dynorm(extra, rename = "Data")]
    data: dynorm::Item,
    #[dynorm(extra)]
    more: dynorm::Item,
}

#[derive(dynorm::Table)]
#[dynorm(table = "notes")]
struct Note {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(extra)]
    data: BTreeMap<String, String>,
}

fn main() {}

#[derive(dynorm::Table)]
#[dynorm(table = "wide")]
#[dynorm(gsi(name = "index_00", partition_key = a))]
#[dynorm(gsi(name = "index_01", partition_key = a))]
#[dynorm(gsi(name = "index_02", partition_key = a))]
#[dynorm(gsi(name = "index_03", partition_key = a))]
#[dynorm(gsi(name = "index_04", partition_key = a))]
#[dynorm(gsi(name = "index_05", partition_key = a))]
#[dynorm(gsi(name = "index_06", partition_key = a))]
#[dynorm(gsi(name = "index_07", partition_key = a))]
#[dynorm(gsi(name = "index_08", partition_key = a))]
#[dynorm(gsi(name = "index_09", partition_key = a))]
#[dynorm(gsi(name = "index_10", partition_key = a))]
#[dynorm(gsi(name = "index_11", partition_key = a))]
#[dynorm(gsi(name = "index_12", partition_key = a))]
#[dynorm(gsi(name = "index_13", partition_key = a))]
#[dynorm(gsi(name = "index_14", partition_key = a))]
#[dynorm(gsi(name = "index_15", partition_key = a))]
#[dynorm(gsi(name = "index_16", partition_key = a))]
#[dynorm(gsi(name = "index_17", partition_key = a))]
#[dynorm(gsi(name = "index_18", partition_key = a))]
#[dynorm(gsi(name = "index_19", partition_key = a))]
#[dynorm(gsi(name = "index_20", partition_key = a))]
struct Wide {
    #[dynorm(partition_key)]
    id: String,
    a: String,
}

fn main() {}

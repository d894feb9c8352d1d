#[derive(dynorm::Table)]
#[dynorm(table = "matches")]
#[dynorm(gsi(name = "by_region", partition_key(tournament, round), sort_key(match_no)))]
struct Match {
    #[dynorm(partition_key)]
    id: String,
    tournament: String,
    round: u32,
    match_no: u32,
}

fn main() {
    // Every partition attribute is needed...
    let _ = Match::by_region_key("worlds");
    // ...each of its field's type.
    let _ = Match::by_region_key("worlds", "two");
}

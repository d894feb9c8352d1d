use dynorm::entity::{Layout, SingleTable};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
struct UserV1 {
    tenant: String,
    id: String,
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}", upgrades(UserV1))]
struct UpgradesWithoutVersion {
    tenant: String,
    id: String,
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}", schema_version = 0)]
struct VersionZero {
    tenant: String,
    id: String,
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}", schema_version = "2")]
struct VersionNotANumber {
    tenant: String,
    id: String,
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
#[dynorm(schema_version = 3, upgrades(UserV1))]
struct TooFewOlderTypes {
    tenant: String,
    id: String,
}

#[derive(dynorm::Entity)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
#[dynorm(schema_version = 2, schema_version = 3, upgrades(UserV1))]
struct VersionTwice {
    tenant: String,
    id: String,
}

/// No `From<UserV1>`: the upgrade step does not exist.
#[derive(dynorm::Entity)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
#[dynorm(schema_version = 2, upgrades(UserV1))]
struct NoUpgradeStep {
    tenant: String,
    id: String,
}

fn main() {}

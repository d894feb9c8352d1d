//! dynamojo-style camelCase field names: the derives' generated code raises no warning, even
//! with every warning denied.
#![deny(warnings)]

use dynorm::entity::{IndexLayout, Layout, SingleTable};

pub struct Store;
impl SingleTable for Store {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi0", "gsi0_pk", Some("gsi0_sk"))],
        ..Layout::new("incidents", "pk", Some("sk"))
    };
}

#[allow(non_snake_case)]
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = Store, pk = "{accountId}", sk = "{incidentId}")]
#[dynorm(index(name = "gsi0", pk = "{alarmName}", sk = "{createdAt}"))]
#[dynorm(join(attribute = "providerKey", fields(accountId, alarmName), separator = "~"))]
pub struct Incident {
    pub accountId: String,
    pub incidentId: String,
    pub alarmName: String,
    pub createdAt: String,
    pub ownerEmail: Option<String>,
}

#[allow(non_snake_case)]
#[derive(dynorm::Table, Debug, Clone, PartialEq)]
#[dynorm(table = "accounts")]
#[dynorm(gsi(name = "byOwner", partition_key = ownerEmail))]
pub struct Account {
    #[dynorm(partition_key)]
    pub accountId: String,
    #[dynorm(sort_key)]
    pub createdAt: u64,
    pub ownerEmail: String,
    pub displayName: Option<String>,
}

#[allow(non_snake_case)]
#[derive(dynorm::Projection, Debug)]
#[dynorm(table = Account)]
pub struct AccountName {
    pub accountId: String,
    pub displayName: Option<String>,
}

fn main() {
    use dynorm::Table as _;
    let incident = Incident {
        accountId: "acct-1".into(),
        incidentId: "i-1".into(),
        alarmName: "cpu".into(),
        createdAt: "2024-01-01".into(),
        ownerEmail: None,
    };
    let item = incident.to_item().expect("encodes");
    assert_eq!(Incident::from_item(item).expect("decodes"), incident);
    let _ = Incident::key("acct-1", "i-1");
    let _ = Incident::fields().alarmName;
    let _ = Account::key("acct-1", 1u64);
    let _ = Account::fields().ownerEmail;
}

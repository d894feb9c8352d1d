//! Every option of `#[derive(Entity)]` together, in a crate with strict lints.
#![deny(warnings, missing_docs, unreachable_pub, unused_qualifications)]
#![deny(clippy::all, clippy::pedantic)]

use chrono::{DateTime, Utc};
use dynorm::entity::{Entity, IndexLayout, Layout, SingleTable};

/// The shared table.
pub struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        local_indexes: &[IndexLayout::local("lsi1", "lsi1sk")],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

fn lower(s: String) -> String {
    s.to_lowercase()
}

/// A member.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Member", pk = "T#{tenant}", sk = "M#{id:06}")]
#[dynorm(index(name = "gsi1", pk = "EMAIL#{email}", sk = "{tenant_team}"))]
#[dynorm(index(name = "lsi1", sk = "TEAM#{team}"))]
#[dynorm(join(attribute = "tenant_team", fields(tenant, team), separator = "|"))]
pub struct Member {
    /// The tenant.
    pub tenant: String,
    /// The number.
    pub id: u32,
    /// The email, lower-cased.
    #[dynorm(mutate = lower, rename = "Email", immutable)]
    pub email: String,
    /// The team.
    pub team: Option<String>,
    /// When the member joined.
    #[dynorm(epoch_seconds)]
    pub joined: DateTime<Utc>,
    /// Not stored.
    #[dynorm(skip)]
    pub note: String,
    /// Read as 3 when absent.
    #[dynorm(default = 3)]
    pub level: u8,
}

fn main() {
    let member = Member {
        tenant: "t".into(),
        id: 7,
        email: "A@B".into(),
        team: None,
        joined: DateTime::<Utc>::UNIX_EPOCH,
        note: String::new(),
        level: 1,
    };
    let item = member.to_entity_item().unwrap();
    assert_eq!(item["sk"].as_s().unwrap(), "M#000007");
    assert_eq!(item["Email"].as_s().unwrap(), "a@b");
    assert_eq!(item["tenant_team"].as_s().unwrap(), "t|");
    assert!(!item.contains_key("lsi1sk"), "sparse: no team");
    assert_eq!(<Member as dynorm::Table>::IMMUTABLE_ATTRIBUTES, ["Email"]);
    let _ = Member::key("t", 7u32);
}

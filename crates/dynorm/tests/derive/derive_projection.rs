//! `#[derive(Projection)]`: the attributes a projection reads, and round trips through the
//! table's stored form (renames, codecs, defaults). Compile errors are in `tests/ui/fail`.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use dynorm::{AttributeValue, DecodeErrorKind, Projection, Table};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "users", rename_all = "PascalCase")]
struct User {
    #[dynorm(partition_key)]
    user_id: String,
    #[dynorm(rename = "mail")]
    email: String,
    nickname: Option<String>,
    #[dynorm(epoch_seconds)]
    joined: DateTime<Utc>,
    #[dynorm(default = 7)]
    level: u8,
    age: u32,
}

#[derive(Projection, Debug, PartialEq)]
#[dynorm(table = User)]
struct UserEmail {
    user_id: String,
    email: String,
}

#[derive(Projection, Debug, PartialEq)]
#[dynorm(table = crate::derive_projection::User)]
struct UserSummary {
    #[dynorm(field = "user_id")]
    id: String,
    nickname: Option<String>,
    joined: DateTime<Utc>,
    level: u8,
    /// A required table field read as optional: absent reads as `None`.
    age: Option<u32>,
}

fn user() -> User {
    User {
        user_id: "u1".into(),
        email: "a@example.com".into(),
        nickname: None,
        joined: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        level: 3,
        age: 40,
    }
}

#[test]
fn attributes_are_stored_names() {
    assert_eq!(UserEmail::attributes(), ["UserId", "mail"]);
    assert_eq!(
        UserSummary::attributes(),
        ["UserId", "Nickname", "Joined", "Level", "Age"]
    );
    fn table_of<P: Projection>() -> &'static str {
        &P::Table::definition().name
    }
    assert_eq!(table_of::<UserEmail>(), "users");
}

#[test]
fn reads_from_a_full_item() {
    let item = user().to_item().unwrap();
    assert_eq!(
        UserEmail::from_item(item.clone()).unwrap(),
        UserEmail {
            user_id: "u1".into(),
            email: "a@example.com".into()
        }
    );
    assert_eq!(
        <UserSummary as Projection>::from_item(item).unwrap(),
        UserSummary {
            id: "u1".into(),
            nickname: None,
            joined: user().joined,
            level: 3,
            age: Some(40),
        }
    );
}

#[test]
fn reads_from_a_projected_item() {
    // Only the projected attributes, as DynamoDB returns them.
    let mut item = user().to_item().unwrap();
    item.retain(|k, _| UserSummary::attributes().contains(&k.as_str()));
    item.remove("Age");
    item.remove("Level");
    let s = UserSummary::from_item(item).unwrap();
    assert_eq!(
        s.age, None,
        "an absent attribute reads as None in an Option field"
    );
    assert_eq!(s.level, 7, "the table field's default applies");
    assert_eq!(s.joined, user().joined, "the table field's codec applies");
}

#[test]
fn a_missing_required_attribute_is_a_named_error() {
    let mut item = user().to_item().unwrap();
    item.remove("mail");
    let e = UserEmail::from_item(item).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Missing);
    assert_eq!(e.attribute.as_deref(), Some("mail"));
    assert_eq!(e.table.as_deref(), Some("users"));

    let mut item = user().to_item().unwrap();
    item.insert("Joined".into(), AttributeValue::S("soon".into()));
    assert!(UserSummary::from_item(item).is_err());
}

//! Sparse indexes on `#[derive(Table)]`: an `Option` index key is left out when `None`, so the
//! item is simply not in the index.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use dynorm::Table;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "tickets")]
#[dynorm(gsi(name = "escalated", partition_key = escalated_to, sort_key = opened))]
#[dynorm(lsi(name = "by_due", sort_key = due))]
struct Ticket {
    #[dynorm(partition_key)]
    queue: String,
    #[dynorm(sort_key)]
    id: String,
    escalated_to: Option<String>,
    opened: u64,
    due: Option<u64>,
}

fn ticket(id: &str, escalated_to: Option<&str>, due: Option<u64>) -> Ticket {
    Ticket {
        queue: "support".into(),
        id: id.into(),
        escalated_to: escalated_to.map(str::to_owned),
        opened: 100,
        due,
    }
}

#[test]
fn optional_index_keys_make_sparse_indexes() {
    let def = Ticket::definition();
    def.validate().unwrap();
    assert!(def.attribute("escalated_to").unwrap().optional);
    assert!(!def.attribute("queue").unwrap().optional);
    let item = ticket("t1", None, None).to_item().unwrap();
    assert!(!item.contains_key("escalated_to") && !item.contains_key("due"));
}

#[tokio::test]
async fn only_items_with_the_key_are_in_the_index() {
    let client = dynorm::testing::database(&[Ticket::definition()]).await.unwrap();
    let tickets = client.table::<Ticket>();
    tickets.put(&ticket("t1", Some("ann"), Some(5))).await.unwrap();
    tickets.put(&ticket("t2", None, None)).await.unwrap();
    tickets.put(&ticket("t3", Some("ann"), None)).await.unwrap();
    let escalated = tickets
        .query_partition("ann")
        .index("escalated")
        .all()
        .await
        .unwrap();
    let ids: Vec<&str> = escalated.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"t1") && ids.contains(&"t3"));
    let due = tickets
        .query_partition("support")
        .index("by_due")
        .all()
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, "t1");
    // Removing the key takes the item out of the index.
    tickets
        .update(Ticket::key("support", "t1"))
        .remove("escalated_to")
        .await
        .unwrap();
    assert_eq!(
        tickets
            .query_partition("ann")
            .index("escalated")
            .count()
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn an_empty_index_key_is_refused_naming_the_attribute() {
    let client = dynorm::testing::database(&[Ticket::definition()]).await.unwrap();
    let err = client
        .table::<Ticket>()
        .put(&ticket("t1", Some(""), None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("escalated_to"), "{err}");
}

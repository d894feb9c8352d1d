//! Errors name the real table: a ready format layout declares a placeholder name
//! (`test-dynamojo`), but the table an operation used — from `table_named`, the environment
//! or a `TableContext` — is the one its encode and decode errors show.

#![allow(clippy::unwrap_used)]

use dynorm::entity::formats::dynamojo;
use dynorm::entity::{Collection, EntityError, RawItem, TableContext};
use dynorm::{AttributeValue, Client, Error, Item};

#[allow(non_snake_case)]
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = dynamojo::Table, entity = "Incident", pk = "{accountId}", sk = "{incidentId}")]
struct Incident {
    accountId: String,
    incidentId: String,
    severity: u32,
}

const REAL: &str = "incidents-prod";

/// An item with the keys right but `severity` of the wrong type, as another tool might write.
async fn seeded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(&dynamojo::table_definition(REAL))
        .await
        .unwrap();
    let item = Item::from([
        ("pk".to_owned(), AttributeValue::S("acct-1".into())),
        ("sk".to_owned(), AttributeValue::S("i-1".into())),
        ("accountId".to_owned(), AttributeValue::S("acct-1".into())),
        ("incidentId".to_owned(), AttributeValue::S("i-1".into())),
        ("severity".to_owned(), AttributeValue::S("high".into())),
    ]);
    client
        .batch_put_items(REAL, ["pk", "sk"], vec![item])
        .await
        .unwrap();
    client
}

fn assert_names_real_table(error: &Error, route: &str) {
    match error {
        Error::Decode(e) => {
            assert_eq!(e.table.as_deref(), Some(REAL), "{route}: {e}");
            assert_eq!(e.attribute.as_deref(), Some("severity"), "{route}: {e}");
            assert!(!e.to_string().contains("test-dynamojo"), "{route}: {e}");
        }
        other => panic!("{route}: expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn decode_errors_name_the_table_read() {
    let client = seeded().await;
    let incidents = client.table_named::<Incident>(REAL);
    let err = incidents.get(Incident::key("acct-1", "i-1")).await.unwrap_err();
    assert_names_real_table(&err, "get");
    let err = incidents.query_partition("acct-1").all().await.unwrap_err();
    assert_names_real_table(&err, "query");
    let err = incidents.scan().all().await.unwrap_err();
    assert_names_real_table(&err, "scan");
    match incidents.entity_query().field("accountId", "acct-1").all().await {
        Err(EntityError::Decode(e)) => assert_eq!(e.table.as_deref(), Some(REAL), "{e}"),
        Err(EntityError::Dynamo(e)) => assert_names_real_table(&e, "entity query"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    match Collection::<dynamojo::Table>::named(&client, REAL)
        .entity::<Incident>()
        .partition("acct-1")
        .all()
        .await
    {
        Err(EntityError::Decode(e)) => assert_eq!(e.table.as_deref(), Some(REAL), "{e}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    // The raw item is still there, untouched.
    let raw = client
        .table_named::<RawItem<dynamojo::Table>>(REAL)
        .scan()
        .all()
        .await
        .unwrap();
    assert_eq!(raw.len(), 1);
}

#[tokio::test]
async fn the_table_context_names_it_too() {
    let client = seeded().await;
    let context = TableContext::from_lookup(|k| (k == "DB_TABLE_NAME").then(|| REAL.to_owned()));
    let err = context
        .scope(async {
            client
                .table_in_context::<Incident>()
                .get(Incident::key("acct-1", "i-1"))
                .await
        })
        .await
        .unwrap_err();
    assert_names_real_table(&err, "get in context");
}

//! dynamo_query's `clear_records()` and `clear_table(..)` as dynorm operations, replayed against
//! the fixtures captured with the real library (interop/fixtures/dynamo_query/clear_*.json):
//! the same items seeded, the same step, the same items left; and the requests are the same
//! shape (keys-only Query or Scan, begins_with where the library uses it, then batch deletes).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use dynorm::entity::formats::dynamo_query;
use dynorm::expr::attr;
use dynorm::testing::{Recording, instrument};
use dynorm::{AttributeValue, Client, Error, Item, Table as _};

const TABLE: &str = "dynamo-query";

#[derive(dynorm::Entity, Debug)]
#[dynorm(table = dynamo_query::Table, pk = "{project_id}", sk = "user_{email}")]
struct UserRecord {
    project_id: String,
    email: String,
}

#[derive(dynorm::Entity, Debug)]
#[dynorm(table = dynamo_query::Table, pk = "{project_id}", sk = "group_{group}")]
struct GroupRecord {
    project_id: String,
    group: String,
}

/// dynamo_query's table class without a record class or prefix (`LooseTable`).
#[derive(dynorm::Entity, Debug)]
#[dynorm(table = dynamo_query::Table, pk = "{pk}", sk = "{sk}")]
struct LooseRecord {
    pk: String,
    sk: String,
}

/// The same table seen as a plain table, with the fixture's GSI `gsi_name` on `name`.
#[derive(dynorm::Table, Debug)]
#[dynorm(table = "dynamo-query")]
#[dynorm(gsi(name = "gsi_name", partition_key = name, projection = "keys_only"))]
struct Loose {
    #[dynorm(partition_key)]
    pk: String,
    #[dynorm(sort_key)]
    sk: String,
    name: Option<String>,
}

fn fixture(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/../../interop/fixtures/dynamo_query/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// DynamoDB JSON (`{"S": ..}`, `{"N": ..}`, ...) as an attribute value.
fn value(json: &serde_json::Value) -> AttributeValue {
    let (tag, inner) = json.as_object().unwrap().iter().next().unwrap();
    let text = || inner.as_str().unwrap().to_owned();
    match tag.as_str() {
        "S" => AttributeValue::S(text()),
        "N" => AttributeValue::N(text()),
        "BOOL" => AttributeValue::Bool(inner.as_bool().unwrap()),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(
            inner
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect(),
        ),
        "L" => AttributeValue::L(inner.as_array().unwrap().iter().map(value).collect()),
        "M" => AttributeValue::M(item(inner)),
        other => panic!("fixture value of type {other}"),
    }
}

fn item(json: &serde_json::Value) -> Item {
    json.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), value(v)))
        .collect()
}

fn step<'a>(fixture: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    fixture["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap()
}

/// The (pk, sk) of every item left after a step of the fixture.
fn keys_after(step: &serde_json::Value) -> BTreeSet<(String, String)> {
    step["items_after"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["pk"]["S"].as_str().unwrap().to_owned(),
                i["sk"]["S"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn keys_now(client: &Client) -> BTreeSet<(String, String)> {
    client
        .table::<Loose>()
        .scan()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.pk, l.sk))
        .collect()
}

/// A client with the fixture's seeded items (step `seed`).
async fn seeded(fixture: &serde_json::Value) -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client.create_table(Loose::definition()).await.unwrap();
    let items: Vec<Item> = step(fixture, "seed")["items_after"]
        .as_array()
        .unwrap()
        .iter()
        .map(item)
        .collect();
    let outcome = client.batch_put_items(TABLE, ["pk", "sk"], items).await.unwrap();
    assert!(outcome.unprocessed.is_empty());
    client
}

/// The last read the clear sent (the recording is emptied for the next step).
fn read_sent(recorded: &Recording) -> dynorm::testing::SentRequest {
    let sent = recorded.requests();
    recorded.clear();
    sent.into_iter()
        .rev()
        .find(|r| r.operation == "Query" || r.operation == "Scan")
        .unwrap()
}

#[tokio::test]
async fn clear_records_deletes_the_managers_prefix_in_every_partition() {
    let fixture = fixture("clear_records");
    let client = seeded(&fixture).await;
    let (recorded_client, recorded) = instrument(&client);

    let cleared = recorded_client
        .table::<UserRecord>()
        .clear_records()
        .await
        .unwrap();
    assert_eq!(cleared.written, 3);
    assert_eq!(
        keys_now(&client).await,
        keys_after(step(&fixture, "users_clear_records"))
    );
    let read = read_sent(&recorded);
    assert_eq!(read.operation, "Scan");
    assert_eq!(read.filter.as_deref(), Some("begins_with(sk, :v0)"));

    recorded_client
        .table::<GroupRecord>()
        .clear_records()
        .await
        .unwrap();
    assert_eq!(
        keys_now(&client).await,
        keys_after(step(&fixture, "groups_clear_records"))
    );

    // No prefix: every item of the table, as dynamo_query does.
    recorded_client
        .table::<LooseRecord>()
        .clear_records()
        .await
        .unwrap();
    assert_eq!(read_sent(&recorded).filter, None);
    assert_eq!(
        keys_now(&client).await,
        keys_after(step(&fixture, "loose_clear_records"))
    );
}

#[tokio::test]
async fn clear_table_options_match_dynamo_query() {
    let fixture = fixture("clear_table");
    let client = seeded(&fixture).await;
    let (recorded_client, recorded) = instrument(&client);
    let loose = recorded_client.table::<Loose>();

    // clear_table(partition_key='p1', sort_key_prefix='group_')
    loose
        .clear_partition("p1")
        .sort_begins_with("group_")
        .await
        .unwrap();
    assert_eq!(
        keys_now(&client).await,
        keys_after(step(&fixture, "pk_and_sk_prefix"))
    );
    let read = read_sent(&recorded);
    assert_eq!(read.operation, "Query");
    assert_eq!(
        read.key_condition.as_deref(),
        Some("pk = :v0 AND begins_with(sk, :v1)")
    );

    // clear_table(partition_key_prefix='oth')
    loose.clear().partition_begins_with("oth").await.unwrap();
    assert_eq!(
        keys_now(&client).await,
        keys_after(step(&fixture, "pk_prefix_scan"))
    );
    let read = read_sent(&recorded);
    assert_eq!(
        (read.operation, read.filter.as_deref()),
        ("Scan", Some("begins_with(pk, :v0)"))
    );

    // clear_table(partition_key='p1', limit=1): Limit 1 sent, one record deleted
    let cleared = loose.clear_partition("p1").limit(1).await.unwrap();
    assert_eq!(cleared.written, 1);
    assert_eq!(keys_now(&client).await, keys_after(step(&fixture, "limit")));
    assert_eq!(read_sent(&recorded).limit, Some(1));

    // clear_table(partition_key='p1', filter_expression=ConditionExpression('age', 'attribute_exists'))
    loose
        .clear_partition("p1")
        .filter(attr("age").exists())
        .await
        .unwrap();
    assert_eq!(
        keys_now(&client).await,
        keys_after(step(&fixture, "filter_attribute_exists"))
    );

    // clear_table(partition_key='Devs', index=DynamoTableIndex('gsi_name', 'name', None))
    loose.clear_partition("Devs").index("gsi_name").await.unwrap();
    assert_eq!(keys_now(&client).await, keys_after(step(&fixture, "index")));
    assert_eq!(read_sent(&recorded).index.as_deref(), Some("gsi_name"));

    // clear_table(partition_key='p2', sort_key_prefix='none_'): nothing matches
    let cleared = loose
        .clear_partition("p2")
        .sort_begins_with("none_")
        .await
        .unwrap();
    assert_eq!(cleared.written, 0);
    assert_eq!(
        keys_now(&client).await,
        keys_after(step(&fixture, "sk_prefix_nothing"))
    );

    // clear_table(): everything
    loose.clear().await.unwrap();
    assert_eq!(keys_now(&client).await, keys_after(step(&fixture, "everything")));
}

#[tokio::test]
async fn an_exact_sort_key_and_bad_options_are_typed() {
    let fixture = fixture("clear_table");
    let client = seeded(&fixture).await;
    let loose = client.table::<Loose>();
    let cleared = loose
        .clear_partition("p1")
        .sort_key("group_admins")
        .await
        .unwrap();
    assert_eq!(cleared.written, 1);
    // Without a partition, the sort key is a scan filter: every partition.
    assert_eq!(loose.clear().sort_key("group_devs").await.unwrap().written, 1);
    let refused = [
        loose.clear_partition("p1").partition_begins_with("p").await,
        loose.clear_partition("p1").limit(0).await,
        loose
            .clear_partition("Devs")
            .index("gsi_name")
            .sort_key("x")
            .await,
    ];
    for result in refused {
        match result {
            Err(Error::InvalidRequest { table, message, .. }) => {
                assert_eq!(table, TABLE);
                assert!(!message.is_empty());
            }
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }
    match loose.clear_partition("p1").index("by_nothing").await {
        Err(Error::UnknownIndex { index, known, .. }) => {
            assert_eq!(
                (index.as_str(), known),
                ("by_nothing", vec!["gsi_name".to_owned()])
            );
        }
        other => panic!("expected UnknownIndex, got {other:?}"),
    }
}

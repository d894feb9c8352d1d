//! Issue 16's features through `dynorm serve`, as a service talking to it over HTTP sees them: a
//! global index with a multi-attribute key (created by the server from the definition, queried
//! by DynamoDB's rule), per-item cursors on it, strict reads and a typed PartiQL statement.

use dynorm::aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use dynorm::expr::KeyCondition;
use dynorm::strict::Strict;
use dynorm::{AttributeValue, Client, Error, Table as _};
use dynorm_cli::serve::{ServeOptions, Server};

#[derive(dynorm::Table, Debug, Clone, PartialEq)]
#[dynorm(table = "matches")]
#[dynorm(gsi(
    name = "by_region",
    partition_key(tournament, region),
    sort_key(round, match_no)
))]
struct Match {
    #[dynorm(partition_key)]
    id: String,
    tournament: String,
    region: String,
    round: u32,
    match_no: u32,
}

fn client(server: &Server) -> Client {
    let config = dynorm::aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(server.endpoint())
        .build();
    Client::from_sdk(dynorm::aws_sdk_dynamodb::Client::from_conf(config))
}

fn region(tournament: &str) -> KeyCondition {
    KeyCondition::partition("tournament", tournament).and_partition("region", "eu")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_attribute_keys_cursors_strict_reads_and_partiql_through_dynorm_serve() {
    let server = Server::start(ServeOptions {
        port: 0,
        tables: vec![Match::definition().clone()],
        ..ServeOptions::default()
    })
    .unwrap();
    let client = client(&server);
    assert!(
        client
            .compare_table(Match::definition())
            .await
            .unwrap()
            .is_empty()
    );
    let t = client.table::<Match>();
    for n in 1..=6 {
        let m = Match {
            id: format!("m{n}"),
            tournament: "worlds".into(),
            region: "eu".into(),
            round: 1 + n / 4,
            match_no: n,
        };
        t.put(&m).await.unwrap();
    }

    // DynamoDB's rule: equality on both partition attributes, a leading run of sort attributes.
    let round_two = t
        .query(
            region("worlds")
                .and_sort_eq("round", 2u32)
                .sort_gt("match_no", 4u32),
        )
        .index("by_region")
        .all()
        .await
        .unwrap();
    assert_eq!(round_two.iter().map(|m| m.match_no).collect::<Vec<_>>(), [5, 6]);
    let skipped = t
        .query(region("worlds").sort_gt("match_no", 4u32))
        .index("by_region")
        .all()
        .await;
    assert!(
        matches!(skipped, Err(Error::InvalidKeyCondition { .. })),
        "{skipped:?}"
    );

    // Per-item cursors on that index resume right after their item.
    let page = t
        .query(region("worlds"))
        .index("by_region")
        .limit(3)
        .page_with_cursors()
        .await
        .unwrap();
    let after_first = t
        .query(region("worlds"))
        .index("by_region")
        .start_after(page.items[0].cursor.clone())
        .all()
        .await
        .unwrap();
    assert_eq!(
        after_first.iter().map(|m| m.match_no).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6]
    );

    // Strict reads see an attribute another writer added.
    client
        .sdk()
        .update_item()
        .table_name("matches")
        .key("id", AttributeValue::S("m1".into()))
        .update_expression("SET referee = :r")
        .expression_attribute_values(":r", AttributeValue::S("ann".into()))
        .send()
        .await
        .unwrap();
    assert!(t.get(Match::key("m1")).await.unwrap().is_some());
    let strict = t.get(Match::key("m1")).strict(Strict::Refuse).await;
    assert!(
        matches!(&strict, Err(Error::UnexpectedAttributes { attributes, .. }) if attributes == &["referee"]),
        "{strict:?}"
    );

    // A typed PartiQL read, its parameter bound.
    let found = t
        .partiql("SELECT * FROM matches WHERE id = ?")
        .bind("m2")
        .all()
        .await
        .unwrap();
    assert_eq!(found.iter().map(|m| m.match_no).collect::<Vec<_>>(), [2]);
}

struct Games;
impl dynorm::entity::SingleTable for Games {
    const LAYOUT: dynorm::entity::Layout = dynorm::entity::Layout::new("games", "pk", Some("sk"));
}

/// A single-table entity with its own multi-attribute index over its fields.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = Games, pk = "T#{tournament}", sk = "M#{id}")]
#[dynorm(index(name = "by_region", pk(tournament, region), sk(round)))]
struct Game {
    tournament: String,
    id: String,
    region: Option<String>,
    round: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entity_indexes_and_partiql_batches_and_transactions_through_dynorm_serve() {
    use dynorm::entity::{Entity as _, SingleTable as _, table_definition};
    let games = table_definition(&Games::LAYOUT, &[Game::entity_definition()]).unwrap();
    let server = Server::start(ServeOptions {
        port: 0,
        tables: vec![Match::definition().clone(), games.clone()],
        ..ServeOptions::default()
    })
    .unwrap();
    let client = client(&server);
    assert!(client.compare_table(&games).await.unwrap().is_empty());

    // The entity's index: typed key, entity reads, sparse over the optional field.
    let g = client.table::<Game>();
    for (n, region) in [(1, Some("eu")), (2, Some("eu")), (3, None)] {
        let game = Game {
            tournament: "worlds".into(),
            id: format!("g{n}"),
            region: region.map(str::to_owned),
            round: n,
        };
        g.put(&game).await.unwrap();
    }
    let key = Game::by_region_key("worlds", "eu").sort_ge("round", 2u32);
    let found = g.entity_query().index_key("by_region", key).all().await.unwrap();
    assert_eq!(found.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), ["g2"]);

    // PartiQL batch and transaction, typed per statement.
    let t = client.table::<Match>();
    for n in 1..=2 {
        let m = Match {
            id: format!("m{n}"),
            tournament: "worlds".into(),
            region: "eu".into(),
            round: 1,
            match_no: n,
        };
        t.put(&m).await.unwrap();
    }
    let by_id = |id: &str| {
        t.partiql("SELECT * FROM matches WHERE id = ?")
            .bind(id.to_owned())
    };
    let mut batch = client
        .partiql_batch()
        .statement(by_id("m1"))
        .statement(by_id("m9"))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.take::<Match>(0).unwrap().map(|m| m.match_no), Some(1));
    assert_eq!(batch.take::<Match>(1).unwrap(), None);
    let mut tx = client
        .partiql_transaction()
        .statement(by_id("m2"))
        .statement(by_id("m1"))
        .send()
        .await
        .unwrap();
    assert_eq!(tx.take::<Match>(0).unwrap().map(|m| m.match_no), Some(2));
    assert_eq!(tx.take::<Match>(1).unwrap().map(|m| m.match_no), Some(1));
    let wrong_type = t.partiql("SELECT * FROM matches WHERE id = ?").bind(5i64);
    let cancelled = client
        .partiql_transaction()
        .statement(by_id("m1"))
        .statement(wrong_type)
        .send()
        .await;
    match cancelled {
        Err(Error::TransactionCanceled { reasons }) => {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
            assert_eq!(codes, ["None", "ValidationError"]);
        }
        other => panic!("expected TransactionCanceled, found {other:?}"),
    }
}

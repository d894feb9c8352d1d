//! A tournament service on the embedded engine, using DynamoDB's newest modelling features
//! through dynorm: a global index with multi-attribute keys, per-item cursors for a GraphQL-style
//! connection, strict reads, and a typed PartiQL statement — and the same index declared by a
//! single-table entity over its own fields, shared by two entity types.
//!
//! ```sh
//! cargo run --example tournament
//! ```

use dynorm::entity::{Entity as _, Layout, SingleTable, table_definition};
use dynorm::strict::Strict;
use dynorm::{AttributeValue, Client, Table};

/// A match; `by_region` finds the matches of a tournament in a region, in round and match order,
/// with no concatenated key attribute to keep in step.
#[derive(Table, Debug, Clone, PartialEq)]
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
    /// Unknown until the draw: such a match is not in `by_region` yet (sparse).
    region: Option<String>,
    round: u32,
    match_no: u32,
    winner: Option<String>,
}

/// The single table of the event service: fixtures and byes, keyed by tournament.
struct Events;
impl SingleTable for Events {
    const LAYOUT: Layout = Layout::new("events", "pk", Some("sk"));
}

/// A fixture of the event service; its `by_region` index is its own fields, stored whole.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = Events, pk = "T#{tournament}", sk = "F#{id}")]
#[dynorm(index(name = "by_region", pk(tournament, region), sk(round)))]
struct Fixture {
    tournament: String,
    id: String,
    region: Option<String>,
    round: u32,
}

/// A bye shares the index (same fields, types and order).
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = Events, pk = "T#{tournament}", sk = "B#{team}")]
#[dynorm(index(name = "by_region", pk(tournament, region), sk(round)))]
struct Bye {
    tournament: String,
    team: String,
    region: Option<String>,
    round: u32,
}

/// The entity side: one table for both entity types, the index merged from their declarations,
/// read as one entity type at a time.
async fn entities(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    let shared = table_definition(
        &Events::LAYOUT,
        &[Fixture::entity_definition(), Bye::entity_definition()],
    )?;
    client.create_table(&shared).await?;
    let fixtures = client.table::<Fixture>();
    for (n, round) in [(1, 1), (2, 1), (3, 2)] {
        let region = Some("eu".to_owned());
        fixtures
            .put(&Fixture {
                tournament: "worlds".into(),
                id: format!("f{n}"),
                region,
                round,
            })
            .await?;
    }
    let bye = Bye {
        tournament: "worlds".into(),
        team: "g2".into(),
        region: Some("eu".into()),
        round: 1,
    };
    client.table::<Bye>().put(&bye).await?;
    // The bye is in the same index partition; a fixture query keeps fixtures only.
    let key = Fixture::by_region_key("worlds", "eu").and_sort_eq("round", 1u32);
    let round_one = fixtures.entity_query().index_key("by_region", key).all().await?;
    println!(
        "entity fixtures in round 1: {:?}",
        round_one.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
    let key = Bye::by_region_key("worlds", "eu").and_sort_eq("round", 1u32);
    let byes = client
        .table::<Bye>()
        .entity_query()
        .index_key("by_region", key)
        .all()
        .await?;
    println!(
        "entity byes in round 1: {:?}",
        byes.iter().map(|b| &b.team).collect::<Vec<_>>()
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The embedded engine; with DYNORM_TEST_ENDPOINT set, that endpoint under a table prefix of
    // its own (how CI runs the examples against `dynorm serve`).
    let client = dynorm::testing::client().await?;
    let matches = client.table::<Match>();
    matches.create().await?;
    for n in 1..=8 {
        matches
            .put(&Match {
                id: format!("m{n}"),
                tournament: "worlds".into(),
                region: (n != 8).then(|| "eu".to_owned()),
                round: 1 + (n - 1) / 4,
                match_no: n,
                winner: None,
            })
            .await?;
    }

    // Round 2 of the European bracket: equality on both partition attributes (the generated
    // function takes both, typed), then on `round`.
    let round_two = matches
        .query(Match::by_region_key("worlds", "eu").and_sort_eq("round", 2u32))
        .index("by_region")
        .all()
        .await?;
    println!(
        "round 2: {:?}",
        round_two.iter().map(|m| &m.id).collect::<Vec<_>>()
    );

    // A connection of three edges; the client asks for what follows the second.
    let page = matches
        .query(Match::by_region_key("worlds", "eu"))
        .index("by_region")
        .limit(3)
        .page_with_cursors()
        .await?;
    for edge in &page.items {
        println!("edge {} cursor {}", edge.item.id, edge.cursor);
    }
    let after_second = matches
        .query(Match::by_region_key("worlds", "eu"))
        .index("by_region")
        .start_after(page.items[1].cursor.clone())
        .limit(2)
        .page()
        .await?;
    println!(
        "after m2: {:?}",
        after_second.items.iter().map(|m| &m.id).collect::<Vec<_>>()
    );

    // Another service added an attribute this model does not know: a strict read says so.
    client
        .sdk()
        .update_item()
        .table_name(client.physical_table_name("matches"))
        .key("id", AttributeValue::S("m1".into()))
        .update_expression("SET streamed_on = :s")
        .expression_attribute_values(":s", AttributeValue::S("tv".into()))
        .send()
        .await?;
    match matches.get(Match::key("m1")).strict(Strict::Refuse).await {
        Err(error) => println!("strict read: {error}"),
        Ok(found) => println!("strict read found {found:?}"),
    }

    // An ad-hoc read in PartiQL, its value bound as a parameter and the result typed.
    let unplaced = matches
        .partiql("SELECT * FROM matches WHERE id = ? AND region IS MISSING")
        .bind("m8")
        .all()
        .await?;
    println!(
        "not yet drawn: {:?}",
        unplaced.iter().map(|m| &m.id).collect::<Vec<_>>()
    );

    entities(&client).await
}

//! Multi-attribute global indexes declared by single-table entities: the index's keys are the
//! entity's own fields, stored whole with their types (nothing rendered), carried by the layout's
//! table definition (merged across entities that share it), queried by DynamoDB's rule and read
//! as the entity, sparse when a field is absent; schema-file entities validated against their
//! table.

use dynorm::entity::{
    Entity as _, EntityDefinition, EntityError, IndexLayout, Layout, SingleTable, table_definition,
};
use dynorm::expr::Update;
use dynorm::{Client, Error, Table};

struct Games;
impl SingleTable for Games {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
        ..Layout::new("games", "pk", Some("sk"))
    };
}

/// A match; `by_region` is keyed by (tournament, region) and sorted by (round, match_no).
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = Games, entity = "Match", pk = "T#{tournament}", sk = "M#{id}")]
#[dynorm(index(name = "by_region", pk(tournament, region), sk(round, match_no)))]
struct Game {
    tournament: String,
    id: String,
    /// Unknown until the draw: such a match is not in `by_region` (sparse).
    region: Option<String>,
    round: u32,
    match_no: u32,
}

/// A bye shares `by_region` (same attributes, same types, same order).
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = Games, pk = "T#{tournament}", sk = "B#{id}")]
#[dynorm(index(name = "by_region", pk(tournament, region), sk(round, match_no)))]
struct Bye {
    tournament: String,
    id: String,
    region: String,
    round: u32,
    match_no: u32,
}

/// Declares `by_region` with its sort attributes in another order.
#[derive(dynorm::Entity)]
#[dynorm(table = Games, pk = "T#{tournament}", sk = "X#{id}")]
#[dynorm(index(name = "by_region", pk(tournament, region), sk(match_no, round)))]
struct Odd {
    tournament: String,
    id: String,
    region: String,
    round: u32,
    match_no: u32,
}

fn game(id: u32, region: Option<&str>, round: u32, match_no: u32) -> Game {
    Game {
        tournament: "worlds".into(),
        id: format!("m{id}"),
        region: region.map(str::to_owned),
        round,
        match_no,
    }
}

async fn games() -> Client {
    let client = Client::embedded().expect("embedded");
    let shared = table_definition(
        &Games::LAYOUT,
        &[Game::entity_definition(), Bye::entity_definition()],
    )
    .expect("merge");
    client.create_table(&shared).await.expect("create");
    let t = client.table::<Game>();
    for (id, round, match_no) in [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 2, 2)] {
        t.put(&game(id, Some("eu"), round, match_no)).await.expect("put");
    }
    t.put(&game(5, Some("na"), 1, 1)).await.expect("put");
    t.put(&game(6, None, 1, 1)).await.expect("put");
    let bye = Bye {
        tournament: "worlds".into(),
        id: "b1".into(),
        region: "eu".into(),
        round: 2,
        match_no: 3,
    };
    client.table::<Bye>().put(&bye).await.expect("put bye");
    client
}

fn ids(found: &[Game]) -> Vec<&str> {
    found.iter().map(|g| g.id.as_str()).collect()
}

#[test]
fn the_entity_definition_carries_the_index_with_typed_attributes() {
    let def = Game::definition();
    let index = def
        .global_secondary_indexes
        .iter()
        .find(|g| g.name == "by_region")
        .expect("index");
    assert_eq!(index.partition_keys(), ["tournament", "region"]);
    assert_eq!(index.sort_keys(), ["round", "match_no"]);
    let types: Vec<&str> = ["tournament", "region", "round", "match_no"]
        .iter()
        .map(|a| def.key_type(a).expect("key").as_str())
        .collect();
    assert_eq!(types, ["S", "S", "N", "N"]);
    // The layout's own index is still there, and nothing else is added.
    assert!(def.index("gsi1").is_some());
    assert_eq!(def.global_secondary_indexes.len(), 2);
    def.validate().expect("valid");
    let entity = Game::entity_definition();
    assert_eq!(entity.indexes.len(), 1);
    entity.validate(def).expect("entity valid");
    // Written to schema files as a list of typed fields.
    let json = serde_json::to_value(&entity).expect("json");
    assert_eq!(
        json["indexes"][0]["sort_key"],
        serde_json::json!([{"field": "round", "type": "N"}, {"field": "match_no", "type": "N"}])
    );
}

#[test]
fn entities_sharing_an_index_must_declare_it_alike() {
    let merged = table_definition(
        &Games::LAYOUT,
        &[Game::entity_definition(), Bye::entity_definition()],
    )
    .expect("merge");
    assert_eq!(merged.global_secondary_indexes.len(), 2);
    let conflict = table_definition(
        &Games::LAYOUT,
        &[Game::entity_definition(), Odd::entity_definition()],
    )
    .expect_err("conflict");
    assert_eq!(
        (conflict.entity.as_str(), conflict.first.as_str()),
        ("Odd", "entity `Match`")
    );
    assert_eq!(conflict.index, "by_region");
    assert_eq!(
        conflict.to_string(),
        "table `games`: entity `Odd` declares index `by_region` as partition key `tournament` (S) + `region` (S), sort key `match_no` (N) + `round` (N), but entity `Match` declares it as partition key `tournament` (S) + `region` (S), sort key `round` (N) + `match_no` (N)"
    );
    // Another type for one attribute.
    let mut typed = Bye::entity_definition();
    typed.name = "Typed".into();
    typed.indexes[0].name = "by_round".into();
    typed.indexes[0].sort_key[0].key_type = dynorm::definition::ScalarType::S;
    let conflict = table_definition(&Games::LAYOUT, &[Game::entity_definition(), typed]).expect_err("type");
    assert_eq!(conflict.expected, "attribute `round` of type N");
    assert_eq!(conflict.first, "entity `Match`");
    // A name the layout uses.
    let mut clash = Bye::entity_definition();
    clash.indexes[0].name = "gsi1".into();
    let conflict = table_definition(&Games::LAYOUT, &[clash]).expect_err("layout");
    assert_eq!(conflict.first, "the layout");
}

#[tokio::test]
async fn queries_follow_dynamodbs_rule_and_read_only_the_entity() {
    let client = games().await;
    for client in [client.clone(), Client::from_sdk(client.sdk().clone())] {
        let t = client.table::<Game>();
        let q = |key| t.entity_query().index_key("by_region", key).all();
        let all = q(Game::by_region_key("worlds", "eu")).await.expect("partition");
        // The bye is in the index partition too, but not a Match: filtered out.
        assert_eq!(ids(&all), ["m1", "m2", "m3", "m4"]);
        let round_two = q(Game::by_region_key("worlds", "eu").and_sort_eq("round", 2u32))
            .await
            .expect("round");
        assert_eq!(ids(&round_two), ["m3", "m4"]);
        let later = q(Game::by_region_key("worlds", "eu")
            .and_sort_eq("round", 1u32)
            .sort_ge("match_no", 2u32))
        .await
        .expect("range");
        assert_eq!(ids(&later), ["m2"]);
        let byes = client
            .table::<Bye>()
            .entity_query()
            .index_key("by_region", Bye::by_region_key("worlds", "eu"))
            .all()
            .await
            .expect("byes");
        assert_eq!(byes.len(), 1);
    }
}

#[tokio::test]
async fn key_conditions_breaking_the_rule_or_the_model_are_refused_before_sending() {
    let client = games().await;
    let (recorded, recording) = dynorm::testing::instrument(&client);
    let t = recorded.table::<Game>();
    // A sort attribute skipped: the query rule tables use.
    match t
        .entity_query()
        .index_key(
            "by_region",
            Game::by_region_key("worlds", "eu").sort_eq("match_no", 1u32),
        )
        .all()
        .await
    {
        Err(EntityError::Dynamo(Error::InvalidKeyCondition { index, found, .. })) => {
            assert_eq!(index.as_deref(), Some("by_region"));
            assert_eq!(found, "`match_no`");
        }
        other => panic!("expected InvalidKeyCondition, found {other:?}"),
    }
    // Not an index of the entity's own.
    match t
        .entity_query()
        .index_key("gsi1", Game::by_region_key("worlds", "eu"))
        .all()
        .await
    {
        Err(EntityError::BadIndex { index, reason, .. }) => {
            assert_eq!(index.as_deref(), Some("gsi1"));
            assert!(reason.contains("`by_region`"), "{reason}");
        }
        other => panic!("expected BadIndex, found {other:?}"),
    }
    // Template field conditions do not mix with it.
    assert!(matches!(
        t.entity_query()
            .field("tournament", "worlds")
            .index_key("by_region", Game::by_region_key("worlds", "eu"))
            .all()
            .await,
        Err(EntityError::BadIndex { .. })
    ));
    assert!(recording.requests().is_empty());
}

#[tokio::test]
async fn an_entity_missing_an_index_field_is_not_in_the_index_and_updates_keep_it_right() {
    let client = games().await;
    let t = client.table::<Game>();
    let round_one = || async {
        let key = Game::by_region_key("worlds", "eu").and_sort_eq("round", 1u32);
        let found = t
            .entity_query()
            .index_key("by_region", key)
            .all()
            .await
            .expect("query");
        ids(&found).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    // m6 has no region: not in the index.
    assert_eq!(round_one().await, ["m1", "m2"]);
    // The stored item has no `region` attribute at all (not NULL).
    let stored = client
        .table::<dynorm::entity::RawItem<Games>>()
        .get(dynorm::entity::RawItem::key(Game::key("worlds", "m6")))
        .await
        .expect("get")
        .expect("item");
    assert!(!stored.item.contains_key("region"));
    // An entity update setting the field brings it in (nothing to recompute)...
    t.entity_update(Game::key("worlds", "m6"))
        .set("region", "eu")
        .set("match_no", 3u32)
        .send()
        .await
        .expect("update");
    assert_eq!(round_one().await, ["m1", "m2", "m6"]);
    // ... a plain update moving a sort attribute moves it within the index ...
    t.update(Game::key("worlds", "m6"))
        .apply(Update::new().set("round", 2u32))
        .await
        .expect("update");
    assert_eq!(round_one().await, ["m1", "m2"]);
    // ... and removing the field takes it out again.
    t.entity_update(Game::key("worlds", "m2"))
        .remove("region")
        .send()
        .await
        .expect("remove");
    assert_eq!(round_one().await, ["m1"]);
}

#[test]
fn schema_file_entities_are_validated_against_their_table() {
    let table = Game::definition();
    let entity = |indexes: serde_json::Value| -> EntityDefinition {
        let mut json = serde_json::to_value(Game::entity_definition()).expect("json");
        json["indexes"] = indexes;
        serde_json::from_value(json).expect("entity")
    };
    let problems = entity(serde_json::json!([
        {"name": "by_region", "partition_key": [{"field": "tournament", "type": "S"}, {"field": "region", "type": "N"}]},
        {"name": "by_nothing", "partition_key": [{"field": "round", "type": "N"}]},
        {"name": "wide", "partition_key": [
            {"field": "tournament", "type": "S"}, {"field": "region", "type": "S"}, {"field": "round", "type": "N"},
            {"field": "match_no", "type": "N"}, {"field": "id", "type": "S"}
        ]},
        {"name": "gsi1", "partition_key": [{"field": "color", "type": "S"}, {"field": "round", "type": "N"}, {"field": "round", "type": "N"}]}
    ]))
    .problems_in(table);
    assert_eq!(
        problems,
        [
            "partition key of index `wide` has 5 attributes; DynamoDB allows 1 to 4",
            "index `gsi1` reads `color`, which is not a field (fields: `tournament`, `id`, `region`, `round`, `match_no`)",
            "index `gsi1` names field `round` twice",
            "index `by_region` attribute `region`: the entity stores N, table `games` declares S",
            "sort key of index `by_region`: the entity reads none, table `games` declares `round`, `match_no`",
            "table `games` has no global index `by_nothing`",
            "table `games` has no global index `wide`",
            "partition key of index `gsi1`: the entity reads `color`, `round`, `round`, table `games` declares `gsi1pk`",
            "sort key of index `gsi1`: the entity reads none, table `games` declares `gsi1sk`",
        ],
    );
}

#[test]
fn infra_and_documents_show_the_entity_index() {
    use dynorm::infra::{ExportOptions, cloudformation, docs};
    let entities = [Game::entity_definition(), Bye::entity_definition()];
    let tables = [table_definition(&Games::LAYOUT, &entities).expect("merge")];
    let template = cloudformation::template(&tables, &ExportOptions::default())
        .expect("cfn")
        .to_json();
    let json: serde_json::Value = serde_json::from_str(&template).expect("json");
    let (_, table) = json["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .next()
        .expect("table");
    let index = table["Properties"]["GlobalSecondaryIndexes"]
        .as_array()
        .expect("gsis")
        .iter()
        .find(|g| g["IndexName"] == "by_region")
        .expect("by_region");
    let schema: Vec<(&str, &str)> = index["KeySchema"]
        .as_array()
        .expect("key schema")
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap_or(""),
                k["KeyType"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        schema,
        [
            ("tournament", "HASH"),
            ("region", "HASH"),
            ("round", "RANGE"),
            ("match_no", "RANGE")
        ]
    );
    let markdown = docs::DataModelDoc::new(&tables)
        .entities(&entities)
        .render()
        .expect("docs");
    for row in [
        "| `by_region` partition key (2 of 2) | `region` | field `region` (S) |",
        "| `by_region` sort key (1 of 2) | `round` | field `round` (N) |",
        "| query | `by_region` (sparse: items with `region`) | `tournament`, `region` | an equality on each partition attribute; then equalities on a leading run of `round`, `match_no` and at most one range on the next |",
    ] {
        assert!(markdown.contains(row), "{row} not in\n{markdown}");
    }
}

/// A schema file's entity with a multi-attribute index is checked against the file's table;
/// each problem names the entity, the index and the attribute, at its place in the file.
#[cfg(feature = "schema-files")]
#[test]
fn schema_files_read_and_check_entity_indexes() {
    use dynorm::schema_file::{Schema, SchemaFormat};
    let table =
        serde_json::to_value(table_definition(&Games::LAYOUT, &[Game::entity_definition()]).expect("merge"))
            .expect("table");
    let good = serde_json::json!({ "tables": [table], "entities": [Game::entity_definition()] });
    let schema = Schema::parse(&good.to_string(), SchemaFormat::Json, "good.json").expect("valid");
    assert_eq!(schema.entities[0].indexes[0].name, "by_region");

    let mut entity = serde_json::to_value(Game::entity_definition()).expect("entity");
    entity["indexes"][0]["sort_key"][1]["type"] = "S".into();
    let bad = serde_json::json!({ "tables": [table], "entities": [entity] });
    let message = Schema::parse(
        &serde_json::to_string_pretty(&bad).expect("json"),
        SchemaFormat::Json,
        "bad.json",
    )
    .expect_err("must fail")
    .to_string();
    assert!(
        message.contains(
            "entity `Match`: index `by_region` attribute `match_no`: the entity stores S, table `games` declares N"
        ),
        "{message}"
    );
}

/// dynamojo's `store_aliases = false` keeps a field a key holds whole only in that key; a field
/// a multi-attribute index reads is still stored (the index's key is its own attribute), so the
/// item stays in the index and reads back whole.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = Games, entity = "Seat", pk = "{venue}", sk = "S#{seat}", store_aliases = false)]
#[dynorm(index(name = "by_venue", pk(venue), sk(seat)))]
struct Seat {
    venue: String,
    seat: u32,
    holder: String,
}

#[tokio::test]
async fn a_field_a_multi_attribute_index_reads_is_stored_even_without_aliases() {
    // Both engine paths, each on a database of its own: the embedded engine directly, and the
    // SDK client.
    let direct = Client::embedded().expect("embedded");
    let sdk = Client::from_sdk(Client::embedded().expect("embedded").sdk().clone());
    for (path, client) in [("direct", direct), ("sdk", sdk)] {
        let shared = table_definition(&Games::LAYOUT, &[Seat::entity_definition()]).expect("merge");
        client.create_table(&shared).await.expect("create");
        let seats = client.table::<Seat>();
        let seat = Seat {
            venue: "arena".into(),
            seat: 7,
            holder: "ann".into(),
        };
        seats.put(&seat).await.expect("put");
        let stored = client
            .sdk()
            .scan()
            .table_name("games")
            .send()
            .await
            .expect("scan")
            .items
            .unwrap_or_default();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            stored[0].get("venue"),
            Some(&dynorm::AttributeValue::S("arena".into())),
            "{path}: the index reads `venue` as its own attribute: {:?}",
            stored[0]
        );
        assert_eq!(
            stored[0].get("pk"),
            Some(&dynorm::AttributeValue::S("arena".into()))
        );
        let found = seats
            .entity_query()
            .index_key("by_venue", Seat::by_venue_key("arena"))
            .all()
            .await
            .expect("query");
        assert_eq!(found, [seat]);
    }
}

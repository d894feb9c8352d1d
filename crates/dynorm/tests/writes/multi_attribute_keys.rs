//! Global indexes with multi-attribute keys (DynamoDB, November 2025): declared on the derive and
//! in schema files, validated, created and compared, queried by DynamoDB's rule, sparse when an
//! attribute is missing, and never stale on any write route (nothing is computed) — on the
//! embedded engine, both code paths.

use dynorm::definition::{AttributeDefinition, AttributeType};
use dynorm::expr::{KeyCondition, Update};
use dynorm::{Client, Error, GlobalSecondaryIndex, Table, TableDefinition};

/// A match of a tournament; `by_region` is keyed by (tournament, region) and sorted by
/// (round, bracket, match_no), each attribute with its own type.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "matches")]
#[dynorm(gsi(
    name = "by_region",
    partition_key(tournament, region),
    sort_key(round, bracket, match_no)
))]
struct Match {
    #[dynorm(partition_key)]
    id: String,
    tournament: String,
    /// Not yet known for some matches: those are not in the index (sparse).
    region: Option<String>,
    round: u32,
    bracket: String,
    match_no: u32,
}

fn game(id: u32, region: Option<&str>, round: u32, bracket: &str, match_no: u32) -> Match {
    Match {
        id: format!("m{id}"),
        tournament: "worlds".into(),
        region: region.map(str::to_owned),
        round,
        bracket: bracket.into(),
        match_no,
    }
}

async fn matches() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    let t = client.table::<Match>();
    t.create().await.expect("create");
    let mut id = 0;
    for round in 1..=2 {
        for bracket in ["upper", "lower"] {
            for match_no in 1..=3 {
                id += 1;
                t.put(&game(id, Some("eu"), round, bracket, match_no))
                    .await
                    .expect("put");
            }
        }
    }
    t.put(&game(100, Some("na"), 1, "upper", 1)).await.expect("put");
    t.put(&game(101, None, 1, "upper", 1)).await.expect("put");
    client
}

fn ids(found: &[Match]) -> Vec<String> {
    found.iter().map(|m| m.id.clone()).collect()
}

fn region_key() -> KeyCondition {
    KeyCondition::partition("tournament", "worlds").and_partition("region", "eu")
}

#[test]
fn the_derive_declares_every_attribute_in_order() {
    let index = &Match::definition().global_secondary_indexes[0];
    assert_eq!(index.partition_keys(), ["tournament", "region"]);
    assert_eq!(index.sort_keys(), ["round", "bracket", "match_no"]);
    assert!(index.is_multi_attribute());
    Match::definition().validate().expect("valid");
    // Each attribute keeps its own type: no concatenated string.
    let types: Vec<_> = ["round", "bracket", "match_no"]
        .iter()
        .map(|a| Match::definition().key_type(a).expect("key").as_str())
        .collect();
    assert_eq!(types, ["N", "S", "N"]);
}

#[tokio::test]
async fn created_indexes_read_back_the_same_and_compare_equal() {
    let client = matches().await;
    let live = client
        .describe_table("matches")
        .await
        .expect("describe")
        .expect("exists");
    assert_eq!(
        live.global_secondary_indexes[0].partition_keys(),
        ["tournament", "region"]
    );
    assert_eq!(
        live.global_secondary_indexes[0].sort_keys(),
        ["round", "bracket", "match_no"]
    );
    assert!(
        client
            .compare_table(Match::definition())
            .await
            .expect("compare")
            .is_empty()
    );

    // A different order of the sort attributes is a different index.
    let mut reordered = Match::definition().clone();
    reordered.global_secondary_indexes[0].additional_sort_keys = vec!["match_no".into(), "bracket".into()];
    let differences = client.compare_table(&reordered).await.expect("compare");
    assert_eq!(
        differences,
        [
            "global index `by_region` sort key: definition `round`, `match_no`, `bracket`, table `round`, `bracket`, `match_no`"
        ]
    );
}

#[tokio::test]
async fn queries_follow_dynamodbs_rule_on_both_paths() {
    let embedded = matches().await;
    for client in [
        embedded.clone(),
        Client::from_sdk(embedded.sdk().clone()).with_table_names(embedded.table_names().clone()),
    ] {
        let t = client.table::<Match>();
        let q = |key: KeyCondition| t.query(key).index("by_region").all();
        // Every partition attribute: the whole partition, sorted by round, bracket, match_no.
        let all = q(region_key()).await.expect("partition");
        assert_eq!(all.len(), 12);
        let order: Vec<(u32, String, u32)> = all
            .iter()
            .map(|m| (m.round, m.bracket.clone(), m.match_no))
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        // Equality on a leading run, then a range on the next attribute.
        let some = q(region_key()
            .and_sort_eq("round", 2u32)
            .and_sort_eq("bracket", "upper")
            .sort_ge("match_no", 2u32))
        .await
        .expect("range");
        assert_eq!(
            some.iter().map(|m| (m.round, m.match_no)).collect::<Vec<_>>(),
            [(2, 2), (2, 3)]
        );
        let lower = q(region_key()
            .and_sort_eq("round", 1u32)
            .sort_begins_with("bracket", "lo"))
        .await
        .expect("prefix");
        assert_eq!(lower.len(), 3);
        assert!(lower.iter().all(|m| m.bracket == "lower" && m.round == 1));
        let between = q(region_key().sort_between("round", 2u32, 9u32))
            .await
            .expect("between");
        assert_eq!(between.len(), 6);
        // The other region's partition holds only its own match.
        let na = q(KeyCondition::partition("tournament", "worlds").and_partition("region", "na"))
            .await
            .expect("na");
        assert_eq!(ids(&na), ["m100"]);
    }
}

#[tokio::test]
async fn key_conditions_breaking_the_rule_are_refused_before_sending() {
    let client = matches().await;
    let (recorded, recording) = dynorm::testing::instrument(&client);
    let t = recorded.table::<Match>();
    let refused = |result: dynorm::Result<Vec<Match>>| match result {
        Err(Error::InvalidKeyCondition {
            index,
            expected,
            found,
            ..
        }) => {
            assert_eq!(index.as_deref(), Some("by_region"));
            (expected, found)
        }
        other => panic!("expected InvalidKeyCondition, found {other:?}"),
    };
    // A partition attribute missing.
    let (expected, found) = refused(
        t.query(KeyCondition::partition("tournament", "worlds"))
            .index("by_region")
            .all()
            .await,
    );
    assert_eq!(
        expected,
        "an equality on each partition-key attribute `tournament`, `region`"
    );
    assert_eq!(found, "`tournament`");
    assert!(
        t.query_partition("worlds")
            .index("by_region")
            .all()
            .await
            .is_err()
    );
    // A sort attribute skipped.
    let (expected, found) = refused(
        t.query(region_key().sort_eq("bracket", "upper"))
            .index("by_region")
            .all()
            .await,
    );
    assert!(
        expected.starts_with(
            "conditions on a leading run of the sort-key attributes `round`, `bracket`, `match_no`"
        ),
        "{expected}"
    );
    assert_eq!(found, "`bracket`");
    // Out of order.
    let (_, found) = refused(
        t.query(
            region_key()
                .and_sort_eq("bracket", "upper")
                .sort_eq("round", 1u32),
        )
        .index("by_region")
        .all()
        .await,
    );
    assert_eq!(found, "`bracket`, `round`");
    assert!(recording.requests().is_empty());
}

#[tokio::test]
async fn an_item_missing_a_key_attribute_is_not_in_the_index_and_no_write_leaves_it_stale() {
    let client = matches().await;
    let t = client.table::<Match>();
    let index_ids = || async {
        let mut found = ids(&t
            .query(
                region_key()
                    .and_sort_eq("round", 1u32)
                    .and_sort_eq("bracket", "upper")
                    .sort_eq("match_no", 1u32),
            )
            .index("by_region")
            .all()
            .await
            .expect("query"));
        found.sort();
        found
    };
    assert_eq!(index_ids().await, ["m1"]);

    // m101 has no region: sparse. A plain update setting it brings it in — nothing to recompute.
    t.update(Match::key("m101"))
        .apply(Update::new().set("region", "eu"))
        .await
        .expect("update");
    assert_eq!(index_ids().await, ["m1", "m101"]);
    // Removing an attribute takes the item out again.
    t.update(Match::key("m101"))
        .apply(Update::new().remove("region"))
        .await
        .expect("remove");
    assert_eq!(index_ids().await, ["m1"]);
    // Changing a sort attribute moves it within the index: put, batch put and transaction alike.
    t.put(&game(101, Some("eu"), 1, "upper", 1)).await.expect("put");
    assert_eq!(index_ids().await, ["m1", "m101"]);
    t.batch_put([game(101, Some("eu"), 1, "upper", 7)])
        .await
        .expect("batch");
    assert_eq!(index_ids().await, ["m1"]);
    client
        .transact_write()
        .put(&t, &game(101, Some("eu"), 1, "upper", 1))
        .send()
        .await
        .expect("transaction");
    assert_eq!(index_ids().await, ["m1", "m101"]);
    t.upsert(&game(101, None, 1, "upper", 1)).await.expect("upsert");
    assert_eq!(index_ids().await, ["m1"]);
    t.put(&game(101, Some("eu"), 1, "upper", 1)).await.expect("put");
    t.delete(Match::key("m101")).await.expect("delete");
    assert_eq!(index_ids().await, ["m1"]);
}

#[tokio::test]
async fn item_cursors_on_a_multi_attribute_index_carry_every_key_attribute() {
    let client = matches().await;
    let t = client.table::<Match>();
    let page = t
        .query(region_key())
        .index("by_region")
        .limit(4)
        .page_with_cursors()
        .await
        .expect("page");
    let rest = t
        .query(region_key())
        .index("by_region")
        .start_after(page.items[1].cursor.clone())
        .all()
        .await
        .expect("resume");
    let all = t.query(region_key()).index("by_region").all().await.expect("all");
    assert_eq!(rest, all[2..]);
}

#[test]
fn definitions_are_validated_by_dynamodbs_limits() {
    let mut def = TableDefinition::new("wide", "id", AttributeType::String);
    for name in ["a", "b", "c", "d", "e"] {
        def.attributes
            .push(AttributeDefinition::new(name, AttributeType::String));
    }
    def.attributes
        .push(AttributeDefinition::new("blob", AttributeType::Map));
    def.global_secondary_indexes.push(GlobalSecondaryIndex::multi(
        "too_wide",
        ["a", "b", "c", "d", "e"],
        ["id"],
    ));
    def.global_secondary_indexes
        .push(GlobalSecondaryIndex::multi("twice", ["a", "b"], ["a"]));
    def.global_secondary_indexes.push(GlobalSecondaryIndex::multi(
        "bad_type",
        ["a", "blob"],
        Vec::<String>::new(),
    ));
    let mut headless = GlobalSecondaryIndex::new("headless", "a", None);
    headless.additional_sort_keys = vec!["b".into()];
    def.global_secondary_indexes.push(headless);
    let problems = def.problems();
    assert_eq!(
        problems,
        [
            "partition key of index `too_wide` has 5 attributes, more than DynamoDB's limit of 4",
            "index `twice` names key attribute `a` twice",
            "partition key of index `bad_type` `blob` has type `map`, but key attributes must be string, number or binary",
            "sort key of index `headless` lists further attributes (b) but no first one",
        ]
    );
}

#[test]
fn schema_files_write_a_multi_attribute_key_as_a_list() {
    let json = r#"{
        "name": "matches", "partition_key": "id",
        "attributes": [
            {"name": "id", "type": "string"}, {"name": "tournament", "type": "string"},
            {"name": "region", "type": "string"}, {"name": "round", "type": "number"}
        ],
        "global_secondary_indexes": [
            {"name": "by_region", "partition_key": ["tournament", "region"], "sort_key": "round"}
        ]
    }"#;
    let def: TableDefinition = serde_json::from_str(json).expect("parse");
    let index = &def.global_secondary_indexes[0];
    assert_eq!(index.partition_keys(), ["tournament", "region"]);
    assert_eq!(index.sort_keys(), ["round"]);
    def.validate().expect("valid");
    // Written back: a list for several attributes, a name for one.
    let written = serde_json::to_value(&def).expect("write");
    assert_eq!(
        written["global_secondary_indexes"][0]["partition_key"],
        serde_json::json!(["tournament", "region"])
    );
    assert_eq!(
        written["global_secondary_indexes"][0]["sort_key"],
        serde_json::json!("round")
    );
    let error = serde_json::from_str::<TableDefinition>(&json.replace(r#"["tournament", "region"]"#, "[]"))
        .expect_err("empty list");
    assert!(
        error.to_string().contains("a list of 1 to 4 attribute names"),
        "{error}"
    );
}

/// The documented migration from a concatenated key to a multi-attribute one: the attributes are
/// already stored on their own, so adding the index is a plan/apply step and DynamoDB fills it
/// from the items (nothing to backfill: no key is computed); then the old index is removed.
#[tokio::test]
async fn a_concatenated_index_is_replaced_by_a_multi_attribute_one_with_plan_and_apply() {
    use dynorm::migrate::{ApplyOptions, apply, plan};

    let client = dynorm::testing::client().await.expect("test client");
    // Before: `by_region_old` on a concatenated `tournament_region` attribute ("worlds#eu").
    let mut before = Match::definition().clone();
    before.global_secondary_indexes.clear();
    before.attributes.push(AttributeDefinition::new(
        "tournament_region",
        AttributeType::String,
    ));
    before.global_secondary_indexes.push(GlobalSecondaryIndex::new(
        "by_region_old",
        "tournament_region",
        None,
    ));
    client.create_table(&before).await.expect("create");
    let t = client.table::<Match>();
    for n in 1..=3 {
        t.put(&game(n, Some("eu"), 1, "upper", n)).await.expect("put");
    }

    // Step 1: add the multi-attribute index next to the old one.
    let mut both = Match::definition().clone();
    both.attributes.push(AttributeDefinition::new(
        "tournament_region",
        AttributeType::String,
    ));
    both.global_secondary_indexes.push(GlobalSecondaryIndex::new(
        "by_region_old",
        "tournament_region",
        None,
    ));
    let step = plan(&client, &[both.clone()]).await.expect("plan");
    assert_eq!(
        step.to_string(),
        "+ matches: add GSI by_region (tournament + region, round + bracket + match_no, projection all)\n"
    );
    apply(&client, &step, ApplyOptions::default())
        .await
        .expect("apply");
    // The existing items are in the new index at once.
    let found = t
        .query(region_key())
        .index("by_region")
        .all()
        .await
        .expect("query");
    assert_eq!(ids(&found), ["m1", "m2", "m3"]);

    // Step 2, once nothing reads it: remove the old index (destructive, so asked for).
    let last = plan(&client, &[Match::definition().clone()]).await.expect("plan");
    assert_eq!(
        last.to_string(),
        "- matches: remove GSI by_region_old [destructive]\n"
    );
    let refused = apply(&client, &last, ApplyOptions::default()).await;
    assert!(refused.is_err());
    apply(
        &client,
        &last,
        ApplyOptions {
            allow_destructive: true,
            ..ApplyOptions::default()
        },
    )
    .await
    .expect("apply");
    assert!(
        client
            .compare_table(Match::definition())
            .await
            .expect("compare")
            .is_empty()
    );
}

#[test]
fn an_entity_cannot_compose_templates_for_a_multi_attribute_index() {
    let mut table = TableDefinition::new("app", "pk", AttributeType::String);
    for name in ["tenant", "region"] {
        table
            .attributes
            .push(AttributeDefinition::new(name, AttributeType::String));
    }
    table.global_secondary_indexes.push(GlobalSecondaryIndex::multi(
        "by_region",
        ["tenant", "region"],
        Vec::<String>::new(),
    ));
    let entity: dynorm::entity::EntityDefinition = serde_json::from_value(serde_json::json!({
        "name": "Site", "table": "app",
        "fields": [{ "name": "tenant" }, { "name": "region" }],
        "keys": [
            { "attribute": "pk", "template": "S#{tenant}" },
            { "index": "by_region", "attribute": "tenant", "template": "{tenant}" }
        ]
    }))
    .expect("entity");
    let problems = entity.problems_in(&table);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("index `by_region` has a multi-attribute key")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn the_generated_index_key_takes_every_partition_attribute_with_its_type() {
    let client = matches().await;
    let t = client.table::<Match>();
    // `Match::by_region_key(tournament, region)`: leaving one out does not compile.
    let key = Match::by_region_key("worlds", "eu");
    assert_eq!(key.partition_keys(), ["tournament", "region"]);
    let found = t
        .query(key.and_sort_eq("round", 2u32))
        .index("by_region")
        .all()
        .await
        .expect("query");
    assert_eq!(found.len(), 6);
    assert!(found.iter().all(|m| m.round == 2));
}

#[tokio::test]
async fn clear_through_a_multi_attribute_index_takes_every_key_attribute() {
    let client = matches().await;
    let t = client.table::<Match>();
    // Round 1 of the upper bracket in eu: three matches; nothing else is touched.
    let cleared = t
        .clear_key(
            region_key()
                .and_sort_eq("round", 1u32)
                .sort_eq("bracket", "upper"),
        )
        .index("by_region")
        .await
        .expect("clear");
    assert_eq!(cleared.written, 3);
    assert_eq!(
        t.query(region_key())
            .index("by_region")
            .all()
            .await
            .expect("eu")
            .len(),
        9
    );
    assert!(t.get(Match::key("m100")).await.expect("get").is_some());
    assert!(t.get(Match::key("m101")).await.expect("get").is_some());

    // One partition attribute is not the partition: refused by the query rule, nothing sent.
    let (recorded, recording) = dynorm::testing::instrument(&client);
    let loose = recorded.table::<Match>();
    match loose.clear_partition("worlds").index("by_region").await {
        Err(Error::InvalidKeyCondition { index, expected, .. }) => {
            assert_eq!(index.as_deref(), Some("by_region"));
            assert_eq!(
                expected,
                "an equality on each partition-key attribute `tournament`, `region`"
            );
        }
        other => panic!("expected InvalidKeyCondition, found {other:?}"),
    }
    match loose
        .clear()
        .partition_begins_with("wor")
        .index("by_region")
        .await
    {
        Err(Error::InvalidRequest { index, message, .. }) => {
            assert_eq!(index.as_deref(), Some("by_region"));
            assert!(message.contains("several"), "{message}");
        }
        other => panic!("expected InvalidRequest, found {other:?}"),
    }
    // A skipped sort attribute, as for a query.
    assert!(matches!(
        loose
            .clear_key(region_key().sort_eq("bracket", "lower"))
            .index("by_region")
            .await,
        Err(Error::InvalidKeyCondition { .. })
    ));
    assert!(recording.requests().is_empty());
    // The whole eu partition.
    let rest = loose
        .clear_key(region_key())
        .index("by_region")
        .await
        .expect("clear");
    assert_eq!(rest.written, 9);
}

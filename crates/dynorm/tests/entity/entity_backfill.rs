//! Backfilling composed keys on the embedded engine: items written by an old version of an entity
//! get the keys of the new version, sparse keys are removed, table key changes are reported and
//! never attempted, dry runs write nothing, runs resume from a saved cursor, and concurrent
//! changes are not clobbered.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use dynorm::entity::backfill::{Backfill, BackfillError, Counts, ItemOutcome, Problem};
use dynorm::entity::{Entity as _, EntityDefinition, IndexLayout, Layout, RawItem, SingleTable};
use dynorm::{Client, Item, Table as _};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[
            IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk")),
            IndexLayout::global("gsi2", "gsi2pk", Some("gsi2sk")),
        ],
        ..Layout::new("app", "pk", Some("sk"))
    };
}

/// The entity as first deployed: only the table keys and `gsi1` by email.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{user}")]
#[dynorm(index(name = "gsi1", pk = "EMAIL#{email}", sk = "T#{tenant}"))]
struct UserV1 {
    tenant: String,
    user: String,
    email: String,
    team: Option<String>,
    rank: u32,
}

/// The next version: `gsi1` keyed by lower-case email under a new prefix, and a new sparse
/// `gsi2` of the users in a team, ordered by rank.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{user}")]
#[dynorm(index(name = "gsi1", pk = "MAIL#{email}", sk = "T#{tenant}"))]
#[dynorm(index(name = "gsi2", pk = "TEAM#{team}", sk = "R#{rank:04}#{user}"))]
struct User {
    tenant: String,
    user: String,
    email: String,
    team: Option<String>,
    rank: u32,
}

/// Another entity of the same table, which a backfill of `User` must leave alone.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Order", pk = "T#{tenant}", sk = "O#{order}")]
#[dynorm(index(name = "gsi1", pk = "ORDER#{order}", sk = "T#{tenant}"))]
struct Order {
    tenant: String,
    order: String,
}

fn old_user(i: usize) -> UserV1 {
    UserV1 {
        tenant: "acme".into(),
        user: format!("u{i:02}"),
        email: format!("u{i:02}@acme.test"),
        team: i.is_multiple_of(2).then(|| "red".to_owned()),
        rank: i as u32,
    }
}

async fn db() -> Client {
    dynorm::testing::database(&[User::definition()]).await.unwrap()
}

/// `n` users written by the old version and three orders.
async fn seeded(n: usize) -> Client {
    let client = db().await;
    for i in 0..n {
        client.table::<UserV1>().put(&old_user(i)).send().await.unwrap();
    }
    for o in ["o1", "o2", "o3"] {
        let order = Order {
            tenant: "acme".into(),
            order: o.into(),
        };
        client.table::<Order>().put(&order).send().await.unwrap();
    }
    client
}

/// Every stored item, by table key.
async fn snapshot(client: &Client) -> BTreeMap<(String, String), Item> {
    let raw = client.table_named::<RawItem<App>>("app");
    raw.scan()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let key = |a: &str| r.item[a].as_s().unwrap().clone();
            ((key("pk"), key("sk")), r.item)
        })
        .collect()
}

fn backfill(client: &Client) -> Backfill {
    Backfill::new(client, User::definition(), [User::entity_definition()])
}

async fn run_all(b: Backfill) -> dynorm::entity::backfill::BackfillReport {
    b.run(|_| ControlFlow::Continue(())).await.unwrap()
}

#[tokio::test]
async fn old_items_get_the_new_keys_and_the_new_index_finds_them() {
    let client = seeded(12).await;
    let before = snapshot(&client).await;
    // Before: the new index finds nothing.
    let users = client.table::<User>();
    assert!(
        users
            .entity_query()
            .field("team", "red")
            .all()
            .await
            .unwrap()
            .is_empty()
    );

    let report = run_all(backfill(&client)).await;
    assert!(report.complete && report.is_clean() && !report.dry_run);
    assert_eq!(
        report.counts,
        Counts {
            scanned: 15,
            matched: 12,
            rewritten: 12,
            ..Counts::default()
        }
    );

    // Every user is exactly what a fresh write of the new version stores.
    let after = snapshot(&client).await;
    for i in 0..12usize {
        let new = User {
            tenant: "acme".into(),
            user: format!("u{i:02}"),
            email: format!("u{i:02}@acme.test"),
            team: i.is_multiple_of(2).then(|| "red".to_owned()),
            rank: i as u32,
        };
        let key = ("T#acme".to_owned(), format!("U#u{i:02}"));
        assert_eq!(after[&key], new.to_entity_item().unwrap(), "user {i}");
    }
    // The orders are untouched.
    for (key, item) in &before {
        if key.1.starts_with("O#") {
            assert_eq!(&after[key], item);
        }
    }
    // The new index finds the team, in rank order; the renamed gsi1 key finds a user by email.
    let red = users.entity_query().field("team", "red").all().await.unwrap();
    assert_eq!(
        red.iter().map(|u| u.rank).collect::<Vec<_>>(),
        [0, 2, 4, 6, 8, 10]
    );
    let found = users
        .entity_query()
        .field("email", "u03@acme.test")
        .all()
        .await
        .unwrap();
    assert_eq!(found[0].user, "u03");

    // A second run finds nothing to do.
    let again = run_all(backfill(&client)).await;
    assert_eq!(again.counts.unchanged, 12);
    assert_eq!(again.counts.rewritten, 0);
}

#[tokio::test]
async fn sparse_keys_are_removed_when_their_field_is_absent() {
    let client = seeded(0).await;
    let users = client.table::<User>();
    let mut u = User {
        tenant: "acme".into(),
        user: "ann".into(),
        email: "ann@acme.test".into(),
        team: Some("red".into()),
        rank: 1,
    };
    users.put(&u).send().await.unwrap();
    // Another tool removes the team but leaves the index keys behind.
    let raw = client.table_named::<RawItem<App>>("app");
    raw.update(RawItem::key(User::key("acme", "ann")))
        .remove("team")
        .send()
        .await
        .unwrap();
    let stale = snapshot(&client).await;
    assert!(stale.values().any(|i| i.contains_key("gsi2pk")));

    let mut removed = Vec::new();
    let report = backfill(&client)
        .run(|page| {
            removed.extend(page.changes.iter().map(|c| c.rewrite.remove.clone()));
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(report.counts.rewritten, 1);
    assert_eq!(removed, [vec!["gsi2pk".to_owned(), "gsi2sk".to_owned()]]);
    u.team = None;
    let after = snapshot(&client).await;
    assert_eq!(
        after[&("T#acme".to_owned(), "U#ann".to_owned())],
        u.to_entity_item().unwrap()
    );
    assert!(
        users
            .entity_query()
            .field("team", "red")
            .all()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_reports_what_would_change() {
    let client = seeded(5).await;
    let before = snapshot(&client).await;
    let mut changes = Vec::new();
    let report = backfill(&client)
        .dry_run(true)
        .run(|page| {
            changes.extend(page.changes.iter().map(ToString::to_string));
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert!(report.dry_run && report.complete);
    assert_eq!(report.counts.rewritten, 5);
    assert_eq!(snapshot(&client).await, before);
    let u00 = changes
        .iter()
        .find(|c| c.starts_with("pk=`T#acme`, sk=`U#u00`"))
        .unwrap();
    assert_eq!(
        u00,
        "pk=`T#acme`, sk=`U#u00` (User): set gsi1pk = `MAIL#u00@acme.test`, gsi2pk = `TEAM#red`, gsi2sk = `R#0000#u00`"
    );
}

#[tokio::test]
async fn a_run_stopped_after_one_page_resumes_from_its_cursor_with_the_right_totals() {
    let client = seeded(25).await;
    let mut seen = Vec::new();
    let first = backfill(&client)
        .page_size(10)
        .run(|page| {
            seen.push((page.page, page.counts.scanned, page.cursor.is_some()));
            ControlFlow::Break(())
        })
        .await
        .unwrap();
    assert_eq!(seen, [(1, 10, true)]);
    assert!(!first.complete);
    assert_eq!(first.counts.scanned, 10);
    let cursor = first.cursor.clone().unwrap();
    // The cursor is text a caller saves, and takes back later.
    let saved = cursor.to_string();

    let mut pages = 0;
    let rest = backfill(&client)
        .page_size(10)
        .resume(saved.parse().unwrap(), first.counts)
        .run(|_| {
            pages += 1;
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert!(rest.complete && rest.cursor.is_none());
    assert_eq!(pages, 2);
    assert_eq!(rest.counts.scanned, 28);
    assert_eq!(rest.counts.matched, 25);
    assert_eq!(rest.counts.rewritten, 25);
    let red = client
        .table::<User>()
        .entity_query()
        .field("team", "red")
        .all()
        .await
        .unwrap();
    assert_eq!(red.len(), 13);

    // `max_pages` stops too; a cursor of another table is refused.
    let capped = backfill(&client).page_size(10).max_pages(1);
    let capped = capped.run(|_| ControlFlow::Continue(())).await.unwrap();
    assert!(!capped.complete && capped.pages == 1);
    let err = backfill(&client)
        .table_name("other")
        .resume(cursor, Counts::default())
        .run(|_| ControlFlow::Continue(()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BackfillError::Dynamo(ref e) if e.to_string().contains("invalid cursor")),
        "{err}"
    );
}

/// The table key under a new template: reported for every user, never attempted.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "USER#{user}")]
struct UserRekeyed {
    tenant: String,
    user: String,
}

#[tokio::test]
async fn a_table_key_change_is_reported_and_not_attempted() {
    let client = seeded(3).await;
    let before = snapshot(&client).await;
    let mut problems = Vec::new();
    let report = Backfill::new(&client, User::definition(), [UserRekeyed::entity_definition()])
        .run(|page| {
            problems.extend(page.problems.iter().map(|p| {
                assert!(matches!(p.problem, Problem::NeedsNewItem(_)));
                p.to_string()
            }));
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(report.counts.needs_new_item, 3);
    assert!(!report.is_clean());
    assert_eq!(snapshot(&client).await, before);
    assert!(
        problems[0].contains("its table key would change (`sk` from `U#u0")
            && problems[0].contains("to `USER#u0"),
        "{}",
        problems[0]
    );
}

#[tokio::test]
async fn items_whose_keys_cannot_be_computed_are_reported_with_their_key() {
    let client = seeded(2).await;
    // An item of the entity without the required `email` (written by another tool).
    let raw = client.table_named::<RawItem<App>>("app");
    let mut item = old_user(7).to_entity_item().unwrap();
    item.remove("email");
    raw.put(&RawItem::new(item)).send().await.unwrap();
    let mut problems = Vec::new();
    let report = backfill(&client)
        .run(|page| {
            problems.extend(page.problems.iter().map(ToString::to_string));
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 1);
    assert_eq!(report.counts.rewritten, 2);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("pk=`T#acme`, sk=`U#u07` (User): entity `User`: index `gsi1` key `gsi1pk`")
            && problems[0].contains("`email`"),
        "{}",
        problems[0]
    );
}

#[tokio::test]
async fn a_concurrent_change_is_not_clobbered() {
    let client = seeded(1).await;
    let b = backfill(&client);
    // The item as a scan read it...
    let scanned = snapshot(&client).await[&("T#acme".to_owned(), "U#u00".to_owned())].clone();
    // ...then the application changes the team before the backfill writes.
    let users = client.table::<User>();
    users
        .entity_update(User::key("acme", "u00"))
        .set("team", "blue")
        .known("rank", 0u32)
        .known("email", "u00@acme.test")
        .send()
        .await
        .unwrap();
    let outcome = b.rewrite_item(scanned.clone()).await.unwrap();
    assert!(matches!(outcome, ItemOutcome::Rewritten(_)), "{outcome:?}");
    // The keys follow the team as it is now, not as it was scanned.
    let blue = users.entity_query().field("team", "blue").all().await.unwrap();
    assert_eq!(blue.len(), 1);
    assert!(
        users
            .entity_query()
            .field("team", "red")
            .all()
            .await
            .unwrap()
            .is_empty()
    );

    // With a single attempt, the conflict is reported rather than retried.
    let raw = client.table_named::<RawItem<App>>("app");
    raw.update(RawItem::key(User::key("acme", "u00")))
        .set("team", "green")
        .send()
        .await
        .unwrap();
    let stale = scanned;
    let outcome = backfill(&client)
        .attempts(1)
        .rewrite_item(stale.clone())
        .await
        .unwrap();
    assert!(
        matches!(&outcome, ItemOutcome::Problem(p) if matches!(p.problem, Problem::Contended { attempts: 1 })),
        "{outcome:?}"
    );

    // An item deleted meanwhile is gone, not recreated as a fragment of keys.
    users.delete(User::key("acme", "u00")).send().await.unwrap();
    let outcome = b.rewrite_item(stale).await.unwrap();
    assert!(matches!(outcome, ItemOutcome::Gone), "{outcome:?}");
    assert!(!snapshot(&client).await.keys().any(|k| k.1 == "U#u00"));
}

#[tokio::test]
async fn bad_entities_and_options_are_refused_before_anything_is_read() {
    let client = db().await;
    let err = Backfill::new(&client, User::definition(), [])
        .run(|_| ControlFlow::Continue(()))
        .await
        .unwrap_err();
    assert!(matches!(err, BackfillError::NoEntities { .. }), "{err}");
    let err = Backfill::new(
        &client,
        User::definition(),
        [User::entity_definition(), User::entity_definition()],
    )
    .run(|_| ControlFlow::Continue(()))
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "backfill of table `app`: entity `User` is given twice"
    );
    let mut bad: EntityDefinition = User::entity_definition();
    bad.keys[3].template = "TEAM#{squad}".into();
    bad.keys[4].index = Some("gsi9".into());
    let err = Backfill::new(&client, User::definition(), [bad])
        .run(|_| ControlFlow::Continue(()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("entity `User` of table `app`: "), "{text}");
    assert!(
        text.contains("reads `{squad}`, which is neither a field nor a joined attribute"),
        "{text}"
    );
    assert!(
        text.contains("table `app` has no index `gsi9` (its indexes: `gsi1`, `gsi2`)"),
        "{text}"
    );
    let err = backfill(&client)
        .concurrency(0)
        .run(|_| ControlFlow::Continue(()))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "backfill of table `app`: the concurrency must be at least 1"
    );
}

#[test]
fn a_backfill_can_run_on_a_spawned_task() {
    fn assert_send<T: Send>(_: &T) {}
    let client = Client::embedded().unwrap();
    let run = backfill(&client).run(|_| ControlFlow::Continue(()));
    assert_send(&run);
}

mod storm_layout {
    //! A layout without an entity-type attribute (single-table-orm's): items are recognised by
    //! their table keys.

    use super::*;
    use dynorm::entity::formats::storm;

    #[derive(dynorm::Entity, Debug, PartialEq)]
    #[dynorm(table = storm::Table, pk = "T#{tenant}#Integrations", sk = "I#{integration}")]
    pub(super) struct IntegrationV1 {
        tenant: String,
        integration: String,
        run: String,
    }

    #[derive(dynorm::Entity, Debug, PartialEq)]
    #[dynorm(table = storm::Table, pk = "T#{tenant}#Integrations", sk = "I#{integration}")]
    #[dynorm(index(name = "GSI1", pk = "R#{run}#Integrations"))]
    pub(super) struct Integration {
        tenant: String,
        integration: String,
        run: String,
    }

    /// Another type in the same table, whose keys the integration templates do not read.
    #[derive(dynorm::Entity, Debug, PartialEq)]
    #[dynorm(table = storm::Table, pk = "R#{run}#Runs", sk = "RUN")]
    pub(super) struct Run {
        run: String,
    }

    #[tokio::test]
    async fn items_are_recognised_by_their_keys() {
        let client = dynorm::testing::database(&[Integration::definition()])
            .await
            .unwrap();
        for i in 0..4 {
            let v1 = IntegrationV1 {
                tenant: "t".into(),
                integration: format!("i{i}"),
                run: "r1".into(),
            };
            client.table::<IntegrationV1>().put(&v1).send().await.unwrap();
        }
        client
            .table::<Run>()
            .put(&Run { run: "r1".into() })
            .send()
            .await
            .unwrap();
        let report = Backfill::new(
            &client,
            Integration::definition(),
            [Integration::entity_definition()],
        )
        .run(|_| ControlFlow::Continue(()))
        .await
        .unwrap();
        assert_eq!(
            (
                report.counts.scanned,
                report.counts.matched,
                report.counts.rewritten
            ),
            (5, 4, 4)
        );
        let found = client
            .table::<Integration>()
            .entity_query()
            .field("run", "r1")
            .all()
            .await
            .unwrap();
        assert_eq!(found.len(), 4);
        // The run kept its keys: it has no GSI1 attribute.
        let run = client
            .table_named::<RawItem<storm::Table>>(storm::LAYOUT.name)
            .get(RawItem::key(Run::key("r1")))
            .send()
            .await
            .unwrap()
            .unwrap();
        assert!(!run.item.contains_key("GSI1PK"));
    }
}

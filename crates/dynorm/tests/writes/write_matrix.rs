//! The route × rule matrix: every public write route against every model rule (version,
//! computed index keys including sparse ones, immutable attributes, stamps, validation, schema
//! version), on both engine paths (embedded direct, and through the SDK). Each case shows the
//! rule holds or the route refuses with a typed error.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use dynorm::entity::{IndexLayout, Layout, SingleTable};
use dynorm::expr::Update;
use dynorm::{AttributeValue, Client, Error, Item, Table as _};

use crate::support;

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[
            IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk")),
            IndexLayout::global("gsi2", "gsi2pk", Some("gsi2sk")),
        ],
        ..Layout::new("matrix", "pk", Some("sk"))
    };
}

/// A versioned, stamped entity: an index over fields (one key reads two of them, both outside
/// the table key), a sparse index over an optional field, and a multi-attribute index over
/// fields stored whole (sparse over the same optional field).
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Integration", pk = "T#{tenant}", sk = "I#{id}")]
#[dynorm(index(name = "gsi1", pk = "P#{provider}", sk = "S#{status}#K#{kind}"))]
#[dynorm(index(name = "gsi2", pk = "R#{region}", sk = "T#{tenant}#I#{id}"))]
#[dynorm(index(name = "by_kind", pk(tenant, region), sk(kind, status)))]
struct Integration {
    tenant: String,
    id: String,
    provider: String,
    status: String,
    kind: String,
    region: Option<String>,
    #[dynorm(immutable)]
    owner: String,
    #[dynorm(version)]
    version: u64,
    #[dynorm(created_at)]
    created: Option<DateTime<Utc>>,
    #[dynorm(updated_at)]
    updated: Option<DateTime<Utc>>,
}

fn integration(id: &str, provider: &str) -> Integration {
    Integration {
        tenant: "acme".into(),
        id: id.into(),
        provider: provider.into(),
        status: "active".into(),
        kind: "sync".into(),
        region: Some("eu".into()),
        owner: "ann".into(),
        version: 0,
        created: None,
        updated: None,
    }
}

/// Both engine paths, each on a database of its own (both SDK paths in endpoint mode).
async fn paths() -> Vec<(&'static str, Client)> {
    let direct = dynorm::testing::client().await.unwrap();
    direct.create_table(Integration::definition()).await.unwrap();
    let remote = dynorm::testing::client().await.unwrap();
    remote.create_table(Integration::definition()).await.unwrap();
    vec![("direct", direct), ("sdk", support::through_sdk(remote))]
}

async fn stored(client: &Client, id: &str) -> Item {
    client
        .table::<dynorm::entity::RawItem<App>>()
        .get(dynorm::entity::RawItem::<App>::key(Integration::key("acme", id)))
        .await
        .unwrap()
        .expect("stored")
        .item
}

fn s(item: &Item, attribute: &str) -> Option<String> {
    item.get(attribute).and_then(|v| v.as_s().ok()).cloned()
}

fn n(item: &Item, attribute: &str) -> Option<u64> {
    item.get(attribute)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

/// Every index key of the stored item equals what a fresh put of its fields renders.
async fn assert_keys_fresh(client: &Client, id: &str, path: &str) {
    let item = stored(client, id).await;
    let value = Integration::from_item(item.clone()).unwrap();
    let fresh = value.to_item().unwrap();
    for attribute in ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"] {
        assert_eq!(
            item.get(attribute),
            fresh.get(attribute),
            "{path}: {attribute} of {id} is stale"
        );
    }
}

// ---- version ---------------------------------------------------------------------------------

#[tokio::test]
async fn version_put_save_update_delete_upsert() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        let mut v = integration("v", "jira");
        t.save(&mut v).await.unwrap();
        assert_eq!(v.version, 1, "{path}");
        // put with a stale version
        assert!(
            t.put(&integration("v", "jira"))
                .await
                .unwrap_err()
                .is_version_conflict(),
            "{path}"
        );
        // update bumps, and checks when asked
        t.update(Integration::key("acme", "v"))
            .set("owner", "ann")
            .send()
            .await
            .unwrap();
        assert_eq!(n(&stored(&client, "v").await, "version"), Some(2), "{path}");
        let e = t
            .update(Integration::key("acme", "v"))
            .expected_version(1)
            .set("owner", "ann")
            .send()
            .await;
        assert!(e.unwrap_err().is_version_conflict(), "{path}");
        // upsert bumps (the version never goes back), and checks when asked
        let e = t.upsert(&integration("v", "jira")).expected_version(1).await;
        assert!(e.unwrap_err().is_version_conflict(), "{path}");
        let up = t.upsert(&integration("v", "jira")).await.unwrap();
        assert_eq!(up.version, 3, "{path}");
        // delete with a stale version
        assert!(
            t.delete_value(&v).await.unwrap_err().is_version_conflict(),
            "{path}"
        );
        assert_eq!(n(&stored(&client, "v").await, "version"), Some(3), "{path}");
    }
}

// ---- must exist ------------------------------------------------------------------------------

/// `Error::NotFound` naming table and key, on every route that requires the item.
fn assert_missing(result: dynorm::Result<()>, path: &str, route: &str) {
    match result {
        Err(Error::NotFound { table, key }) => {
            assert_eq!(table, "matrix", "{path} {route}");
            assert!(
                key.contains("T#acme") && key.contains("I#gone"),
                "{path} {route}: {key}"
            );
        }
        other => panic!("{path} {route}: expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_item_is_not_found_on_every_must_exist_route() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        let key = || Integration::key("acme", "gone");
        let put = t.put(&integration("gone", "jira")).must_exist().await.map(|_| ());
        assert_missing(put, path, "put");
        let update = t.update(key()).set("owner", "bo").must_exist().send().await;
        assert_missing(update, path, "update");
        // An expected version does not turn a missing item into a version conflict.
        let versioned = t
            .update(key())
            .set("owner", "bo")
            .expected_version(3)
            .must_exist()
            .send()
            .await;
        assert_missing(versioned, path, "versioned update");
        let upsert = t
            .upsert(&integration("gone", "jira"))
            .must_exist()
            .await
            .map(|_| ());
        assert_missing(upsert, path, "upsert");
        let delete = t.delete(key()).must_exist().await.map(|_| ());
        assert_missing(delete, path, "delete");
        let entity = t.entity_update(key()).set("region", "us").send().await;
        match entity {
            Err(dynorm::entity::EntityError::Dynamo(e)) => assert_missing(Err(e), path, "entity_update"),
            other => panic!("{path}: expected NotFound, got {other:?}"),
        }
        // Nothing was created on the way.
        assert!(t.get(key()).await.unwrap().is_none(), "{path}");
    }
}

#[tokio::test]
async fn version_transactions() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        let mut v = integration("tx", "jira");
        t.save(&mut v).await.unwrap();
        t.save(&mut v).await.unwrap();
        assert_eq!(v.version, 2, "{path}");
        // A transaction put carrying a stale version is refused and the version stays.
        let stale = client
            .transact_write()
            .put(&t, &integration("tx", "jira"))
            .send()
            .await;
        let items = stale.unwrap_err();
        let items = items.canceled_items().expect("cancelled");
        assert!(items[0].is_conditional_check_failed(), "{path}");
        assert_eq!(n(&stored(&client, "tx").await, "version"), Some(2), "{path}");
        // A transaction put with the right version stores the next one.
        client.transact_write().put(&t, &v).send().await.unwrap();
        assert_eq!(n(&stored(&client, "tx").await, "version"), Some(3), "{path}");
        // A transaction update bumps the version, and checks it when asked.
        client
            .transact_write()
            .update(
                &t,
                Integration::key("acme", "tx"),
                Update::new().set("owner", "ann"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(n(&stored(&client, "tx").await, "version"), Some(4), "{path}");
        let stale = client
            .transact_write()
            .update_versioned(
                &t,
                Integration::key("acme", "tx"),
                Update::new().set("owner", "ann"),
                Some(1),
            )
            .send()
            .await;
        assert!(stale.is_err(), "{path}");
        let stale = client.transact_write().delete_value(&t, &v).send().await;
        assert!(stale.is_err(), "{path}: a stale versioned delete");
        assert_eq!(n(&stored(&client, "tx").await, "version"), Some(4), "{path}");
    }
}

/// The same model without immutable attributes (a batch put cannot guard those).
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Versioned", pk = "T#{tenant}", sk = "I#{id}")]
struct Versioned {
    tenant: String,
    id: String,
    #[dynorm(version)]
    version: u64,
}

fn versioned_only(id: &str) -> Versioned {
    Versioned {
        tenant: "acme".into(),
        id: id.into(),
        version: 0,
    }
}

#[tokio::test]
async fn version_batch_put_and_upsert() {
    for (path, client) in paths().await {
        let t = client.table::<Versioned>();
        let outcome = t
            .batch_put([versioned_only("b1"), versioned_only("b2")])
            .unguarded()
            .await
            .unwrap();
        assert_eq!(
            n(&stored(&client, "b1").await, "version"),
            Some(0),
            "{path}: unguarded writes as given"
        );
        t.delete(Versioned::key("acme", "b1")).await.unwrap();
        t.delete(Versioned::key("acme", "b2")).await.unwrap();
        let outcome2 = t
            .batch_put([versioned_only("b1"), versioned_only("b2")])
            .await
            .unwrap();
        assert_eq!(outcome2.written, 2, "{path}");
        assert_eq!(outcome.written, 2, "{path}");
        assert_eq!(n(&stored(&client, "b1").await, "version"), Some(1), "{path}");
        // Stale values (version 0) are not written: reported as conflicts.
        let outcome = t.batch_put([versioned_only("b1")]).await.unwrap();
        assert_eq!((outcome.written, outcome.conflicts.len()), (0, 1), "{path}");
        assert_eq!(outcome.conflicts[0].found, Some(1), "{path}");
        // A batch upsert bumps every version.
        t.batch_upsert([versioned_only("b2")]).await.unwrap();
        assert_eq!(n(&stored(&client, "b2").await, "version"), Some(2), "{path}");
        // Two values of one key further apart than a chunk are both sent, in order: the first
        // is written (version 0 -> 1), the second, still carrying 0, is a conflict.
        let mut values = vec![versioned_only("far")];
        values.extend((0..30).map(|i| versioned_only(&format!("f{i}"))));
        values.push(versioned_only("far"));
        let outcome = t.batch_put(values).await.unwrap();
        assert_eq!((outcome.written, outcome.superseded), (31, 0), "{path}");
        assert_eq!(outcome.conflicts.len(), 1, "{path}");
        assert_eq!(outcome.conflicts[0].found, Some(1), "{path}");
        assert_eq!(n(&stored(&client, "far").await, "version"), Some(1), "{path}");
    }
}

// ---- computed index keys ---------------------------------------------------------------------

#[tokio::test]
async fn plain_update_rebuilds_keys_or_refuses() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        t.put(&integration("k", "jira")).await.unwrap();
        // `provider` alone rebuilds gsi1pk (its only field).
        t.update(Integration::key("acme", "k"))
            .set("provider", "github")
            .send()
            .await
            .unwrap();
        assert_eq!(
            s(&stored(&client, "k").await, "gsi1pk").as_deref(),
            Some("P#github"),
            "{path}"
        );
        assert_keys_fresh(&client, "k", path).await;
        // `status` alone cannot rebuild gsi1sk, which also reads `kind`: refused, naming it.
        let e = t
            .update(Integration::key("acme", "k"))
            .set("status", "paused")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::IncompleteUpdate { entity, index, attribute, missing, .. }
                if *entity == "Integration" && *index == Some("gsi1") && *attribute == "gsi1sk" && missing == &["kind"]),
            "{path}: {e}"
        );
        assert!(
            e.to_string().contains("entity_update"),
            "{path}: points to entity_update: {e}"
        );
        assert_keys_fresh(&client, "k", path).await;
        t.update(Integration::key("acme", "k"))
            .set("status", "paused")
            .set("kind", "push")
            .send()
            .await
            .unwrap();
        assert_eq!(
            s(&stored(&client, "k").await, "gsi1sk").as_deref(),
            Some("S#paused#K#push"),
            "{path}"
        );
        // `region` rebuilds the sparse gsi2 (its other fields come from the key) ...
        t.update(Integration::key("acme", "k"))
            .set("region", "us")
            .send()
            .await
            .unwrap();
        assert_eq!(
            s(&stored(&client, "k").await, "gsi2pk").as_deref(),
            Some("R#us"),
            "{path}"
        );
        assert_keys_fresh(&client, "k", path).await;
        // ... and removing it takes the item out of the index.
        t.update(Integration::key("acme", "k"))
            .remove("region")
            .send()
            .await
            .unwrap();
        let item = stored(&client, "k").await;
        assert!(
            !item.contains_key("gsi2pk") && !item.contains_key("gsi2sk"),
            "{path}: {item:?}"
        );
        // A computed attribute written directly is refused, naming it ...
        let e = t
            .update(Integration::key("acme", "k"))
            .set("gsi1pk", "P#forged")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::ComputedAttribute { attribute, .. } if attribute == "gsi1pk"),
            "{path}: {e}"
        );
        // ... unless the caller says it is raw.
        t.update(Integration::key("acme", "k"))
            .raw_set("gsi1pk", "P#forged")
            .send()
            .await
            .unwrap();
        assert_eq!(
            s(&stored(&client, "k").await, "gsi1pk").as_deref(),
            Some("P#forged"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn plain_update_refuses_what_it_cannot_rebuild() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        t.put(&integration("r", "jira")).await.unwrap();
        // A value computed in DynamoDB for a key field cannot be rendered into a key.
        let e = t
            .update(Integration::key("acme", "r"))
            .set_to("provider", dynorm::expr::SetValue::path("owner"))
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::IncompleteUpdate { entity, .. } if *entity == "Integration"),
            "{path}: {e}"
        );
        assert_keys_fresh(&client, "r", path).await;
        // A transaction update goes through the same rules.
        let e = client
            .transact_write()
            .update(
                &t,
                Integration::key("acme", "r"),
                Update::new().set("gsi1sk", "x"),
            )
            .send()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::ComputedAttribute { .. }), "{path}: {e}");
        let e = client
            .transact_write()
            .update(&t, Integration::key("acme", "r"), Update::new().set("kind", "x"))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::IncompleteUpdate { .. }), "{path}: {e}");
        client
            .transact_write()
            .update(
                &t,
                Integration::key("acme", "r"),
                Update::new().set("provider", "linear"),
            )
            .send()
            .await
            .unwrap();
        assert_keys_fresh(&client, "r", path).await;
    }
}

#[tokio::test]
async fn every_put_route_renders_keys() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        let mut sparse = integration("p1", "jira");
        sparse.region = None;
        t.put(&sparse).await.unwrap();
        t.upsert(&integration("p2", "jira")).await.unwrap();
        t.batch_put([integration("p3", "jira")])
            .unguarded()
            .await
            .unwrap();
        t.batch_upsert([integration("p4", "jira")]).await.unwrap();
        client
            .transact_write()
            .put(&t, &integration("p5", "jira"))
            .send()
            .await
            .unwrap();
        t.entity_update(Integration::key("acme", "p2"))
            .set("provider", "gh")
            .send()
            .await
            .unwrap();
        for id in ["p1", "p2", "p3", "p4", "p5"] {
            assert_keys_fresh(&client, id, path).await;
        }
        assert!(
            !stored(&client, "p1").await.contains_key("gsi2pk"),
            "{path}: sparse"
        );
    }
}

/// The ids in the entity's multi-attribute index `by_kind` under (acme, eu) with this kind.
async fn by_kind(client: &Client, kind: &str) -> Vec<String> {
    let key = Integration::by_kind_key("acme", "eu").sort_eq("kind", kind);
    let found = client
        .table::<Integration>()
        .entity_query()
        .index_key("by_kind", key)
        .all()
        .await
        .unwrap();
    let mut ids: Vec<String> = found.into_iter().map(|i| i.id).collect();
    ids.sort();
    ids
}

fn of_kind(id: &str, kind: &str, region: Option<&str>) -> Integration {
    let mut i = integration(id, "jira");
    i.kind = kind.into();
    i.region = region.map(str::to_owned);
    i
}

/// The multi-attribute index reads fields stored whole: every route keeps it right by storing
/// them (nothing to rebuild), and an item without `region` is not in it.
#[tokio::test]
async fn every_route_keeps_the_multi_attribute_index() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        t.put(&of_kind("m1", "a", Some("eu"))).await.unwrap();
        t.put(&of_kind("m2", "a", None)).await.unwrap();
        t.upsert(&of_kind("m3", "a", Some("eu"))).await.unwrap();
        t.batch_put([of_kind("m4", "a", Some("eu"))])
            .unguarded()
            .await
            .unwrap();
        t.batch_upsert([of_kind("m5", "a", Some("eu"))]).await.unwrap();
        let tx = client.transact_write().put(&t, &of_kind("m6", "a", Some("eu")));
        tx.send().await.unwrap();
        t.put(&of_kind("m7", "a", Some("eu")))
            .create_only()
            .await
            .unwrap();
        assert_eq!(
            by_kind(&client, "a").await,
            ["m1", "m3", "m4", "m5", "m6", "m7"],
            "{path}: puts"
        );

        // Moving a sort attribute, on each update route.
        // (`gsi1sk` reads `kind` and `status` through a template: give both.)
        let moved = Update::new().set("kind", "b").set("status", "active");
        t.update(Integration::key("acme", "m1"))
            .apply(moved.clone())
            .await
            .unwrap();
        let m3 = t.entity_update(Integration::key("acme", "m3")).set("kind", "b");
        m3.known("status", "active").send().await.unwrap();
        let tx = client
            .transact_write()
            .update(&t, Integration::key("acme", "m4"), moved);
        tx.send().await.unwrap();
        // Gaining the missing attribute brings an item in; losing it takes one out.
        t.entity_update(Integration::key("acme", "m2"))
            .set("region", "eu")
            .send()
            .await
            .unwrap();
        t.upsert(&of_kind("m5", "a", None)).await.unwrap();
        t.batch_put([of_kind("m6", "b", Some("eu"))])
            .unguarded()
            .await
            .unwrap();
        assert_eq!(
            by_kind(&client, "a").await,
            ["m2", "m7"],
            "{path}: a after updates"
        );
        assert_eq!(
            by_kind(&client, "b").await,
            ["m1", "m3", "m4", "m6"],
            "{path}: b after updates"
        );
        t.delete(Integration::key("acme", "m1")).await.unwrap();
        client
            .transact_write()
            .delete(&t, Integration::key("acme", "m3"))
            .send()
            .await
            .unwrap();
        assert_eq!(by_kind(&client, "b").await, ["m4", "m6"], "{path}: deletes");
    }
}

// ---- immutable attributes --------------------------------------------------------------------

#[tokio::test]
async fn immutable_on_every_route() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        let mut v = integration("im", "jira");
        t.save(&mut v).await.unwrap();
        let mut changed = v.clone();
        changed.owner = "bob".into();
        let e = t.put(&changed).await.unwrap_err();
        assert!(matches!(e, Error::ImmutableAttribute { .. }), "{path}: put {e}");
        let e = t
            .update(Integration::key("acme", "im"))
            .set("owner", "bob")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::ImmutableAttribute { .. }),
            "{path}: update {e}"
        );
        let e = t.upsert(&changed).await.unwrap_err();
        assert!(
            matches!(e, Error::ImmutableAttribute { .. }),
            "{path}: upsert {e}"
        );
        assert!(
            client.transact_write().put(&t, &changed).send().await.is_err(),
            "{path}: transaction"
        );
        assert!(
            t.batch_put([changed.clone()]).await.is_err(),
            "{path}: batch put refused"
        );
        // A batch upsert keeps the stored value.
        t.batch_upsert([changed.clone()]).await.unwrap();
        assert_eq!(
            s(&stored(&client, "im").await, "owner").as_deref(),
            Some("ann"),
            "{path}"
        );
    }
}

// ---- stamps ----------------------------------------------------------------------------------

#[tokio::test]
async fn one_clock_reading_per_call() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        let fresh = t.upsert(&integration("s1", "jira")).await.unwrap();
        assert!(fresh.created.is_some(), "{path}");
        assert!(
            fresh.created.is_some() && fresh.created == fresh.updated,
            "{path}"
        );
        t.batch_upsert((0..30).map(|i| integration(&format!("sb{i}"), "jira")))
            .await
            .unwrap();
        let mut stamps = std::collections::HashSet::new();
        for i in 0..30 {
            let item = stored(&client, &format!("sb{i}")).await;
            assert_eq!(item.get("created"), item.get("updated"), "{path}");
            stamps.insert(s(&item, "updated"));
        }
        assert_eq!(stamps.len(), 1, "{path}: one stamp for the whole batch");
    }
}

// ---- validation ------------------------------------------------------------------------------

#[tokio::test]
async fn validation_before_sending() {
    for (path, client) in paths().await {
        let t = client.table::<Integration>();
        let (recording_client, recording) = dynorm::testing::instrument(&client);
        let rt = recording_client.table::<Integration>();
        let mut big = integration("big", "jira");
        big.provider = "x".repeat(500 * 1024);
        assert!(rt.put(&big).await.is_err(), "{path}: put");
        assert!(rt.upsert(&big).await.is_err(), "{path}: upsert");
        assert!(rt.batch_put([big.clone()]).await.is_err(), "{path}: batch");
        assert!(
            recording_client
                .transact_write()
                .put(&rt, &big)
                .send()
                .await
                .is_err(),
            "{path}: tx"
        );
        assert!(
            recording.requests().is_empty(),
            "{path}: nothing was sent: {:?}",
            recording.operations()
        );
        let _ = t;
    }
}

// ---- what was sent ---------------------------------------------------------------------------

#[tokio::test]
async fn requests_carry_the_rules() {
    for (path, client) in paths().await {
        let (client, recording) = dynorm::testing::instrument(&client);
        let t = client.table::<Integration>();
        t.put(&integration("w", "jira")).await.unwrap();
        t.update(Integration::key("acme", "w"))
            .set("provider", "gh")
            .send()
            .await
            .unwrap();
        let sent = recording.requests();
        assert_eq!(recording.operations(), ["PutItem", "UpdateItem"], "{path}");
        let put = sent[0].condition().unwrap();
        assert!(
            put.contains("attribute_not_exists(version)") && put.contains("owner"),
            "{path}: {put}"
        );
        let update = sent[1].update().unwrap();
        assert!(
            update.contains("gsi1pk") && update.contains("ADD version"),
            "{path}: {update}"
        );
        assert!(
            !update.contains("gsi1sk"),
            "{path}: only the keys reading `provider`: {update}"
        );
        let _ = AttributeValue::Null(true);
    }
}

/// dynamojo's stored form on every write route: `None` as NULL, a null index key dropped on its
/// own (the other key of its index kept), the joined key rebuilt.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = dynorm::entity::formats::dynamojo::Table, pk = "{account}", sk = "{incident}")]
#[dynorm(join(attribute = "statusDate", fields(status, created)))]
#[dynorm(index(name = "gsi1", pk = "{owner}", sk = "{statusDate}"))]
struct Incident {
    account: String,
    incident: String,
    status: String,
    created: String,
    owner: Option<String>,
}

fn assert_dynamojo_form(item: &Item, route: &str) {
    assert_eq!(
        item.get("owner"),
        Some(&AttributeValue::Null(true)),
        "{route}: {item:?}"
    );
    assert!(!item.contains_key("gsi1_pk"), "{route}: {item:?}");
    assert_eq!(
        s(item, "gsi1_sk").as_deref(),
        Some("OPEN~2024"),
        "{route}: {item:?}"
    );
}

#[tokio::test]
async fn stored_form_on_every_route() {
    let definition = Incident::definition();
    let direct = dynorm::testing::client().await.unwrap();
    direct.create_table(definition).await.unwrap();
    let remote = dynorm::testing::client().await.unwrap();
    remote.create_table(definition).await.unwrap();
    for (path, client) in [("direct", direct), ("sdk", support::through_sdk(remote))] {
        let t = client.table::<Incident>();
        let incident = |id: &str, owner: Option<&str>| Incident {
            account: "a".into(),
            incident: id.into(),
            status: "OPEN".into(),
            created: "2024".into(),
            owner: owner.map(str::to_owned),
        };
        let raw = |id: &'static str| support::raw_item(&client, Incident::key("a", id));
        t.put(&incident("put", None)).await.unwrap();
        assert_dynamojo_form(&raw("put").await, &format!("{path} put"));
        t.batch_put([incident("batch", None)]).await.unwrap();
        assert_dynamojo_form(&raw("batch").await, &format!("{path} batch put"));
        client
            .transact_write()
            .put(&t, &incident("tx", None))
            .send()
            .await
            .unwrap();
        assert_dynamojo_form(&raw("tx").await, &format!("{path} transaction put"));
        t.upsert(&incident("upsert", None)).await.unwrap();
        assert_dynamojo_form(&raw("upsert").await, &format!("{path} upsert"));
        t.put(&incident("update", Some("ann"))).await.unwrap();
        t.entity_update(Incident::key("a", "update"))
            .set("owner", None::<String>)
            .read_first()
            .send()
            .await
            .unwrap();
        assert_dynamojo_form(&raw("update").await, &format!("{path} entity update"));
    }
}

// ---- schema version --------------------------------------------------------------------------

/// An entity's first shape: a counter and one label.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Profile", pk = "T#{tenant}", sk = "P#{id}")]
struct ProfileV1 {
    tenant: String,
    id: String,
    label: String,
    hits: u32,
}

/// Its current shape: the label renamed `title`, and a new `tags` count.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Profile", pk = "T#{tenant}", sk = "P#{id}")]
#[dynorm(schema_version = 2, upgrades(ProfileV1))]
struct Profile {
    tenant: String,
    id: String,
    title: String,
    hits: u32,
    tags: u32,
}

impl From<ProfileV1> for Profile {
    fn from(old: ProfileV1) -> Self {
        Profile {
            tenant: old.tenant,
            id: old.id,
            title: old.label,
            hits: old.hits,
            tags: 0,
        }
    }
}

fn profile(id: &str) -> Profile {
    Profile {
        tenant: "acme".into(),
        id: id.into(),
        title: "t".into(),
        hits: 0,
        tags: 1,
    }
}

async fn profile_item(client: &Client, id: &str) -> Item {
    support::raw_item(client, Profile::key("acme", id)).await
}

async fn old_profile(client: &Client, id: &str) {
    let old = ProfileV1 {
        tenant: "acme".into(),
        id: id.into(),
        label: "old".into(),
        hits: 0,
    };
    client.table::<ProfileV1>().put(&old).await.unwrap();
}

#[tokio::test]
async fn schema_version_on_every_route() {
    for (path, client) in paths().await {
        let t = client.table::<Profile>();
        t.put(&profile("put")).await.unwrap();
        t.upsert(&profile("upsert")).await.unwrap();
        t.batch_put([profile("batch")]).await.unwrap();
        t.batch_upsert([profile("batch_upsert")]).await.unwrap();
        client
            .transact_write()
            .put(&t, &profile("tx"))
            .send()
            .await
            .unwrap();
        // An update creating the item stores the current version.
        t.update(Profile::key("acme", "update"))
            .set("tags", 3u32)
            .send()
            .await
            .unwrap();
        for id in ["put", "upsert", "batch", "batch_upsert", "tx", "update"] {
            let item = profile_item(&client, id).await;
            assert_eq!(n(&item, "_schema_version"), Some(2), "{path} {id}: {item:?}");
        }
    }
}

#[tokio::test]
async fn schema_version_updates_of_old_items() {
    for (path, client) in paths().await {
        let t = client.table::<Profile>();
        old_profile(&client, "old").await;
        let before = profile_item(&client, "old").await;
        // Writing what version 1 does not store: refused on every update route, nothing written.
        let e = t
            .update(Profile::key("acme", "old"))
            .set("tags", 2u32)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutdatedSchemaVersion {
                    stored: 1,
                    current: 2,
                    ..
                }
            ),
            "{path}: update {e}"
        );
        let e = t
            .entity_update(Profile::key("acme", "old"))
            .set("title", "new")
            .send()
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("schema version 1"),
            "{path}: entity update {e}"
        );
        let tx = client
            .transact_write()
            .update(&t, Profile::key("acme", "old"), Update::new().set("tags", 2u32))
            .send()
            .await;
        assert!(tx.is_err(), "{path}: transaction update");
        assert_eq!(profile_item(&client, "old").await, before, "{path}");
        // Writing what every version stores: applied, the version left as it is.
        t.update(Profile::key("acme", "old"))
            .increment("hits", 1u32)
            .send()
            .await
            .unwrap();
        let item = profile_item(&client, "old").await;
        assert_eq!(
            (n(&item, "hits"), n(&item, "_schema_version")),
            (Some(1), None),
            "{path}"
        );
        // An upsert upgrades it whole: current version, the old-only attribute removed.
        t.upsert(&profile("old")).await.unwrap();
        let item = profile_item(&client, "old").await;
        assert_eq!(n(&item, "_schema_version"), Some(2), "{path}");
        assert!(!item.contains_key("label"), "{path}: {item:?}");
    }
}

//! Single-table design: a small multi-tenant app (tenants, users, integrations and their runs,
//! the STORM wiki's integration example) in one table, on the embedded engine.
//!
//! It shows each access pattern, a collection query (an integration with its runs in one
//! request), a sparse index (failing integrations), partial updates that keep the composed keys
//! in sync (or are refused), a mutator (emails lower-cased on every write), an immutable field,
//! and prints the stored items so the key layout is visible.
//!
//! Run it with `cargo run --example single_table`.

#![allow(clippy::print_stdout)]

use dynorm::entity::{Collection, EntityError, IndexLayout, Layout, RawItem, SingleTable, TableContext};
use dynorm::{AttributeValue, Client, Item, Table as _};

/// The one table: `pk`/`sk`, two generic indexes.
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

/// A tenant: its profile item heads the tenant's partition.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, pk = "T#{tenant_name}", sk = "PROFILE")]
struct Tenant {
    tenant_name: String,
    plan: String,
}

/// A user of a tenant; found by email across tenants through gsi1.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, pk = "T#{tenant_name}", sk = "U#{email}")]
#[dynorm(index(name = "gsi1", pk = "EMAIL#{email}", sk = "T#{tenant_name}"))]
struct User {
    tenant_name: String,
    /// Lower-cased on every write (puts, keys, updates, queries), so keys never differ by case.
    #[dynorm(mutate = lowercase)]
    email: String,
    role: String,
}

fn lowercase(email: String) -> String {
    email.to_lowercase()
}

/// An integration of a tenant. gsi1 lists integrations by kind; gsi2 is sparse: only failing
/// integrations (those with `failing_since`) are in it.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, pk = "T#{tenant_name}#Integrations", sk = "I#{integration_id}")]
#[dynorm(index(name = "gsi1", pk = "KIND#{kind}", sk = "T#{tenant_name}#I#{integration_id}"))]
#[dynorm(index(name = "gsi2", pk = "FAILING", sk = "{failing_since}#I#{integration_id}"))]
struct Integration {
    tenant_name: String,
    integration_id: String,
    /// Set once, when the integration is created.
    #[dynorm(immutable)]
    kind: String,
    enabled: bool,
    failing_since: Option<String>,
}

/// A run of an integration, stored beside it so one query reads both; gsi1 lists an
/// integration's runs by status, oldest first.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, pk = "T#{tenant_name}#Integrations", sk = "I#{integration_id}#R#{run:06}")]
#[dynorm(index(name = "gsi1", pk = "RUNS#{integration_id}", sk = "{status}#{started_at}"))]
struct Run {
    tenant_name: String,
    integration_id: String,
    run: u32,
    status: String,
    started_at: String,
}

fn show(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("{s:?}"),
        AttributeValue::N(n) => n.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

fn print_item(item: &Item) {
    let mut keys: Vec<&String> = item.keys().collect();
    let order = |k: &str| match k {
        "pk" => 0,
        "sk" => 1,
        "gsi1pk" => 2,
        "gsi1sk" => 3,
        "gsi2pk" => 4,
        "gsi2sk" => 5,
        "__entity" => 6,
        _ => 7,
    };
    keys.sort_by_key(|k| (order(k), k.as_str()));
    let text: Vec<String> = keys
        .iter()
        .map(|k| format!("{k}={}", show(&item[k.as_str()])))
        .collect();
    println!("  {}", text.join("  "));
}

async fn print_table(client: &Client) -> dynorm::Result<()> {
    let mut items: Vec<Item> = client
        .table_in_context::<RawItem<App>>()
        .scan()
        .all()
        .await?
        .into_iter()
        .map(|r| r.item)
        .collect();
    let key = |i: &Item| {
        (
            i.get("pk").map(show).unwrap_or_default(),
            i.get("sk").map(show).unwrap_or_default(),
        )
    };
    items.sort_by_key(key);
    println!("The table holds {} items:", items.len());
    for item in &items {
        print_item(item);
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The embedded engine; with DYNORM_TEST_ENDPOINT set, that endpoint under a table prefix of
    // its own (how CI runs the examples against `dynorm serve`).
    let client = dynorm::testing::client().await?;
    // The table name comes from the context: DB_TABLE_NAME, or a stage prefix/suffix.
    let context = TableContext::from_env();
    let mut definition = Tenant::definition().clone();
    definition.name = context.resolve(&definition.name);
    println!("Table `{}` (set DB_TABLE_NAME to rename it)\n", definition.name);
    client.create_table(&definition).await?;

    context
        .scope(async {
            run(&client).await?;
            print_table(&client).await?;
            Ok::<_, Box<dyn std::error::Error>>(())
        })
        .await
}

async fn run(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    let tenants = client.table_in_context::<Tenant>();
    let users = client.table_in_context::<User>();
    let integrations = client.table_in_context::<Integration>();
    let runs = client.table_in_context::<Run>();

    for (tenant, plan) in [("tenant-1", "free"), ("tenant-2", "pro")] {
        tenants
            .put(&Tenant {
                tenant_name: tenant.into(),
                plan: plan.into(),
            })
            .await?;
    }
    for (tenant, email, role) in [
        ("tenant-1", "ann@example.com", "admin"),
        ("tenant-2", "ann@example.com", "viewer"),
        ("tenant-2", "Bob@Example.COM", "admin"),
    ] {
        users
            .put(&User {
                tenant_name: tenant.into(),
                email: email.into(),
                role: role.into(),
            })
            .await?;
    }
    for (tenant, id, kind) in [
        ("tenant-1", "INT0001", "salesforce"),
        ("tenant-2", "INT0002", "salesforce"),
        ("tenant-2", "INT0003", "hubspot"),
    ] {
        integrations
            .put(&Integration {
                tenant_name: tenant.into(),
                integration_id: id.into(),
                kind: kind.into(),
                enabled: true,
                failing_since: None,
            })
            .await?;
    }
    for (run, status, started_at) in [
        (1, "ok", "2026-01-01T10:00"),
        (2, "ok", "2026-01-02T10:00"),
        (3, "failed", "2026-01-03T10:00"),
    ] {
        runs.put(&Run {
            tenant_name: "tenant-2".into(),
            integration_id: "INT0002".into(),
            run,
            status: status.into(),
            started_at: started_at.into(),
        })
        .await?;
    }

    println!("Access patterns:");
    let found = users
        .entity_query()
        .field("tenant_name", "tenant-2")
        .all()
        .await?;
    println!("- users of tenant-2 (table, begins_with U#): {found:?}");
    let found = users
        .entity_query()
        .field("email", "ann@example.com")
        .all()
        .await?;
    println!(
        "- tenants of ann@example.com (gsi1, picked from the fields): {:?}",
        found.iter().map(|u| &u.tenant_name).collect::<Vec<_>>()
    );
    let found = integrations
        .entity_query()
        .field("kind", "salesforce")
        .all()
        .await?;
    println!(
        "- salesforce integrations across tenants (gsi1): {:?}",
        found.iter().map(|i| &i.integration_id).collect::<Vec<_>>()
    );
    let found = runs
        .entity_query()
        .field("integration_id", "INT0002")
        .field("status", "failed")
        .all()
        .await?;
    println!(
        "- failed runs of INT0002 (gsi1, begins_with failed#): {:?}",
        found.iter().map(|r| r.run).collect::<Vec<_>>()
    );
    let found = runs
        .entity_query()
        .field("tenant_name", "tenant-2")
        .field("integration_id", "INT0002")
        .descending()
        .all()
        .await?;
    println!(
        "- runs of INT0002, newest first (table, begins_with I#INT0002#R#): {:?}",
        found.iter().map(|r| r.run).collect::<Vec<_>>()
    );

    // A collection: the integration and its runs in one query, each decoded into its type. The
    // partition is rendered from the field by both entities' templates (which must agree).
    let mut collection = Collection::<App>::named(client, integrations.name())
        .entity::<Integration>()
        .entity::<Run>()
        .field("tenant_name", "tenant-2")
        .sort_begins_with("I#INT0002")
        .all()
        .await?;
    let integration = collection.take::<Integration>();
    let its_runs = collection.take::<Run>();
    println!(
        "- collection T#tenant-2#Integrations / I#INT0002: {} integration, {} runs, {} unknown",
        integration.len(),
        its_runs.len(),
        collection.unknown.len()
    );

    // Partial updates keep every composed key in sync.
    println!("\nPartial updates:");
    integrations
        .entity_update(Integration::key("tenant-2", "INT0002"))
        .set("failing_since", "2026-01-03T10:00")
        .send()
        .await?;
    let failing = integrations.entity_query().on_index("gsi2").all().await?;
    println!(
        "- INT0002 starts failing: the sparse index gsi2 now lists {:?}",
        failing.iter().map(|i| &i.integration_id).collect::<Vec<_>>()
    );
    // Changing a run's status rebuilds gsi1sk, which also reads `started_at`: without it the
    // update is refused, naming the index, the key attribute and the missing field.
    let refused = runs
        .entity_update(Run::key("tenant-2", "INT0002", 3u32))
        .set("status", "ok")
        .send()
        .await;
    match refused {
        Err(e @ EntityError::MissingFields { .. }) => println!("- refused: {e}"),
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }
    runs.entity_update(Run::key("tenant-2", "INT0002", 3u32))
        .set("status", "ok")
        .known("started_at", "2026-01-03T10:00")
        .send()
        .await?;
    println!("- with `started_at` known, run 3 is rewritten and re-indexed as ok");
    runs.entity_update(Run::key("tenant-2", "INT0002", 2u32))
        .set("status", "failed")
        .read_first()
        .send()
        .await?;
    println!("- with `.read_first()`, run 2's `started_at` is read from the table (conditioned on it)");
    let refused = integrations
        .entity_update(Integration::key("tenant-2", "INT0002"))
        .set("kind", "hubspot")
        .send()
        .await;
    match refused {
        Err(EntityError::Dynamo(e @ dynorm::Error::ImmutableAttribute { .. })) => println!("- refused: {e}"),
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }
    integrations
        .entity_update(Integration::key("tenant-2", "INT0002"))
        .set("failing_since", None::<String>)
        .send()
        .await?;
    let failing = integrations.entity_query().on_index("gsi2").all().await?;
    println!(
        "- INT0002 recovers: gsi2pk/gsi2sk removed, gsi2 lists {} integrations\n",
        failing.len()
    );
    // Leave one failing integration so the table shows a sparse-index entry.
    integrations
        .entity_update(Integration::key("tenant-2", "INT0003"))
        .set("failing_since", "2026-01-04T08:00")
        .set("enabled", false)
        .send()
        .await?;
    Ok(())
}

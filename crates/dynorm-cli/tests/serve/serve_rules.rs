//! The model's rules through `dynorm serve`, as a service talking to it over HTTP sees them:
//! a transaction put carrying a stale version is refused (the version never goes back), a
//! transaction update bumps the version, and a plain update on an entity's table rebuilds the
//! index keys its change feeds or refuses to write a computed key.

use dynorm::aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use dynorm::entity::{IndexLayout, Layout, RawItem, SingleTable};
use dynorm::expr::Update;
use dynorm::{Client, Error, Item, Table as _};
use dynorm_cli::serve::{ServeOptions, Server};

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout {
        global_indexes: &[IndexLayout::global("GSI1", "GSI1PK", Some("GSI1SK"))],
        ..Layout::new("storm", "PK", Some("SK"))
    };
}

/// single-table-orm's TenantIntegration, versioned.
#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "TenantIntegration")]
#[dynorm(pk = "T#{tenant_name}#TenantIntegration", sk = "I#{integration_id}")]
#[dynorm(index(name = "GSI1", pk = "P#{provider}#TenantIntegration", sk = "T#{tenant_name}"))]
struct TenantIntegration {
    tenant_name: String,
    integration_id: String,
    provider: String,
    #[dynorm(version)]
    version: u64,
}

fn integration(provider: &str, version: u64) -> TenantIntegration {
    TenantIntegration {
        tenant_name: "acme".into(),
        integration_id: "i1".into(),
        provider: provider.into(),
        version,
    }
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

async fn stored(client: &Client) -> Item {
    client
        .table::<RawItem<App>>()
        .get(RawItem::<App>::key(TenantIntegration::key("acme", "i1")))
        .await
        .unwrap()
        .expect("stored")
        .item
}

fn text(item: &Item, attribute: &str) -> String {
    item[attribute].as_s().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_hold_through_dynorm_serve() {
    let server = Server::start(ServeOptions {
        port: 0,
        tables: vec![TenantIntegration::definition().clone()],
        ..ServeOptions::default()
    })
    .unwrap();
    let client = client(&server);
    let t = client.table::<TenantIntegration>();
    let mut value = integration("jira", 0);
    t.save(&mut value).await.unwrap();
    t.save(&mut value).await.unwrap();
    assert_eq!(value.version, 2);

    // A transaction put with a stale version is refused; the stored version stays at 2.
    let err = client
        .transact_write()
        .put(&t, &integration("jira", 0))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.canceled_items().unwrap()[0].is_conditional_check_failed(),
        "{err}"
    );
    assert_eq!(stored(&client).await["version"].as_n().unwrap(), "2");
    // A transaction update bumps it.
    client
        .transact_write()
        .update(
            &t,
            TenantIntegration::key("acme", "i1"),
            Update::new().set("provider", "github"),
        )
        .send()
        .await
        .unwrap();
    let item = stored(&client).await;
    assert_eq!(item["version"].as_n().unwrap(), "3");
    assert_eq!(
        text(&item, "GSI1PK"),
        "P#github#TenantIntegration",
        "the index key followed"
    );

    // A plain update of `provider` rebuilds GSI1PK; writing GSI1PK directly is refused.
    t.update(TenantIntegration::key("acme", "i1"))
        .set("provider", "linear")
        .send()
        .await
        .unwrap();
    assert_eq!(
        text(&stored(&client).await, "GSI1PK"),
        "P#linear#TenantIntegration"
    );
    let err = t
        .update(TenantIntegration::key("acme", "i1"))
        .set("GSI1PK", "P#forged#TenantIntegration")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ComputedAttribute { .. }), "{err}");
    assert_eq!(
        text(&stored(&client).await, "GSI1PK"),
        "P#linear#TenantIntegration"
    );
    server.stop().unwrap();
}

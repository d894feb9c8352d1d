//! Client-level table names (`Client::with_table_prefix`, `for_stage`): two prefixed clients on
//! one embedded database never see each other's tables, on every route that names a table, and
//! errors name the logical table.

use dynorm::entity::{Collection, Layout, SingleTable};
use dynorm::expr::attr;
use dynorm::{Client, Error, Table, TableNames};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "accounts")]
struct Account {
    #[dynorm(partition_key)]
    id: String,
    owner: String,
}

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, pk = "T#{tenant}", sk = "U#{user}")]
struct Member {
    tenant: String,
    user: String,
    owner: String,
}

fn account(owner: &str) -> Account {
    Account {
        id: "a1".into(),
        owner: owner.into(),
    }
}

fn member(owner: &str) -> Member {
    Member {
        tenant: "acme".into(),
        user: "ann".into(),
        owner: owner.into(),
    }
}

/// A client under `prefix` with both tables made and one account and one member written, each
/// holding `prefix` as its owner.
async fn stage(base: &Client, prefix: &str) -> dynorm::Result<Client> {
    let client = base.with_table_prefix(prefix)?;
    client.table::<Account>().create().await?;
    client.create_table(Member::definition()).await?;
    client.table::<Account>().put(&account(prefix)).await?;
    client.table::<Member>().put(&member(prefix)).await?;
    Ok(client)
}

/// What every read route finds under `client`: the owners it reads back.
async fn owners(client: &Client) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let accounts = client.table::<Account>();
    let members = client.table::<Member>();
    let mut found = Vec::new();
    found.extend(accounts.get(Account::key("a1")).await?.map(|a| a.owner));
    found.extend(
        accounts
            .query_partition("a1")
            .all()
            .await?
            .into_iter()
            .map(|a| a.owner),
    );
    found.extend(accounts.scan().all().await?.into_iter().map(|a| a.owner));
    found.extend(
        accounts
            .batch_get([Account::key("a1")])
            .await?
            .items
            .into_iter()
            .map(|a| a.owner),
    );
    let read = client
        .transact_get()
        .get(&accounts, Account::key("a1"))
        .send()
        .await?;
    found.extend(read.get::<Account>(0)?.map(|a| a.owner));
    let statement = r#"SELECT * FROM "accounts" WHERE id = ?"#;
    found.extend(
        accounts
            .partiql(statement)
            .bind("a1")
            .all()
            .await?
            .into_iter()
            .map(|a| a.owner),
    );
    let query = members.entity_query().field("tenant", "acme").all().await?;
    found.extend(query.into_iter().map(|m| m.owner));
    let mut collection = Collection::<App>::new(client)
        .entity::<Member>()
        .field("tenant", "acme")
        .all()
        .await?;
    found.extend(collection.take::<Member>().into_iter().map(|m| m.owner));
    Ok(found)
}

#[tokio::test]
async fn two_prefixed_clients_on_one_database_never_meet() -> Result<(), Box<dyn std::error::Error>> {
    let base = Client::embedded()?;
    let a = stage(&base, "ci-a-").await?;
    let b = stage(&base, "ci-b-").await?;
    assert_eq!(owners(&a).await?, vec!["ci-a-"; 8]);
    assert_eq!(owners(&b).await?, vec!["ci-b-"; 8]);

    // Lifecycle speaks logical names; the base client sees the physical ones.
    let described = a.describe_table("accounts").await?.expect("a's accounts");
    assert_eq!(described.name, "accounts");
    assert!(a.compare_table(Account::definition()).await?.is_empty());
    for physical in ["ci-a-accounts", "ci-b-accounts", "ci-a-app", "ci-b-app"] {
        assert!(base.describe_table(physical).await?.is_some(), "{physical}");
    }
    assert!(base.describe_table("accounts").await?.is_none());

    // Writes through transactions and clearing stay under their prefix too.
    let accounts = a.table::<Account>();
    a.transact_write()
        .update(
            &accounts,
            Account::key("a1"),
            dynorm::expr::Update::new().set("owner", "moved"),
        )
        .condition(attr("owner").eq("ci-a-"))
        .send()
        .await?;
    assert_eq!(
        accounts.get(Account::key("a1")).await?.map(|x| x.owner),
        Some("moved".into())
    );
    accounts.clear().await?;
    assert!(accounts.scan().all().await?.is_empty());
    assert_eq!(owners(&b).await?, vec!["ci-b-"; 8]);

    a.delete_table("accounts").await?;
    assert!(base.describe_table("ci-a-accounts").await?.is_none());
    assert!(base.describe_table("ci-b-accounts").await?.is_some());
    Ok(())
}

#[tokio::test]
async fn errors_name_the_logical_table() -> dynorm::Result<()> {
    let base = Client::embedded()?;
    let missing = base.with_table_prefix("nowhere-")?;
    let error = missing
        .table::<Account>()
        .get(Account::key("a1"))
        .await
        .unwrap_err();
    match &error {
        Error::TableNotFound { table, .. } => assert_eq!(table, "accounts"),
        other => panic!("expected TableNotFound, got {other:?}"),
    }
    let conflict = stage(&base, "c-").await?.table::<Account>();
    let error = conflict.put(&account("x")).create_only().await.unwrap_err();
    assert!(
        matches!(&error, Error::ConditionalCheckFailed { table, .. } if table == "accounts"),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn prefixes_and_stages_are_checked_and_match_the_infrastructure() -> dynorm::Result<()> {
    let base = Client::embedded()?;
    for bad in ["has space-", "ümlaut-", &"x".repeat(300)] {
        match base.with_table_prefix(bad) {
            Err(Error::InvalidTablePrefix { prefix, .. }) => assert_eq!(prefix, bad),
            other => panic!("expected InvalidTablePrefix for {bad:?}, got {other:?}"),
        }
    }
    assert!(matches!(
        base.for_stage(""),
        Err(Error::InvalidTablePrefix { .. })
    ));
    let prod = base.for_stage("prod")?;
    assert_eq!(
        prod.physical_table_name("accounts"),
        dynorm::infra::physical_name("prod", "accounts")
    );
    assert_eq!(prod.table_names(), &TableNames::for_stage("prod")?);
    assert_eq!(base.physical_table_name("accounts"), "accounts");
    Ok(())
}

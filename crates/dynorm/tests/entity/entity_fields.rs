//! Entity fields beyond plain values: immutable fields, mutators, renamed fields in partial
//! updates, joined attributes, codecs and skipped fields, read-first updates, capped and paged
//! entity queries, collections addressed by fields — and immutable attributes on `Table` types.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use dynorm::entity::{Collection, Entity as _, EntityError, IndexLayout, Layout, RawItem, SingleTable};
use dynorm::{AttributeValue, Error, Table as _};

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

/// Lower-cases an email, as a mutator does on every write.
fn lowercase(s: String) -> String {
    s.to_lowercase()
}

fn trimmed(s: String) -> String {
    s.trim().to_owned()
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Member")]
#[dynorm(pk = "T#{tenant}", sk = "M#{member_id}")]
#[dynorm(index(name = "gsi1", pk = "EMAIL#{email}", sk = "{tenant_member}"))]
#[dynorm(index(name = "gsi2", pk = "T#{tenant}#ROLE#{role}", sk = "S#{status}#L#{level:03}"))]
#[dynorm(join(attribute = "tenant_member", fields(tenant, nickname, member_id)))]
struct Member {
    tenant: String,
    member_id: String,
    #[dynorm(mutate = lowercase, rename = "emailAddress")]
    email: String,
    #[dynorm(immutable)]
    created_by: String,
    #[dynorm(immutable, mutate = trimmed)]
    external_id: Option<String>,
    nickname: Option<String>,
    role: String,
    status: String,
    level: u32,
    #[dynorm(epoch_seconds)]
    joined: DateTime<Utc>,
    #[dynorm(skip)]
    session_note: String,
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Invoice")]
#[dynorm(pk = "T#{tenant}", sk = "I#{number:06}")]
struct Invoice {
    tenant: String,
    number: u32,
    total: u64,
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Audit")]
#[dynorm(pk = "AUDIT#{tenant}", sk = "A#{at}")]
struct Audit {
    tenant: String,
    at: String,
}

fn member(id: &str) -> Member {
    Member {
        tenant: "acme".into(),
        member_id: id.into(),
        email: format!("{}@Acme.TEST", id.to_uppercase()),
        created_by: "admin".into(),
        external_id: None,
        nickname: Some("nick".into()),
        role: "dev".into(),
        status: "active".into(),
        level: 7,
        joined: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
        session_note: "not stored".into(),
    }
}

async fn db() -> dynorm::Client {
    dynorm::testing::database(&[Member::definition()]).await.unwrap()
}

async fn stored(client: &dynorm::Client, id: &str) -> dynorm::Item {
    client
        .table_named::<RawItem<App>>("app")
        .get(RawItem::key(Member::key("acme", id)))
        .send()
        .await
        .unwrap()
        .unwrap()
        .item
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

/// What the stored item of `value` must be: a fresh put's item.
fn fresh(value: &Member) -> dynorm::Item {
    value.to_entity_item().unwrap()
}

#[test]
fn stored_layout_of_codecs_mutators_renames_and_joins() {
    let item = fresh(&member("m1"));
    // Mutator applied, under the stored name; the index key reads the normalised value.
    assert_eq!(item["emailAddress"], s("m1@acme.test"));
    assert!(!item.contains_key("email"));
    assert_eq!(item["gsi1pk"], s("EMAIL#m1@acme.test"));
    // dynamojo's joined attribute: sources joined by `~`, readable by templates.
    assert_eq!(item["tenant_member"], s("acme~nick~m1"));
    assert_eq!(item["gsi1sk"], s("acme~nick~m1"));
    assert_eq!(item["gsi2sk"], s("S#active#L#007"));
    // Codec: epoch seconds as a number; skipped field not stored; absent optional left out.
    assert_eq!(item["joined"], AttributeValue::N("1714564800".into()));
    assert!(!item.contains_key("session_note"));
    assert!(!item.contains_key("external_id"));
    let back = Member::from_entity_item(item).unwrap();
    let mut expected = member("m1");
    expected.email = "m1@acme.test".into();
    expected.session_note = String::new();
    assert_eq!(back, expected);
    // A missing join source joins as "" (dynamojo's rule).
    let mut anonymous = member("m2");
    anonymous.nickname = None;
    assert_eq!(fresh(&anonymous)["tenant_member"], s("acme~~m2"));
    // The typed key builder normalises too.
    let key = Member::key("acme", "m1").into_item().unwrap();
    assert_eq!(key["sk"], s("M#m1"));
}

#[test]
fn entity_definition_is_plain_data() {
    let def = Member::entity_definition();
    assert_eq!(def.name, "Member");
    assert_eq!(def.table, "app");
    assert_eq!(def.entity_attribute.as_deref(), Some("__entity"));
    let email = def.field("email").unwrap();
    assert_eq!(email.stored_name(), "emailAddress");
    assert!(def.field("created_by").unwrap().immutable);
    assert!(def.field("nickname").unwrap().optional);
    assert!(
        def.field("session_note").is_none(),
        "skipped fields are not stored"
    );
    assert_eq!(def.joined[0].attribute, "tenant_member");
    assert_eq!(def.joined[0].fields, ["tenant", "nickname", "member_id"]);
    assert_eq!(def.joined[0].separator, "~");
    let gsi2sk = def.keys.iter().find(|k| k.attribute == "gsi2sk").unwrap();
    assert_eq!(gsi2sk.template, "S#{status}#L#{level:03}");
    assert_eq!(gsi2sk.index.as_deref(), Some("gsi2"));
    let json = serde_json::to_string(&def).unwrap();
    let back: dynorm::entity::EntityDefinition = serde_json::from_str(&json).unwrap();
    assert_eq!(back, def);
}

#[tokio::test]
async fn updates_use_stored_names_and_mutators_and_refuse_unknown_fields() {
    let client = db().await;
    let members = client.table::<Member>();
    members.put(&member("m1")).send().await.unwrap();
    members
        .entity_update(Member::key("acme", "m1"))
        .set("email", "New@Acme.Test")
        .send()
        .await
        .unwrap();
    let item = stored(&client, "m1").await;
    assert_eq!(item["emailAddress"], s("new@acme.test"));
    assert_eq!(item["gsi1pk"], s("EMAIL#new@acme.test"));
    assert!(!item.contains_key("email"));

    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("emial", "x@y")
        .plan()
        .unwrap_err();
    assert!(
        matches!(&err, EntityError::UnknownField { field, hint: Some(h), .. } if field == "emial" && h.contains("`email`")),
        "{err}"
    );
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("emailAddress", "x@y")
        .plan()
        .unwrap_err();
    assert!(err.to_string().contains("stored name of field `email`"), "{err}");
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("tenant_member", "x")
        .plan()
        .unwrap_err();
    assert!(err.to_string().contains("joined attribute"), "{err}");
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("session_note", "x")
        .plan()
        .unwrap_err();
    assert!(matches!(err, EntityError::UnknownField { .. }), "{err}");

    // Queries by field normalise the value the same way.
    let found = members
        .entity_query()
        .field("email", "NEW@ACME.TEST")
        .all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].email, "new@acme.test");
}

#[tokio::test]
async fn joined_attributes_and_the_keys_reading_them_are_rebuilt() {
    let client = db().await;
    let members = client.table::<Member>();
    members.put(&member("m1")).send().await.unwrap();
    // The join reads tenant (from the key), nickname (changed) and member_id (from the key).
    let after = members
        .entity_update(Member::key("acme", "m1"))
        .set("nickname", "ace")
        .send_returning()
        .await
        .unwrap();
    let item = stored(&client, "m1").await;
    assert_eq!(item["tenant_member"], s("acme~ace~m1"));
    assert_eq!(item["gsi1sk"], s("acme~ace~m1"));
    assert_eq!(item, fresh(&after));
    // Removing a source joins it as "".
    members
        .entity_update(Member::key("acme", "m1"))
        .remove("nickname")
        .send()
        .await
        .unwrap();
    let item = stored(&client, "m1").await;
    assert_eq!(item["tenant_member"], s("acme~~m1"));
    assert_eq!(item["gsi1sk"], s("acme~~m1"));
}

#[tokio::test]
async fn missing_join_sources_are_named() {
    // A join over a field not in the key and not given.
    #[derive(dynorm::Entity, Debug, Clone, PartialEq)]
    #[dynorm(table = App, entity = "Pair", pk = "P#{id}", sk = "P")]
    #[dynorm(join(attribute = "ab", fields(a, b), separator = "|"))]
    struct Pair {
        id: String,
        a: String,
        b: String,
    }
    let client = db().await;
    let pairs = client.table::<Pair>();
    let err = pairs
        .entity_update(Pair::key("1"))
        .set("a", "x")
        .plan()
        .unwrap_err();
    assert!(
        matches!(&err, EntityError::MissingJoinSources { attribute: "ab", missing, .. } if *missing == ["b"]),
        "{err}"
    );
    pairs
        .put(&Pair {
            id: "1".into(),
            a: "a".into(),
            b: "b".into(),
        })
        .send()
        .await
        .unwrap();
    // Read first: b comes from the stored item.
    let after = pairs
        .entity_update(Pair::key("1"))
        .set("a", "x")
        .read_first()
        .send_returning()
        .await
        .unwrap();
    assert_eq!(after.a, "x");
    let raw = client.table_named::<RawItem<App>>("app");
    let item = raw
        .get(RawItem::key(Pair::key("1")))
        .send()
        .await
        .unwrap()
        .unwrap()
        .item;
    assert_eq!(item["ab"], s("x|b"));
}

#[tokio::test]
async fn immutable_fields_can_be_written_once() {
    let client = db().await;
    let members = client.table::<Member>();
    members.put(&member("m1")).send().await.unwrap();

    // A partial update changing it: refused by DynamoDB's condition, reported by name.
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("created_by", "mallory")
        .send()
        .await
        .unwrap_err();
    let EntityError::Dynamo(Error::ImmutableAttribute {
        table,
        attribute,
        stored: was,
        attempted,
        ..
    }) = &err
    else {
        panic!("expected ImmutableAttribute, got {err}");
    };
    assert_eq!((table.as_str(), attribute.as_str()), ("app", "created_by"));
    assert_eq!(was, "\"admin\"");
    assert_eq!(attempted.as_deref(), Some("\"mallory\""));
    assert!(err.to_string().contains("immutable"), "{err}");
    // Setting the value it already holds is no change.
    members
        .entity_update(Member::key("acme", "m1"))
        .set("created_by", "admin")
        .send()
        .await
        .unwrap();
    // Removing it is a change.
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .remove("created_by")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            EntityError::Dynamo(Error::ImmutableAttribute { attempted: None, .. })
        ),
        "{err}"
    );
    // An absent immutable field can be written the first time (mutated), then no more.
    members
        .entity_update(Member::key("acme", "m1"))
        .set("external_id", "  ext-1 ")
        .send()
        .await
        .unwrap();
    assert_eq!(stored(&client, "m1").await["external_id"], s("ext-1"));
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("external_id", "ext-2")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EntityError::Dynamo(Error::ImmutableAttribute { attribute, .. }) if attribute == "external_id"),
        "{err}"
    );
    // A whole put replacing the item is guarded the same way.
    let mut replaced = member("m1");
    replaced.external_id = Some("ext-1".into());
    replaced.created_by = "mallory".into();
    let err = members.put(&replaced).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::ImmutableAttribute { attribute, .. } if attribute == "created_by"),
        "{err}"
    );
    replaced.created_by = "admin".into();
    replaced.status = "away".into();
    members.put(&replaced).send().await.unwrap();
    assert_eq!(stored(&client, "m1").await["status"], s("away"));
    // Other failed conditions are not mistaken for immutability.
    let err = members
        .put(&replaced)
        .condition(dynorm::expr::attr("status").eq("active"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionalCheckFailed { .. }), "{err}");
}

#[tokio::test]
async fn read_first_fills_what_the_keys_need() {
    let client = db().await;
    let members = client.table::<Member>();
    members.put(&member("m1")).send().await.unwrap();
    // gsi2sk reads status and level; level is neither in the key nor given.
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("status", "away")
        .plan()
        .unwrap_err();
    assert!(
        matches!(&err, EntityError::MissingFields { attribute: "gsi2sk", missing, .. } if *missing == ["level"]),
        "{err}"
    );
    assert!(err.to_string().contains("read_first"), "{err}");
    let after = members
        .entity_update(Member::key("acme", "m1"))
        .set("status", "away")
        .read_first()
        .send_returning()
        .await
        .unwrap();
    assert_eq!(stored(&client, "m1").await, fresh(&after));
    assert_eq!(stored(&client, "m1").await["gsi2sk"], s("S#away#L#007"));
    // Read first on a missing item: not found, nothing written.
    let err = members
        .entity_update(Member::key("acme", "nobody"))
        .set("status", "away")
        .read_first()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, EntityError::Dynamo(Error::NotFound { .. })),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_read_first_updates_leave_no_stale_key() {
    let client = db().await;
    let members = client.table::<Member>();
    members.put(&member("m1")).send().await.unwrap();
    // Each update reads the field the other changes: without the read-time condition, one
    // would rebuild gsi2sk from a value the other just replaced. Several rounds, as races are.
    for round in 0..5u32 {
        let mut tasks = Vec::new();
        for i in 0..24u32 {
            let members = members.clone();
            tasks.push(tokio::spawn(async move {
                let update = members.entity_update(Member::key("acme", "m1")).read_first();
                let update = if i % 2 == 0 {
                    update.set("status", format!("s{round}-{i}"))
                } else {
                    update.set("level", round * 100 + i)
                };
                update.send().await
            }));
        }
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) | Err(EntityError::Dynamo(Error::ConditionalCheckFailed { .. })) => {}
                Err(e) => panic!("{e}"),
            }
        }
        let item = stored(&client, "m1").await;
        let now = Member::from_entity_item(item.clone()).unwrap();
        assert_eq!(
            item["gsi2sk"],
            s(&format!("S#{}#L#{:03}", now.status, now.level)),
            "round {round}: the index key matches the fields"
        );
    }
}

#[tokio::test]
async fn entity_queries_cap_and_page() {
    let client = db().await;
    let members = client.table::<Member>();
    let invoices = client.table::<Invoice>();
    for i in 0..10 {
        members.put(&member(&format!("m{i:02}"))).send().await.unwrap();
        invoices
            .put(&Invoice {
                tenant: "acme".into(),
                number: i,
                total: 100,
            })
            .send()
            .await
            .unwrap();
    }
    // Invoices share the partition; the cap counts members only.
    let three = members
        .entity_query()
        .field("tenant", "acme")
        .on_table()
        .limit(3)
        .all()
        .await
        .unwrap();
    assert_eq!(
        three.iter().map(|m| m.member_id.as_str()).collect::<Vec<_>>(),
        ["m00", "m01", "m02"]
    );
    let last = invoices
        .entity_query()
        .field("tenant", "acme")
        .descending()
        .first()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.number, 9);
    // Pages of 4, resumed by cursor.
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let mut q = members
            .entity_query()
            .field("tenant", "acme")
            .on_table()
            .page_size(4);
        if let Some(c) = cursor.take() {
            q = q.start_after(c);
        }
        let page = q.page().await.unwrap();
        pages += 1;
        seen.extend(page.items.into_iter().map(|m| m.member_id));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    // The sort key's literal prefix (`M#`) narrows the query to members: 10 items, 3 pages.
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 10);
    assert_eq!(seen[9], "m09");
}

#[tokio::test]
async fn collections_by_fields() {
    let client = db().await;
    client.table::<Member>().put(&member("m1")).send().await.unwrap();
    client
        .table::<Invoice>()
        .put(&Invoice {
            tenant: "acme".into(),
            number: 1,
            total: 5,
        })
        .send()
        .await
        .unwrap();
    let mut found = Collection::<App>::new(&client)
        .entity::<Member>()
        .entity::<Invoice>()
        .field("tenant", "acme")
        .all()
        .await
        .unwrap();
    assert_eq!(found.take::<Member>().len(), 1);
    assert_eq!(found.take::<Invoice>()[0].total, 5);
    // An entity in another partition cannot be part of the collection.
    let err = Collection::<App>::new(&client)
        .entity::<Member>()
        .entity::<Audit>()
        .field("tenant", "acme")
        .all()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`Member` is in `T#acme`") && text.contains("`Audit` is in `AUDIT#acme`"),
        "{text}"
    );
    // Fields that do not make the partition are named.
    let err = Collection::<App>::new(&client)
        .entity::<Member>()
        .field("tenantt", "acme")
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("tenant"), "{err}");
    // On an index: the index's partition template.
    let mut by_role = Collection::<App>::new(&client)
        .index("gsi2")
        .entity::<Member>()
        .field("tenant", "acme")
        .field("role", "dev")
        .all()
        .await
        .unwrap();
    assert_eq!(by_role.take::<Member>().len(), 1);
}

// Immutable attributes on plain tables.
#[derive(dynorm::Table, Debug, Clone, PartialEq)]
#[dynorm(table = "accounts")]
struct Account {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(immutable)]
    owner: String,
    #[dynorm(mutate = lowercase)]
    handle: String,
    balance: i64,
}

fn account(owner: &str) -> Account {
    Account {
        id: "a1".into(),
        owner: owner.into(),
        handle: "Ann".into(),
        balance: 0,
    }
}

#[tokio::test]
async fn immutable_attributes_on_tables() {
    let client = dynorm::testing::database(&[Account::definition()]).await.unwrap();
    let accounts = client.table::<Account>();
    accounts.put(&account("ann")).send().await.unwrap();
    let read = accounts.get_or_fail(Account::key("a1")).send().await.unwrap();
    assert_eq!(read.handle, "ann", "the mutator ran on write");

    let err = accounts.put(&account("bob")).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::ImmutableAttribute { attribute, .. } if attribute == "owner"),
        "{err}"
    );
    let err = accounts
        .update(Account::key("a1"))
        .set("owner", "bob")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::ImmutableAttribute { .. }), "{err}");
    // if_not_exists never changes a written value: allowed, and a no-op.
    accounts
        .update(Account::key("a1"))
        .set_if_not_exists("owner", "bob")
        .increment("balance", 5)
        .send()
        .await
        .unwrap();
    let read = accounts.get_or_fail(Account::key("a1")).send().await.unwrap();
    assert_eq!((read.owner.as_str(), read.balance), ("ann", 5));
    // Upserts and transactions carry the guard too.
    let err = accounts.upsert(&account("bob")).send().await.unwrap_err();
    assert!(matches!(&err, Error::ImmutableAttribute { .. }), "{err}");
    let err = client
        .transact_write()
        .put(&accounts, &account("bob"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::TransactionItemsCanceled { .. }), "{err}");
    let read = accounts.get_or_fail(Account::key("a1")).send().await.unwrap();
    assert_eq!(read.owner, "ann");
    // A new item may hold any value.
    let mut other = account("carol");
    other.id = "a2".into();
    accounts.put(&other).send().await.unwrap();
    // Batch puts cannot be guarded: refused unless asked for, naming the attributes.
    let err = accounts.batch_put([account("bob")]).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.contains("owner") && message.contains("unguarded")),
        "{err}"
    );
    assert_eq!(
        accounts
            .get_or_fail(Account::key("a1"))
            .send()
            .await
            .unwrap()
            .owner,
        "ann"
    );
    // A batch upsert reads first and keeps the stored value.
    let mut richer = account("bob");
    richer.balance = 99;
    accounts.batch_upsert([richer]).await.unwrap();
    let read = accounts.get_or_fail(Account::key("a1")).send().await.unwrap();
    assert_eq!((read.owner.as_str(), read.balance), ("ann", 99));
    // Asked for, a batch put overwrites.
    accounts.batch_put([account("bob")]).unguarded().await.unwrap();
    assert_eq!(
        accounts
            .get_or_fail(Account::key("a1"))
            .send()
            .await
            .unwrap()
            .owner,
        "bob"
    );
}

#[tokio::test]
async fn typed_paths_of_entities_use_stored_names_and_mutators() {
    let client = db().await;
    let members = client.table::<Member>();
    members.put(&member("m1")).send().await.unwrap();
    // The path of `email` is the stored `emailAddress`, and its value is lower-cased like a write.
    let condition = Member::fields().email.eq("M1@ACME.test".to_owned());
    members
        .entity_update(Member::key("acme", "m1"))
        .set("role", "lead")
        .condition(condition)
        .send()
        .await
        .unwrap();
    let err = members
        .entity_update(Member::key("acme", "m1"))
        .set("role", "dev")
        .condition(Member::fields().level.gt(100u32))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, EntityError::Dynamo(Error::ConditionalCheckFailed { .. })),
        "{err}"
    );
    // Typed setters: the field by its path, the value by its type (codec and mutator applied).
    let after = members
        .entity_update(Member::key("acme", "m1"))
        .set_typed(Member::fields().email, "Typed@Acme.TEST".to_owned())
        .set_typed(Member::fields().level, 42u32)
        .known_typed(Member::fields().status, "active".to_owned())
        .send_returning()
        .await
        .unwrap();
    assert_eq!(after.email, "typed@acme.test");
    let item = stored(&client, "m1").await;
    assert_eq!(item["gsi1pk"], s("EMAIL#typed@acme.test"));
    assert_eq!(item["gsi2sk"], s("S#active#L#042"));
    assert_eq!(item, fresh(&after));
    let by_email = members
        .entity_query()
        .field_typed(Member::fields().email, "TYPED@acme.test".to_owned())
        .all()
        .await
        .unwrap();
    assert_eq!(by_email.len(), 1);
    members.put(&member("m2")).send().await.unwrap();
    let leads = members
        .entity_query()
        .field("tenant", "acme")
        .filter(Member::fields().role.eq("lead".to_owned()))
        .all()
        .await
        .unwrap();
    assert_eq!(leads.len(), 1);
    assert_eq!(
        (leads[0].member_id.as_str(), leads[0].role.as_str()),
        ("m1", "lead")
    );
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Doc", pk = "D#{id}", sk = "DOC")]
struct Doc {
    id: String,
    body: String,
    #[dynorm(version)]
    version: u64,
    #[dynorm(created_at)]
    created: Option<DateTime<Utc>>,
    #[dynorm(updated_at)]
    updated: Option<DateTime<Utc>>,
}

#[test]
fn an_entity_definition_names_its_version() {
    use dynorm::entity::Entity as _;
    let definition = Doc::entity_definition();
    assert_eq!(definition.version.as_deref(), Some("version"));
    assert!(definition.problems().is_empty(), "{:?}", definition.problems());
    let mut wrong = definition.clone();
    wrong.version = Some("revision".into());
    let problems = wrong.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("version attribute `revision` is not one of the entity's stored fields")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn entities_lock_optimistically_and_stamp_times() {
    let client = db().await;
    let docs = client.table::<Doc>();
    let mut doc = Doc {
        id: "1".into(),
        body: "a".into(),
        version: 0,
        created: None,
        updated: None,
    };
    docs.save(&mut doc).await.unwrap();
    assert_eq!(doc.version, 1);
    let stale = doc.clone();
    doc.body = "b".into();
    docs.save(&mut doc).await.unwrap();
    assert_eq!(doc.version, 2);
    // Someone else's copy is out of date.
    let mut stale = stale;
    stale.body = "c".into();
    let err = docs.save(&mut stale).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::VersionConflict {
                expected: 1,
                found: Some(2),
                ..
            }
        ),
        "{err}"
    );
    // Partial updates bump the version and can require one.
    let err = docs
        .entity_update(Doc::key("1"))
        .set("body", "d")
        .expected_version(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, EntityError::Dynamo(Error::VersionConflict { .. })),
        "{err}"
    );
    let after = docs
        .entity_update(Doc::key("1"))
        .set("body", "d")
        .expected_version(2)
        .send_returning()
        .await
        .unwrap();
    assert_eq!((after.body.as_str(), after.version), ("d", 3));
    // Upserts stamp the creation time once and the modification time every time.
    let mut other = Doc {
        id: "2".into(),
        body: "x".into(),
        version: 0,
        created: None,
        updated: None,
    };
    let first = docs.upsert(&other).await.unwrap();
    let created = first.created.expect("stamped");
    assert_eq!(first.updated, Some(created));
    other.body = "y".into();
    let second = docs.upsert(&other).await.unwrap();
    assert_eq!(second.created, Some(created));
    assert!(second.updated.unwrap() >= created);
}

#[derive(Debug)]
enum Row {
    Member(Box<Member>),
    Invoice(Invoice),
}

#[tokio::test]
async fn collections_decode_into_an_enum_in_sort_order() {
    let client = db().await;
    client.table::<Member>().put(&member("m1")).send().await.unwrap();
    for number in [2, 1] {
        client
            .table::<Invoice>()
            .put(&Invoice {
                tenant: "acme".into(),
                number,
                total: 5,
            })
            .send()
            .await
            .unwrap();
    }
    // An item of a type the collection does not know is kept, not dropped.
    let raw = client.table_named::<RawItem<App>>("app");
    raw.put(&RawItem::new(
        [
            ("pk".to_owned(), s("T#acme")),
            ("sk".to_owned(), s("Z#other")),
            ("__entity".to_owned(), s("Other")),
        ]
        .into(),
    ))
    .send()
    .await
    .unwrap();
    let rows = Collection::<App>::new(&client)
        .field("tenant", "acme")
        .into_enum()
        .variant(|m| Row::Member(Box::new(m)))
        .variant(Row::Invoice)
        .all()
        .await
        .unwrap();
    // Sort key order: I#000001, I#000002, M#m1.
    let order: Vec<String> = rows
        .items
        .iter()
        .map(|r| match r {
            Row::Member(m) => m.member_id.clone(),
            Row::Invoice(i) => i.number.to_string(),
        })
        .collect();
    assert_eq!(order, ["1", "2", "m1"]);
    assert_eq!(rows.unknown.len(), 1);
    // A type registered without a variant is refused, not dropped.
    let err = Collection::<App>::new(&client)
        .entity::<Invoice>()
        .field("tenant", "acme")
        .into_enum()
        .variant(|m| Row::Member(Box::new(m)))
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Invoice"), "{err}");
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Run", pk = "T#{tenant}", sk = "RUN#{integration}#{run:06}")]
#[dynorm(index(name = "gsi1", pk = "RUNS#{integration}", sk = "{day}#{status}"))]
struct Run {
    tenant: String,
    integration: String,
    run: u32,
    day: String,
    status: String,
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Reading", pk = "S#{sensor}", sk = "R#{value}")]
struct Reading {
    sensor: String,
    value: u32,
}

#[tokio::test]
async fn entity_queries_range_over_a_sort_key_field() {
    let client = db().await;
    let runs = client.table::<Run>();
    for (integration, run, day) in [
        ("A", 1, "2026-01-01"),
        ("A", 2, "2026-01-02"),
        ("A", 3, "2026-01-03"),
        ("A", 4, "2026-01-04"),
        ("B", 5, "2026-01-02"),
    ] {
        runs.put(&Run {
            tenant: "acme".into(),
            integration: integration.into(),
            run,
            day: day.into(),
            status: "ok".into(),
        })
        .await
        .unwrap();
    }
    let ids = |found: Vec<Run>| found.into_iter().map(|r| r.run).collect::<Vec<_>>();
    let query = || {
        runs.entity_query()
            .field("tenant", "acme")
            .field("integration", "A")
    };
    assert_eq!(ids(query().field_gt("run", 2u32).all().await.unwrap()), [3, 4]);
    assert_eq!(
        ids(query().field_gte("run", 2u32).all().await.unwrap()),
        [2, 3, 4]
    );
    assert_eq!(ids(query().field_lt("run", 3u32).all().await.unwrap()), [1, 2]);
    assert_eq!(
        ids(query().field_lte("run", 3u32).all().await.unwrap()),
        [1, 2, 3]
    );
    assert_eq!(
        ids(query().field_between("run", 2u32, 3u32).all().await.unwrap()),
        [2, 3]
    );
    // Integration B's runs share the partition but never leak into A's range.
    assert_eq!(
        ids(query().field_gt("run", 0u32).all().await.unwrap()),
        [1, 2, 3, 4]
    );
    // On an index whose sort key starts with the ranged field (no common beginning).
    let on_index = runs
        .entity_query()
        .field("integration", "A")
        .field_lt("day", "2026-01-03")
        .all()
        .await
        .unwrap();
    assert_eq!(ids(on_index), [1, 2]);
    let (index, condition) = runs
        .entity_query()
        .field("integration", "A")
        .field_gte("day", "2026-01-03")
        .key_condition()
        .unwrap();
    assert_eq!(index, Some("gsi1"));
    assert!(format!("{condition:?}").contains("2026-01-03"), "{condition:?}");

    // A field that is not next in a sort key cannot be ranged: named.
    let err = runs
        .entity_query()
        .field("tenant", "acme")
        .field_gt("day", "2026")
        .on_table()
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`day`"), "{err}");
    let err = runs
        .entity_query()
        .field("tenant", "acme")
        .field("run", 1u32)
        .field_gt("run", 1u32)
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("both"), "{err}");

    // An unpadded number's keys sort as text ("10" < "9"): refused rather than wrong.
    let readings = client.table::<Reading>();
    for value in [9, 10] {
        readings
            .put(&Reading {
                sensor: "s".into(),
                value,
            })
            .await
            .unwrap();
    }
    let err = readings
        .entity_query()
        .field("sensor", "s")
        .field_gt("value", 5u32)
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pad it"), "{err}");
}

//! Change streams, on the embedded engine or (endpoint mode, feature `aws-streams`) through
//! DynamoDB Streams: every view type decoded into typed changes, decode
//! errors naming table / sequence number / attribute, checkpoints and resuming, the async stream
//! of batches, single-table enums with an `Unknown` variant, and the `ChangeLog` test helper.

#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use dynorm::definition::StreamViewType;
use dynorm::entity::{Layout, SingleTable};
use dynorm::expr::Update;
use dynorm::stream::{Change, ChangeStream, Checkpoint, EntityChanges, Image, StreamRecord};
use dynorm::testing::ChangeLog;
use dynorm::{AttributeValue, Client, Error, Key, Table};
use futures::StreamExt;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "notes", stream = "new_and_old_images")]
struct Note {
    #[dynorm(partition_key)]
    id: String,
    body: String,
    n: u32,
}

fn note(id: &str, body: &str, n: u32) -> Note {
    Note {
        id: id.into(),
        body: body.into(),
        n,
    }
}

/// A table of notes named `name` whose stream has view type `view`.
async fn notes_table(client: &Client, name: &str, view: StreamViewType) {
    let mut definition = Note::definition().clone();
    definition.name = name.to_owned();
    definition.stream = Some(view);
    client.create_table(&definition).await.unwrap();
}

/// Insert, modify, remove of one note; the changes the stream gave.
async fn lifecycle_changes(view: StreamViewType) -> Vec<Change<Note>> {
    let client = dynorm::testing::client().await.unwrap();
    let name = format!("notes_{}", view.as_str().to_lowercase());
    notes_table(&client, &name, view).await;
    let notes = client.table_named::<Note>(name.clone());
    notes.put(&note("a", "first", 1)).await.unwrap();
    notes
        .update(Note::key("a"))
        .apply(Update::new().set("body", "second").set("n", 2u32))
        .await
        .unwrap();
    notes.delete(Note::key("a")).await.unwrap();
    let mut stream = ChangeStream::new(&client, name).unwrap();
    let batch = stream.next_batch().await.unwrap().unwrap();
    assert!(
        stream.next_batch().await.unwrap().is_none(),
        "one batch holds all three"
    );
    batch
        .changes::<Note>()
        .unwrap()
        .into_iter()
        .map(|c| c.change)
        .collect()
}

fn key() -> Image<Note> {
    Image::Key(Note::key("a"))
}

#[tokio::test]
async fn new_and_old_images_give_both_items() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let (v1, v2) = (note("a", "first", 1), note("a", "second", 2));
    assert_eq!(
        lifecycle_changes(StreamViewType::NewAndOldImages).await,
        vec![
            Change::Insert(Image::Item(v1.clone())),
            Change::Modify {
                old: Image::Item(v1),
                new: Image::Item(v2.clone())
            },
            Change::Remove(Image::Item(v2)),
        ]
    );
}

#[tokio::test]
async fn new_image_gives_the_new_item_and_keys_for_the_old() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let (v1, v2) = (note("a", "first", 1), note("a", "second", 2));
    assert_eq!(
        lifecycle_changes(StreamViewType::NewImage).await,
        vec![
            Change::Insert(Image::Item(v1)),
            Change::Modify {
                old: key(),
                new: Image::Item(v2)
            },
            Change::Remove(key()),
        ]
    );
}

#[tokio::test]
async fn old_image_gives_the_old_item_and_keys_for_the_new() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let (v1, v2) = (note("a", "first", 1), note("a", "second", 2));
    assert_eq!(
        lifecycle_changes(StreamViewType::OldImage).await,
        vec![
            Change::Insert(key()),
            Change::Modify {
                old: Image::Item(v1),
                new: key()
            },
            Change::Remove(Image::Item(v2)),
        ]
    );
}

#[tokio::test]
async fn keys_only_gives_typed_keys() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let changes = lifecycle_changes(StreamViewType::KeysOnly).await;
    assert_eq!(
        changes,
        vec![
            Change::Insert(key()),
            Change::Modify {
                old: key(),
                new: key()
            },
            Change::Remove(key())
        ]
    );
    let Change::Insert(Image::Key(k)) = &changes[0] else {
        unreachable!()
    };
    assert_eq!(
        k,
        &Key::<Note>::from_item([("id".to_owned(), AttributeValue::S("a".into()))].into())
    );
}

#[tokio::test]
async fn a_record_that_does_not_decode_names_table_sequence_number_and_attribute() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    client.table::<Note>().create().await.unwrap();
    client
        .sdk()
        .put_item()
        .table_name(client.physical_table_name("notes"))
        .item("id", AttributeValue::S("bad".into()))
        .item("body", AttributeValue::S("x".into()))
        .item("n", AttributeValue::S("not a number".into()))
        .send()
        .await
        .unwrap();
    let mut stream = ChangeStream::of::<Note>(&client).unwrap();
    let batch = stream.next_batch().await.unwrap().unwrap();
    let sequence = batch.records[0].sequence_number.clone();
    assert!(sequence.len() >= 21, "{sequence}");
    match batch.changes::<Note>().unwrap_err() {
        Error::StreamDecode {
            table,
            sequence_number,
            attribute,
            reason,
        } => {
            assert_eq!(table, "notes");
            assert_eq!(sequence_number, sequence);
            assert_eq!(attribute.as_deref(), Some("n"));
            assert!(reason.starts_with("NewImage: expected"), "{reason}");
        }
        other => panic!("expected a stream decode error, got {other:?}"),
    }
}

#[test]
fn malformed_records_are_refused_with_what_is_missing() {
    let base = StreamRecord {
        table: "notes".into(),
        event_id: "e1".into(),
        event_name: "INSERT".into(),
        sequence_number: String::new(),
        keys: [("id".to_owned(), AttributeValue::S("a".into()))].into(),
        new_image: None,
        old_image: None,
        view_type: Some(StreamViewType::NewAndOldImages),
        approximate_creation: None,
    };
    let message = |r: &StreamRecord| Change::<Note>::from_record(r).unwrap_err().to_string();
    // No sequence number: the event id names the record.
    assert_eq!(
        message(&base),
        "cannot decode stream record e1 of table `notes`: the record carries no NewImage though the stream's view type is NEW_AND_OLD_IMAGES"
    );
    let odd = StreamRecord {
        event_name: "UPSERT".into(),
        ..base.clone()
    };
    assert!(message(&odd).ends_with("unknown event `UPSERT`"));
    let keyless = StreamRecord {
        keys: Default::default(),
        ..base.clone()
    };
    assert!(message(&keyless).ends_with("the record carries no Keys"));
    // Without a view type, a missing image is read as a key.
    let unknown_view = StreamRecord {
        view_type: None,
        ..base
    };
    assert_eq!(
        Change::<Note>::from_record(&unknown_view).unwrap(),
        Change::Insert(key())
    );
}

#[tokio::test]
async fn a_consumer_resumes_after_its_checkpoint() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    let notes = client.table::<Note>();
    notes.create().await.unwrap();
    for i in 0..5 {
        notes.put(&note(&format!("n{i}"), "x", i)).await.unwrap();
    }
    let mut first = ChangeStream::of::<Note>(&client).unwrap().limit(2);
    let batch = first.next_batch().await.unwrap().unwrap();
    assert_eq!(batch.records.len(), 2);
    let stored = batch.checkpoint.to_json();
    drop(first); // the process stops after processing two records

    notes.put(&note("n5", "x", 5)).await.unwrap();
    let checkpoint = Checkpoint::from_json("notes", &stored).unwrap();
    let mut resumed = ChangeStream::of::<Note>(&client).unwrap().resume(checkpoint);
    let ids: Vec<String> = resumed
        .read_available()
        .await
        .unwrap()
        .iter()
        .map(|r| r.keys["id"].as_s().unwrap().clone())
        .collect();
    assert_eq!(ids, ["n2", "n3", "n4", "n5"]);
    assert!(
        Checkpoint::from_json("notes", "{")
            .unwrap_err()
            .to_string()
            .contains("not a stream checkpoint")
    );
}

#[tokio::test]
async fn start_at_latest_skips_what_was_written_before() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    let notes = client.table::<Note>();
    notes.create().await.unwrap();
    notes.put(&note("old", "x", 0)).await.unwrap();
    let mut stream = ChangeStream::of::<Note>(&client)
        .unwrap()
        .start_at(dynorm::stream::StartAt::Latest);
    assert!(stream.next_batch().await.unwrap().is_none());
    notes.put(&note("new", "x", 1)).await.unwrap();
    let records = stream.read_available().await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].keys["id"].as_s().unwrap(), "new");
}

#[tokio::test]
async fn batches_wait_for_writes_made_while_the_stream_is_quiet() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    let notes = client.table::<Note>();
    notes.create().await.unwrap();
    let stream = ChangeStream::of::<Note>(&client)
        .unwrap()
        .limit(1)
        .backoff(dynorm::stream::Backoff {
            min: std::time::Duration::from_millis(1),
            max: std::time::Duration::from_millis(10),
        });
    let writer = tokio::spawn(async move {
        for i in 0..3 {
            tokio::task::yield_now().await;
            notes.put(&note(&format!("w{i}"), "x", i)).await.unwrap();
        }
    });
    let batches: Vec<_> = stream.batches().take(3).collect().await;
    writer.await.unwrap();
    let ns: Vec<u32> = batches
        .into_iter()
        .flat_map(|b| b.unwrap().changes::<Note>().unwrap())
        .map(|c| c.change.new_item().unwrap().n)
        .collect();
    assert_eq!(ns, [0, 1, 2]);
}

#[tokio::test]
async fn a_table_without_a_stream_is_a_typed_error() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    #[derive(Table, Debug, Clone, PartialEq)]
    #[dynorm(table = "quiet")]
    struct Quiet {
        #[dynorm(partition_key)]
        id: String,
    }
    let client = dynorm::testing::client().await.unwrap();
    client.table::<Quiet>().create().await.unwrap();
    let error = ChangeStream::of::<Quiet>(&client)
        .unwrap()
        .next_batch()
        .await
        .unwrap_err();
    assert!(error.is_table_not_found(), "{error:?}");
    assert!(error.to_string().contains("has no stream"), "{error}");
}

// --- single-table layouts -------------------------------------------------------------------

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{user}")]
struct User {
    tenant: String,
    user: String,
    name: String,
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, entity = "Run", pk = "T#{tenant}", sk = "R#{run:06}")]
struct Run {
    tenant: String,
    run: u32,
}

#[derive(Debug, PartialEq)]
enum AppChange {
    User(Change<User>),
    Run(Change<Run>),
    Unknown(Box<StreamRecord>),
}

fn unknown(record: StreamRecord) -> AppChange {
    AppChange::Unknown(Box::new(record))
}

async fn app_table(client: &Client, view: StreamViewType) {
    let mut definition = User::definition().clone();
    definition.stream = Some(view);
    client.create_table(&definition).await.unwrap();
}

async fn app_writes(client: &Client) -> (User, Run) {
    let user = User {
        tenant: "acme".into(),
        user: "ann".into(),
        name: "Ann".into(),
    };
    let run = Run {
        tenant: "acme".into(),
        run: 7,
    };
    client.table::<User>().put(&user).await.unwrap();
    client.table::<Run>().put(&run).await.unwrap();
    // An item another tool wrote, of no type this service knows.
    client
        .sdk()
        .put_item()
        .table_name(client.physical_table_name("app"))
        .item("pk", AttributeValue::S("T#acme".into()))
        .item("sk", AttributeValue::S("INVOICE#1".into()))
        .item("__entity", AttributeValue::S("Invoice".into()))
        .send()
        .await
        .unwrap();
    (user, run)
}

#[tokio::test]
async fn a_single_table_stream_decodes_into_one_enum_keeping_unknown_records() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    app_table(&client, StreamViewType::NewAndOldImages).await;
    let (user, run) = app_writes(&client).await;
    let records = ChangeStream::new(&client, "app")
        .unwrap()
        .read_available()
        .await
        .unwrap();
    let decoder = EntityChanges::<App, AppChange>::new(unknown)
        .variant(AppChange::User)
        .variant(AppChange::Run);
    let changes: Vec<AppChange> = decoder
        .decode_all(&records)
        .unwrap()
        .into_iter()
        .map(|c| c.change)
        .collect();
    assert_eq!(changes[0], AppChange::User(Change::Insert(Image::Item(user))));
    assert_eq!(changes[1], AppChange::Run(Change::Insert(Image::Item(run))));
    match &changes[2] {
        AppChange::Unknown(raw) => assert_eq!(raw.keys["sk"].as_s().unwrap(), "INVOICE#1"),
        other => panic!("expected the invoice kept raw, got {other:?}"),
    }
}

#[tokio::test]
async fn a_keys_only_single_table_stream_is_classified_by_key_templates() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    app_table(&client, StreamViewType::KeysOnly).await;
    app_writes(&client).await;
    let records = ChangeStream::new(&client, "app")
        .unwrap()
        .read_available()
        .await
        .unwrap();
    let decoder = EntityChanges::<App, AppChange>::new(unknown)
        .variant(AppChange::User)
        .variant(AppChange::Run);
    let changes: Vec<AppChange> = decoder
        .decode_all(&records)
        .unwrap()
        .into_iter()
        .map(|c| c.change)
        .collect();
    assert_eq!(
        changes[0],
        AppChange::User(Change::Insert(Image::Key(User::key("acme", "ann"))))
    );
    assert_eq!(
        changes[1],
        AppChange::Run(Change::Insert(Image::Key(Run::key("acme", 7u32))))
    );
    assert!(matches!(changes[2], AppChange::Unknown(_)));
}

#[tokio::test]
async fn a_registered_entity_that_does_not_decode_is_an_error_naming_the_attribute() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    app_table(&client, StreamViewType::NewImage).await;
    client
        .sdk()
        .put_item()
        .table_name(client.physical_table_name("app"))
        .item("pk", AttributeValue::S("T#acme".into()))
        .item("sk", AttributeValue::S("U#bob".into()))
        .item("__entity", AttributeValue::S("User".into()))
        .item("tenant", AttributeValue::S("acme".into()))
        .item("user", AttributeValue::S("bob".into()))
        .send()
        .await
        .unwrap();
    let records = ChangeStream::new(&client, "app")
        .unwrap()
        .read_available()
        .await
        .unwrap();
    let decoder = EntityChanges::<App, AppChange>::new(unknown).variant(AppChange::User);
    match decoder.decode(&records[0]).unwrap_err() {
        Error::StreamDecode {
            table,
            attribute,
            sequence_number,
            ..
        } => {
            assert_eq!((table.as_str(), attribute.as_deref()), ("app", Some("name")));
            assert_eq!(sequence_number, records[0].sequence_number);
        }
        other => panic!("{other:?}"),
    }
}

// --- the test helper ------------------------------------------------------------------------

#[tokio::test]
async fn change_log_sees_only_what_happened_after_it_started_in_order() {
    if !dynorm::testing::require(dynorm::testing::Capability::Streams) {
        return;
    }
    let client = dynorm::testing::client().await.unwrap();
    let notes = client.table::<Note>();
    notes.create().await.unwrap();
    notes.put(&note("before", "x", 0)).await.unwrap();
    let mut log = ChangeLog::of::<Note>(&client).await.unwrap();
    let mut saved = note("a", "one", 1);
    notes.put(&saved).await.unwrap();
    saved.body = "two".into();
    notes.put(&saved).await.unwrap();
    log.assert_changes(&[
        Change::Insert(Image::Item(note("a", "one", 1))),
        Change::Modify {
            old: Image::Item(note("a", "one", 1)),
            new: Image::Item(note("a", "two", 1)),
        },
    ])
    .await;
    // Nothing new since the last assertion.
    log.assert_changes::<Note>(&[]).await;
}

#[tokio::test]
#[should_panic(expected = "the changes of table `notes` differ")]
async fn change_log_fails_a_test_when_the_changes_differ() {
    // Embedded on every run: a `should_panic` test cannot be skipped, and the message is the same.
    let client = Client::embedded().unwrap();
    let notes = client.table::<Note>();
    notes.create().await.unwrap();
    let mut log = ChangeLog::of::<Note>(&client).await.unwrap();
    notes.put(&note("a", "one", 1)).await.unwrap();
    log.assert_changes(&[Change::Insert(Image::Item(note("a", "other", 1)))])
        .await;
}

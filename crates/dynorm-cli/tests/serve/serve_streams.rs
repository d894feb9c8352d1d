//! Change streams through `dynorm serve`, as standard clients see them: AWS-shaped shard ids
//! (28+ characters even for a short table name) and ARNs naming the configured region, read with
//! the Rust SDK's own validation (through dynorm's `ChangeStream`, every view type, a checkpoint
//! and resume) and with boto3 at its default settings when a Python with boto3 is at hand.

use std::process::Command;

use aws_sdk_dynamodbstreams as streams;
use dynorm::aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use dynorm::definition::StreamViewType;
use dynorm::expr::Update;
use dynorm::stream::{Change, ChangeStream, Checkpoint, Image};
use dynorm::{Client, Table};
use dynorm_cli::serve::{ServeOptions, Server};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "Str", stream = "new_and_old_images")]
struct Note {
    #[dynorm(partition_key)]
    id: String,
    body: String,
}

fn note(id: &str, body: &str) -> Note {
    Note {
        id: id.into(),
        body: body.into(),
    }
}

/// A server with one `Str`-like table per view type, in region eu-west-1.
fn server() -> Server {
    let tables = [
        ("Str", StreamViewType::NewAndOldImages),
        ("New", StreamViewType::NewImage),
        ("Old", StreamViewType::OldImage),
        ("Key", StreamViewType::KeysOnly),
    ]
    .into_iter()
    .map(|(name, view)| {
        let mut definition = Note::definition().clone();
        definition.name = name.to_owned();
        definition.stream = Some(view);
        definition
    })
    .collect();
    Server::start(ServeOptions {
        port: 0,
        tables,
        region: Some("eu-west-1".to_owned()),
        ..ServeOptions::default()
    })
    .unwrap()
}

fn client(server: &Server) -> Client {
    let config = dynorm::aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(server.endpoint())
        .build();
    Client::from_sdk(dynorm::aws_sdk_dynamodb::Client::from_conf(config))
}

fn streams_client(server: &Server) -> streams::Client {
    let config = streams::Config::builder()
        .behavior_version(streams::config::BehaviorVersion::latest())
        .region(streams::config::Region::new("eu-west-1"))
        .credentials_provider(streams::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(server.endpoint())
        .build();
    streams::Client::from_conf(config)
}

async fn lifecycle(client: &Client, table: &str) {
    let notes = client.table_named::<Note>(table);
    notes.put(&note("a", "one")).await.unwrap();
    notes
        .update(Note::key("a"))
        .apply(Update::new().set("body", "two"))
        .await
        .unwrap();
    notes.delete(Note::key("a")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_ids_and_arns_have_aws_shape() {
    let server = server();
    lifecycle(&client(&server), "Str").await;
    let sdk = streams_client(&server);
    let listed = sdk.list_streams().table_name("Str").send().await.unwrap();
    let arn = listed.streams()[0].stream_arn().unwrap().to_owned();
    assert!(
        arn.starts_with("arn:aws:dynamodb:eu-west-1:000000000000:table/Str/stream/"),
        "{arn}"
    );
    let described = sdk.describe_stream().stream_arn(&arn).send().await.unwrap();
    let description = described.stream_description().unwrap();
    let shard = &description.shards()[0];
    let id = shard.shard_id().unwrap();
    assert!(id.len() >= 28 && id.starts_with("shardId-"), "{id}");
    // Open: no ending sequence number.
    assert!(
        shard
            .sequence_number_range()
            .unwrap()
            .ending_sequence_number()
            .is_none()
    );
    let table = client(&server)
        .sdk()
        .describe_table()
        .table_name("Str")
        .send()
        .await
        .unwrap();
    assert_eq!(table.table().unwrap().latest_stream_arn(), Some(arn.as_str()));
    assert!(
        table
            .table()
            .unwrap()
            .table_arn()
            .unwrap()
            .starts_with("arn:aws:dynamodb:eu-west-1:")
    );
    // A shard id in dynoxide's own form is not one of this stream's.
    let error = sdk
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id("shardId-00000001-Str-and-more-to-pass-validation")
        .shard_iterator_type(streams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap_err();
    assert!(
        format!("{error:?}").contains("ResourceNotFoundException"),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_type_decodes_through_the_rust_sdk() {
    let server = server();
    let db = client(&server);
    let key = || Image::Key(Note::key("a"));
    let (one, two) = (Image::Item(note("a", "one")), Image::Item(note("a", "two")));
    let expected = [
        (
            "Str",
            vec![
                Change::Insert(one.clone()),
                Change::Modify {
                    old: one.clone(),
                    new: two.clone(),
                },
                Change::Remove(two.clone()),
            ],
        ),
        (
            "New",
            vec![
                Change::Insert(one.clone()),
                Change::Modify {
                    old: key(),
                    new: two.clone(),
                },
                Change::Remove(key()),
            ],
        ),
        (
            "Old",
            vec![
                Change::Insert(key()),
                Change::Modify {
                    old: one.clone(),
                    new: key(),
                },
                Change::Remove(two.clone()),
            ],
        ),
        (
            "Key",
            vec![
                Change::Insert(key()),
                Change::Modify {
                    old: key(),
                    new: key(),
                },
                Change::Remove(key()),
            ],
        ),
    ];
    for (table, changes) in expected {
        lifecycle(&db, table).await;
        let mut stream = ChangeStream::from_sdk(streams_client(&server), table);
        let records = stream.read_available().await.unwrap();
        assert!(records.iter().all(|r| r.table == table));
        let found: Vec<Change<Note>> = records.iter().map(|r| Change::from_record(r).unwrap()).collect();
        assert_eq!(found, changes, "{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_resumes_from_its_checkpoint_through_the_server() {
    let server = server();
    let notes = client(&server).table_named::<Note>("Str");
    for i in 0..4 {
        notes.put(&note(&format!("n{i}"), "x")).await.unwrap();
    }
    let mut first = ChangeStream::from_sdk(streams_client(&server), "Str").limit(3);
    let batch = first.next_batch().await.unwrap().unwrap();
    assert_eq!(batch.records.len(), 3);
    let shard = batch.shard.clone();
    assert!(shard.len() >= 28, "{shard}");
    let saved = batch.checkpoint.to_json();
    notes.put(&note("n4", "x")).await.unwrap();
    let resumed = ChangeStream::from_sdk(streams_client(&server), "Str")
        .resume(Checkpoint::from_json("Str", &saved).unwrap())
        .read_available()
        .await;
    let ids: Vec<String> = resumed
        .unwrap()
        .iter()
        .map(|r| r.keys["id"].as_s().unwrap().clone())
        .collect();
    assert_eq!(ids, ["n3", "n4"]);
}

/// A Python (3.9+) that has boto3, if this machine has one: `DYNORM_PYTHON`, else the interop
/// venv CI builds, else `python3`.
fn python_with_boto3() -> Option<String> {
    let candidates = [
        std::env::var("DYNORM_PYTHON").ok(),
        Some(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/interop-venv/bin/python"
            )
            .to_owned(),
        ),
        Some("python3".to_owned()),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import boto3"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

const BOTO3_READS_THE_STREAM: &str = r#"
import sys, boto3
endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
streams = boto3.client("dynamodbstreams", **kw)  # default settings: parameter validation on
arn = streams.list_streams(TableName="Str")["Streams"][0]["StreamArn"]
assert ":eu-west-1:" in arn, arn
shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
records = streams.get_records(ShardIterator=it)["Records"]
print(" ".join(r["eventName"] + ("+old" if "OldImage" in r["dynamodb"] else "") + ("+new" if "NewImage" in r["dynamodb"] else "") for r in records))
print(records[0]["awsRegion"], len(shard))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_reads_the_stream_at_default_settings() {
    let Some(python) = python_with_boto3() else {
        eprintln!("skipped: no Python with boto3 (set DYNORM_PYTHON); CI's interop venv has one");
        return;
    };
    let server = server();
    lifecycle(&client(&server), "Str").await;
    let endpoint = server.endpoint();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-c", BOTO3_READS_THE_STREAM, &endpoint])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "INSERT+new MODIFY+old+new REMOVE+old");
    let shard_length: usize = lines[1].split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        lines[1].starts_with("eu-west-1 ") && shard_length >= 28,
        "{}",
        lines[1]
    );
}

//! Reads that cross DynamoDB's 1 MB page limit: 200 items of about 10 KB (2 MB) through every
//! path that pages — query (both directions), scan, parallel scan, batch get (100-key batches,
//! unprocessed keys retried), entity queries and collections. Every item comes back exactly
//! once, in order where the read defines one, and each read took more than one request.
//! Runs embedded and in endpoint mode (`DYNORM_TEST_ENDPOINT`).

use dynorm::entity::{Collection, Layout, SingleTable};
use dynorm::testing::{Recording, instrument};
use dynorm::{Client, Table};

const ITEMS: u32 = 200;
const PAYLOAD: usize = 10 * 1024;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "blobs")]
struct Blob {
    #[dynorm(partition_key)]
    part: String,
    #[dynorm(sort_key)]
    n: u32,
    payload: String,
}

struct App;
impl SingleTable for App {
    const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
}

#[derive(dynorm::Entity, Debug, Clone, PartialEq)]
#[dynorm(table = App, pk = "P#{part}", sk = "C#{n:06}")]
struct Chunk {
    part: String,
    n: u32,
    payload: String,
}

/// A payload of `PAYLOAD` bytes that differs per item, so a mixed-up item is noticed.
fn payload(n: u32) -> String {
    format!("{n:06}").repeat(PAYLOAD / 6)
}

fn ascending() -> Vec<u32> {
    (0..ITEMS).collect()
}

/// How many requests of `operation` the recording saw since it was last cleared.
fn sent(recording: &Recording, operation: &str) -> usize {
    let count = recording.operations().iter().filter(|o| **o == operation).count();
    recording.clear();
    count
}

/// Checks the items read are `expected` in that order, each with its own payload.
fn check(what: &str, found: Vec<(u32, String)>, expected: &[u32]) {
    let order: Vec<u32> = found.iter().map(|(n, _)| *n).collect();
    assert_eq!(order, expected, "{what}: items out of order, missing or repeated");
    for (n, p) in &found {
        assert!(*p == payload(*n), "{what}: item {n} has another item's payload");
    }
}

fn sorted(mut found: Vec<(u32, String)>) -> Vec<(u32, String)> {
    found.sort_by_key(|(n, _)| *n);
    found
}

async fn write_blobs(client: &Client) -> dynorm::Result<()> {
    let blobs = (0..ITEMS).map(|n| Blob {
        part: "p".into(),
        n,
        payload: payload(n),
    });
    let outcome = client
        .table::<Blob>()
        .batch_put(blobs.collect::<Vec<_>>().iter())
        .await?;
    assert_eq!(outcome.written, ITEMS as usize, "{outcome:?}");
    Ok(())
}

#[dynorm::test(tables(Blob))]
async fn table_reads_cross_the_page_limit(db: Client) -> dynorm::Result<()> {
    write_blobs(&db).await?;
    let (db, recording) = instrument(&db);
    let blobs = db.table::<Blob>();
    let pairs = |v: Vec<Blob>| v.into_iter().map(|b| (b.n, b.payload)).collect::<Vec<_>>();

    check(
        "query",
        pairs(blobs.query_partition("p").all().await?),
        &ascending(),
    );
    assert!(sent(&recording, "Query") > 1, "the query fit one page");
    let descending: Vec<u32> = ascending().into_iter().rev().collect();
    check(
        "descending query",
        pairs(blobs.query_partition("p").descending().all().await?),
        &descending,
    );
    assert!(sent(&recording, "Query") > 1);

    check("scan", sorted(pairs(blobs.scan().all().await?)), &ascending());
    assert!(sent(&recording, "Scan") > 1, "the scan fit one page");
    check(
        "parallel scan",
        sorted(pairs(blobs.scan().segments(3).all().await?)),
        &ascending(),
    );
    assert!(sent(&recording, "Scan") > 3, "no segment crossed a page");

    let keys = (0..ITEMS).map(|n| Blob::key("p", n));
    let got = blobs.batch_get(keys).await?;
    assert!(got.missing.is_empty() && got.unprocessed.is_empty(), "{got:?}");
    check("batch get", pairs(got.items), &ascending());
    assert!(sent(&recording, "BatchGetItem") >= 2, "200 keys need two batches");
    Ok(())
}

#[dynorm::test(tables(Chunk))]
async fn entity_reads_cross_the_page_limit(db: Client) -> Result<(), Box<dyn std::error::Error>> {
    let chunks: Vec<Chunk> = (0..ITEMS)
        .map(|n| Chunk {
            part: "p".into(),
            n,
            payload: payload(n),
        })
        .collect();
    let outcome = db.table::<Chunk>().batch_put(chunks.iter()).await?;
    assert_eq!(outcome.written, ITEMS as usize, "{outcome:?}");
    let (db, recording) = instrument(&db);
    let pairs = |v: Vec<Chunk>| v.into_iter().map(|c| (c.n, c.payload)).collect::<Vec<_>>();

    let query = db
        .table::<Chunk>()
        .entity_query()
        .field("part", "p")
        .all()
        .await?;
    check("entity query", pairs(query), &ascending());
    assert!(sent(&recording, "Query") > 1, "the entity query fit one page");

    let mut items = Collection::<App>::new(&db)
        .entity::<Chunk>()
        .field("part", "p")
        .all()
        .await?;
    assert!(items.unknown.is_empty());
    check("collection", pairs(items.take::<Chunk>()), &ascending());
    assert!(sent(&recording, "Query") > 1, "the collection fit one page");
    Ok(())
}

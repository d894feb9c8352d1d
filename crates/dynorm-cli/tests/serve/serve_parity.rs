//! `dynorm serve` answers like the engine's own HTTP server: the same requests, sent in the same
//! order to both (each with its own fresh database), get the same status, error type and
//! message. The requests cover each operation family, malformed bodies, wrong types, missing
//! fields, deep expressions and HTTP-level cases (no target, an unknown one, a wrong content type,
//! missing signature material).
//!
//! One known difference, in the message only: a JSON value of the wrong type in a request field
//! is worded by serde (`invalid type: string "x", expected i64`) where the engine's server words
//! it as DynamoDB does (`STRING_VALUE cannot be converted to Integer`). That wording lives in the
//! engine's private server module; dynorm's wire dispatch cannot reach it (see merge notes).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use dynorm_cli::serve::{ServeOptions, Server};

const AUTH: &str = "X-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 \
    Credential=dynorm/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00\r\n";

/// The status, `__type` and message of one answer.
fn send(address: SocketAddr, headers: &str, body: impl AsRef<[u8]>) -> (u16, String, String) {
    let body = body.as_ref();
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let field = |k: &str| json.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let message = if field("message").is_empty() {
        field("Message")
    } else {
        field("message")
    };
    (status, field("__type"), message)
}

fn op(name: &str) -> String {
    format!("Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.{name}\r\n{AUTH}")
}

/// Cases whose message differs (status and error type still agree): a wrongly typed field.
const WRONG_TYPE_WORDING: &[usize] = &[16, 30];

/// A PutItem whose item nests lists `depth` levels deep.
fn nested(depth: usize) -> String {
    format!(
        r#"{{"TableName":"users","Item":{{"id":{{"S":"n"}},"x":{}{{"S":"v"}}{}}}}}"#,
        r#"{"L":["#.repeat(depth),
        "]}".repeat(depth)
    )
}

fn cases() -> Vec<(String, String)> {
    let create = r#"{"TableName":"users","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    let deep = format!(
        r##"{{"TableName":"users","Item":{{"id":{{"S":"d"}}}},"ConditionExpression":"{}","ExpressionAttributeNames":{{"#a":"id"}},"ExpressionAttributeValues":{{":v":{{"S":"x"}}}}}}"##,
        vec!["#a = :v"; 150].join(" OR ")
    );
    vec![
        (op("CreateTable"), create.to_owned()),
        (op("CreateTable"), create.to_owned()),
        (op("PutItem"), r#"{"TableName":"users","Item":{"id":{"S":"a"},"n":{"N":"1"}}}"#.into()),
        (op("PutItem"), r#"{"TableName":"users","Item":{"id":{"N":"1"}}}"#.into()),
        (op("PutItem"), r#"{"TableName":"users","Item":{"id":{"S":"a"},"b":{"BOOL":"yes"}}}"#.into()),
        (op("PutItem"), r#"{"TableName":"users","Item":{"id":{"S":"a"},"x":{}}}"#.into()),
        (op("PutItem"), r#"{"TableName":"users","Item":{"id":{"S":"a"},"x":{"S":"1","N":"1"}}}"#.into()),
        (op("PutItem"), r#"{"TableName":"users"}"#.into()),
        (op("PutItem"), r#"{"TableName":"nope","Item":{"id":{"S":"a"}}}"#.into()),
        (op("PutItem"), deep),
        (op("GetItem"), r#"{"TableName":"users","Key":{"id":{"S":"a"}}}"#.into()),
        (op("PutItem"), format!(r#"{{"TableName":"users","Item":{{"id":{{"S":"big"}},"s":{{"S":"{}"}}}}}}"#, "x".repeat(500_000))),
        (op("PutItem"), format!(r#"{{"TableName":"users","Item":{{"id":{{"S":"big"}},"l":{{"L":[{}]}}}}}}"#, vec![r#"{"NULL":true}"#; 300_000].join(","))),
        (op("PutItem"), format!(r#"{{"TableName":"nope","Item":{{"id":{{"S":"big"}},"s":{{"S":"{}"}}}}}}"#, "x".repeat(500_000))),
        (op("PutItem"), nested(40)),
        (op("PutItem"), nested(200)),
        (op("GetItem"), r#"{"TableName":"users","Key":"a"}"#.into()),
        (op("GetItem"), r#"{"TableName":"users","Key":{"id":{"S":"a"}},"ConsistentRead":1}"#.into()),
        (op("Query"), r#"{"TableName":"users","KeyConditionExpression":"id = :v","ExpressionAttributeValues":{":v":{"S":"a"}}}"#.into()),
        (op("Query"), r#"{"TableName":"users","KeyConditionExpression":"id BETWEEN :v","ExpressionAttributeValues":{":v":{"S":"a"}}}"#.into()),
        (op("Scan"), r#"{"TableName":"users","Limit":0}"#.into()),
        (op("Scan"), r#"{"TableName":"users","FilterExpression":"size(n) > :z","ExpressionAttributeValues":{":z":{"N":"0"}}}"#.into()),
        (op("UpdateItem"), r#"{"TableName":"users","Key":{"id":{"S":"a"}},"UpdateExpression":"SET n = n + :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"ALL_NEW"}"#.into()),
        (op("UpdateItem"), r#"{"TableName":"users","Key":{"id":{"S":"a"}},"UpdateExpression":"SET n = :s + :one","ExpressionAttributeValues":{":one":{"N":"1"},":s":{"S":"x"}}}"#.into()),
        (op("DeleteItem"), r#"{"TableName":"users","Key":{"id":{"S":"a"}},"ConditionExpression":"attribute_not_exists(id)"}"#.into()),
        (op("BatchWriteItem"), r#"{"RequestItems":{"users":[]}}"#.into()),
        (op("TransactWriteItems"), r#"{"TransactItems":[]}"#.into()),
        (op("ExecuteStatement"), r#"{"Statement":"SELECT * FROM users WHERE id = 'a'"}"#.into()),
        (op("ExecuteStatement"), r#"{"Statement":"SELEKT"}"#.into()),
        (op("DescribeTable"), r#"{"TableName":"users","Extra":1}"#.into()),
        (op("ListTables"), r#"{"Limit":"x"}"#.into()),
        (op("ListTables"), "{".into()),
        (op("ListTables"), String::new()),
        (op("NoSuchOperation"), "{}".into()),
        (format!("Content-Type: application/x-amz-json-1.0\r\n{AUTH}"), "{}".into()),
        (format!("Content-Type: text/plain\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n{AUTH}"), "{}".into()),
        ("Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n".into(), "{}".into()),
    ]
}

#[test]
fn dynorm_serve_answers_like_the_engines_own_server() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_stack_size(dynorm_cli::serve::WORKER_STACK)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let engine = listener.local_addr().unwrap();
    runtime.spawn(dynoxide::server::serve_on(
        listener,
        dynoxide::Database::memory().unwrap(),
    ));
    let server = Server::start(ServeOptions::default()).unwrap();
    let mut differences = Vec::new();
    for (i, (headers, body)) in cases().iter().enumerate() {
        let ours = send(server.address(), headers, body);
        let theirs = send(engine, headers, body);
        let same = if WRONG_TYPE_WORDING.contains(&i) {
            (ours.0, &ours.1) == (theirs.0, &theirs.1)
        } else {
            ours == theirs
        };
        if !same {
            differences.push(format!(
                "case {i} ({}): dynorm serve {ours:?}\n    engine's server {theirs:?}",
                headers.lines().nth(1).unwrap_or("")
            ));
        }
    }
    server.stop().unwrap();
    assert!(
        differences.is_empty(),
        "{} difference(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Beyond the engine's own server: request bodies compressed as SDKs with request compression
/// send them (`Content-Encoding: gzip` or `deflate`) are inflated, as DynamoDB does; broken
/// content or another encoding is refused with DynamoDB's 500, and nothing is written.
#[test]
fn compressed_request_bodies_are_inflated() {
    use flate2::Compression;
    use flate2::write::{GzEncoder, ZlibEncoder};
    let server = Server::start(ServeOptions::default()).unwrap();
    let a = server.address();
    let create = r#"{"TableName":"users","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    assert_eq!(send(a, &op("CreateTable"), create).0, 200);
    let put = |id: &str| format!(r#"{{"TableName":"users","Item":{{"id":{{"S":"{id}"}}}}}}"#);
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(put("gz").as_bytes()).unwrap();
    let gzip = gzip.finish().unwrap();
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(put("zz").as_bytes()).unwrap();
    let zlib = zlib.finish().unwrap();
    let encoded = |encoding: &str| format!("{}Content-Encoding: {encoding}\r\n", op("PutItem"));
    assert_eq!(send(a, &encoded("gzip"), &gzip).0, 200);
    assert_eq!(send(a, &encoded("deflate"), &zlib).0, 200);
    let (status, kind, message) = send(a, &encoded("gzip"), &gzip[..gzip.len() - 3]);
    assert_eq!(
        (status, kind.as_str()),
        (500, "com.amazonaws.dynamodb.v20120810#InternalServerError"),
        "{message}"
    );
    let (status, _, message) = send(a, &encoded("br"), &gzip);
    assert_eq!(status, 500, "{message}");
    assert!(message.contains("`br`"), "{message}");
    // Both compressed puts wrote, the refused ones did not: two items.
    let mut stream = TcpStream::connect(a).unwrap();
    let count = r#"{"TableName":"users","Select":"COUNT","ConsistentRead":true}"#;
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {a}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n{count}",
        op("Scan"),
        count.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.contains(r#""Count":2"#), "{response}");
    server.stop().unwrap();
}

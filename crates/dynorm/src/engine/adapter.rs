//! An SDK HTTP client that answers in process from a dynoxide database: no socket, no port.
//!
//! The SDK serialises each request as DynamoDB's JSON protocol (`X-Amz-Target:
//! DynamoDB_20120810.<Operation>` and a JSON body). The connector reads the operation from the
//! header, refuses expressions that nest too deeply, deserialises the body into dynoxide's request
//! type (much of DynamoDB's validation runs in that deserialisation), calls the matching
//! `Database` method and answers with the serialised response, or with the error's status, JSON
//! body and `x-amzn-errortype` header.

use std::fmt;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use dynoxide::{Database, DynoxideError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::guard::{expression_depth, too_deep_message};
use super::{MAX_EXPRESSION_DEPTH, NESTING_LIMIT_MESSAGE};

/// The endpoint the SDK client is configured with. It is never contacted.
pub(crate) const EMBEDDED_ENDPOINT: &str = "http://dynorm.embedded";
/// The region the SDK client is configured with.
pub(crate) const EMBEDDED_REGION: &str = "us-east-1";

/// The DynamoDB API version prefix of the `X-Amz-Target` header.
const TARGET_PREFIX: &str = "DynamoDB_20120810.";
const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// An SDK client routed in process to `db`.
pub(crate) fn sdk_client(db: Database) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(EMBEDDED_REGION))
        .credentials_provider(Credentials::new(
            "dynorm",
            "embedded",
            None,
            None,
            "dynorm-embedded",
        ))
        .endpoint_url(EMBEDDED_ENDPOINT)
        // The engine answers the same way every time: retrying only repeats the error.
        .retry_config(RetryConfig::disabled())
        .http_client(http_client(db))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The SDK HTTP client answering from `db`.
pub(crate) fn http_client(db: Database) -> SharedHttpClient {
    let connector = SharedHttpConnector::new(InProcessConnector { db });
    http_client_fn(move |_settings, _components| connector.clone())
}

/// Answers SDK requests from a dynoxide database, in process.
#[derive(Clone)]
struct InProcessConnector {
    db: Database,
}

impl fmt::Debug for InProcessConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InProcessConnector")
    }
}

impl HttpConnector for InProcessConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // dynoxide is synchronous and never parks; answering right away costs microseconds.
        HttpConnectorFuture::ready(Ok(answer(&self.db, &request)))
    }
}

/// One response for one request.
fn answer(db: &Database, request: &HttpRequest) -> HttpResponse {
    let target = request.headers().get("x-amz-target").unwrap_or_default();
    let Some(body) = request.body().bytes() else {
        return bare_error(400, "com.amazon.coral.service#SerializationException");
    };
    let wire = answer_wire(db, target, body);
    response(wire.status, wire.body, wire.error_type)
}

/// The engine's answer to one DynamoDB wire request: what `dynorm serve` and the in-process SDK
/// client both send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// DynamoDB's error type (`com.amazonaws.dynamodb.v20120810#ValidationException`), when the
    /// request failed; its last segment goes in the `x-amzn-errortype` header.
    pub error_type: Option<&'static str>,
}

/// Answers one DynamoDB JSON-protocol request from `db`: `target` is the `X-Amz-Target` header
/// (`DynamoDB_20120810.PutItem`), `body` the JSON body. The one dispatch of the wire protocol:
/// the in-process SDK client and `dynorm serve` both call it. It runs the operation
/// synchronously; call it off an async worker when the body is large.
///
/// Expressions nesting deeper than [`MAX_EXPRESSION_DEPTH`] are refused, which keeps a 2 MiB
/// thread safe; a caller running on threads with a large stack (as `dynorm serve` does) lifts
/// that with [`answer_wire_on_large_stack`].
pub fn answer_wire(db: &Database, target: &str, body: &[u8]) -> WireAnswer {
    answer_with(db, target, body, Some(MAX_EXPRESSION_DEPTH))
}

/// [`answer_wire`] without dynorm's expression-depth limit: every expression the engine
/// accepts (DynamoDB bounds them at 4 KB, PartiQL statements at 8 KB) is evaluated. Call it
/// only on a thread whose stack holds the deepest of them (about 64 MiB in a debug build).
pub fn answer_wire_on_large_stack(db: &Database, target: &str, body: &[u8]) -> WireAnswer {
    answer_with(db, target, body, None)
}

fn answer_with(db: &Database, target: &str, body: &[u8], max_depth: Option<usize>) -> WireAnswer {
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .or_else(|| target.strip_prefix(STREAMS_TARGET_PREFIX));
    let Some(operation) = operation else {
        return bare_answer(400, "com.amazon.coral.service#UnknownOperationException");
    };
    match dispatch(db, operation, body, max_depth) {
        Ok(json) => WireAnswer {
            status: 200,
            body: json,
            error_type: None,
        },
        Err(Failure::UnknownOperation) => {
            bare_answer(400, "com.amazon.coral.service#UnknownOperationException")
        }
        Err(Failure::Engine(e)) => {
            let e = type_mismatch_as_serialization(e);
            WireAnswer {
                status: e.status_code(),
                body: e.to_json(),
                error_type: Some(e.error_type()),
            }
        }
    }
}

/// A JSON value of the wrong type inside a request member dynoxide reads late (for instance
/// `NonKeyAttributes: ["a", 123]`) reaches its validation as serde's `invalid type: …`; DynamoDB
/// answers a wrongly typed member with a SerializationException, as dynoxide's own server does
/// after its (private) pre-checks.
fn type_mismatch_as_serialization(e: DynoxideError) -> DynoxideError {
    match e {
        DynoxideError::ValidationException(m) if m.starts_with("invalid type: ") => {
            DynoxideError::SerializationException(m)
        }
        other => other,
    }
}

fn bare_answer(status: u16, error_type: &'static str) -> WireAnswer {
    WireAnswer {
        status,
        body: format!(r#"{{"__type":"{error_type}"}}"#),
        error_type: Some(error_type),
    }
}

fn bare_error(status: u16, error_type: &'static str) -> HttpResponse {
    response(
        status,
        format!(r#"{{"__type":"{error_type}"}}"#),
        Some(error_type),
    )
}

fn response(status: u16, body: String, error_type: Option<&'static str>) -> HttpResponse {
    let status = StatusCode::from(
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
    );
    let mut response = HttpResponse::new(status, SdkBody::from(body));
    let headers = response.headers_mut();
    headers.insert("content-type", CONTENT_TYPE);
    headers.insert("x-amzn-requestid", "DYNORMEMBEDDED");
    if let Some(error_type) = error_type {
        headers.insert(
            "x-amzn-errortype",
            error_type.rsplit('#').next().unwrap_or(error_type),
        );
    }
    response
}

enum Failure {
    UnknownOperation,
    Engine(DynoxideError),
}

impl From<DynoxideError> for Failure {
    fn from(e: DynoxideError) -> Self {
        Failure::Engine(e)
    }
}

/// Runs one operation on the database and serialises its response.
fn dispatch(
    db: &Database,
    operation: &str,
    body: &[u8],
    max_depth: Option<usize>,
) -> Result<String, Failure> {
    if let Some(max_depth) = max_depth {
        guard_body(body, max_depth)?;
    }
    macro_rules! operations {
        ($($name:literal => $method:ident),* $(,)?) => {
            match operation {
                $($name => run(body, |request| db.$method(request)),)*
                _ => Err(Failure::UnknownOperation),
            }
        };
    }
    operations! {
        "CreateTable" => create_table,
        "DeleteTable" => delete_table,
        "DescribeTable" => describe_table,
        "ListTables" => list_tables,
        "UpdateTable" => update_table,
        "PutItem" => put_item,
        "GetItem" => get_item,
        "DeleteItem" => delete_item,
        "UpdateItem" => update_item,
        "Query" => query,
        "Scan" => scan,
        "BatchGetItem" => batch_get_item,
        "BatchWriteItem" => batch_write_item,
        "TransactWriteItems" => transact_write_items,
        "TransactGetItems" => transact_get_items,
        "ListStreams" => list_streams,
        "DescribeStream" => describe_stream,
        "GetShardIterator" => get_shard_iterator,
        "GetRecords" => get_records,
        "UpdateTimeToLive" => update_time_to_live,
        "DescribeTimeToLive" => describe_time_to_live,
        "ExecuteStatement" => execute_statement,
        "ExecuteTransaction" => execute_transaction,
        "BatchExecuteStatement" => batch_execute_statement,
        "TagResource" => tag_resource,
        "UntagResource" => untag_resource,
        "ListTagsOfResource" => list_tags_of_resource,
    }
}

fn run<Req, Resp>(
    body: &[u8],
    call: impl FnOnce(Req) -> Result<Resp, DynoxideError>,
) -> Result<String, Failure>
where
    Req: DeserializeOwned,
    Resp: Serialize,
{
    let body = if body.is_empty() { b"{}".as_slice() } else { body };
    let request = serde_json::from_slice(body).map_err(classify)?;
    let response = call(request)?;
    serde_json::to_string(&response)
        .map_err(|e| Failure::Engine(DynoxideError::InternalServerError(e.to_string())))
}

/// Refuses any expression or PartiQL statement in the body that nests too deeply, wherever it
/// sits (transaction items and batches included).
fn guard_body(body: &[u8], max_depth: usize) -> Result<(), Failure> {
    if !contains(body, b"Expression") && !contains(body, b"Statement") {
        return Ok(());
    }
    // serde_json stops at 128 levels of nesting, so this parse cannot run out of stack; a body
    // it refuses is left to the typed deserialisation, which refuses it the same way.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    let mut stack = vec![&value];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    match v {
                        serde_json::Value::String(text)
                            if key.ends_with("Expression") || key == "Statement" =>
                        {
                            let depth = expression_depth(text);
                            if depth > max_depth {
                                return Err(Failure::Engine(DynoxideError::ValidationException(
                                    too_deep_message(key, depth),
                                )));
                            }
                        }
                        // Attribute values hold no expressions: skip them.
                        _ if key == "Item" || key == "Key" || key.ends_with("AttributeValues") => {}
                        _ => stack.push(v),
                    }
                }
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A deserialisation failure as DynamoDB reports it. dynoxide's request types mark the class of
/// their own refusals with a prefix on the message; anything else is a malformed body.
fn classify(error: serde_json::Error) -> Failure {
    let full = error.to_string();
    let message = strip_position(&full);
    let validation = |m: &str| Failure::Engine(DynoxideError::ValidationException(m.to_owned()));
    let serialization = |m: &str| Failure::Engine(DynoxideError::SerializationException(m.to_owned()));
    if message.starts_with("recursion limit exceeded") {
        return validation(NESTING_LIMIT_MESSAGE);
    }
    if let Some(m) = full.strip_prefix("SERIALIZATION_AS_READ:") {
        return serialization(m);
    }
    if let Some(m) = full.strip_prefix("VALIDATION_AS_READ:") {
        return validation(m);
    }
    if let Some(m) = message.strip_prefix("SERIALIZATION:") {
        return serialization(m);
    }
    if let Some(m) = message.strip_prefix("VALIDATION_REQUEST:") {
        return validation(m);
    }
    if let Some(m) = message.strip_prefix("VALIDATION:") {
        return validation(m);
    }
    if message.contains("missing field")
        || message.contains("unknown variant")
        || message.contains("invalid type: null")
    {
        return validation(message);
    }
    if message.contains("empty AttributeValue") {
        return validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        );
    }
    if message.contains("Supplied AttributeValue") {
        return validation(message);
    }
    serialization(message)
}

/// serde_json's message without its ` at line N column M` suffix.
fn strip_position(message: &str) -> &str {
    if let Some(at) = message.rfind(" at line ") {
        let rest = &message[at + " at line ".len()..];
        if let Some((line, column)) = rest.split_once(" column ")
            && line.bytes().all(|b| b.is_ascii_digit())
            && column.bytes().all(|b| b.is_ascii_digit())
        {
            return &message[..at];
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_positions() {
        assert_eq!(
            strip_position("missing field `A` at line 1 column 2"),
            "missing field `A`"
        );
        assert_eq!(strip_position("no position"), "no position");
    }

    #[test]
    fn a_wrongly_typed_member_is_a_serialization_exception() {
        let db = Database::memory().unwrap_or_else(|e| panic!("{e}"));
        let request = r#"{"TableName":"things","BillingMode":"PAY_PER_REQUEST",
            "KeySchema":[{"AttributeName":"p","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"p","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],
            "GlobalSecondaryIndexes":[{"IndexName":"by_g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],
                "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["a",123]}}]}"#;
        let answer = answer_wire(&db, "DynamoDB_20120810.CreateTable", request.as_bytes());
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert_eq!(
            answer.error_type,
            Some("com.amazon.coral.service#SerializationException"),
            "{}",
            answer.body
        );
    }
}

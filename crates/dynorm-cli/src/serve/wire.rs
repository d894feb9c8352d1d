//! The DynamoDB API on `/`: HTTP around dynorm's one wire dispatch
//! ([`dynorm::engine::answer_wire`]).
//!
//! # Under load
//!
//! Bodies are refused past DynamoDB's 16 MB limit before they are read (`Content-Length`) or
//! as soon as they grow past it (chunked), with a typed error naming the limit. Every request is
//! answered on the blocking pool, never on an async worker, so parsing a large body never stalls
//! the workers that accept and answer the others. Bodies over [`HEAVY_BODY`] also wait for one of
//! a few permits (`Wire::heavy`) before they are parsed: at most that many large bodies are
//! parsed at once, which bounds the memory their parse trees take. A PutItem whose item is
//! certainly over DynamoDB's 400 KB item limit is refused before the engine builds its tree
//! (`serve/oversized.rs`).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dynorm::engine::WireAnswer;
use tokio::sync::Semaphore;

/// DynamoDB's limit on a request body: 16 MB.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Bodies larger than this (1 MiB) are heavy: parsed under a `Wire::heavy` permit.
pub const HEAVY_BODY: usize = 1024 * 1024;

const AMZ_JSON: &str = "application/x-amz-json-1.0";
const NOT_FOUND_BODY: &str = "<UnknownOperationException/>\n";

/// What the API handler shares.
#[derive(Clone)]
pub(crate) struct Wire {
    pub(crate) db: dynoxide::Database,
    /// Permits for parsing heavy bodies.
    pub(crate) heavy: Arc<Semaphore>,
    /// The region stream ARNs and records name.
    pub(crate) region: Arc<str>,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire").field("heavy", &self.heavy).finish()
    }
}

/// Every method on `/`: GET is DynamoDB's health check, POST an API call, OPTIONS with an
/// `Origin` a CORS preflight; anything else is DynamoDB's 404.
pub(crate) async fn root(State(wire): State<Wire>, request: Request) -> Response {
    let has_origin = request.headers().contains_key(header::ORIGIN);
    let mut response = match *request.method() {
        Method::GET => raw(
            StatusCode::OK,
            "healthy: dynamodb.us-east-1.amazonaws.com ".into(),
        ),
        Method::OPTIONS if has_origin => return preflight(request.headers()),
        Method::POST => post(wire, request).await,
        _ => raw(StatusCode::NOT_FOUND, NOT_FOUND_BODY.into()),
    };
    if has_origin {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    response
}

/// Any other path: DynamoDB's 404.
pub(crate) async fn not_found() -> Response {
    raw(StatusCode::NOT_FOUND, NOT_FOUND_BODY.into())
}

fn preflight(headers: &HeaderMap) -> Response {
    let mut response = raw(StatusCode::OK, String::new());
    let out = response.headers_mut();
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    out.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("172800"));
    if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD) {
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, asked.clone());
    }
    response
}

async fn post(wire: Wire, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let content_type = match content_type(&parts.headers) {
        Ok(content_type) => content_type,
        Err(()) => return raw(StatusCode::NOT_FOUND, NOT_FOUND_BODY.into()),
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(length) = declared.filter(|length| *length > MAX_BODY) {
        return too_large(content_type, Some(length));
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return too_large(content_type, None);
    };
    // With no content type at all, only an empty body is read as DynamoDB JSON.
    if !body.is_empty() && !parts.headers.contains_key(header::CONTENT_TYPE) {
        return raw(StatusCode::NOT_FOUND, NOT_FOUND_BODY.into());
    }
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(refusal) = auth_refusal(&parts.headers, &parts.uri) {
        return amz(StatusCode::BAD_REQUEST, content_type, refusal);
    }
    let encoding = parts
        .headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let body = if super::encoding::is_encoded(encoding) {
        match inflated(encoding.unwrap_or_default().to_owned(), body, content_type).await {
            Ok(body) => body,
            Err(response) => return response,
        }
    } else {
        body
    };
    let _permit = if body.len() > HEAVY_BODY {
        // Closed only when the server stops; then the request is simply answered.
        wire.heavy.clone().acquire_owned().await.ok()
    } else {
        None
    };
    let (db, region) = (wire.db.clone(), wire.region.clone());
    let answered = tokio::task::spawn_blocking(move || {
        in_aws_shape(target.as_deref(), &body, &region, |body| {
            answer(&db, target.as_deref(), body)
        })
    })
    .await;
    match answered {
        Ok(answer) => from_answer(answer, content_type),
        Err(_) => internal_error(content_type, "the request's worker stopped"),
    }
}

/// A compressed body inflated off the async workers, or the refusal to send.
async fn inflated(encoding: String, body: Bytes, content_type: &'static str) -> Result<Bytes, Response> {
    use super::encoding::{Decoded, decode};
    let decoded = tokio::task::spawn_blocking(move || decode(&encoding, &body, MAX_BODY)).await;
    match decoded {
        Ok(Decoded::Body(body)) => Ok(body),
        Ok(Decoded::TooLarge) => Err(too_large(content_type, None)),
        Ok(Decoded::Refused(message)) => Err(internal_error(content_type, &message)),
        Err(_) => Err(internal_error(content_type, "the request's worker stopped")),
    }
}

fn internal_error(content_type: &'static str, message: &str) -> Response {
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "message": message,
    });
    amz(StatusCode::INTERNAL_SERVER_ERROR, content_type, body.to_string())
}

/// The response's content type echoes the request's (`application/x-amz-json-1.0` or
/// `application/json`); any other content type is DynamoDB's 404.
fn content_type(headers: &HeaderMap) -> Result<&'static str, ()> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let base = raw.split(';').next().unwrap_or("").trim();
    if base.eq_ignore_ascii_case(AMZ_JSON) {
        Ok(AMZ_JSON)
    } else if base.eq_ignore_ascii_case("application/json") || raw.is_empty() {
        Ok("application/json")
    } else {
        Err(())
    }
}

/// DynamoDB's refusal of incomplete signature material (never the signature itself: the API does
/// not check credentials).
fn auth_refusal(headers: &HeaderMap, uri: &axum::http::Uri) -> Option<String> {
    dynoxide::auth_material::validate(dynoxide::auth_material::AuthMaterial {
        authorization: headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()),
        query: uri.query().unwrap_or(""),
        has_date_header: headers.contains_key("x-amz-date") || headers.contains_key(header::DATE),
    })
}

/// Runs on the blocking pool: checks the body is JSON (without building it), then dispatches.
fn answer(db: &dynoxide::Database, target: Option<&str>, body: &Bytes) -> WireAnswer {
    const SERIALIZATION: &str = "com.amazon.coral.service#SerializationException";
    const UNKNOWN: &str = "com.amazon.coral.service#UnknownOperationException";
    if !body.is_empty()
        && let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body)
        && !e.to_string().starts_with("recursion limit exceeded")
    {
        return bare(SERIALIZATION);
    }
    let Some(target) = target else {
        return bare(UNKNOWN);
    };
    if body.is_empty() {
        return bare(SERIALIZATION);
    }
    if target == "DynamoDB_20120810.PutItem" && super::oversized::put_item_too_large(body) {
        let error_type = "com.amazon.coral.validate#ValidationException";
        return WireAnswer {
            status: 400,
            body: serde_json::json!({ "__type": error_type, "message": super::oversized::ITEM_TOO_LARGE })
                .to_string(),
            error_type: Some(error_type),
        };
    }
    dynorm::engine::answer_wire_on_large_stack(db, target, body)
}

/// Answers a streams request in AWS's shape (`crate::aws_shape`): public shard ids mapped to the
/// engine's on the way in, shard ids, ARNs and regions as AWS writes them on the way out. Other
/// requests are answered as they are.
fn in_aws_shape(
    target: Option<&str>,
    body: &Bytes,
    region: &str,
    answer: impl FnOnce(&Bytes) -> WireAnswer,
) -> WireAnswer {
    let operation = target.and_then(|t| t.rsplit_once('.')).map_or("", |(_, op)| op);
    let request = if crate::aws_shape::rewrites_request(operation) {
        match crate::aws_shape::rewrite_request(operation, body) {
            Ok(rewritten) => Bytes::from(rewritten),
            Err(refusal) => {
                return WireAnswer {
                    status: 400,
                    body: String::from_utf8_lossy(&crate::aws_shape::error_body(&refusal)).into_owned(),
                    error_type: Some(refusal.error_type),
                };
            }
        }
    } else {
        body.clone()
    };
    let mut answered = answer(&request);
    if answered.status == 200
        && crate::aws_shape::rewrites_response(operation)
        && let Some(rewritten) = crate::aws_shape::rewrite_response(answered.body.as_bytes(), region)
    {
        answered.body = String::from_utf8_lossy(&rewritten).into_owned();
    }
    answered
}

fn bare(error_type: &'static str) -> WireAnswer {
    WireAnswer {
        status: 400,
        body: format!(r#"{{"__type":"{error_type}"}}"#),
        error_type: Some(error_type),
    }
}

fn from_answer(answer: WireAnswer, content_type: &'static str) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = amz(status, content_type, answer.body);
    if let Some(error_type) = answer.error_type
        && let Ok(value) = HeaderValue::from_str(error_type.rsplit('#').next().unwrap_or(error_type))
    {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

/// The typed refusal of a body over [`MAX_BODY`], naming the limit.
fn too_large(content_type: &'static str, length: Option<usize>) -> Response {
    let size = length.map_or_else(|| "more than 16777216 bytes".to_owned(), |l| format!("{l} bytes"));
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#RequestEntityTooLarge",
        "message": format!(
            "Request body of {size} exceeds DynamoDB's request size limit of 16 MB (16777216 bytes)"
        ),
    });
    let mut response = amz(StatusCode::PAYLOAD_TOO_LARGE, content_type, body.to_string());
    response.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_static("RequestEntityTooLarge"),
    );
    response
}

fn amz(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = raw(status, body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A response with DynamoDB's request id and CRC32 headers.
fn raw(status: StatusCode, body: String) -> Response {
    let crc = crc32fast::hash(body.as_bytes());
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-requestid", value);
    }
    if let Ok(value) = HeaderValue::from_str(&crc.to_string()) {
        headers.insert("x-amz-crc32", value);
    }
    headers.remove(header::CONTENT_TYPE);
    response
}

/// A request id shaped like DynamoDB's: 52 characters of `[0-9A-Z]`, unique per response.
fn request_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{started:036X}{count:016X}")
}

//! The front of `dynorm serve`: every request is passed to dynoxide's server on an internal
//! loopback port, unchanged and streamed, except the few whose streams fields are reshaped the
//! way AWS shapes them ([`crate::aws_shape`]); those bodies are small and read whole.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::aws_shape::{self, Refusal};

/// Request bodies read whole to reshape them (DescribeStream, GetShardIterator) are tiny; a
/// larger one is not a valid request of either.
const REWRITTEN_REQUEST_LIMIT: usize = 1024 * 1024;

/// Where requests go and how responses are reshaped.
#[derive(Debug)]
pub(crate) struct Proxy {
    inner: SocketAddr,
    region: String,
    client: Client<HttpConnector, Body>,
}

impl Proxy {
    pub(crate) fn new(inner: SocketAddr, region: String) -> Arc<Self> {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Arc::new(Self {
            inner,
            region,
            client,
        })
    }
}

/// The router of the front server: one handler for everything.
pub(crate) fn router(proxy: Arc<Proxy>) -> axum::Router {
    axum::Router::new().fallback(forward).with_state(proxy)
}

/// The operation an `X-Amz-Target` header names (`DynamoDBStreams_20120810.GetRecords` gives
/// `GetRecords`).
fn operation(request: &Request) -> String {
    request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit_once('.'))
        .map(|(_, op)| op.to_owned())
        .unwrap_or_default()
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let operation = operation(&request);
    let (mut parts, body) = request.into_parts();
    let body = if aws_shape::rewrites_request(&operation) {
        let Ok(bytes) = axum::body::to_bytes(body, REWRITTEN_REQUEST_LIMIT).await else {
            return refuse(&Refusal {
                error_type: "ValidationException",
                message: format!(
                    "the {operation} request body is larger than {REWRITTEN_REQUEST_LIMIT} bytes"
                ),
            });
        };
        match aws_shape::rewrite_request(&operation, &bytes) {
            Ok(rewritten) => {
                parts
                    .headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(rewritten.len()));
                Body::from(rewritten)
            }
            Err(refusal) => return refuse(&refusal),
        }
    } else {
        body
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = match Uri::try_from(format!("http://{}{path}", proxy.inner)) {
        Ok(uri) => uri,
        Err(_) => return unavailable("the request path is not a valid URI"),
    };
    let response = match proxy.client.request(Request::from_parts(parts, body)).await {
        Ok(response) => response.map(Body::new),
        Err(e) => return unavailable(&format!("the engine did not answer: {e}")),
    };
    if aws_shape::rewrites_response(&operation) {
        reshape(response, &proxy.region).await
    } else {
        response
    }
}

/// A response with its streams fields in AWS's shape, and the headers that describe its body
/// (length, CRC-32) updated.
async fn reshape(response: Response, region: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return unavailable("the engine's answer could not be read");
    };
    let Some(rewritten) = aws_shape::rewrite_response(&bytes, region) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(rewritten.len()));
    parts
        .headers
        .insert("x-amz-crc32", HeaderValue::from(aws_shape::crc32(&rewritten)));
    Response::from_parts(parts, Body::from(rewritten))
}

fn refuse(refusal: &Refusal) -> Response {
    respond(StatusCode::BAD_REQUEST, aws_shape::error_body(refusal))
}

fn unavailable(message: &str) -> Response {
    let refusal = Refusal {
        error_type: "InternalServerError",
        message: message.to_owned(),
    };
    respond(StatusCode::INTERNAL_SERVER_ERROR, aws_shape::error_body(&refusal))
}

fn respond(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body.clone()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert("x-amz-crc32", HeaderValue::from(aws_shape::crc32(&body)));
    response
}

//! The engines behind a [`Client`](crate::Client): the embedded dynoxide database and remote
//! DynamoDB (or any compatible endpoint) through the AWS SDK.
//!
//! Every data operation goes through the internal engine layer in this module. On the embedded
//! engine it calls `dynoxide::Database` directly (no serialisation, no HTTP); on a remote client it
//! uses the SDK's fluent builders. The SDK client that [`Client::sdk`](crate::Client::sdk) hands out
//! for an embedded client is routed in process to the same database by the in-process adapter (no TCP port).
//!
//! Errors are mapped so that the same DynamoDB error gives the same
//! [`Error`](crate::Error) variant whichever engine answered.
//!
//! # Hostile input
//!
//! dynoxide parses expressions by recursive descent and walks the resulting trees recursively, so
//! an expression that nests deeply enough overflows the thread's stack, which aborts the whole
//! process. Every expression string is therefore scanned ([`expression_depth`]) before it reaches
//! the engine, on the direct path and inside the in-process SDK adapter, and refused with
//! [`Error::ExpressionTooDeep`](crate::Error::ExpressionTooDeep) (a `ValidationException` through the
//! SDK) when it nests deeper than [`MAX_EXPRESSION_DEPTH`].

#[cfg(feature = "embedded")]
pub(crate) mod adapter;
mod backend;
#[cfg(feature = "embedded")]
pub(crate) mod convert;
#[cfg(feature = "embedded")]
mod embedded;
pub(crate) mod error_map;
mod guard;
mod remote;
pub(crate) mod request;
pub(crate) mod stream;
#[cfg(feature = "embedded")]
pub(crate) mod stream_embedded;
#[cfg(feature = "aws-streams")]
pub(crate) mod stream_remote;

#[cfg(feature = "embedded")]
pub use adapter::{WireAnswer, answer_wire, answer_wire_on_large_stack};
pub(crate) use backend::{Backend, Engine};
#[cfg(feature = "embedded")]
pub(crate) use embedded::EmbeddedBackend;
pub use guard::expression_depth;
pub(crate) use guard::{check_expression, guard_item, guard_values};
pub(crate) use remote::RemoteBackend;

/// The deepest an expression may nest before dynorm refuses it (see [`expression_depth`] for
/// what is counted).
///
/// Measured with dynoxide-rs 3.2 on a thread with a 2 MiB stack (the size of `cargo test` and
/// tokio worker threads) in a debug build, calling `Database::put_item` directly with a
/// ConditionExpression: 262 chained `AND`s or 262 chained `NOT`s still answer and 265 abort the
/// process; 167 levels of `(a = :v OR (…))` (depth 334 as counted here) answer and 170 abort;
/// 156 levels of `NOT (…)` (depth 312) answer and 160 abort. Each level costs roughly 7 KiB of
/// stack in a debug build, so 100 leaves room for the frames of the caller (the SDK's
/// orchestrator, when the request comes through the in-process adapter) on a 2 MiB thread.
/// DynamoDB itself refuses expressions with more than 300 operators.
pub const MAX_EXPRESSION_DEPTH: usize = 100;

/// The deepest an attribute value may nest (maps and lists) before dynorm refuses it without
/// looking further. DynamoDB allows 32 levels; values between 33 and this limit are left to the
/// engine, so its own error comes back.
pub const MAX_VALUE_DEPTH: usize = 64;

/// DynamoDB's message for values nested too deeply.
pub(crate) const NESTING_LIMIT_MESSAGE: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

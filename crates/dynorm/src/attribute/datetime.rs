//! Date-times: ISO 8601 text by default, epoch seconds on request.

/// A UTC instant stored as epoch seconds (N), the form DynamoDB's TTL reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpochSeconds(pub chrono::DateTime<chrono::Utc>);

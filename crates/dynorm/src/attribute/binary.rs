//! Binary values (B) and binary sets (BS).

/// Bytes stored as DynamoDB binary (B).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Bytes(pub Vec<u8>);

//! JSON values: natively (M, L, ...) or as JSON text (S).

/// Any serde value stored natively as a DynamoDB map, list or scalar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Json<T>(pub T);

/// Any serde value stored as JSON text in a string attribute.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonString<T>(pub T);

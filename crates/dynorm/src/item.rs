//! [`Item`]: what DynamoDB stores and dynorm encodes into.

use aws_sdk_dynamodb::types::AttributeValue;

/// One DynamoDB item: attribute names to values.
pub type Item = std::collections::HashMap<String, AttributeValue>;

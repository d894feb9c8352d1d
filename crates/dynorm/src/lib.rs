#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Library code reports errors and never prints; tests and examples may do both.
#![warn(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod attribute;
mod client;
pub mod codec;
pub mod definition;
pub mod engine;
mod error;
pub mod expr;
pub mod infra;
mod lifecycle;
pub mod schema_file;
mod table;
#[cfg(feature = "embedded")]
pub mod testing;

pub use attribute::{Attribute, Bytes, EpochSeconds, Json, JsonString, KeyAttribute, Number, SetElement};
pub use client::{BoxFuture, Client, DeleteBuilder, GetBuilder, PutBuilder, TableClient};
pub use definition::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, GlobalSecondaryIndex, LocalSecondaryIndex,
    Projection, ScalarType, StreamViewType, TableDefinition,
};
pub use error::{
    CancellationReason, DecodeError, DecodeErrorKind, DefinitionErrors, EncodeError, Error, Result, TypeName,
};
pub use table::{Key, Table};

/// Re-exported so applications can configure their own client without a separate dependency.
pub use aws_sdk_dynamodb;
/// The AWS SDK's attribute value type, which dynorm items are made of.
pub use aws_sdk_dynamodb::types::AttributeValue;

#[cfg(feature = "derive")]
pub use dynorm_derive::Table;

/// One DynamoDB item: attribute names to values.
pub type Item = std::collections::HashMap<String, AttributeValue>;

/// The names most programs need: `use dynorm::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "derive")]
    pub use crate::Table;
    pub use crate::{
        Attribute, AttributeValue, Error, Item, Json, JsonString, Key, Number, Result, Table as _,
    };
}

/// Used by the code `#[derive(Table)]` generates; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use std::sync::OnceLock;
}

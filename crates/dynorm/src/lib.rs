#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Library code reports errors and never prints; tests and examples may do both.
#![warn(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod attribute;
pub mod batch;
mod cache;
mod clear;
mod client;
pub mod codec;
pub mod definition;
pub mod engine;
pub mod entity;
mod error;
pub mod evolve;
pub mod expr;
pub mod format;
mod future;
mod immutable;
pub mod infra;
mod item;
mod lifecycle;
pub mod migrate;
pub mod partiql;
pub mod partiql_batch;
mod pipeline;
pub mod query;
mod retry;
pub mod schema_file;
mod schema_version;
pub mod stream;
pub mod strict;
mod table;
mod table_names;
mod table_status;
pub mod testing;
pub mod transaction;
pub mod untyped;
mod update;
mod upsert;
mod validate;
mod write;

pub use attribute::{
    Attribute, Bytes, EpochSeconds, ExtraAttributes, Json, JsonString, KeyAttribute, Number, SetElement,
};
pub use cache::CachedTable;
pub use client::{
    Client, DeleteBuilder, DeleteReturnOld, GetBuilder, GetOrFailBuilder, ProjectedGetBuilder, PutBuilder,
    PutReturnOld, TableClient,
};
pub use definition::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, GlobalSecondaryIndex, LocalSecondaryIndex,
    Projection as IndexProjection, ScalarType, StreamViewType, TableDefinition,
};
pub use error::{
    CancellationReason, DecodeError, DecodeErrorKind, DefinitionErrors, EncodeError, Error, Result,
    SchemaVersionError, TypeName,
};
pub use format::StoredForm;
pub use future::BoxFuture;
pub use retry::RetryPolicy;
pub use table::{Key, Projection, Table};
pub use table_names::{MAX_TABLE_PREFIX, TableNames};
pub use table_status::TableStatus;
pub use update::{UpdateBuilder, UpdateReturnNew, UpdateReturnOld, UpdateReturnUpdated};
pub use upsert::UpsertBuilder;

/// Re-exported so applications can configure their own client without a separate dependency.
pub use aws_sdk_dynamodb;
/// The AWS SDK's attribute value type, which dynorm items are made of.
pub use aws_sdk_dynamodb::types::AttributeValue;

#[cfg(feature = "derive")]
pub use dynorm_derive::Entity;
#[cfg(feature = "derive")]
pub use dynorm_derive::Projection;
#[cfg(feature = "derive")]
pub use dynorm_derive::Table;
#[cfg(feature = "derive")]
pub use dynorm_derive::test;

pub use item::Item;

/// The names most programs need: `use dynorm::prelude::*;`.
pub mod prelude {
    // `Table` and `Projection` name both the trait and (with `derive`) the derive macro.
    pub use crate::{
        Attribute, AttributeValue, Client, Error, Item, Json, JsonString, Key, Number, Projection, Result,
        Table, TableClient,
    };
}

/// Used by the code `#[derive(Table)]` generates; not a public API.
#[doc(hidden)]
pub mod __private;

/// The repository README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

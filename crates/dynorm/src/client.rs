//! [`Client`]: a connection to an engine (embedded or remote), and [`TableClient`]: typed
//! operations on one table.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use crate::engine::Engine;
use crate::engine::ops::{Condition, DeleteItem, GetItem, PutItem};
use crate::{AttributeValue, Item, Key, Result, Table};

/// A boxed future, as the builders' [`IntoFuture`] implementations return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A connection to DynamoDB: the embedded engine (in memory or in a file) or a remote endpoint.
///
/// Cheap to clone (the clones share one engine). Data operations on the embedded engine call it
/// directly; [`Client::sdk`] hands out an AWS SDK client for everything else, routed in process to
/// the embedded engine when there is one.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) sdk: aws_sdk_dynamodb::Client,
    pub(crate) engine: Engine,
    /// Faults injected into batch calls (tests only; see `engine::fault`).
    pub(crate) faults: Option<Arc<crate::engine::fault::Faults>>,
}

impl Client {
    /// A fresh in-memory embedded database.
    #[cfg(feature = "embedded")]
    pub fn embedded() -> Result<Self> {
        let db = dynoxide::Database::memory().map_err(|e| crate::Error::EmbeddedOpen {
            path: None,
            message: e.to_string(),
        })?;
        Ok(Self::from_database(db))
    }

    /// An embedded database stored in a file (created if absent). Every acknowledged write is a
    /// durable SQLite commit (write-ahead log, synchronous commits).
    #[cfg(feature = "embedded")]
    pub fn embedded_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let Some(text) = path.to_str() else {
            return Err(crate::Error::EmbeddedOpen {
                path: Some(shown),
                message: "the path is not valid UTF-8".to_owned(),
            });
        };
        let db = dynoxide::Database::new(text).map_err(|e| crate::Error::EmbeddedOpen {
            path: Some(shown),
            message: e.to_string(),
        })?;
        Ok(Self::from_database(db))
    }

    /// An embedded client over a database you opened yourself (for example with an injected
    /// clock: `dynoxide::Database::memory_with_clock`).
    #[cfg(feature = "embedded")]
    pub fn from_database(db: dynoxide::Database) -> Self {
        let sdk = crate::engine::adapter::sdk_client(db.clone());
        Self {
            inner: Arc::new(Inner {
                sdk,
                engine: Engine::Embedded(db),
                faults: None,
            }),
        }
    }

    /// A client for DynamoDB (or any compatible endpoint) through an SDK client you built.
    pub fn from_sdk(sdk: aws_sdk_dynamodb::Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                sdk,
                engine: Engine::Remote,
                faults: None,
            }),
        }
    }

    /// A client for DynamoDB configured the standard AWS way: `AWS_REGION`,
    /// `AWS_ENDPOINT_URL_DYNAMODB`, credentials from the environment, profiles, SSO, ...
    #[cfg(feature = "aws")]
    pub async fn from_env() -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Self::from_sdk(aws_sdk_dynamodb::Client::new(&config))
    }

    /// The AWS SDK client. For an embedded client it is routed in process to the embedded
    /// database (no TCP port); anything the SDK can ask, the embedded engine answers.
    pub fn sdk(&self) -> &aws_sdk_dynamodb::Client {
        &self.inner.sdk
    }

    /// The embedded database, when this client is embedded.
    #[cfg(feature = "embedded")]
    pub fn database(&self) -> Option<&dynoxide::Database> {
        match &self.inner.engine {
            Engine::Embedded(db) => Some(db),
            Engine::Remote => None,
        }
    }

    /// Whether requests are answered by the embedded engine.
    pub fn is_embedded(&self) -> bool {
        !matches!(self.inner.engine, Engine::Remote)
    }

    /// Typed operations on `T`'s table, under the name its definition gives.
    pub fn table<T: Table>(&self) -> TableClient<T> {
        self.table_named(T::definition().name.clone())
    }

    /// Typed operations on a table of `T` items under another name (a stage prefix, say).
    pub fn table_named<T: Table>(&self, name: impl Into<String>) -> TableClient<T> {
        TableClient {
            client: self.clone(),
            name: name.into(),
            table: PhantomData,
        }
    }
}

/// Typed operations on one table of `T` items.
pub struct TableClient<T> {
    pub(crate) client: Client,
    pub(crate) name: String,
    table: PhantomData<fn() -> T>,
}

impl<T> Clone for TableClient<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            name: self.name.clone(),
            table: PhantomData,
        }
    }
}

impl<T> fmt::Debug for TableClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableClient")
            .field("name", &self.name)
            .field("client", &self.client)
            .finish()
    }
}

impl<T: Table> TableClient<T> {
    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client this table client uses.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes `value`, replacing any item with the same key.
    pub fn put(&self, value: &T) -> PutBuilder<T> {
        PutBuilder {
            table: self.clone(),
            item: value.to_item(),
            condition: None,
            return_item: false,
        }
    }

    /// Reads the item with this key.
    pub fn get(&self, key: Key<T>) -> GetBuilder<T> {
        GetBuilder {
            table: self.clone(),
            key,
            consistent_read: false,
        }
    }

    /// Deletes the item with this key (deleting an absent item is not an error).
    pub fn delete(&self, key: Key<T>) -> DeleteBuilder<T> {
        DeleteBuilder {
            table: self.clone(),
            key,
            condition: None,
            return_item: false,
        }
    }
}

fn add_condition(condition: &mut Option<Condition>, expression: String) {
    condition.get_or_insert_with(Condition::default).expression = expression;
}

fn add_name(condition: &mut Option<Condition>, placeholder: String, name: String) {
    condition
        .get_or_insert_with(Condition::default)
        .names
        .insert(placeholder, name);
}

fn add_value(condition: &mut Option<Condition>, placeholder: String, value: AttributeValue) {
    condition
        .get_or_insert_with(Condition::default)
        .values
        .insert(placeholder, value);
}

fn encode_error(table: &str, e: crate::EncodeError) -> crate::Error {
    crate::Error::Encode(if e.table.is_none() {
        crate::EncodeError {
            table: Some(table.to_owned()),
            ..e
        }
    } else {
        e
    })
}

macro_rules! condition_methods {
    () => {
        /// Writes only if this condition expression holds; otherwise the call fails with
        /// [`Error::ConditionalCheckFailed`](crate::Error::ConditionalCheckFailed).
        pub fn condition_expression(mut self, expression: impl Into<String>) -> Self {
            add_condition(&mut self.condition, expression.into());
            self
        }

        /// Defines an attribute name placeholder (`#name`) of the condition expression.
        pub fn expression_attribute_name(
            mut self,
            placeholder: impl Into<String>,
            name: impl Into<String>,
        ) -> Self {
            add_name(&mut self.condition, placeholder.into(), name.into());
            self
        }

        /// Defines a value placeholder (`:value`) of the condition expression.
        pub fn expression_attribute_value(
            mut self,
            placeholder: impl Into<String>,
            value: AttributeValue,
        ) -> Self {
            add_value(&mut self.condition, placeholder.into(), value);
            self
        }

        /// When the condition fails, have the error carry the item as it was.
        pub fn return_item_on_condition_failure(mut self, yes: bool) -> Self {
            self.return_item = yes;
            self
        }
    };
}

/// A PutItem waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct PutBuilder<T> {
    table: TableClient<T>,
    item: std::result::Result<Item, crate::EncodeError>,
    condition: Option<Condition>,
    return_item: bool,
}

impl<T> fmt::Debug for PutBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutBuilder")
            .field("table", &self.table.name)
            .field("item", &self.item)
            .field("condition", &self.condition)
            .finish()
    }
}

impl<T: Table> PutBuilder<T> {
    condition_methods!();

    /// Sends the request.
    pub async fn send(self) -> Result<()> {
        let item = self.item.map_err(|e| encode_error(&self.table.name, e))?;
        self.table
            .client
            .engine_put_item(PutItem {
                table: self.table.name.clone(),
                item,
                condition: self.condition,
                return_item_on_condition_failure: self.return_item,
            })
            .await
    }
}

impl<T: Table + 'static> IntoFuture for PutBuilder<T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'static, Result<()>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A GetItem waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct GetBuilder<T> {
    table: TableClient<T>,
    key: Key<T>,
    consistent_read: bool,
}

impl<T> fmt::Debug for GetBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetBuilder")
            .field("table", &self.table.name)
            .field("key", &self.key)
            .field("consistent_read", &self.consistent_read)
            .finish()
    }
}

impl<T: Table> GetBuilder<T> {
    /// Asks for a strongly consistent read (the embedded engine's reads always are).
    pub fn consistent_read(mut self, yes: bool) -> Self {
        self.consistent_read = yes;
        self
    }

    /// Sends the request: the decoded item, or `None` when there is none with this key.
    pub async fn send(self) -> Result<Option<T>> {
        let name = self.table.name.clone();
        let key = self.key.into_item().map_err(|e| encode_error(&name, e))?;
        let item = self
            .table
            .client
            .engine_get_item(GetItem {
                table: name.clone(),
                key,
                consistent_read: self.consistent_read,
            })
            .await?;
        match item {
            Some(item) => Ok(Some(T::from_item(item).map_err(|e| {
                crate::Error::Decode(if e.table.is_none() {
                    crate::DecodeError {
                        table: Some(name),
                        ..e
                    }
                } else {
                    e
                })
            })?)),
            None => Ok(None),
        }
    }
}

impl<T: Table + Send + 'static> IntoFuture for GetBuilder<T> {
    type Output = Result<Option<T>>;
    type IntoFuture = BoxFuture<'static, Result<Option<T>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A DeleteItem waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct DeleteBuilder<T> {
    table: TableClient<T>,
    key: Key<T>,
    condition: Option<Condition>,
    return_item: bool,
}

impl<T> fmt::Debug for DeleteBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteBuilder")
            .field("table", &self.table.name)
            .field("key", &self.key)
            .field("condition", &self.condition)
            .finish()
    }
}

impl<T: Table> DeleteBuilder<T> {
    condition_methods!();

    /// Sends the request.
    pub async fn send(self) -> Result<()> {
        let name = self.table.name.clone();
        let key = self.key.into_item().map_err(|e| encode_error(&name, e))?;
        self.table
            .client
            .engine_delete_item(DeleteItem {
                table: name,
                key,
                condition: self.condition,
                return_item_on_condition_failure: self.return_item,
            })
            .await
    }
}

impl<T: Table + 'static> IntoFuture for DeleteBuilder<T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'static, Result<()>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

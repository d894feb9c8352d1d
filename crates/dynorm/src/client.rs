//! [`Client`]: a connection to an engine (embedded or remote), and [`TableClient`]: typed
//! operations on one table.

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::engine::request::{DeleteItem, GetItem, Placeholders, PutItem};
use crate::engine::{Engine, RemoteBackend};
use crate::future::BoxFuture;
use crate::strict::{Strict, StrictCheck};
use crate::write::{self, value_version};
pub(crate) use crate::write::{Conditions, encode_error, name_table};
use crate::{Error, Item, Key, Projection, Result, Table, TableNames, expr, validate};

/// A connection to DynamoDB: the embedded engine (in memory or in a file) or a remote endpoint.
///
/// Cheap to clone (the clones share one engine). Data operations on the embedded engine call it
/// directly; [`Client::sdk`] hands out an AWS SDK client for everything else, routed in process to
/// the embedded engine when there is one.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    sdk: aws_sdk_dynamodb::Client,
    engine: Engine,
    #[cfg(feature = "embedded")]
    database: Option<dynoxide::Database>,
    /// Where [`ChangeStream::new`](crate::stream::ChangeStream::new) reads a remote table's stream.
    #[cfg(feature = "aws-streams")]
    streams: Option<aws_sdk_dynamodbstreams::Client>,
}

/// A DynamoDB Streams client of `config`; an endpoint given for DynamoDB alone
/// (`AWS_ENDPOINT_URL_DYNAMODB`) serves streams too unless one is given for them.
#[cfg(all(feature = "aws", feature = "aws-streams"))]
pub(crate) fn streams_client(config: &aws_config::SdkConfig) -> aws_sdk_dynamodbstreams::Client {
    let mut builder = aws_sdk_dynamodbstreams::config::Builder::from(config);
    let var = |name: &str| std::env::var(name).ok();
    if let Some(url) = borrowed_streams_endpoint(
        var("AWS_ENDPOINT_URL_DYNAMODB").as_deref(),
        var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS").as_deref(),
    ) {
        builder = builder.endpoint_url(url);
    }
    aws_sdk_dynamodbstreams::Client::from_conf(builder.build())
}

/// The DynamoDB endpoint, when streams should use it: it is given and streams have none of
/// their own (the SDK reads theirs itself).
#[cfg(all(feature = "aws", feature = "aws-streams"))]
fn borrowed_streams_endpoint<'a>(dynamodb: Option<&'a str>, streams: Option<&str>) -> Option<&'a str> {
    let given = |url: &&str| !url.trim().is_empty();
    match streams.filter(given) {
        Some(_) => None,
        None => dynamodb.filter(given),
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
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
        let engine = Engine::new(Arc::new(crate::engine::EmbeddedBackend::new(db.clone())));
        Self {
            inner: Arc::new(Inner {
                sdk,
                engine,
                database: Some(db),
                #[cfg(feature = "aws-streams")]
                streams: None,
            }),
        }
    }

    /// A client for DynamoDB (or any compatible endpoint) through an SDK client you built.
    pub fn from_sdk(sdk: aws_sdk_dynamodb::Client) -> Self {
        let engine = Engine::new(Arc::new(RemoteBackend::new(sdk.clone())));
        Self {
            inner: Arc::new(Inner {
                sdk,
                engine,
                #[cfg(feature = "embedded")]
                database: None,
                #[cfg(feature = "aws-streams")]
                streams: None,
            }),
        }
    }

    /// The engine every data operation goes through.
    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// A client sharing this one's SDK client and database, sending through `engine` (a wrapper
    /// around this client's backend).
    pub(crate) fn with_engine(&self, engine: Engine) -> Self {
        self.changed(|inner| inner.engine = engine)
    }

    /// A client like this one but for what `change` sets.
    fn changed(&self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner::clone(&self.inner);
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// A client for DynamoDB configured the standard AWS way: `AWS_REGION`,
    /// `AWS_ENDPOINT_URL_DYNAMODB`, credentials from the environment, profiles, SSO, ...
    ///
    /// With feature `aws-streams` it also reads change streams
    /// ([`ChangeStream::new`](crate::stream::ChangeStream::new)) with a DynamoDB Streams client of
    /// the same configuration. Local endpoints (`dynorm serve`, DynamoDB Local, moto) serve both
    /// APIs on one URL, so an `AWS_ENDPOINT_URL_DYNAMODB` is used for streams too unless
    /// `AWS_ENDPOINT_URL_DYNAMODB_STREAMS` names another.
    #[cfg(feature = "aws")]
    pub async fn from_env() -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let client = Self::from_sdk(aws_sdk_dynamodb::Client::new(&config));
        #[cfg(feature = "aws-streams")]
        let client = client.with_streams(streams_client(&config));
        client
    }

    /// This client reading change streams ([`ChangeStream::new`](crate::stream::ChangeStream::new))
    /// through `streams`, a DynamoDB Streams client for the same account, region and endpoint.
    /// The embedded engine's streams are read from the engine itself.
    ///
    /// ```no_run
    /// # async fn run(config: &aws_sdk_dynamodb::Config, streams_config: aws_sdk_dynamodbstreams::Config)
    /// # -> dynorm::Result<()> {
    /// // Both SDK clients built from one configuration (`aws_config::load_defaults(..)`).
    /// let client = dynorm::Client::from_sdk(aws_sdk_dynamodb::Client::from_conf(config.clone()))
    ///     .with_streams(aws_sdk_dynamodbstreams::Client::from_conf(streams_config));
    /// let mut orders = dynorm::stream::ChangeStream::new(&client, "orders")?;
    /// let batch = orders.next_batch().await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "aws-streams")]
    #[must_use]
    pub fn with_streams(&self, streams: aws_sdk_dynamodbstreams::Client) -> Self {
        self.changed(|inner| inner.streams = Some(streams))
    }

    /// The DynamoDB Streams client given by [`with_streams`](Self::with_streams) or
    /// [`from_env`](Self::from_env).
    #[cfg(feature = "aws-streams")]
    pub fn streams_sdk(&self) -> Option<&aws_sdk_dynamodbstreams::Client> {
        self.inner.streams.as_ref()
    }

    /// The AWS SDK client. For an embedded client it is routed in process to the embedded
    /// database (no TCP port); anything the SDK can ask, the embedded engine answers.
    pub fn sdk(&self) -> &aws_sdk_dynamodb::Client {
        &self.inner.sdk
    }

    /// The embedded database, when this client is embedded.
    #[cfg(feature = "embedded")]
    pub fn database(&self) -> Option<&dynoxide::Database> {
        self.inner.database.as_ref()
    }

    /// Whether requests are answered by the embedded engine.
    pub fn is_embedded(&self) -> bool {
        #[cfg(feature = "embedded")]
        return self.inner.database.is_some();
        #[cfg(not(feature = "embedded"))]
        false
    }

    /// A client sharing this one's engine whose tables are named by `names`: every logical table
    /// name (a type's, an entity layout's, one given to [`table_named`](Self::table_named),
    /// [`create_table`](Self::create_table) or a stream) is sent as `names` maps it. Errors
    /// keep naming the logical table.
    ///
    /// [`Client::sdk`] is not mapped: requests built on it name physical tables
    /// ([`physical_table_name`](Self::physical_table_name)).
    pub fn with_table_names(&self, names: TableNames) -> Self {
        self.with_engine(self.inner.engine.with_names(names))
    }

    /// [`with_table_names`](Self::with_table_names) with every table under `prefix`
    /// (`ci-1234-users` for `users`): two clients with different prefixes on one database never
    /// see each other's tables. A prefix DynamoDB's table names cannot start with is
    /// [`Error::InvalidTablePrefix`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
    /// use dynorm::{AttributeType, TableDefinition};
    ///
    /// let client = dynorm::Client::embedded()?;
    /// let ci = client.with_table_prefix("ci-1-")?;
    /// ci.create_table(&TableDefinition::new("users", "id", AttributeType::String)).await?;
    /// assert!(ci.describe_table("users").await?.is_some());
    /// assert!(client.describe_table("ci-1-users").await?.is_some());
    /// assert!(client.describe_table("users").await?.is_none());
    /// # Ok(()) }
    /// ```
    pub fn with_table_prefix(&self, prefix: impl Into<String>) -> Result<Self> {
        Ok(self.with_table_names(TableNames::prefixed(prefix)?))
    }

    /// A client for stage `stage`'s tables, named as infrastructure names them:
    /// `<stage>-<table>` ([`crate::infra::physical_name`]).
    pub fn for_stage(&self, stage: &str) -> Result<Self> {
        Ok(self.with_table_names(TableNames::for_stage(stage)?))
    }

    /// How this client names tables.
    pub fn table_names(&self) -> &TableNames {
        self.inner.engine.names()
    }

    /// The name requests for logical table `logical` carry.
    pub fn physical_table_name(&self, logical: &str) -> String {
        self.table_names().physical(logical).into_owned()
    }

    /// Typed operations on `T`'s table, under the name its definition gives.
    pub fn table<T: Table>(&self) -> TableClient<T> {
        self.table_named(T::definition().name.clone())
    }

    /// Typed operations on a table of `T` items under another logical name (a copy, say); the
    /// client's [`TableNames`] still apply.
    pub fn table_named<T: Table>(&self, name: impl Into<String>) -> TableClient<T> {
        TableClient {
            client: self.clone(),
            name: name.into(),
            table: PhantomData,
        }
    }
}

/// Typed operations on one table of `T` items.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::Table;
/// use dynorm::expr::attr;
///
/// #[derive(Table, Debug, PartialEq)]
/// #[dynorm(table = "users")]
/// struct User {
///     #[dynorm(partition_key)]
///     id: String,
///     name: String,
///     visits: i64,
/// }
///
/// let client = dynorm::Client::embedded()?;
/// client.create_table(User::definition()).await?;
/// let users = client.table::<User>();
///
/// let ada = User { id: "ada".into(), name: "Ada".into(), visits: 0 };
/// users.put(&ada).create_only().await?;
/// // A second create_only put of the same key fails its condition.
/// assert!(users.put(&ada).create_only().await.unwrap_err().is_conditional_check_failed());
///
/// let after = users
///     .update(User::key("ada".to_owned()))
///     .increment("visits", 1)
///     .condition(attr("name").eq("Ada"))
///     .return_new()
///     .await?;
/// assert_eq!(after.visits, 1);
///
/// assert_eq!(users.get(ada.key_of()).await?.map(|u| u.visits), Some(1));
/// let old = users.delete(ada.key_of()).return_old().await?;
/// assert_eq!(old.map(|u| u.name), Some("Ada".to_owned()));
/// assert!(users.get_or_fail(ada.key_of()).await.unwrap_err().is_not_found());
/// # Ok(()) }
/// ```
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
    ///
    /// On a versioned table (`T::VERSION_ATTRIBUTE`), the write succeeds only if the stored
    /// version is `value.version()` (0: no versioned item yet), stores version + 1, and fails with
    /// [`Error::VersionConflict`] otherwise. `value` itself is not changed: use
    /// [`TableClient::save`] to have its version follow, or read the item again.
    pub fn put(&self, value: &T) -> PutBuilder<T> {
        PutBuilder {
            table: self.clone(),
            item: value.to_item(),
            version: value_version::<T>(value),
            conditions: Conditions::default(),
        }
    }

    /// Puts an item already encoded, expecting `expected_version` on a versioned table.
    pub(crate) async fn put_item(&self, item: Item, expected_version: Option<u64>) -> Result<()> {
        PutBuilder {
            table: self.clone(),
            item: Ok(item),
            version: expected_version,
            conditions: Conditions::default(),
        }
        .send()
        .await
    }

    /// A versioned put that keeps `value` in step: writes it like [`TableClient::put`] and, on
    /// success, sets `value`'s version to the one stored. On a table without a version attribute
    /// it is a plain put.
    ///
    /// The read-modify-write loop of optimistic locking:
    ///
    /// ```
    /// # use dynorm::{Table, TableClient};
    /// # async fn bump<T: Table>(table: &TableClient<T>, key: dynorm::Key<T>, change: impl Fn(&mut T)) -> dynorm::Result<()> {
    /// loop {
    ///     let mut value = table.get_or_fail(key.clone()).consistent_read(true).send().await?;
    ///     change(&mut value);
    ///     match table.save(&mut value).await {
    ///         Err(e) if e.is_version_conflict() => continue, // someone else wrote first
    ///         other => return other,
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn save(&self, value: &mut T) -> Result<()> {
        let written = self.put(value).execute(false).await?.1;
        if let Some(version) = written {
            value.set_version(version);
        }
        Ok(())
    }

    /// Reads the item with this key: `Ok(None)` when there is none.
    pub fn get(&self, key: Key<T>) -> GetBuilder<T> {
        GetBuilder {
            table: self.clone(),
            key,
            consistent_read: false,
            strict: T::STRICT_READS,
        }
    }

    /// Reads the item with this key; its absence is [`Error::NotFound`] naming the key.
    pub fn get_or_fail(&self, key: Key<T>) -> GetOrFailBuilder<T> {
        GetOrFailBuilder { get: self.get(key) }
    }

    /// Deletes the item with this key (deleting an absent item is not an error).
    ///
    /// On a versioned table, give [`DeleteBuilder::expected_version`] to have the version checked,
    /// or use [`TableClient::delete_value`].
    pub fn delete(&self, key: Key<T>) -> DeleteBuilder<T> {
        DeleteBuilder {
            table: self.clone(),
            key,
            expected_version: None,
            conditions: Conditions::default(),
        }
    }

    /// Deletes the item of `value`, checking on a versioned table that the stored version is the
    /// one `value` carries.
    pub fn delete_value(&self, value: &T) -> DeleteBuilder<T> {
        DeleteBuilder {
            table: self.clone(),
            key: value.key_of(),
            expected_version: value_version::<T>(value),
            conditions: Conditions::default(),
        }
    }
}

/// The strict-read check of a single item ([`crate::strict`]).
fn check_strict<T: Table>(mode: Option<Strict>, table: &str, item: &Item) -> Result<()> {
    match StrictCheck::new(mode, T::stored_attributes) {
        Some(check) => check.check(T::definition(), table, item),
        None => Ok(()),
    }
}

/// Decodes an item of `table` with `decode`, naming the table in the error.
pub(crate) fn decode_with<R>(
    table: &str,
    item: Item,
    decode: impl FnOnce(Item) -> std::result::Result<R, crate::DecodeError>,
) -> Result<R> {
    decode(item).map_err(|e| Error::Decode(e.in_table(table)))
}

macro_rules! condition_methods {
    () => {
        /// Writes only if this condition holds (ANDed with any condition already given);
        /// otherwise the call fails with
        /// [`Error::ConditionalCheckFailed`](crate::Error::ConditionalCheckFailed).
        pub fn condition(mut self, condition: expr::Condition) -> Self {
            self.conditions.and(condition);
            self
        }

        /// Writes only if no item with this key exists yet (`attribute_not_exists` on the
        /// partition key).
        pub fn create_only(self) -> Self {
            self.condition(expr::attr(T::definition().partition_key.as_str()).not_exists())
        }

        /// Writes only if an item with this key exists (`attribute_exists` on the partition
        /// key); when there is none, the call fails with
        /// [`Error::NotFound`](crate::Error::NotFound) naming the table and key (single-table-orm's
        /// `ObjectDoesNotExist`), told apart from the other conditions' failures.
        pub fn must_exist(mut self) -> Self {
            self.conditions.must_exist = true;
            self
        }

        /// A raw condition expression, with placeholders you define with
        /// [`expression_attribute_name`](Self::expression_attribute_name) and
        /// [`expression_attribute_value`](Self::expression_attribute_value) (the escape hatch:
        /// prefer [`condition`](Self::condition)). ANDed with built conditions; its placeholders
        /// must not look like dynorm's (`#n0`, `:v0`).
        pub fn condition_expression(mut self, expression: impl Into<String>) -> Self {
            self.conditions.raw().expression = expression.into();
            self
        }

        /// Defines an attribute name placeholder (`#name`) of the raw condition expression.
        pub fn expression_attribute_name(
            mut self,
            placeholder: impl Into<String>,
            name: impl Into<String>,
        ) -> Self {
            self.conditions
                .raw()
                .placeholders
                .names
                .insert(placeholder.into(), name.into());
            self
        }

        /// Defines a value placeholder (`:value`) of the raw condition expression.
        pub fn expression_attribute_value(
            mut self,
            placeholder: impl Into<String>,
            value: crate::AttributeValue,
        ) -> Self {
            self.conditions
                .raw()
                .placeholders
                .values
                .insert(placeholder.into(), value);
            self
        }

        /// When the condition fails, have
        /// [`Error::ConditionalCheckFailed`](crate::Error::ConditionalCheckFailed) carry the item as
        /// it was.
        pub fn return_item_on_condition_failure(mut self, yes: bool) -> Self {
            self.conditions.return_item = yes;
            self
        }
    };
}
pub(crate) use condition_methods;

macro_rules! into_future {
    // Builders whose future never holds a `T` need no `T: Send`.
    ($builder:ident, $output:ty, any_t) => {
        impl<T: Table + 'static> IntoFuture for $builder<T> {
            type Output = Result<$output>;
            type IntoFuture = BoxFuture<'static, Result<$output>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
    ($builder:ident, $output:ty) => {
        impl<T: Table + Send + 'static> IntoFuture for $builder<T> {
            type Output = Result<$output>;
            type IntoFuture = BoxFuture<'static, Result<$output>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use into_future;

/// A PutItem waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct PutBuilder<T> {
    table: TableClient<T>,
    item: std::result::Result<Item, crate::EncodeError>,
    version: Option<u64>,
    conditions: Conditions,
}

impl<T> fmt::Debug for PutBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutBuilder")
            .field("table", &self.table.name)
            .field("item", &self.item)
            .field("version", &self.version)
            .field("conditions", &self.conditions)
            .finish()
    }
}

impl<T: Table> PutBuilder<T> {
    condition_methods!();

    /// Have the call return the item it replaced (`None` when there was none).
    pub fn return_old(self) -> PutReturnOld<T> {
        PutReturnOld { put: self }
    }

    /// Sends the request.
    pub async fn send(self) -> Result<()> {
        self.execute(false).await.map(|_| ())
    }

    /// Sends the request: the old item (when asked) and the version written (versioned tables).
    async fn execute(self, return_old: bool) -> Result<(Option<Item>, Option<u64>)> {
        let name = &self.table.name;
        let prepared = write::put::<T>(name, self.item, self.version, self.conditions)?;
        let written = prepared.written_version;
        let failure = prepared.failure;
        let request = PutItem {
            table: prepared.table,
            item: prepared.item.unwrap_or_default(),
            condition: prepared.condition,
            placeholders: prepared.placeholders,
            return_old,
            return_old_on_failure: failure.needs_item(),
        };
        match self.table.client.engine().put_item(request).await {
            Ok(old) => Ok((old, written)),
            Err(e) => Err(failure.explain(e)),
        }
    }
}

into_future!(PutBuilder, (), any_t);

/// A PutItem that returns the item it replaced.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct PutReturnOld<T> {
    put: PutBuilder<T>,
}

impl<T: Table> PutReturnOld<T> {
    /// Sends the request: the replaced item, `None` when there was none.
    pub async fn send(self) -> Result<Option<T>> {
        let name = self.put.table.name.clone();
        let (old, _) = self.put.execute(true).await?;
        old.map(|item| decode_with(&name, item, T::from_item)).transpose()
    }
}

into_future!(PutReturnOld, Option<T>);

/// Reads one item's attributes by key: the shared part of the get builders.
pub(crate) async fn get_item<T: Table>(
    table: &TableClient<T>,
    key: Key<T>,
    consistent_read: bool,
    projection: Option<&[&str]>,
) -> Result<Option<Item>> {
    let name = &table.name;
    let key = key.into_item().map_err(|e| encode_error(name, e))?;
    validate::check_key(name, T::definition(), &key)?;
    let projection = match projection {
        Some(attributes) => {
            let mut placeholders = expr::ExpressionAttributes::new();
            let text = expr::ProjectionExpression::new(attributes.iter().copied())
                .render(&mut placeholders)
                .map_err(|e| name_table(name, e))?;
            Some((text, placeholders.into_parts().0.unwrap_or_default()))
        }
        None => None,
    };
    let (projection, names) = projection.unzip();
    table
        .client
        .engine()
        .get_item(GetItem {
            table: name.clone(),
            key,
            consistent_read,
            projection,
            placeholders: Placeholders {
                names: names.unwrap_or_default(),
                values: Item::new(),
            },
        })
        .await
}

/// A GetItem waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct GetBuilder<T> {
    table: TableClient<T>,
    key: Key<T>,
    consistent_read: bool,
    strict: Option<Strict>,
}

impl<T> fmt::Debug for GetBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetBuilder")
            .field("table", &self.table.name)
            .field("key", &self.key)
            .field("consistent_read", &self.consistent_read)
            .field("strict", &self.strict)
            .finish()
    }
}

impl<T: Table> GetBuilder<T> {
    /// Reports the attributes of the item that the table's model does not name instead of
    /// dropping them ([`crate::strict`]); the default is the type's [`Table::STRICT_READS`].
    pub fn strict(mut self, mode: Strict) -> Self {
        self.strict = Some(mode);
        self
    }

    /// Asks for a strongly consistent read (the embedded engine's reads always are).
    pub fn consistent_read(mut self, yes: bool) -> Self {
        self.consistent_read = yes;
        self
    }

    /// Reads only the attributes of projection `P` (`ProjectionExpression` from
    /// [`Projection::attributes`]) and decodes them as a `P`.
    pub fn project<P: Projection<Table = T>>(self) -> ProjectedGetBuilder<T, P> {
        ProjectedGetBuilder {
            get: self,
            projection: PhantomData,
        }
    }

    /// Sends the request: the decoded item, or `None` when there is none with this key.
    pub async fn send(self) -> Result<Option<T>> {
        let item = get_item(&self.table, self.key, self.consistent_read, None).await?;
        item.map(|item| {
            check_strict::<T>(self.strict, &self.table.name, &item)?;
            decode_with(&self.table.name, item, T::from_item)
        })
        .transpose()
    }
}

into_future!(GetBuilder, Option<T>);

/// A GetItem that fails with [`Error::NotFound`] when there is no item.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct GetOrFailBuilder<T> {
    get: GetBuilder<T>,
}

impl<T: Table> GetOrFailBuilder<T> {
    /// Asks for a strongly consistent read.
    pub fn consistent_read(mut self, yes: bool) -> Self {
        self.get.consistent_read = yes;
        self
    }

    /// Reports the attributes of the item that the table's model does not name
    /// ([`crate::strict`]).
    pub fn strict(mut self, mode: Strict) -> Self {
        self.get.strict = Some(mode);
        self
    }

    /// Sends the request: the decoded item, or [`Error::NotFound`] naming the key.
    pub async fn send(self) -> Result<T> {
        let GetBuilder {
            table,
            key,
            consistent_read,
            strict,
        } = self.get;
        let shown = match key.as_item() {
            Ok(k) => validate::render_key(T::definition(), k),
            Err(_) => String::new(),
        };
        match get_item(&table, key, consistent_read, None).await? {
            Some(item) => {
                check_strict::<T>(strict, &table.name, &item)?;
                decode_with(&table.name, item, T::from_item)
            }
            None => Err(Error::NotFound {
                table: table.name.clone(),
                key: shown,
            }),
        }
    }
}

into_future!(GetOrFailBuilder, T);

/// A GetItem decoding a [`Projection`] of the item.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct ProjectedGetBuilder<T, P> {
    get: GetBuilder<T>,
    projection: PhantomData<fn() -> P>,
}

impl<T, P> fmt::Debug for ProjectedGetBuilder<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectedGetBuilder")
            .field("get", &self.get)
            .field("projection", &std::any::type_name::<P>())
            .finish()
    }
}

impl<T: Table, P: Projection<Table = T>> ProjectedGetBuilder<T, P> {
    /// Asks for a strongly consistent read.
    pub fn consistent_read(mut self, yes: bool) -> Self {
        self.get.consistent_read = yes;
        self
    }

    /// Sends the request: the projection, or `None` when there is no item with this key.
    pub async fn send(self) -> Result<Option<P>> {
        let GetBuilder {
            table,
            key,
            consistent_read,
            strict,
        } = self.get;
        let item = get_item(&table, key, consistent_read, Some(P::attributes())).await?;
        if let Some(item) = &item {
            check_strict::<T>(strict, &table.name, item)?;
        }
        item.map(|item| decode_with(&table.name, item, P::from_item))
            .transpose()
    }
}

impl<T, P> IntoFuture for ProjectedGetBuilder<T, P>
where
    T: Table + Send + 'static,
    P: Projection<Table = T> + Send + 'static,
{
    type Output = Result<Option<P>>;
    type IntoFuture = BoxFuture<'static, Result<Option<P>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A DeleteItem waiting to be sent: `.send().await` or just `.await`.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
pub struct DeleteBuilder<T> {
    table: TableClient<T>,
    key: Key<T>,
    expected_version: Option<u64>,
    conditions: Conditions,
}

impl<T> fmt::Debug for DeleteBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteBuilder")
            .field("table", &self.table.name)
            .field("key", &self.key)
            .field("expected_version", &self.expected_version)
            .field("conditions", &self.conditions)
            .finish()
    }
}

impl<T: Table> DeleteBuilder<T> {
    condition_methods!();

    /// On a versioned table: delete only if the stored version is this one, failing with
    /// [`Error::VersionConflict`] otherwise. Ignored on a table without a version attribute.
    pub fn expected_version(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    /// Have the call return the item it deleted (`None` when there was none).
    pub fn return_old(self) -> DeleteReturnOld<T> {
        DeleteReturnOld { delete: self }
    }

    /// Sends the request.
    pub async fn send(self) -> Result<()> {
        self.execute(false).await.map(|_| ())
    }

    async fn execute(self, return_old: bool) -> Result<Option<Item>> {
        let prepared =
            write::delete::<T>(&self.table.name, self.key, self.expected_version, self.conditions)?;
        let failure = prepared.failure;
        let request = DeleteItem {
            table: prepared.table,
            key: prepared.key,
            condition: prepared.condition,
            placeholders: prepared.placeholders,
            return_old,
            return_old_on_failure: failure.needs_item(),
        };
        self.table
            .client
            .engine()
            .delete_item(request)
            .await
            .map_err(|e| failure.explain(e))
    }
}

into_future!(DeleteBuilder, (), any_t);

/// A DeleteItem that returns the item it deleted.
#[must_use = "a request does nothing until it is sent with `.send().await` or `.await`"]
#[derive(Debug)]
pub struct DeleteReturnOld<T> {
    delete: DeleteBuilder<T>,
}

impl<T: Table> DeleteReturnOld<T> {
    /// Sends the request: the deleted item, `None` when there was none.
    pub async fn send(self) -> Result<Option<T>> {
        let name = self.delete.table.name.clone();
        let old = self.delete.execute(true).await?;
        old.map(|item| decode_with(&name, item, T::from_item)).transpose()
    }
}

into_future!(DeleteReturnOld, Option<T>);

#[cfg(all(test, feature = "aws", feature = "aws-streams"))]
mod tests {
    use super::borrowed_streams_endpoint as borrowed;

    #[test]
    fn streams_use_the_dynamodb_endpoint_only_without_their_own() {
        let local = Some("http://127.0.0.1:8000");
        assert_eq!(borrowed(local, None), local);
        assert_eq!(borrowed(local, Some(" ")), local);
        assert_eq!(borrowed(local, Some("https://streams.example")), None);
        assert_eq!(borrowed(None, None), None);
        assert_eq!(borrowed(Some(""), None), None);
    }
}

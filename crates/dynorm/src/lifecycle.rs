//! Table lifecycle: create a table from its definition (idempotently), delete it, wait for it,
//! describe a live table as a definition and compare the two.
//!
//! Everything here goes through [`Client::sdk`], so the embedded engine and DynamoDB share one code
//! path.
//!
//! What the embedded engine (dynoxide 3.2) reports, and so what can be compared against it: key
//! schema and key attribute types, GSIs and LSIs with their projections, billing mode and
//! provisioned throughput, streams, TTL, tags and deletion protection. It keeps no backups or
//! point-in-time recovery (dynorm's definitions do not describe them either), and its tables are
//! ACTIVE as soon as they are created.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    self as sdk, BillingMode as SdkBillingMode, KeyType, ProjectionType, ScalarAttributeType, TableStatus,
    TimeToLiveStatus,
};

use crate::definition::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, GlobalSecondaryIndex, LocalSecondaryIndex,
    Projection, ScalarType, StreamViewType, TableDefinition,
};
use crate::engine::error_map::{build_error, from_sdk};
use crate::{Client, Error, Result, Table, TableClient};

/// How long [`Client::create_table`] and [`Client::delete_table`] wait for a table in transition.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(300);

impl Client {
    /// Creates the table a definition describes, idempotently.
    ///
    /// The definition is validated first ([`Error::InvalidDefinition`]). A table that already
    /// exists and matches is fine; one still being created is waited for; one that differs is
    /// reported as [`Error::TableMismatch`] with every difference. TTL, when the definition sets
    /// it, is switched on after creation.
    pub async fn create_table(&self, definition: &TableDefinition) -> Result<()> {
        definition.validate()?;
        let name = definition.name.as_str();
        // A bounded number of rounds: a table that keeps appearing and disappearing under us is
        // reported rather than chased forever.
        for _ in 0..5 {
            match self.describe_status(name).await? {
                Some(TableStatus::Deleting) => {
                    self.wait_until_deleted(name, DEFAULT_WAIT).await?;
                    continue;
                }
                Some(_) => {
                    self.wait_until_active(name, DEFAULT_WAIT).await?;
                    let differences = self.compare_table(definition).await?;
                    if differences.is_empty() {
                        return Ok(());
                    }
                    return Err(Error::TableMismatch {
                        table: name.to_owned(),
                        differences,
                    });
                }
                None => {}
            }
            match self.send_create_table(definition).await {
                Ok(()) => {}
                // Created meanwhile by someone else: compare it on the next round.
                Err(Error::TableInUse { .. }) => continue,
                Err(e) => return Err(e),
            }
            self.wait_until_active(name, DEFAULT_WAIT).await?;
            if let Some(ttl) = &definition.ttl_attribute {
                let spec = sdk::TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(ttl)
                    .build()
                    .map_err(|e| build_error(name, e))?;
                self.sdk()
                    .update_time_to_live()
                    .table_name(self.physical_table_name(name))
                    .time_to_live_specification(spec)
                    .send()
                    .await
                    .map_err(|e| from_sdk(name, e))?;
            }
            return Ok(());
        }
        Err(Error::TableInUse {
            table: name.to_owned(),
            message: "the table kept changing while it was being created".to_owned(),
        })
    }

    async fn send_create_table(&self, d: &TableDefinition) -> Result<()> {
        let name = d.name.as_str();
        let be = |e| build_error(name, e);
        let mut attribute_definitions = Vec::new();
        for key in d.key_attributes() {
            let scalar = d.key_type(key).ok_or_else(|| Error::Validation {
                table: name.to_owned(),
                message: format!("key attribute `{key}` has no scalar type"),
            })?;
            attribute_definitions.push(
                sdk::AttributeDefinition::builder()
                    .attribute_name(key)
                    .attribute_type(sdk_scalar(scalar))
                    .build()
                    .map_err(be)?,
            );
        }
        let table_capacity = match d.billing {
            BillingMode::Provisioned(c) => Some(c),
            BillingMode::OnDemand => None,
        };
        let mut gsis = Vec::new();
        for g in &d.global_secondary_indexes {
            let mut b = sdk::GlobalSecondaryIndex::builder()
                .index_name(&g.name)
                .set_key_schema(Some(index_key_schema(name, g)?))
                .projection(sdk_projection(&g.projection));
            if let Some(c) = g.capacity.or(table_capacity) {
                b = b.provisioned_throughput(throughput(name, c)?);
            }
            gsis.push(b.build().map_err(be)?);
        }
        let mut lsis = Vec::new();
        for l in &d.local_secondary_indexes {
            lsis.push(
                sdk::LocalSecondaryIndex::builder()
                    .index_name(&l.name)
                    .set_key_schema(Some(key_schema(name, &d.partition_key, Some(&l.sort_key))?))
                    .projection(sdk_projection(&l.projection))
                    .build()
                    .map_err(be)?,
            );
        }
        let mut request = self
            .sdk()
            .create_table()
            .table_name(self.physical_table_name(name))
            .set_key_schema(Some(key_schema(name, &d.partition_key, d.sort_key.as_deref())?))
            .set_attribute_definitions(Some(attribute_definitions))
            .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
            .set_local_secondary_indexes((!lsis.is_empty()).then_some(lsis));
        request = match table_capacity {
            Some(c) => request
                .billing_mode(SdkBillingMode::Provisioned)
                .provisioned_throughput(throughput(name, c)?),
            None => request.billing_mode(SdkBillingMode::PayPerRequest),
        };
        if let Some(view) = d.stream {
            request = request.stream_specification(
                sdk::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(sdk::StreamViewType::from(view.as_str()))
                    .build()
                    .map_err(be)?,
            );
        }
        for (k, v) in &d.tags {
            request = request.tags(sdk::Tag::builder().key(k).value(v).build().map_err(be)?);
        }
        if d.deletion_protection {
            request = request.deletion_protection_enabled(true);
        }
        request.send().await.map_err(|e| from_sdk(name, e))?;
        Ok(())
    }

    /// The logical names of the tables this client's [`TableNames`](crate::TableNames) reach,
    /// sorted: every table for a client without a prefix, only its prefix's tables (the prefix
    /// taken off) for one with. Reads every ListTables page.
    pub async fn list_tables(&self) -> Result<Vec<String>> {
        let names = self.table_names();
        let mut found = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let page = self
                .sdk()
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .send()
                .await
                .map_err(|e| from_sdk(names.prefix(), e))?;
            let own = page.table_names().iter().filter_map(|t| names.logical(t));
            found.extend(own.map(str::to_owned));
            match page.last_evaluated_table_name() {
                Some(last) => start = Some(last.to_owned()),
                None => break,
            }
        }
        found.sort();
        Ok(found)
    }

    /// Deletes a table. A table that does not exist is not an error; one still being created is
    /// waited for first. Use [`wait_until_deleted`](Self::wait_until_deleted) to wait until it is
    /// gone.
    pub async fn delete_table(&self, name: &str) -> Result<()> {
        for _ in 0..2 {
            match self
                .sdk()
                .delete_table()
                .table_name(self.physical_table_name(name))
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) => match from_sdk(name, e) {
                    Error::TableNotFound { .. } => return Ok(()),
                    Error::TableInUse { .. } => {
                        if self.describe_status(name).await? == Some(TableStatus::Deleting) {
                            return Ok(());
                        }
                        self.wait_until_active(name, DEFAULT_WAIT).await?;
                    }
                    e => return Err(e),
                },
            }
        }
        Err(Error::TableInUse {
            table: name.to_owned(),
            message: "the table stayed in use".to_owned(),
        })
    }

    /// Waits until the table and all its indexes are ACTIVE, polling with backoff;
    /// [`Error::Timeout`] after `timeout`.
    pub async fn wait_until_active(&self, name: &str, timeout: Duration) -> Result<()> {
        self.poll(name, timeout, "become active", |table| {
            table.is_some_and(|t| {
                t.table_status() == Some(&TableStatus::Active)
                    && t.global_secondary_indexes()
                        .iter()
                        .all(|g| g.index_status().is_none_or(|s| *s == sdk::IndexStatus::Active))
            })
        })
        .await
    }

    /// Waits until the table no longer exists, polling with backoff; [`Error::Timeout`] after
    /// `timeout`.
    pub async fn wait_until_deleted(&self, name: &str, timeout: Duration) -> Result<()> {
        self.poll(name, timeout, "be deleted", |table| table.is_none())
            .await
    }

    async fn poll(
        &self,
        name: &str,
        timeout: Duration,
        what: &str,
        done: impl Fn(Option<&sdk::TableDescription>) -> bool,
    ) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut delay = Duration::from_millis(20);
        loop {
            let table = self.raw_describe(name).await?;
            if done(table.as_ref()) {
                return Ok(());
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    table: name.to_owned(),
                    what: what.to_owned(),
                });
            }
            tokio::time::sleep(delay.min(deadline - now)).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    async fn raw_describe(&self, name: &str) -> Result<Option<sdk::TableDescription>> {
        match self
            .sdk()
            .describe_table()
            .table_name(self.physical_table_name(name))
            .send()
            .await
        {
            Ok(out) => Ok(out.table),
            Err(e) => match from_sdk(name, e) {
                Error::TableNotFound { .. } => Ok(None),
                e => Err(e),
            },
        }
    }

    async fn describe_status(&self, name: &str) -> Result<Option<TableStatus>> {
        Ok(self
            .raw_describe(name)
            .await?
            .map(|t| t.table_status().cloned().unwrap_or(TableStatus::Active)))
    }

    /// The live table's status (`ACTIVE`, `CREATING`, ...), or `None` when it does not exist.
    pub async fn table_status(&self, name: &str) -> Result<Option<crate::TableStatus>> {
        Ok(self
            .describe_status(name)
            .await?
            .map(|s| crate::TableStatus::from_name(s.as_str())))
    }

    /// The live table as a definition, or `None` when it does not exist.
    ///
    /// The definition holds what DynamoDB knows: the key attributes (and the TTL attribute) with
    /// their types, indexes, billing, stream, TTL, tags and deletion protection. Non-key attributes
    /// are not part of a DynamoDB table and are not listed.
    pub async fn describe_table(&self, name: &str) -> Result<Option<TableDefinition>> {
        let Some(t) = self.raw_describe(name).await? else {
            return Ok(None);
        };
        let types: BTreeMap<&str, AttributeType> = t
            .attribute_definitions()
            .iter()
            .map(|a| (a.attribute_name(), attribute_type(a.attribute_type())))
            .collect();
        let (partition_key, sort_key) = keys(t.key_schema());
        let mut definition = TableDefinition::new(
            name,
            partition_key.unwrap_or_default(),
            types
                .get(partition_key.unwrap_or_default())
                .copied()
                .unwrap_or(AttributeType::String),
        );
        definition.sort_key = sort_key.map(str::to_owned);
        definition.attributes = t
            .attribute_definitions()
            .iter()
            .map(|a| AttributeDefinition::new(a.attribute_name(), attribute_type(a.attribute_type())))
            .collect();

        let summary_mode = t.billing_mode_summary().and_then(|b| b.billing_mode());
        let table_throughput = t.provisioned_throughput().and_then(capacity_of);
        definition.billing = match (summary_mode, table_throughput) {
            (Some(SdkBillingMode::PayPerRequest), _) | (_, None) => BillingMode::OnDemand,
            (_, Some(c)) => BillingMode::Provisioned(c),
        };
        let provisioned = matches!(definition.billing, BillingMode::Provisioned(_));

        definition.global_secondary_indexes = t
            .global_secondary_indexes()
            .iter()
            .map(|g| global_index(g, provisioned))
            .collect();
        definition.local_secondary_indexes = t
            .local_secondary_indexes()
            .iter()
            .map(|l| LocalSecondaryIndex {
                name: l.index_name().unwrap_or_default().to_owned(),
                sort_key: keys(l.key_schema()).1.unwrap_or_default().to_owned(),
                projection: projection(l.projection()),
            })
            .collect();
        definition.stream = t
            .stream_specification()
            .filter(|s| s.stream_enabled())
            .and_then(|s| s.stream_view_type())
            .and_then(|v| stream_view(v.as_str()));
        definition.deletion_protection = t.deletion_protection_enabled().unwrap_or(false);

        let ttl = self
            .sdk()
            .describe_time_to_live()
            .table_name(self.physical_table_name(name))
            .send()
            .await
            .map_err(|e| from_sdk(name, e))?;
        definition.ttl_attribute = ttl
            .time_to_live_description()
            .filter(|d| {
                matches!(
                    d.time_to_live_status(),
                    Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                )
            })
            .and_then(|d| d.attribute_name())
            .map(str::to_owned);
        if let Some(ttl) = definition.ttl_attribute.clone()
            && definition.attribute(&ttl).is_none()
        {
            definition
                .attributes
                .push(AttributeDefinition::new(ttl, AttributeType::Number));
        }

        if let Some(arn) = t.table_arn() {
            let mut token = None;
            loop {
                let out = self
                    .sdk()
                    .list_tags_of_resource()
                    .resource_arn(arn)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| from_sdk(name, e))?;
                for tag in out.tags() {
                    definition
                        .tags
                        .insert(tag.key().to_owned(), tag.value().to_owned());
                }
                token = out.next_token;
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(Some(definition))
    }

    /// Every difference between a definition and its live table, in words (empty when they
    /// match); [`Error::TableNotFound`] when the table does not exist.
    ///
    /// Compared: key schema, key attribute types, global and local indexes (keys, projection,
    /// provisioned capacity), billing, stream, TTL, deletion protection and tags (tags AWS adds
    /// itself, `aws:*`, are ignored).
    pub async fn compare_table(&self, definition: &TableDefinition) -> Result<Vec<String>> {
        match self.describe_table(&definition.name).await? {
            Some(live) => Ok(differences(definition, &live)),
            None => Err(Error::TableNotFound {
                table: definition.name.clone(),
                message: "the table does not exist".to_owned(),
            }),
        }
    }
}

impl<T: Table> TableClient<T> {
    /// Creates this table from `T`'s definition, under this client's table name (idempotent, as
    /// [`Client::create_table`]).
    pub async fn create(&self) -> Result<()> {
        let mut definition = T::definition().clone();
        definition.name = self.name.clone();
        self.client.create_table(&definition).await
    }

    /// This table's status (`ACTIVE`, `CREATING`, ...), or `None` when it does not exist
    /// (dynamo_query's `get_table_status`); see [`Client::table_status`].
    pub async fn status(&self) -> Result<Option<crate::TableStatus>> {
        self.client.table_status(&self.name).await
    }
}

fn sdk_scalar(s: ScalarType) -> ScalarAttributeType {
    match s {
        ScalarType::S => ScalarAttributeType::S,
        ScalarType::N => ScalarAttributeType::N,
        ScalarType::B => ScalarAttributeType::B,
    }
}

fn attribute_type(s: &ScalarAttributeType) -> AttributeType {
    match s {
        ScalarAttributeType::N => AttributeType::Number,
        ScalarAttributeType::B => AttributeType::Binary,
        _ => AttributeType::String,
    }
}

fn key_schema(table: &str, partition: &str, sort: Option<&str>) -> Result<Vec<sdk::KeySchemaElement>> {
    let element = |name: &str, key_type| {
        sdk::KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| build_error(table, e))
    };
    let mut schema = vec![element(partition, KeyType::Hash)?];
    if let Some(sort) = sort {
        schema.push(element(sort, KeyType::Range)?);
    }
    Ok(schema)
}

/// A described global index as a definition: every HASH and RANGE element, in order (a
/// multi-attribute key has several), its projection and, on a provisioned table, its capacity.
fn global_index(g: &sdk::GlobalSecondaryIndexDescription, provisioned: bool) -> GlobalSecondaryIndex {
    let names = |t: KeyType| -> Vec<&str> {
        g.key_schema()
            .iter()
            .filter(|k| *k.key_type() == t)
            .map(|k| k.attribute_name())
            .collect()
    };
    let mut index = GlobalSecondaryIndex::multi(
        g.index_name().unwrap_or_default(),
        names(KeyType::Hash),
        names(KeyType::Range),
    );
    index.projection = projection(g.projection());
    index.capacity = if provisioned {
        g.provisioned_throughput().and_then(capacity_of)
    } else {
        None
    };
    index
}

/// A global index's key schema: every partition-key attribute (HASH), then every sort-key
/// attribute (RANGE), in order — several of each for a multi-attribute key.
pub(crate) fn index_key_schema(
    table: &str,
    index: &GlobalSecondaryIndex,
) -> Result<Vec<sdk::KeySchemaElement>> {
    let hash = index.partition_keys().into_iter().map(|n| (n, KeyType::Hash));
    let range = index.sort_keys().into_iter().map(|n| (n, KeyType::Range));
    hash.chain(range)
        .map(|(name, key_type)| {
            sdk::KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(|e| build_error(table, e))
        })
        .collect()
}

fn keys(schema: &[sdk::KeySchemaElement]) -> (Option<&str>, Option<&str>) {
    let find = |t: KeyType| {
        schema
            .iter()
            .find(|k| *k.key_type() == t)
            .map(|k| k.attribute_name())
    };
    (find(KeyType::Hash), find(KeyType::Range))
}

/// The SDK's provisioned throughput for a capacity (shared with [`crate::migrate`]).
pub(crate) fn throughput(table: &str, c: Capacity) -> Result<sdk::ProvisionedThroughput> {
    let units = |u: u64| i64::try_from(u).unwrap_or(i64::MAX);
    sdk::ProvisionedThroughput::builder()
        .read_capacity_units(units(c.read))
        .write_capacity_units(units(c.write))
        .build()
        .map_err(|e| build_error(table, e))
}

fn capacity_of(t: &sdk::ProvisionedThroughputDescription) -> Option<Capacity> {
    let read = u64::try_from(t.read_capacity_units()?).ok()?;
    let write = u64::try_from(t.write_capacity_units()?).ok()?;
    (read > 0 || write > 0).then_some(Capacity { read, write })
}

/// The SDK's projection for a definition's (shared with [`crate::migrate`]).
pub(crate) fn sdk_projection(p: &Projection) -> sdk::Projection {
    let b = sdk::Projection::builder();
    match p {
        Projection::KeysOnly => b.projection_type(ProjectionType::KeysOnly),
        Projection::All => b.projection_type(ProjectionType::All),
        Projection::Include(attrs) => b
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attrs.clone())),
    }
    .build()
}

fn projection(p: Option<&sdk::Projection>) -> Projection {
    match p.and_then(|p| p.projection_type().map(|t| (t, p.non_key_attributes()))) {
        Some((ProjectionType::KeysOnly, _)) => Projection::KeysOnly,
        Some((ProjectionType::Include, attrs)) => Projection::Include(attrs.to_vec()),
        _ => Projection::All,
    }
}

fn stream_view(s: &str) -> Option<StreamViewType> {
    Some(match s {
        "KEYS_ONLY" => StreamViewType::KeysOnly,
        "NEW_IMAGE" => StreamViewType::NewImage,
        "OLD_IMAGE" => StreamViewType::OldImage,
        "NEW_AND_OLD_IMAGES" => StreamViewType::NewAndOldImages,
        _ => return None,
    })
}

/// A billing mode in words (shared with [`crate::migrate`]).
pub(crate) fn show_billing(b: &BillingMode) -> String {
    match b {
        BillingMode::OnDemand => "on demand".to_owned(),
        BillingMode::Provisioned(c) => format!("provisioned ({} read, {} write)", c.read, c.write),
    }
}

fn show_projection(p: &Projection) -> String {
    match p {
        Projection::Include(attrs) => {
            let sorted: BTreeSet<&String> = attrs.iter().collect();
            format!(
                "INCLUDE ({})",
                sorted
                    .into_iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => other.type_name().to_owned(),
    }
}

fn show<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| format!("`{v}`"))
}

fn differ(out: &mut Vec<String>, what: String, a: String, b: String) {
    if a != b {
        out.push(format!("{what}: definition {a}, table {b}"));
    }
}

/// Every difference between a definition (`want`) and a described live table (`live`), in words.
/// Key attribute names as a difference shows them: `` `a` ``, `` `a`, `b` `` or `none`.
fn show_names(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn differences(want: &TableDefinition, live: &TableDefinition) -> Vec<String> {
    let mut out = Vec::new();
    differ(
        &mut out,
        "partition key".into(),
        format!("`{}`", want.partition_key),
        format!("`{}`", live.partition_key),
    );
    differ(
        &mut out,
        "sort key".into(),
        show(want.sort_key.as_deref()),
        show(live.sort_key.as_deref()),
    );
    for key in want.key_attributes() {
        let (a, b) = (want.key_type(key), live.key_type(key));
        if b.is_some() {
            differ(
                &mut out,
                format!("type of key attribute `{key}`"),
                show(a.map(ScalarType::as_str)),
                show(b.map(ScalarType::as_str)),
            );
        }
    }

    global_index_differences(want, live, &mut out);
    local_index_differences(want, live, &mut out);
    differ(
        &mut out,
        "billing".into(),
        show_billing(&want.billing),
        show_billing(&live.billing),
    );
    differ(
        &mut out,
        "stream".into(),
        want.stream
            .map_or("disabled".to_owned(), |s| s.as_str().to_owned()),
        live.stream
            .map_or("disabled".to_owned(), |s| s.as_str().to_owned()),
    );
    differ(
        &mut out,
        "TTL attribute".into(),
        show(want.ttl_attribute.as_deref()),
        show(live.ttl_attribute.as_deref()),
    );
    let onoff = |b: bool| if b { "on" } else { "off" }.to_owned();
    differ(
        &mut out,
        "deletion protection".into(),
        onoff(want.deletion_protection),
        onoff(live.deletion_protection),
    );
    let keys: BTreeSet<&String> = want
        .tags
        .keys()
        .chain(live.tags.keys().filter(|k| !k.starts_with("aws:")))
        .collect();
    for k in keys {
        differ(
            &mut out,
            format!("tag `{k}`"),
            show(want.tags.get(k)),
            show(live.tags.get(k)),
        );
    }
    out
}

/// The differences in global indexes: each one's keys, projection and capacity.
fn global_index_differences(want: &TableDefinition, live: &TableDefinition, out: &mut Vec<String>) {
    let want_capacity = match want.billing {
        BillingMode::Provisioned(c) => Some(c),
        BillingMode::OnDemand => None,
    };
    let live_capacity = match live.billing {
        BillingMode::Provisioned(c) => Some(c),
        BillingMode::OnDemand => None,
    };
    for g in &want.global_secondary_indexes {
        let what = |w: &str| format!("global index `{}` {w}", g.name);
        match live.global_secondary_indexes.iter().find(|l| l.name == g.name) {
            None => out.push(format!(
                "global index `{}` is in the definition but not in the table",
                g.name
            )),
            Some(l) => {
                differ(
                    out,
                    what("partition key"),
                    show_names(&g.partition_keys()),
                    show_names(&l.partition_keys()),
                );
                differ(
                    out,
                    what("sort key"),
                    show_names(&g.sort_keys()),
                    show_names(&l.sort_keys()),
                );
                differ(
                    out,
                    what("projection"),
                    show_projection(&g.projection),
                    show_projection(&l.projection),
                );
                if want_capacity.is_some() && live_capacity.is_some() {
                    let cap = |c: Option<Capacity>| {
                        c.map_or("none".to_owned(), |c| {
                            format!("{} read, {} write", c.read, c.write)
                        })
                    };
                    differ(
                        out,
                        what("capacity"),
                        cap(g.capacity.or(want_capacity)),
                        cap(l.capacity.or(live_capacity)),
                    );
                }
            }
        }
    }
    for l in &live.global_secondary_indexes {
        if !want.global_secondary_indexes.iter().any(|g| g.name == l.name) {
            out.push(format!(
                "global index `{}` is in the table but not in the definition",
                l.name
            ));
        }
    }
}

/// The differences in local indexes: each one's sort key and projection.
fn local_index_differences(want: &TableDefinition, live: &TableDefinition, out: &mut Vec<String>) {
    for w in &want.local_secondary_indexes {
        match live.local_secondary_indexes.iter().find(|l| l.name == w.name) {
            None => out.push(format!(
                "local index `{}` is in the definition but not in the table",
                w.name
            )),
            Some(l) => {
                let what = |x: &str| format!("local index `{}` {x}", w.name);
                differ(
                    out,
                    what("sort key"),
                    format!("`{}`", w.sort_key),
                    format!("`{}`", l.sort_key),
                );
                differ(
                    out,
                    what("projection"),
                    show_projection(&w.projection),
                    show_projection(&l.projection),
                );
            }
        }
    }
    for l in &live.local_secondary_indexes {
        if !want.local_secondary_indexes.iter().any(|w| w.name == l.name) {
            out.push(format!(
                "local index `{}` is in the table but not in the definition",
                l.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_definitions_have_no_differences() {
        let d = TableDefinition::new("users", "id", AttributeType::String);
        assert!(differences(&d, &d).is_empty());
    }

    #[test]
    fn differences_name_both_sides() {
        let want = TableDefinition::new("users", "id", AttributeType::String);
        let mut live = TableDefinition::new("users", "id", AttributeType::Number);
        live.stream = Some(StreamViewType::NewImage);
        live.tags
            .insert("aws:cloudformation:stack-name".into(), "x".into());
        let d = differences(&want, &live);
        assert_eq!(
            d,
            vec![
                "type of key attribute `id`: definition `S`, table `N`".to_owned(),
                "stream: definition disabled, table NEW_IMAGE".to_owned(),
            ]
        );
    }
}

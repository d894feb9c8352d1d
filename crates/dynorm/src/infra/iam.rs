//! Least-privilege IAM policies for an [`AccessLevel`] over a set of tables.
//!
//! | level | on the tables | on their indexes | on their streams |
//! |---|---|---|---|
//! | `read` | `BatchGetItem`, `ConditionCheckItem`, `DescribeTable`, `GetItem`, `Query`, `Scan` | `Query`, `Scan` | |
//! | `write` | `BatchGetItem`, `BatchWriteItem`, `ConditionCheckItem`, `DeleteItem`, `DescribeTable`, `GetItem`, `PutItem`, `UpdateItem` | | |
//! | `read-write` | both lists | `Query`, `Scan` | |
//! | `stream-read` | | | `DescribeStream`, `GetRecords`, `GetShardIterator` (+ `ListStreams` on `*`) |
//!
//! What each of dynorm's operations calls, and so which levels allow it:
//!
//! | dynorm operation | DynamoDB actions | `read` | `write` | `read-write` |
//! |---|---|---|---|---|
//! | `get`, `get_or_fail`, transactional gets | `GetItem` | ✓ | ✓ | ✓ |
//! | `batch_get` | `BatchGetItem` | ✓ | ✓ | ✓ |
//! | `query`, `scan` (table or index) | `Query`, `Scan` | ✓ | | ✓ |
//! | `put`, `save`, `delete`, `update`, `upsert` | `PutItem`, `DeleteItem`, `UpdateItem` | | ✓ | ✓ |
//! | `batch_put`, `batch_delete` | `BatchWriteItem` (`PutItem` per item on a versioned table) | | ✓ | ✓ |
//! | `batch_upsert` (one conditional upsert per item) | `UpdateItem` | | ✓ | ✓ |
//! | transactional writes and condition checks | `PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem` | | ✓ | ✓ |
//! | `clear`, `clear_partition` (find the keys, delete them) | `Scan`/`Query`, `BatchWriteItem` | | | ✓ |
//! | entity backfill (read every item, rewrite its keys, re-read on a conflict) | `Scan`, `UpdateItem`, `GetItem` | | | ✓ |
//!
//! `write` includes `GetItem` and `BatchGetItem` because some writes read the stored item first
//! (entity updates with `read_first`, key backfill re-reading after a conflict).
//!
//! Transactions have no actions of their own: `TransactGetItems` is authorised by `GetItem`, and
//! `TransactWriteItems` by `PutItem`/`UpdateItem`/`DeleteItem` plus `ConditionCheckItem` for its
//! condition checks, which is why both levels carry `ConditionCheckItem`. Index ARNs are listed
//! one by one and only for indexes that exist; a table without indexes gets no index statement.
//! `ListStreams` does not support resource-level permissions, so it gets its own statement on
//! `*`.
//!
//! A [`Consumer`] (Stelvio's `links`: a function or service given access to some tables) gets one
//! policy with each table at its own level ([`consumer_policy_document`],
//! [`consumers_cloudformation`], [`consumers_terraform`]).
//!
//! Three renderings: a plain policy document with concrete ARNs ([`policy_document`]), a
//! CloudFormation template with an `AWS::IAM::ManagedPolicy` ([`cloudformation_policy`]), and
//! Terraform JSON with a `data.aws_iam_policy_document` and an `aws_iam_policy`
//! ([`terraform_policy`]).
//!
//! ```
//! use dynorm::definition::{AttributeType, TableDefinition};
//! use dynorm::infra::iam::{policy_document, AccessLevel, ArnContext};
//!
//! let users = TableDefinition::new("users", "id", AttributeType::String);
//! let arns = ArnContext::new("eu-west-1", "123456789012", "prod");
//! let policy = policy_document(&[users], AccessLevel::Read, &arns)?.to_json();
//! assert!(policy.contains("arn:aws:dynamodb:eu-west-1:123456789012:table/prod-users"));
//! assert!(!policy.contains("/index/"));
//! # Ok::<(), dynorm::infra::InfraError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::definition::TableDefinition;

use super::cloudformation::{STAGE_PARAMETER, stage_parameter};
use super::terraform::{resource_names, stage_variable};
use super::{Document, ExportOptions, InfraError, MapBuilder, Node, check_name, check_tables, pascal_case};

/// The policy language version every document declares.
pub const POLICY_VERSION: &str = "2012-10-17";

const READ_ACTIONS: [&str; 6] = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
// Reading the stored item is part of writing without overwriting what must be kept (upserts,
// batch upserts, immutable attributes), hence `GetItem` and `BatchGetItem`.
const WRITE_ACTIONS: [&str; 8] = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];
const INDEX_ACTIONS: [&str; 2] = ["dynamodb:Query", "dynamodb:Scan"];
const STREAM_ACTIONS: [&str; 3] = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
];
const LIST_STREAMS: &str = "dynamodb:ListStreams";

/// What a policy lets its holder do. Schema files write `read`, `write`, `read-write` and
/// `stream-read` (the `_` spellings are read too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AccessLevel {
    /// Get, batch get, query, scan, condition checks, describe (and transactional gets).
    Read,
    /// Put, update, delete, batch write, condition checks, describe (and transactional writes),
    /// and the gets that upserts make to keep what is stored.
    Write,
    /// Everything `Read` and `Write` allow.
    #[serde(alias = "read_write")]
    ReadWrite,
    /// Read the tables' streams.
    #[serde(alias = "stream_read")]
    StreamRead,
}

impl AccessLevel {
    /// Every level, in a stable order.
    pub const ALL: [AccessLevel; 4] = [
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::ReadWrite,
        AccessLevel::StreamRead,
    ];

    /// The level's name: `read`, `write`, `read_write` or `stream_read` (schema files write
    /// `read-write` and `stream-read`; both spellings are read).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
            AccessLevel::ReadWrite => "read_write",
            AccessLevel::StreamRead => "stream_read",
        }
    }

    /// The actions allowed on table ARNs, sorted.
    pub fn table_actions(self) -> Vec<&'static str> {
        let mut actions: Vec<&'static str> = match self {
            AccessLevel::Read => READ_ACTIONS.to_vec(),
            AccessLevel::Write => WRITE_ACTIONS.to_vec(),
            AccessLevel::ReadWrite => READ_ACTIONS.iter().chain(&WRITE_ACTIONS).copied().collect(),
            AccessLevel::StreamRead => Vec::new(),
        };
        actions.sort_unstable();
        actions.dedup();
        actions
    }

    /// The actions allowed on index ARNs, sorted.
    pub fn index_actions(self) -> Vec<&'static str> {
        match self {
            AccessLevel::Read | AccessLevel::ReadWrite => INDEX_ACTIONS.to_vec(),
            AccessLevel::Write | AccessLevel::StreamRead => Vec::new(),
        }
    }

    /// The actions allowed on stream ARNs, sorted (`ListStreams`, which needs `*`, is not one).
    pub fn stream_actions(self) -> Vec<&'static str> {
        match self {
            AccessLevel::StreamRead => STREAM_ACTIONS.to_vec(),
            _ => Vec::new(),
        }
    }
}

impl AccessLevel {
    /// A capitalised phrase for descriptions: `Read`, `Write`, `Read and write`, `Stream read`.
    fn label(self) -> &'static str {
        match self {
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::ReadWrite => "Read and write",
            AccessLevel::StreamRead => "Stream read",
        }
    }
}

/// What a policy grants, for descriptions: `Read access to DynamoDB tables orders, users`.
fn summary(level: AccessLevel, tables: &[TableDefinition]) -> String {
    let names = tables
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if tables.len() == 1 { "table" } else { "tables" };
    format!("{} access to DynamoDB {noun} {names}", level.label())
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An access level name that is not one of `read`, `write`, `read_write`, `stream_read`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown access level `{0}`: expected read, write, read_write or stream_read")]
pub struct UnknownAccessLevel(pub String);

impl FromStr for AccessLevel {
    type Err = UnknownAccessLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.replace('-', "_").as_str() {
            "read" => Ok(AccessLevel::Read),
            "write" => Ok(AccessLevel::Write),
            "read_write" => Ok(AccessLevel::ReadWrite),
            "stream_read" => Ok(AccessLevel::StreamRead),
            _ => Err(UnknownAccessLevel(s.to_owned())),
        }
    }
}

/// Where concrete ARNs point: partition, region, account and stage.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArnContext {
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The 12-digit account ID.
    pub account_id: String,
    /// The stage prefixed to table names.
    pub stage: String,
}

impl ArnContext {
    /// ARNs in the `aws` partition.
    pub fn new(region: impl Into<String>, account_id: impl Into<String>, stage: impl Into<String>) -> Self {
        Self {
            partition: "aws".to_owned(),
            region: region.into(),
            account_id: account_id.into(),
            stage: stage.into(),
        }
    }

    /// The same ARNs in another partition.
    #[must_use]
    pub fn with_partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = partition.into();
        self
    }

    fn check(&self) -> Result<(), InfraError> {
        check_name("stage", &self.stage)?;
        if self.account_id.len() != 12 || !self.account_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(InfraError::InvalidName {
                what: "account ID",
                name: self.account_id.clone(),
                reason: "it must be 12 digits",
            });
        }
        let simple = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !simple(&self.region) {
            return Err(InfraError::InvalidName {
                what: "region",
                name: self.region.clone(),
                reason: "it must be lower-case letters, digits and `-`",
            });
        }
        if !simple(&self.partition) {
            return Err(InfraError::InvalidName {
                what: "partition",
                name: self.partition.clone(),
                reason: "it must be lower-case letters, digits and `-`",
            });
        }
        Ok(())
    }
}

/// One statement before rendering: its Sid, actions, and resources (each a rendered node).
struct Statement {
    sid: &'static str,
    actions: Vec<&'static str>,
    resources: Vec<Node>,
}

/// One table of a policy, its position among the policy's tables (for Terraform references),
/// and the access granted to it.
type Grant<'a> = (usize, &'a TableDefinition, AccessLevel);

/// Builds the statements of `level` on every table (a table without a stream refused for
/// stream read), with `arn(table, suffix)` rendering a table ARN plus a suffix (`""`,
/// `/index/<name>`, `/stream/*`).
fn statements(
    tables: &[TableDefinition],
    level: AccessLevel,
    arn: &dyn Fn(usize, &TableDefinition, &str) -> Node,
) -> Result<Vec<Statement>, InfraError> {
    check_tables(tables)?;
    let grants: Vec<Grant<'_>> = tables.iter().enumerate().map(|(i, t)| (i, t, level)).collect();
    grant_statements(&grants, arn)
}

/// The statements of a policy granting each table its own level: one statement per level on
/// the tables, one on the indexes of every table whose level queries them, one on the streams.
fn grant_statements(
    grants: &[Grant<'_>],
    arn: &dyn Fn(usize, &TableDefinition, &str) -> Node,
) -> Result<Vec<Statement>, InfraError> {
    let mut out = Vec::new();
    for level in [AccessLevel::Read, AccessLevel::Write, AccessLevel::ReadWrite] {
        let resources: Vec<Node> = grants
            .iter()
            .filter(|(_, _, l)| *l == level)
            .map(|(i, t, _)| arn(*i, t, ""))
            .collect();
        if !resources.is_empty() {
            out.push(Statement {
                sid: match level {
                    AccessLevel::Read => "ReadItems",
                    AccessLevel::Write => "WriteItems",
                    _ => "ReadWriteItems",
                },
                actions: level.table_actions(),
                resources,
            });
        }
    }
    let index_resources: Vec<Node> = grants
        .iter()
        .filter(|(_, _, l)| !l.index_actions().is_empty())
        .flat_map(|(i, t, _)| {
            let names = t
                .global_secondary_indexes
                .iter()
                .map(|g| g.name.as_str())
                .chain(t.local_secondary_indexes.iter().map(|l| l.name.as_str()));
            names
                .map(|n| arn(*i, t, &format!("/index/{n}")))
                .collect::<Vec<_>>()
        })
        .collect();
    if !index_resources.is_empty() {
        out.push(Statement {
            sid: "QueryIndexes",
            actions: INDEX_ACTIONS.to_vec(),
            resources: index_resources,
        });
    }
    let streams: Vec<&Grant<'_>> = grants
        .iter()
        .filter(|(_, _, l)| *l == AccessLevel::StreamRead)
        .collect();
    if let Some((_, t, _)) = streams.iter().find(|(_, t, _)| t.stream.is_none()) {
        return Err(InfraError::NoStream {
            table: t.name.clone(),
        });
    }
    if !streams.is_empty() {
        out.push(Statement {
            sid: "ReadStreams",
            actions: STREAM_ACTIONS.to_vec(),
            resources: streams.iter().map(|(i, t, _)| arn(*i, t, "/stream/*")).collect(),
        });
        out.push(Statement {
            sid: "ListStreams",
            actions: vec![LIST_STREAMS],
            resources: vec![Node::str("*")],
        });
    }
    Ok(out)
}

fn policy_node(statements: Vec<Statement>) -> Node {
    let statements = statements
        .into_iter()
        .map(|s| {
            MapBuilder::new()
                .with("Sid", Node::str(s.sid))
                .with("Effect", Node::str("Allow"))
                .with("Action", Node::strs(s.actions))
                .with("Resource", Node::Seq(s.resources))
                .build()
        })
        .collect();
    MapBuilder::new()
        .with("Version", Node::str(POLICY_VERSION))
        .with("Statement", Node::Seq(statements))
        .build()
}

/// A plain IAM policy document with concrete ARNs
/// (`arn:aws:dynamodb:<region>:<account>:table/<stage>-<name>`).
pub fn policy_document(
    tables: &[TableDefinition],
    level: AccessLevel,
    context: &ArnContext,
) -> Result<Document, InfraError> {
    context.check()?;
    let arn = |_: usize, t: &TableDefinition, suffix: &str| {
        Node::str(format!(
            "arn:{}:dynamodb:{}:{}:table/{}{suffix}",
            context.partition,
            context.region,
            context.account_id,
            super::physical_name(&context.stage, &t.name)
        ))
    };
    Ok(Document(policy_node(statements(tables, level, &arn)?)))
}

/// A CloudFormation template with the `Stage` parameter and one `AWS::IAM::ManagedPolicy`
/// (logical ID `<Name><Level>Policy`) whose ARNs are built with `Fn::Sub` from
/// `AWS::Partition`, `AWS::Region`, `AWS::AccountId` and `Stage`; the policy ARN is an output.
///
/// `name` names the policy (letters, digits, `_`, `-`, `.`), e.g. the service it is for.
pub fn cloudformation_policy(
    name: &str,
    tables: &[TableDefinition],
    level: AccessLevel,
    options: &ExportOptions,
) -> Result<Document, InfraError> {
    check_name("policy name", name)?;
    let policy = CfnPolicy {
        id: format!("{}{}Policy", pascal_case(name), pascal_case(level.as_str())),
        description: format!("{} (policy {name})", summary(level, tables)),
        output: format!("ARN of the {name} {} policy", level.label().to_lowercase()),
        statements: statements(tables, level, &cfn_arn)?,
    };
    let description = format!("{} (policy {name}, generated by dynorm)", summary(level, tables));
    cfn_template(description, vec![policy], options)
}

/// A table ARN in CloudFormation, built with `Fn::Sub` (the stage is a parameter).
fn cfn_arn(_: usize, t: &TableDefinition, suffix: &str) -> Node {
    Node::sub(format!(
        "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/${{{STAGE_PARAMETER}}}-{}{suffix}",
        t.name
    ))
}

/// One managed policy of a CloudFormation template.
struct CfnPolicy {
    id: String,
    description: String,
    output: String,
    statements: Vec<Statement>,
}

/// A template with the `Stage` parameter, the policies, and an output with each policy's ARN.
fn cfn_template(
    description: String,
    policies: Vec<CfnPolicy>,
    options: &ExportOptions,
) -> Result<Document, InfraError> {
    if let Some(stage) = &options.default_stage {
        check_name("default stage", stage)?;
    }
    let mut resources = MapBuilder::new();
    let mut outputs = MapBuilder::new();
    for p in policies {
        let policy = MapBuilder::new()
            .with("Type", Node::str("AWS::IAM::ManagedPolicy"))
            .with(
                "Properties",
                MapBuilder::new()
                    .with("Description", Node::str(p.description))
                    .with("PolicyDocument", policy_node(p.statements))
                    .build(),
            )
            .build();
        let output = MapBuilder::new()
            .with("Description", Node::str(p.output))
            .with("Value", Node::reference(p.id.clone()))
            .with(
                "Export",
                MapBuilder::new()
                    .with("Name", Node::sub(format!("${{AWS::StackName}}-{}Arn", p.id)))
                    .build(),
            )
            .build();
        outputs = outputs.with(format!("{}Arn", p.id), output);
        resources = resources.with(p.id, policy);
    }
    Ok(Document(
        MapBuilder::new()
            .with("AWSTemplateFormatVersion", Node::str("2010-09-09"))
            .with("Description", Node::str(description))
            .with("Parameters", stage_parameter(options))
            .with("Resources", resources.build())
            .with("Outputs", outputs.build())
            .build(),
    ))
}

/// Terraform JSON with a `data.aws_iam_policy_document` and an `aws_iam_policy` named
/// `${var.stage}-<name>-<level>`.
///
/// Resources reference the `aws_dynamodb_table` resources of [`terraform::module`]
/// (`${aws_dynamodb_table.users.arn}/index/by-email`), so the two files belong in one module,
/// which also declares `variable "stage"`.
///
/// [`terraform::module`]: super::terraform::module
pub fn terraform_policy(
    name: &str,
    tables: &[TableDefinition],
    level: AccessLevel,
) -> Result<Document, InfraError> {
    check_name("policy name", name)?;
    check_tables(tables)?;
    let names = resource_names(tables);
    let policy = TfPolicy {
        resource: format!("{}_{}", super::terraform_name(name), level.as_str()),
        name: format!("{name}-{}", level.as_str().replace('_', "-")),
        description: format!("{} (policy {name})", summary(level, tables)),
        output: format!("ARN of the {name} {} policy", level.label().to_lowercase()),
        statements: statements(tables, level, &tf_arn(&names))?,
    };
    Ok(tf_document(vec![policy]))
}

/// A table ARN in Terraform: a reference to the table resource of [`super::terraform::module`].
fn tf_arn(names: &[String]) -> impl Fn(usize, &TableDefinition, &str) -> Node + '_ {
    move |i: usize, _: &TableDefinition, suffix: &str| {
        let resource = names.get(i).map_or("", String::as_str);
        Node::str(format!("${{aws_dynamodb_table.{resource}.arn}}{suffix}"))
    }
}

/// One `aws_iam_policy` of a Terraform document, with its policy document and output.
struct TfPolicy {
    resource: String,
    /// The policy's name after the stage.
    name: String,
    description: String,
    output: String,
    statements: Vec<Statement>,
}

fn tf_document(policies: Vec<TfPolicy>) -> Document {
    let mut data = MapBuilder::new();
    let mut resources = MapBuilder::new();
    let mut outputs = MapBuilder::new();
    for p in policies {
        let statements = p
            .statements
            .into_iter()
            .map(|s| {
                MapBuilder::new()
                    .with("sid", Node::str(s.sid))
                    .with("effect", Node::str("Allow"))
                    .with("actions", Node::strs(s.actions))
                    .with("resources", Node::Seq(s.resources))
                    .build()
            })
            .collect();
        let resource = p.resource;
        data = data.with(
            resource.clone(),
            MapBuilder::new().with("statement", Node::Seq(statements)).build(),
        );
        resources = resources.with(
            resource.clone(),
            MapBuilder::new()
                .with("name", Node::str(format!("${{var.stage}}-{}", p.name)))
                .with("description", Node::str(p.description))
                .with(
                    "policy",
                    Node::str(format!("${{data.aws_iam_policy_document.{resource}.json}}")),
                )
                .build(),
        );
        outputs = outputs.with(
            format!("{resource}_policy_arn"),
            MapBuilder::new()
                .with("description", Node::str(p.output))
                .with("value", Node::str(format!("${{aws_iam_policy.{resource}.arn}}")))
                .build(),
        );
    }
    Document(
        MapBuilder::new()
            .with(
                "data",
                MapBuilder::new()
                    .with("aws_iam_policy_document", data.build())
                    .build(),
            )
            .with(
                "resource",
                MapBuilder::new()
                    .with("aws_iam_policy", resources.build())
                    .build(),
            )
            .with("output", outputs.build())
            .build(),
    )
}

/// Something given access to some tables (Stelvio's `links`): a function, a service, a job. Each
/// table it names gets its own access level.
///
/// In a schema file (TOML):
///
/// ```toml
/// [[consumers]]
/// name = "checkout"
/// tables = [
///     { table = "orders", access = "read-write" },
///     { table = "users", access = "read" },
/// ]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    /// Its name (letters, digits, `_`, `-`, `.`): the policy is named after it.
    pub name: String,
    /// The tables it may use, each with its access level.
    pub tables: Vec<TableAccess>,
}

/// A table a [`Consumer`] may use, and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableAccess {
    /// The table's name (as in the schema, without the stage).
    pub table: String,
    /// What the consumer may do with it.
    pub access: AccessLevel,
}

impl Consumer {
    /// A consumer with no tables yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            tables: Vec::new(),
        }
    }

    /// The consumer with access to one more table.
    #[must_use]
    pub fn with_table(mut self, table: impl Into<String>, access: AccessLevel) -> Self {
        self.tables.push(TableAccess {
            table: table.into(),
            access,
        });
        self
    }

    /// Every problem with the consumer against the schema's tables (empty when it is valid).
    pub fn problems(&self, tables: &[TableDefinition]) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = check_name("consumer name", &self.name) {
            problems.push(e.to_string());
        }
        if self.tables.is_empty() {
            problems.push(format!("consumer `{}` names no tables", self.name));
        }
        let mut seen = std::collections::BTreeSet::new();
        for access in &self.tables {
            if !seen.insert(access.table.as_str()) {
                problems.push(format!("table `{}` is named twice", access.table));
            }
            match tables.iter().find(|t| t.name == access.table) {
                None => problems.push(format!(
                    "table `{}` is not in the schema (its tables: {})",
                    access.table,
                    tables
                        .iter()
                        .map(|t| format!("`{}`", t.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(t) if access.access == AccessLevel::StreamRead && t.stream.is_none() => {
                    problems.push(format!(
                        "table `{}` has no stream, so its access cannot be `stream-read`",
                        access.table
                    ));
                }
                Some(_) => {}
            }
        }
        problems
    }

    /// The tables it names, each with its position in `tables` and its level.
    fn grants<'a>(&self, tables: &'a [TableDefinition]) -> Result<Vec<Grant<'a>>, InfraError> {
        check_name("consumer name", &self.name)?;
        self.tables
            .iter()
            .map(|a| {
                tables
                    .iter()
                    .enumerate()
                    .find(|(_, t)| t.name == a.table)
                    .map(|(i, t)| (i, t, a.access))
                    .ok_or_else(|| InfraError::UnknownTable {
                        consumer: self.name.clone(),
                        table: a.table.clone(),
                    })
            })
            .collect()
    }

    /// `read on orders, read-write on users`, for descriptions.
    fn summary(&self) -> String {
        let grants: Vec<String> = self
            .tables
            .iter()
            .map(|a| format!("{} on {}", a.access.as_str().replace('_', "-"), a.table))
            .collect();
        format!("Access of {} to DynamoDB: {}", self.name, grants.join(", "))
    }
}

/// The plain policy document of one consumer, with concrete ARNs; `tables` are the schema's.
pub fn consumer_policy_document(
    consumer: &Consumer,
    tables: &[TableDefinition],
    context: &ArnContext,
) -> Result<Document, InfraError> {
    context.check()?;
    check_tables(tables)?;
    let arn = |_: usize, t: &TableDefinition, suffix: &str| {
        Node::str(format!(
            "arn:{}:dynamodb:{}:{}:table/{}{suffix}",
            context.partition,
            context.region,
            context.account_id,
            super::physical_name(&context.stage, &t.name)
        ))
    };
    Ok(Document(policy_node(grant_statements(
        &consumer.grants(tables)?,
        &arn,
    )?)))
}

/// A CloudFormation template with one `AWS::IAM::ManagedPolicy` per consumer (logical ID
/// `<Consumer>Policy`) and its ARN as an output; `tables` are the schema's.
pub fn consumers_cloudformation(
    consumers: &[Consumer],
    tables: &[TableDefinition],
    options: &ExportOptions,
) -> Result<Document, InfraError> {
    check_tables(tables)?;
    let policies = consumers
        .iter()
        .map(|c| {
            Ok(CfnPolicy {
                id: format!("{}Policy", pascal_case(&c.name)),
                description: c.summary(),
                output: format!("ARN of the policy of {}", c.name),
                statements: grant_statements(&c.grants(tables)?, &cfn_arn)?,
            })
        })
        .collect::<Result<Vec<_>, InfraError>>()?;
    let names: Vec<&str> = consumers.iter().map(|c| c.name.as_str()).collect();
    cfn_template(
        format!("DynamoDB access of {} (generated by dynorm)", names.join(", ")),
        policies,
        options,
    )
}

/// Terraform JSON with one `aws_iam_policy` per consumer (named `${var.stage}-<consumer>`),
/// referencing the table resources of [`terraform::module`]; `tables` are the schema's.
///
/// [`terraform::module`]: super::terraform::module
pub fn consumers_terraform(
    consumers: &[Consumer],
    tables: &[TableDefinition],
) -> Result<Document, InfraError> {
    check_tables(tables)?;
    let names = resource_names(tables);
    let arn = tf_arn(&names);
    let policies = consumers
        .iter()
        .map(|c| {
            Ok(TfPolicy {
                resource: format!("{}_access", super::terraform_name(&c.name)),
                name: c.name.clone(),
                description: c.summary(),
                output: format!("ARN of the policy of {}", c.name),
                statements: grant_statements(&c.grants(tables)?, &arn)?,
            })
        })
        .collect::<Result<Vec<_>, InfraError>>()?;
    Ok(tf_document(policies))
}

/// Terraform needs `variable "stage"` once per module; [`terraform::module`] declares it. This
/// gives the same declaration for a module that holds only policies.
///
/// [`terraform::module`]: super::terraform::module
pub fn terraform_stage_variable(options: &ExportOptions) -> Document {
    Document(
        MapBuilder::new()
            .with("variable", stage_variable(options))
            .build(),
    )
}

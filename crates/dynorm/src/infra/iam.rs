//! Least-privilege IAM policies for an [`AccessLevel`] over a set of tables.
//!
//! | level | on the tables | on their indexes | on their streams |
//! |---|---|---|---|
//! | `read` | `BatchGetItem`, `ConditionCheckItem`, `DescribeTable`, `GetItem`, `Query`, `Scan` | `Query`, `Scan` | |
//! | `write` | `BatchWriteItem`, `ConditionCheckItem`, `DeleteItem`, `DescribeTable`, `PutItem`, `UpdateItem` | | |
//! | `read_write` | both lists | `Query`, `Scan` | |
//! | `stream_read` | | | `DescribeStream`, `GetRecords`, `GetShardIterator` (+ `ListStreams` on `*`) |
//!
//! Transactions have no actions of their own: `TransactGetItems` is authorised by `GetItem`, and
//! `TransactWriteItems` by `PutItem`/`UpdateItem`/`DeleteItem` plus `ConditionCheckItem` for its
//! condition checks, which is why both levels carry `ConditionCheckItem`. Index ARNs are listed
//! one by one and only for indexes that exist; a table without indexes gets no index statement.
//! `ListStreams` does not support resource-level permissions, so it gets its own statement on
//! `*`.
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
const WRITE_ACTIONS: [&str; 6] = [
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
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

/// What a policy lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AccessLevel {
    /// Get, batch get, query, scan, condition checks, describe (and transactional gets).
    Read,
    /// Put, update, delete, batch write, condition checks, describe (and transactional writes).
    Write,
    /// Everything `Read` and `Write` allow.
    ReadWrite,
    /// Read the tables' streams.
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

    /// The level's name: `read`, `write`, `read_write` or `stream_read`.
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

/// Builds the statements, with `arn(table, suffix)` rendering a table ARN plus a suffix
/// (`""`, `/index/<name>`, `/stream/*`).
fn statements(
    tables: &[TableDefinition],
    level: AccessLevel,
    arn: &dyn Fn(usize, &TableDefinition, &str) -> Node,
) -> Result<Vec<Statement>, InfraError> {
    check_tables(tables)?;
    let mut out = Vec::new();
    let table_actions = level.table_actions();
    if !table_actions.is_empty() {
        out.push(Statement {
            sid: match level {
                AccessLevel::Read => "ReadItems",
                AccessLevel::Write => "WriteItems",
                _ => "ReadWriteItems",
            },
            actions: table_actions,
            resources: tables.iter().enumerate().map(|(i, t)| arn(i, t, "")).collect(),
        });
    }
    let index_actions = level.index_actions();
    if !index_actions.is_empty() {
        let resources: Vec<Node> = tables
            .iter()
            .enumerate()
            .flat_map(|(i, t)| {
                let names = t
                    .global_secondary_indexes
                    .iter()
                    .map(|g| g.name.as_str())
                    .chain(t.local_secondary_indexes.iter().map(|l| l.name.as_str()));
                names
                    .map(move |n| arn(i, t, &format!("/index/{n}")))
                    .collect::<Vec<_>>()
            })
            .collect();
        if !resources.is_empty() {
            out.push(Statement {
                sid: "QueryIndexes",
                actions: index_actions,
                resources,
            });
        }
    }
    let stream_actions = level.stream_actions();
    if !stream_actions.is_empty() {
        if let Some(t) = tables.iter().find(|t| t.stream.is_none()) {
            return Err(InfraError::NoStream {
                table: t.name.clone(),
            });
        }
        out.push(Statement {
            sid: "ReadStreams",
            actions: stream_actions,
            resources: tables
                .iter()
                .enumerate()
                .map(|(i, t)| arn(i, t, "/stream/*"))
                .collect(),
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
    if let Some(stage) = &options.default_stage {
        check_name("default stage", stage)?;
    }
    let arn = |_: usize, t: &TableDefinition, suffix: &str| {
        Node::sub(format!(
            "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/${{{STAGE_PARAMETER}}}-{}{suffix}",
            t.name
        ))
    };
    let document = policy_node(statements(tables, level, &arn)?);
    let id = format!("{}{}Policy", pascal_case(name), pascal_case(level.as_str()));
    let policy = MapBuilder::new()
        .with("Type", Node::str("AWS::IAM::ManagedPolicy"))
        .with(
            "Properties",
            MapBuilder::new()
                .with(
                    "Description",
                    Node::str(format!("{} (policy {name})", summary(level, tables))),
                )
                .with("PolicyDocument", document)
                .build(),
        )
        .build();
    let output = MapBuilder::new()
        .with(
            "Description",
            Node::str(format!(
                "ARN of the {name} {} policy",
                level.label().to_lowercase()
            )),
        )
        .with("Value", Node::reference(id.clone()))
        .with(
            "Export",
            MapBuilder::new()
                .with("Name", Node::sub(format!("${{AWS::StackName}}-{id}Arn")))
                .build(),
        )
        .build();
    Ok(Document(
        MapBuilder::new()
            .with("AWSTemplateFormatVersion", Node::str("2010-09-09"))
            .with(
                "Description",
                Node::str(format!(
                    "{} (policy {name}, generated by dynorm)",
                    summary(level, tables)
                )),
            )
            .with("Parameters", stage_parameter(options))
            .with("Resources", MapBuilder::new().with(id.clone(), policy).build())
            .with(
                "Outputs",
                MapBuilder::new().with(format!("{id}Arn"), output).build(),
            )
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
    let arn = |i: usize, _: &TableDefinition, suffix: &str| {
        let resource = names.get(i).map_or("", String::as_str);
        Node::str(format!("${{aws_dynamodb_table.{resource}.arn}}{suffix}"))
    };
    let statements = statements(tables, level, &arn)?
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
    let resource = format!("{}_{}", super::terraform_name(name), level.as_str());
    Ok(Document(
        MapBuilder::new()
            .with(
                "data",
                MapBuilder::new()
                    .with(
                        "aws_iam_policy_document",
                        MapBuilder::new()
                            .with(
                                resource.clone(),
                                MapBuilder::new().with("statement", Node::Seq(statements)).build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .with(
                "resource",
                MapBuilder::new()
                    .with(
                        "aws_iam_policy",
                        MapBuilder::new()
                            .with(
                                resource.clone(),
                                MapBuilder::new()
                                    .with(
                                        "name",
                                        Node::str(format!(
                                            "${{var.stage}}-{name}-{}",
                                            level.as_str().replace('_', "-")
                                        )),
                                    )
                                    .with(
                                        "description",
                                        Node::str(format!("{} (policy {name})", summary(level, tables))),
                                    )
                                    .with(
                                        "policy",
                                        Node::str(format!(
                                            "${{data.aws_iam_policy_document.{resource}.json}}"
                                        )),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .with(
                "output",
                MapBuilder::new()
                    .with(
                        format!("{resource}_policy_arn"),
                        MapBuilder::new()
                            .with(
                                "description",
                                Node::str(format!(
                                    "ARN of the {name} {} policy",
                                    level.label().to_lowercase()
                                )),
                            )
                            .with("value", Node::str(format!("${{aws_iam_policy.{resource}.arn}}")))
                            .build(),
                    )
                    .build(),
            )
            .build(),
    ))
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

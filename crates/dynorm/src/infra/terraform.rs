//! Terraform JSON (`*.tf.json`): one `aws_dynamodb_table` resource per definition.
//!
//! Arguments and blocks carry the names of the AWS provider's `aws_dynamodb_table` schema
//! (`hash_key`, `range_key`, `attribute`, `global_secondary_index`, `local_secondary_index`, `ttl`,
//! `stream_enabled`, `point_in_time_recovery`, `deletion_protection_enabled`, ...). The module
//! declares `variable "stage"` and names each table `${var.stage}-<name>`; resource names come
//! from [`terraform_name`]. Outputs give each table's name and ARN.
//!
//! ```
//! use dynorm::definition::{AttributeType, TableDefinition};
//! use dynorm::infra::{terraform, ExportOptions};
//!
//! let users = TableDefinition::new("users", "id", AttributeType::String);
//! let json = terraform::module(&[users], &ExportOptions::default())?.to_json();
//! assert!(json.contains("\"name\": \"${var.stage}-users\""));
//! # Ok::<(), dynorm::infra::InfraError>(())
//! ```

use crate::definition::{BillingMode, Projection, TableDefinition};

use super::{
    Document, ExportOptions, InfraError, MapBuilder, Node, check_name, check_tables, terraform_name,
    unique_names,
};

/// The name of the stage variable.
pub const STAGE_VARIABLE: &str = "stage";

/// The first AWS provider version whose `aws_dynamodb_table` takes `global_secondary_index`
/// `key_schema` blocks (multi-attribute keys; provider CHANGELOG, 6.29.0). A module with such an
/// index requires it, so an older provider refuses the module instead of misreading it.
pub const MULTI_ATTRIBUTE_KEY_PROVIDER: &str = ">= 6.29.0";

/// Escapes text so Terraform reads it literally (`${` and `%{` start template sequences).
pub(crate) fn literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

fn lit(s: &str) -> Node {
    Node::str(literal(s))
}

/// Resource names for the tables, unique, in order.
pub(crate) fn resource_names(tables: &[TableDefinition]) -> Vec<String> {
    unique_names(tables.iter().map(|t| terraform_name(&t.name)))
}

/// The `variable` section declaring `stage`.
pub(crate) fn stage_variable(options: &ExportOptions) -> Node {
    let mut stage = MapBuilder::new().with("type", Node::str("string")).with(
        "description",
        Node::str("Deployment stage, prefixed to every table name (e.g. dev, prod)"),
    );
    if let Some(default) = &options.default_stage {
        stage.put("default", Node::str(default.clone()));
    }
    MapBuilder::new().with(STAGE_VARIABLE, stage.build()).build()
}

/// A Terraform JSON module declaring every table.
pub fn module(tables: &[TableDefinition], options: &ExportOptions) -> Result<Document, InfraError> {
    check_tables(tables)?;
    if let Some(stage) = &options.default_stage {
        check_name("default stage", stage)?;
    }
    let names = resource_names(tables);

    let mut resources = MapBuilder::new();
    let mut outputs = MapBuilder::new();
    for (table, name) in tables.iter().zip(&names) {
        resources.put(name.clone(), table_resource(table, options));
        let address = format!("aws_dynamodb_table.{name}");
        let mut output = |suffix: &str, description: String, attribute: &str| {
            outputs.put(
                format!("{name}_table_{suffix}"),
                MapBuilder::new()
                    .with("description", Node::str(description))
                    .with("value", Node::str(format!("${{{address}.{attribute}}}")))
                    .build(),
            );
        };
        output("name", format!("Name of the {} table", table.name), "name");
        output("arn", format!("ARN of the {} table", table.name), "arn");
        if table.stream.is_some() {
            output(
                "stream_arn",
                format!("Stream ARN of the {} table", table.name),
                "stream_arn",
            );
        }
    }

    let mut document = MapBuilder::new();
    if tables
        .iter()
        .flat_map(|t| &t.global_secondary_indexes)
        .any(|g| g.is_multi_attribute())
    {
        let aws = MapBuilder::new()
            .with("source", Node::str("hashicorp/aws"))
            .with("version", Node::str(MULTI_ATTRIBUTE_KEY_PROVIDER))
            .build();
        let providers = MapBuilder::new().with("aws", aws).build();
        document.put(
            "terraform",
            MapBuilder::new().with("required_providers", providers).build(),
        );
    }
    Ok(Document(
        document
            .with("variable", stage_variable(options))
            .with(
                "resource",
                MapBuilder::new()
                    .with("aws_dynamodb_table", resources.build())
                    .build(),
            )
            .with("output", outputs.build())
            .build(),
    ))
}

fn projection(m: &mut MapBuilder, p: &Projection) {
    m.put("projection_type", Node::str(p.type_name()));
    if let Projection::Include(attrs) = p {
        m.put(
            "non_key_attributes",
            Node::Seq(attrs.iter().map(|a| lit(a)).collect()),
        );
    }
}

fn table_resource(table: &TableDefinition, options: &ExportOptions) -> Node {
    let mut r = MapBuilder::new().with(
        "name",
        Node::str(format!("${{var.{STAGE_VARIABLE}}}-{}", table.name)),
    );
    let provisioned = match table.billing {
        BillingMode::OnDemand => {
            r.put("billing_mode", Node::str("PAY_PER_REQUEST"));
            None
        }
        BillingMode::Provisioned(c) => {
            r.put("billing_mode", Node::str("PROVISIONED"));
            Some(c)
        }
    };
    r.put("hash_key", lit(&table.partition_key));
    if let Some(sk) = &table.sort_key {
        r.put("range_key", lit(sk));
    }
    if let Some(c) = provisioned {
        r.put("read_capacity", Node::Int(c.read));
        r.put("write_capacity", Node::Int(c.write));
    }
    let attributes = table
        .key_attributes()
        .into_iter()
        .map(|name| {
            let scalar = table.key_type(name).map_or("S", |t| t.as_str());
            MapBuilder::new()
                .with("name", lit(name))
                .with("type", Node::str(scalar))
                .build()
        })
        .collect();
    r.put("attribute", Node::Seq(attributes));

    if !table.global_secondary_indexes.is_empty() {
        let gsis = table
            .global_secondary_indexes
            .iter()
            .map(|g| {
                let mut m = MapBuilder::new().with("name", lit(&g.name));
                if g.is_multi_attribute() {
                    // `hash_key` / `range_key` take one attribute each; several need
                    // `key_schema` blocks, HASH ones first, in order.
                    let hash = g.partition_keys().into_iter().map(|k| (k, "HASH"));
                    let range = g.sort_keys().into_iter().map(|k| (k, "RANGE"));
                    let blocks = hash
                        .chain(range)
                        .map(|(name, key_type)| {
                            MapBuilder::new()
                                .with("attribute_name", lit(name))
                                .with("key_type", Node::str(key_type))
                                .build()
                        })
                        .collect();
                    m.put("key_schema", Node::Seq(blocks));
                } else {
                    m.put("hash_key", lit(&g.partition_key));
                    if let Some(sk) = &g.sort_key {
                        m.put("range_key", lit(sk));
                    }
                }
                projection(&mut m, &g.projection);
                if let Some(table_capacity) = provisioned {
                    let c = g.capacity.unwrap_or(table_capacity);
                    m.put("read_capacity", Node::Int(c.read));
                    m.put("write_capacity", Node::Int(c.write));
                }
                m.build()
            })
            .collect();
        r.put("global_secondary_index", Node::Seq(gsis));
    }
    if !table.local_secondary_indexes.is_empty() {
        let lsis = table
            .local_secondary_indexes
            .iter()
            .map(|l| {
                let mut m = MapBuilder::new()
                    .with("name", lit(&l.name))
                    .with("range_key", lit(&l.sort_key));
                projection(&mut m, &l.projection);
                m.build()
            })
            .collect();
        r.put("local_secondary_index", Node::Seq(lsis));
    }
    if let Some(ttl) = &table.ttl_attribute {
        r.put(
            "ttl",
            MapBuilder::new()
                .with("attribute_name", lit(ttl))
                .with("enabled", Node::Bool(true))
                .build(),
        );
    }
    if let Some(stream) = table.stream {
        r.put("stream_enabled", Node::Bool(true));
        r.put("stream_view_type", Node::str(stream.as_str()));
    }
    r.put(
        "point_in_time_recovery",
        MapBuilder::new()
            .with("enabled", Node::Bool(options.point_in_time_recovery))
            .build(),
    );
    r.put(
        "deletion_protection_enabled",
        Node::Bool(table.deletion_protection),
    );
    if !table.tags.is_empty() {
        let mut tags = MapBuilder::new();
        for (k, v) in &table.tags {
            tags.put(literal(k), lit(v));
        }
        r.put("tags", tags.build());
    }
    r.build()
}

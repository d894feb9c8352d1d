//! Generated infrastructure and schema files, compared byte for byte with the files in
//! `tests/golden/`. After a deliberate change, rewrite them with `DYNORM_BLESS=1 cargo test -p dynorm
//! --features schema-files --test schema infra::`, then read the diff.
//!
//! The CloudFormation templates and IAM policies under `tests/golden/` are linted by
//! `ci/lint-infra.sh` (cfn-lint and parliament).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dynorm::definition::{
    AttributeDefinition, AttributeType, BillingMode, Capacity, Composite, GlobalSecondaryIndex,
    LocalSecondaryIndex, Projection, StreamViewType, TableDefinition,
};
use dynorm::entity::{EntityDefinition, IndexLayout, Layout};
use dynorm::infra::iam::{self, AccessLevel, ArnContext};
use dynorm::infra::{self, ExportOptions, InfraError, cloudformation, docs, terraform};
use dynorm::schema_file::{Schema, SchemaError, SchemaFormat};

// ---------------------------------------------------------------------------------------------
// Fixtures

fn attr(name: &str, ty: AttributeType) -> AttributeDefinition {
    AttributeDefinition::new(name, ty)
}

fn described(mut a: AttributeDefinition, description: &str) -> AttributeDefinition {
    a.description = Some(description.to_owned());
    a
}

fn optional(mut a: AttributeDefinition) -> AttributeDefinition {
    a.optional = true;
    a
}

/// Stelvio's orders example: a sort key, an LSI and GSIs with every kind of projection, a stream.
fn orders() -> TableDefinition {
    let mut t = TableDefinition::new("orders", "customer_id", AttributeType::String);
    t.description = Some("Orders placed by customers.".into());
    t.sort_key = Some("order_date".into());
    t.attributes.extend([
        attr("order_date", AttributeType::Datetime),
        attr("status", AttributeType::String),
        described(attr("total", AttributeType::Number), "Order total in cents."),
        optional(attr("notes", AttributeType::String)),
    ]);
    t.local_secondary_indexes.push(LocalSecondaryIndex {
        name: "status-index".into(),
        sort_key: "status".into(),
        projection: Projection::Include(vec!["total".into()]),
    });
    t.global_secondary_indexes.extend([
        GlobalSecondaryIndex {
            name: "status-total-index".into(),
            partition_key: "status".into(),
            sort_key: Some("total".into()),
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::All,
            capacity: None,
        },
        GlobalSecondaryIndex {
            name: "total-index".into(),
            partition_key: "total".into(),
            sort_key: None,
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::KeysOnly,
            capacity: None,
        },
    ]);
    t.stream = Some(StreamViewType::NewAndOldImages);
    t
}

/// Da Vinci's user table: PascalCase stored names, GSIs, TTL, descriptions and defaults.
fn users() -> TableDefinition {
    let mut t = TableDefinition::new("users", "UserId", AttributeType::String);
    t.description = Some("People who can sign in.".into());
    t.attributes[0].field = Some("user_id".into());
    t.attributes[0].description = Some("Unique user identifier.".into());
    let mut email = described(
        attr("Email", AttributeType::String),
        "Sign-in address | lower case.",
    );
    email.field = Some("email".into());
    let mut role = described(attr("Role", AttributeType::String), "What the user may do.");
    role.default = Some("\"member\"".into());
    let mut full_name = attr("FullName", AttributeType::CompositeString);
    full_name.composite = Some(Composite {
        fields: vec!["FirstName".into(), "LastName".into()],
        separator: "-".into(),
        escaped: false,
    });
    t.attributes.extend([
        email,
        attr("CreatedAt", AttributeType::DatetimeEpoch),
        role,
        attr("FirstName", AttributeType::String),
        attr("LastName", AttributeType::String),
        full_name,
        optional(attr("Preferences", AttributeType::Json)),
        optional(attr("Groups", AttributeType::StringSet)),
        optional(attr("ExpiresAt", AttributeType::DatetimeEpoch)),
    ]);
    t.global_secondary_indexes.extend([
        GlobalSecondaryIndex {
            name: "email-index".into(),
            partition_key: "Email".into(),
            sort_key: None,
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::All,
            capacity: None,
        },
        GlobalSecondaryIndex {
            name: "role-created-index".into(),
            partition_key: "Role".into(),
            sort_key: Some("CreatedAt".into()),
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::Include(vec!["Email".into(), "FullName".into()]),
            capacity: None,
        },
    ]);
    t.ttl_attribute = Some("ExpiresAt".into());
    t.tags = BTreeMap::from([("app".into(), "da-vinci".into())]);
    t
}

/// A provisioned table with TTL, a stream, tags, deletion protection, a binary key, and GSIs with
/// and without their own capacity.
fn sessions() -> TableDefinition {
    let mut t = TableDefinition::new("sessions", "token", AttributeType::Binary);
    t.attributes.extend([
        attr("user_id", AttributeType::String),
        attr("started_at", AttributeType::Number),
        attr("expires_at", AttributeType::DatetimeEpoch),
    ]);
    t.billing = BillingMode::Provisioned(Capacity { read: 5, write: 2 });
    t.global_secondary_indexes.extend([
        GlobalSecondaryIndex {
            name: "by-user".into(),
            partition_key: "user_id".into(),
            sort_key: Some("started_at".into()),
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::KeysOnly,
            capacity: Some(Capacity { read: 10, write: 1 }),
        },
        GlobalSecondaryIndex {
            name: "by-start".into(),
            partition_key: "started_at".into(),
            sort_key: None,
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::All,
            capacity: None,
        },
    ]);
    t.ttl_attribute = Some("expires_at".into());
    t.stream = Some(StreamViewType::KeysOnly);
    t.tags = BTreeMap::from([
        ("cost-center".into(), "1234".into()),
        ("team".into(), "identity".into()),
    ]);
    t.deletion_protection = true;
    t
}

/// dynamojo's recommended table: every index DynamoDB allows (20 GSIs, 5 LSIs), all strings.
fn dynamojo() -> TableDefinition {
    let mut t = TableDefinition::new("dynamojo", "pk", AttributeType::String);
    t.sort_key = Some("sk".into());
    t.attributes.push(attr("sk", AttributeType::String));
    for i in 0..20 {
        t.attributes
            .push(attr(&format!("gsi{i}_pk"), AttributeType::String));
        t.attributes
            .push(attr(&format!("gsi{i}_sk"), AttributeType::String));
        t.global_secondary_indexes.push(GlobalSecondaryIndex {
            name: format!("gsi{i}"),
            partition_key: format!("gsi{i}_pk"),
            sort_key: Some(format!("gsi{i}_sk")),
            additional_partition_keys: Vec::new(),
            additional_sort_keys: Vec::new(),
            projection: Projection::All,
            capacity: None,
        });
    }
    for i in 0..5 {
        t.attributes
            .push(attr(&format!("lsi{i}_sk"), AttributeType::String));
        t.local_secondary_indexes.push(LocalSecondaryIndex {
            name: format!("lsi{i}"),
            sort_key: format!("lsi{i}_sk"),
            projection: Projection::All,
        });
    }
    t
}

/// A single table shared by entities: a global and a local index, all keys strings.
const SHOP: Layout = Layout {
    global_indexes: &[IndexLayout::global("gsi1", "gsi1pk", Some("gsi1sk"))],
    local_indexes: &[IndexLayout::local("lsi1", "lsi1sk")],
    ..Layout::new("shop", "pk", Some("sk"))
};

/// The entities of `shop`, as a schema file holds them: a tenant profile (constant sort key), its
/// users (found by email on `gsi1`, by age on `lsi1`) and orders (a sparse `gsi1` by coupon, a
/// joined attribute, a padded number).
fn shop_entities() -> Vec<EntityDefinition> {
    let entities = serde_json::json!([
        {
            "name": "Tenant", "table": "shop", "entity_attribute": "__entity",
            "fields": [{ "name": "tenant" }, { "name": "plan" }],
            "keys": [
                { "attribute": "pk", "template": "T#{tenant}" },
                { "attribute": "sk", "template": "PROFILE" }
            ]
        },
        {
            "name": "User", "table": "shop", "entity_attribute": "__entity",
            "fields": [
                { "name": "tenant" },
                { "name": "user_id", "stored": "UserId", "immutable": true },
                { "name": "email" },
                { "name": "age" },
                { "name": "nickname", "optional": true }
            ],
            "keys": [
                { "attribute": "pk", "template": "T#{tenant}" },
                { "attribute": "sk", "template": "U#{user_id}" },
                { "index": "gsi1", "attribute": "gsi1pk", "template": "EMAIL#{email}" },
                { "index": "gsi1", "attribute": "gsi1sk", "template": "T#{tenant}" },
                { "index": "lsi1", "attribute": "lsi1sk", "template": "AGE#{age:03}#{user_id}" }
            ]
        },
        {
            "name": "Order", "table": "shop", "entity_attribute": "__entity",
            "fields": [
                { "name": "tenant" },
                { "name": "placed" },
                { "name": "order" },
                { "name": "coupon", "optional": true }
            ],
            "keys": [
                { "attribute": "pk", "template": "T#{tenant}" },
                { "attribute": "sk", "template": "O#{placed:08}#{order}" },
                { "index": "gsi1", "attribute": "gsi1pk", "template": "COUPON#{coupon}", "sparse": true },
                { "index": "gsi1", "attribute": "gsi1sk", "template": "{ref}", "sparse": true }
            ],
            "joined": [{ "attribute": "ref", "fields": ["tenant", "order"], "separator": "~" }]
        }
    ]);
    serde_json::from_value(entities).expect("entity definitions")
}

fn shop_schema() -> Schema {
    Schema::new(vec![SHOP.definition()]).with_entities(shop_entities())
}

/// A global index with multi-attribute keys: two partition attributes, three sort attributes of
/// mixed types, next to a single-attribute index.
fn tournaments() -> TableDefinition {
    let mut t = TableDefinition::new("tournaments", "match_id", AttributeType::String);
    t.attributes.extend([
        attr("tournament", AttributeType::String),
        attr("region", AttributeType::String),
        attr("round", AttributeType::Number),
        attr("bracket", AttributeType::String),
        attr("match_no", AttributeType::Number),
    ]);
    let mut by_region = GlobalSecondaryIndex::multi(
        "by_region",
        ["tournament", "region"],
        ["round", "bracket", "match_no"],
    );
    by_region.projection = Projection::KeysOnly;
    t.global_secondary_indexes.extend([
        by_region,
        GlobalSecondaryIndex::new("by_bracket", "bracket", None),
    ]);
    t
}

fn fixtures() -> Vec<(&'static str, Vec<TableDefinition>)> {
    vec![
        ("orders", vec![orders()]),
        ("users", vec![users()]),
        ("sessions", vec![sessions()]),
        ("dynamojo", vec![dynamojo()]),
        ("tournaments", vec![tournaments()]),
        ("app", vec![orders(), users(), sessions()]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Golden files

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares `actual` with a golden file, or writes it when `DYNORM_BLESS` is set.
fn golden(relative: &str, actual: &str) {
    let path = golden_dir().join(relative);
    if std::env::var_os("DYNORM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden files live in a folder"))
            .expect("create folder");
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {}: {e}; run with DYNORM_BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the generated output at line {}:\n  golden:    {:?}\n  generated: {:?}\n\
             (run with DYNORM_BLESS=1 to accept the new output, then review the diff)",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line),
        );
    }
}

fn options() -> ExportOptions {
    ExportOptions::default()
}

// ---------------------------------------------------------------------------------------------
// CloudFormation and Terraform

#[test]
fn fixtures_are_valid_definitions() {
    for (name, tables) in fixtures() {
        for t in tables {
            assert_eq!(
                t.problems(),
                Vec::<String>::new(),
                "fixture {name}, table {}",
                t.name
            );
        }
    }
}

#[test]
fn cloudformation_templates_match_golden_files() {
    for (name, tables) in fixtures() {
        let template = cloudformation::template(&tables, &options()).expect("template");
        golden(&format!("cloudformation/{name}.json"), &template.to_json());
        golden(&format!("cloudformation/{name}.yaml"), &template.to_yaml());
    }
    let no_pitr = options()
        .with_point_in_time_recovery(false)
        .with_retain_on_delete(false)
        .with_default_stage("dev");
    let template = cloudformation::template(&[users()], &no_pitr).expect("template");
    golden("cloudformation/users-no-pitr.yaml", &template.to_yaml());
}

#[test]
fn cloudformation_json_is_json_and_yaml_says_the_same() {
    let template = cloudformation::template(&[orders(), sessions()], &options()).expect("template");
    let json: serde_json::Value = serde_json::from_str(&template.to_json()).expect("valid JSON");
    let resources = json["Resources"].as_object().expect("resources");
    assert_eq!(
        resources.keys().collect::<Vec<_>>(),
        ["OrdersTable", "SessionsTable"]
    );
    let props = &json["Resources"]["OrdersTable"]["Properties"];
    // Key attributes only, each once: customer_id, order_date, status, total (not notes).
    let defined: Vec<&str> = props["AttributeDefinitions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["AttributeName"].as_str().expect("name"))
        .collect();
    assert_eq!(defined, ["customer_id", "order_date", "status", "total"]);
    assert_eq!(props["TableName"]["Fn::Sub"], "${Stage}-orders");
    // A GSI without its own capacity inherits the table's.
    let gsis = &json["Resources"]["SessionsTable"]["Properties"]["GlobalSecondaryIndexes"];
    assert_eq!(gsis[0]["ProvisionedThroughput"]["ReadCapacityUnits"], 10);
    assert_eq!(gsis[1]["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    assert_eq!(gsis[1]["ProvisionedThroughput"]["WriteCapacityUnits"], 2);
}

#[test]
fn terraform_modules_match_golden_files() {
    for (name, tables) in fixtures() {
        let module = terraform::module(&tables, &options()).expect("module");
        golden(&format!("terraform/{name}.tf.json"), &module.to_json());
    }
}

#[test]
fn terraform_uses_only_provider_argument_names() {
    const TABLE_ARGS: [&str; 15] = [
        "name",
        "billing_mode",
        "hash_key",
        "range_key",
        "read_capacity",
        "write_capacity",
        "attribute",
        "global_secondary_index",
        "local_secondary_index",
        "ttl",
        "stream_enabled",
        "stream_view_type",
        "point_in_time_recovery",
        "deletion_protection_enabled",
        "tags",
    ];
    let module = terraform::module(&[orders(), users(), sessions()], &options()).expect("module");
    let json: serde_json::Value = serde_json::from_str(&module.to_json()).expect("valid JSON");
    for (name, table) in json["resource"]["aws_dynamodb_table"]
        .as_object()
        .expect("tables")
    {
        for key in table.as_object().expect("table").keys() {
            assert!(
                TABLE_ARGS.contains(&key.as_str()),
                "{name}: unknown argument {key}"
            );
        }
        for gsi in table["global_secondary_index"].as_array().into_iter().flatten() {
            for key in gsi.as_object().expect("gsi").keys() {
                assert!(
                    [
                        "name",
                        "hash_key",
                        "range_key",
                        "projection_type",
                        "non_key_attributes",
                        "read_capacity",
                        "write_capacity"
                    ]
                    .contains(&key.as_str()),
                    "{name}: unknown GSI argument {key}"
                );
            }
        }
    }
    assert_eq!(
        json["resource"]["aws_dynamodb_table"]["sessions"]["global_secondary_index"][1]["read_capacity"],
        5
    );
}

#[test]
fn terraform_escapes_template_sequences() {
    let mut t = TableDefinition::new("odd", "${pk}", AttributeType::String);
    t.tags.insert("note".into(), "100%{x}".into());
    let json = terraform::module(&[t], &options()).expect("module").to_json();
    assert!(json.contains("\"hash_key\": \"$${pk}\""), "{json}");
    assert!(json.contains("\"note\": \"100%%{x}\""), "{json}");
}

#[test]
fn logical_ids_are_unique() {
    let a = TableDefinition::new("user-events", "id", AttributeType::String);
    let b = TableDefinition::new("user_events", "id", AttributeType::String);
    let json = cloudformation::template(&[a, b], &options())
        .expect("template")
        .to_json();
    assert!(json.contains("\"UserEventsTable\": {"));
    assert!(json.contains("\"UserEventsTable2\": {"));
    assert!(json.contains("\"${Stage}-user_events\""));
}

#[test]
fn generators_refuse_bad_input_naming_the_problem() {
    let mut bad = orders();
    bad.name = "x".into();
    match cloudformation::template(&[bad, users()], &options()) {
        Err(InfraError::InvalidDefinitions(errors)) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].table, "x");
        }
        other => panic!("expected invalid definitions, got {other:?}"),
    }
    assert_eq!(
        terraform::module(&[users(), users()], &options()).expect_err("must fail"),
        InfraError::DuplicateTable {
            table: "users".into()
        }
    );
    assert_eq!(
        cloudformation::template(&[], &options()).expect_err("must fail"),
        InfraError::NoTables
    );
    let err = iam::policy_document(
        &[orders(), users()],
        AccessLevel::StreamRead,
        &ArnContext::new("eu-west-1", "123456789012", "prod"),
    )
    .expect_err("must fail");
    assert_eq!(
        err,
        InfraError::NoStream {
            table: "users".into()
        }
    );
    let err = iam::policy_document(
        &[users()],
        AccessLevel::Read,
        &ArnContext::new("eu-west-1", "12", "prod"),
    )
    .expect_err("must fail");
    assert!(err.to_string().contains("account ID `12`"), "{err}");
    let err =
        cloudformation::template(&[users()], &options().with_default_stage("a b")).expect_err("must fail");
    assert!(err.to_string().contains("default stage `a b`"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// IAM

fn arn_context() -> ArnContext {
    ArnContext::new("eu-west-1", "123456789012", "prod")
}

fn iam_cases() -> Vec<(&'static str, Vec<TableDefinition>, AccessLevel)> {
    let mut cases = Vec::new();
    for level in AccessLevel::ALL {
        if level != AccessLevel::StreamRead {
            cases.push(("users", vec![users()], level));
            cases.push(("app", vec![orders(), users(), sessions()], level));
        }
    }
    cases.push(("sessions", vec![sessions()], AccessLevel::ReadWrite));
    cases.push(("orders", vec![orders()], AccessLevel::StreamRead));
    cases.push(("streams", vec![orders(), sessions()], AccessLevel::StreamRead));
    cases.push((
        "plain",
        vec![TableDefinition::new("plain", "id", AttributeType::String)],
        AccessLevel::Read,
    ));
    cases
}

#[test]
fn iam_policies_match_golden_files() {
    for (name, tables, level) in iam_cases() {
        let stem = format!("iam/{name}-{level}");
        let plain = iam::policy_document(&tables, level, &arn_context()).expect("policy");
        golden(&format!("{stem}.policy.json"), &plain.to_json());
        let cfn = iam::cloudformation_policy(name, &tables, level, &options()).expect("cfn policy");
        golden(&format!("{stem}.cfn.yaml"), &cfn.to_yaml());
        let tf = iam::terraform_policy(name, &tables, level).expect("terraform policy");
        golden(&format!("{stem}.tf.json"), &tf.to_json());
    }
    let cfn = iam::cloudformation_policy(
        "app",
        &[orders(), users(), sessions()],
        AccessLevel::ReadWrite,
        &options(),
    )
    .expect("cfn policy");
    golden("iam/app-read_write.cfn.json", &cfn.to_json());
    golden(
        "iam/stage-variable.tf.json",
        &iam::terraform_stage_variable(&options().with_default_stage("dev")).to_json(),
    );
}

fn statements(policy: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    let json: serde_json::Value = serde_json::from_str(policy).expect("valid JSON");
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|s| s.as_str().expect("string").to_owned())
            .collect()
    };
    json["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| {
            (
                s["Sid"].as_str().expect("sid").to_owned(),
                strings(&s["Action"]),
                strings(&s["Resource"]),
            )
        })
        .collect()
}

#[test]
fn read_policy_covers_batch_transaction_and_condition_checks_on_existing_indexes_only() {
    let policy = iam::policy_document(&[users()], AccessLevel::Read, &arn_context())
        .expect("policy")
        .to_json();
    let s = statements(&policy);
    assert_eq!(s.len(), 2);
    assert_eq!(
        s[0].1,
        [
            "dynamodb:BatchGetItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:Scan"
        ]
    );
    assert_eq!(
        s[0].2,
        ["arn:aws:dynamodb:eu-west-1:123456789012:table/prod-users"]
    );
    assert_eq!(s[1].1, ["dynamodb:Query", "dynamodb:Scan"]);
    assert_eq!(
        s[1].2,
        [
            "arn:aws:dynamodb:eu-west-1:123456789012:table/prod-users/index/email-index",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/prod-users/index/role-created-index"
        ]
    );
    // No index: no index statement, and never a wildcard.
    let plain = TableDefinition::new("plain", "id", AttributeType::String);
    let policy = iam::policy_document(&[plain], AccessLevel::ReadWrite, &arn_context())
        .expect("policy")
        .to_json();
    let s = statements(&policy);
    assert_eq!(s.len(), 1);
    assert!(!policy.contains('*'));
    for action in [
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:ConditionCheckItem",
    ] {
        assert!(s[0].1.iter().any(|a| a == action), "{action} missing");
    }
}

#[test]
fn write_policy_gets_items_but_has_no_query_scan_or_index_access() {
    let policy = iam::policy_document(&[orders()], AccessLevel::Write, &arn_context())
        .expect("policy")
        .to_json();
    let s = statements(&policy);
    assert_eq!(s.len(), 1);
    // Gets too: upserts and batch upserts read what is stored to keep it.
    assert_eq!(
        s[0].1,
        [
            "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:DeleteItem",
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem"
        ]
    );
}

fn consumers() -> Vec<iam::Consumer> {
    vec![
        iam::Consumer::new("checkout")
            .with_table("orders", AccessLevel::ReadWrite)
            .with_table("users", AccessLevel::Read),
        iam::Consumer::new("audit")
            .with_table("orders", AccessLevel::StreamRead)
            .with_table("sessions", AccessLevel::StreamRead),
        iam::Consumer::new("signup").with_table("users", AccessLevel::Write),
    ]
}

#[test]
fn consumers_get_one_policy_each_in_every_output() {
    let tables = [orders(), users(), sessions()];
    let cfn = iam::consumers_cloudformation(&consumers(), &tables, &options()).expect("cfn");
    golden("iam/consumers.cfn.yaml", &cfn.to_yaml());
    golden("iam/consumers.cfn.json", &cfn.to_json());
    let template: serde_json::Value = serde_json::from_str(&cfn.to_json()).expect("json");
    let resources = template["Resources"].as_object().expect("resources");
    let ids: Vec<&String> = resources.keys().collect();
    assert_eq!(ids, ["AuditPolicy", "CheckoutPolicy", "SignupPolicy"]);
    assert!(resources.values().all(|r| r["Type"] == "AWS::IAM::ManagedPolicy"));
    let tf = iam::consumers_terraform(&consumers(), &tables).expect("terraform");
    golden("iam/consumers.tf.json", &tf.to_json());
    let tf: serde_json::Value = serde_json::from_str(&tf.to_json()).expect("json");
    let policies = tf["resource"]["aws_iam_policy"].as_object().expect("policies");
    assert_eq!(policies.len(), 3);
    assert_eq!(policies["checkout_access"]["name"], "${var.stage}-checkout");

    for consumer in consumers() {
        let plain = iam::consumer_policy_document(&consumer, &tables, &arn_context()).expect("policy");
        golden(
            &format!("iam/consumer-{}.policy.json", consumer.name),
            &plain.to_json(),
        );
    }
    // Each table at its own level, the indexes of the tables it reads.
    let checkout = iam::consumer_policy_document(&consumers()[0], &tables, &arn_context())
        .expect("policy")
        .to_json();
    let s = statements(&checkout);
    let sids: Vec<&str> = s.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(sids, ["ReadItems", "ReadWriteItems", "QueryIndexes"]);
    assert_eq!(
        s[0].2,
        ["arn:aws:dynamodb:eu-west-1:123456789012:table/prod-users"]
    );
    assert_eq!(
        s[1].2,
        ["arn:aws:dynamodb:eu-west-1:123456789012:table/prod-orders"]
    );
    assert!(
        s[2].2.iter().any(|r| r.contains("prod-users/index/")),
        "{:?}",
        s[2]
    );
    assert!(
        s[2].2.iter().any(|r| r.contains("prod-orders/index/")),
        "{:?}",
        s[2]
    );

    let stranger = iam::Consumer::new("x").with_table("nowhere", AccessLevel::Read);
    assert!(matches!(
        iam::consumers_terraform(&[stranger], &tables),
        Err(InfraError::UnknownTable { .. })
    ));
}

#[test]
fn stream_policy_lists_streams_on_star_only() {
    let policy = iam::policy_document(&[orders(), sessions()], AccessLevel::StreamRead, &arn_context())
        .expect("policy")
        .to_json();
    let s = statements(&policy);
    assert_eq!(s.len(), 2);
    assert_eq!(
        s[0].2,
        [
            "arn:aws:dynamodb:eu-west-1:123456789012:table/prod-orders/stream/*",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/prod-sessions/stream/*"
        ]
    );
    assert_eq!(
        s[1],
        (
            "ListStreams".to_owned(),
            vec!["dynamodb:ListStreams".to_owned()],
            vec!["*".to_owned()]
        )
    );
}

#[test]
fn access_levels_parse_and_print() {
    for level in AccessLevel::ALL {
        assert_eq!(level.as_str().parse::<AccessLevel>(), Ok(level));
    }
    assert_eq!("read-write".parse::<AccessLevel>(), Ok(AccessLevel::ReadWrite));
    assert!(
        "admin"
            .parse::<AccessLevel>()
            .expect_err("must fail")
            .to_string()
            .contains("`admin`")
    );
}

// ---------------------------------------------------------------------------------------------
// Documentation

/// Attribute names Mermaid's ER parser would take for key markers (`PK`, `FK`, `UK` in any case)
/// or could not read bare (hyphens, spaces, backticks): each diagram in `tests/golden/docs` is
/// parsed by the real mermaid package in CI (`ci/check-diagrams.sh`).
#[test]
fn diagram_attribute_names_are_quoted_whatever_they_are() {
    let mut t = TableDefinition::new("key-words", "PK", AttributeType::String);
    t.sort_key = Some("sk".into());
    for name in ["sk", "fk", "Uk", "pK", "user-id", "a b", "odd`name", "1st"] {
        t.attributes.push(attr(name, AttributeType::String));
    }
    t.global_secondary_indexes.push(GlobalSecondaryIndex {
        name: "by-fk".into(),
        partition_key: "fk".into(),
        sort_key: None,
        additional_partition_keys: Vec::new(),
        additional_sort_keys: Vec::new(),
        projection: Projection::KeysOnly,
        capacity: None,
    });
    let markdown = docs::markdown(&[t]).expect("docs");
    golden("docs/key-words.md", &markdown);
    for line in [
        "string `PK` PK \"partition key\"",
        "string `fk` \"by-fk partition key\"",
        "string `Uk`",
        "string `a b`",
        "string `odd'name`",
    ] {
        assert!(markdown.contains(line), "missing {line:?} in:\n{markdown}");
    }
}

#[test]
fn data_model_document_matches_golden_file() {
    let tables = [orders(), users(), sessions()];
    let markdown = docs::DataModelDoc::new(&tables)
        .intro("The tables of the example shop.")
        .table_section(
            "orders",
            "Access patterns",
            "- orders of a customer, newest first",
        )
        .render()
        .expect("docs");
    golden("docs/app.md", &markdown);
    golden("docs/dynamojo.md", &docs::markdown(&[dynamojo()]).expect("docs"));
    golden(
        "docs/tournaments.md",
        &docs::markdown(&[tournaments()]).expect("docs"),
    );
    let err = docs::DataModelDoc::new(&tables)
        .table_section("nope", "x", "y")
        .render()
        .expect_err("must fail");
    assert!(err.to_string().contains("`nope`"), "{err}");
}

#[test]
fn entities_are_documented_with_keys_fields_and_access_patterns() {
    let markdown = docs::schema_markdown(&shop_schema()).expect("docs");
    golden("docs/shop.md", &markdown);
    // The reads a user would look for.
    for needle in [
        "| get one | table | `tenant`, `user_id` | `pk` = `T#{tenant}` and `sk` = `U#{user_id}` |",
        "| query | table | `tenant` | `pk` = `T#{tenant}` and `sk` begins with `O#` |",
        "| query | `gsi1` (sparse: items with `coupon`) | `coupon` | `gsi1pk` = `COUPON#{coupon}` |",
        "- table, `pk` = `T#{tenant}`: `Tenant`, `User`, `Order`",
        "    shop ||--o{ Order : holds",
    ] {
        assert!(markdown.contains(needle), "missing {needle:?} in:\n{markdown}");
    }

    // An entity whose table is not documented, or that is invalid for it, is refused by name.
    let mut lost = shop_entities();
    lost[0].table = "elsewhere".into();
    let err = docs::DataModelDoc::new(&[SHOP.definition()])
        .entities(&lost)
        .render()
        .expect_err("must fail");
    assert!(matches!(err, InfraError::InvalidEntity(_)), "{err}");
    assert!(
        err.to_string()
            .contains("its table `elsewhere` is not in the document"),
        "{err}"
    );
    let mut bad = shop_entities();
    bad[1].keys[4].attribute = "gsi1pk".into();
    let err = docs::DataModelDoc::new(&[SHOP.definition()])
        .entities(&bad)
        .render()
        .expect_err("must fail");
    assert!(
        err.to_string().contains(
            "index `lsi1` key `gsi1pk`: `gsi1pk` is not a key attribute of index `lsi1` (its keys: `lsi1sk`)"
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Schema files

fn app_schema() -> Schema {
    Schema::new(vec![orders(), users(), sessions(), dynamojo()])
}

#[test]
fn json_schema_round_trips_and_matches_golden_file() {
    let schema = app_schema();
    let text = schema.to_text(SchemaFormat::Json).expect("json");
    golden("schema/app.json", &text);
    assert_eq!(
        Schema::parse(&text, SchemaFormat::Json, "app.json").expect("parse"),
        schema
    );

    let dir = tempdir("json");
    let path = dir.join("schema.json");
    schema.save(&path).expect("save");
    assert_eq!(Schema::load(&path).expect("load"), schema);
    // The older bare-list form is still read.
    let list = serde_json::to_string(&schema.tables).expect("json");
    assert_eq!(
        Schema::parse(&list, SchemaFormat::Json, "list.json").expect("parse"),
        schema
    );
}

#[test]
fn json_schema_with_entities_round_trips_and_matches_golden_file() {
    let schema = shop_schema();
    let text = schema.to_text(SchemaFormat::Json).expect("json");
    golden("schema/shop.json", &text);
    assert_eq!(
        Schema::parse(&text, SchemaFormat::Json, "shop.json").expect("parse"),
        schema
    );
    schema.validate().expect("valid");
    assert_eq!(schema.entities_of("shop").count(), 3);
    // A schema without entities writes no `entities` key: older readers still read it.
    let plain = app_schema().to_text(SchemaFormat::Json).expect("json");
    assert!(!plain.contains("entities"));
}

/// A schema with one problem of each kind in its entities, as JSON.
const BAD_ENTITIES: &str = r#"{
  "tables": [
    {
      "name": "shop",
      "partition_key": "pk",
      "sort_key": "sk",
      "attributes": [
        { "name": "pk", "type": "string" },
        { "name": "sk", "type": "string" },
        { "name": "gsi1pk", "type": "number" }
      ],
      "global_secondary_indexes": [{ "name": "gsi1", "partition_key": "gsi1pk" }]
    }
  ],
  "entities": [
    {
      "name": "User",
      "table": "shop",
      "fields": [{ "name": "tenant" }, { "name": "user_id" }],
      "keys": [
        { "attribute": "pk", "template": "T#{tenant}" },
        { "attribute": "sk", "template": "U#{usr}" },
        { "index": "gsi9", "attribute": "gsi9pk", "template": "X" },
        { "index": "gsi1", "attribute": "gsi1pk", "template": "U#{user_id}" },
        { "attribute": "lsi1sk", "template": "A#{tenant" }
      ],
      "joined": [{ "attribute": "both", "fields": ["tenant", "team"], "separator": "~" }]
    },
    {
      "name": "Ghost",
      "table": "nowhere",
      "keys": [{ "attribute": "pk", "template": "G" }]
    },
    {
      "name": "User",
      "table": "shop",
      "entity_attribute": "type",
      "fields": [{ "name": "tenant" }],
      "keys": [{ "attribute": "pk", "tempalte": "T#{tenant}" }]
    },
    {
      "name": "User",
      "table": "shop",
      "entity_attribute": "type",
      "fields": [{ "name": "tenant" }],
      "keys": [{ "attribute": "pk", "template": "T#{tenant}" }, { "attribute": "sk", "template": "P" }]
    }
  ]
}"#;

#[test]
fn bad_entities_are_reported_with_their_location_and_name() {
    let message = Schema::parse(BAD_ENTITIES, SchemaFormat::Json, "bad.json")
        .expect_err("must fail")
        .to_string();
    for needle in [
        "bad.json:22:42: entity `User`: the table key `sk`: template `U#{usr}` reads `{usr}`, which is neither a field nor a joined attribute (fields: `tenant`, `user_id`)",
        "bad.json:23:20: entity `User`: index `gsi9` key `gsi9pk`: table `shop` has no index `gsi9` (its indexes: `gsi1`)",
        "bad.json:24:63: entity `User`: index `gsi1` key `gsi1pk`: table `shop` declares `gsi1pk` as N, but templates write strings (S)",
        "bad.json:25:46: entity `User`: the table key `lsi1sk`: malformed key template `A#{tenant` at byte 2",
        "bad.json:27:51: entity `User`: joined attribute `both` reads `team`, which is not a field (fields: `tenant`, `user_id`)",
        "bad.json:31:16: entity `Ghost`: its table `nowhere` is not in the schema (its tables: `shop`)",
        "bad.json:39:37: entity `User`: at `keys[0]`: unknown field `tempalte`",
        "bad.json:42:15: entity `User`: another entity of table `shop` has the same name",
    ] {
        assert!(message.contains(needle), "missing {needle:?} in:\n{message}");
    }
    assert!(
        message.contains("entity `User`: the table key `lsi1sk`: `lsi1sk` is not a key attribute of table `shop` (its keys: `pk`, `sk`)"),
        "{message}"
    );

    // Without locations, from code.
    let mut schema = shop_schema();
    schema.entities[1].keys[2].index = Some("nope".into());
    schema.entities[2].entity_attribute = Some("kind".into());
    let problems = schema.validate().expect_err("must fail").to_string();
    assert!(
        problems
            .contains("schema: entity `User`: index `nope` key `gsi1pk`: table `shop` has no index `nope`"),
        "{problems}"
    );
    assert!(
        problems.contains("schema: entity `Order`: its entity-type attribute is `kind`, but entity `Tenant` of the same table uses `__entity`"),
        "{problems}"
    );
}

#[test]
fn entity_definitions_from_derived_entities_are_valid_for_their_table() {
    use dynorm::entity::{Entity as _, SingleTable};
    struct Shop;
    impl SingleTable for Shop {
        const LAYOUT: Layout = SHOP;
    }
    #[derive(dynorm::Entity)]
    #[dynorm(table = Shop, entity = "User", pk = "T#{tenant}", sk = "U#{user_id}")]
    #[dynorm(index(name = "gsi1", pk = "TEAM#{team}", sk = "U#{user_id}"))]
    #[allow(dead_code)]
    struct User {
        tenant: String,
        #[dynorm(rename = "UserId")]
        user_id: String,
        team: Option<String>,
    }
    let definition = User::entity_definition();
    definition.validate(&SHOP.definition()).expect("valid");
    assert!(definition.keys[2].sparse, "a key over an Option field is sparse");
    assert_eq!(definition.fields[1].stored_name(), "UserId");
    // Saved with its table, it loads back the same.
    let schema = Schema::new(vec![SHOP.definition()]).with_entities([definition]);
    let text = schema.to_text(SchemaFormat::Json).expect("json");
    assert_eq!(
        Schema::parse(&text, SchemaFormat::Json, "x.json").expect("parse"),
        schema
    );
}

/// Schema versions, from the derives and from a schema file, in the data-model document: the
/// table's and each entity's.
#[test]
fn schema_versions_are_documented_for_tables_and_entities() {
    use dynorm::Table as _;
    use dynorm::entity::Entity as _;
    struct App;
    impl dynorm::entity::SingleTable for App {
        const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
    }
    #[derive(dynorm::Table)]
    #[dynorm(table = "people")]
    #[allow(dead_code)]
    struct PersonV1 {
        #[dynorm(partition_key)]
        id: String,
    }
    #[derive(dynorm::Table)]
    #[dynorm(table = "people", schema_version = 2, upgrades(PersonV1))]
    #[allow(dead_code)]
    struct Person {
        #[dynorm(partition_key)]
        id: String,
    }
    impl From<PersonV1> for Person {
        fn from(old: PersonV1) -> Self {
            Person { id: old.id }
        }
    }
    #[derive(dynorm::Entity)]
    #[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
    #[allow(dead_code)]
    struct UserV1 {
        tenant: String,
        id: String,
    }
    #[derive(dynorm::Entity)]
    #[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
    #[dynorm(schema_version = 2, upgrades(UserV1))]
    #[allow(dead_code)]
    struct User {
        tenant: String,
        id: String,
    }
    impl From<UserV1> for User {
        fn from(old: UserV1) -> Self {
            User {
                tenant: old.tenant,
                id: old.id,
            }
        }
    }
    assert_eq!(Person::definition().schema_version, Some(2));
    assert_eq!(PersonV1::definition().schema_version, None);
    let schema = Schema::new(vec![Person::definition().clone(), User::layout().definition()])
        .with_entities([User::entity_definition()]);
    let markdown = docs::schema_markdown(&schema).expect("docs");
    golden("docs/versions.md", &markdown);
    for needle in [
        "- Schema version: 2, stored in every item as `_schema_version = 2`; items stored at version 1 are upgraded as they are read",
        "Schema version: 2, stored in every item as `_schema_version = 2`; items stored at version 1 are upgraded as they are read.",
    ] {
        assert!(markdown.contains(needle), "missing {needle:?} in:\n{markdown}");
    }
    // Through a schema file, the same document.
    let text = schema.to_text(SchemaFormat::Json).expect("json");
    assert_eq!(text.matches("\"schema_version\": 2").count(), 2, "{text}");
    let parsed = Schema::parse(&text, SchemaFormat::Json, "s.json").expect("parse");
    assert_eq!(docs::schema_markdown(&parsed).expect("docs"), markdown);
    // Version 0 is a problem, named, for a table and for an entity.
    let zero = text.replace("\"schema_version\": 2", "\"schema_version\": 0");
    let err = Schema::parse(&zero, SchemaFormat::Json, "s.json").expect_err("version 0");
    assert!(
        err.to_string()
            .contains("table `people`: schema versions start at 1"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("entity `User`: schema versions start at 1"),
        "{err}"
    );
}

#[test]
fn an_index_sharing_the_tables_sort_key_is_documented_with_the_tables_template() {
    use dynorm::entity::Entity as _;
    use dynorm::entity::formats::storm;
    #[derive(dynorm::Entity)]
    #[dynorm(table = storm::Table, pk = "T#{tenant}#Integrations", sk = "I#{integration}")]
    #[dynorm(index(name = "GSI1", pk = "R#{run}#Integrations"))]
    #[allow(dead_code)]
    struct Integration {
        tenant: String,
        integration: String,
        run: String,
    }
    let definition = Integration::entity_definition();
    let table = storm::table_definition("single-table");
    definition
        .validate(&table)
        .expect("GSI1's sort key is the table's `SK`");
    let schema = Schema::new(vec![table]).with_entities([definition]);
    let markdown = docs::schema_markdown(&schema).expect("docs");
    assert!(
        markdown.contains(
            "| query | `GSI1` | `run`, `integration` | `GSI1PK` = `R#{run}#Integrations` and `SK` = `I#{integration}` |"
        ),
        "{markdown}"
    );
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dynorm-infra-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn bad_json_schema_reports_every_problem_with_its_location() {
    let text = r#"{
  "tables": [
    {
      "name": "users",
      "partition_key": "id",
      "attributes": [{ "name": "id", "type": "string" }]
    },
    {
      "name": "x",
      "partition_key": "pk",
      "ttl_attribute": "gone"
    },
    {
      "name": "typo",
      "partition_kee": "id"
    },
    {
      "name": "users",
      "partition_key": "id",
      "attributes": [{ "name": "id", "type": "string" }]
    },
    {
      "name": "texts",
      "partition_key": "id",
      "attributes": [{ "name": "id", "type": "text" }]
    }
  ]
}"#;
    let problems = match Schema::parse(text, SchemaFormat::Json, "bad.json") {
        Err(SchemaError::Invalid(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    };
    let message = problems.to_string();
    for needle in [
        "bad.json has 6 problem(s):",
        "bad.json:9:15: table `x`: table name `x` must be 3-255 characters",
        "bad.json:10:24: table `x`: partition key `pk` is not a declared attribute",
        "bad.json:11:24: table `x`: TTL attribute `gone` is not a declared attribute",
        "bad.json:15:7: table `typo`: unknown field `partition_kee`",
        "bad.json:18:15: table `users`: another table has the same name",
        "bad.json:25:46: table `texts`: at `attributes[0].type`: unknown variant `text`, expected one of",
    ] {
        assert!(message.contains(needle), "missing {needle:?} in:\n{message}");
    }

    let err =
        Schema::parse("{ \"tables\": [ {,] }", SchemaFormat::Json, "broken.json").expect_err("must fail");
    assert!(err.to_string().contains("broken.json:1:16: "), "{err}");
    let err = Schema::parse("{ \"tabels\": [] }", SchemaFormat::Json, "key.json").expect_err("must fail");
    assert!(
        err.to_string().contains("unknown top-level key `tabels`"),
        "{err}"
    );
}

#[test]
fn schema_format_comes_from_the_extension() {
    assert!(matches!(
        Schema::load("schema.ini"),
        Err(SchemaError::UnknownFormat { .. })
    ));
    let err = Schema::load(tempdir("missing").join("none.json")).expect_err("must fail");
    assert!(matches!(err, SchemaError::Io { action: "read", .. }), "{err}");
    assert_eq!(
        SchemaFormat::from_path(Path::new("A.TOML")).expect("toml"),
        SchemaFormat::Toml
    );
}

#[cfg(not(feature = "schema-files"))]
#[test]
fn toml_and_yaml_need_the_feature() {
    let err = Schema::parse("", SchemaFormat::Toml, "app.toml").expect_err("must fail");
    assert!(err.to_string().contains("`schema-files` feature"), "{err}");
}

#[cfg(feature = "schema-files")]
mod with_schema_files {
    use super::*;

    #[test]
    fn toml_and_yaml_round_trip_and_match_golden_files() {
        let schema = app_schema();
        for (format, ext) in [(SchemaFormat::Toml, "toml"), (SchemaFormat::Yaml, "yaml")] {
            let text = schema.to_text(format).expect("serialize");
            golden(&format!("schema/app.{ext}"), &text);
            let back = Schema::parse(&text, format, ext).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert_eq!(back, schema, "{format} round trip");

            let dir = tempdir(ext);
            let path = dir.join(format!("schema.{ext}"));
            schema.save(&path).expect("save");
            assert_eq!(Schema::load(&path).expect("load"), schema);
        }
    }

    #[test]
    fn schemas_with_entities_round_trip_in_toml_and_yaml() {
        let schema = shop_schema();
        for (format, ext) in [(SchemaFormat::Toml, "toml"), (SchemaFormat::Yaml, "yaml")] {
            let text = schema.to_text(format).expect("serialize");
            golden(&format!("schema/shop.{ext}"), &text);
            let back = Schema::parse(&text, format, ext).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert_eq!(back, schema, "{format} round trip");
        }
    }

    #[test]
    fn handwritten_toml_entities_read_well_and_problems_have_locations() {
        // The sample of the `schema_file` module docs, with its table.
        let text = r#"
[[tables]]
name = "app"
partition_key = "pk"
sort_key = "sk"
attributes = [
    { name = "pk", type = "string" },
    { name = "sk", type = "string" },
    { name = "gsi1pk", type = "string" },
    { name = "gsi1sk", type = "string" },
]
global_secondary_indexes = [{ name = "gsi1", partition_key = "gsi1pk", sort_key = "gsi1sk" }]

[[entities]]
name = "Integration"
table = "app"
entity_attribute = "__entity"
fields = [
    { name = "tenant_name" },
    { name = "integration_id", stored = "IntegrationId" },
    { name = "enabled" },
    { name = "owner", optional = true },
]
keys = [
    { attribute = "pk", template = "T#{tenant_name}#Integrations" },
    { attribute = "sk", template = "I#{integration_id}" },
    { index = "gsi1", attribute = "gsi1pk", template = "OWNER#{owner}", sparse = true },
    { index = "gsi1", attribute = "gsi1sk", template = "I#{integration_id}", sparse = true },
]
"#;
        let schema = Schema::parse(text, SchemaFormat::Toml, "app.toml").expect("parse");
        assert_eq!(schema.entities[0].fields[1].stored_name(), "IntegrationId");

        let bad = text.replace("OWNER#{owner}", "OWNER#{ownr}")
            + "\n[[entities]]\nname = \"X\"\ntable = \"app\"\nkeys = 3\n";
        let message = Schema::parse(&bad, SchemaFormat::Toml, "bad.toml")
            .expect_err("must fail")
            .to_string();
        for needle in [
            "bad.toml:27:56: entity `Integration`: index `gsi1` key `gsi1pk`: template `OWNER#{ownr}` reads `{ownr}`",
            "bad.toml:34:8: entity `X`: at `keys`: invalid type: integer `3`, expected a sequence",
        ] {
            assert!(message.contains(needle), "missing {needle:?} in:\n{message}");
        }

        let yaml = "tables:
  - name: app
    partition_key: pk
    attributes:
      - name: pk
        type: string
entities:
  - name: Tenant
    table: app
    fields:
      - name: tenant
    keys:
      - attribute: pk
        template: T#{tenant}
  - name: User
    table: app
    keys:
      - attribute: pk
        template: U#{user}
";
        let schema = Schema::parse(
            &yaml.replace("U#{user}", "U#{tenant}").replace(
                "    keys:\n      - attribute: pk\n        template: U",
                "    fields:\n      - name: tenant\n    keys:\n      - attribute: pk\n        template: U",
            ),
            SchemaFormat::Yaml,
            "ok.yaml",
        );
        assert_eq!(schema.expect("parse").entities.len(), 2);
        let message = Schema::parse(yaml, SchemaFormat::Yaml, "bad.yaml")
            .expect_err("must fail")
            .to_string();
        assert!(
            message.contains("bad.yaml:19:19: entity `User`: the table key `pk`: template `U#{user}` reads `{user}`, which is neither a field nor a joined attribute (fields: none)"),
            "{message}"
        );
    }

    #[test]
    fn handwritten_toml_reads_well() {
        let text = r#"
[[tables]]
name = "users"
partition_key = "id"
billing = { provisioned = { read = 5, write = 5 } }

[[tables.attributes]]
name = "id"
type = "string"

[[tables.attributes]]
name = "email"
type = "string"

[[tables.global_secondary_indexes]]
name = "by-email"
partition_key = "email"
projection = { include = ["id"] }
"#;
        let schema = Schema::parse(text, SchemaFormat::Toml, "app.toml").expect("parse");
        let t = &schema.tables[0];
        assert_eq!(
            t.billing,
            BillingMode::Provisioned(Capacity { read: 5, write: 5 })
        );
        assert_eq!(
            t.global_secondary_indexes[0].projection,
            Projection::Include(vec!["id".into()])
        );
    }

    #[test]
    fn bad_toml_reports_every_problem_with_its_location() {
        let text = r#"[[tables]]
name = "users"
partition_key = "id"

[[tables.attributes]]
name = "id"
type = "string"

[[tables]]
name = "x"
partition_key = "pk"

[[tables]]
name = "typo"
partition_key = "id"
stream = "sometimes"
"#;
        let message = Schema::parse(text, SchemaFormat::Toml, "bad.toml")
            .expect_err("must fail")
            .to_string();
        for needle in [
            "bad.toml has 4 problem(s):",
            "bad.toml:10:8: table `x`: table name `x`",
            "bad.toml:11:17: table `x`: partition key `pk` is not a declared attribute",
            "bad.toml:15:17: table `typo`: partition key `id` is not a declared attribute",
            "bad.toml:16:10: table `typo`: at `stream`: unknown variant `sometimes`",
        ] {
            assert!(message.contains(needle), "missing {needle:?} in:\n{message}");
        }
        let message = Schema::parse("[[tables]]\nname = \n", SchemaFormat::Toml, "syntax.toml")
            .expect_err("must fail")
            .to_string();
        assert!(message.contains("syntax.toml:2:"), "{message}");
    }

    #[test]
    fn bad_yaml_reports_every_problem_with_its_location() {
        let text = "tables:
  - name: users
    partition_key: id
    attributes:
      - name: id
        type: string
  - name: x
    partition_key: pk
  - name: typo
    partition_key: id
    deletion_protection: maybe
";
        let message = Schema::parse(text, SchemaFormat::Yaml, "bad.yaml")
            .expect_err("must fail")
            .to_string();
        for needle in [
            "bad.yaml has 4 problem(s):",
            "bad.yaml:7:11: table `x`: table name `x`",
            "bad.yaml:8:20: table `x`: partition key `pk` is not a declared attribute",
            "bad.yaml:10:20: table `typo`: partition key `id` is not a declared attribute",
            "bad.yaml:11:26: table `typo`: at `deletion_protection`: invalid type: string \"maybe\", expected a boolean",
        ] {
            assert!(message.contains(needle), "missing {needle:?} in:\n{message}");
        }
        let message = Schema::parse(
            "tables:\n  - name: [unclosed\n",
            SchemaFormat::Yaml,
            "syntax.yaml",
        )
        .expect_err("must fail")
        .to_string();
        assert!(
            message.contains("syntax.yaml:2:11: unclosed bracket"),
            "{message}"
        );
    }
}

#[test]
fn physical_names_are_stage_prefixed() {
    assert_eq!(infra::physical_name("dev", "orders"), "dev-orders");
}

// ---------------------------------------------------------------------------------------------
// Access levels against what dynorm's operations call
// ---------------------------------------------------------------------------------------------

#[derive(dynorm::Table, Debug, Clone, PartialEq)]
#[dynorm(table = "grants")]
struct Grant {
    #[dynorm(partition_key)]
    id: String,
    #[dynorm(sort_key)]
    n: i64,
    body: String,
}

/// Each dynorm operation, the DynamoDB actions it calls, and the levels meant to allow it (as
/// the `iam` module documents them).
const OPERATIONS: [(&str, &[&str], &[AccessLevel]); 13] = {
    use AccessLevel::{Read as R, ReadWrite as RW, Write as W};
    [
        ("get", &["dynamodb:GetItem"], &[R, W, RW]),
        ("batch_get", &["dynamodb:BatchGetItem"], &[R, W, RW]),
        ("transact_get", &["dynamodb:TransactGetItems"], &[R, W, RW]),
        ("query", &["dynamodb:Query"], &[R, RW]),
        ("scan", &["dynamodb:Scan"], &[R, RW]),
        ("put", &["dynamodb:PutItem"], &[W, RW]),
        ("update", &["dynamodb:UpdateItem"], &[W, RW]),
        ("upsert", &["dynamodb:UpdateItem"], &[W, RW]),
        ("delete", &["dynamodb:DeleteItem"], &[W, RW]),
        ("batch_put", &["dynamodb:BatchWriteItem"], &[W, RW]),
        ("batch_upsert", &["dynamodb:UpdateItem"], &[W, RW]),
        ("transact_write", &["dynamodb:TransactWriteItems"], &[W, RW]),
        ("clear", &["dynamodb:BatchWriteItem", "dynamodb:Scan"], &[RW]),
    ]
};

/// The IAM actions an API call needs: transactions are authorised item by item.
fn iam_actions(call: &str) -> Vec<&'static str> {
    match call {
        "dynamodb:TransactGetItems" => vec!["dynamodb:GetItem"],
        "dynamodb:TransactWriteItems" => vec![
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ],
        "dynamodb:GetItem" => vec!["dynamodb:GetItem"],
        "dynamodb:BatchGetItem" => vec!["dynamodb:BatchGetItem"],
        "dynamodb:Query" => vec!["dynamodb:Query"],
        "dynamodb:Scan" => vec!["dynamodb:Scan"],
        "dynamodb:PutItem" => vec!["dynamodb:PutItem"],
        "dynamodb:UpdateItem" => vec!["dynamodb:UpdateItem"],
        "dynamodb:DeleteItem" => vec!["dynamodb:DeleteItem"],
        "dynamodb:BatchWriteItem" => vec!["dynamodb:BatchWriteItem"],
        other => panic!("no IAM mapping for {other}"),
    }
}

/// Runs one operation against a test table and returns the DynamoDB calls it made (each request
/// recorded at the engine boundary, where the `dynamodb` span is opened: a recording of the
/// client's own, where a tracing subscriber's would depend on the process's shared interest cache).
fn calls_of(operation: &str) -> Vec<String> {
    use dynorm::Table as _;
    let grants: &'static TableDefinition = Box::leak(Box::new(Grant::definition()));
    let g = Grant {
        id: "a".into(),
        n: 1,
        body: "x".into(),
    };
    dynorm::testing::run_test(&[grants], move |client| async move {
        let (client, recording) = dynorm::testing::instrument(&client);
        let table = client.table::<Grant>();
        table.put(&g).await.expect("seed");
        let seeded = recording.requests().len();
        match operation {
            "get" => drop(table.get(g.key_of()).await.expect("get")),
            "batch_get" => drop(table.batch_get([g.key_of()]).await.expect("batch get")),
            "transact_get" => drop(
                client
                    .transact_get()
                    .get(&table, g.key_of())
                    .send()
                    .await
                    .expect("transact get"),
            ),
            "query" => drop(table.query_partition("a").all().await.expect("query")),
            "scan" => drop(table.scan().all().await.expect("scan")),
            "put" => table.put(&g).await.expect("put"),
            "update" => table.update(g.key_of()).set("body", "y").await.expect("update"),
            "upsert" => drop(table.upsert(&g).await.expect("upsert")),
            "delete" => table.delete(g.key_of()).await.expect("delete"),
            "batch_put" => drop(table.batch_put([g.clone()]).await.expect("batch put")),
            "batch_upsert" => drop(table.batch_upsert([g.clone()]).await.expect("batch upsert")),
            "transact_write" => drop(
                client
                    .transact_write()
                    .put(&table, &g)
                    .send()
                    .await
                    .expect("transact write"),
            ),
            "clear" => drop(table.clear().await.expect("clear")),
            other => panic!("unknown operation {other}"),
        }
        let mut calls: Vec<String> = recording.requests()[seeded..]
            .iter()
            .map(|r| format!("dynamodb:{}", r.operation))
            .collect();
        calls.sort();
        calls.dedup();
        calls
    })
}

#[test]
fn each_dynorm_operation_is_allowed_by_the_levels_that_claim_it_and_only_those() {
    for (operation, declared, levels) in OPERATIONS {
        let calls = calls_of(operation);
        assert_eq!(calls, declared, "{operation} calls");
        let needed: Vec<&str> = calls.iter().flat_map(|c| iam_actions(c)).collect();
        for level in [AccessLevel::Read, AccessLevel::Write, AccessLevel::ReadWrite] {
            let allowed = level.table_actions();
            let missing: Vec<&&str> = needed.iter().filter(|a| !allowed.contains(a)).collect();
            assert_eq!(
                missing.is_empty(),
                levels.contains(&level),
                "{operation} under {level}: missing {missing:?}"
            );
        }
    }
}

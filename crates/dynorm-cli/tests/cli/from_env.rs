//! `Client::from_env()` reaches any DynamoDB-compatible endpoint through the standard AWS
//! configuration: here `AWS_ENDPOINT_URL_DYNAMODB` points the `dynorm --aws` command at a local
//! `dynorm serve`.

use std::process::Command;

use dynorm::definition::{AttributeType, TableDefinition};
use dynorm_cli::serve::{ServeOptions, Server};

#[test]
fn aws_configuration_from_the_environment_reaches_a_local_endpoint() {
    let users = TableDefinition::new("users", "id", AttributeType::String);
    let orders = TableDefinition::new("orders", "order_id", AttributeType::String);
    let server = Server::start(ServeOptions {
        port: 0,
        tables: vec![users.clone()],
        ..ServeOptions::default()
    })
    .expect("server starts");

    let dir = std::env::temp_dir().join(format!("dynorm-from-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let schema = dir.join("schema.json");
    std::fs::write(
        &schema,
        serde_json::to_string(&vec![users, orders]).expect("json"),
    )
    .expect("writes schema");

    let output = Command::new(env!("CARGO_BIN_EXE_dynorm"))
        .args(["--aws", "plan"])
        .arg(&schema)
        .env("AWS_ENDPOINT_URL_DYNAMODB", server.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("runs dynorm");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    // `users` exists on the server (created at start), `orders` does not: only it is planned.
    assert!(stdout.contains("orders: create table"), "{stdout}");
    assert!(!stdout.contains("users: create table"), "{stdout}");
    server.stop().expect("server stops");
}

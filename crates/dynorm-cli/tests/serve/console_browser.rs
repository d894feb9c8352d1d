//! The console in a real browser: headless Chromium through WebDriver (Debian's `chromium` and
//! `chromium-driver`), walking what a user does. A screenshot of each step is saved under
//! `target/tmp/console-screenshots/` (test output, not committed).
//!
//! Without `chromedriver` on the PATH the test says what is missing and passes, unless
//! `DYNORM_BROWSER_TESTS=1` (set by `.ci/run`), where a missing browser fails it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dynorm::schema_file::{Schema, SchemaFormat};
use dynorm_cli::serve::{ServeOptions, Server};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const SCHEMA: &str = r#"
[[tables]]
name = "app"
partition_key = "pk"
sort_key = "sk"
stream = "new_and_old_images"
attributes = [
    { name = "pk", type = "string" },
    { name = "sk", type = "string" },
    { name = "gsi1pk", type = "string" },
    { name = "gsi1sk", type = "string" },
]
global_secondary_indexes = [{ name = "gsi1", partition_key = "gsi1pk", sort_key = "gsi1sk" }]

[[entities]]
name = "User"
table = "app"
entity_attribute = "__entity"
fields = [{ name = "tenant" }, { name = "user" }, { name = "email" }, { name = "team", optional = true }, { name = "age", optional = true }]
keys = [
    { attribute = "pk", template = "T#{tenant}" },
    { attribute = "sk", template = "U#{user}" },
    { index = "gsi1", attribute = "gsi1pk", template = "TEAM#{team}", sparse = true },
    { index = "gsi1", attribute = "gsi1sk", template = "U#{user}", sparse = true },
]
"#;

/// How long any one step may take before the test fails naming it.
const STEP: Duration = Duration::from_secs(20);

/// `chromedriver` on a free port in a process group of its own, stopped with the Chromium it
/// started when dropped (also when a step fails: a panicking test never closes its session,
/// and a killed chromedriver would leave Chromium running).
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver, or says what is missing.
fn driver() -> Result<Driver, String> {
    let missing = "chromedriver was not found: install Debian's `chromium` and `chromium-driver` \
                   (apt-get install -y chromium chromium-driver) to run the console's browser test";
    let path = std::env::var_os("CHROMEDRIVER").map(PathBuf::from).or_else(|| {
        ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    });
    let path = path.ok_or_else(|| missing.to_owned())?;
    let port = free_port();
    let child = Command::new(&path)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{missing} ({}: {e})", path.display()))?;
    let driver = Driver { child, port };
    let deadline = Instant::now() + STEP;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("chromedriver did not start listening".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(driver)
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .copied()
        .unwrap_or("chromium");
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// Sends one DynamoDB request to the server's API.
fn api(address: SocketAddr, operation: &str, body: serde_json::Value) -> serde_json::Value {
    use std::io::{Read, Write};
    let body = body.to_string();
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{operation}\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=dynorm/20260101/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=host;x-amz-date;x-amz-target, Signature=00\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{operation}: {response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{operation}: {e}: {body}"))
}

fn user(n: u32, team: &str) -> serde_json::Value {
    let id = format!("u{n:02}");
    json!({
        "pk": {"S": "T#acme"}, "sk": {"S": format!("U#{id}")},
        "gsi1pk": {"S": format!("TEAM#{team}")}, "gsi1sk": {"S": format!("U#{id}")},
        "__entity": {"S": "User"}, "tenant": {"S": "acme"}, "user": {"S": id},
        "email": {"S": format!("{id}@example.com")}, "team": {"S": team}, "age": {"N": n.to_string()},
    })
}

struct Walk {
    client: Client,
    shots: PathBuf,
    step: u32,
}

impl Walk {
    async fn shot(&mut self, name: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.step)), png).unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// Sets a field's value (and fires `change`, as a user's edit would).
    async fn set(&self, css: &str, value: &str) {
        self.client
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"));
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                      e.dispatchEvent(new Event('change', {bubbles: true}));";
        self.client
            .execute(script, vec![json!(css), json!(value)])
            .await
            .unwrap_or_else(|e| panic!("cannot set `{css}`: {e}"));
    }

    /// Waits until the element's text contains `needle`; its text.
    async fn text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + STEP;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                last = e.text().await.unwrap_or_default();
                if last.contains(needle) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("`{css}` never showed {needle:?}; it shows {last:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_walks_the_console() {
    let driver = match driver() {
        Ok(driver) => driver,
        Err(missing) if std::env::var_os("DYNORM_BROWSER_TESTS").is_some() => panic!("{missing}"),
        Err(missing) => {
            eprintln!("SKIPPED a_user_walks_the_console: {missing}");
            return;
        }
    };
    let schema = Schema::parse(SCHEMA, SchemaFormat::Toml, "console test").unwrap();
    let server = Server::start(ServeOptions {
        tables: schema.tables,
        entities: schema.entities,
        ..ServeOptions::default()
    })
    .unwrap();
    for n in 1..=30 {
        api(
            server.address(),
            "PutItem",
            json!({"TableName": "app", "Item": user(n, "red")}),
        );
    }
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut walk = Walk {
        client: browser(&driver).await,
        shots,
        step: 0,
    };
    let result = steps(&mut walk, &server).await;
    let _ = walk.client.clone().close().await;
    server.stop().unwrap();
    result
}

async fn steps(walk: &mut Walk, server: &Server) {
    // Open the console: the tables, with their indexes and stream.
    walk.client.goto(&server.console_url()).await.unwrap();
    let tables = walk.text("#tables", "app").await;
    assert!(
        tables.contains("gsi1") && tables.contains("NEW_AND_OLD_IMAGES"),
        "{tables}"
    );
    walk.shot("tables").await;
    // A narrow window: the same page, readable (screenshot for review).
    walk.client.set_window_size(420, 800).await.unwrap();
    walk.shot("tables-narrow").await;
    walk.client.set_window_size(1280, 800).await.unwrap();
    walk.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .unwrap();

    // Query the GSI with BETWEEN and a filter, 5 a page; then the next page.
    walk.click("a.table-link").await;
    walk.set("#mode", "Query").await;
    walk.set("#target", "gsi1").await;
    walk.set("#pk-value", "TEAM#red").await;
    walk.set("#sk-op", "BETWEEN").await;
    walk.set("#sk-value", "U#u05").await;
    walk.set("#sk-value2", "U#u20").await;
    walk.click("#add-filter").await;
    walk.set("#filters .f-attr", "age").await;
    walk.set("#filters .f-op", ">=").await;
    walk.set("#filters .f-value", "8").await;
    walk.set("#limit", "5").await;
    walk.click("#run").await;
    walk.text("#capacity", "Page 1: 2 item(s), scanned 5").await;
    let first = walk.text("#items", "u09").await;
    assert!(first.contains("User") && first.contains("user=u08"), "{first}");
    walk.shot("gsi-between-filter").await;
    walk.click("#next-page").await;
    walk.text("#capacity", "Page 2: 5 item(s)").await;
    walk.text("#items", "u10").await;
    walk.shot("next-page").await;

    edit(walk).await;
    typed_form(walk, server).await;
    import_export(walk).await;
    bulk_delete(walk).await;
    partiql(walk, server).await;
    stream(walk, server).await;
    model_diagram(walk).await;
    restore_snapshot(walk).await;
    large_import(walk).await;
}

/// A file larger than one part (500 records): sent in parts with a progress bar, the rejected
/// line numbered from the file's start.
async fn large_import(walk: &mut Walk) {
    let lines: Vec<String> = (1..=1200)
        .map(|n| {
            let mut user =
                json!({"__entity": "User", "tenant": "bulk", "user": format!("b{n:04}"), "team": "imported"});
            if n != 1050 {
                user["email"] = json!(format!("b{n}@example.com"));
            }
            user.to_string()
        })
        .collect();
    walk.click("details:has(#import) > summary").await;
    walk.set("#import-text", &lines.join("\n")).await;
    walk.click("#import").await;
    let report = walk
        .text("#import-report", "Imported 1199 item(s); rejected 1")
        .await;
    assert!(
        report.contains("line 1050") && report.contains("email"),
        "{report}"
    );
    let progress = walk
        .client
        .execute(
            "const p = document.querySelector('#import-progress'); return [p.value, p.max];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(progress, json!([1200, 1200]), "the progress bar ends full");
    walk.shot("large-import").await;
}

/// The typed editor: a string set added as a set (not a list of strings), element by element.
async fn typed_form(walk: &mut Walk, server: &Server) {
    walk.click("#items button.edit").await;
    walk.set("#item-format", "form").await;
    walk.text("#item-form", "").await;
    walk.click("#add-attribute").await;
    let added = "#item-form > .node:last-child";
    walk.set(&format!("{added} > .node-name"), "tags").await;
    walk.set(&format!("{added} > .node-type"), "SS").await;
    walk.set(&format!("{added} .tree > span:nth-child(1) input"), "blue")
        .await;
    walk.click(&format!("{added} .node-add")).await;
    walk.set(&format!("{added} .tree > span:nth-child(2) input"), "lead")
        .await;
    walk.shot("typed-form").await;
    walk.click("#save").await;
    walk.text("#editor", "Saved.").await;
    let item = api(
        server.address(),
        "GetItem",
        json!({"TableName": "app", "Key": {"pk": {"S": "T#acme"}, "sk": {"S": "U#u10"}}}),
    );
    assert_eq!(
        item["Item"]["tags"],
        json!({"SS": ["blue", "lead"]}),
        "a string set, from the typed form: {item}"
    );
    assert_eq!(item["Item"]["email"], json!({"S": "u10@example.com"}), "{item}");
}

/// The data-model diagram, drawn in the page: the table and its entity.
async fn model_diagram(walk: &mut Walk) {
    walk.click("#nav-model").await;
    walk.text("#main h2", "Data model").await;
    let boxes = walk
        .client
        .execute(
            "return [...document.querySelectorAll('#diagram g.box')].map((g) => g.dataset.name);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(boxes, json!(["table app", "User"]), "the diagram's boxes");
    walk.shot("model-diagram").await;
}

/// The bulk delete took a snapshot first: restoring it brings the two deleted users back.
async fn restore_snapshot(walk: &mut Walk) {
    walk.click("#nav-snapshots").await;
    walk.text("#snapshots", "delete-2-items-of-app").await;
    walk.shot("snapshots").await;
    walk.click("#snapshots tr.snapshot[data-name*='delete-2-items-of-app'] button.restore")
        .await;
    walk.text("#restored", "Restored snapshot").await;
    walk.click("#nav-tables").await;
    walk.click("a.table-link").await;
    walk.click("#add-filter").await;
    walk.set("#filters .f-attr", "team").await;
    walk.set("#filters .f-op", "=").await;
    walk.set("#filters .f-value", "green").await;
    walk.set("#limit", "100").await;
    walk.click("#run").await;
    walk.text("#capacity", "2 item(s)").await;
    walk.shot("restored").await;
}

/// Edit an item: a validation error from the model, then the fix, with its index keys
/// recomputed (the access pattern by team finds it under its new team).
async fn edit(walk: &mut Walk) {
    walk.click("#items button.edit").await;
    let broken = json!({"__entity": "User", "tenant": "acme", "user": "u10", "team": "blue"});
    walk.set("#item-json", &broken.to_string()).await;
    walk.click("#save").await;
    walk.text("#error", "required field(s) `email` missing").await;
    walk.shot("validation-error").await;
    let fixed = json!({"__entity": "User", "tenant": "acme", "user": "u10", "team": "blue", "email": "u10@example.com"});
    walk.set("#item-json", &fixed.to_string()).await;
    walk.click("#save").await;
    walk.text("#editor", "Saved.").await;
    walk.shot("saved").await;

    // The access pattern "User by team" on gsi1: one click, one parameter.
    let pattern = "#patterns .pattern:nth-of-type(2)";
    walk.text(pattern, "gsi1").await;
    walk.set(&format!("{pattern} input[data-field=team]"), "blue")
        .await;
    walk.click(&format!("{pattern} button.run-pattern")).await;
    walk.text("#capacity", "1 item(s)").await;
    let found = walk.text("#items", "u10").await;
    assert!(
        found.contains("TEAM#blue"),
        "the index key is recomputed: {found}"
    );
    walk.shot("access-pattern").await;
}

async fn import_export(walk: &mut Walk) {
    // Import three lines, the second without its required email.
    let lines = [
        json!({"__entity": "User", "tenant": "acme", "user": "imp1", "email": "i1@example.com", "team": "green"}),
        json!({"__entity": "User", "tenant": "acme", "user": "imp2", "team": "green"}),
        json!({"__entity": "User", "tenant": "acme", "user": "imp3", "email": "i3@example.com", "team": "green"}),
    ]
    .map(|l| l.to_string())
    .join("\n");
    walk.click("details:has(#import) > summary").await;
    walk.set("#import-text", &lines).await;
    walk.click("#import").await;
    let report = walk
        .text("#import-report", "Imported 2 item(s); rejected 1")
        .await;
    assert!(report.contains("line 2") && report.contains("email"), "{report}");
    walk.shot("import-report").await;

    // Export the access pattern's result (the blue team) as JSON Lines.
    walk.click("#export").await;
    let exported = walk.text("#export-preview", "u10@example.com").await;
    assert_eq!(exported.lines().count(), 1, "{exported}");
    walk.shot("export").await;
}

async fn bulk_delete(walk: &mut Walk) {
    // Scan for the green team: two imported users; select both and delete them.
    walk.set("#mode", "Scan").await;
    walk.set("#target", "").await;
    walk.set("#filters .f-attr", "team").await;
    walk.set("#filters .f-op", "=").await;
    walk.set("#filters .f-value", "green").await;
    walk.set("#limit", "100").await;
    walk.click("#run").await;
    walk.text("#capacity", "2 item(s)").await;
    walk.click("#items tr.item:nth-of-type(1) input.select").await;
    walk.click("#items tr.item:nth-of-type(2) input.select").await;
    walk.click("#delete-selected").await;
    walk.text("#capacity", "Page 1: 0 item(s)").await;
    walk.text("#notice", "was taken first").await;
    walk.shot("bulk-delete").await;
}

async fn partiql(walk: &mut Walk, server: &Server) {
    walk.click("#nav-partiql").await;
    walk.set(
        "#partiql",
        "SELECT * FROM app WHERE pk = 'T#acme' AND sk = 'U#u01'",
    )
    .await;
    walk.click("#run-partiql").await;
    walk.text("#partiql-result", "u01@example.com").await;
    walk.text("#partiql-history", "U#u01").await;
    walk.shot("partiql").await;
    walk.client.goto(&server.console_url()).await.unwrap();
    walk.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .unwrap();
}

async fn stream(walk: &mut Walk, server: &Server) {
    walk.click("a.table-link").await;
    walk.click("#tail").await;
    walk.text("#stream-records", "INSERT").await;
    api(
        server.address(),
        "PutItem",
        json!({"TableName": "app", "Item": user(77, "red")}),
    );
    walk.text("#stream-records", "U#u77").await;
    walk.shot("stream").await;
}

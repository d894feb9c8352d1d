//! A file-backed embedded database loses no acknowledged write when its process is killed.
//!
//! The test runs its own test binary again as a child (marked by an environment variable) that
//! writes items as fast as it can and prints each id right after its put returned `Ok`. The parent
//! kills the child (SIGKILL) after 200 acknowledged writes, reopens the file and checks that every
//! acknowledged id is there. dynoxide keeps file databases in SQLite's write-ahead-log mode with
//! synchronous commits, so each acknowledged put is a durable commit.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use dynorm::Client;

use crate::support::{User, users_definition};

const CHILD_ENV: &str = "DYNORM_DURABILITY_CHILD_DB";
const ACKNOWLEDGED: &str = "ACK ";
const KILL_AFTER: usize = 200;

/// The child: writes until it is killed. Does nothing when run as an ordinary test.
#[tokio::test]
async fn durability_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let client = Client::embedded_file(&path).expect("open the file database");
    client
        .create_table(&users_definition())
        .await
        .expect("create the table");
    let users = client.table::<User>();
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let id = format!("user-{i}");
        users.put(&User::new(&id, "N", 1)).await.expect("put");
        writeln!(out, "{ACKNOWLEDGED}{id}").expect("print");
        out.flush().expect("flush");
    }
}

#[tokio::test]
async fn killed_writer_loses_no_acknowledged_write() {
    // A file-backed embedded database and a killed writer process.
    if !dynorm::testing::require(dynorm::testing::Capability::Embedded) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("dynorm-durability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("db.sqlite");
    let _ = std::fs::remove_file(&path);

    // The child test's name in this binary: its module path without the crate's name.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let child_test = format!("{module}::durability_child_writer");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            child_test.as_str(),
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the writer");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();

    let mut acknowledged = Vec::new();
    while acknowledged.len() < KILL_AFTER {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(id) = line.strip_prefix(ACKNOWLEDGED) {
                    acknowledged.push(id.to_owned());
                }
            }
            other => panic!(
                "the writer stopped after {} writes: {other:?}",
                acknowledged.len()
            ),
        }
    }
    child.kill().expect("kill the writer");
    child.wait().expect("reap the writer");
    // Writes acknowledged between the 200th and the kill are still in the pipe.
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix(ACKNOWLEDGED) {
            acknowledged.push(id.to_owned());
        }
    }

    let client = Client::embedded_file(&path).expect("reopen the file database");
    let users = client.table::<User>();
    let mut missing = Vec::new();
    for id in &acknowledged {
        if users.get(User::key(id)).await.expect("get").is_none() {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

//! What the end-to-end tests of the `dynorm` binary share.

#![allow(dead_code)] // each module uses its own part

use std::path::PathBuf;

use assert_cmd::Command;

/// The `dynorm` binary built by cargo.
pub(crate) fn dynorm() -> Command {
    Command::cargo_bin("dynorm").unwrap()
}

/// A fresh directory for one test (`suite` keeps the modules apart).
pub(crate) fn fresh_dir(suite: &str, test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dynorm-cli-{suite}-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the command: whether it succeeded, its stdout and its stderr.
pub(crate) fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

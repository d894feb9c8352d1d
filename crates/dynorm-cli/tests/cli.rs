//! End-to-end runs of the `dynorm` binary.

use std::process::Command;

fn dynorm(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dynorm"))
        .args(args)
        .output()
        .expect("runs dynorm");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn schema_check_accepts_a_valid_file_and_names_every_problem_of_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("dynorm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        r#"[{"name":"users","partition_key":"user_id","attributes":[{"name":"user_id","type":"string"}]}]"#,
    )
    .unwrap();
    let (ok, stdout, _) = dynorm(&["schema", "check", good.to_str().unwrap()]);
    assert!(ok);
    assert!(stdout.contains("1 table(s), all valid"), "{stdout}");

    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"name":"users","partition_key":"tags","attributes":[{"name":"tags","type":"string_set"}],
             "local_secondary_indexes":[{"name":"by_x","sort_key":"x"}]}]"#,
    )
    .unwrap();
    let (ok, _, stderr) = dynorm(&["schema", "check", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("partition key `tags` has type `string_set`"),
        "{stderr}"
    );
    assert!(stderr.contains("need a table with a sort key"), "{stderr}");
    assert!(
        stderr.contains("sort key of local index `by_x` `x` is not a declared attribute"),
        "{stderr}"
    );
}

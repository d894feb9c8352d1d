//! Compile-time errors of `#[derive(Entity)]` (trybuild): each file in `tests/ui/entity` must
//! fail with exactly the message in its `.stderr` file. Regenerate with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    // Compiling touches no engine: the embedded run checks these, an endpoint run skips them.
    if dynorm::testing::endpoint().is_some() {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped ui: compile-fail tests use no engine (checked by the embedded run)"
        );
        return;
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/entity/*.rs");
}

//! Compile-time errors of `#[derive(Table)]`, `#[derive(Entity)]` and `#[dynorm::test]`
//! (trybuild): each file in `tests/ui/fail` and `tests/ui/entity` must fail with exactly the
//! message in its `.stderr` file, and each file in `tests/ui/pass` must compile and run.
//! Regenerate the messages with `TRYBUILD=overwrite`.
//!
//! One `TestCases` for every case, so trybuild builds its project once.

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
    t.compile_fail("tests/ui/fail/*.rs");
    t.compile_fail("tests/ui/entity/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

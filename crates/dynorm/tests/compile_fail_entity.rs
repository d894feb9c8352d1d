//! Compile-time errors of `#[derive(Entity)]` (trybuild): each file in `tests/ui/entity` must
//! fail with exactly the message in its `.stderr` file. Regenerate with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/entity/*.rs");
}

//! Compile-time errors of `#[derive(Table)]` and `#[dynorm::test]` (trybuild): each file in
//! `tests/ui/fail` must fail with exactly the message in its `.stderr` file, and each file in
//! `tests/ui/pass` must compile and run. Regenerate the messages with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

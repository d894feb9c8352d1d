#!/usr/bin/env bash
# dynorm's integration tests in endpoint mode against a fresh `dynorm serve` on a free loopback
# port (README: "Running the test suite against an endpoint").
#
# Nothing is rebuilt: the test binaries and the `dynorm` binary are the ones the build named by
# ENDPOINT_TEST_BUILD produced (default `--workspace`, what `.ci/run`'s test stage built, so the
# features match); each dynorm test binary is run from crates/dynorm as `cargo test` runs it.
#
#   bash ci/endpoint-tests.sh
#   ENDPOINT_TEST_BUILD="-p dynorm" bash ci/endpoint-tests.sh      # a dynorm-only build
#   bash ci/endpoint-tests.sh --skip some_test                      # arguments go to each binary
#
# Then the examples that follow endpoint mode run against the same server.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
read -r -a build <<< "${ENDPOINT_TEST_BUILD:---workspace}"
artifacts=$(mktemp)
trap 'rm -f "$artifacts"' EXIT
cargo test "${build[@]}" --no-run --message-format=json > "$artifacts"
# The dynorm crate's integration-test executables, and the CLI's `dynorm` binary if built.
pick() {
    python3 - "$artifacts" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    t = m["target"]
    if sys.argv[2] == "tests" and t["kind"] == ["test"] and m["manifest_path"].endswith("/crates/dynorm/Cargo.toml"):
        print(m["executable"])
    # The CLI binary itself, not its unit-test harness (also a "bin" artifact under `cargo test`).
    elif sys.argv[2] == "serve" and t["kind"] == ["bin"] and t["name"] == "dynorm" and not m["profile"]["test"]:
        print(m["executable"])
PY
}
mapfile -t tests < <(pick tests | sort -u)
serve=$(pick serve | head -n 1)
if [ -z "$serve" ]; then
    cargo build -q -p dynorm-cli --bin dynorm
    serve="$target/debug/dynorm"
fi
if [ ${#tests[@]} -eq 0 ]; then
    echo "no dynorm test binaries in the build ${build[*]}" >&2
    exit 1
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log="$target/endpoint-serve.log"
"$serve" serve --port "$port" > "$log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; rm -f "$artifacts"' EXIT
for _ in $(seq 100); do
    if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    if ! kill -0 "$serve_pid" 2>/dev/null; then
        echo "dynorm serve exited; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done

export DYNORM_TEST_ENDPOINT="http://127.0.0.1:$port"
failed=()
cd crates/dynorm
for t in "${tests[@]}"; do
    echo "     Running $(basename "$t") against $DYNORM_TEST_ENDPOINT"
    "$t" "$@" || failed+=("$(basename "$t")")
done
cd ../..
# The examples that build their client with `dynorm::testing::client()`, as `.ci/run`'s examples
# stage runs them (same command, so that stage reuses the build); skipped with extra arguments.
if [ $# -eq 0 ]; then
    for example in quickstart single_table evolving_entity; do
        echo "     Running example $example against $DYNORM_TEST_ENDPOINT"
        cargo run --quiet --example "$example" > /dev/null || failed+=("example $example")
    done
fi
# Every test client's tables were deleted when it was dropped: the server holds none now (a
# signed-looking request: the server checks that credentials are given, not the signature).
if [ $# -eq 0 ]; then
    left=$(python3 - "$DYNORM_TEST_ENDPOINT" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/", data=b'{"Limit": 100}', headers={
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Date": "20260101T000000Z",
    "Authorization": "AWS4-HMAC-SHA256 Credential=dynorm/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0",
})
print(urllib.request.urlopen(request).read().decode())
PY
)
    echo "     Tables left on the server after the run: $left"
    case "$left" in
        '{"TableNames":[]}') ;;
        *) failed+=("clean-up (tables left: $left)") ;;
    esac
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed against dynorm serve: ${failed[*]}" >&2
    exit 1
fi

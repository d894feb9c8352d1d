#!/usr/bin/env bash
# Interop with the real Python libraries (single-table-orm, dynamojo, dynamoquery; versions in
# interop/requirements.txt), in a venv under the cargo target directory (reused across runs):
#
#   1. the committed fixtures are current: interop/capture.py --check (moto in process);
#   2. the read-back script passes against moto's server: interop/read_back.py --self-test;
#   3. with DYNORM_SERVE=1: the same capture against a fresh `dynorm serve` matches the fixtures
#      (expected differences are listed in interop/README.md, so this step only reports), the
#      read-back passes against it with the libraries writing and with the fixture items put raw,
#      and dynorm's own models go both ways with the libraries (dynorm writes and each library
#      reads the bytes and through its API; the library writes and dynorm reads):
#      crates/dynorm/tests/interop/interop_fixtures.rs, `live_both_ways_with_the_python_libraries`.
#
#   bash ci/interop.sh
#   DYNORM_SERVE=1 bash ci/interop.sh
#
# Needs Python >= 3.11 (`PYTHON=python3.12` to choose) and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
venv="$target/interop-venv"
# dynamojo 1.7 needs Python >= 3.12: $PYTHON, else python3.12 (PATH or pyenv), else python3.
pick_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    for candidate in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && PYENV_VERSION=3.12.1 "$candidate" -c \
            'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
    echo "no Python >= 3.12 found (set PYTHON=/path/to/python3.12)" >&2
    exit 1
}
python=$(pick_python)

if [ ! -x "$venv/bin/python" ] || ! cmp -s interop/requirements.txt "$venv/requirements.txt"; then
    echo "== installing interop/requirements.txt into $venv ($python)"
    PYENV_VERSION=3.12.1 "$python" -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r interop/requirements.txt
    cp interop/requirements.txt "$venv/requirements.txt"
fi

echo "== fixtures are current (interop/capture.py --check)"
"$venv/bin/python" interop/capture.py --check --diff

echo "== read-back self-test against moto's server"
"$venv/bin/python" interop/read_back.py --self-test

if [ -n "${DYNORM_SERVE:-}" ]; then
    cargo build -q -p dynorm-cli --bin dynorm
    bin="$target/debug/dynorm"
    run_serve() {
        "$bin" serve --port "$1" >/dev/null 2>&1 &
        serve_pid=$!
        for _ in $(seq 50); do
            if (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
            sleep 0.1
        done
        echo "dynorm serve did not start" >&2
        return 1
    }
    port=18766
    echo "== capture against dynorm serve (differences from moto are reported, not fatal)"
    run_serve "$port"
    "$venv/bin/python" interop/capture.py --endpoint "http://127.0.0.1:$port" --check --diff \
        | grep -v '"server"' || true
    kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true

    port=18767
    echo "== read-back against dynorm serve: libraries write, then raw items"
    run_serve "$port"
    status=0
    "$venv/bin/python" interop/read_back.py --endpoint "http://127.0.0.1:$port" --create-tables --write library || status=1
    "$venv/bin/python" interop/read_back.py --endpoint "http://127.0.0.1:$port" --write raw || status=1

    echo "== dynorm and the libraries both ways: dynorm writes, the library reads; the library writes, dynorm reads"
    AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port" AWS_REGION=us-east-1 \
        AWS_ACCESS_KEY_ID=interop AWS_SECRET_ACCESS_KEY=interop \
        DYNORM_INTEROP_PYTHON="$venv/bin/python" \
        cargo test -q -p dynorm --test interop -- --ignored live_both_ways || status=1
    kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
    exit "$status"
fi

#!/usr/bin/env bash
# Parses every Mermaid diagram of the golden data-model documents with the real mermaid parser
# (mermaid 11 under Node, with jsdom for the browser globals it expects). Any diagram that does
# not parse fails the script.
#
#   bash ci/check-diagrams.sh
#
# mermaid and jsdom come from npm into ci/mermaid/.deps (ignored by git, reused across runs,
# never part of the Rust build). Needs Node 18+ and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

deps=ci/mermaid/.deps
if [ ! -d "$deps/node_modules/mermaid" ] || [ ! -d "$deps/node_modules/jsdom" ]; then
    echo "== installing mermaid 11 and jsdom into $deps"
    mkdir -p "$deps"
    npm install --prefix "$deps" --silent --no-audit --no-fund --no-save 'mermaid@11' 'jsdom@26'
fi

shopt -s nullglob
docs=(crates/dynorm/tests/golden/docs/*.md)
if [ "${#docs[@]}" -eq 0 ]; then
    echo "no golden documents found" >&2
    exit 1
fi
echo "== mermaid parses the diagrams of ${#docs[@]} golden documents"
MERMAID_MODULES="$PWD/$deps/node_modules" node ci/mermaid/check-diagrams.mjs "${docs[@]}"

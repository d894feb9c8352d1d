#!/usr/bin/env bash
# Lints the generated infrastructure: cfn-lint on every CloudFormation golden file (tables and IAM
# policy templates, JSON and YAML) and parliament on every plain IAM policy golden file. Any
# finding fails the script. Before linting, the golden tests run with the `schema-files`
# feature, so the files linted are the ones the generators produce now.
#
#   bash ci/lint-infra.sh            # test + lint
#   SKIP_GOLDEN_TEST=1 bash ci/lint-infra.sh   # lint only
#
# The linters come from PyPI into a venv under the cargo target directory (reused across runs).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/lint-venv"
golden=crates/dynorm/tests/golden

if [ -z "${SKIP_GOLDEN_TEST:-}" ]; then
    echo "== golden files are current (cargo test -p dynorm --features schema-files --test schema infra::)"
    cargo test -p dynorm --features schema-files --test schema infra::
fi

# parliament imports `pkg_resources`, which Python 3.12 and later no longer bring in a fresh
# venv: setuptools provides it (checked, so an older venv gets it too).
if [ ! -x "$venv/bin/cfn-lint" ] || [ ! -x "$venv/bin/parliament" ] \
    || ! "$venv/bin/python" -c 'import pkg_resources' 2>/dev/null; then
    echo "== installing cfn-lint, parliament and setuptools into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check cfn-lint parliament setuptools
fi
"$venv/bin/cfn-lint" --version

shopt -s nullglob
templates=("$golden"/cloudformation/*.json "$golden"/cloudformation/*.yaml "$golden"/iam/*.cfn.json "$golden"/iam/*.cfn.yaml)
policies=("$golden"/iam/*.policy.json)
if [ "${#templates[@]}" -eq 0 ] || [ "${#policies[@]}" -eq 0 ]; then
    echo "no golden templates or policies found under $golden" >&2
    exit 1
fi

echo "== cfn-lint on ${#templates[@]} CloudFormation templates"
# Every rule level (errors, warnings and informational) counts as a finding.
"$venv/bin/cfn-lint" --format parseable --include-checks I -- "${templates[@]}"

echo "== parliament on ${#policies[@]} IAM policies"
failed=0
for policy in "${policies[@]}"; do
    # parliament prints one line per finding; any output (or a non-zero exit) is a finding. The
    # policy goes in on stdin: `--file` refuses to run when stdin is not a terminal, as in CI.
    findings="$("$venv/bin/parliament" --minimum_severity INFO --include-community-auditors < "$policy" 2>&1)" || {
        echo "parliament failed on $policy:" >&2
        failed=1
    }
    if [ -n "$findings" ]; then
        echo "$policy:"
        echo "$findings"
        failed=1
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "parliament reported findings" >&2
    exit 1
fi
echo "infra lint: ${#templates[@]} templates and ${#policies[@]} policies, no findings"

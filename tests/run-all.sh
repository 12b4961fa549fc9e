#!/usr/bin/env bash
# The one test command: build, run every Rust test, then the redis-py suite.
#
#   bash tests/run-all.sh
#
# Needs Debian's redis-server and redis-tools (the oracle for the differential
# tests, redis-cli and redis-benchmark for the smoke tests) and pip's redis,
# pytest and prometheus_client: .ci/run installs them. RUSTREDIS_BIN (default
# target/release/rustredis) names the server the tests run against.
#
# Every part runs even when an earlier one fails, and the script exits
# non-zero if any failed. Each part prints its own summary as it finishes
# (cargo's "test result:" lines, pytest's closing line); the last line is
# "N passed, N failed" over all tests, where a part that failed without a
# failing test to show for it (a build error) counts as one failure.
set -uo pipefail

cd "$(dirname "$0")/.."
export RUSTREDIS_BIN="${RUSTREDIS_BIN:-$PWD/target/release/rustredis}"
# Keep the tree clean: no __pycache__ or .pytest_cache from the pytest part.
export PYTHONDONTWRITEBYTECODE=1

logdir="$(mktemp -d)"
trap 'rm -rf "$logdir"' EXIT

total_passed=0
total_failed=0
failed_parts=()

# part NAME CMD...: runs CMD with its output shown and kept in $logdir/NAME.
part() {
    local name="$1"
    shift
    echo
    echo "==> $name: $*"
    local start=$SECONDS
    "$@" 2>&1 | tee "$logdir/$name"
    local rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then
        echo "==> $name: ok ($((SECONDS - start)) s)"
    else
        failed_parts+=("$name")
        echo "==> $name: FAILED with exit code $rc ($((SECONDS - start)) s)"
    fi
    return "$rc"
}

# count_cargo LOG: adds up cargo test's "test result: ... N passed; M failed".
count_cargo() {
    local p f
    p=$(grep -E '^test result: ' "$1" | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
    f=$(grep -E '^test result: ' "$1" | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
    echo "$p $f"
}

# count_pytest LOG: reads pytest's closing line ("3 failed, 70 passed, 1 skipped in 2.1s").
count_pytest() {
    local line p f e
    line=$(grep -E '[0-9]+ (passed|failed|error)' "$1" | tail -n 1)
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
    e=$(echo "$line" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || true)
    echo "${p:-0} $(( ${f:-0} + ${e:-0} ))"
}

# add PASSED FAILED RC: adds a part's counts; a failed part with no failed
# test counts as one failure.
add() {
    total_passed=$((total_passed + $1))
    if [ "$3" -ne 0 ] && [ "$2" -eq 0 ]; then
        total_failed=$((total_failed + 1))
    else
        total_failed=$((total_failed + $2))
    fi
}

part build cargo build --release
add 0 0 $?

if [ -x "$RUSTREDIS_BIN" ]; then
    part cargo-test cargo test --release --no-fail-fast
    rc=$?
    read -r p f < <(count_cargo "$logdir/cargo-test")
    add "$p" "$f" "$rc"

    part pytest python3 -m pytest -q -p no:cacheprovider tests/py
    rc=$?
    read -r p f < <(count_pytest "$logdir/pytest")
    add "$p" "$f" "$rc"
else
    echo "==> $RUSTREDIS_BIN is missing: cargo test and pytest cannot run"
    failed_parts+=("cargo-test" "pytest")
    total_failed=$((total_failed + 2))
fi

echo
if [ "${#failed_parts[@]}" -gt 0 ]; then
    echo "failed parts: ${failed_parts[*]}"
fi
echo "$total_passed passed, $total_failed failed"
[ "${#failed_parts[@]}" -eq 0 ]

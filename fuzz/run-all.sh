#!/usr/bin/env bash
# Reruns every cargo-fuzz target of rustredis, one after another, and
# prints a table of execs and results.
#
#   fuzz/run-all.sh [SECONDS] [TARGET...]
#
# SECONDS: time per target (default 600). TARGETs: a subset (default all).
# Environment: JOBS=2 runs two targets at once (default 1);
# NICE=19 (default) is the niceness; OUT=/tmp/fuzz-runs keeps logs, crash
# artifacts and the scratch corpora.
#
# Each run reads its committed seeds in fuzz/corpus/TARGET but writes new
# inputs to a scratch directory, OUT/scratch/TARGET, listed first, so a run
# never floods the repository. To fold what a run found back into the
# committed corpus, minimize both together, e.g.:
#   RUSTC_BOOTSTRAP=1 cargo fuzz cmin TARGET OUT/scratch/TARGET  # then copy
# (see fuzz/README.md). Crash inputs are written to OUT/TARGET-crash-*;
# reproduce one with `cargo fuzz run TARGET OUT/TARGET-crash-...`.
#
# Builds with the stable toolchain and RUSTC_BOOTSTRAP=1 (cargo-fuzz needs
# nightly flags); a nightly toolchain works without it.
set -u
cd "$(dirname "$0")/.."

SECS=${1:-600}
shift || true
ALL="resp_parser command_seq rdb_load restore_payload aof_load config_parse acl_rules glob"
TARGETS=${*:-$ALL}
JOBS=${JOBS:-1}
NICE=${NICE:-19}
OUT=${OUT:-/tmp/fuzz-runs}
export RUSTC_BOOTSTRAP=1
mkdir -p "$OUT/scratch"

# Options per target: dictionaries, and a tighter hang limit for glob.
opts_for() {
    case "$1" in
        resp_parser) echo "-dict=fuzz/resp.dict" ;;
        command_seq) echo "-dict=fuzz/commands.dict" ;;
        acl_rules) echo "-dict=fuzz/acl.dict" ;;
        glob) echo "-timeout=10" ;;
        *) echo "" ;;
    esac
}

for t in $TARGETS; do
    cargo fuzz build "$t" >"$OUT/$t.build.log" 2>&1 || {
        echo "$t: build failed, see $OUT/$t.build.log" >&2
        exit 1
    }
done
BIN=fuzz/target/x86_64-unknown-linux-gnu/release

run_one() {
    local t=$1
    mkdir -p "$OUT/scratch/$t" "fuzz/corpus/$t"
    # shellcheck disable=SC2046
    nice -n "$NICE" "$BIN/$t" "$OUT/scratch/$t" "fuzz/corpus/$t" \
        -max_total_time="$SECS" -timeout=60 -rss_limit_mb=2048 \
        -artifact_prefix="$OUT/$t-" $(opts_for "$t") >"$OUT/$t.log" 2>&1
    echo $? >"$OUT/$t.rc"
}

running=0
for t in $TARGETS; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

printf '%-16s %8s %12s %10s  %s\n' target seconds execs exec/s result
fail=0
for t in $TARGETS; do
    log="$OUT/$t.log"
    execs=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}')
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    rc=$(cat "$OUT/$t.rc" 2>/dev/null || echo '?')
    if [ "$rc" = 0 ]; then
        res=ok
    else
        res="FAILED rc=$rc: $(grep -m1 -o 'ERROR: libFuzzer: [a-z -]*\|panicked at [^ ]*' "$log" | head -1) $(ls "$OUT/$t"-* 2>/dev/null | head -1)"
        fail=1
    fi
    printf '%-16s %8s %12s %10s  %s\n' "$t" "$SECS" "${execs:-?}" "${rate:-?}" "$res"
done
exit $fail

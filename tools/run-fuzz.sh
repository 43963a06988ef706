#!/bin/sh
# Runs every fuzz target built by tools/build-fuzz.sh for RUNS inputs (default 20000) on a
# fresh copy of its seed corpus, reproducibly (fixed -seed), one job per target in turn.
# Prints "fuzz NAME: ok (N runs)" or "fuzz NAME: FAILED ..." per target, then "N passed, M failed".
# Crash reproducers land in build-fuzz/crashes/; logs in build-fuzz/logs/NAME.log.
# Usage: tools/run-fuzz.sh [RUNS]     Env: FUZZ_OUT (default build-fuzz), FUZZ_SEED (default 1)
set -u
cd "$(dirname "$0")/.." || exit 1

RUNS=${1:-20000}
OUT=${FUZZ_OUT:-build-fuzz}
SEED=${FUZZ_SEED:-1}
# UBSan prints no stack by default; the stack is what a report needs.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

# Build (incremental for library objects); a target that fails to build is counted as failed.
tools/build-fuzz.sh >"$OUT.build.log" 2>&1 || true
mkdir -p "$OUT/logs" "$OUT/crashes" "$OUT/corpus"
mv "$OUT.build.log" "$OUT/logs/build.log" 2>/dev/null || true

passed=0
failed=0
for t in fuzz/fuzz_*.c; do
    name=$(basename "$t" .c)
    bin="$OUT/$name"
    log="$OUT/logs/$name.log"
    if [ ! -x "$bin" ]; then
        echo "fuzz $name: FAILED (did not build; see $OUT/logs/build.log)"
        failed=$((failed + 1))
        continue
    fi
    # Work on a copy: the fuzzer adds inputs to its corpus directory as it finds coverage.
    corpus="$OUT/corpus/$name"
    rm -rf "$corpus"
    mkdir -p "$corpus"
    [ -d "$OUT/seeds/$name" ] && cp "$OUT/seeds/$name"/. "$corpus"/ -R 2>/dev/null
    dict=""
    [ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
    # detect_leaks stays on: a leak on any input path is a bug.
    "$bin" -runs="$RUNS" -seed="$SEED" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$OUT/crashes/$name-" $dict "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    if [ "$rc" = 0 ] && [ -n "$runs" ]; then
        echo "fuzz $name: ok ($runs runs)"
        passed=$((passed + 1))
    else
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        why=$(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|fuzz invariant violated|ERROR: libFuzzer' "$log")
        echo "fuzz $name: FAILED (exit $rc) ${why:-see log}"
        [ -n "$art" ] && echo "  reproducer: $art   (rerun: $bin $art)"
        echo "  log: $log"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/bash
# run-unit.sh BUILD_DIR -- runs every unit test binary in BUILD_DIR/tests from the repository
# root and sums their "N passed, M failed" lines into one.
set -u
build=${1:-build}
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
pass=0 fail=0
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1)
  rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
  printf '%s\n' "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed' | sed "s|^|$(basename "$t"): |" | grep -E 'FAIL|SKIP|error' || true
  if [ -z "$line" ]; then
    echo "$(basename "$t"): no result line (exit $rc)"
    fail=$((fail + 1))
    continue
  fi
  p=${line%% passed*}
  f=${line#*, }; f=${f%% failed*}
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  echo "$(basename "$t"): $p passed, $f failed"
  pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

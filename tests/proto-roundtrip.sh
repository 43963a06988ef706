#!/bin/bash
# proto-roundtrip.sh NPROF [FILE...] -- for every profile given (default: every profile of
# google/pprof's test data, the shared Go oracle profiles when present, and the generated
# ones in build/profiles), writes it with `NPROF -proto` and checks that both `NPROF -raw` and
# `go tool pprof -raw` of the written file print what `go tool pprof -raw` prints for the
# original. Ends with "N passed, M failed".
set -u
nprof=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TZ=UTC PPROF_BINARY_PATH=/nonexistent
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  for f in /usr/share/gocode/src/github.com/google/pprof/profile/testdata/* \
           "$repo"/../shared/testdata/go/profiles/*/* "$repo"/build/profiles/*; do
    [ -f "$f" ] || continue
    case $f in *.string|*.html|*.orig|*/empty.*|*/garbage.*|*/truncated.*|*debug2*) continue ;; esac
    files+=("$f")
  done
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
for f in "${files[@]}"; do
  if ! go tool pprof -raw "$f" >"$tmp/want" 2>/dev/null; then
    skip=$((skip + 1)); continue   # not a profile go tool pprof reads: nothing to compare
  fi
  why=""
  if ! "$nprof" -proto -output "$tmp/p.pb.gz" "$f" >/dev/null 2>"$tmp/err"; then
    why="nprof -proto failed: $(head -c 200 "$tmp/err")"
  else
    "$nprof" -raw "$tmp/p.pb.gz" >"$tmp/a" 2>/dev/null || why="nprof -raw of the written file failed"
    go tool pprof -raw "$tmp/p.pb.gz" >"$tmp/b" 2>/dev/null || why="go tool pprof -raw of the written file failed"
    [ -z "$why" ] && ! cmp -s "$tmp/want" "$tmp/a" && why="nprof -raw differs"
    [ -z "$why" ] && ! cmp -s "$tmp/want" "$tmp/b" && why="go tool pprof -raw differs"
  fi
  if [ -z "$why" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $f: $why"; fi
done
echo "roundtrip: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

#!/bin/bash
# symthreads.sh NPROF -- the Go line table lookups that nprof shares with a second thread
# (src/analyze/par.c, for profiles of 8,192 addresses or more): a Go binary (tests/go/symgen)
# and bench/symprof.py's address-only profiles of about 14,000 of its addresses, as a
# profile.proto and as Go's legacy heap text. Each report reads the same when nprof may use
# two CPUs (a thread is started, when strace and two CPUs are there to see it) as when it is
# held to one (taskset -c 0: no thread), and -traces and -peek of the proto read as go tool
# pprof's (symspeed.sh checks -top, -lines -top and -list). Ends "N passed, M failed".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/counts.sh"
nprof_arg "$@"
export TZ=UTC LC_ALL=C PPROF_BINARY_PATH=/nonexistent NPROF_BINARY_PATH=
export GOCACHE=$repo/build/go/cache GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOENV=off
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symthreads.XXXXXX") || exit 2
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
mask() { grep -avE '^(File|Build ID|Time): ' "$1"; }

gob=$tmp/symgen
(cd tests/go && go build -o "$gob" ./symgen) 2>"$tmp/go-build.err"
check "build a Go binary" test -x "$gob"
n=$(nm -S "$gob" | python3 bench/symprof.py proto "$tmp/go.pb.gz" "$gob" 3)
nm -S "$gob" | python3 bench/symprof.py goheap "$tmp/go.heap" "$gob" 3 >/dev/null
check "symprof.py: more addresses than the threshold for a thread ($n)" test "${n:-0}" -ge 8192

cpus=$(nproc)
if [ "$cpus" -ge 2 ] && command -v strace >/dev/null; then
  strace -f -qq -e trace=clone,clone3 -o "$tmp/trace" "$nprof" -top "$gob" "$tmp/go.pb.gz" >/dev/null 2>&1
  check "two CPUs: a thread is started" grep -q 'clone' "$tmp/trace"
  strace -f -qq -e trace=clone,clone3 -o "$tmp/trace1" taskset -c 0 "$nprof" -top "$gob" "$tmp/go.pb.gz" >/dev/null 2>&1
  check "one CPU: no thread" bash -c "! grep -q 'clone' '$tmp/trace1'"
fi

# one_cpu WHAT PROFILE ARGS...: the report with every CPU allowed is the one with one CPU.
one_cpu() {
  local what=$1 prof=$2
  shift 2
  "$nprof" "$@" "$gob" "$prof" >"$tmp/two.out" 2>"$tmp/two.err"
  taskset -c 0 "$nprof" "$@" "$gob" "$prof" >"$tmp/one.out" 2>"$tmp/one.err"
  if [ -s "$tmp/two.out" ] && cmp -s "$tmp/two.out" "$tmp/one.out" && cmp -s "$tmp/two.err" "$tmp/one.err"; then
    ok "$what"
  else
    bad "$what: $(diff "$tmp/one.out" "$tmp/two.out" | head -6)"
  fi
}
for prof in go.pb.gz go.heap; do
  one_cpu "$prof -top: two CPUs as one" "$tmp/$prof" -top
  one_cpu "$prof -lines -top: two CPUs as one" "$tmp/$prof" -lines -top
  one_cpu "$prof -traces: two CPUs as one" "$tmp/$prof" -traces
  one_cpu "$prof -peek: two CPUs as one" "$tmp/$prof" -lines -peek 'runtime\.mallocgc'
  one_cpu "$prof -raw: two CPUs as one" "$tmp/$prof" -raw
done

pprof="$(go env GOTOOLDIR)/pprof"
# same WHAT ARGS...: nprof's report of the proto is go tool pprof's, and names functions.
same() {
  local what=$1
  shift
  "$pprof" "$@" "$gob" "$tmp/go.pb.gz" >"$tmp/go.out" 2>"$tmp/go.err"
  "$nprof" "$@" "$gob" "$tmp/go.pb.gz" >"$tmp/np.out" 2>"$tmp/np.err"
  if ! grep -q 'runtime\.' "$tmp/go.out"; then
    bad "$what: go tool pprof names no function: $(head -c 300 "$tmp/go.out" "$tmp/go.err")"
  elif cmp -s <(mask "$tmp/go.out") <(mask "$tmp/np.out"); then
    ok "$what"
  else
    bad "$what: $(diff <(mask "$tmp/go.out") <(mask "$tmp/np.out") | head -6)"
  fi
}
same "proto -traces as go tool pprof" -traces
same "proto -lines -peek as go tool pprof" -lines -peek 'runtime\.mallocgc'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symthreads.XXXXXX") || exit 2
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
# Neither tool looks for binaries beyond the one given.
export LC_ALL=C PPROF_BINARY_PATH=/nonexistent NPROF_BINARY_PATH=
mask() { grep -avE '^(File|Build ID|Time): ' "$1"; }

# The Go binary, built offline with the tests' module cache.
gob=$tmp/symgen
(cd tests/go && GOCACHE=$repo/build/go/cache GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off \
  GOTOOLCHAIN=local GOENV=off go build -o "$gob" ./symgen) 2>"$tmp/go-build.err"
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

# agree WHAT A B: report A is not empty and reads as B, apart from the File:/Build ID:/Time:
# lines (go tool pprof names its files its own way).
agree() {
  if [ -s "$2" ] && cmp -s <(mask "$2") <(mask "$3"); then
    ok "$1"
  else
    bad "$1: $(diff <(mask "$3") <(mask "$2") | head -6) $(head -c 300 "$2.err" "$3.err" 2>/dev/null)"
  fi
}

# one_cpu WHAT PROFILE ARGS...: the report with every CPU allowed is the one with one CPU.
one_cpu() {
  local what=$1 prof=$2
  shift 2
  "$nprof" "$@" "$gob" "$prof" >"$tmp/two" 2>"$tmp/two.err"
  taskset -c 0 "$nprof" "$@" "$gob" "$prof" >"$tmp/one" 2>"$tmp/one.err"
  agree "$what" "$tmp/two" "$tmp/one"
}
for prof in go.pb.gz go.heap; do
  one_cpu "$prof -top: two CPUs as one" "$tmp/$prof" -top
  one_cpu "$prof -lines -top: two CPUs as one" "$tmp/$prof" -lines -top
  one_cpu "$prof -traces: two CPUs as one" "$tmp/$prof" -traces
  one_cpu "$prof -peek: two CPUs as one" "$tmp/$prof" -lines -peek 'runtime\.mallocgc'
  one_cpu "$prof -raw: two CPUs as one" "$tmp/$prof" -raw
done

pprof="$(go env GOTOOLDIR)/pprof"
for args in "-traces" "-lines -peek runtime\.mallocgc"; do
  # shellcheck disable=SC2086 # the words of args are the options
  "$pprof" $args "$gob" "$tmp/go.pb.gz" >"$tmp/go" 2>"$tmp/go.err"
  # shellcheck disable=SC2086
  "$nprof" $args "$gob" "$tmp/go.pb.gz" >"$tmp/np" 2>"$tmp/np.err"
  agree "proto $args as go tool pprof" "$tmp/np" "$tmp/go"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/bash
# gobin.sh NPROF -- `nprof BINARY FILE` against `go tool pprof BINARY FILE` on Go's legacy text
# profiles (debug=1), which carry addresses only: the binary names them.
#
# tests/go/symgen is built five ways into build/gobin/{plain,nodwarf,trim,stripped,pie} (as is,
# without DWARF by -ldflags=-w, -trimpath, without symbols by -ldflags='-s -w', and
# -buildmode=pie) and run there to write its heap, goroutine, mutex, block
# and threadcreate profiles; build/profiles' text profiles are read with the generators
# tests/go/make-profiles.sh built them with (build/go/bin). Each profile is read with -top,
# -traces, -list and -peek, with and without -lines: stdout must be byte for byte go tool
# pprof's apart from the File:, Build ID: and Time: lines; where go tool pprof fails (no match,
# a profile it cannot read), nprof must fail too, with the same messages.
# Prints "ok   ..." or "FAIL ..." per case and ends with "N passed, M failed".
# VERBOSE=1 shows a short diff for each failure.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/counts.sh"
nprof_arg "$@"

export TZ=UTC PPROF_BINARY_PATH=/nonexistent LC_ALL=C
export GO111MODULE=on GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off
export GOCACHE=$repo/build/go/cache GOPATH=$repo/build/go/path GOENV=off GOTOOLCHAIN=local
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gobin.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# build VARIANT GOFLAGS...: builds symgen into build/gobin/VARIANT and runs it there.
build() {
  local dir=build/gobin/$1
  shift
  mkdir -p "$dir" &&
    (cd tests/go && go build "$@" -o "$repo/$dir/symgen" ./symgen) &&
    "$dir/symgen" -o "$dir"
}
check "build and run symgen" build plain
check "build and run symgen -ldflags=-w" build nodwarf -ldflags=-w
check "build and run symgen -trimpath" build trim -trimpath
check "build and run symgen -ldflags='-s -w'" build stripped -ldflags='-s -w'
check "build and run symgen -buildmode=pie" build pie -buildmode=pie

# mask FILE: the lines the two tools may differ in.
mask() { grep -avE '^(File|Build ID|Time): ' "$1"; }

# same BINARY PROFILE ARGS...: one case.
same() {
  local bin=$1 prof=$2
  shift 2
  local what="$* $bin $prof"
  go tool pprof "$@" "$bin" "$prof" >"$tmp/go.out" 2>"$tmp/go.err"
  local grc=$?
  "$nprof" "$@" "$bin" "$prof" >"$tmp/np.out" 2>"$tmp/np.err"
  local nrc=$?
  if [ $grc = 0 ] && [ $nrc != 0 ]; then
    bad "$what: exit status $nrc: $(head -c 300 "$tmp/np.err")"
  elif [ $grc != 0 ] && [ $nrc = 0 ]; then
    bad "$what: exit status 0, go tool pprof's $grc: $(head -c 300 "$tmp/go.err")"
  elif [ $grc != 0 ] && ! cmp -s "$tmp/go.err" "$tmp/np.err"; then
    bad "$what: both fail, with different messages"
    [ -n "${VERBOSE:-}" ] && diff "$tmp/go.err" "$tmp/np.err" | head -20
  elif ! cmp -s <(mask "$tmp/go.out") <(mask "$tmp/np.out"); then
    bad "$what: output differs"
    [ -n "${VERBOSE:-}" ] && diff <(mask "$tmp/go.out") <(mask "$tmp/np.out") | head -20
  else
    ok "$what"
  fi
}

# every BINARY PROFILE...: the report matrix over each profile.
every() {
  local bin=$1 prof mode lines
  shift
  [ -x "$bin" ] || { bad "no binary $bin"; return; }
  for prof in "$@"; do
    [ -s "$prof" ] || { bad "no profile $prof"; continue; }
    for mode in -top -traces '-list=main\.' '-list=sync\.' '-peek=main\.' '-peek=runtime\.gopark'; do
      for lines in "" -lines; do
        same "$bin" "$prof" $mode $lines
      done
    done
  done
}

kinds=(heap.txt goroutine.txt mutex.txt block.txt threadcreate.txt)
for v in plain nodwarf trim stripped pie; do
  every build/gobin/$v/symgen "${kinds[@]/#/build/gobin/$v/}"
done
if [ -d build/profiles ] && [ -x build/go/bin/heapgen ]; then
  every build/go/bin/heapgen build/profiles/heap.txt build/profiles/allocs.txt
  every build/go/bin/goroutines build/profiles/goroutine.txt build/profiles/threadcreate.txt
  every build/go/bin/contention build/profiles/mutex.txt build/profiles/block.txt
else
  bad "build/profiles or build/go/bin missing (run tests/go/make-profiles.sh build/profiles)"
fi

# Another program's binary: its functions hold none of (or the wrong) addresses, a binary path
# that is not an ELF file is read as a second profile, one that is missing likewise.
if [ -x build/go/bin/heapgen ]; then
  for mode in -top -traces; do
    same build/go/bin/heapgen build/gobin/plain/goroutine.txt $mode
    same build/gobin/stripped/symgen build/profiles/heap.txt $mode
  done
fi
same tests/gobin.sh build/gobin/plain/heap.txt -top
same build/gobin/no-such-binary build/gobin/plain/heap.txt -top

echo "$pass passed, $fail failed"
[ $fail = 0 ]

#!/bin/bash
# demo.sh -- a memory-leak hunt with nprof, run by `make demo` after the build.
#
# Until nprof's own collector exists, the leaking program is a small Go one
# (tests/go/leaky): it serves a first batch of fake requests and takes a heap
# snapshot, serves more (each request keeps 64 KiB forever), and takes a
# second one, exactly what `curl .../debug/pprof/heap > snapshot.pb.gz` gives
# from a real server. nprof then answers the usual questions.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
# NPROF="go tool pprof" runs the same steps with the reference, to compare.
read -r -a nprof <<<"${NPROF:-build/nprof}"
demo=build/demo
mkdir -p "$demo"

bold='' plain=''
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() { printf '\n%s== %s%s\n' "$bold" "$1" "$plain"; shift; for l in "$@"; do echo "   $l"; done; }

failed=0
show() {
  local w line='$'
  for w in "$@"; do
    case $w in *[!A-Za-z0-9_./=:-]*) line+=" '$w'" ;; *) line+=" $w" ;; esac
  done
  echo "$line"
  "$@" || { echo "(this step failed: exit $?)"; failed=$((failed + 1)); }
}

step "1. Make a program leak and take two heap snapshots" \
  "tests/go/leaky stores a 64 KiB session buffer per request in a map that" \
  "is never cleaned. Snapshot A after 300 requests, snapshot B after 800."
export GO111MODULE=on GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off GOENV=off GOTOOLCHAIN=local
export GOCACHE=$repo/build/go/cache GOPATH=$repo/build/go/path
if ! (cd tests/go && go build -o "$repo/build/go/bin/" ./leaky) ||
   ! build/go/bin/leaky -o "$demo" -first 300 -more 500; then
  echo "demo: could not build or run the leaky program (is golang-go installed? make deps)" >&2
  exit 1
fi
stat -c '   %s bytes  %n' "$demo/leak-a.pb.gz" "$demo/leak-b.pb.gz"

step "2. What holds the memory now? (-top: biggest in-use allocators first)" \
  "flat = allocated by the function itself, cum = by it and what it calls."
show "${nprof[@]}" -top "$demo/leak-b.pb.gz"

step "3. What grew between the snapshots? (-diff_base=A B shows B minus A)" \
  "A steady leak shows up as the one function whose in-use bytes keep rising."
show "${nprof[@]}" -top -diff_base="$demo/leak-a.pb.gz" "$demo/leak-b.pb.gz"

step "4. Which line allocates it? (-list REGEX: source annotated with bytes)"
show "${nprof[@]}" -list 'main\.storeSession' "$demo/leak-b.pb.gz"

step "5. Who calls it? (-traces: each sampled stack with its bytes)" \
  "-focus keeps only the stacks that pass through the leaking function."
show "${nprof[@]}" -traces -focus='main\.storeSession' "$demo/leak-b.pb.gz"

echo
if [ "$failed" -ne 0 ]; then
  echo "demo: $failed step(s) failed"
  exit 1
fi
echo "demo: done. The snapshots are in $demo/; try other reports, e.g.:"
echo "   ${nprof[*]} -peek 'main\\.handleRequest' $demo/leak-b.pb.gz"
echo "   ${nprof[*]} -sample_index=alloc_space -top $demo/leak-b.pb.gz"

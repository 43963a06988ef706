#!/bin/bash
# demo.sh -- the memory-leak hunt nprof exists for, run by `make demo` after the build:
# a C server leaks, libnprof is preloaded into it, two heap snapshots are taken over HTTP with
# curl, and nprof shows what holds the memory, what grew, and which line allocates it.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
# NPROF="go tool pprof" runs the same analysis with the reference, to compare.
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
    case $w in *[!A-Za-z0-9_./=:?-]*) line+=" '$w'" ;; *) line+=" $w" ;; esac
  done
  echo "$line"
  "$@" || { echo "(this step failed: exit $?)"; failed=$((failed + 1)); }
}

server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; }
trap cleanup EXIT

step "1. Start a leaky C server with libnprof preloaded" \
  "Each GET /leaky-endpoint keeps a 1,000,000-byte buffer in a global table." \
  "No code change: LD_PRELOAD=build/libnprof.so, NPROF_HTTP=127.0.0.1:0 serves /debug/pprof/."
rm -f "$demo/pprof.addr"
echo "\$ LD_PRELOAD=build/libnprof.so NPROF_HTTP=127.0.0.1:0 build/examples/leaky-server 0 &"
LD_PRELOAD=$repo/build/libnprof.so NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE=$demo/pprof.addr \
  build/examples/leaky-server 0 >"$demo/server.out" 2>"$demo/server.err" &
server=$!
for _ in $(seq 100); do
  [ -s "$demo/pprof.addr" ] && grep -q listening "$demo/server.out" && break
  sleep 0.1
done
if ! [ -s "$demo/pprof.addr" ]; then
  echo "demo: the server did not start:" >&2
  cat "$demo/server.err" >&2
  exit 1
fi
sed 's/^/   /' "$demo/server.err" "$demo/server.out"
pprof=http://$(head -n1 "$demo/pprof.addr")/debug/pprof
app=http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$demo/server.out" | head -n1)

load() { for _ in $(seq "$1"); do curl -sf "$app/leaky-endpoint" >/dev/null || return 1; done; }

step "2. Load it, and take two heap snapshots with curl" \
  "Snapshot A after 100 requests, snapshot B after 150 more."
load 100 && show curl -s "$pprof/heap" -o "$demo/a.pb.gz"
load 150 && show curl -s "$pprof/heap" -o "$demo/b.pb.gz"
stat -c '   %s bytes  %n' "$demo/a.pb.gz" "$demo/b.pb.gz"

step "3. What holds the memory now? (-top: biggest in-use allocators first)" \
  "flat = allocated by the function itself, cum = by it and what it calls."
show "${nprof[@]}" -top "$demo/b.pb.gz"

step "4. What grew between the snapshots? (-diff_base=A B shows B minus A)" \
  "A steady leak shows up as the one function whose in-use bytes keep rising: 150 x 1 MB."
show "${nprof[@]}" -top -diff_base="$demo/a.pb.gz" "$demo/b.pb.gz"

step "5. Which line allocates it? (-list REGEX: the source annotated with bytes)"
show "${nprof[@]}" -list 'leaky_handler' "$demo/b.pb.gz"

step "6. The same questions straight from the live server" \
  "nprof (like go tool pprof) fetches a URL and saves the snapshot under \$HOME/pprof."
show "${nprof[@]}" -top -nodecount=3 "$pprof/heap"

echo
if [ "$failed" -ne 0 ]; then
  echo "demo: $failed step(s) failed"
  exit 1
fi
echo "demo: done. The snapshots are in $demo/; try other reports, e.g.:"
echo "   ${nprof[*]} -traces $demo/b.pb.gz"
echo "   ${nprof[*]} -sample_index=alloc_space -peek leaky_handler $demo/b.pb.gz"
echo "   curl -s '$pprof/heap?debug=1' | head"

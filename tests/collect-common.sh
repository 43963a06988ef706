# collect-common.sh -- what the collector's test scripts share (sourced, not run): the paths,
# a private temporary folder removed at exit with every process started in it, counting and
# reporting checks, and waiting.
#   usage: source tests/collect-common.sh "$1"   (the build folder, default build/)
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd) || exit 2
lib=$build/libnprof.so
nprof=$build/nprof
bins=$build/tests/collect
export TZ=UTC PPROF_TMPDIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/collect.XXXXXX")
PPROF_TMPDIR=$tmp/pprof
mkdir -p "$PPROF_TMPDIR"
pass=0 fail=0
t_start=$SECONDS

# kill_tree PID -- PID and its descendants (deepest first), by id.
kill_tree() {
  local p=$1 c
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do kill_tree "$c"; done
  kill -KILL "$p" 2>/dev/null
}
# Only this shell's background jobs still running (not every pid ever started: those that ended
# may have been reused), with their descendants.
cleanup() {
  local p
  for p in $(jobs -pr); do kill_tree "$p"; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section() { echo "== $* (at $((SECONDS - t_start))s)"; }
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1${2:+: $2}"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
show() { sed -n '1,15p' "$1" | sed 's/^/     | /'; }   # the head of a log, for failures
system_lib() { ldconfig -p | awk -v n="$1" '$1 == n {print $NF; exit}'; }   # SONAME -> its path

# serve_preloaded NAME [VAR=VALUE...] CMD... -- CMD with libnprof preloaded, serving /debug/pprof
# on an ephemeral port, under a 300 s timeout, its output in $tmp/NAME.out and .err; waits for
# the port, sets addr (empty when none came) and served (the timeout's pid); fails without addr.
serve_preloaded() {
  local name=$1; shift
  rm -f "$tmp/$name.port"
  timeout 300 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$tmp/$name.port" \
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  served=$!
  wait_for 100 test -s "$tmp/$name.port"
  addr=$(head -n1 "$tmp/$name.port" 2>/dev/null)
  [ -n "$addr" ]
}

# leak_threads -- examples/thread-leak-server preloaded and serving (as "leak"), once it listens,
# with 7 threads leaked: 4 at site a (wait_for_reply), 3 at site b (read_forever); sets addr,
# served, app (its own address) and base (its /debug/pprof URL).
leak_threads() {
  serve_preloaded leak "$build/examples/thread-leak-server" 0
  wait_for 100 grep -q listening "$tmp/leak.out"
  app=$(sed -n 's/.*listening on \(.*\)/\1/p' "$tmp/leak.out")
  base=http://$addr/debug/pprof
  local site
  for site in a b a b a a b; do curl -sf "http://$app/leak?site=$site" >/dev/null || bad "GET /leak?site=$site"; done
}

# wait_for LIMIT_TENTHS CMD... -- poll CMD every 0.1 s until it succeeds or the limit passes.
wait_for() {
  local n=$1 i; shift
  for ((i = 0; i < n; i++)); do "$@" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# use_private_copies -- the library and nprof copied into the temporary folder, so that a
# rebuild while the tests run does not pull them from under us; the test programs built.
use_private_copies() {
  local f
  for f in "$lib" "$nprof"; do
    if [ ! -e "$f" ]; then echo "missing $f (make first)"; echo "0 passed, 1 failed"; exit 1; fi
  done
  cp "$lib" "$tmp/libnprof.so" && cp "$nprof" "$tmp/nprof" || exit 2
  lib=$tmp/libnprof.so nprof=$tmp/nprof
  if ! make -s -C "$repo" BUILD="$build" collect-tests >"$tmp/make.log" 2>&1; then
    cat "$tmp/make.log"; echo "0 passed, 1 failed"; exit 1
  fi
}

# finish -- the closing lines; the exit status says whether anything failed.
finish() {
  echo "runtime $((SECONDS - t_start))s"
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

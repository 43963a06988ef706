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

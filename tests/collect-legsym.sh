#!/bin/bash
# collect-legsym.sh [BUILD] -- nprof names the functions of the legacy text profiles the
# collector serves as go tool pprof does, judged by go tool pprof itself on the same input:
# goroutine and threadcreate debug=1 of thread-leak-server, mutex and block debug=1 of
# lock-contention, heap debug=1 of leaky-server, each saved to a file (symbolized from the
# memory map and the binaries here) and fetched live (then also by the symbol protocol, POST to
# /debug/pprof/symbol); -top and -traces compared byte for byte, stderr too (Time: lines and
# the saved file's folder masked). Also the functions by name in nprof's own reports, and a
# server without a symbol service (both tools fail alike). Ends "N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies
export PPROF_BINARY_PATH=/nonexistent

# run TOOL OUT ARGS... -- one tool's stdout and stderr, with what may differ between runs masked:
# the Time: line and the folder (emptied each time, one per tool) where a fetched profile is saved.
run() {
  local tool=$1 out=$2; shift 2
  rm -rf "$tmp/save-$tool"; mkdir -p "$tmp/save-$tool"
  if [ "$tool" = go ]; then
    PPROF_TMPDIR=$tmp/save-$tool go tool pprof "$@" >"$out" 2>"$out.err"
  else
    PPROF_TMPDIR=$tmp/save-$tool "$nprof" "$@" >"$out" 2>"$out.err"
  fi
  sed -i '/^Time: /d' "$out"
  sed -i "s#$tmp/save-$tool/#SAVED/#" "$out.err"
}

# same NAME ARGS... -- go tool pprof and nprof print the same, on stdout and stderr.
same() {
  local name=$1; shift
  run go "$tmp/go.txt" "$@"
  run np "$tmp/np.txt" "$@"
  if cmp -s "$tmp/go.txt" "$tmp/np.txt" && cmp -s "$tmp/go.txt.err" "$tmp/np.txt.err"; then
    ok "$name"
  else
    bad "$name" "$(diff "$tmp/go.txt" "$tmp/np.txt" | head -8; diff "$tmp/go.txt.err" "$tmp/np.txt.err" | head -4)"
  fi
}

# named REPORT FUNC... -- every FUNC is a row of a -top report.
named() {
  local r=$1 f; shift
  for f in "$@"; do awk -v f="$f" '$6 == f {x = 1} END {exit !x}' "$r" || return 1; done
}

# both KIND URL FILE FUNC... -- the differential checks on a saved file and on the live URL,
# and nprof's own -top naming FUNC... from each.
both() {
  local kind=$1 url=$2 file=$3; shift 3
  curl -sf "$url" -o "$file" || bad "GET $url"
  local v
  for v in -top -traces; do
    same "$kind, saved file: nprof $v as go tool pprof's" "$v" "$file"
    same "$kind, live URL: nprof $v as go tool pprof's" "$v" "$url"
  done
  run np "$tmp/np.top" -top "$file"
  check "$kind, saved file: nprof names $*" named "$tmp/np.top" "$@"
  run np "$tmp/np.top" -top "$url"
  check "$kind, live URL: nprof names $*" named "$tmp/np.top" "$@"
}

section "thread-leak-server: goroutine and threadcreate debug=1"
leak_threads
# From a file without a memory map neither tool can name anything: the same "<unknown>".
curl -sf "$base/goroutine?debug=1" -o "$tmp/g.txt"
same "goroutine, saved file (no memory map): nprof -top as go tool pprof's" -top "$tmp/g.txt"
for v in -top -traces -raw; do
  same "goroutine, live URL: nprof $v as go tool pprof's" "$v" "$base/goroutine?debug=1"
done
run np "$tmp/np.top" -top "$base/goroutine?debug=1"
check "goroutine, live URL: nprof names main, wait_for_reply, read_forever" \
  named "$tmp/np.top" main wait_for_reply read_forever
check "goroutine, live URL: wait_for_reply cum 4, read_forever cum 3" \
  test "$(awk '$6 == "wait_for_reply" {a = $4} $6 == "read_forever" {b = $4} END {print a, b}' "$tmp/np.top")" = "4 3"
for v in -top -traces; do
  same "threadcreate, live URL: nprof $v as go tool pprof's" "$v" "$base/threadcreate?debug=1"
done
run np "$tmp/np.top" -top "$base/threadcreate?debug=1"
check "threadcreate, live URL: nprof names leak_site_a, leak_site_b, start_detached" \
  named "$tmp/np.top" leak_site_a leak_site_b start_detached

section "lock-contention: mutex and block debug=1"
serve_preloaded lc NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1 "$build/examples/lock-contention" 4 500 300
wait_for 600 grep -q waited_ns "$tmp/lc.out" || bad "lock-contention finished its rounds" "$(show "$tmp/lc.err")"
base=http://$addr/debug/pprof
both mutex "$base/mutex?debug=1" "$tmp/m.txt" update_shared worker
both block "$base/block?debug=1" "$tmp/b.txt" update_shared worker
run np "$tmp/np.top" -top "$base/mutex?debug=1"
check "mutex, live URL: libc's frames named by the symbol service (start_thread)" named "$tmp/np.top" start_thread

section "leaky-server: heap debug=1"
serve_preloaded leaky "$build/examples/leaky-server" 0
app=$(sed -n 's/.*listening on \(.*\)/\1/p' "$tmp/leaky.out")
for i in 1 2 3; do curl -sf "http://$app/leaky-endpoint" >/dev/null || bad "GET /leaky-endpoint"; done
both heap "http://$addr/debug/pprof/heap?debug=1" "$tmp/h.txt" leaky_handler serve

section "a server without a symbol service"
mkdir -p "$tmp/www/debug/pprof"
cp "$tmp/g.txt" "$tmp/www/debug/pprof/goroutine"
(cd "$tmp/www" && exec timeout 120 python3 -m http.server 0 --bind 127.0.0.1 >"$tmp/py.out" 2>&1) &
wait_for 100 grep -q 'port [0-9]' "$tmp/py.out"
port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$tmp/py.out" | head -n1)
same "no symbol service: nprof fails as go tool pprof does" -top "http://127.0.0.1:$port/debug/pprof/goroutine"
check "no symbol service: the message names the POST ($(tail -n1 "$tmp/np.txt.err"))" \
  grep -q '^http post http://127.0.0.1:[0-9]*/debug/pprof/symbol: server response: 501' "$tmp/np.txt.err"

finish

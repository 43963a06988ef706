#!/bin/bash
# collect-fleet.sh [BUILD] -- every kind over a forked process tree, and scraping as fleet
# profilers do. Ends "N passed, M failed".
#
#   1. tests/collect/prefork with busy workers (threads that contend on a mutex and burn CPU):
#      goroutine, threadcreate, mutex, block and profile?seconds=N answer ?pid=N (the worker's
#      own) and ?pid=all (the tree merged, a pid label on every sample, the CPU profile of every
#      process over the same seconds); a process whose answer is missing is named in a comment;
#      a worker that changed its user lists its threads in debug=2
#   2. examples/busy-service scraped as Parca and Grafana Alloy do: rounds of allocs, block,
#      goroutine and mutex at a short interval while profile?seconds=N runs; every scrape parses
#      with go tool pprof, sample types are Go's, the cumulative counters of allocs, mutex and
#      block never decrease for a stack from one scrape to the next, the index counts
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies
make -s -C "$repo" BUILD="$build" all >/dev/null 2>&1 # the examples
scrape_check=$repo/tests/scrape-check.py

get() { curl -s --max-time 30 "http://$addr/debug/pprof/$1"; }
# pids FILE -- the pid labels of a profile, one a line, as go tool pprof -tags lists them.
pids() { go tool pprof -tags -tagshow=pid "$1" 2>/dev/null | sed -nE 's/^ +[0-9.]+[a-zA-Z]* +\( *[0-9.]+%\): ([0-9]+)$/\1/p' | sort -n | tr '\n' ' '; }
# top_has FILE FUNC -- FUNC in go tool pprof's -top of FILE (cumulative, every node).
top_has() { go tool pprof -top -cum -nodecount=1000 -nodefraction=0 "$1" 2>/dev/null | awk -v f="$2" '$6 == f {found = 1} END {exit !found}'; }

section "1. every kind over a forked tree"
d=$tmp/prefork
mkdir -p "$d"
chmod o+x "$tmp"; chmod 777 "$d"
timeout -k 2 100 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" \
  NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1 "$bins/prefork" "$d" 3 busy >"$d/out" 2>"$d/err" &
wait_for 300 test -e "$d/ready"
addr=$(head -n1 "$d/port")
workers=($(ls "$d" | sed -n 's/^worker\.//p' | sort -n))
mpid=$(awk 'NR == 2 {print $1}' <(get processes))
sleep 0.5 # the workers' threads contend for a while
want="$mpid ${workers[*]} "
wanted_workers="${workers[*]} "
# kind FUNC PIDS: each kind through ?pid=all, with the processes that should be in it.
for spec in "goroutine busy_thread all" "threadcreate worker_spawn workers" "mutex worker_contend workers" \
  "block worker_contend workers"; do
  set -- $spec
  get "$1?pid=all" >"$d/$1.all.pb.gz"
  got=$(pids "$d/$1.all.pb.gz")
  expect=$([ "$3" = all ] && echo "$want" || echo "$wanted_workers")
  check "$1?pid=all: the tree merged with a pid label per process ($got), $2 in it" \
    bash -c "[ '$got' = '$expect' ] && $(declare -f top_has); top_has '$d/$1.all.pb.gz' $2"
done
w=${workers[1]}
# A thread that does not answer the dump's signal in time (a loaded machine) is counted without
# its stack, as documented: up to three dumps are asked for one that names busy_thread.
for try in 1 2 3; do
  get "goroutine?pid=$w&debug=1" >"$d/g.txt"
  grep -q busy_thread "$d/g.txt" && break
done
get "threadcreate?pid=$w&debug=1" >"$d/tc.txt"
get "mutex?pid=$w&debug=1" >"$d/m.txt"
get "block?pid=$w" >"$d/b.pb.gz"
check "goroutine?pid=N&debug=1: the worker's own threads (busy_thread), Go's header" \
  bash -c "grep -q '^goroutine profile: total [1-9]' '$d/g.txt' && grep -q busy_thread '$d/g.txt'"
check "threadcreate?pid=N&debug=1: the worker's 2 threads from worker_spawn" \
  bash -c "grep -qx 'threadcreate profile: total 2' '$d/tc.txt' && grep -q worker_spawn '$d/tc.txt'"
check "mutex?pid=N&debug=1: Go's text, worker_contend; go tool pprof reads it" \
  bash -c "head -n1 '$d/m.txt' | grep -qx -- '--- mutex:' && grep -q worker_contend '$d/m.txt' && $(declare -f top_has); top_has '$d/m.txt' worker_contend"
check "block?pid=N: a profile without pid labels (one process), worker_contend" \
  bash -c "[ -z \"$(pids "$d/b.pb.gz")\" ] && $(declare -f top_has); top_has '$d/b.pb.gz' worker_contend"
get "mutex?seconds=1&pid=all" >"$d/mutex.delta.pb.gz"
got=$(pids "$d/mutex.delta.pb.gz")
check "mutex?seconds=1&pid=all: each worker's delta, merged ($got)" test "$got" = "$wanted_workers"
get "profile?seconds=2&pid=all" >"$d/cpu.all.pb.gz"
go tool pprof -top "$d/cpu.all.pb.gz" >"$d/cpu.top" 2>&1
got=$(pids "$d/cpu.all.pb.gz")
dur=$(sed -n 's/^Duration: \([0-9.]*\)s.*/\1/p' "$d/cpu.top")
check "profile?seconds=2&pid=all: the workers' CPU over the same 2 s ($got; duration ${dur}s), worker_burn" \
  bash -c "for p in ${workers[*]}; do echo ' $got' | grep -q \" \$p \" || exit 1; done &&
           awk -v d='$dur' 'BEGIN {exit !(d >= 1.9 && d < 3)}' && $(declare -f top_has); top_has '$d/cpu.all.pb.gz' worker_burn"
# One process already profiling answers Go's error: the tree's profile names it in a comment.
busy=${workers[0]}
get "profile?seconds=4&pid=$busy" >/dev/null &
sleep 0.5
get "profile?seconds=1&pid=all" >"$d/cpu.missing.pb.gz"
wait $!
comment=$(go tool pprof -comments "$d/cpu.missing.pb.gz" 2>/dev/null | grep "pid $busy ")
check "profile?pid=all while pid $busy profiles already: named in a comment ($comment)" \
  bash -c "echo '$comment' | grep -q 'pid $busy (prefork) is not in this profile: answered 500: Could not enable CPU profiling' &&
           ! echo ' $(pids "$d/cpu.missing.pb.gz")' | grep -q ' $busy '"
# A worker that exits during a delta: the others are merged, it is named.
gone=${workers[2]}
get "mutex?seconds=2&pid=all" >"$d/mutex.missing.pb.gz" &
sleep 0.5
touch "$d/stop.$gone"
wait $!
comment=$(go tool pprof -comments "$d/mutex.missing.pb.gz" 2>/dev/null | grep "pid $gone ")
got=$(pids "$d/mutex.missing.pb.gz")
check "mutex?seconds=2&pid=all while pid $gone exits: the others merged ($got), it named in a comment" \
  bash -c "[ -n '$comment' ] && [ '$got' = '${workers[0]} ${workers[1]} ' ]"
touch "$d/stop"

# A worker that became nobody is not dumpable: /proc keeps its threads' syscall files from it.
if [ "$(id -u)" = 0 ]; then
  d=$tmp/nobody
  mkdir -p "$d"; chmod 777 "$d"
  timeout -k 2 60 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" \
    "$bins/prefork" "$d" 1 >"$d/out" 2>"$d/err" &
  wait_for 300 test -e "$d/ready"
  addr=$(head -n1 "$d/port")
  w=$(ls "$d" | sed -n 's/^worker\.//p')
  get "goroutine?pid=$w&debug=2" >"$d/g2.txt"
  check "goroutine?pid=N&debug=2 of a worker running as nobody: its thread listed, without a stack" \
    bash -c "grep -q '^goroutine $w name=\"prefork\"' '$d/g2.txt' && grep -q 'not dumpable' '$d/g2.txt'"
  touch "$d/stop"
fi

section "2. scraped as Parca and Grafana Alloy do"
d=$tmp/scrape
mkdir -p "$d"
ROUNDS=${FLEET_ROUNDS:-8}
timeout -k 2 $((ROUNDS * 3 + 60)) env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" \
  NPROF_MUTEX_FRACTION=5 NPROF_BLOCK_RATE=10000 "$build/examples/busy-service" 4 $((ROUNDS * 3 + 30)) >"$d/out" 2>"$d/err" &
service=$!
wait_for 100 test -s "$d/port"
addr=$(head -n1 "$d/port")
kinds="allocs block goroutine mutex"
# The CPU profile as Alloy asks for it (seconds=N, one scrape at a time), in the background; the
# other kinds every second meanwhile, each round's four at once.
(get "profile?seconds=5" >"$d/profile.pb.gz"; touch "$d/profile.done") &
during=0 ok200=0
for ((r = 0; r < ROUNDS; r++)); do
  for k in $kinds; do
    curl -s --max-time 30 -o "$d/$k.$r.pb.gz" -w '%{http_code}\n' "http://$addr/debug/pprof/$k" >"$d/$k.$r.code" &
  done
  wait $(jobs -p | tail -n 4)
  [ -e "$d/profile.done" ] || during=$((during + 1))
  ok200=$((ok200 + $(cat "$d"/*."$r".code | grep -c '^200$')))
  sleep 1
done
wait_for 100 test -e "$d/profile.done"
check "profile?seconds=5 answers while the other kinds are scraped ($during rounds of 4 answered meanwhile)" \
  bash -c "[ $during -ge 2 ] && $(declare -f top_has); top_has '$d/profile.pb.gz' compute"
check "every scrape answered 200 ($ok200 of $((ROUNDS * 4)))" test "$ok200" = $((ROUNDS * 4))
parsed=0
for f in "$d"/*.pb.gz; do go tool pprof -raw "$f" >/dev/null 2>&1 && parsed=$((parsed + 1)); done
check "go tool pprof -raw parses every scrape ($parsed of $((ROUNDS * 4 + 1)))" test "$parsed" = $((ROUNDS * 4 + 1))
declare -A types=([allocs]=alloc_objects/count,alloc_space/bytes,inuse_objects/count,inuse_space/bytes
  [block]=contentions/count,delay/nanoseconds [mutex]=contentions/count,delay/nanoseconds
  [goroutine]=goroutine/count [profile]=samples/count,cpu/nanoseconds)
for k in $kinds profile; do
  files=$(for ((r = 0; r < ROUNDS; r++)); do echo "$d/$k.$r.pb.gz"; done)
  [ $k = profile ] && files=$d/profile.pb.gz
  python3 "$scrape_check" $k $files >"$d/$k.check" 2>&1
  rc=$?
  got=$(sed -n 's/^types //p' "$d/$k.check")
  check "$k: sample types exactly Go's ($got)" test "$got" = "${types[$k]}"
  if [ $k = allocs ] || [ $k = mutex ] || [ $k = block ]; then
    check "$k: cumulative, no stack's counter decreases from one scrape to the next ($(grep -c '^decrease' "$d/$k.check") decreases)" test $rc = 0
    [ $rc = 0 ] || show "$d/$k.check"
    first=$(go tool pprof -raw "$d/$k.0.pb.gz" 2>/dev/null | awk '/^Samples:/ {s = 1; getline; next} /^Locations/ {s = 0} s && /^ *[0-9-]+ .*:/ {t += $2} END {printf "%.0f\n", t}')
    last=$(go tool pprof -raw "$d/$k.$((ROUNDS - 1)).pb.gz" 2>/dev/null | awk '/^Samples:/ {s = 1; getline; next} /^Locations/ {s = 0} s && /^ *[0-9-]+ .*:/ {t += $2} END {printf "%.0f\n", t}')
    check "$k: grows between the first and last scrape ($first -> $last), so a scraper's deltas see the work" \
      bash -c "[ '$last' -gt '$first' ]"
  fi
done
get "" >"$d/index.html"
count() { sed -nE "s|^<tr><td>([0-9]+)</td><td><a href='$1\?debug=1'>.*|\1|p" "$d/index.html"; }
threads=$(count goroutine)
check "index: counts allocs $(count allocs), block $(count block), mutex $(count mutex); threadcreate $(count threadcreate) = the 4 threads made, goroutine $threads = the 5 running" \
  bash -c "[ '$(count allocs)' -gt 0 ] && [ '$(count block)' -gt 0 ] && [ '$(count mutex)' -gt 0 ] &&
           [ '$(count threadcreate)' = 4 ] && [ '$threads' = 5 ]"
kill "$service" 2>/dev/null

finish

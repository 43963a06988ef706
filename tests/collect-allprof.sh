#!/bin/bash
# collect-allprof.sh [BUILD] -- every profile at once on real programs: Debian's redis-server
# (I/O threads on) under redis-benchmark load and a data check, and python3 running threads,
# locks, queues, allocation churn and CPU work, each with CPU profiling at 1000 Hz, heap
# sampling, NPROF_MUTEX_FRACTION=1 and NPROF_BLOCK_RATE=1, while every kind (goroutine debug=0/1/2,
# threadcreate, mutex, block, heap, allocs, and their ?seconds=N deltas) is scraped concurrently.
# Each run is bounded by a watchdog (timeout); the program's output must equal a run without
# libnprof, every profile fetched must be read by nprof and go tool pprof, and the profiles must
# name what the program does. Then the corners of stack walks (tests/collect/corners.c): a
# thread dumped while blocked inside its own signal handler (on its stack and on an alternate
# one), CPU samples of a handler burning CPU on an alternate signal stack, a dump under 8 frames
# built at -O0, a program that takes the dump's signal (then every realtime signal), and no
# ", N minutes" for a thread that waited less; NPROF_ALLPROF_MINUTE=1 adds a wait of over a
# minute. Ends "N passed, M failed" (about a minute on two cores).
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies
export PPROF_BINARY_PATH=/nonexistent
all_on=(NPROF_CPU_HZ=1000 NPROF_HEAP_RATE=65536 NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1)
kinds=(goroutine 'goroutine?debug=1' 'goroutine?debug=2' threadcreate 'threadcreate?debug=1'
  mutex 'mutex?debug=1' block 'block?debug=1' heap 'heap?debug=1' allocs
  'goroutine?seconds=2' 'threadcreate?seconds=2' 'mutex?seconds=2' 'block?seconds=2'
  'heap?seconds=2' 'allocs?seconds=2')
have_go=0
command -v go >/dev/null && have_go=1

# app_threads PID -- the threads of PID that are the program's own (libnprof's are nprof-*).
app_threads() {
  local t n=0
  for t in /proc/$1/task/*; do grep -q '^nprof-' "$t/comm" 2>/dev/null || n=$((n + 1)); done
  echo "$n"
}

# launch NAME WATCHDOG CMD... -- CMD with every profile on, preloaded and serving on an ephemeral
# port, bounded by WATCHDOG seconds; sets addr, base and served (the watchdog's pid).
launch() {
  local name=$1 limit=$2; shift 2
  rm -f "$tmp/$name.port"
  timeout -k 2 "$limit" env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$tmp/$name.port" \
    "${all_on[@]}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  served=$!
  wait_for 100 test -s "$tmp/$name.port"
  addr=$(head -n1 "$tmp/$name.port" 2>/dev/null)
  base=http://$addr/debug/pprof
  [ -n "$addr" ]
}

# fetch NAME ROUND N KIND -- one answer saved as $tmp/NAME.ROUND.N (its URL beside it); a status
# other than 200 appended to $tmp/NAME.errors.
fetch() {
  local code
  code=$(curl -s -m 20 -o "$tmp/$1.$2.$3" -w '%{http_code}' "$base/$4")
  [ "$code" = 200 ] || echo "$4: $code" >>"$tmp/$1.errors"
  echo "$4" >"$tmp/$1.$2.$3.url"
}
# scrape NAME ROUND -- every kind fetched concurrently: the ?seconds=N deltas run while the
# others are fetched six at a time, so with a CPU profile running at most 13 requests are in
# flight, within the server's 16 (a 17th is answered 503 at once, by design).
scrape() {
  local i=0 u pids=() batch=()
  for u in "${kinds[@]}"; do
    i=$((i + 1))
    [[ $u == *seconds=* ]] || continue
    fetch "$1" "$2" "$i" "$u" &
    pids+=($!)
  done
  i=0
  for u in "${kinds[@]}"; do
    i=$((i + 1))
    [[ $u == *seconds=* ]] && continue
    fetch "$1" "$2" "$i" "$u" &
    batch+=($!)
    [ "${#batch[@]}" -lt 6 ] && continue
    wait "${batch[@]}"; batch=()
  done
  wait "${batch[@]}" "${pids[@]}"
}

# read_all NAME -- every saved answer but debug=2 read by nprof -top and go tool pprof -top;
# the failures in $tmp/NAME.unread.
read_all() {
  local f u
  : >"$tmp/$1.unread"
  for f in "$tmp/$1".*.url; do
    u=$(cat "$f") f=${f%.url}
    [[ $u == *debug=2* ]] && continue
    "$nprof" -top "$f" >"$f.np" 2>&1 || echo "nprof $u: $(head -n1 "$f.np")" >>"$tmp/$1.unread"
    [ "$have_go" = 1 ] || continue
    go tool pprof -top "$f" >"$f.go" 2>&1 || echo "go $u: $(head -n1 "$f.go")" >>"$tmp/$1.unread"
  done
}
# answers NAME KIND -- the saved answers to KIND.
answers() { grep -lx -- "$2" "$tmp/$1".*.url | sed 's/\.url$//'; }
# blocks FILE -- thread blocks in a debug=2 answer.
blocks() { grep -c '^goroutine [0-9]* name="[^"]*" \[[^]]*\]:$' "$1"; }
# top_names FILE -- function names of every node of a profile, as go tool pprof lists them.
top_names() { go tool pprof -top -nodefraction=0 -nodecount=100000 "$1" 2>/dev/null | awk 'NR > 6 {print $NF}'; }

reads_and_errors() {
  check "$1: every request answered 200 ($(head -n3 "$tmp/$1.errors" 2>/dev/null | tr '\n' ' '))" \
    test ! -s "$tmp/$1.errors"
  read_all "$1"
  check "$1: nprof$([ "$have_go" = 1 ] && echo ' and go tool pprof') read all $(ls "$tmp/$1".*.url | wc -l) answers but debug=2 ($(head -n3 "$tmp/$1.unread" | tr '\n' ' '))" \
    test ! -s "$tmp/$1.unread"
}

section "redis-server, every profile on, under redis-benchmark"
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  # The data check: known keys of several types written, read back, counted.
  {
    for i in $(seq 0 1999); do echo "SET key:$i value-$i-$((i * 7919 % 10007))"; done
    for i in $(seq 0 299); do echo "RPUSH list:a item$i"; echo "HSET hash:a f$i v$((i * i))"; echo "INCRBY counter $i"; done
  } >"$tmp/write.cmds"
  {
    for i in $(seq 0 99); do echo "MGET $(seq -f "key:%g" $((i * 20)) $((i * 20 + 19)) | tr '\n' ' ')"; done
    echo "LRANGE list:a 0 -1"; echo "HGETALL hash:a"; echo "GET counter"; echo "DBSIZE"
  } >"$tmp/read.cmds"
  datacheck() {  # datacheck SOCKET OUT
    { redis-cli -s "$1" <"$tmp/write.cmds"; redis-cli -s "$1" <"$tmp/read.cmds"
      redis-cli -s "$1" INFO keyspace | tr -d '\r' | grep '^db0:'; } >"$2" 2>&1 </dev/null
  }
  # I/O threads: 2 (the main thread and one more). More than the machine's CPUs makes redis'
  # spinning I/O threads starve its main thread, with or without libnprof (4 on 2 CPUs served
  # under 200 requests a second).
  redis_args=(--port 0 --save '' --appendonly no --io-threads 2 --io-threads-do-reads yes)
  timeout -k 2 60 redis-server "${redis_args[@]}" --unixsocket "$tmp/plain.sock" >"$tmp/plain.log" 2>&1 &
  plain=$!
  wait_for 100 test -S "$tmp/plain.sock" && datacheck "$tmp/plain.sock" "$tmp/plain.data"
  redis-cli -s "$tmp/plain.sock" SHUTDOWN NOSAVE </dev/null >/dev/null 2>&1
  wait "$plain"

  sock=$tmp/redis.sock
  if launch redis 90 redis-server "${redis_args[@]}" --unixsocket "$sock" && wait_for 100 test -S "$sock"; then
    pid=$(ps -o pid= --ppid "$served" | tr -d ' ')
    tasks_before=$(app_threads "$pid")
    curl -s -m 40 -o "$tmp/redis.cpu.pb.gz" -w '%{http_code}' "$base/profile?seconds=8" >"$tmp/redis.cpu.code" &
    cpu=$!
    timeout 60 redis-benchmark -s "$sock" --dbnum 1 -n 30000 -c 8 -r 1000 -t set,get,lpush,lpop,incr,hset \
      -q >"$tmp/bench.out" 2>&1 &
    bench=$!
    datacheck "$sock" "$tmp/redis.data"
    for r in 1 2 3; do scrape redis $r; done
    wait "$bench"
    wait "$cpu"
    curl -s "$base/goroutine?debug=2" -o "$tmp/redis.last2"
    tasks=$(app_threads "$pid")
    redis-cli -s "$sock" SHUTDOWN NOSAVE </dev/null >/dev/null 2>&1
    wait "$served"
    rc=$?
    check "redis exits 0 on SHUTDOWN under every profile (watchdog 90 s: $rc)" test "$rc" = 0
    check "redis-benchmark completes its 6 tests ($(tr '\r' '\n' <"$tmp/bench.out" | grep -c 'per second') of 6)" \
      test "$(tr '\r' '\n' <"$tmp/bench.out" | grep -c 'requests per second')" = 6
    check "data check: the same replies, keys and counts as without libnprof ($(tail -n1 "$tmp/redis.data"))" \
      bash -c "test -s '$tmp/plain.data' && cmp -s '$tmp/plain.data' '$tmp/redis.data'"
    reads_and_errors redis
    check "profile?seconds=8 while scraping: 200 ($(cat "$tmp/redis.cpu.code"))" test "$(cat "$tmp/redis.cpu.code")" = 200
    "$nprof" -top "$tmp/redis.cpu.pb.gz" >"$tmp/redis.cpu.np" 2>&1
    check "nprof reads the CPU profile" grep -q 'flat%' "$tmp/redis.cpu.np"
    if [ "$have_go" = 1 ]; then
      top_names "$tmp/redis.cpu.pb.gz" >"$tmp/redis.cpu.names"
      check "the CPU profile names redis' functions (aeMain, processCommand, IOThreadMain)" \
        bash -c "grep -qx aeMain '$tmp/redis.cpu.names' && grep -qx processCommand '$tmp/redis.cpu.names' &&
          grep -qx IOThreadMain '$tmp/redis.cpu.names'"
      f=$(answers redis allocs | tail -n1)
      top_names "$f" >"$tmp/redis.allocs.names"
      check "allocs names redis' allocations (zmalloc)" grep -q '^zmalloc\|^ztrymalloc' "$tmp/redis.allocs.names"
    fi
    # The count moves while redis runs: jemalloc (which redis links) starts background threads
    # as it needs them, and a thread the collector has just started is counted as the program's
    # until it names itself. A dump lists as many threads as were counted before the first one
    # and after the last, or a number between.
    check "thread dumps list redis' $tasks_before to $tasks threads and its I/O thread, every time" \
      bash -c "for f in $(answers redis 'goroutine?debug=2' | tr '\n' ' ') $tmp/redis.last2; do
        n=\$(grep -c '^goroutine [0-9]* name=\"[^\"]*\" \[[^]]*\]:\$' \$f)
        [ \$n -ge $tasks_before ] && [ \$n -le $tasks ] && grep -q 'name=\"io_thd_1\"' \$f || exit 1; done"
    check "no warning or error from libnprof ($(grep -m1 nprof "$tmp/redis.err"))" bash -c "! grep -qi 'nprof.*\(warn\|error\|fail\)' '$tmp/redis.err'"
  else
    bad "redis-server starts under every profile"; show "$tmp/redis.err"
  fi
else
  ok "redis-server not installed: skipped"
fi

section "python3 with threads, locks and queues, every profile on"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
cat >"$tmp/work.py" <<'PY'
import hashlib, os, queue, sys, threading, time
WORKERS, JOBS = 4, int(sys.argv[2])
jobs = queue.Queue(maxsize=16)
results, rlock, cond, done = {}, threading.Lock(), threading.Condition(), [0]

def work(n):
    acc, keep = 0, []
    for i in range(n):
        keep.append(hashlib.sha256(str(i * 7919).encode() * 8).digest())
        if len(keep) > 64:
            keep = keep[32:]
        acc = (acc * 31 + i) % 1000000007
    churn = {k: [k] * 3 for k in range(300)}
    return acc, keep[-1].hex()[:16], len(churn)

def worker():
    while True:
        j = jobs.get()
        if j is None:
            return
        r = work(2000 + 40 * j)
        with rlock:
            results[j] = r
        with cond:
            done[0] += 1
            cond.notify_all()

ts = [threading.Thread(target=worker, name="w%d" % i) for i in range(WORKERS)]
for t in ts:
    t.start()
open(sys.argv[1], "w").write("ready\n")
for j in range(JOBS):
    jobs.put(j)
with cond:
    cond.wait_for(lambda: done[0] == JOBS)
while not os.path.exists(sys.argv[3]):   # the test's scraping is done
    time.sleep(0.05)
for t in ts:
    jobs.put(None)
for t in ts:
    t.join()
for j in sorted(results):
    print(j, *results[j])
PY
jobs_n=600
touch "$tmp/plain.stop"
timeout -k 2 60 "$py" "$tmp/work.py" "$tmp/plain.ready" "$jobs_n" "$tmp/plain.stop" >"$tmp/py.plain" 2>&1
if launch py 90 NPROF_CPU_PROFILE="$tmp/py.cpu.pb.gz" "$py" "$tmp/work.py" "$tmp/py.ready" "$jobs_n" "$tmp/py.stop" &&
    wait_for 100 test -s "$tmp/py.ready"; then
  pid=$(ps -o pid= --ppid "$served" | tr -d ' ')
  curl -s -o "$tmp/py.first2" "$base/goroutine?debug=2"
  busy=$(curl -s -o /dev/null -w '%{http_code}' "$base/profile?seconds=1")
  for r in 1 2 3; do scrape py $r; done
  check "python3 alive after 3 rounds of scrapes during its work (it ends when the test says so)" kill -0 "$pid"
  touch "$tmp/py.stop"
  wait "$served"
  rc=$?
  check "python3 exits 0 under every profile (watchdog 90 s: $rc)" test "$rc" = 0
  check "python3's output is the same as without libnprof ($(wc -l <"$tmp/py.out") lines)" \
    bash -c "test -s '$tmp/py.plain' && cmp -s '$tmp/py.plain' '$tmp/py.out'"
  reads_and_errors py
  check "profile?seconds=1 during NPROF_CPU_PROFILE: Go's 500 ($busy)" test "$busy" = 500
  check "the thread dump lists the main thread and the 4 workers ($(blocks "$tmp/py.first2"))" \
    test "$(blocks "$tmp/py.first2")" = 5
  check "the CPU profile of the whole run is written" test -s "$tmp/py.cpu.pb.gz"
  "$nprof" -top "$tmp/py.cpu.pb.gz" >"$tmp/py.cpu.np" 2>&1
  check "nprof reads it" grep -q 'flat%' "$tmp/py.cpu.np"
  if [ "$have_go" = 1 ]; then
    check "go tool pprof reads it, python's interpreter in it (_PyEval_EvalFrameDefault)" \
      bash -c "go tool pprof -top -nodefraction=0 -nodecount=100000 '$tmp/py.cpu.pb.gz' 2>/dev/null | grep -q '_PyEval_EvalFrameDefault$'"
    for k in mutex block; do
      for f in $(answers py "$k"); do top_names "$f"; done >"$tmp/py.$k.names"
      check "$k: samples from python's GIL (its lock and condition variable, under PyEval_RestoreThread or PyEval_SaveThread)" \
        grep -qx 'PyEval_RestoreThread\|PyEval_SaveThread\|take_gil\|drop_gil' "$tmp/py.$k.names"
    done
  fi
  check "no warning or error from libnprof ($(grep -m1 nprof "$tmp/py.err"))" bash -c "! grep -qi 'nprof.*\(warn\|error\|fail\)' '$tmp/py.err'"
else
  bad "python3 starts under every profile"; show "$tmp/py.err"
fi

section "corners: stacks through signal frames, -O0 frames, the dump signal taken"
corners=$bins/corners
# dump_of NAME MODE... -- corners MODE preloaded and serving, its debug=2 dump in $tmp/NAME.g2.
dump_of() {
  local name=$1; shift
  serve_preloaded "$name" "$corners" "$@" && wait_for 100 grep -q ready "$tmp/$name.out" &&
    curl -s "http://$addr/debug/pprof/goroutine?debug=2" -o "$tmp/$name.g2"
  kill_tree "$served"; wait "$served" 2>/dev/null
}
# block_of FILE NAME -- the function names of thread NAME's block in a debug=2 dump, one a line.
block_of() { awk -v RS= -v n="name=\"$2\"" 'index($0, n)' "$1" | sed -n 's/^\([^\t ]*\)(\.\.\.)$/\1/p'; }
chain() { block_of "$1" "$2" | tr '\n' ' ' | sed 's/ $//'; }
for how in "" alt; do
  dump_of inh$how inhandler $how
  c=$(chain "$tmp/inh$how.g2" in-handler)
  check "dump of a thread blocked in its own signal handler${how:+ on an alternate stack}: through __restore_rt to the interrupted code and the thread's start ($c)" \
    bash -c "[[ '$c' == *'handler_waits on_usr1_wait __restore_rt victim_spin victim_outer start_thread'* ]]"
done
dump_of deep deep
c=$(chain "$tmp/deep.g2" deep)
check "dump of a thread blocked under 8 frames built at -O0 (CFA in rbp): the whole chain ($c)" \
  bash -c "[[ '$c' == *'deep_block deep_8 deep_7 deep_6 deep_5 deep_4 deep_3 deep_2 deep_1 deep_thread start_thread'* ]]"
check "no thread that just started is said to have waited minutes" \
  bash -c "! cat '$tmp'/*.g2 | grep -q '^goroutine .*minutes\]:'"
env NPROF_CPU_HZ=1000 NPROF_CPU_PROFILE="$tmp/alt.pb.gz" LD_PRELOAD="$lib" timeout -k 2 60 "$corners" altstack 2 \
  >"$tmp/alt.out" 2>"$tmp/alt.err"
check "CPU profile of a handler burning CPU on an alternate signal stack: runs to its end" grep -qx 'altstack done' "$tmp/alt.out"
if [ "$have_go" = 1 ]; then
  go tool pprof -top -cum -unit=ms -nodefraction=0 "$tmp/alt.pb.gz" >"$tmp/alt.top" 2>&1
  burn=$(awk '$6 == "burn_on_altstack" {print $4}' "$tmp/alt.top") whole=$(awk '$6 == "alt_loop" {print $4}' "$tmp/alt.top")
  check "its samples in the handler go on through the signal frame to the thread's own stack (burn_on_altstack $burn, alt_loop $whole)" \
    awk -v b="${burn%ms}" -v w="${whole%ms}" 'BEGIN { exit !(b > 0 && w >= 0.95 * b) }'
fi
# The dump's signal taken by the program: first the one libnprof chose, then every realtime one.
if serve_preloaded own "$corners" ownsig && wait_for 100 grep -q ready "$tmp/own.out"; then
  pid=$(ps -o pid= --ppid "$served" | tr -d ' ')
  own_dump() { curl -s "http://$addr/debug/pprof/goroutine?debug=2" -o "$tmp/own.$1"; }
  spinner() { awk -v RS= 'index($0, "name=\"spinner\"")' "$tmp/own.$1"; }
  # Until a dump has held the spinner still: only then has libnprof taken a signal (on a busy
  # machine a runnable thread waiting for a CPU is shown without a stack and needs none).
  for i in 1 2 3 4 5 6 7 8; do own_dump 0; spinner 0 | grep -q '^spin_here' && break; done
  kill -USR1 "$pid"; wait_for 50 grep -q 'took 1' "$tmp/own.out"
  own_dump 1
  check "the program takes the dump's signal after a dump: libnprof says so and takes another" \
    grep -q 'took over signal .* using another one' "$tmp/own.err"
  # As above: a spinner waiting for a CPU is shown without a stack, so a few dumps are asked.
  for i in 1 2 3 4 5 6 7 8; do
    spinner 1 >"$tmp/own.spin1"
    grep -q '^spin_here' "$tmp/own.spin1" && break
    own_dump 1
  done
  check "... and the next dump still holds a running thread still (spin_here)" grep -q '^spin_here' "$tmp/own.spin1"
  kill -USR1 "$pid"; wait_for 50 grep -q 'took [0-9][0-9]' "$tmp/own.out"
  for i in 2 3 4; do own_dump $i; done
  awk -v RS= 'index($0, "name=\"sleeper\"")' "$tmp/own.4" >"$tmp/own.sleeper"
  check "every realtime signal taken: dumps still answer, the sleeping thread with its stack" grep -q '^sleep_here' "$tmp/own.sleeper"
  check "... the running one without, saying why" bash -c "cat '$tmp'/own.[234] | grep -q 'no stack: running, and the program has a handler on every realtime signal'"
  check "... and libnprof says so once on stderr ($(grep -c 'no realtime signal is free' "$tmp/own.err"))" \
    test "$(grep -c 'no realtime signal is free' "$tmp/own.err")" = 1
  kill -USR2 "$pid"; wait_for 50 grep -q 'own handlers ran' "$tmp/own.out"
  check "the program's own realtime handlers never ran because of a dump ($(grep 'own handlers' "$tmp/own.out"))" \
    grep -q 'own handlers ran 0 times' "$tmp/own.out"
else
  bad "corners ownsig starts"; show "$tmp/own.err"
fi
kill_tree "$served"; wait "$served" 2>/dev/null
# A wait of a minute or more, Go's ", N minutes": only in a long run (NPROF_ALLPROF_MINUTE=1).
if [ -n "${NPROF_ALLPROF_MINUTE:-}" ]; then
  serve_preloaded minute "$corners" deep && wait_for 100 grep -q ready "$tmp/minute.out" && sleep 62 &&
    curl -s "http://$addr/debug/pprof/goroutine?debug=2" -o "$tmp/minute.txt"
  check "a thread blocked for over a minute: [sleeping in read, 1 minutes]" \
    grep -q '^goroutine [0-9]* name="deep" \[sleeping in read, 1 minutes\]:$' "$tmp/minute.txt"
  kill_tree "$served"; wait "$served" 2>/dev/null
fi
finish

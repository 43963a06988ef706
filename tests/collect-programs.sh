#!/bin/bash
# collect-programs.sh [BUILD] -- robustness of libnprof inside real and hostile programs, while
# its /debug/pprof/heap endpoint is scraped again and again. Ends "N passed, M failed".
#
#   1. real programs keep their output and exit status: python3, sqlite3, git, redis-server
#      under redis-benchmark (redis links jemalloc: the bindings are checked too)
#   2. fork/exec/posix_spawn storm from a threaded, allocating parent (tests/collect/forkstorm);
#      children that dump their heap at exit while the parent serves (forkexit)
#   3. dlopen/call/dlclose loop, then a scrape with stacks into the unloaded library (dlloop)
#   4. 16-thread allocator stress (every entry point, cross-thread frees; stress, newdelete),
#      checksums as without the collector; over a long steady run with scrapes, the collector's
#      own memory flat (and RSS, within glibc's arena swings)
#   5. edge cases: TSD destructor calling free, malloc in a signal handler, fork from a thread,
#      bootstrap in trivial programs, ldd, a static program
#   6. NPROF_HEAP_DUMP: periodic files, one on a signal, one at exit, all valid profiles
#   7. stack walks: both unwinders give the same stacks in python3 and sqlite3
#   8. ./configure of a small autoconf project: its output unchanged with dumps on, and every
#      dump named after the program that wrote it
#
# The programs are built by `make` (build/tests/collect/). Every run is bounded by timeout(1),
# every loop by a count, all HTTP goes to 127.0.0.1, and every process started here is killed
# on exit. Runs in about a minute and a half.
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
# cxx_leaves PROFILE -- how many of cxxforms' leak_* functions are the leaf of their 8 MiB, and
# any operator new that is a leaf instead.
cxx_leaves() {
  "$nprof" -top -nodecount=100 "$1" 2>/dev/null |
    awk '$1 == "8MB" && $6 ~ /^leak_/ {n++} $1 != "0" && /operator new/ {bad = bad " " $0}
         END {printf "%d leak_* leaves of 8MB%s", n, bad ? "; leaf:" bad : ""}'
}

use_private_copies
have_go=0
command -v go >/dev/null && go tool pprof -h >/dev/null 2>&1 && have_go=1
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

# ---- scraping -----------------------------------------------------------------------------

# scrape_loop DIR PORTFILE ID MAX -- fetch /debug/pprof/heap up to MAX times (and at most 90 s)
# from the address in PORTFILE (re-read each time: exec'd children may rewrite it) into
# DIR/p.ID.N.pb.gz. Non-200 answers go to DIR/errors; no connection (the process is not up or
# gone) and cut transfers are counted in DIR/gone.
scrape_loop() {
  local dir=$1 pf=$2 id=$3 max=$4 i addr code rc end=$((SECONDS + 90))
  for ((i = 0; i < max && SECONDS < end; i++)); do
    [ -e "$dir/stop" ] && break
    addr=$(head -n1 "$pf" 2>/dev/null)
    if [[ "$addr" == 127.0.0.1:* ]]; then
      code=$(curl -s --max-time 10 -o "$dir/p.$id.$i.pb.gz" -w '%{http_code}' "http://$addr/debug/pprof/heap")
      rc=$?
      if [ "$code" = 000 ] || { [ "$code" = 200 ] && [ $rc != 0 ]; }; then
        rm -f "$dir/p.$id.$i.pb.gz"; echo "$addr $rc" >>"$dir/gone"
      elif [ "$code" != 200 ]; then
        echo "$addr HTTP $code: $(head -c 200 "$dir/p.$id.$i.pb.gz")" >>"$dir/errors"
        rm -f "$dir/p.$id.$i.pb.gz"
      fi
    fi
    sleep 0.05
  done
}

# start_scrapers DIR PORTFILE LOOPS [MAX] -- LOOPS scrape loops in the background.
start_scrapers() {
  local dir=$1 pf=$2 loops=$3 max=${4:-150} k
  mkdir -p "$dir"
  rm -f "$dir/stop"
  scraper_pids=()
  for ((k = 0; k < loops; k++)); do
    scrape_loop "$dir" "$pf" "$k" "$max" &
    scraper_pids+=($!)
  done
}
stop_scrapers() {
  touch "$1/stop"
  local p
  for p in "${scraper_pids[@]}"; do wait "$p" 2>/dev/null; done
}

# check_profiles NAME DIR MIN [go] -- at least MIN scrapes, no HTTP error, every file read by
# nprof -top (and the last one by go tool pprof -raw if "go" is given).
check_profiles() {
  local name=$1 dir=$2 min=$3 n=0 unread=0 errs=0 f last=
  for f in "$dir"/p.*.pb.gz; do
    [ -e "$f" ] || continue
    n=$((n + 1)); last=$f
    if ! "$nprof" -top "$f" >"$dir/top.out" 2>"$dir/top.err" || ! grep -q '^Type: inuse_space' "$dir/top.out"; then
      unread=$((unread + 1)); cp "$dir/top.err" "$dir/unread.err"
    fi
  done
  [ -e "$dir/errors" ] && errs=$(wc -l <"$dir/errors")
  if [ "$n" -ge "$min" ] && [ "$unread" = 0 ] && [ "$errs" = 0 ]; then
    ok "$name: $n heap scrapes, all read by nprof -top"
  else
    bad "$name: $n heap scrapes (want >= $min), $unread unreadable, $errs HTTP errors"
    [ -e "$dir/errors" ] && show "$dir/errors"
    [ -e "$dir/unread.err" ] && show "$dir/unread.err"
  fi
  if [ "${4:-}" = go ] && [ -n "$last" ]; then
    if [ $have_go = 1 ]; then
      check "$name: go tool pprof -raw reads a scrape" bash -c "go tool pprof -raw '$last' >'$dir/raw.out' 2>&1 && grep -q '^Samples:' '$dir/raw.out'"
    else
      echo "skip $name: go tool pprof -raw (no go)"
    fi
  fi
}

# under NAME RATE LOOPS LIMIT CMD... -- run CMD (foreground) with the collector preloaded at
# heap rate RATE ("" = default), serving on 127.0.0.1:0 and scraped by LOOPS loops; CMD's
# stdout, stderr and status land in $tmp/NAME/{out,err,rc}.
under() {
  local name=$1 rate=$2 loops=$3 limit=$4; shift 4
  local d=$tmp/$name rc
  mkdir -p "$d"
  local envs=(LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port")
  [ -n "$rate" ] && envs+=(NPROF_HEAP_RATE="$rate")
  start_scrapers "$d" "$d/port" "$loops"
  timeout -k 2 "$limit" env "${envs[@]}" "$@" >"$d/out" 2>"$d/err"
  rc=$?
  stop_scrapers "$d"
  echo $rc >"$d/rc"
  [ $rc = 124 ] || [ $rc = 137 ] && echo "     ($name: timed out after ${limit}s)"
  return 0
}

# plain NAME CMD... -- the reference run without the collector: $tmp/NAME.plain.{out,rc}.
plain() {
  local name=$1; shift
  timeout -k 2 60 "$@" >"$tmp/$name.plain.out" 2>"$tmp/$name.plain.err"
  echo $? >"$tmp/$name.plain.rc"
}

# same NAME REFNAME -- the preloaded run NAME printed what REFNAME's plain run printed and
# exited the same way.
same() {
  local d=$tmp/$1 r=$tmp/$2.plain
  if cmp -s "$d/out" "$r.out" && [ "$(cat "$d/rc")" = "$(cat "$r.rc")" ]; then
    ok "$1: same output and exit status ($(cat "$d/rc")) as without the collector"
  else
    bad "$1: output or exit status differs (rc $(cat "$d/rc") vs $(cat "$r.rc"))"
    diff "$r.out" "$d/out" | head -n 10 | sed 's/^/     | /'
    show "$d/err"
  fi
}

# child_of PID -- the process timeout(1) started.
child_of() { ps -o pid= --ppid "$1" 2>/dev/null | head -n1 | tr -d ' '; }

# ---- 1. real programs -----------------------------------------------------------------------
section "1. real programs under the collector, scraped"

cat >"$tmp/work.py" <<'EOF'
import collections, json
d = {}
for i in range(150000):
    d["k%06d" % i] = str(i) * (i % 9)
words = collections.Counter("w%d" % ((i * 7919) % 1009) for i in range(300000))
groups = collections.defaultdict(list)
for k, v in d.items():
    groups[len(v) % 13].append(k[-3:])
text = json.dumps({k: d[k] for k in list(d)[:20000]}, sort_keys=True)
back = json.loads(text)
print(len(d), sum(len(v) for v in d.values()))
print(words.most_common(5))
print(sorted((g, len(ks), ks[0]) for g, ks in groups.items()))
print(len(text), len(back), "".join(sorted(set(text)))[:40])
for r in range(3):
    s = "-".join(str(x) for x in range(50000 * (r + 1)))
    print(r, len(s), s.count("9"), s[1000:1020].upper())
# The work takes a quarter of a second: holding its heap a moment longer lets the scrapers in.
import time
time.sleep(0.7)
EOF
plain py env PYTHONHASHSEED=0 "$python" "$tmp/work.py"
for rate in "" 1; do
  n=py-rate${rate:-default}
  under "$n" "$rate" 2 60 PYTHONHASHSEED=0 "$python" "$tmp/work.py"
  same "$n" py
  check_profiles "$n" "$tmp/$n" 1 go
done

{
  echo "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, v REAL);"
  echo "BEGIN;"
  for ((i = 1; i <= 4000; i++)); do
    echo "INSERT INTO t(name, grp, v) VALUES('name-$i-$((i * 7919 % 1000))', $((i % 37)), $i.25);"
  done
  echo "COMMIT;"
  echo "CREATE INDEX t_grp ON t(grp);"
  echo "SELECT count(*), sum(v), min(name), max(name) FROM t;"
  echo "SELECT grp, count(*), round(avg(v), 3), group_concat(substr(name, 6, 3), ',') FROM (SELECT * FROM t ORDER BY id) GROUP BY grp ORDER BY grp;"
  for ((i = 1; i <= 1500; i++)); do
    echo "SELECT name, v FROM t WHERE id = $((i * 13 % 4000 + 1));"
  done
  echo "UPDATE t SET name = upper(name) || '-x' WHERE grp % 3 = 0;"
  echo "DELETE FROM t WHERE grp = 5;"
  echo "SELECT count(*), sum(length(name)) FROM t;"
  echo "SELECT name FROM t WHERE name LIKE 'NAME-1%-X' ORDER BY name LIMIT 20;"
  # Bulk work (sorter, index build, join) so the run lasts long enough to be scraped.
  echo "CREATE TABLE big(k TEXT, v INTEGER);"
  echo "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT printf('%08d-%x', (x * 7919) % 400000, x * 31), x FROM c;"
  echo "SELECT count(*), sum(length(k)), min(k), max(k) FROM big;"
  echo "SELECT substr(k, 1, 4) AS p, count(*), sum(v) % 1000003 FROM big GROUP BY p ORDER BY p LIMIT 10;"
  echo "SELECT k FROM big ORDER BY k DESC LIMIT 3;"
  echo "CREATE INDEX big_k ON big(k);"
  echo "SELECT count(*), sum(b.v) FROM big a JOIN t b ON a.v = b.id;"
} >"$tmp/work.sql"
rm -f "$tmp/plain.db"
plain sql sqlite3 "$tmp/plain.db" -cmd ".read $tmp/work.sql" .quit
for rate in "" 1; do
  n=sqlite-rate${rate:-default}
  rm -f "$tmp/$n.db"
  under "$n" "$rate" 2 60 sqlite3 "$tmp/$n.db" -cmd ".read $tmp/work.sql" .quit
  same "$n" sql
  check_profiles "$n" "$tmp/$n" 1
done

# git: a whole session (init, 40 commits, log, gc --aggressive, fsck) in one bash under the collector;
# every git process is its own profiled process. Fixed dates make commit ids reproducible.
cat >"$tmp/git-session.sh" <<'EOF'
set -u
export HOME=$1/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
  GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com \
  GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
mkdir -p "$HOME" && cd "$1" || exit 9
rm -rf repo && git init -q -b main repo; echo "init $?"
cd repo
# A 1.3 MB file changed by every commit gives gc and log -p some work (time to be scraped).
awk 'BEGIN { x = 1; for (i = 0; i < 20000; i++) { s = "";
  for (j = 0; j < 60; j++) { x = (x * 1103515245 + 12345) % 2147483648; s = s substr("abcdefghij", int(x / 65536) % 10 + 1, 1) }
  print "line", i, s } }' >big.txt
for i in $(seq 40); do
  for j in $(seq 5); do echo "line $i $j $((i * j))" >>"f$j.txt"; done
  sed -i "$((i * 400))s/.*/changed $i/" big.txt
  git add -A; a=$?
  git commit -q -m "commit $i: $((i * i))"; echo "commit $i $a $?"
done
git log --format=%s; echo "log $?"
git rev-parse HEAD; echo "rev-parse $?"
git gc -q --aggressive; echo "gc $?"
git fsck --no-progress; echo "fsck $?"
git log -p --stat | wc -l; echo "log-p $?"
git status --porcelain; echo "status $?"
EOF
mkdir -p "$tmp/git-plain" "$tmp/git-pre"
plain git bash "$tmp/git-session.sh" "$tmp/git-plain"
under git-ratedefault "" 2 90 bash "$tmp/git-session.sh" "$tmp/git-pre"
same git-ratedefault git
check "git: 40 commits, log --format=%s and every exit status recorded" \
  bash -c "grep -c '^commit [0-9]* 0 0$' '$tmp/git-ratedefault/out' | grep -qx 40 && grep -q '^log 0$' '$tmp/git-ratedefault/out' && grep -q '^fsck 0$' '$tmp/git-ratedefault/out'"
check_profiles git-ratedefault "$tmp/git-ratedefault" 1

# redis-server (Debian's links libjemalloc.so.2) on a unix socket, no TCP port, under
# redis-benchmark; scraped throughout; must answer PING and exit 0 on SHUTDOWN NOSAVE.
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  echo "     $(redis-server --version | grep -o 'malloc=[^ ]*'), $(ldd "$(command -v redis-server)" | grep -o 'libjemalloc[^ ]*' | head -n1)"
  # What libnprof sees: redis calls plain malloc/free (bound to libnprof), libnprof's next
  # malloc is jemalloc's.
  LD_DEBUG=bindings LD_PRELOAD=$lib redis-server --version >/dev/null 2>"$tmp/redis-bindings"
  check "redis: its malloc/free bind to libnprof, libnprof's next malloc/free are jemalloc's" \
    bash -c "grep -Eq 'file [^ ]*redis-server \[0\] to $lib \[0\]: normal symbol .malloc.' '$tmp/redis-bindings' &&
             grep -Eq 'file [^ ]*redis-server \[0\] to $lib \[0\]: normal symbol .free.' '$tmp/redis-bindings' &&
             grep -Eq 'file $lib \[0\] to [^ ]*libjemalloc.so.2 \[0\]: normal symbol .malloc.' '$tmp/redis-bindings' &&
             grep -Eq 'file $lib \[0\] to [^ ]*libjemalloc.so.2 \[0\]: normal symbol .free.' '$tmp/redis-bindings'"
  for rate in "" 1; do
    n=redis-rate${rate:-default}
    d=$tmp/$n
    mkdir -p "$d"
    sock=$d/redis.sock
    envs=(LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port")
    [ -n "$rate" ] && envs+=(NPROF_HEAP_RATE="$rate")
    timeout -k 2 60 env "${envs[@]}" redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
      --save '' --appendonly no --dir "$d" >"$d/out" 2>"$d/err" &
    rpid=$!
    if ! wait_for 100 bash -c "[ -S '$sock' ] && [ -s '$d/port' ] && redis-cli -s '$sock' ping 2>/dev/null | grep -q PONG"; then
      bad "$n: redis-server did not come up"; show "$d/err"; show "$d/out"; kill_tree $rpid; continue
    fi
    start_scrapers "$d" "$d/port" 3
    timeout -k 2 60 redis-benchmark -s "$sock" -q -n 20000 -t set,get,incr,lpush,lpop,sadd,hset,mset \
      >"$d/bench.out" 2>&1
    brc=$?
    stop_scrapers "$d"
    tr '\r' '\n' <"$d/bench.out" | grep -E '^[A-Z_]+[^:]*: [0-9.]+ requests per second' >"$d/bench.lines"
    check "$n: redis-benchmark ran 8 tests (exit $brc, $(wc -l <"$d/bench.lines") result lines)" \
      bash -c "[ $brc = 0 ] && [ \$(wc -l <'$d/bench.lines') -ge 8 ] && ! grep -qi 'error' '$d/bench.out'"
    check_profiles "$n" "$d" 3 go
    # The profile holds redis's own allocations (seen through malloc, not hidden in jemalloc).
    curl -s --max-time 10 -o "$d/final.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap"
    total=$("$nprof" -top -sample_index=alloc_space -unit=B "$d/final.pb.gz" 2>/dev/null |
      sed -n 's/.* of \([0-9.]*\)B total.*/\1/p')
    check "$n: the heap profile accounts for redis's allocations (alloc_space ${total:-?} B)" \
      awk -v t="${total:-0}" 'BEGIN { exit !(t >= 1000000) }'
    pong=$(timeout 10 redis-cli -s "$sock" ping 2>&1)
    check "$n: PING after the benchmark answers PONG" test "$pong" = PONG
    timeout 10 redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1
    wait_for 100 bash -c "! kill -0 $rpid 2>/dev/null"
    wait $rpid
    rrc=$?
    check "$n: redis-server exits 0 on SHUTDOWN NOSAVE (exit $rrc)" test $rrc = 0
    [ $rrc = 0 ] || show "$d/out"
  done
else
  bad "redis: redis-server/redis-benchmark not installed (tools/install-deps.sh)"
fi

# ---- 2. fork/exec storm ---------------------------------------------------------------------
section "2. fork/exec/posix_spawn storm from a threaded parent, scraped"
# forkstorm waits for the go file so the script reads the parent's port before exec'd children
# (which inherit NPROF_HTTP and NPROF_HTTP_PORT_FILE) write theirs.
storm() {  # NAME RATE ITER WHERE
  local n=$1 d=$tmp/$1 spid addr
  mkdir -p "$d"
  local envs=(LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port")
  [ -n "$2" ] && envs+=(NPROF_HEAP_RATE="$2")
  timeout -k 2 60 env "${envs[@]}" "$bins/forkstorm" "$3" 4 "$4" "$d/go" >"$d/out" 2>"$d/err" &
  spid=$!
  wait_for 100 test -s "$d/port"
  addr=$(head -n1 "$d/port")
  echo "$addr" >"$d/addr"
  start_scrapers "$d" "$d/addr" 3
  touch "$d/go"
  wait $spid
  echo $? >"$d/rc"
  stop_scrapers "$d"
  check "$n: $3 children (fork+alloc, fork+exec, posix_spawn) all exit 0, none hung; parent exit $(cat "$d/rc")" \
    bash -c "[ $(cat "$d/rc") = 0 ] && grep -q '^forkstorm: $3 ok, 0 bad, 0 hung' '$d/out'"
  [ "$(cat "$d/rc")" = 0 ] || { show "$d/out"; show "$d/err"; }
  check_profiles "$n" "$d" 3
}
storm forkstorm-ratedefault "" 300 main
storm forkstorm-rate1 1 300 main

# Children that exit() write their own heap dump at exit (NPROF_HEAP_DUMP is inherited) while
# the parent's heap and symbol endpoints are hammered: a fork during the server's snapshot of
# the loaded objects used to leave the child deadlocked on the loader's lock in that dump.
n=forkexit
d=$tmp/$n
mkdir -p "$d/dumps"
timeout -k 2 60 env LD_PRELOAD="$lib" NPROF_HEAP_DUMP="$d/dumps" NPROF_HTTP=127.0.0.1:0 \
  NPROF_HTTP_PORT_FILE="$d/port" NPROF_QUIET=1 "$bins/forkexit" 600 "$d/go" >"$d/out" 2>"$d/err" &
fpid=$!
wait_for 100 test -s "$d/port"
addr=$(head -n1 "$d/port")
touch "$d/go"
hammer=()
for q in heap heap 'symbol?0x1000' 'symbol?0x1000'; do
  ( end=$((SECONDS + 60))
    for ((i = 0; i < 3000 && SECONDS < end; i++)); do
      kill -0 $fpid 2>/dev/null || break
      curl -s -o /dev/null --max-time 5 "http://$addr/debug/pprof/$q" || break
    done ) &
  hammer+=($!)
done
wait $fpid
rc=$?
for p in "${hammer[@]}"; do wait "$p"; done
check "$n: 600 children exit() and dump at exit while the parent is scraped: none hung (exit $rc)" \
  bash -c "[ $rc = 0 ] && grep -q '^forkexit: 600 ok, 0 bad, 0 hung' '$d/out'"
[ $rc = 0 ] || { show "$d/out"; show "$d/err"; }
ndump=$(ls "$d/dumps" | grep -c '\.heap\.pb\.gz$')
unread=0
for f in $(ls "$d/dumps"/*.heap.pb.gz 2>/dev/null | awk 'NR % 100 == 1'); do
  "$nprof" -top "$f" >/dev/null 2>&1 || unread=$((unread + 1))
done
check "$n: 601 dumps (one per child and the parent's) ($ndump), a sample read by nprof" \
  bash -c "[ $ndump = 601 ] && [ $unread = 0 ]"

# ---- 3. dlopen/dlclose loop -------------------------------------------------------------------
section "3. dlopen/call/dlclose loop, scraped; a scrape with stacks into the unloaded library"
for rate in 1 ""; do
  n=dlloop-rate${rate:-default}
  d=$tmp/$n
  mkdir -p "$d"
  envs=(LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port")
  [ -n "$rate" ] && envs+=(NPROF_HEAP_RATE="$rate")
  start_scrapers "$d" "$d/port" 3
  timeout -k 2 60 env "${envs[@]}" "$bins/dlloop" "$bins/libdlalloc.so" 200 3 "$d/go" >"$d/out" 2>"$d/err" &
  dpid=$!
  if wait_for 400 grep -q 'loop done' "$d/out"; then
    stop_scrapers "$d"
    addr=$(head -n1 "$d/port")
    code=$(curl -s --max-time 10 -o "$d/p.after.0.pb.gz" -w '%{http_code}' "http://$addr/debug/pprof/heap")
    code1=$(curl -s --max-time 10 -o "$d/after.txt" -w '%{http_code}' "http://$addr/debug/pprof/heap?debug=1")
    check "$n: scrapes after dlclose answer 200 (proto $code, debug=1 $code1)" \
      bash -c "[ $code = 200 ] && [ $code1 = 200 ] && grep -q '^heap profile:' '$d/after.txt'"
  else
    stop_scrapers "$d"
    bad "$n: the loop did not finish"
  fi
  touch "$d/go"
  wait $dpid
  rc=$?
  check "$n: 200 load/call/unload rounds, library really unloaded, exit $rc" \
    bash -c "[ $rc = 0 ] && grep -q 'unloaded=4' '$d/out' && grep -q '^dlloop: ok' '$d/out'"
  [ $rc = 0 ] || { show "$d/out"; show "$d/err"; }
  check_profiles "$n" "$d" 3 go
done

# ---- 4. allocator stress ---------------------------------------------------------------------
section "4. 16-thread allocator stress, 3 scrape loops"
plain stress "$bins/stress" ops 20000
plain newdelete1 "$bins/newdelete" 16 6000
plain newdelete20 "$bins/newdelete" 16 20000
for rate in 1 ""; do
  n=stress-rate${rate:-default}
  under "$n" "$rate" 3 90 "$bins/stress" ops 20000
  same "$n" stress
  check_profiles "$n" "$tmp/$n" 3
  n=newdelete-rate${rate:-default}
  if [ "$rate" = 1 ]; then rounds=6000 ref=newdelete1; else rounds=20000 ref=newdelete20; fi  # ~1 s
  under "$n" "$rate" 3 90 "$bins/newdelete" 16 $rounds
  same "$n" $ref
  check_profiles "$n" "$tmp/$n" 1
done

# operator new is libnprof's: a request it cannot satisfy must still run the new-handler and
# throw std::bad_alloc, on the fast path (rate 0) and the sampled one (rate 1).
for rate in 0 1 ""; do
  n=newdelete-oom-rate${rate:-default}
  out=$(timeout 30 env LD_PRELOAD="$lib" ${rate:+NPROF_HEAP_RATE=$rate} "$bins/newdelete" oom 2>&1); rc=$?
  check "$n: failed new runs the new-handler and throws bad_alloc (exit $rc)" \
    bash -c "[ $rc = 0 ] && [ '$out' = 'newdelete: oom ok' ]"
  [ $rc = 0 ] || echo "$out" | head -n 5 | sed 's/^/     | /'
done

# A C program with a C++ plugin loaded RTLD_LOCAL: libstdc++ is not in the global scope, and a
# failed new in the plugin must still run its new-handler and throw bad_alloc.
for rate in 0 1 ""; do
  n=cxxplugin-rate${rate:-default}
  out=$(timeout 30 env LD_PRELOAD="$lib" ${rate:+NPROF_HEAP_RATE=$rate} "$bins/cxxplugin" "$bins/libcxxplugin.so" 2>&1); rc=$?
  check "$n: failed new in an RTLD_LOCAL C++ plugin of a C program throws bad_alloc (exit $rc)" \
    bash -c "[ $rc = 0 ] && [ '$out' = 'cxxplugin: bad_alloc caught' ]"
  [ $rc = 0 ] || echo "$out" | head -n 5 | sed 's/^/     | /'
done

# Every form of operator new: the recorded leaf is the function that called new (not one of
# libstdc++'s forms, nor libnprof's), and the failure behaviour is C++'s. A program with its
# own operator new keeps the standard's forms calling it.
for rate in 1 ""; do
  n=cxxforms-rate${rate:-default}
  d=$tmp/$n
  mkdir -p "$d"
  out=$(timeout 30 env LD_PRELOAD="$lib" ${rate:+NPROF_HEAP_RATE=$rate} NPROF_QUIET=1 NPROF_HEAP_DUMP="$d" "$bins/cxxforms" 2>&1); rc=$?
  check "$n: nothrow and aligned forms run the new-handler, then return NULL or throw (exit $rc)" \
    bash -c "[ $rc = 0 ] && [ '$out' = 'cxxforms: ok' ]"
  leaves=$(cxx_leaves "$(ls "$d"/*.heap.pb.gz 2>/dev/null | tail -n1)")
  check "$n: each form's leaf is the allocating function ($leaves)" test "$leaves" = "8 leak_* leaves of 8MB"
done
# The same program with libstdc++ linked in: its own operator new is used, names stay mangled
# in the profile (the process has no shared demangler), and nprof demangles them as go tool
# pprof does.
d=$tmp/cxxforms-static
mkdir -p "$d"
out=$(timeout 30 env LD_PRELOAD="$lib" NPROF_QUIET=1 NPROF_HEAP_DUMP="$d" "$bins/cxxforms-static" 2>&1); rc=$?
check "cxxforms-static: runs as without the collector (exit $rc)" bash -c "[ $rc = 0 ] && [ '$out' = 'cxxforms: ok' ]"
f=$(ls "$d"/*.heap.pb.gz 2>/dev/null | tail -n1)
mangled=$("$nprof" -raw -symbolize=none "$f" 2>/dev/null | grep -c ' _Z[0-9A-Za-z_]* ')
"$nprof" -top "$f" >"$d/nprof.top" 2>&1
check "cxxforms-static: nprof -top demangles the profile's mangled names ($mangled locations)" \
  bash -c "[ '$mangled' -gt 0 ] && grep -q 'leak_new_nothrow' '$d/nprof.top' && ! grep -q ' _Z' '$d/nprof.top'"
if [ $have_go = 1 ]; then
  go tool pprof -top "$f" >"$d/go.top" 2>/dev/null
  check "cxxforms-static: nprof -top is go tool pprof -top" cmp -s "$d/nprof.top" "$d/go.top"
  cmp -s "$d/nprof.top" "$d/go.top" || diff "$d/go.top" "$d/nprof.top" | head -n 6 | sed 's/^/     | /'
fi
out=$(timeout 30 env LD_PRELOAD="$lib" "$bins/cxxreplaced" 2>&1); rc=$?
check "cxxreplaced: the nothrow and array forms call the program's own operator new ($out)" \
  bash -c "[ $rc = 0 ] && [[ '$out' == 'cxxreplaced: ok'* ]]"

# C++ with another allocator loaded after libnprof: jemalloc and tcmalloc define every form of
# operator new and delete, and free through their own internals. libnprof's forms must be the
# ones reached, or a sampled block (laid out with a header) reaches those internals: that
# crashed before every form was libnprof's.
ref=$("$bins/newdelete" 16 2000 2>&1)
for next in libjemalloc.so.2 libtcmalloc.so.4; do
  so=$(system_lib "$next")
  [ -n "$so" ] || { bad "$next not installed (tools/install-deps.sh)"; continue; }
  for rate in 1 ""; do
    n=cxx-${next%%.so*}-rate${rate:-default}
    out=$(timeout 60 env LD_PRELOAD="$lib $so" ${rate:+NPROF_HEAP_RATE=$rate} "$bins/newdelete" 16 2000 2>&1); rc=$?
    check "$n: new and delete of every kind from 16 threads, as without the collector (exit $rc)" \
      bash -c "[ $rc = 0 ] && [ '$out' = '$ref' ]"
    d=$tmp/$n
    mkdir -p "$d"
    out=$(timeout 30 env LD_PRELOAD="$lib $so" ${rate:+NPROF_HEAP_RATE=$rate} NPROF_QUIET=1 NPROF_HEAP_DUMP="$d" "$bins/cxxforms" 2>&1); rc=$?
    leaves=$(cxx_leaves "$(ls "$d"/*.heap.pb.gz 2>/dev/null | tail -n1)")
    check "$n: every form of new seen, with its caller as the leaf ($leaves; exit $rc)" \
      bash -c "[ $rc = 0 ] && [ '$leaves' = '8 leak_* leaves of 8MB' ]"
  done
done

# Another allocator preloaded before libnprof: its malloc and free are the program's, and the
# entry points it lacks reach libnprof, which must forward them to it and sample nothing (a
# block with a header would reach that allocator's free). It crashed before; so did a program
# with its own malloc.
for first in libjemalloc.so.2 libtcmalloc.so.4; do
  so=$(system_lib "$first")
  [ -n "$so" ] || { bad "$first not installed (tools/install-deps.sh)"; continue; }
  n=${first%%.so*}-first
  out=$(timeout 60 env LD_PRELOAD="$so $lib" NPROF_HEAP_RATE=1 "$bins/otherfirst" 2>"$tmp/$n.err"); rc=$?
  check "$n: every entry point works, profiling off with a warning (exit $rc)" \
    bash -c "[ $rc = 0 ] && [ '$out' = 'otherfirst: ok' ] && grep -q 'heap profiling is off' '$tmp/$n.err'"
done
# A wrapper preloaded first that hands its work on through RTLD_NEXT to libnprof, and
# libnprof.a linked into a program that is also preloaded: libnprof must not hand the work
# back to them (it went round for ever, and the programs never started).
out=$(timeout 60 env LD_PRELOAD="$bins/libwrapfirst.so $lib" NPROF_HEAP_RATE=1 "$bins/otherfirst" 2>"$tmp/wrapfirst.err"); rc=$?
check "wrapfirst: a wrapper before libnprof that calls on through it works, profiling off with a warning (exit $rc)" \
  bash -c "[ $rc = 0 ] && [ '$out' = 'otherfirst: ok' ] && grep -q 'heap profiling is off' '$tmp/wrapfirst.err'"
out=$(timeout 60 env LD_PRELOAD="$lib" NPROF_HEAP_RATE=1 "$bins/linked" "$tmp/linked-pre.pb.gz" 2>"$tmp/linked-pre.err"); rc=$?
top=$("$nprof" -top "$tmp/linked-pre.pb.gz" 2>/dev/null | awk '/^ *flat  flat%/ {getline; print $1, $6; exit}')
check "linked and preloaded: the linked copy profiles, the preloaded one stands aside (top: ${top:-none}; exit $rc)" \
  bash -c "[ $rc = 0 ] && [ '$out' = 'linked: ok' ] && [ '$top' = '64MB linked_leak' ]"
[ $rc = 0 ] || show "$tmp/linked-pre.err"
# libnprof.a linked into the program: its malloc is the executable's, and libnprof's.
out=$(timeout 60 "$bins/linked" "$tmp/linked.pb.gz" 2>"$tmp/linked.err"); rc=$?
top=$("$nprof" -top "$tmp/linked.pb.gz" 2>/dev/null | awk '/^ *flat  flat%/ {getline; print $1, $6; exit}')
check "linked: libnprof.a in the program profiles it (top: ${top:-none}; exit $rc)" \
  bash -c "[ $rc = 0 ] && [ '$out' = 'linked: ok' ] && [ '$top' = '64MB linked_leak' ] && ! grep -q 'profiling is off' '$tmp/linked.err'"
[ $rc = 0 ] || show "$tmp/linked.err"
# The same with the allocator in the executable itself.
out=$(timeout 60 env LD_PRELOAD="$lib" NPROF_HEAP_RATE=1 "$bins/ownmalloc" 2>"$tmp/ownmalloc.err"); rc=$?
check "ownmalloc: a program's own malloc serves what reaches libnprof, profiling off with a warning (exit $rc)" \
  bash -c "[ $rc = 0 ] && [ '$out' = 'ownmalloc: ok' ] && grep -q 'heap profiling is off' '$tmp/ownmalloc.err'"
[ $rc = 0 ] || show "$tmp/ownmalloc.err"

# pthread_getattr_np asked first thing, on the main thread and another: glibc allocates inside
# it while it holds the thread's lock, and the sampler must not ask it again (it would hang).
d=$tmp/getattr
mkdir -p "$d"
out=$(timeout 30 env LD_PRELOAD="$lib" NPROF_HEAP_RATE=1 NPROF_HEAP_DUMP="$d" "$bins/getattr" 2>"$d/err"); rc=$?
"$nprof" -traces -focus=getattr_leak "$d"/*.heap.pb.gz >"$d/traces" 2>&1
whole=$(awk '/getattr_leak/ {n++} /_start$|clone3$/ {w++} END {print n + 0, w + 0}' "$d/traces")
check "getattr: pthread_getattr_np inside a sampled allocation does not hang, whole stacks (exit $rc; leaks, whole: $whole)" \
  bash -c "[ $rc = 0 ] && [ '$out' = 'getattr: ok' ] && [ '$whole' = '2 2' ]"
[ $rc = 0 ] || show "$d/err"

# Steady state: a fixed working set for 24 s at rate 1 with 3 scrape loops. The process's RSS
# and open fds are read every 2 s; once warmed up (after 6 s) they must not keep growing.
n=steady
d=$tmp/$n
mkdir -p "$d"
timeout -k 2 60 env LD_PRELOAD="$lib" NPROF_HEAP_RATE=1 NPROF_HTTP=127.0.0.1:0 \
  NPROF_HTTP_PORT_FILE="$d/port" "$bins/stress" steady 24 >"$d/out" 2>"$d/err" &
tpid=$!
start_scrapers "$d" "$d/port" 3 100000
wait_for 50 test -n "$(child_of $tpid)"
spid=$(child_of $tpid)
: >"$d/rss"
for ((i = 0; i < 12; i++)); do
  sleep 2
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$spid/status" 2>/dev/null)
  fds=$(ls "/proc/$spid/fd" 2>/dev/null | wc -l)
  [ -n "$rss" ] && echo "$(((i + 1) * 2)) $rss $fds" >>"$d/rss"
done
wait $tpid
rc=$?
stop_scrapers "$d"
echo "     RSS (s kB fds): $(awk '{printf "%s:%s/%s ", $1, $2, $3}' "$d/rss")"
echo "     malloc in use/arenas/collector (s kB kB kB): $(awk '/^heap / && $2 % 4 == 0 {printf "%s:%s/%s/%s ", $2, $3, $4, $6}' "$d/err")"
check "$n: steady run finished without errors (exit $rc)" bash -c "[ $rc = 0 ] && grep -q 'steady done, 0 errors' '$d/out'"
# The collector's own mappings (nprof_memory_bytes, printed by stress each second) must stay
# flat: compare the lowest reading over 6..12 s with the lowest over 16..24 s. Each scrape in
# flight holds about 2.5 MB of its own for a moment, and up to three run at once: growth
# allowed is 4 MiB (a per-scrape leak over the ~200 scrapes would be hundreds).
awk '/^heap / {print $2, $6}' "$d/err" >"$d/own"
check "$n: the collector's own memory is flat after warm-up ($(awk '$1>=6&&$1<=12{if(!w||$2<w)w=$2} $1>=16{if(!l||$2<l)l=$2} END{printf "%d -> %d kB", w, l}' "$d/own"))" \
  awk '$1>=6&&$1<=12{if(!w||$2<w)w=$2} $1>=16{if(!l||$2<l)l=$2} END{exit !(w>0 && l>0 && l <= w + 4096)}' "$d/own"
# The program's own heap (malloc's bytes in use, mallinfo2) holds a fixed working set: blocks
# the collector failed to give back would make it grow (by hundreds of MB over this run).
awk '/^heap / {print $2, $3}' "$d/err" >"$d/inuse"
check "$n: the heap's bytes in use are flat ($(awk '$1>=6&&$1<=12{if(!w||$2<w)w=$2} $1>=16{if(!l||$2<l)l=$2} END{printf "%d -> %d kB", w, l}' "$d/inuse"))" \
  awk '$1>=6&&$1<=12{if(!w||$2<w)w=$2} $1>=16{if(!l||$2<l)l=$2} END{exit !(w>0 && l>0 && l <= w + (w/4 > 16384 ? w/4 : 16384))}' "$d/inuse"
# RSS also holds glibc's arenas and 16 threads' stacks and caches, which swing by tens of MB
# between readings: only runaway growth is judged there, on the floors, 50 % or 64 MiB.
check "$n: RSS floor without runaway growth ($(awk '$1>=6&&$1<=12{if(!w||$2<w)w=$2} $1>=16{if(!l||$2<l)l=$2} END{printf "%d -> %d kB", w, l}' "$d/rss"))" \
  awk '$1>=6&&$1<=12{if(!w||$2<w)w=$2} $1>=16{if(!l||$2<l)l=$2} END{exit !(w>0 && l>0 && l <= w + (w/2 > 65536 ? w/2 : 65536))}' "$d/rss"
check "$n: open fds flat ($(awk 'NR==3{a=$3} END{print a " -> " $3}' "$d/rss"))" \
  awk 'NR==3{a=$3} END{exit !(a>0 && $3 <= a + 4)}' "$d/rss"
check_profiles "$n" "$d" 20

# ---- 5. edge cases ---------------------------------------------------------------------------
section "5. edge cases"
for rate in 1 ""; do
  n=tsdfree-rate${rate:-default}
  under "$n" "$rate" 1 30 "$bins/tsdfree" 400
  check "$n: 400 threads whose TSD destructors free and allocate (exit $(cat "$tmp/$n/rc"))" \
    bash -c "[ $(cat "$tmp/$n/rc") = 0 ] && grep -q '^tsdfree: ok 400 400' '$tmp/$n/out'"
  [ "$(cat "$tmp/$n/rc")" = 0 ] || show "$tmp/$n/err"

  # The handler's 808-byte objects are all freed: none may stay counted as live (at rate 1 they
  # are all sampled, and those freed while the thread held the collector's lock are parked).
  n=sigmalloc-rate${rate:-default}
  d=$tmp/$n
  mkdir -p "$d"
  envs=(LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port")
  [ -n "$rate" ] && envs+=(NPROF_HEAP_RATE="$rate")
  timeout -k 2 30 env "${envs[@]}" "$bins/sigmalloc" 3 "$d/go" >"$d/out" 2>"$d/err" &
  tpid=$!
  live808=?
  if wait_for 150 grep -q '^sigmalloc: ok' "$d/out"; then
    curl -s --max-time 10 -o "$d/end.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap"
    live808=$("$nprof" -raw "$d/end.pb.gz" 2>/dev/null |
      awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ {v = $3} /bytes:\[808\]/ {s += v} END {print s + 0}')
  fi
  touch "$d/go"
  wait $tpid
  rc=$?
  handled=$(sed -n 's/^sigmalloc: ok \([0-9]*\) handled.*/\1/p' "$d/out")
  check "$n: malloc+free in a signal handler hitting allocation ($handled signals; exit $rc)" \
    bash -c "[ $rc = 0 ] && [ '${handled:-0}' -ge 1000 ]"
  [ $rc = 0 ] || { show "$d/out"; show "$d/err"; }
  check "$n: the handler's objects are not left counted as live ($live808)" test "$live808" = 0
done

# Page-aligned blocks 128 MiB apart share one bit of the free path's page filter (with NULL):
# freeing one must leave the bit set for the other, and free(NULL) must pass through while it is.
d=$tmp/aliasfree
mkdir -p "$d"
timeout -k 2 30 env LD_PRELOAD="$lib" NPROF_HEAP_RATE=1 NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" \
  "$bins/aliasfree" "$d/go" >"$d/out" 2>"$d/err" &
tpid=$!
live100=? live333=?
if wait_for 150 grep -q '^aliasfree: ok' "$d/out"; then
  curl -s --max-time 10 -o "$d/end.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap"
  live100=$("$nprof" -raw "$d/end.pb.gz" 2>/dev/null |
    awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ {v = $3} /bytes:\[100\]/ {s += v} END {print s + 0}')
  live333=$("$nprof" -raw "$d/end.pb.gz" 2>/dev/null |
    awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ {v = $3} /bytes:\[333\]/ {s += v} END {print s + 0}')
fi
touch "$d/go"
wait $tpid
rc=$?
check "aliasfree: frees of objects sharing a filter bit, free(NULL) while it is set (exit $rc)" test $rc = 0
[ $rc = 0 ] || show "$d/err"
check "aliasfree: every aliased object's free was matched ($live100 left live)" test "$live100" = 0
check "aliasfree: a block whose realloc failed is still counted as live ($live333)" test "$live333" = 1

# Threads recording into the same buckets at once while the bucket index grows: at rate 1 every
# allocation is a sample, so each of counted_alloc's 20,000 sizes must have exactly 24
# allocations, 8 of them live for the multiples of 1,000 (tests/collect/counts.c).
d=$tmp/counts
mkdir -p "$d"
timeout -k 2 60 env LD_PRELOAD="$lib" NPROF_HEAP_RATE=1 NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" \
  "$bins/counts" "$d/go" >"$d/out" 2>"$d/err" &
tpid=$!
if wait_for 300 grep -q '^counts: ready' "$d/out"; then
  curl -s --max-time 20 -o "$d/heap.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap"
  "$nprof" -raw -focus=counted_alloc "$d/heap.pb.gz" >"$d/raw" 2>&1
  curl -s --max-time 20 -o "$d/delta.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap?seconds=2" &
  cpid=$!
  sleep 0.5
  touch "$d/go.more"
  wait_for 100 grep -q '^counts: more' "$d/out"
  wait $cpid
fi
touch "$d/go.more" "$d/go"
wait $tpid
rc=$?
check "counts: 8 threads sampling every allocation ran to the end (exit $rc)" test $rc = 0
[ $rc = 0 ] || show "$d/err"
verdict=$(awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ { a = $1 + 0; ab = $2 + 0; l = $3 + 0; lb = $4 + 0; next }
  /bytes:\[[0-9]+\]/ { b = $0; sub(/.*bytes:\[/, "", b); sub(/\].*/, "", b); b += 0
    n++; seen[b]++
    want = b % 1000 == 0 ? 8 : 0
    if (a != 24 || ab != 24 * b || l != want || lb != want * b) { bad++; if (!ex) ex = $0 " " a " " ab " " l " " lb } }
  END { d = 0; for (k in seen) d++
    printf "%d samples, %d sizes, %d wrong%s", n, d, bad, ex ? " (" ex ")" : "" }' "$d/raw" 2>/dev/null)
check "counts: one sample per size, every allocation and free counted ($verdict)" \
  bash -c "[ '${verdict%%,*}' = '20000 samples' ] && grep -q '20000 sizes, 0 wrong' <<<'$verdict'"
# The 2-second delta covers only the 10 blocks of 25,000 bytes allocated during it, on a stack
# whose 20,000 other sizes did not change.
delta=$("$nprof" -raw -focus=counted_alloc "$d/delta.pb.gz" 2>/dev/null |
  awk '/^ *-?[0-9]+ +-?[0-9]+ +-?[0-9]+ +-?[0-9]+:/ { v = $1 " " $2 " " $3 " " $4 + 0; next }
       /bytes:\[[0-9]+\]/ { if (v != "0 0 0 0" && n++ < 3) printf "%s%s=%s", (n > 1 ? "; " : ""), $1, v }
       END { if (n > 3) printf "; %d more", n - 3 }')
check "counts: ?seconds=2 shows only the new size's allocations (${delta:-nothing})" \
  test "$delta" = "bytes:[25000]=10 250000 10 250000"

# Every entry point at many sizes and alignments through realloc, at rates where every, some
# and no allocation is sampled (a sampled block is laid out with a header, heaptab.h), and with
# jemalloc as the next allocator, which may put any bytes in front of a block, a sampled
# block's header among them: layout copies one there and the neighbour must stay plain.
jemalloc=$(system_lib libjemalloc.so.2)
for cfg in rate1: rate3000: ratedefault: rate0: jemalloc-ratedefault:j jemalloc-rate3000:j; do
  n=layout-${cfg%%:*}
  rate=${n##*rate}; [ "$rate" = default ] && rate=
  pre=$lib
  if [ "${cfg##*:}" = j ]; then
    [ -n "$jemalloc" ] || { bad "$n: libjemalloc.so.2 not installed (tools/install-deps.sh)"; continue; }
    pre="$lib $jemalloc"
  fi
  d=$tmp/$n
  mkdir -p "$d"
  timeout -k 2 60 env LD_PRELOAD="$pre" ${rate:+NPROF_HEAP_RATE=$rate} NPROF_HTTP=127.0.0.1:0 \
    NPROF_HTTP_PORT_FILE="$d/port" "$bins/layout" "$d/go" >"$d/out" 2>"$d/err" &
  tpid=$!
  if wait_for 300 grep -q '^layout: ok' "$d/out"; then
    curl -s --max-time 10 -o "$d/end.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap"
  fi
  touch "$d/go"
  wait $tpid
  rc=$?
  read -r _ _ checked adjacent <"$d/out"
  check "$n: $checked blocks of every kind allocated, resized and freed intact (exit $rc)" \
    bash -c "[ $rc = 0 ] && [ '${checked:-0}' -gt 0 ]"
  [ $rc = 0 ] || { show "$d/out"; show "$d/err"; }
  if [ "${cfg##*:}" = j ]; then
    check "$n: ${adjacent:-0} blocks behind a copied header freed as plain blocks" test "${adjacent:-0}" -gt 0
  fi
  if [ "$rate" = 1 ]; then
    total() { "$nprof" -top "$@" "$d/end.pb.gz" 2>/dev/null | sed -n 's/^Showing nodes accounting for \([0-9]*\),.*/\1/p'; }
    live=$(total -sample_index=inuse_objects -focus=exercise)
    made=$(total -sample_index=alloc_objects -focus=exercise)
    kept=$("$nprof" -raw "$d/end.pb.gz" 2>/dev/null |
      awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ {v = $3} /bytes:\[7777\]/ {s += v} END {print s + 0}')
    check "$n: all ${made:-?} sampled blocks seen freed (${live:-?} left), the $kept kept ones live" \
      bash -c "[ '${live:-x}' = 0 ] && [ '${made:-0}' -ge $((checked * 5)) ] && [ '$kept' = 5 ]"
  fi
done

storm forkthread-rate1 1 150 thread
storm forkthread-ratedefault "" 150 thread

for prog in "/bin/true" "ls -la /usr" "bash -c 'echo hi; exit 3'"; do
  a=$(bash -c "$prog" 2>&1); ra=$?
  b=$(timeout 10 env LD_PRELOAD="$lib" bash -c "$prog" 2>&1); rb=$?
  check "bootstrap: '$prog' same output and status ($rb)" test "$a|$ra" = "$b|$rb"
done

ldd /bin/ls >"$tmp/ldd.plain" 2>&1; ra=$?
timeout 10 env LD_PRELOAD="$lib" ldd /bin/ls >"$tmp/ldd.pre" 2>&1; rb=$?
sed -E 's/ \(0x[0-9a-f]+\)//' "$tmp/ldd.plain" | sort >"$tmp/ldd.plain.s"
sed -E 's/ \(0x[0-9a-f]+\)//' "$tmp/ldd.pre" | sort >"$tmp/ldd.pre.s"
missing=$(comm -23 "$tmp/ldd.plain.s" "$tmp/ldd.pre.s" | wc -l)
check "ldd /bin/ls under LD_PRELOAD: exit $rb, lists all it lists without ($missing missing) plus libnprof" \
  bash -c "[ $ra = $rb ] && [ $missing = 0 ] && grep -q libnprof.so '$tmp/ldd.pre'"

plain static "$bins/static_hello"
mkdir -p "$tmp/static"
timeout 10 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$tmp/static/port" \
  "$bins/static_hello" >"$tmp/static/out" 2>"$tmp/static/err"
echo $? >"$tmp/static/rc"
same static static
check "static: the preload is ignored (no server started)" test ! -e "$tmp/static/port"

# ---- 6. heap dumps ---------------------------------------------------------------------------
section "6. NPROF_HEAP_DUMP with NPROF_HEAP_DUMP_INTERVAL=1, a signal (USR2), at exit"
d=$tmp/dumps
mkdir -p "$d/dir"
timeout -k 2 40 env LD_PRELOAD="$lib" NPROF_HEAP_RATE=1 NPROF_HEAP_DUMP="$d/dir" NPROF_HEAP_DUMP_SIGNAL=USR2 \
  NPROF_HEAP_DUMP_INTERVAL=1 NPROF_LOG="$d/log" "$bins/dumper" "$d/go" >"$d/out" 2>"$d/err" &
tpid=$!
wait_for 50 grep -q ready "$d/out"
dpid=$(child_of $tpid)
ndumps() { ls "$d/dir" | grep -c '^nprof\.dumper\.[0-9]*\.[0-9]*\.heap\.pb\.gz$'; }
wait_for 60 bash -c "[ \$(ls '$d/dir' | grep -c 'heap.pb.gz$') -ge 2 ]"
periodic=$(ndumps)
check "dumps: periodic files appear ($periodic after ~2 s)" test "$periodic" -ge 2
[ -n "$dpid" ] && kill -USR2 "$dpid"
wait_for 50 grep -q '(signal)' "$d/log"
check "dumps: SIGUSR2 writes one (the process lives on)" bash -c "grep -q 'wrote .*(signal)' '$d/log' && kill -0 $dpid"
touch "$d/go"
wait $tpid
rc=$?
final=$(sed -n 's/^nprof\[[0-9]* dumper\]: wrote \(.*\) (exit)$/\1/p' "$d/log")
check "dumps: exit 0 and a final dump at exit (${final##*/}), named after the program" \
  bash -c "[ $rc = 0 ] && [ -s '$final' ] && [ \$(ls '$d/dir' | grep -vc '^nprof\.dumper\.$dpid\.') = 0 ]"
check "dumps: nothing on stderr with NPROF_LOG set ($(wc -c <"$d/err") bytes)" test ! -s "$d/err"
unread=0 ndump=0
for f in "$d/dir"/*.heap.pb.gz; do
  ndump=$((ndump + 1))
  "$nprof" -top "$f" >/dev/null 2>&1 || unread=$((unread + 1))
done
check "dumps: all $ndump files are profiles nprof reads, no temporary left" \
  bash -c "[ $unread = 0 ] && [ -z \"\$(ls '$d/dir' | grep -v '\.heap\.pb\.gz$')\" ]"
if [ -n "$final" ] && [ -s "$final" ]; then
  "$nprof" -top -unit=MB "$final" >"$d/final.top" 2>&1
  total=$(sed -n 's/.* of \([0-9.]*\)MB total.*/\1/p' "$d/final.top")
  check "dumps: the final dump holds the 8 MiB in leak_for_dump (${total:-?} MB)" \
    bash -c "awk -v t='${total:-0}' 'BEGIN { exit !(t >= 8 && t < 8.5) }' && grep -q leak_for_dump '$d/final.top'"
fi

# A program that installs its own handler for the dump signal keeps it, and hears of it once.
d=$tmp/sigtaken
mkdir -p "$d"
timeout 20 env LD_PRELOAD="$lib" NPROF_HEAP_DUMP="$d" NPROF_HEAP_DUMP_SIGNAL=USR1 "$python" -c '
import os, signal, time
got = []
time.sleep(1.2)
signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
time.sleep(1.5)
os.kill(os.getpid(), signal.SIGUSR1)
time.sleep(0.2)
print("handled", len(got))' >"$d/out" 2>"$d/err"
check "dumps: a program that takes the dump signal keeps it and is told once ($(cat "$d/out"); $(grep -c 'own handler of signal' "$d/err") notice)" \
  bash -c "grep -qx 'handled 1' '$d/out' && [ \$(grep -c 'own handler of signal 10' '$d/err') = 1 ]"
# Without NPROF_HEAP_DUMP_SIGNAL no signal is taken: USR2 stays the program's (here: fatal).
timeout 20 env LD_PRELOAD="$lib" NPROF_HEAP_DUMP="$d" "$python" -c '
import os, signal, time
os.kill(os.getpid(), signal.SIGUSR2)
time.sleep(1)' >/dev/null 2>&1
rc=$?
check "dumps: no dump signal unless asked (SIGUSR2 kills a program that did not handle it: exit $rc)" test $rc = $((128 + 12))

# ---- 7. stack walks ---------------------------------------------------------------------------
section "7. the caching unwinder (NPROF_STACK=unwind) records the stacks libgcc's unwinder does"
# At NPROF_HEAP_RATE=1 every allocation of a single-threaded, deterministic run is recorded, so
# the two walks must give the same set of stacks (symbolized, as -traces prints them).
trace_set() { # profile -> its -traces blocks, sorted, one stack per line
  "$nprof" -traces -sample_index=alloc_space "$1" 2>/dev/null |
    awk '/^-----------\+/ { if (b != "") print b; b = ""; next } /^(File|Build ID|Type|Time|Duration):/ { next }
         { gsub(/^ +/, ""); b = b "|" $0 } END { if (b != "") print b }' | sort
}
# The script sits in a directory of its own: python lists the directory of its script, which
# must be the same for both runs.
mkdir -p "$tmp/walk-src"
cat >"$tmp/walk-src/walk.py" <<'PY'
import json
rows = [{"k%d" % i: [i, str(i), {"x": i}]} for i in range(2000)]
text = json.dumps(rows)
print(len(json.loads(text)))
PY
for prog in "python3 $tmp/walk-src/walk.py" "sqlite3 $tmp/walk.db -cmd .read\ $tmp/work.sql .quit"; do
  name=${prog%% *}
  for mode in unwind libgcc; do
    d=$tmp/walk-$name-$mode
    mkdir -p "$d"
    rm -f "$tmp/walk.db"
    eval "timeout -k 2 60 env PYTHONHASHSEED=0 LD_PRELOAD='$lib' NPROF_HEAP_RATE=1 NPROF_QUIET=1 \
      NPROF_STACK=$mode NPROF_HEAP_DUMP='$d' $prog" >/dev/null 2>&1
    f=$(ls -S "$d"/*.heap.pb.gz 2>/dev/null | head -n1)
    [ -n "$f" ] && trace_set "$f" >"$d.traces"
  done
  a=$tmp/walk-$name-unwind.traces b=$tmp/walk-$name-libgcc.traces
  n=$(wc -l <"$a" 2>/dev/null || echo 0)
  check "walk $name: $n distinct stacks, the same with both unwinders" \
    bash -c "[ '$n' -gt 100 ] && cmp -s '$a' '$b'"
  cmp -s "$a" "$b" || diff "$a" "$b" | head -n 4 | cut -c1-200 | sed 's/^/     | /'
done

# ---- 8. a build's own output ------------------------------------------------------------------
section "8. ./configure under the library, with dumps on"
if command -v autoconf >/dev/null; then
  d=$tmp/configure
  mkdir -p "$d/src" "$d/dumps"
  cat >"$d/src/configure.ac" <<'EOF'
AC_INIT([tiny], [1.0])
AC_PROG_CC
AC_CHECK_HEADERS([stdlib.h string.h unistd.h sys/mman.h])
AC_CHECK_FUNCS([malloc_usable_size mmap strdup])
AC_CHECK_LIB([m], [cos])
AC_CONFIG_FILES([tiny.h])
AC_OUTPUT
EOF
  echo 'int tiny_version = 1;' >"$d/src/tiny.h.in"
  (cd "$d/src" && autoconf) >"$d/autoconf.log" 2>&1
  cp -r "$d/src" "$d/plain" && cp -r "$d/src" "$d/profiled"
  (cd "$d/plain" && timeout 120 ./configure) >"$d/plain.out" 2>&1
  (cd "$d/profiled" && timeout 120 env LD_PRELOAD="$lib" NPROF_HEAP_DUMP="$d/dumps" ./configure) >"$d/profiled.out" 2>&1
  ndumps=$(ls "$d/dumps" | wc -l)
  check "configure: its output with the library is byte-identical to without ($(wc -l <"$d/plain.out") lines; $ndumps dumps)" \
    bash -c "[ -s '$d/plain.out' ] && cmp -s '$d/plain.out' '$d/profiled.out' && [ $ndumps -gt 10 ]"
  cmp -s "$d/plain.out" "$d/profiled.out" || diff "$d/plain.out" "$d/profiled.out" | head -n 5 | sed 's/^/     | /'
  named=$(ls "$d/dumps" | grep -Ec '^nprof\.[A-Za-z0-9._-]+\.[0-9]+\.[0-9]{4}\.heap\.pb\.gz$')
  programs=$(ls "$d/dumps" | sed -n 's/^nprof\.\(.*\)\.[0-9]*\.[0-9]*\.heap\.pb\.gz$/\1/p' | sort -u | tr '\n' ' ')
  check "configure: every dump's name says which program wrote it ($named of $ndumps: $programs)" \
    bash -c "[ $named = $ndumps ] && ! ls '$d/dumps' | grep -q '^nprof\.unknown\.'"
else
  bad "configure: autoconf not installed (tools/install-deps.sh)"
fi

finish

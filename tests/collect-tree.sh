#!/bin/bash
# collect-tree.sh [BUILD] -- forking servers: every process of a profiled tree is reached
# through the one configured address. Ends "N passed, M failed".
#
#   1. an nginx-shaped program (tests/collect/prefork: a master, 3 workers that run as nobody
#      when started as root): /debug/pprof/processes lists them, heap?pid=N answers for each
#      worker exactly, heap?pid=all merges them with a pid label, nprof takes such URLs, the
#      index shows the tree, a worker that exits leaves the list, a worker whose master died
#      still serves (and one takes the configured address over), the dump signal works in a
#      forked worker; the same program started by a preloaded wrapper script joins its tree
#   2. Debian's nginx, master and 2 workers, with only LD_PRELOAD and NPROF_HTTP: the workers
#      are listed and their allocations are seen by nginx function; USR2 still does what nginx
#      does (nginx refuses it in the foreground; daemonized, a new master starts), and the
#      daemon takes the configured address over from the process that exits after forking it
#   3. Debian's postgres: the backend of an open connection is reached through the
#      postmaster's address
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies

get() { curl -s --max-time 20 "http://$addr/debug/pprof/$1"; }
# flat_mb PROFILE FUNC [FLAGS...] -- FUNC's flat in-use MB in PROFILE, as nprof -top prints it.
flat_mb() {
  local f=$1 fn=$2; shift 2
  "$nprof" -top -unit=MB -nodecount=1000 "$@" "$f" 2>/dev/null |
    awk -v fn="$fn" '$6 == fn {sub(/MB$/, "", $1); print $1; found = 1} END {if (!found) print 0}'
}

section "1. an nginx-shaped tree"
d=$tmp/prefork
mkdir -p "$d/dumps"
chmod o+x "$tmp"; chmod 777 "$d" "$d/dumps" # the workers may run as nobody
timeout -k 2 90 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" \
  NPROF_HEAP_DUMP="$d/dumps" NPROF_HEAP_DUMP_SIGNAL=USR1 "$bins/prefork" "$d" 3 >"$d/out" 2>"$d/err" &
mpid=$(wait_for 50 test -s "$d/port"; pgrep -P $! prefork)
wait_for 300 test -e "$d/ready"
addr=$(head -n1 "$d/port")
workers=($(ls "$d" | sed -n 's/^worker\.//p' | sort -n))
get processes >"$d/processes"
listed=$(awk 'NR > 1 {print $1}' "$d/processes" | sort -n | tr '\n' ' ')
check "prefork: processes lists the master and its 3 workers ($listed)" \
  bash -c "[ \$(awk 'NR > 1' '$d/processes' | wc -l) = 4 ] && grep -q '^$mpid	' '$d/processes' &&
           for w in ${workers[*]}; do grep -q \"^\$w	$mpid	127.0.0.1:[0-9]*	prefork	\" '$d/processes' || exit 1; done"
show "$d/processes"
i=0 exact=0
for w in "${workers[@]}"; do
  get "heap?pid=$w" >"$d/w$w.pb.gz"
  mb=$(flat_mb "$d/w$w.pb.gz" worker_alloc)
  # Workers are numbered by their order of fork, which their pids follow.
  [ "$mb" = "$(((i + 1) * 8))" ] && exact=$((exact + 1))
  i=$((i + 1))
done
check "prefork: heap?pid=N gives each worker's own worker_alloc, 8, 16 and 24 MB ($exact of 3 exact)" test $exact = 3
get "heap?pid=all" >"$d/all.pb.gz"
tags=$("$nprof" -tags -tagshow=pid "$d/all.pb.gz" 2>/dev/null | grep -cE '^ +[0-9.]+[kMG]?B \( *[0-9.]+%\): [0-9]+$')
all_mb=$(flat_mb "$d/all.pb.gz" worker_alloc)
w1=$(flat_mb "$d/all.pb.gz" worker_alloc -tagfocus=pid=${workers[1]})
check "prefork: heap?pid=all merges the 4 processes ($tags pid labels; worker_alloc $all_mb MB, ${w1} MB for pid=${workers[1]})" \
  bash -c "[ '$tags' = 4 ] && [ '$all_mb' = 48 ] && [ '$w1' = 16 ]"
url_mb=$(flat_mb "http://$addr/debug/pprof/heap?pid=${workers[2]}" worker_alloc)
check "prefork: nprof reads http://.../heap?pid=N like any URL (worker_alloc ${url_mb} MB)" test "$url_mb" = 24
get "" >"$d/index.html"
check "prefork: the index lists the tree" bash -c "grep -c 'heap?pid=[0-9]' '$d/index.html' | grep -qx 4"
code=$(curl -s -o "$d/none" -w '%{http_code}' "http://$addr/debug/pprof/heap?pid=1")
check "prefork: heap?pid of a process outside the tree is a 404 ($code: $(head -c 80 "$d/none"))" test "$code" = 404
kill -USR1 "${workers[0]}"
wait_for 100 bash -c "ls '$d/dumps' | grep -q '\.${workers[0]}\.[0-9]*\.heap\.pb\.gz$'"
check "prefork: the dump signal writes a forked worker's dump ($(ls "$d/dumps" | tr '\n' ' '))" \
  bash -c "ls '$d/dumps' | grep -q '^nprof\.prefork\.${workers[0]}\.[0-9]*\.heap\.pb\.gz$'"
touch "$d/stop.${workers[0]}"
gone() { ! get processes | grep -q "^${workers[0]}	"; }
wait_for 100 gone
check "prefork: a worker that exits leaves the list" gone
waddr=$(awk -v w="${workers[1]}" '$1 == w {print $3}' "$d/processes")
kill -KILL "$mpid"
wait_for 50 bash -c "! kill -0 $mpid"
code=$(curl -s -o "$d/orphan.pb.gz" -w '%{http_code}' --max-time 20 "http://$waddr/debug/pprof/heap")
mb=$(flat_mb "$d/orphan.pb.gz" worker_alloc)
check "prefork: a worker whose master died still serves on its own address ($code, worker_alloc $mb MB)" \
  test "$code:$mb" = 200:16
# ... and one of the orphans takes the configured address over, as a daemon's child must.
first() { curl -s --max-time 5 "http://$addr/debug/pprof/processes" | awk 'NR == 2 {print $1}'; }
wait_for 50 bash -c "curl -s --max-time 5 'http://$addr/debug/pprof/processes' | awk 'NR == 2' | grep -Eq '^(${workers[1]}|${workers[2]})	'"
check "prefork: an orphaned worker takes the configured address over ($(first))" \
  bash -c "[ '$(first)' = ${workers[1]} ] || [ '$(first)' = ${workers[2]} ]"
touch "$d/stop"

# A wrapper script preloaded in place of the server: the server it starts (fork, then exec)
# joins the script's tree, and so do the server's workers.
d=$tmp/wrapper
mkdir -p "$d"
chmod 777 "$d"
printf '#!/bin/sh\n"%s" "%s" 2\necho wrapper done\n' "$bins/prefork" "$d" >"$d/run.sh"
chmod +x "$d/run.sh"
timeout -k 2 60 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" "$d/run.sh" >"$d/out" 2>"$d/err" &
wait_for 300 test -e "$d/ready"
addr=$(head -n1 "$d/port")
get processes >"$d/processes"
n_pre=$(awk 'NR > 1 && $4 == "prefork"' "$d/processes" | wc -l)
w=$(ls "$d" | sed -n 's/^worker\.//p' | head -n1)
get "heap?pid=$w" >"$d/w.pb.gz"
mb=$(flat_mb "$d/w.pb.gz" worker_alloc)
check "wrapper: the server a preloaded script starts, and its workers, join the script's tree ($n_pre prefork processes; worker $w: worker_alloc $mb MB)" \
  bash -c "[ $n_pre = 3 ] && [ '$mb' = 8 ] && awk 'NR == 2 {exit \$4 != \"run.sh\"}' '$d/processes'"
show "$d/processes"
touch "$d/stop"

section "2. Debian's nginx"
# run_nginx NAME DAEMON -- nginx with a master and 2 workers, loaded with 2,000 requests; checks
# that the tree is reached and that USR2 does what nginx does with it.
run_nginx() {
  local name=$1 daemon=$2 d=$tmp/$1 port master nworkers wpids seen=0 w wtags
  mkdir -p "$d/html" "$d/logs"
  head -c 30000 /dev/zero | tr '\0' 'x' >"$d/html/index.html"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$d/nginx.conf" <<EOF
worker_processes 2;
daemon $daemon;
error_log $d/logs/error.log;
pid $d/nginx.pid;
events { worker_connections 64; }
http {
  access_log $d/logs/access.log;
  server { listen 127.0.0.1:$port; root $d/html; gzip on; gzip_types *; gzip_min_length 1; }
}
EOF
  timeout -k 2 90 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" \
    "$nginx_bin" -c "$d/nginx.conf" -p "$d" >"$d/out" 2>&1 &
  wait_for 100 bash -c "test -s '$d/port' && test -s '$d/nginx.pid' && [ \$(pgrep -P \$(cat '$d/nginx.pid') | wc -l) = 2 ]"
  master=$(cat "$d/nginx.pid" 2>/dev/null)
  addr=$(head -n1 "$d/port")
  # With daemon on, the process that bound the address exits: the daemon takes it over.
  [ "$daemon" = on ] && wait_for 50 bash -c "curl -s --max-time 5 'http://$addr/debug/pprof/processes' | grep -q '^$master	'"
  for k in 1 2 3 4; do
    for i in $(seq 500); do echo "url = \"http://127.0.0.1:$port/index.html?$k.$i\""; echo "output = /dev/null"; done >"$d/urls.$k"
    curl -s --max-time 60 -H 'Accept-Encoding: gzip' -K "$d/urls.$k" &
  done
  wait_for 600 bash -c "[ \$(grep -c . '$d/logs/access.log' 2>/dev/null || echo 0) -ge 2000 ]"
  get processes >"$d/processes"
  nworkers=$(awk -v m="$master" 'NR > 1 && $2 == m && $4 == "nginx"' "$d/processes" | wc -l)
  check "$name: processes lists the master and its 2 workers ($nworkers workers)" test "$nworkers" = 2
  show "$d/processes"
  get "heap?pid=all" >"$d/all.pb.gz"
  "$nprof" -top -sample_index=alloc_space -nodecount=20 "$d/all.pb.gz" >"$d/all.top" 2>&1
  wpids=$(awk -v m="$master" 'NR > 1 && $2 == m {print $1}' "$d/processes")
  for w in $wpids; do
    get "heap?pid=$w" >"$d/w$w.pb.gz"
    "$nprof" -top -sample_index=alloc_space "$d/w$w.pb.gz" 2>/dev/null | grep -Eq ' ngx_[a-z_]+$' && seen=$((seen + 1))
  done
  wtags=$("$nprof" -tags -tagshow=pid -sample_index=alloc_space "$d/all.pb.gz" 2>/dev/null | grep -cE '^ +[0-9.]+[kMG]?B .*: [0-9]+$')
  check "$name: each worker's allocations by nginx function through heap?pid=N ($seen of 2), pid=all labels $wtags processes" \
    bash -c "[ $seen = 2 ] && [ '$wtags' -ge 2 ]"
  sed -n '6,9p' "$d/all.top" | sed 's/^/     | /'
  kill -USR2 "$master"
  if [ "$daemon" = on ]; then
    # A daemon's master execs the new binary and renames its pid file.
    wait_for 100 test -s "$d/nginx.pid.oldbin"
    check "$name: kill -USR2 starts nginx's binary upgrade (nginx.pid.oldbin written, new master $(cat "$d/nginx.pid" 2>/dev/null))" \
      bash -c "test -s '$d/nginx.pid.oldbin' && [ \"\$(cat '$d/nginx.pid')\" != '$master' ]"
    [ -s "$d/nginx.pid" ] && [ "$(cat "$d/nginx.pid")" != "$master" ] && kill -QUIT "$(cat "$d/nginx.pid")" 2>/dev/null
  else
    # In the foreground, nginx itself refuses the upgrade and says so.
    wait_for 50 grep -q 'changing binary signal is ignored' "$d/logs/error.log"
    check "$name: kill -USR2 reaches nginx's own handler (it logs that it ignores the upgrade in the foreground)" \
      grep -q 'changing binary signal is ignored' "$d/logs/error.log"
  fi
  kill -QUIT "$master" 2>/dev/null
  wait_for 100 bash -c "! kill -0 $master"
}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$nginx_bin" ]; then
  run_nginx nginx off
  run_nginx nginx-daemon on
else
  bad "nginx: not installed (tools/install-deps.sh)"
fi

section "3. Debian's postgres"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n1)
if [ -n "$pgbin" ] && [ -x "$pgbin/postgres" ] && id postgres >/dev/null 2>&1; then
  d=$tmp/postgres
  mkdir -p "$d"
  chown postgres "$d"
  cp "$lib" "$d/libnprof.so" && chmod 755 "$d/libnprof.so"
  as_pg() { su postgres -s /bin/bash -c "$1"; }
  if as_pg "'$pgbin/initdb' -D '$d/data' -A trust" >"$d/initdb.log" 2>&1; then
    as_pg "LD_PRELOAD='$d/libnprof.so' NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE='$d/port' \
      timeout -k 2 90 '$pgbin/postgres' -D '$d/data' -k '$d' -p 5439 -c listen_addresses=''" >"$d/out" 2>&1 &
    wait_for 100 test -S "$d/.s.PGSQL.5439"
    addr=$(head -n1 "$d/port")
    # One session that allocates, reports its backend's pid and stays connected for 10 s.
    psql -h "$d" -p 5439 -U postgres -At -c "select count(*) from generate_series(1, 200000) g, lateral (select repeat('x', 100)) r" \
      -c "select pg_backend_pid()" -c "select pg_sleep(10)" >"$d/psql.out" 2>&1 &
    wait_for 100 bash -c "[ \$(grep -c . '$d/psql.out') -ge 2 ]"
    backend=$(sed -n 2p "$d/psql.out")
    code=$(curl -s -o "$d/backend.pb.gz" -w '%{http_code}' --max-time 20 "http://$addr/debug/pprof/heap?pid=$backend")
    total=$("$nprof" -top -sample_index=alloc_space "$d/backend.pb.gz" 2>/dev/null | sed -n 's/.*accounting for .*, [0-9.]*% of \([0-9.]*[kMG]*B\) total/\1/p')
    get processes >"$d/processes"
    check "postgres: the backend of an open connection ($backend) is reached through the postmaster's address ($code, $total allocated)" \
      bash -c "[ '$code' = 200 ] && [ -n '$total' ] && grep -q '^$backend	' '$d/processes'"
    as_pg "'$pgbin/pg_ctl' -D '$d/data' stop -m immediate" >/dev/null 2>&1
  else
    bad "postgres: initdb failed"; show "$d/initdb.log"
  fi
else
  bad "postgres: not installed (tools/install-deps.sh)"
fi

finish

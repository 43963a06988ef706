#!/bin/bash
# collect-threads.sh [BUILD] -- thread dumps (/debug/pprof/goroutine, alias threads) and the
# threadcreate profile, end to end: thread-leak-server's leaking call sites with their exact
# thread counts in debug=1, every thread with name and state in debug=2, debug=0 and debug=1 read
# by go tool pprof and nprof with the same counts, threadcreate's creating stacks, ?seconds=N
# and ?pid=all; the time of a dump of 1,000 threads; and a loop of dumps while threads wait in
# poll, nanosleep, read and pthread_cond_wait (none may see EINTR), spin (one with every signal
# blocked) and fork. The loop lasts NPROF_DUMP_LOOP_SECONDS (default 10; the acceptance run
# uses 60). Then NPROF_DUMP_BURST dumps in a row (default 1,000, the acceptance count) of a busy
# 16-thread program (tests/collect/stress steady), each answered with every thread, and the
# program's output unchanged; a watchdog bounds them. Ends "N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies
export PPROF_BINARY_PATH=/nonexistent
loop_seconds=${NPROF_DUMP_LOOP_SECONDS:-10}
burst=${NPROF_DUMP_BURST:-1000}

# start NAME CMD... -- CMD preloaded and serving, ready; sets addr and prog (its pid).
start() {
  serve_preloaded "$@"
  wait_for 100 grep -q 'ready\|listening' "$tmp/$1.out"
  prog=$(ps -o pid= --ppid "$served" | tr -d ' ')   # the program, under timeout
}

# count_of FILE FUNC -- the count of the debug=1 record whose frames name FUNC.
count_of() {
  awk -v f="$2" '/^[0-9]+ @/ {n = $1} $0 ~ "\t" f "\\+" {print n; exit}' "$1"
}
# total_of REPORT -- the total of a -top report.
total_of() { sed -n 's/.* of \([0-9]*\) total.*/\1/p' "$1" | head -n1; }
# cum_of REPORT FUNC -- a function's cum count in a -top report.
cum_of() { awk -v f="$2" '$6 == f {print $4; exit}' "$1"; }

section "thread-leak-server"
leak_threads
prog=$(ps -o pid= --ppid "$served" | tr -d ' ')   # the program, under timeout
curl -sf "$base/goroutine?debug=1" -o "$tmp/g1.txt"
check "debug=1 starts as Go's ($(head -n1 "$tmp/g1.txt"))" grep -q '^goroutine profile: total [0-9]*$' "$tmp/g1.txt"
check "debug=1: site a (wait_for_reply) has 4 threads ($(count_of "$tmp/g1.txt" wait_for_reply))" \
  test "$(count_of "$tmp/g1.txt" wait_for_reply)" = 4
check "debug=1: site b (read_forever) has 3 threads ($(count_of "$tmp/g1.txt" read_forever))" \
  test "$(count_of "$tmp/g1.txt" read_forever)" = 3
# By function name (the third field of a "#" line): a checkout's path may well contain "nprof".
check "the collector's frames never appear" bash -c "! awk -F'\t' '/^#/ {print \$3}' '$tmp/g1.txt' | grep -q '^np_\|nprof'"

curl -sf "$base/goroutine?debug=2" -o "$tmp/g2.txt"
tasks=0
for t in /proc/$prog/task/*; do
  grep -q '^nprof-' "$t/comm" 2>/dev/null || tasks=$((tasks + 1))
done
blocks=$(grep -c '^goroutine [0-9]* name="[^"]*" \[[^]]*\]:$' "$tmp/g2.txt")
check "debug=2 lists every thread of the program ($blocks blocks, $tasks threads)" test "$blocks" = "$tasks"
check "debug=2: 4 leak-cond threads sleeping in futex" \
  test "$(grep -c 'name="leak-cond" \[sleeping in futex\]:' "$tmp/g2.txt")" = 4
check "debug=2: 3 leak-read threads sleeping in read" \
  test "$(grep -c 'name="leak-read" \[sleeping in read\]:' "$tmp/g2.txt")" = 3
check "debug=2: the main thread (id = pid $prog) in accept" \
  grep -q "^goroutine $prog name=\"thread-leak-ser\" \[sleeping in accept\]:" "$tmp/g2.txt"
check "debug=2: Go's frame layout (func(...), then tab file:line +0xoff)" \
  grep -Pzq 'read_forever\(\.\.\.\)\n\t[^\n]*thread-leak-server.c:[0-9]+ \+0x[0-9a-f]+\n' "$tmp/g2.txt"
check "debug=2: the 7 leaking threads say who created them (created by start_detached, file:line)" \
  test "$(grep -Pzo 'created by start_detached\n\t[^\n]*thread-leak-server.c:[0-9]+ \+0x[0-9a-f]+\n' "$tmp/g2.txt" |
    tr '\0' '\n' | grep -c '^created by start_detached$')" = 7
check "debug=2: the main thread has no creator" \
  bash -c "awk -v RS= '/^goroutine $prog /' '$tmp/g2.txt' >'$tmp/main.blk' && grep -q accept '$tmp/main.blk' &&
    ! grep -q 'created by' '$tmp/main.blk'"
curl -sf "$base/threads?debug=1" -o "$tmp/t1.txt"
check "threads is goroutine's alias" test "$(count_of "$tmp/t1.txt" wait_for_reply)" = 4
curl -sf "$base/" -o "$tmp/index.html"
check "the index lists goroutine and threadcreate" \
  bash -c "grep -q \"goroutine?debug=1'>goroutine\" '$tmp/index.html' && grep -q \"threadcreate?debug=1'>threadcreate\" '$tmp/index.html'"

threads=$((tasks))
for u in goroutine 'goroutine?debug=1'; do
  go tool pprof -top "$base/$u" >"$tmp/go.top" 2>"$tmp/go.err"
  "$nprof" -top "$base/$u" >"$tmp/np.top" 2>"$tmp/np.err"
  check "go tool pprof reads $u: total $(total_of "$tmp/go.top") threads" test "$(total_of "$tmp/go.top")" = "$threads"
  check "nprof reads $u: the same total ($(total_of "$tmp/np.top"))" test "$(total_of "$tmp/np.top")" = "$threads"
  check "go tool pprof, $u: wait_for_reply cum 4, read_forever cum 3" \
    test "$(cum_of "$tmp/go.top" wait_for_reply) $(cum_of "$tmp/go.top" read_forever)" = "4 3"
done
"$nprof" -top "$base/goroutine" >"$tmp/np.top" 2>&1
check "nprof, goroutine: wait_for_reply cum 4, read_forever cum 3" \
  test "$(cum_of "$tmp/np.top" wait_for_reply) $(cum_of "$tmp/np.top" read_forever)" = "4 3"
go tool pprof -raw "$base/goroutine" >"$tmp/raw" 2>&1
check "sample and period type goroutine/count, period 1" \
  bash -c "grep -q '^PeriodType: goroutine count' '$tmp/raw' && grep -q '^Period: 1' '$tmp/raw' && grep -q '^goroutine/count' '$tmp/raw'"

section "threadcreate"
curl -sf "$base/threadcreate?debug=1" -o "$tmp/tc1.txt"
check "threadcreate debug=1 as Go's ($(head -n1 "$tmp/tc1.txt"))" grep -q '^threadcreate profile: total 7$' "$tmp/tc1.txt"
check "threadcreate: leak_site_a created 4 threads, leak_site_b 3" \
  test "$(count_of "$tmp/tc1.txt" leak_site_a) $(count_of "$tmp/tc1.txt" leak_site_b)" = "4 3"
go tool pprof -raw "$base/threadcreate" >"$tmp/raw" 2>&1
check "threadcreate: sample type threadcreate/count" grep -q '^threadcreate/count' "$tmp/raw"
go tool pprof -top "$base/threadcreate" >"$tmp/go.top" 2>&1
"$nprof" -top "$base/threadcreate" >"$tmp/np.top" 2>&1
check "go tool pprof and nprof read threadcreate: leak_site_a cum 4 in both" \
  test "$(cum_of "$tmp/go.top" leak_site_a) $(cum_of "$tmp/np.top" leak_site_a)" = "4 4"

section "deltas and the process tree"
( sleep 1; curl -sf "http://$app/leak?site=b" >/dev/null; curl -sf "http://$app/leak?site=b" >/dev/null ) &
curl -sf "$base/goroutine?seconds=3" -o "$tmp/delta.pb.gz"
wait $!
go tool pprof -top "$tmp/delta.pb.gz" >"$tmp/go.top" 2>&1
check "goroutine?seconds=3: the 2 threads leaked meanwhile (total $(total_of "$tmp/go.top"))" \
  test "$(total_of "$tmp/go.top")" = 2
curl -sf "$base/threadcreate?seconds=1" -o "$tmp/tcdelta.pb.gz"
check "threadcreate?seconds=1 answers a profile" bash -c "go tool pprof -raw '$tmp/tcdelta.pb.gz' 2>&1 | grep -q '^threadcreate/count'"
go tool pprof -top "$base/goroutine?pid=all" >"$tmp/go.top" 2>&1
check "goroutine?pid=all: every thread ($(total_of "$tmp/go.top") = $((threads + 2)))" test "$(total_of "$tmp/go.top")" = $((threads + 2))
kill "$served"

section "a dump of 1,000 threads"
start many "$build/tests/collect/threadwait" many 1000
base=http://$addr/debug/pprof
best=
for i in 1 2 3; do
  ms=$(curl -sf -o "$tmp/many.txt" -w '%{time_total}' "$base/goroutine?debug=1" | awk '{printf "%d", $1 * 1000}')
  [ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
done
echo "     dump of 1,000 threads (debug=1, symbolized): ${best} ms (best of 3)"
check "1,000 threads dumped in under 1 s (${best} ms)" test "${best:-9999}" -lt 1000
check "all 1,000 in one record ($(count_of "$tmp/many.txt" park_forever))" test "$(count_of "$tmp/many.txt" park_forever)" = 1000
kill "$served"

section "$loop_seconds s of dumps while threads wait, spin and fork"
start wait "$build/tests/collect/threadwait" wait "$loop_seconds"
base=http://$addr/debug/pprof
dumps=0 slow=0
while kill -0 "$served" 2>/dev/null; do
  for u in 'goroutine?debug=2' goroutine 'goroutine?debug=1' threadcreate; do
    # curl leaves -o untouched when the server is gone: keep only answers to this very request
    rm -f "$tmp/loop.out"
    curl -sf -m 10 "$base/$u" -o "$tmp/loop.out" -w '%{time_total}\n' >>"$tmp/times" || continue
    dumps=$((dumps + 1))
    [ "$u" = 'goroutine?debug=2' ] && cp "$tmp/loop.out" "$tmp/debug2.$dumps.txt"
    [ "$u" = 'goroutine?debug=1' ] && cp "$tmp/loop.out" "$tmp/debug1.$dumps.txt"
  done
done
wait "$served"
rc=$?
echo "     $dumps requests; slowest $(sort -n "$tmp/times" | tail -n1) s"
check "the program ran to its end (exit $rc)" test "$rc" = 0
for k in poll nanosleep read cond; do
  line=$(grep "^$k calls" "$tmp/wait.out")
  check "no EINTR in $k during the dumps ($line)" bash -c "[[ '$line' == *' eintr=0' ]] && ! [[ '$line' == *'calls=0 '* ]]"
done
check "fork while dumping: $(grep forks= "$tmp/wait.out")" bash -c "grep -q 'forks=[1-9]' '$tmp/wait.out'"
caught=$(cat "$tmp"/debug2.*.txt | grep -a -A1 'running\]:' | grep -a -c '^spin_on_cpu')
check "spinning threads caught running, the leaf exact (spin_on_cpu): $caught times" test "$caught" -gt 0
check "a thread blocking every signal is reported without a stack" \
  bash -c "cat '$tmp'/debug2.*.txt | grep -q 'no stack: running with the dump.s signal blocked'"
# A thread whose stack cannot be read still counts in debug=1's total, as every goroutine in
# Go's: the totals equal debug=2's thread blocks, and some dumps hold more than their records.
# (The largest of each: threads end as the program does, so its last dumps may hold fewer.)
totals=$(cat "$tmp"/debug1.*.txt | awk '/ profile: total / {print $4}' | sort -n | tail -n1)
blocks=$(for f in "$tmp"/debug2.*.txt; do grep -a -c '^goroutine ' "$f"; done | sort -n | tail -n1)
stackless=$(for f in "$tmp"/debug1.*.txt; do
  awk '/ profile: total / {t = $4} /^[0-9]+ @/ {s += $1} END {print (t > s) ? 1 : 0}' "$f"
done | awk '{n += $1} END {print n + 0}')
check "debug=1 totals count every thread, stackless ones too (largest total $totals; debug=2 blocks $blocks; $stackless dumps with stackless threads)" \
  bash -c "[ -n '$totals' ] && [ '$totals' = '$blocks' ] && [ '$stackless' -gt 0 ]"
check "signal frames never appear" bash -c "! cat '$tmp'/debug2.*.txt | grep -v \$'^\t' | grep -q 'restore_rt\|on_park\|np_'"
section "$burst dumps in a row of a busy 16-thread program"
"$bins/stress" steady 1 >"$tmp/busy-plain.out" 2>/dev/null
rm -f "$tmp/busy.port"
# Its own watchdog, longer than serve_preloaded's: the dumps hold it for as long as they last.
timeout 900 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$tmp/busy.port" \
  "$bins/stress" steady 900 >"$tmp/busy.out" 2>"$tmp/busy.err" &
served=$!
wait_for 100 test -s "$tmp/busy.port"
base=http://$(head -n1 "$tmp/busy.port")/debug/pprof
prog=$(ps -o pid= --ppid "$served" | tr -d ' ')
mkdir -p "$tmp/burst"
for ((i = 0; i < burst; i++)); do
  u=('goroutine?debug=2' goroutine 'goroutine?debug=1')
  printf 'url = "%s/%s"\noutput = "%s/burst/%d.%d"\n' "$base" "${u[i % 3]}" "$tmp" "$i" $((i % 3 == 0 ? 2 : i % 3 - 1))
done >"$tmp/burst.cfg"
t0=$(date +%s%N)
timeout 840 curl -s -m 10 -K "$tmp/burst.cfg" -w '%{http_code}\n' >"$tmp/burst.codes"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "     $burst dumps in $ms ms: $((ms / (burst > 0 ? burst : 1))) ms per dump (16 busy threads on $(nproc) CPUs)"
check "every dump answered 200 ($(grep -c '^200$' "$tmp/burst.codes") of $burst)" \
  test "$(grep -c '^200$' "$tmp/burst.codes")" = "$burst"
threads=$(for t in /proc/$prog/task/*; do grep -q '^nprof-' "$t/comm" 2>/dev/null || echo; done | wc -l)
counts=$(for f in "$tmp"/burst/*.2; do grep -c '^goroutine [0-9]* name="stress" \[' "$f"; done | sort | uniq -c | tr -s ' ' | tr '\n' ',')
check "every debug=2 dump lists all $threads threads (dumps by count:$counts)" \
  bash -c "[ '$counts' = ' $(ls "$tmp"/burst/*.2 | wc -l) $threads,' ]"
check "every debug=1 dump counts all $threads threads" \
  bash -c "! grep -L '^goroutine profile: total $threads\$' '$tmp'/burst/*.1 | grep -q ."
kill -USR1 "$prog"
wait "$served"
rc=$?
check "the program ran on and exited 0 (exit $rc)" test "$rc" = 0
check "its output is the same as without libnprof ($(cat "$tmp/busy.out"))" cmp -s "$tmp/busy.out" "$tmp/busy-plain.out"
finish

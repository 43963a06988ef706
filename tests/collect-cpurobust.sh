#!/bin/bash
# collect-cpurobust.sh -- CPU profiling at NPROF_CPU_HZ=1000 (perf_event clock, then the
# per-thread timer fallback forced) while real programs do what disturbs signal-driven profilers:
# threads started and joined in a loop, C++ exceptions thrown and caught, fork and posix_spawn
# from a process with 1 GiB resident (each under a second), python3 burning CPU on threads,
# a library loaded, run and unloaded in a loop on 2 threads, heavy malloc on 4 threads,
# redis-server under redis-benchmark. Each run is bounded by a watchdog (timeout); its output
# must equal the plain run's, it must exit 0, and go tool pprof must read its profile.
#   usage: tests/collect-cpurobust.sh [BUILD]     (about a minute on two cores)
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies
host=$bins/cpu_robust

# same NAME ENGINE CMD... -- CMD plain and profiled at 1000 Hz with ENGINE: same output, exit 0,
# a profile that go tool pprof reads with some samples in it.
same() {
  local name=$1 eng=$2 p=$tmp/$1.pb.gz; shift 2
  timeout -k 2 120 "$@" >"$tmp/$name.plain" 2>/dev/null
  if ! env NPROF_CPU_HZ=1000 NPROF_CPU_TIMER="$eng" NPROF_CPU_PROFILE="$p" LD_PRELOAD="$lib" \
      timeout -k 2 120 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    bad "$name: exits 0 under the profiler (watchdog 120 s)"; show "$tmp/$name.err"; return 1
  fi
  check "$name: output unchanged ($(head -c 60 "$tmp/$name.out" | tr '\n' ' '))" cmp -s "$tmp/$name.plain" "$tmp/$name.out"
  check "$name: go tool pprof reads the profile, samples in it" \
    bash -c "go tool pprof -raw '$p' 2>/dev/null | awk '/^Samples:/ {s = 1; next} /^Locations/ {s = 0} s && \$1 > 0 {n++} END {exit !(n > 0)}'"
}

cat >"$tmp/work.py" <<'PY'
import threading
def burn(i, out):
    x = i
    for k in range(400000):
        x = (x * 1103515245 + 12345) & 0x7fffffff
    out[i] = x
out = {}
ts = [threading.Thread(target=burn, args=(i, out)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(out.items()))
PY

for eng in auto thread; do
  section "1000 Hz, NPROF_CPU_TIMER=$eng"
  same churn-$eng $eng "$host" churn 4000
  same throw-$eng $eng "$host" throw 400000
  same spawn-$eng $eng "$host" spawn 10 1024
  check "spawn-$eng: each fork and posix_spawn from 1 GiB resident took under a second ($(cat "$tmp/spawn-$eng.err"))" \
    grep -qx "under a second: yes" "$tmp/spawn-$eng.out"
  same python-$eng $eng python3 "$tmp/work.py"
  same dlloop-$eng $eng "$host" dlloop "$bins/libhot.so" 150
  # Its samples in lib_hot were taken while the library was loaded; it is gone when the profile
  # is written at exit, and remembered since it was unloaded.
  hot=$(go tool pprof -top -unit=ms "$tmp/dlloop-$eng.pb.gz" 2>/dev/null | awk '$6 == "lib_hot" {sub(/ms$/, "", $4); print $4}')
  all=$(go tool pprof -top -unit=ms "$tmp/dlloop-$eng.pb.gz" 2>/dev/null | awk '$6 == "dl_rounds" {sub(/ms$/, "", $4); print $4}')
  check "dlloop-$eng: samples in the unloaded library are named (lib_hot ${hot:-0} ms of dl_rounds' ${all:-0} ms)" \
    awk -v h="${hot:-0}" -v a="${all:-0}" 'BEGIN {exit !(a > 0 && h >= 0.9 * a)}'
  same malloc-$eng $eng "$host" malloc 200000
done

section "redis-server under redis-benchmark, 1000 Hz"
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  sock=$tmp/redis.sock
  NPROF_CPU_HZ=1000 NPROF_CPU_PROFILE=$tmp/redis.pb.gz LD_PRELOAD=$lib timeout -k 2 120 \
    redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
  if wait_for 100 test -S "$sock"; then
    timeout 60 redis-benchmark -s "$sock" -n 20000 -c 20 -t set,get,lpush,lpop -q >"$tmp/bench.out" 2>&1
    check "redis-benchmark completes ($(tr '\r\n' '  ' <"$tmp/bench.out" | tr -s ' ' | head -c 120))" \
      test "$(grep -c 'requests per second' "$tmp/bench.out")" = 4
    check "redis answers PING" test "$(redis-cli -s "$sock" PING </dev/null 2>&1)" = PONG
    redis-cli -s "$sock" SHUTDOWN NOSAVE </dev/null >/dev/null 2>&1
    wait_for 100 test -s "$tmp/redis.pb.gz"
    go tool pprof -raw "$tmp/redis.pb.gz" >"$tmp/redis.raw" 2>&1
    check "go tool pprof reads redis' profile" grep -q "^Samples:" "$tmp/redis.raw"
  else
    bad "redis-server starts under the profiler"; show "$tmp/redis.log"
  fi
else
  ok "redis-server not installed: skipped"
fi
finish

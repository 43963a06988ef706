#!/bin/bash
# overhead.sh -- the collector's cost, side by side in one run:
#   1. two malloc-heavy multithreaded workloads -- mallocbench (pure allocator churn: the worst
#      case for any interposer) and appbench (C++ strings, vectors and maps, as in a server) --
#      under glibc, the thinnest possible interposer (bench/floor.c: the floor for any
#      LD_PRELOAD profiler), nprof at the default rate (and with sampling off),
#      jemalloc, jemalloc's sampling profiler
#      (prof:true,lg_prof_sample:19), tcmalloc, gperftools' heap profiler and heaptrack; wall
#      times in interleaved rounds (bench/interleave.py: medians, ratios to glibc, and each
#      profiler's cost over its own allocator);
#   2. callgrind instruction counts of one non-sampled malloc(64)+free pair with and without
#      nprof, and of whole workload runs (stable from run to run, unlike wall time);
#   3. redis-benchmark against redis-server with and without nprof (requests per second).
# Prints Markdown tables, and last a "Target" section: how the figures stand against the
# collector's overhead target (docs/PERFORMANCE.md; bench/interleave.py --target). Not a test:
# nothing here passes or fails on a number; the summary only says "within target" or "over target".
# Env: THREADS (default 2), OPS (mallocbench operations per thread, default 4000000),
#      ROUNDS (appbench rounds per thread, default 3000), RUNS (rounds, default 15; the two
#      slow profilers run in 3 of them), REDIS_RUNS (redis-server rounds with and without
#      nprof, default 6: even, so that each goes first equally often).
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$repo/build}
out=$repo/bench/out
mkdir -p "$out"
threads=${THREADS:-2}
ops=${OPS:-4000000}
rounds=${ROUNDS:-3000}
runs=${RUNS:-15}
redis_runs=${REDIS_RUNS:-6}

"$repo/tools/install-deps.sh" bench || exit 1
make -C "$repo" -s all >/dev/null || exit 1
cc -O2 -o "$out/mallocbench" "$repo/bench/mallocbench.c" -lpthread || exit 1
c++ -O2 -o "$out/appbench" "$repo/bench/appbench.cc" -lpthread || exit 1
cc -O2 -o "$out/pairbench" "$repo/bench/pairbench.c" || exit 1
cc -O2 -shared -fPIC -o "$out/floor.so" "$repo/bench/floor.c" || exit 1

lib=/usr/lib/x86_64-linux-gnu
nprof=$build/libnprof.so
je=$lib/libjemalloc.so.2
tc=$lib/libtcmalloc.so.4

# walltable NAME COMMAND...: COMMAND under every allocator and profiler, in interleaved rounds
# (bench/interleave.py), so that the machine's drift does not pass for a difference; every
# time is kept in $out/NAME.json for the target summary.
walltable() {
  local name=$1; shift
  local bench="$*" hp=$out/heapprof
  echo "## $name: $bench ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  rm -rf "$out"/heaptrack.* "$hp".*
  python3 "$repo/bench/interleave.py" --rounds "$runs" --slow-rounds 3 --json "$out/$name.json" \
    "glibc=env $bench" \
    "interpose-only=env LD_PRELOAD=$out/floor.so $bench" \
    "nprof=env LD_PRELOAD=$nprof $bench" \
    "nprof-rate0=env LD_PRELOAD=$nprof NPROF_HEAP_RATE=0 $bench" \
    "jemalloc=env LD_PRELOAD=$je $bench" \
    "jemalloc-prof=env LD_PRELOAD=$je MALLOC_CONF=prof:true,lg_prof_sample:19 $bench" \
    "tcmalloc=env LD_PRELOAD=$tc $bench" \
    "slow:gperftools-heapprof=env LD_PRELOAD=$tc HEAPPROFILE=$hp $bench" \
    "slow:heaptrack=heaptrack -o $out/heaptrack.out $bench" || exit 1
  echo
}

walltable mallocbench "$out/mallocbench" "$threads" "$ops"
walltable appbench "$out/appbench" "$threads" "$rounds"

echo "## callgrind: instructions per non-sampled malloc(64)+free pair"
echo
n=200000
ir() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
base0=$(ir "$out/pairbench" 0)
plain=$(ir "$out/pairbench" $n)
base1=$(env LD_PRELOAD="$nprof" NPROF_HEAP_RATE=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/pairbench" 0 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
with=$(env LD_PRELOAD="$nprof" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/pairbench" $n 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
python3 - "$base0" "$plain" "$base1" "$with" "$n" <<'PY'
import sys
b0, p, b1, w, n = map(int, sys.argv[1:])
g = (p - b0) / n
q = (w - b1) / n
print("| | instructions per pair |")
print("|---|---|")
print(f"| glibc | {g:.1f} |")
print(f"| glibc + nprof (default rate) | {q:.1f} |")
print(f"| added by nprof | {q - g:+.1f} |")
PY

echo
echo "## callgrind: instructions for whole workload runs (1 thread)"
echo
echo "| workload | glibc | nprof | nprof vs glibc | jemalloc | jemalloc-prof | jemalloc-prof vs jemalloc |"
echo "|---|---|---|---|---|---|---|"
for w in "mallocbench 1 500000" "appbench 1 100"; do
  set -- $w
  cmd="$out/$1 $2 $3"
  g=$(ir $cmd)
  n=$(env LD_PRELOAD="$nprof" valgrind --tool=callgrind --callgrind-out-file=/dev/null $cmd 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  j=$(env LD_PRELOAD="$je" valgrind --tool=callgrind --callgrind-out-file=/dev/null $cmd 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  jp=$(env LD_PRELOAD="$je" MALLOC_CONF=prof:true,lg_prof_sample:19 valgrind --tool=callgrind --callgrind-out-file=/dev/null $cmd 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  python3 -c "import sys; g,n,j,jp=map(int,sys.argv[2:]); print(f'| {sys.argv[1]} | {g:,} | {n:,} | {100*(n/g-1):+.1f}% | {j:,} | {jp:,} | {100*(jp/j-1):+.1f}% |')" "$w" "$g" "$n" "$j" "$jp"
done

rm -f "$out/redis.json"
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  echo
  echo "## redis-benchmark (-n 200000 -q, SET/GET/LPUSH/LPOP), requests per second, medians of $redis_runs rounds"
  echo
  rb() {  # rb LABEL ROUND ENV...
    local label=$1 round=$2; shift 2
    local port=$((20000 + RANDOM % 20000))
    env "$@" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-benchmark -p "$port" -n 200000 -q -t set,get,lpush,lpop 2>/dev/null | tr '\r' '\n' |
      sed -n 's/^\([A-Z_]*\): \([0-9.]*\) requests per second.*/\1 \2/p' | sed "s/^/$label $round /"
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
    wait "$pid" 2>/dev/null
  }
  # Each round runs the server once as packaged and once under nprof, the order alternating
  # from round to round so that a drift of the machine falls on both alike.
  for r in $(seq "$redis_runs"); do
    if [ $((r % 2)) = 1 ]; then
      rb redis-server "$r" X=1; rb nprof "$r" LD_PRELOAD="$nprof"
    else
      rb nprof "$r" LD_PRELOAD="$nprof"; rb redis-server "$r" X=1
    fi
  done >"$out/redis.txt"
  python3 - "$out/redis.txt" "$out/redis.json" <<'PY'
import collections, json, statistics, sys
rps = collections.defaultdict(dict)  # (label, test) -> {round: requests per second}
for line in open(sys.argv[1]):
    label, r, test, v = line.split()
    rps[(label, test)][int(r)] = float(v)
labels = ("redis-server", "nprof")
tests = sorted({t for _, t in rps})
print("| test | redis-server | with nprof | ratio |")
print("|---|---|---|---|")
for t in tests:
    a, b = (statistics.median(rps[(l, t)].values()) if rps[(l, t)] else 0 for l in labels)
    print(f"| {t} | {a:.0f} | {b:.0f} | {b / a:.3f} |" if a and b else f"| {t} | - | - | - |")
# For the target summary: per round, the seconds the server took for all the requests of every
# test (200,000 each), so that lower is better as with the wall times.
rounds = sorted(set.intersection(*(set(rps[(l, t)]) for l in labels for t in tests))) if tests else []
times = {l: [sum(200000 / rps[(l, t)][r] for t in tests) for r in rounds] for l in labels}
if rounds:
    with open(sys.argv[2], "w") as f:
        json.dump({"base": "redis-server", "times": times}, f, indent=1)
PY
fi

echo
targets=("churn:mallocbench=$out/mallocbench.json" "server:appbench=$out/appbench.json")
[ -s "$out/redis.json" ] && targets+=("server:redis=$out/redis.json")
python3 "$repo/bench/interleave.py" --target "${targets[@]}"

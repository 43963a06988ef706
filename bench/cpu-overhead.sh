#!/bin/bash
# cpu-overhead.sh -- what CPU profiling costs a CPU-bound program, side by side in one run:
# bench/cpuwork (a fixed amount of work, its loop 20 calls deep, built without frame pointers)
# plain, under nprof's CPU profile (NPROF_CPU_PROFILE) and under gperftools' CPU profiler
# (libprofiler, CPUPROFILE), at 100 Hz and at 1000 Hz; wall times in interleaved rounds
# (bench/interleave.py: medians and ratios to plain), then the samples each profile holds
# against the CPU time asked for. Not a test: nothing here passes or fails on a number.
# Env: WORK (cpuwork's millions of iterations, default 400), RUNS (rounds, default 11).
set -u
work=${WORK:-400} runs=${RUNS:-11}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$repo/build} out=$repo/bench/out
mkdir -p "$out"

"$repo/tools/install-deps.sh" bench || exit 1
make -C "$repo" -s all >/dev/null || exit 1
cc -O2 -fomit-frame-pointer -o "$out/cpuwork" "$repo/bench/cpuwork.c" || exit 1
gperf=/usr/lib/x86_64-linux-gnu/libprofiler.so.0
nprof=$build/libnprof.so
bench="$out/cpuwork $work"

echo "## CPU profiling: $bench ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
python3 "$repo/bench/interleave.py" --rounds "$runs" \
  "plain=env $bench" \
  "nprof-100Hz=env LD_PRELOAD=$nprof NPROF_CPU_PROFILE=$out/nprof100.prof $bench" \
  "gperftools-100Hz=env LD_PRELOAD=$gperf CPUPROFILE=$out/gperf100.prof CPUPROFILE_FREQUENCY=100 $bench" \
  "nprof-1000Hz=env LD_PRELOAD=$nprof NPROF_CPU_PROFILE=$out/nprof1000.prof NPROF_CPU_HZ=1000 $bench" \
  "gperftools-1000Hz=env LD_PRELOAD=$gperf CPUPROFILE=$out/gperf1000.prof CPUPROFILE_FREQUENCY=1000 $bench" ||
  exit 1
echo
echo "## Samples kept (last round) against the CPU time of the run"
echo
echo "| profile | CPU time in the profile | samples |"
echo "|---|---|---|"
for p in nprof100 gperf100 nprof1000 gperf1000; do
  go tool pprof -raw "$out/$p.prof" 2>/dev/null | awk -v p="$p" '
    /^Period:/ {period = $2}
    /^Samples:/ {s = 1; next}
    /^Locations/ {s = 0}
    s && $1 ~ /^[0-9]+$/ && NF > 2 {n += $1; t += $2}
    END {printf "| %s | %.2f s | %d |\n", p, t / 1e9, n}'
done

#!/bin/bash
# make-c-profiles.sh BUILD OUT -- profiles of C and C++ programs made by libnprof, beside the Go
# programs' (tests/go/make-profiles.sh), so that every report, picture and view is tried on
# what the collector writes too: c-cpu.pb.gz (examples/cpu-burner on 2 threads, 1000 Hz) and
# c-heap.pb.gz (tests/collect/cxxnames at exit, every allocation sampled: C++ names with
# templates, operators and lambdas). Exits non-zero, saying why, when one cannot be made.
set -u
build=${1:?usage: make-c-profiles.sh BUILD OUT} out=${2:?usage: make-c-profiles.sh BUILD OUT}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# timeout stays outside the preload: else it would write its own profiles too.
timeout 60 env NPROF_CPU_PROFILE="$out/c-cpu.pb.gz" NPROF_CPU_HZ=1000 LD_PRELOAD="$build/libnprof.so" \
    "$build/examples/cpu-burner" 2 1 > "$tmp/cpu.out" 2>&1 &&
    [ -s "$out/c-cpu.pb.gz" ] || { echo "make-c-profiles: cpu-burner: $(head -3 "$tmp/cpu.out")"; exit 1; }

timeout 60 env NPROF_HEAP_DUMP="$tmp" NPROF_HEAP_RATE=1 LD_PRELOAD="$build/libnprof.so" \
    "$build/tests/collect/cxxnames" > "$tmp/heap.out" 2>&1 || {
    echo "make-c-profiles: cxxnames: $(head -3 "$tmp/heap.out")"; exit 1; }
dump=$(ls "$tmp"/nprof.cxxnames.*.heap.pb.gz 2>/dev/null | tail -n1)
[ -n "$dump" ] && mv "$dump" "$out/c-heap.pb.gz" || { echo "make-c-profiles: cxxnames wrote no heap profile"; exit 1; }
echo "make-c-profiles: $out/c-cpu.pb.gz $out/c-heap.pb.gz"

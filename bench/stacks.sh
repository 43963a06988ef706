#!/bin/bash
# stacks.sh -- what one stack capture costs with each unwinder (NPROF_STACK=unwind, the
# collector's caching DWARF call frame unwinder; NPROF_STACK=libgcc, libgcc's unwinder; and
# NPROF_STACK=fp, the frame-pointer walk), as callgrind instruction counts per sampled
# malloc+free pair at NPROF_HEAP_RATE=1, 30 frames deep; and how deep each one gets in a Debian
# binary built without frame pointers. Markdown output.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$repo/build}
out=$repo/bench/out
mkdir -p "$out"
cc -O2 -fno-omit-frame-pointer -o "$out/pairbench-fp" "$repo/bench/pairbench.c" || exit 1
cc -O2 -fomit-frame-pointer -o "$out/pairbench-nofp" "$repo/bench/pairbench.c" || exit 1
n=20000
count() {  # count BIN MODE: instructions per sampled pair
  local bin=$1 mode=$2 zero full
  zero=$(env LD_PRELOAD="$build/libnprof.so" NPROF_HEAP_RATE=1 NPROF_STACK="$mode" \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" 0 30 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  full=$(env LD_PRELOAD="$build/libnprof.so" NPROF_HEAP_RATE=1 NPROF_STACK="$mode" \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" $n 30 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  echo $(( (full - zero) / n ))
}
echo "| program built | NPROF_STACK=unwind | NPROF_STACK=libgcc | NPROF_STACK=fp |"
echo "|---|---|---|---|"
for fp in fp nofp; do
  name="with frame pointers"
  [ $fp = nofp ] && name="without frame pointers"
  echo "| $name | $(count "$out/pairbench-$fp" unwind) | $(count "$out/pairbench-$fp" libgcc) | $(count "$out/pairbench-$fp" fp) |"
done
echo
echo "Instructions per sampled malloc(64)+free pair, 30 frames deep, every allocation sampled."
echo
# Depth reached in a real Debian binary (no frame pointers): python3 allocating.
for mode in unwind libgcc fp; do
  LD_PRELOAD="$build/libnprof.so" NPROF_HEAP_RATE=4096 NPROF_STACK=$mode NPROF_HEAP_DUMP="$out" \
    python3 -c 'import json; [json.dumps({"k": list(range(50))}) for _ in range(20000)]' 2>/dev/null
  f=$(ls -t "$out"/nprof.*.heap.pb.gz 2>/dev/null | head -n1)
  [ -n "$f" ] || continue
  depth=$("$build/nprof" -traces "$f" 2>/dev/null | awk '/^-+\+/ {if (n) {s += n; c++}; n = 0; next} /^ / {n++} END {if (c) printf "%.1f", s / c}')
  echo "python3 -c json.dumps loop, NPROF_STACK=$mode: mean recorded stack depth $depth frames"
  rm -f "$out"/nprof.*.heap.pb.gz
done

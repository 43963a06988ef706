#!/bin/bash
# collect-truth.sh [BUILD] -- libnprof's figures against the truth, in programs that can observe
# their blocks. Ends "N passed, M failed".
#
#   1. a sampled block looks like any other (tests/collect/usable check, every block sampled):
#      malloc_usable_size, alignment, realloc and calloc as the allocator itself answers them,
#      with glibc, jemalloc and tcmalloc behind libnprof
#   2. populations realloc'd by rules that look at usable sizes (redis' sdsResize among them)
#      keep an unbiased in-use estimate, each within 10% of the bytes the program holds
#   3. settings hold from the first allocation: NPROF_HEAP_RATE=1 records every one of a C++
#      static initialiser's 1,000 allocations, alone and with jemalloc loaded
#   4. redis-server (Debian's, linked with jemalloc) filled with 1000-byte values: the in-use
#      total against the growth of redis' own used_memory
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies

jemalloc=$(system_lib libjemalloc.so.2)
tcmalloc=$(system_lib libtcmalloc.so.4)
allocators=("glibc:")
[ -n "$jemalloc" ] && allocators+=("jemalloc:$jemalloc")
[ -n "$tcmalloc" ] && allocators+=("tcmalloc:$tcmalloc")

# inuse PROFILE FUNC -- FUNC's flat in-use bytes in PROFILE.
inuse() {
  "$nprof" -top -unit=B -sample_index=inuse_space -nodecount=1000 "$1" 2>/dev/null |
    awk -v f="$2" '$6 == f {sub(/B$/, "", $1); print $1; found = 1} END {if (!found) print 0}'
}
# within A B PCT -- A is within PCT percent of B.
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= b * p / 100) }'; }

section "1. a sampled block looks like any other"
for a in "${allocators[@]}"; do
  name=${a%%:*} pre=${a#*:}
  out=$(timeout 120 env LD_PRELOAD="$lib${pre:+ $pre}" NPROF_HEAP_RATE=1 NPROF_QUIET=1 "$bins/usable" check 2>&1)
  check "usable-$name: every block sampled, usable sizes, alignment, calloc and realloc as the allocator's ($(echo "$out" | tail -n1))" \
    bash -c "echo '$out' | tail -n1 | grep -q '^check: [0-9]* sizes ok$'"
  echo "$out" | grep -v '^check:' | head -n 5 | sed 's/^/     | /'
done

section "2. realloc rules that look at the block keep the estimate unbiased"
# At 64 KiB a sample stands for ~1,000 objects of 68 bytes: a million of them give a standard
# error of about 3%, so 10% is three of them (at the default rate it would be 7%).
for a in "${allocators[@]}"; do
  name=${a%%:*} pre=${a#*:}
  d=$tmp/rules-$name
  mkdir -p "$d"
  timeout 120 env LD_PRELOAD="$lib${pre:+ $pre}" NPROF_HEAP_RATE=65536 NPROF_QUIET=1 NPROF_HEAP_DUMP="$d" \
    "$bins/usable" rules 1000000 >"$d/truth" 2>"$d/err"
  f=$(ls "$d"/*.heap.pb.gz 2>/dev/null | head -n1)
  for site in sds_alloc slack_alloc half_alloc; do
    want=$(awk -v s=$site '$1 == s {print $2}' "$d/truth")
    got=$([ -n "$f" ] && inuse "$f" $site)
    check "rules-$name: $site holds ${got:-?} B in use by the profile, ${want:-?} B in truth (10%)" \
      within "${got:-0}" "${want:-0}" 10
  done
done

section "3. settings from the first allocation"
for a in "glibc:" ${jemalloc:+"jemalloc:$jemalloc"}; do
  name=${a%%:*} pre=${a#*:}
  d=$tmp/early-$name
  mkdir -p "$d"
  timeout 30 env LD_PRELOAD="$lib${pre:+ $pre}" NPROF_HEAP_RATE=1 NPROF_QUIET=1 NPROF_HEAP_DUMP="$d" \
    "$bins/early" >"$d/out" 2>&1
  f=$(ls "$d"/*.heap.pb.gz 2>/dev/null | head -n1)
  n=$([ -n "$f" ] && "$nprof" -top -sample_index=alloc_objects "$f" 2>/dev/null | awk '$6 == "early_alloc" {print $1}')
  check "early-$name: NPROF_HEAP_RATE=1 records ${n:-0} of a static initialiser's 1000 allocations" \
    test "${n:-0}" = 1000
done

section "4. redis' own accounting"
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  d=$tmp/redis
  mkdir -p "$d"
  sock=$d/redis.sock
  timeout -k 2 120 env LD_PRELOAD="$lib" NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE="$d/port" NPROF_QUIET=1 \
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' --appendonly no --dir "$d" \
    >"$d/out" 2>&1 &
  rpid=$!
  if wait_for 100 bash -c "[ -S '$sock' ] && [ -s '$d/port' ] && redis-cli -s '$sock' ping | grep -q PONG"; then
    used() { redis-cli -s "$sock" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
    u0=$(used)
    curl -s --max-time 20 -o "$d/empty.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap"
    timeout 120 redis-benchmark -s "$sock" -q -t set -n 300000 -r 1000000000 -d 1000 >/dev/null 2>&1
    u1=$(used)
    curl -s --max-time 20 -o "$d/full.pb.gz" "http://$(head -n1 "$d/port")/debug/pprof/heap"
    total() { "$nprof" -top -unit=B "$1" 2>/dev/null | sed -n 's/.* of \([0-9]*\)B total.*/\1/p'; }
    t0=$(total "$d/empty.pb.gz") t1=$(total "$d/full.pb.gz")
    growth=$((${u1:-0} - ${u0:-0})) seen=$((${t1:-0} - ${t0:-0}))
    # The estimate's standard error here is about 4%; 12% keeps a correct collector from
    # failing one run in a hundred (the closing figures come from repeated runs).
    check "redis: in-use growth $seen B against used_memory's $growth B (12%)" within "$seen" "$growth" 12
    redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1
  else
    bad "redis: redis-server did not come up"; show "$d/out"
  fi
  kill_tree $rpid
else
  bad "redis: redis-server/redis-benchmark not installed (tools/install-deps.sh)"
fi

finish

#!/bin/sh
# lockcost.sh [BUILD] -- instructions per uncontended pthread_mutex_lock+unlock pair, counted by
# callgrind: without libnprof, with it preloaded and the lock profiles off (the default), and
# with both on (a try-lock that succeeds; the unlock's look at the table of waits). Each figure is
# (instructions at N pairs - instructions at 0) / N, so start-up does not count. Prints Markdown.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/lockcost" "$repo/bench/lockcost.c" -lpthread
n=200000
ir() {  # ir N ENV... -- instructions collected by callgrind for lockcost N
  k=$1; shift
  env "$@" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/lockcost" "$k" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_pair() {  # per_pair ENV...
  a=$(ir 0 "$@"); b=$(ir $n "$@")
  awk -v a="$a" -v b="$b" -v n=$n 'BEGIN { printf "%.1f", (b - a) / n }'
}
plain=$(per_pair X=1)
off=$(per_pair LD_PRELOAD="$build/libnprof.so")
on=$(per_pair LD_PRELOAD="$build/libnprof.so" NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1)
echo "## callgrind: instructions per uncontended pthread_mutex_lock+unlock pair"
echo
echo "| | instructions | extra |"
echo "|---|---:|---:|"
echo "| without libnprof | $plain | |"
awk -v p="$plain" -v v="$off" 'BEGIN { printf "| libnprof, profiles off (default) | %s | %+.1f |\n", v, v - p }'
awk -v p="$plain" -v v="$on" 'BEGIN { printf "| libnprof, NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1 | %s | %+.1f |\n", v, v - p }'

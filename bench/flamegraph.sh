#!/bin/bash
# flamegraph.sh -- the cost of nprof -flamegraph on two generated heap profiles (bench/gen: ~2 MB
# with 40,000 distinct stacks and ~26 MB with 450,000): nprof's time and peak memory to write
# the page, the page's size, and in headless Chromium the time until the graph is drawn and the
# redraw time of a zoom and of a search (bench/flamegraph-browser.js). Run from the repository
# root after make all and tools/install-deps.sh. The figures go in docs/PERFORMANCE.md.
set -eu
NPROF=${NPROF:-build/nprof}
OUT=bench/out
mkdir -p "$OUT" build/go
export GO111MODULE=off GOPATH="$PWD/build/go" GOCACHE="$PWD/build/go/cache" GOFLAGS=
[ -x build/bench-gen ] && [ build/bench-gen -nt bench/gen/main.go ] || go build -o build/bench-gen bench/gen/main.go
for spec in flame-small:40000 flame-large:450000; do
    name=${spec%%:*} stacks=${spec#*:}
    [ -f "$OUT/$name.pb.gz" ] || build/bench-gen -stacks "$stacks" -out "$OUT/$name.pb.gz" >&2
    /usr/bin/time -o "$OUT/$name.time" -f '%e %M' "$NPROF" -flamegraph -output="$OUT/$name.html" "$OUT/$name.pb.gz" 2>/dev/null
    read -r secs kb <"$OUT/$name.time"
    printf '%s\tprofile %s bytes (%s stacks)\tnprof -flamegraph %s s, peak RSS %s MiB\tpage %s bytes\n' \
        "$name" "$(wc -c <"$OUT/$name.pb.gz")" "$stacks" "$secs" "$((kb / 1024))" "$(wc -c <"$OUT/$name.html")"
done
node bench/flamegraph-browser.js "$OUT/flame-small.html" "$OUT/flame-large.html"

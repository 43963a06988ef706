#!/bin/bash
# Symbolization speed: address-only profiles of tens of thousands of distinct addresses in two
# large binaries, read with the binary by go tool pprof and by build/nprof side by side.
#
# - C: bench/symgen.py writes a program of 40 files x 500 functions, each with inlined helpers
#   from two files, built with -O2 -g as a non-PIE executable (about 30 MB, 24 MB of DWARF).
#   bench/symprof.py writes a profile.proto of addresses inside its functions (picked from
#   `nm -S`), with a mapping naming the binary and no functions or lines.
# - Go: cmd/compile built from the local Go tree (symbols, .gopclntab and DWARF), and two
#   profiles over addresses inside its functions: Go's legacy heap profile text (?debug=1,
#   return addresses only) and a profile.proto as for C (the same addresses, without the
#   text parsing).
#
# For each binary and each of -top, -lines -top and -list REGEX, both tools run in turn
# (go tool pprof BENCH_PPROF_RUNS times, nprof BENCH_RUNS times) under bench/timeone.py (GNU
# time's figures, with the wall time to 0.1 ms: GNU time's 10 ms steps are a tenth of nprof's
# runs here): the median wall time and CPU time (user + system), the largest peak RSS, and
# whether the reports agree byte for byte apart from the File:/Build ID:/Time: lines. A last row times nprof alone on the
# C profile with the binary's build ID in its mapping, which takes nprof's native path: every
# inlined frame, as the collector names them (go tool pprof has no such mode; its time on the
# same addresses is the first row's). go tool pprof symbolizes in its own process (Go's debug/dwarf and .gopclntab;
# it starts no addr2line or llvm-symbolizer): this script checks that with strace when present.
# Prints a Markdown table on stdout, progress on stderr. Nothing is asserted.
#
# Env: NPROF (build/nprof), BENCH_RUNS (5), BENCH_PPROF_RUNS (1), BENCH_C_PICKS (addresses per
#      C function, 1), BENCH_GO_PICKS (3), BENCH_C_FILES (40), BENCH_C_FUNCS (500),
#      BENCH_ROWS ("c go goproto": which groups of rows; the C ones take minutes, pprof's).
set -eu
cd "$(dirname "$0")/.."
NPROF=${NPROF:-build/nprof}
RUNS=${BENCH_RUNS:-5}
PRUNS=${BENCH_PPROF_RUNS:-1}
OUT=bench/out/sym
mkdir -p "$OUT" build/go
for tool in go python3 nm cc; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is required" >&2; exit 1; }
done
[ -x "$NPROF" ] || { echo "bench: $NPROF not built (make all)" >&2; exit 1; }
PPROF="$(go env GOTOOLDIR)/pprof"
export TZ=UTC LC_ALL=C PPROF_BINARY_PATH=/nonexistent NPROF_BINARY_PATH=
export GOCACHE="$PWD/build/go/cache" GOFLAGS=-buildvcs=false GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on

# The C program, rebuilt when the generator or its arguments change.
cfiles=${BENCH_C_FILES:-40} cfuncs=${BENCH_C_FUNCS:-500}
# The sources are compiled by their bare names: go tool pprof reads "./name.c" as a name
# relative to nothing (nprof joins it to the compilation directory), and the reports would differ.
cstamp="$cfiles $cfuncs bare-names $(cksum <bench/symgen.py)"
if [ ! -x "$OUT/cprog/sg" ] || [ "$(cat "$OUT/cprog/stamp" 2>/dev/null)" != "$cstamp" ]; then
    echo "bench: generating and building the C program (a minute or two)" >&2
    rm -rf "$OUT/cprog"
    python3 bench/symgen.py "$OUT/cprog" "$cfiles" "$cfuncs"
    (cd "$OUT/cprog" && ls -- *.c | xargs -P "$(nproc)" -n 4 cc -O2 -g -c &&
        cc -no-pie -Wl,--build-id -o sg *.o && rm -f -- *.o)
    echo "$cstamp" >"$OUT/cprog/stamp"
fi
cbin=$PWD/$OUT/cprog/sg
if [ ! -x "$OUT/gocompile" ]; then
    echo "bench: building cmd/compile" >&2
    go build -o "$OUT/gocompile" cmd/compile
fi
gobin=$PWD/$OUT/gocompile

echo "bench: writing the profiles" >&2
cbuildid=$(readelf -n "$cbin" | awk '/Build ID:/ {print $3}')
caddrs=$(nm -S "$cbin" | python3 bench/symprof.py proto "$OUT/c.pb.gz" "$cbin" "${BENCH_C_PICKS:-1}")
nm -S "$cbin" | python3 bench/symprof.py proto "$OUT/c-native.pb.gz" "$cbin" "${BENCH_C_PICKS:-1}" "$cbuildid" >/dev/null
goaddrs=$(nm -S "$gobin" | python3 bench/symprof.py goheap "$OUT/go.heap" "$gobin" "${BENCH_GO_PICKS:-3}")
nm -S "$gobin" | python3 bench/symprof.py proto "$OUT/go.pb.gz" "$gobin" "${BENCH_GO_PICKS:-3}" >/dev/null

if command -v strace >/dev/null 2>&1; then
    strace -f -e trace=execve -o "$OUT/strace.txt" "$PPROF" -top "$gobin" "$OUT/go.heap" >/dev/null 2>&1 || true
    execs=$(grep -c 'execve(' "$OUT/strace.txt" || true)
    echo "bench: go tool pprof started $((execs - 1)) other programs while symbolizing" >&2
fi

# measure TOOL TAG RUNS ARGS...: runs TOOL ARGS RUNS times; sets secs (median wall time), cpu
# (median user + system time: steadier than wall time on a shared machine, and go tool pprof's
# collector runs beside it on the other CPU) and rss (largest peak RSS, kB); keeps the last
# output in $OUT/TAG.out.
measure() {
    local tool=$1 tag=$2 n=$3 i
    shift 3
    : >"$OUT/$tag.times"
    for ((i = 0; i < n; i++)); do
        python3 bench/timeone.py "$OUT/$tag.t1" $tool "$@" >"$OUT/$tag.out" 2>"$OUT/$tag.err" || true
        tail -n1 "$OUT/$tag.t1" >>"$OUT/$tag.times"
    done
    secs=$(sort -n "$OUT/$tag.times" | awk '{t[NR] = $1} END {printf "%.3f\n", t[int((NR + 1) / 2)]}')
    rss=$(awk '$2 > m {m = $2} END {print m}' "$OUT/$tag.times")
    cpu=$(awk '{printf "%.3f\n", $3 + $4}' "$OUT/$tag.times" | sort -n | awk '{t[NR] = $1} END {print t[int((NR + 1) / 2)]}')
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
dwarf() { # the size of the DWARF sections in the file, compressed or not
    readelf -S -W "$1" | awk '$2 ~ /^\.(z)?debug_/ {print $6}' |
        python3 -c 'import sys; print("%.1f MB" % (sum(int(x, 16) for x in sys.stdin) / 1e6))'
}

echo "| binary | addresses | report | go tool pprof | nprof | ratio | pprof CPU | nprof CPU | CPU ratio | pprof peak RSS | nprof peak RSS | same output |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
# row NAME ADDRS BINARY PROFILE ARGS...: one report, both tools.
row() {
    local name=$1 addrs=$2 bin=$3 prof=$4
    shift 4
    echo "bench: $name $*: go tool pprof" >&2
    measure "$PPROF" pprof "$PRUNS" "$@" "$bin" "$prof"
    local ps=$secs pr=$rss pc=$cpu
    echo "bench: $name $*: nprof" >&2
    measure "$NPROF" nprof "$RUNS" "$@" "$bin" "$prof"
    local same=no
    cmp -s <(grep -avE '^(File|Build ID|Time): ' "$OUT/pprof.out") <(grep -avE '^(File|Build ID|Time): ' "$OUT/nprof.out") && same=yes
    local ratio cratio
    ratio=$(awk -v a="$ps" -v b="$secs" 'BEGIN {if (b > 0) printf "%.0fx", a / b; else print "-"}')
    cratio=$(awk -v a="$pc" -v b="$cpu" 'BEGIN {if (b > 0) printf "%.0fx", a / b; else print "-"}')
    echo "| $name | $addrs | \`$*\` | ${ps} s | ${secs} s | $ratio | ${pc} s | ${cpu} s | $cratio | $(mib "$pr") | $(mib "$rss") | $same |"
}
for what in ${BENCH_ROWS:-c go goproto}; do
    case $what in
    c)
        row C "$caddrs" "$cbin" "$OUT/c.pb.gz" -top
        row C "$caddrs" "$cbin" "$OUT/c.pb.gz" -lines -top
        row C "$caddrs" "$cbin" "$OUT/c.pb.gz" -list 'sg_00[0-4]_00[0-4][0-9]$'
        measure "$NPROF" native "$RUNS" -top "$cbin" "$OUT/c-native.pb.gz"
        echo "| C, build ID (inlined frames) | $caddrs | \`-top\` | | ${secs} s | | | ${cpu} s | | | $(mib "$rss") | |"
        ;;
    go)
        row "Go, heap text" "$goaddrs" "$gobin" "$OUT/go.heap" -top
        row "Go, heap text" "$goaddrs" "$gobin" "$OUT/go.heap" -lines -top
        row "Go, heap text" "$goaddrs" "$gobin" "$OUT/go.heap" -list 'walk\.walk[A-Z]'
        ;;
    goproto)
        row "Go, proto" "$goaddrs" "$gobin" "$OUT/go.pb.gz" -top
        row "Go, proto" "$goaddrs" "$gobin" "$OUT/go.pb.gz" -lines -top
        row "Go, proto" "$goaddrs" "$gobin" "$OUT/go.pb.gz" -list 'walk\.walk[A-Z]'
        ;;
    esac
done
echo
echo "C binary: $(stat -c %s "$cbin" | awk '{printf "%.1f MB", $1 / 1e6}') ($(dwarf "$cbin") of DWARF), $(nm "$cbin" | grep -c ' [Tt] ') functions." \
    "Go binary (cmd/compile): $(stat -c %s "$gobin" | awk '{printf "%.1f MB", $1 / 1e6}') ($(dwarf "$gobin") of DWARF, compressed), $(nm "$gobin" | grep -c ' [Tt] ') functions." \
    "go tool pprof: $("$PPROF" -h 2>&1 | head -0)$(go version | awk '{print $3}'). Times: median of $RUNS runs for nprof, $PRUNS for go tool pprof."

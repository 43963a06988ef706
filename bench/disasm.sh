#!/bin/sh
# -disasm and -weblist over every sampled function of a Go CPU profile (build/profiles/cpu.pb.gz,
# or $1; its binary is build/go/bin/cpugen), nprof beside go tool pprof: the median wall time
# and the CPU time (user + system, objdump's included) of hyperfine's runs (-N, --warmup 1,
# BENCH_RUNS runs, default 10), and how many times go tool pprof's each is. Prints a Markdown
# table. No assertions: this measures, it does not test.
set -eu
cd "$(dirname "$0")/.."
PROFILE=${1:-build/profiles/cpu.pb.gz}
RUNS=${BENCH_RUNS:-10}
[ -f "$PROFILE" ] || { echo "bench: no $PROFILE (tests/go/make-profiles.sh build/profiles)" >&2; exit 1; }
command -v hyperfine >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 || { echo "bench: needs hyperfine and jq" >&2; exit 1; }
make -s all >&2
mkdir -p bench/out
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# "median_wall cpu" in seconds of the command.
measure() {
    hyperfine -N --warmup 1 --runs "$RUNS" --style none --export-json bench/out/disasm.json "$*" >/dev/null 2>&1
    jq -r '.results[0] | "\(.median) \(.user + .system)"' bench/out/disasm.json
}

echo "| report | nprof wall | nprof CPU | go tool pprof wall | go tool pprof CPU | wall ratio | CPU ratio |"
echo "|---|---|---|---|---|---|---|"
for report in "-disasm=." "-weblist=."; do
    case $report in -weblist*) extra="-output=$OUT/page.html" ;; *) extra="" ;; esac
    set -- $(measure build/nprof $report $extra "$PROFILE") $(measure go tool pprof $extra $report "$PROFILE")
    awk -v r="$report" -v nw="$1" -v nc="$2" -v gw="$3" -v gc="$4" 'BEGIN {
        printf "| %s | %.2f s | %.2f s | %.2f s | %.2f s | %.1fx | %.1fx |\n", r, nw, nc, gw, gc, nw / gw, nc / gc }'
done

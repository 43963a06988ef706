#!/bin/sh
# Analyzer speed and memory, side by side with go tool pprof.
#
# Generates two synthetic heap profiles with bench/gen (about 2 MB and 20 MB gzipped) into
# bench/out/, then for each of -top and -traces on each file runs go tool pprof and build/nprof:
# wall time with hyperfine (--warmup 1, BENCH_RUNS runs, JSON in bench/out/), peak RSS with
# /usr/bin/time -f %M (one run after the timing runs). Prints a Markdown table on stdout; progress
# goes to stderr. No assertions: this measures, it does not test.
#
# Env: BENCH_RUNS (default 5 for the small file, 3 for the large), NPROF (default build/nprof),
#      BENCH_SMALL_STACKS (40000), BENCH_LARGE_STACKS (350000), BENCH_REPORTS ("-top -traces";
#      an entry NPROF:PPROF, commas for spaces, times an nprof-only report beside pprof's
#      closest, e.g. "-icicle,-width=200:-top -folded:-traces").
set -eu
cd "$(dirname "$0")/.."

NPROF=${NPROF:-build/nprof}
OUT=bench/out
REPORTS=${BENCH_REPORTS:--top -traces}
mkdir -p "$OUT" build/go

for tool in go hyperfine jq /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is required" >&2; exit 1; }
done
[ -x "$NPROF" ] || { echo "bench: $NPROF not built (make all)" >&2; exit 1; }

# The generator: standard library only, built in GOPATH mode with caches under build/.
export GO111MODULE=off GOPATH="$PWD/build/go" GOCACHE="$PWD/build/go/cache" GOFLAGS=
if [ ! -x build/bench-gen ] || [ bench/gen/main.go -nt build/bench-gen ]; then
    echo "bench: building bench/gen" >&2
    go build -o build/bench-gen bench/gen/main.go
fi
# Call the pprof binary directly rather than through the go command, so neither the time nor
# the RSS includes the go command's own start-up.
PPROF="$(go env GOTOOLDIR)/pprof"
[ -x "$PPROF" ] || { echo "bench: $PPROF not found" >&2; exit 1; }

gen() { # name stacks
    f="$OUT/$1.pb.gz"
    stamp="$OUT/$1.stacks"
    if [ ! -f "$f" ] || [ build/bench-gen -nt "$f" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$2" ]; then
        echo "bench: generating $f ($2 stacks)" >&2
        build/bench-gen -stacks "$2" -out "$f" >&2
        echo "$2" >"$stamp"
    fi
}
gen small "${BENCH_SMALL_STACKS:-40000}"
gen large "${BENCH_LARGE_STACKS:-350000}"

human_bytes() { awk -v b="$1" 'BEGIN { split("B KiB MiB GiB", u, " "); i = 1; while (b >= 1024 && i < 4) { b /= 1024; i++ } printf (i == 1 ? "%d %s" : "%.1f %s"), b, u[i] }'; }
secs() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s }'; }
# Two decimals below 1 (memory ratios), so that 0.04 does not print as "0.0x".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) { r = a / b; printf (r < 1 ? "%.2fx" : "%.1fx"), r } else print "-" }'; }

# Measures one command: sets T (median seconds, from hyperfine's JSON: the median, not the mean,
# so one run disturbed by other load on the machine does not skew it) and M (peak RSS, KiB).
measure() { # label runs cmd...
    label=$1 runs=$2
    shift 2
    json="$OUT/$label.json"
    hyperfine --warmup 1 --runs "$runs" --style none --export-json "$json" \
        "$* >/dev/null" >&2
    T=$(jq '.results[0].median' "$json")
    M=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
ROWS=""
for name in small large; do
    file="$OUT/$name.pb.gz"
    runs=${BENCH_RUNS:-$([ "$name" = small ] && echo 5 || echo 3)}
    for entry in $REPORTS; do
        # An entry NPROF:PPROF times an nprof-only report beside the closest pprof report
        # (commas stand for spaces): "-icicle,-width=200:-top".
        np_args=$(echo "${entry%%:*}" | tr , ' ') pp_args=$(echo "${entry#*:}" | tr , ' ')
        r=$(echo "${entry%%:*}" | tr , _) shown=$np_args
        [ "$np_args" != "$pp_args" ] && shown="$np_args (pprof $pp_args)"
        echo "bench: $name $pp_args: go tool pprof" >&2
        measure "$name$r-pprof" "$runs" "$PPROF" $pp_args "$file"
        pt=$T pm=$M
        "$PPROF" $pp_args "$file" >"$OUT/$name$r.pprof.txt" 2>/dev/null || true
        # nprof: only timed when it implements the report (it says so with an error otherwise).
        if "$NPROF" $np_args "$file" >"$OUT/$name$r.nprof.txt" 2>"$OUT/$name$r.nprof.err"; then
            echo "bench: $name $np_args: nprof" >&2
            measure "$name$r-nprof" "$runs" "$NPROF" $np_args "$file"
            nt=$T nm=$M
            same=$(cmp -s "$OUT/$name$r.pprof.txt" "$OUT/$name$r.nprof.txt" && echo yes || echo no)
            [ "$np_args" != "$pp_args" ] && same="- (not the same report)"
            row="| $name | $shown | $(secs "$pt") | $(secs "$nt") | $(ratio "$pt" "$nt") | $(human_bytes $((pm * 1024))) | $(human_bytes $((nm * 1024))) | $(ratio "$nm" "$pm") | $same |"
        else
            why=$(head -1 "$OUT/$name$r.nprof.err" | cut -c1-60 | tr '|' '/')
            row="| $name | $shown | $(secs "$pt") | not supported | - | $(human_bytes $((pm * 1024))) | - | - | - ($why) |"
        fi
        ROWS="$ROWS$row
"
    done
done

# Describe what was measured, then the table.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
echo "Measured $(date -u +%Y-%m-%d) on ${cpu:-unknown CPU}, $(nproc) CPUs, $(go version | cut -d' ' -f3), nprof $(git rev-parse --short HEAD 2>/dev/null || echo unknown); load average $LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) after. Times are medians of $([ -n "${BENCH_RUNS:-}" ] && echo "$BENCH_RUNS" || echo "5 (small) and 3 (large)") runs after one warm-up; hyperfine's full statistics are in \`bench/out/*.json\`."
echo
for name in small large; do
    f="$OUT/$name.pb.gz"
    echo "- \`$name\`: $(human_bytes "$(wc -c <"$f")") gzipped, $(cat "$OUT/$name.stacks") distinct stacks (\`bench/gen -stacks $(cat "$OUT/$name.stacks")\`)"
done
echo
echo "| profile | report | go tool pprof | nprof | time ratio (pprof/nprof) | pprof peak RSS | nprof peak RSS | memory ratio (nprof/pprof) | same output |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s' "$ROWS"

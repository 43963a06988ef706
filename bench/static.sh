#!/bin/sh
# nprof-static beside build/nprof and go tool pprof: file size, and the wall time of starting and
# printing -top of a small profile (build/profiles/heap.pb.gz, or $1), median of hyperfine's runs
# (--warmup 3, BENCH_RUNS runs, default 50); /usr/bin/time in a loop when hyperfine is missing.
# Prints a Markdown table. No assertions: this measures, it does not test.
set -eu
cd "$(dirname "$0")/.."
PROFILE=${1:-build/profiles/heap.pb.gz}
RUNS=${BENCH_RUNS:-50}
[ -f "$PROFILE" ] || { echo "bench: no $PROFILE (tests/go/make-profiles.sh build/profiles)" >&2; exit 1; }
make -s all static >&2
PPROF="$(go env GOTOOLDIR)/pprof" # the tool itself: the go command's own start-up is not pprof's
mkdir -p bench/out

# Median wall seconds of "$@ >/dev/null".
median() {
    if command -v hyperfine >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then
        hyperfine -N --warmup 3 --runs "$RUNS" --style none --export-json bench/out/static.json \
            "$*" >/dev/null 2>&1
        jq '.results[0].median' bench/out/static.json
    else
        i=0
        while [ $i -lt "$RUNS" ]; do
            /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -n 1
            i=$((i + 1))
        done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
    fi
}
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
size() { awk -v b="$(stat -L -c %s "$1")" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }

echo "| tool | ELF | size | start and -top of $(basename "$PROFILE") |"
echo "|---|---|---|---|"
for tool in build/nprof-static build/nprof "$PPROF"; do
    case $tool in
        */pprof) name="go tool pprof" ;;
        *-static) name=nprof-static ;;
        *) name=nprof ;;
    esac
    what=$(file -b -L "$tool" | grep -oE 'statically linked|dynamically linked|not stripped|stripped' | paste -sd, - | sed "s/,/, /g")
    t=$(median "$tool" -top "$PROFILE")
    echo "| $name | $what | $(size "$tool") | $(ms "$t") |"
done

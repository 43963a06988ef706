#!/bin/bash
# The web UI (-http) side by side with go tool pprof -http in one headless Chromium, on
# bench/gen's synthetic heap profiles (~2 MB with 40,000 distinct stacks, ~26 MB with 450,000:
# the sizes of bench/flamegraph.sh). For each profile, bench/webui-browser.js starts each
# server in turn, ROUNDS times with the order alternating, and measures the time until the
# server answers (the whole page of GET /), until the graph, a focused graph and the flame
# graph are drawn in the browser, and the server's peak RSS. It prints a Markdown table of the
# medians and the ratios pprof / nprof; the single rounds go to stderr. No assertions: this
# measures, it does not test. Run from the repository root after make all and
# tools/install-deps.sh.
#
# Env: NPROF (build/nprof), BENCH_SMALL_STACKS (40000), BENCH_LARGE_STACKS (450000),
#      BENCH_FILES ("small large"), BENCH_TOOLS ("pprof nprof"), BENCH_ROUNDS_SMALL (5),
#      BENCH_ROUNDS_LARGE (1: one round of pprof on it takes minutes), BENCH_CAP_S (180) and
#      BENCH_CAP_MB (8192): a step that takes longer, or a server that grows larger (it is
#      killed), gets a lower bound and a fresh server takes the next steps; CHROMIUM;
#      BENCH_SETTLE_MS (5000): the pause after each run, while the memory it used is reclaimed.
set -eu
cd "$(dirname "$0")/.."
export NPROF=${NPROF:-build/nprof}
OUT=bench/out
mkdir -p "$OUT" build/go
for tool in go node dot; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is required" >&2; exit 1; }
done
[ -d tests/browser/node_modules/playwright-core ] || { echo "bench: run tools/install-deps.sh first" >&2; exit 1; }
export GO111MODULE=off GOPATH="$PWD/build/go" GOCACHE="$PWD/build/go/cache" GOFLAGS=
[ -x build/bench-gen ] && [ build/bench-gen -nt bench/gen/main.go ] || go build -o build/bench-gen bench/gen/main.go
export PPROF="$(go env GOTOOLDIR)/pprof"

profile() { # profile NAME STACKS: bench/out/NAME.pb.gz, made once per stack count
    local f="$OUT/$1.pb.gz"
    if [ "$(cat "$OUT/$1.stacks" 2>/dev/null)" != "$2" ] || [ ! -f "$f" ]; then
        echo "bench: generating $f ($2 stacks)" >&2
        build/bench-gen -stacks "$2" -out "$f" >&2
        echo "$2" > "$OUT/$1.stacks"
    fi
}

echo "| profile | measure | go tool pprof -http | nprof -http | pprof / nprof |"
echo "|---|---|---|---|---|"
for name in ${BENCH_FILES:-small large}; do
    if [ "$name" = small ]; then
        stacks=${BENCH_SMALL_STACKS:-40000} rounds=${BENCH_ROUNDS_SMALL:-5}
    else
        stacks=${BENCH_LARGE_STACKS:-450000} rounds=${BENCH_ROUNDS_LARGE:-1}
    fi
    profile "$name" "$stacks"
    f="$OUT/$name.pb.gz"
    # The focus the click menu makes on -top's first function: f=^name$.
    # (the whole name: C++ names hold spaces, as "operator new(unsigned long)")
    fn=$("$NPROF" -top -nodecount=1 "$f" 2>/dev/null | tail -1 | sed -E 's/^ *([^ ]+ +){5}//')
    focus="^$(printf '%s' "$fn" | sed 's/[][\.*+?(){}|^$]/\\&/g')\$"
    node bench/webui-browser.js "$name" "$f" "$focus" "$rounds"
done

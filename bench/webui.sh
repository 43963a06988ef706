#!/bin/bash
# The web UI (-http) side by side with go tool pprof -http, on bench/gen's synthetic heap
# profiles (about 2 MB and 20+ MB gzipped, the same generator and sizes as bench/analyzer.sh).
# For each tool and file: the time from start until the server answers, then the time to get
# the graph page (dot included; the page is whole when it arrives: the graph is inline, the
# script and style embedded), then a Top and a focused graph (a URL with f=), each page fetched
# with curl; and the server's peak RSS (/usr/bin/time -f %M) after it is stopped. Prints a
# Markdown table; progress on stderr. No assertions: this measures, it does not test.
#
# Env: NPROF (build/nprof), BENCH_SMALL_STACKS (40000), BENCH_LARGE_STACKS (350000),
#      BENCH_FILES ("small large"), BENCH_TOOLS ("pprof nprof").
set -eu
cd "$(dirname "$0")/.."
NPROF=${NPROF:-build/nprof}
OUT=bench/out
mkdir -p "$OUT" build/go
for tool in go curl dot /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is required" >&2; exit 1; }
done
export GO111MODULE=off GOPATH="$PWD/build/go" GOCACHE="$PWD/build/go/cache" GOFLAGS=
[ -x build/bench-gen ] && [ build/bench-gen -nt bench/gen/main.go ] || go build -o build/bench-gen bench/gen/main.go
PPROF="$(go env GOTOOLDIR)/pprof"

profile() { # profile NAME STACKS: bench/out/NAME.pb.gz, made once per stack count
    local f="$OUT/$1.pb.gz"
    if [ "$(cat "$OUT/$1.stacks" 2>/dev/null)" != "$2" ] || [ ! -f "$f" ]; then
        echo "bench: generating $f ($2 stacks)" >&2
        build/bench-gen -stacks "$2" -out "$f" >&2
        echo "$2" > "$OUT/$1.stacks"
    fi
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
fetch() { curl -s -o /dev/null -w '%{time_total}' --max-time 900 "$1" | awk '{ printf "%.2f", $1 }'; }

# run TOOL FILE: prints "ready graph top focus rss_kib" (seconds, KiB).
run() {
    local bin=$NPROF port
    [ "$1" = pprof ] && bin=$PPROF
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    local url="http://127.0.0.1:$port/ui"
    local t0
    t0=$(now)
    /usr/bin/time -f %M -o "$OUT/webui-rss" "$bin" -http="127.0.0.1:$port" -no_browser "$2" \
        > /dev/null 2> "$OUT/webui-$1.err" &
    local pid=$!
    # Any answer (a 404 of a path no view has) means the profile is loaded and the server up;
    # a view would start a report, and a report abandoned by a timed-out poll runs on.
    until curl -s -o /dev/null "$url/ready-probe"; do sleep 0.05; done
    local ready
    ready=$(elapsed "$t0" "$(now)")
    local graph top focus
    graph=$(fetch "$url/")
    top=$(fetch "$url/top")
    focus=$(fetch "$url/?f=$FOCUS")
    pkill -TERM -P "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$ready $graph $top $focus $(tail -1 "$OUT/webui-rss")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }

profile small "${BENCH_SMALL_STACKS:-40000}"
profile large "${BENCH_LARGE_STACKS:-350000}"
echo "| profile | measure | go tool pprof -http | nprof -http | pprof / nprof |"
echo "|---|---|---|---|---|"
for name in ${BENCH_FILES:-small large}; do
    f="$OUT/$name.pb.gz"
    # A focus on the first function of -top's list: a typical click in the menu.
    FOCUS=$("$NPROF" -top -nodecount=1 "$f" 2>/dev/null | tail -1 | awk '{print $6}' | sed 's/[^A-Za-z0-9]/\\&/g' | python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))')
    declare -A res
    for tool in ${BENCH_TOOLS:-pprof nprof}; do
        echo "bench: $tool -http on $f" >&2
        res[$tool]=$(run "$tool" "$f")
    done
    size=$(du -k "$f" | cut -f1)
    labels=("server answers (s)" "graph page (s)" "top page (s)" "focused graph (s)" "peak RSS (MiB)")
    for i in 0 1 2 3 4; do
        p=$(echo "${res[pprof]:-}" | awk -v i=$((i + 1)) '{print $i}')
        n=$(echo "${res[nprof]:-}" | awk -v i=$((i + 1)) '{print $i}')
        if [ "$i" = 4 ]; then
            p=$(awk -v k="${p:-0}" 'BEGIN { printf "%.0f", k / 1024 }')
            n=$(awk -v k="${n:-0}" 'BEGIN { printf "%.0f", k / 1024 }')
        fi
        echo "| $name ($size KiB) | ${labels[$i]} | ${p:--} | ${n:--} | $(ratio "${p:-0}" "${n:-0}") |"
    done
done

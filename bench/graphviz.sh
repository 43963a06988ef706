#!/bin/bash
# The web UI's Graph drawn by nprof's own layout, by the server's Graphviz worker and by a dot
# process per request, side by side: the server time (curl's total on loopback) of /ui/graph
# and of the focused graph the click menu makes (f=^NAME$ on -top's first function), on
# bench/gen's small heap profile (40,000 stacks), every page made when asked
# (NPROF_WEBUI_CACHE=0). Servers: this build as it is (its own layout), this build with
# NPROF_GRAPH_LAYOUT=graphviz (its Graphviz worker), the same with NPROF_GRAPHVIZ=process (dot
# spawned per request), and OLD_NPROF when given (an earlier build). Requests alternate
# between the servers, ROUNDS (20) of each; medians in ms, then the first graph after start.
# Then -svg on the command line with hyperfine, this build against OLD_NPROF when given. No
# assertions: this measures. Run from the repository root after make all.
#
# Usage: bench/graphviz.sh [NPROF [OLD_NPROF]]   Env: ROUNDS (20)
set -eu
cd "$(dirname "$0")/.."
NPROF=$(realpath "${1:-build/nprof}")
OLD=${2:+$(realpath "$2")}
ROUNDS=${ROUNDS:-20}
OUT=bench/out
F=$OUT/small.pb.gz
mkdir -p "$OUT" build/go
if [ ! -f "$F" ]; then
    export GO111MODULE=off GOPATH="$PWD/build/go" GOCACHE="$PWD/build/go/cache" GOFLAGS=
    [ -x build/bench-gen ] || go build -o build/bench-gen bench/gen/main.go
    build/bench-gen -stacks 40000 -out "$F" >&2
fi
T=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

fn=$("$NPROF" -top -nodecount=1 "$F" 2>/dev/null | tail -1 | awk '{print $6}')
focus=$(python3 -c 'import re, sys, urllib.parse; print(urllib.parse.quote("^" + re.escape(sys.argv[1]) + "$", safe=""))' "$fn")

# serve NAME ENV... -- CMD: starts a server; its address goes to $T/NAME.url.
serve() {
    local name=$1
    shift
    env "$@" -http=127.0.0.1:0 -no_browser "$F" 2> "$T/$name.err" &
    PIDS+=($!)
    for _ in $(seq 600); do
        sed -n 's/^Serving web UI on //p' "$T/$name.err" > "$T/$name.url"
        [ -s "$T/$name.url" ] && return 0
        sleep 0.05
    done
    echo "bench: $name did not start" >&2
    exit 1
}
ms() { curl -s -o /dev/null -w '%{time_total}\n' "$1" | awk '{printf "%.1f\n", $1 * 1000}'; }
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

names=(own resident process)
serve own NPROF_WEBUI_CACHE=0 "$NPROF"
serve resident NPROF_WEBUI_CACHE=0 NPROF_GRAPH_LAYOUT=graphviz "$NPROF"
serve process NPROF_WEBUI_CACHE=0 NPROF_GRAPH_LAYOUT=graphviz NPROF_GRAPHVIZ=process "$NPROF"
if [ -n "$OLD" ]; then
    names+=(old)
    serve old NPROF_WEBUI_CACHE=0 NPROF_GRAPH_LAYOUT=graphviz "$OLD"
fi
# The first graph after start: the resident server has warmed Graphviz up meanwhile.
sleep 1
for n in "${names[@]}"; do ms "$(cat "$T/$n.url")/ui/graph" > "$T/$n.first"; done
for _ in $(seq "$ROUNDS"); do
    for n in "${names[@]}"; do
        u=$(cat "$T/$n.url")
        ms "$u/ui/graph" >> "$T/$n.graph"
        ms "$u/ui/graph?f=$focus" >> "$T/$n.focus"
    done
done

label() { case $1 in own) echo "nprof's own layout (the default)" ;; resident) echo "Graphviz worker (NPROF_GRAPH_LAYOUT=graphviz)" ;; process) echo "dot per request (NPROF_GRAPH_LAYOUT=graphviz NPROF_GRAPHVIZ=process)" ;; old) echo "OLD_NPROF" ;; esac; }
echo "Graph view on $F, server time in ms (median of $ROUNDS; first = first request after start)"
echo
echo "| server | /ui/graph | /ui/graph?f=^$fn\$ | first /ui/graph |"
echo "|---|---|---|---|"
for n in "${names[@]}"; do
    echo "| $(label "$n") | $(median "$T/$n.graph") | $(median "$T/$n.focus") | $(cat "$T/$n.first") |"
done
echo
if command -v hyperfine >/dev/null; then
    cmds=("$NPROF -svg $F")
    [ -n "$OLD" ] && cmds+=("$OLD -svg $F")
    hyperfine -N -w 2 -r 15 --style basic "${cmds[@]}" 2>&1 | grep -E 'Time|±|faster|Benchmark'
fi

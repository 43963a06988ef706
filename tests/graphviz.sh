#!/bin/bash
# graphviz.sh NPROF -- the web server draws its Graph view with Graphviz's library kept loaded
# in a worker process (src/analyze/report/graphviz_worker.c) instead of one dot process per
# request. Checked here: its drawing is byte for byte the one `-svg` gets from the dot command
# (every profile, plain and focused); it really comes from the worker (a failing dot on $PATH
# does not stop it, and NPROF_GRAPHVIZ=process goes back to dot); a crashed worker costs the
# server nothing, and the worker ends with the server; without dot on $PATH Graph answers 501
# while Top works; 300 graph requests in a row keep the memory bounded; concurrent requests all
# get the same drawing. Profiles: build/profiles and ../shared/testdata/go/profiles when there.
set -u
# The web UI draws its Graph view with its own layout unless told to use Graphviz, as here.
export NPROF_GRAPH_LAYOUT=graphviz
NPROF=$(realpath "${1:-build/nprof}")
cd "$(dirname "$0")/.." || exit 2
. tests/counts.sh
T=$(mktemp -d)
# The servers are this script's jobs: whatever is left of them goes at the end.
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

if ! command -v dot >/dev/null; then
    bad "Graphviz's dot is not on \$PATH (tools/install-deps.sh installs it)"
    echo "$pass passed, $fail failed"
    exit 1
fi

# start LOG CMD...: runs CMD (an nprof -http server) in the background, its stderr in LOG;
# sets SRV to its pid and U to the address it announces (empty if none came within 30 s).
start() {
    local log=$1 tries=0
    shift
    "$@" 2> "$log" &
    SRV=$!
    U=
    while [ -z "$U" ] && [ $tries -lt 300 ] && kill -0 "$SRV" 2>/dev/null; do
        sleep 0.1
        tries=$((tries + 1))
        U=$(sed -n 's/^Serving web UI on //p' "$log")
    done
}
stop() { kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; }
# rss_kb PID: the resident memory of PID and its children (the Graphviz worker), in kB.
rss_kb() { cat "/proc/$1/status" $(pgrep -P "$1" | sed 's|.*|/proc/&/status|') | awk '/^VmRSS/ {t += $2} END {print t}'; }

# svg_of FILE: the <svg> element of an -svg file as the Graph view inlines it (without the
# file's pan script), or of a Graph page.
svg_of() {
    python3 -c '
import sys
s = open(sys.argv[1], encoding="utf-8", errors="replace").read()
div = s.find("<div id=\"graph\">")
if div >= 0:
    s = s[div:]
root = s.find("<svg")
end = s.find("</svg>", root)
if root < 0 or end < 0:
    sys.exit(1)
svg = s[root:end + 6]
a = svg.find("<script")
b = svg.find("</script>", a)
if div < 0 and a >= 0 and b >= 0:
    svg = svg[:a] + svg[b + 9:]
sys.stdout.write(svg)' "$1"
}

# focus_of PROFILE: a regexp for the third function of -top, for a focused graph.
focus_of() {
    "$NPROF" -top -nodecount=3 "$1" 2>/dev/null | awk 'f {n = $0} /flat%/ {f = 1} END {print n}' |
        sed -E 's/^ *([^ ]+ +){5}//' | python3 -c '
import re, sys
print(re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", sys.stdin.read().strip()))'
}
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# same_graph NAME PROFILE URL FLAGS...: the server's Graph at URL against `nprof -svg FLAGS`.
same_graph() {
    local name=$1 prof=$2 url=$3
    shift 3
    "$NPROF" -svg "$@" "$prof" > "$T/cli.svg" 2> /dev/null
    curl -s -g -o "$T/page.html" "$url"
    svg_of "$T/cli.svg" > "$T/want" && svg_of "$T/page.html" > "$T/got"
    check "$name: the Graph view is -svg's drawing byte for byte ($(wc -c < "$T/want") bytes)" \
        cmp -s "$T/want" "$T/got"
}

test_profiles 100

# -- Every profile, plain and focused: the library's SVG is dot's.
for prof in "${profiles[@]}"; do
    name=$(basename "$(dirname "$prof")")/$(basename "$prof")
    start "$T/srv.err" "$NPROF" -http=127.0.0.1:0 -no_browser "$prof"
    if [ -z "$U" ]; then
        bad "$name: the server did not start: $(head -2 "$T/srv.err")"
        continue
    fi
    same_graph "$name" "$prof" "$U/ui/graph"
    f=$(focus_of "$prof")
    [ -n "$f" ] && same_graph "$name -focus=$f" "$prof" "$U/ui/graph?f=$(urlq "$f")" -focus="$f"
    if [ "$prof" = build/profiles/heap.pb.gz ]; then
        same_graph "$name -sample_index=alloc_space -hide=runtime" "$prof" \
            "$U/ui/graph?si=alloc_space&h=runtime" -sample_index=alloc_space -hide=runtime
    fi
    stop
done

# -- The drawing is the library's: a dot on $PATH that only fails does not stop it, while
# NPROF_GRAPHVIZ=process uses that dot and reports its failure as pprof words it.
mkdir -p "$T/fakebin" "$T/nobin"
printf '#!/bin/sh\nexit 3\n' > "$T/fakebin/dot"
chmod +x "$T/fakebin/dot"
CPU=build/profiles/cpu.pb.gz
"$NPROF" -svg "$CPU" > "$T/cli.svg" 2> /dev/null
svg_of "$T/cli.svg" > "$T/want"
start "$T/fake.err" env PATH="$T/fakebin" "$NPROF" -http=127.0.0.1:0 -no_browser "$CPU"
r=$(curl -s -o "$T/page.html" -w '%{http_code}' "$U/ui/graph")
svg_of "$T/page.html" > "$T/got"
W=$(pgrep -P "$SRV")
check "a failing dot on \$PATH: Graph still 200 ($r) with dot's drawing, from the worker" \
    bash -c "[ '$r' = 200 ] && cmp -s '$T/want' '$T/got' && grep -q libgvc /proc/${W:-0}/maps"
check "libgvc is in the worker (${W:-none}), not in the server" bash -c "! grep -q libgvc /proc/$SRV/maps"
stop

# The servers below draw the same graph again and again, so the web UI's cache of made pages
# is off there (NPROF_WEBUI_CACHE=0): each request goes to Graphviz.
# -- A worker that crashes costs the server nothing: that request is drawn by dot, the next
# by a new worker.
start "$T/crash.err" env NPROF_WEBUI_CACHE=0 "$NPROF" -http=127.0.0.1:0 -no_browser "$CPU"
curl -s -o /dev/null "$U/ui/graph"
W=$(pgrep -P "$SRV")
kill -SEGV "${W:-0}"
sleep 0.2
r1=$(curl -s -o "$T/page1.html" -w '%{http_code}' "$U/ui/graph")
r2=$(curl -s -o "$T/page2.html" -w '%{http_code}' "$U/ui/graph")
W2=$(pgrep -P "$SRV")
svg_of "$T/page1.html" > "$T/got1"
svg_of "$T/page2.html" > "$T/got2"
check "worker ${W:-none} killed by SIGSEGV: the server answers $r1 then $r2 with the same drawing, new worker ${W2:-none}" \
    bash -c "[ '$r1/$r2' = 200/200 ] && cmp -s '$T/want' '$T/got1' && cmp -s '$T/want' '$T/got2' && [ -n '$W2' ] && [ '$W2' != '$W' ]"
stop
sleep 0.2
# Gone, or a zombie where the init process does not reap orphans (some containers).
check "the worker ends with the server" bash -c "[ ! -e /proc/${W2:-0}/stat ] || grep -q ') Z ' /proc/${W2:-0}/stat"
start "$T/proc.err" env PATH="$T/fakebin" NPROF_GRAPHVIZ=process "$NPROF" -http=127.0.0.1:0 -no_browser "$CPU"
r=$(curl -s -o "$T/page.html" -w '%{http_code}' "$U/ui/graph")
# The page went out before dot ran (the Graph view streams once its settings hold), so dot's
# failure is shown in a 200 page.
check "NPROF_GRAPHVIZ=process: that dot runs and its failure shows ($r)" \
    bash -c "[ '$r' = 200 ] && grep -q 'class=\"error\"' '$T/page.html' && grep -q 'Error: exit status 3' '$T/page.html' && ! pgrep -P $SRV >/dev/null"
stop

# -- No dot on $PATH: Graph answers pprof's 501, the other views work, nothing is loaded.
start "$T/nodot.err" env PATH="$T/nobin" "$NPROF" -http=127.0.0.1:0 -no_browser "$CPU"
r=$(curl -s -o "$T/page.html" -w '%{http_code}' "$U/ui/graph")
check "no dot on \$PATH: Graph answers 501 ($r) with pprof's message" \
    bash -c "[ '$r' = 501 ] && grep -q 'Could not execute dot; may need to install graphviz.' '$T/page.html'"
r=$(curl -s -o "$T/top.html" -w '%{http_code}' "$U/ui/top")
check "no dot on \$PATH: Top answers 200 ($r) with its rows" bash -c "[ '$r' = 200 ] && grep -q 'toptable' '$T/top.html'"
check "no dot on \$PATH: no Graphviz worker" bash -c "! pgrep -P $SRV >/dev/null"
stop

# -- Concurrent requests, the first round while the library may still be warming up: all 200
# with the same drawing as one request alone.
start "$T/conc.err" env NPROF_WEBUI_CACHE=0 "$NPROF" -http=127.0.0.1:0 -no_browser "$CPU"
codes=()
for round in 1 2 3; do
    for i in 1 2 3 4 5 6 7 8; do
        curl -s -o "$T/c$round-$i.html" -w '%{http_code}\n' "$U/ui/graph?f=main" > "$T/c$round-$i.code" &
    done
    wait $(jobs -p | grep -v "^$SRV$") 2> /dev/null
done
curl -s -o "$T/alone.html" "$U/ui/graph?f=main"
svg_of "$T/alone.html" > "$T/alone"
same=0 ok200=0
for f in "$T"/c?-?.html; do
    svg_of "$f" | cmp -s - "$T/alone" && same=$((same + 1))
    [ "$(cat "${f%.html}.code")" = 200 ] && ok200=$((ok200 + 1))
done
check "24 concurrent graph requests (8 at once, 3 rounds): $ok200 answered 200, $same drew the same SVG" \
    [ "$ok200/$same" = 24/24 ]
stop

# -- 300 graph requests in a row (plain, focused, hidden, in turn) on one server: memory stays
# bounded once it is warm.
start "$T/rss.err" env NPROF_WEBUI_CACHE=0 "$NPROF" -http=127.0.0.1:0 -no_browser "$CPU"
PID=$SRV
urls() { # urls N: curl config lines for N requests
    for i in $(seq "$1"); do
        case $((i % 3)) in
            0) q= ;; 1) q='?f=main' ;; 2) q='?h=runtime' ;;
        esac
        printf 'url = "%s/ui/graph%s"\noutput = "/dev/null"\n' "$U" "$q"
    done
}
urls 30 | curl -s -K - -w '%{http_code}\n' > "$T/warm.codes"
before=$(rss_kb "$PID")
urls 300 | curl -s -K - -w '%{http_code}\n' > "$T/run.codes"
after=$(rss_kb "$PID")
n200=$(grep -c '^200$' "$T/run.codes")
growth=$(((after - before) / 1024))
check "300 graph requests in a row: $n200 answered 200; RSS of server and worker ${before} kB -> ${after} kB (growth ${growth} MB, limit 50)" \
    [ "$n200" = 300 -a $((after - before)) -lt $((50 * 1024)) ]
stop

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

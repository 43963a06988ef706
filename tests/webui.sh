#!/bin/bash
# webui.sh NPROF -- the web UI (nprof -http): every view answers with the right status and
# type; Top shows -top's rows for every sample index, Peek and Source show -peek's and -list's
# text, and URL parameters do what the same flags do; /download gives the same profile back;
# -diff_base and several sources work; names are HTML-escaped; clients other than loopback
# get 403; Source reads nothing the profile does not name; Graph is drawn by nprof's own layout
# (by Graphviz with NPROF_GRAPH_LAYOUT=graphviz, then 501 without it) while the rest works. Then in headless Chromium (tests/browser/webui.js): every view loads,
# Top sorts by a clicked column, the click menu focuses, the sample index switches.
# Profiles: build/profiles (tests/go/make-profiles.sh) and ../shared/testdata/go/profiles when
# it is there. Browser checks need Chromium and tests/browser/node_modules
# (tools/install-deps.sh); without them they are skipped, except under CI=true.
set -u
NPROF=$(realpath "${1:-build/nprof}")
cd "$(dirname "$0")/.."
. tests/counts.sh

T=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
H() { python3 tests/webui-html.py "$@"; }

# serve NAME ARGS...: starts nprof -http=... -no_browser ARGS in the background and sets U to
# the address it prints (empty when it printed none within 30 s).
serve() {
    local name=$1
    shift
    : > "$T/$name.err"
    env ${SERVE_PATH:+PATH="$SERVE_PATH"} "$NPROF" -no_browser "$@" 2> "$T/$name.err" &
    PIDS+=($!)
    U=
    for _ in $(seq 300); do
        U=$(sed -n 's/^Serving web UI on //p' "$T/$name.err")
        [ -n "$U" ] && break
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
}
stop_last() { kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null; }
# get URL OUT: the body into OUT; prints "status content-type".
get() { curl -s -g -o "$2" -w '%{http_code} %{content_type}' "$1"; }

test_profiles 8

# -- The address line, the views, their types.
serve cpu -http=127.0.0.1:0 build/profiles/cpu.pb.gz
check "prints pprof's address line (${U:-none})" [ -n "$U" ]
CPU=$U
html='text/html; charset=utf-8'
for v in / /ui/ /ui/flamegraph /flamegraph /ui/graph /graph /ui/top /top /ui/peek '/ui/source?f=main\.fib'; do
    r=$(get "$CPU$v" "$T/page.html")
    check "GET $v: 200 $html ($r)" [ "$r" = "200 $html" ]
done
check "/ is the Flame Graph view" grep -q '<body data-view="flamegraph">' <(curl -s "$CPU/")
curl -s "$CPU/ui/graph" > "$T/g.html"
check "/ui/graph has the svg graph inline, with pprof's viewport and no file script" \
    bash -c "grep -q '<g id=\"viewport\"' '$T/g.html' && ! grep -q 'CDATA' '$T/g.html'"
# The drawing is nprof's own, of -dot's graph: every node and edge of the DOT text, once.
"$NPROF" -dot build/profiles/cpu.pb.gz 2>/dev/null > "$T/g.dot"
dot_nodes=$(grep -cE '^N[0-9_N]* \[' "$T/g.dot")
dot_edges=$(grep -c ' -> ' "$T/g.dot")
svg_nodes=$(grep -c 'class="node"' "$T/g.html")
svg_edges=$(grep -c 'class="edge"' "$T/g.html")
check "/ui/graph is drawn by nprof's own layout: -dot's $dot_nodes nodes (+ legend) and $dot_edges edges ($svg_nodes, $svg_edges)" \
    bash -c "grep -q \"Drawn by nprof's own graph layout\" '$T/g.html' && [ $svg_nodes = $((dot_nodes + 1)) ] && [ $svg_edges = $dot_edges ]"
# The flame graph's data in the page is -flamegraph's: its root is -top's total.
curl -s "$CPU/flamegraph?si=samples" > "$T/fl.html"
# flame_data PAGE [FIELD]: the flame graph's data in PAGE (JSON, keys sorted), or one field's
# first element.
flame_data() {
    python3 -c '
import json, re, sys
page = open(sys.argv[1]).read()
data = json.loads(re.search(r"<script type=\"application/json\" id=\"npflame-data\">(.*?)</script>", page, re.S).group(1))
print(data[sys.argv[2]][0] if len(sys.argv) > 2 else json.dumps(data, sort_keys=True))' "$@" 2>/dev/null
}
root=$(flame_data "$T/fl.html" total)
want=$("$NPROF" -top -sample_index=samples build/profiles/cpu.pb.gz 2>/dev/null | sed -n 's/.* of \([0-9]*\) total.*/\1/p' | head -n1)
check "the flame graph's root is -top's total for si=samples ($root, $want)" [ "${root:-none}" = "$want" ]
r=$(get "$CPU/download" "$T/dl.pb.gz")
check "GET /download: 200 application/vnd.google.protobuf+gzip ($r)" [ "$r" = "200 application/vnd.google.protobuf+gzip" ]
r=$(get "$CPU/nope" "$T/x")
check "unknown path: 404 ($r)" [ "${r%% *}" = 404 ]
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$CPU/top")
check "POST: 405 ($r)" [ "$r" = 405 ]
r=$(get "$CPU/top?si=nosuchindex" "$T/x")
check "bad sample index: 400 with the error on the page ($r)" bash -c "[ '${r%% *}' = 400 ] && grep -q 'class=\"error\"' '$T/x'"
r=$(get "$CPU/top?n=notanumber" "$T/x")
check "bad nodecount: 400 ($r)" [ "${r%% *}" = 400 ]
# Graph sends its page while the graph is laid out (no Content-Length, the close ends it), but
# only once the settings hold: a bad regexp or sample index is still a 400 page.
curl -s -D "$T/gh" -o "$T/x" "$CPU/graph?f=main"
check "Graph streams its page: 200, no Content-Length, whole page" bash -c \
  "head -n1 '$T/gh' | grep -q ' 200 ' && ! grep -qi '^Content-Length' '$T/gh' && grep -q '<g id=\"viewport\"' '$T/x' && grep -q '</html>' '$T/x'"
# Made pages are kept: the same settings again (in another order) are served from the cache,
# byte for byte; other settings are made anew.
curl -s -D "$T/c1" -o "$T/c1.html" "$CPU/top?f=main&si=cpu"
curl -s -D "$T/c2" -o "$T/c2.html" "$CPU/top?si=cpu&f=main"
curl -s -D "$T/c3" -o "$T/c3.html" "$CPU/top?si=cpu&f=runtime"
check "the same settings again: served from the cache, the same page" bash -c \
  "grep -qi '^X-Nprof-Cache: miss' '$T/c1' && grep -qi '^X-Nprof-Cache: hit' '$T/c2' && cmp -s '$T/c1.html' '$T/c2.html' && grep -qi '^X-Nprof-Cache: miss' '$T/c3' && ! cmp -s '$T/c1.html' '$T/c3.html'"
r=$(get "$CPU/graph?f=main(" "$T/x")
check "Graph with a bad focus regexp: 400 with the error on the page ($r)" bash -c "[ '${r%% *}' = 400 ] && grep -q 'class=\"error\"' '$T/x'"
r=$(get "$CPU/graph?si=nosuchindex" "$T/x")
check "Graph with a bad sample index: 400 ($r)" [ "${r%% *}" = 400 ]

# -- Download round-trips: the downloaded profile gives the same -top.
"$NPROF" -top build/profiles/cpu.pb.gz > "$T/a.txt" 2>&1
"$NPROF" -top "$T/dl.pb.gz" > "$T/b.txt" 2>&1
check "/download gives the same -top as the profile served" diff <(grep -v '^File:' "$T/a.txt") <(grep -v '^File:' "$T/b.txt")

# -- URL parameters do what the same flags do.
curl -s "$CPU/graph" > "$T/graph-before.html"
urlcase() { # urlcase URLQUERY FLAGS...: Top with the query equals -top with the flags
    local q=$1
    shift
    curl -s -g "$CPU/top?$q" > "$T/u.html"
    "$NPROF" -top "$@" build/profiles/cpu.pb.gz > "$T/u.txt" 2> /dev/null
    local rows
    rows=$(H toprows "$T/u.html" | wc -l)
    check "Top?$q equals -top $* ($rows rows)" \
        bash -c "[ $rows -gt 0 ] && diff <(python3 tests/webui-html.py toptext '$T/u.txt') <(python3 tests/webui-html.py toprows '$T/u.html')"
}
urlcase 'f=main\.fib' -focus='main\.fib'
urlcase 'i=regexp&h=runtime' -ignore=regexp -hide=runtime
urlcase 's=main' -show=main
urlcase 'g=lines&n=7' -granularity=lines -nodecount=7
urlcase 'sort=cum' -cum
urlcase 'sf=main\.&unit=ms' -show_from='main\.' -unit=ms
urlcase 'noinlines=true&nf=0.05' -noinlines -nodefraction=0.05
# Each request works on its own copy of the loaded profile: after the filtered pages above,
# the unfiltered ones are whole again, the graph byte for byte as before them.
urlcase 'n=20' -nodecount=20
curl -s "$CPU/graph?f=main&h=runtime" > /dev/null
check "the graph after filtered requests is the graph before them" cmp -s "$T/graph-before.html" <(curl -s "$CPU/graph")
curl -s -g "$CPU/peek?f=main\.fib" > "$T/p.html"
"$NPROF" -peek 'main\.fib' -focus='main\.fib' build/profiles/cpu.pb.gz > "$T/p.txt" 2> /dev/null
check "Peek?f=main\\.fib shows -peek's text" diff "$T/p.txt" <(H pre "$T/p.html" peek)
curl -s -g "$CPU/source?f=main\.fib" > "$T/s.html"
"$NPROF" -list 'main\.fib' -focus='main\.fib' build/profiles/cpu.pb.gz > "$T/s.txt" 2> /dev/null
check "Source?f=main\\.fib shows -list's text, with source lines" \
    bash -c "diff '$T/s.txt' <(python3 tests/webui-html.py pre '$T/s.html' list) && grep -q 'func fib' '$T/s.txt'"
check "the form keeps other parameters as hidden fields" grep -q '<input type="hidden" name="g" value="lines">' <(curl -s "$CPU/top?g=lines&f=x")
check "the form shows the focus it was given" grep -q 'id="field-f" value="main\\.fib"' "$T/p.html"

# -- Source reads only files that the profile names.
for q in 'f=/etc/passwd' 'f=../../../../etc/passwd' 'f=%2e%2e%2f%2e%2e%2fetc%2fpasswd'; do
    curl -s -g "$CPU/source?$q" > "$T/x"
    check "Source?$q shows no file" bash -c "! grep -q 'root:' '$T/x'"
done
for path in '/ui/../../etc/passwd' '/ui/%2e%2e/%2e%2e/etc/passwd' '/..%2f..%2fetc%2fpasswd' '/source/../../../etc/passwd'; do
    r=$(curl -s --path-as-is -o "$T/x" -w '%{http_code}' "$CPU$path")
    check "GET $path: nothing read ($r)" bash -c "! grep -q 'root:' '$T/x' && [ '$r' != 200 ] || ! grep -q 'root:' '$T/x'"
done
stop_last

# -- Every profile: Top for every sample index equals -top's.
for f in "${profiles[@]}"; do
    serve one -http=localhost:0 "$f"
    if [ -z "$U" ]; then bad "$f: server did not start: $(head -2 "$T/one.err")"; continue; fi
    types=$("$NPROF" -raw "$f" 2>/dev/null | sed -n 's/^PeriodType.*//;/^Samples:/{n;p;q}' | tr -s ' ' '\n' | sed -n 's|/.*||p')
    n=0 same=0
    for si in $types; do
        n=$((n + 1))
        curl -s "$U/top?si=$si" > "$T/t.html"
        "$NPROF" -top -sample_index="$si" "$f" > "$T/t.txt" 2>/dev/null
        diff -q <(H toptext "$T/t.txt") <(H toprows "$T/t.html") > /dev/null && same=$((same + 1))
    done
    check "$(basename "$f"): Top equals -top for each of $n sample indexes ($same)" [ "$n" -gt 0 -a "$same" = "$n" ]
    stop_last
done

# -- -diff_base and several sources.
serve diff -http=127.0.0.1:0 -diff_base build/profiles/leak-a.pb.gz build/profiles/leak-b.pb.gz
curl -s "$U/top" > "$T/d.html"
"$NPROF" -top -diff_base build/profiles/leak-a.pb.gz build/profiles/leak-b.pb.gz > "$T/d.txt" 2>/dev/null
check "-diff_base: Top equals -top -diff_base ($(H toprows "$T/d.html" | wc -l) rows)" diff <(H toptext "$T/d.txt") <(H toprows "$T/d.html")
curl -s "$U/peek?f=." > "$T/d.html"
"$NPROF" -peek . -focus=. -diff_base build/profiles/leak-a.pb.gz build/profiles/leak-b.pb.gz > "$T/d.txt" 2>/dev/null
check "-diff_base: Peek equals -peek -diff_base" diff "$T/d.txt" <(H pre "$T/d.html" peek)
curl -s "$U/flamegraph" > "$T/d.html"
"$NPROF" -flamegraph -diff_base build/profiles/leak-a.pb.gz build/profiles/leak-b.pb.gz > "$T/d.txt" 2>/dev/null
flame_data "$T/d.html" > "$T/d.served.json"
flame_data "$T/d.txt" > "$T/d.file.json"
check "-diff_base: the Flame Graph's data is -flamegraph -diff_base's, a diff ($(grep -o '"diff": [a-z]*' "$T/d.served.json"))" \
    bash -c "[ -s '$T/d.served.json' ] && cmp -s '$T/d.served.json' '$T/d.file.json' && grep -q '\"diff\": true' '$T/d.served.json'"
stop_last
serve two -http=127.0.0.1:0 build/profiles/leak-a.pb.gz build/profiles/leak-b.pb.gz
curl -s "$U/top?si=alloc_space" > "$T/m.html"
"$NPROF" -top -sample_index=alloc_space build/profiles/leak-a.pb.gz build/profiles/leak-b.pb.gz > "$T/m.txt" 2>/dev/null
check "two sources merge as on the command line" diff <(H toptext "$T/m.txt") <(H toprows "$T/m.html")
stop_last

# -- Names are escaped everywhere.
python3 tests/pictures-profile.py "$T/names"
serve names -http=127.0.0.1:0 -source_path="$T/names/src" "$T/names/names.pb.gz"
raw=0
for v in graph top peek 'source?f=.'; do
    curl -s "$U/$v" > "$T/n.html"
    grep -qF -e 'Box<int' -e '"<b>"' -e '<script>"' -e "'quote' <" "$T/n.html" && raw=$((raw + 1))
done
check "no view lets a name's <&\"' through unescaped" [ "$raw" = 0 ]
curl -s "$U/top" > "$T/n.html"
"$NPROF" -top "$T/names/names.pb.gz" > "$T/n.txt" 2>/dev/null
check "escaped names read back as -top's names" diff <(H toptext "$T/n.txt" | sed 's/^\([^ ]* \)\{5\}//') <(H names "$T/n.html")
stop_last

# -- Only loopback clients, unless the address names another interface.
ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v : | grep -v '^127\.' | head -1)
if [ -n "$ip" ]; then
    serve any -http=0.0.0.0:0 build/profiles/cpu.pb.gz
    port=${U##*:}
    r=$(curl -s -o /dev/null -w '%{http_code}' "http://$ip:$port/top")
    check "-http=0.0.0.0: a client from $ip gets 403 ($r)" [ "$r" = 403 ]
    r=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/top")
    check "-http=0.0.0.0: a loopback client gets 200 ($r)" [ "$r" = 200 ]
    stop_last
    serve named -http="$ip:0" build/profiles/cpu.pb.gz
    r=$(curl -s -o /dev/null -w '%{http_code}' "$U/top")
    check "-http=$ip (named): its clients get 200 ($r)" [ "$r" = 200 ]
    stop_last
else
    echo "skip non-loopback checks: no non-loopback address"
fi
serve bad -http=nohostport build/profiles/cpu.pb.gz
check "a bad address is one line and a failure" bash -c "[ -z '$U' ] && grep -q '^nprof: could not split http address' '$T/bad.err' && [ \$(wc -l < '$T/bad.err') = 1 ]"

# -- Graph without Graphviz: drawn by nprof's own layout, unless Graphviz's is asked for, which
# answers 501; the other views work, / shows the flame graph.
mkdir -p "$T/bin"
SERVE_PATH=$T/bin serve nodot -http=127.0.0.1:0 build/profiles/cpu.pb.gz
r=$(get "$U/graph" "$T/x")
check "no dot: Graph is still drawn, by nprof's own layout ($r)" \
    bash -c "[ '${r%% *}' = 200 ] && grep -q \"Drawn by nprof's own graph layout\" '$T/x' && grep -q 'class=\"node\"' '$T/x'"
stop_last
SERVE_PATH=$T/bin NPROF_GRAPH_LAYOUT=graphviz serve nodot -http=127.0.0.1:0 build/profiles/cpu.pb.gz
r=$(get "$U/graph" "$T/x")
check "no dot, NPROF_GRAPH_LAYOUT=graphviz: Graph answers 501 ($r) with a clear message" bash -c "[ '${r%% *}' = 501 ] && grep -q 'install graphviz' '$T/x'"
r=$(get "$U/top" "$T/x")
check "no dot: Top still 200 ($r)" [ "${r%% *}" = 200 ]
check "no dot: / shows the flame graph" grep -q '<body data-view="flamegraph">' <(curl -s "$U/")
stop_last

# -- In headless Chromium.
if have_browser; then
    serve browser -http=127.0.0.1:0 build/profiles/cpu.pb.gz
    node tests/browser/webui.js "$U" "${WEBUI_SHOTS:-$T}" > "$T/browser.out" 2>&1
    count_browser "$T/browser.out"
    stop_last
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/bash
# leftovers.sh [NPROF] -- the flame views' finishing points on real profiles (build/profiles,
# made by tests/go/make-profiles.sh) and a large generated one (bench/gen):
#   - -tui says when the box cap cut the tree, in the HTML page's words;
#   - -divide_by divides what every flame view shows as -top's figures are divided: the
#     root of -flamegraph, -icicle, -tui and the web UI's flame view is -top's total for every
#     profile and sample index, and -folded's lines are the undivided ones divided;
#   - the shell's flamegraph opens the page of the shell's settings in $BROWSER, writes it with
#     >f, and without a browser prints the path of the page it wrote;
#   - the web UI's Top table keeps -top's text, carries each function's exact values, and in
#     headless Chromium (tests/browser/toptable.js) sorts by them where -top prints them alike.
#
# Prints "ok   ..." / "FAIL ..." per check and ends with "N passed, M failed"; exit status 0
# iff nothing failed.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
np=${1:-$repo/build/nprof}
case $np in /*) ;; *) np=$PWD/$np ;; esac
own=${PROFILES:-$repo/build/profiles}
shared=${TESTDATA:-$repo/../shared/testdata/go}/profiles
tmp=$(mktemp -d "${TMPDIR:-/tmp}/leftovers.XXXXXX") || exit 2
sock=leftovers-$$ # one tmux server per screen, named by its subshell
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
export TZ=UTC LC_ALL=C
. "$repo/tests/counts.sh" # ok, bad and the counts
# check WHAT GOT WANT: ok when the two are the same.
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }
heap=$own/heap.pb.gz
[ -x "$np" ] && [ -f "$heap" ] || { bad "leftovers needs $np and $heap (tests/go/make-profiles.sh)"; echo "$pass passed, $fail failed"; exit 1; }
. "$repo/tests/flame-lib.sh"

# The data embedded in a flame graph page, as JSON on standard output.
page_data() {
    python3 -c '
import re, sys
m = re.search(r"<script type=\"application/json\" id=\"npflame-data\">(.*?)</script>", sys.stdin.read(), re.S)
print(m.group(1) if m else "{}")'
}
# One field of the JSON on standard input (a Python expression on d).
json_get() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# A profile of 20,000 generated stacks: its flame tree has more boxes than any cap.
gen=$repo/build/bench-gen
if [ ! -x "$gen" ] && command -v go >/dev/null; then
    (cd "$repo" && GO111MODULE=off GOPATH="$repo/build/go" GOCACHE="$repo/build/go/cache" GOFLAGS= \
        go build -o build/bench-gen bench/gen/main.go) >/dev/null 2>&1
fi
big=
if [ -x "$gen" ] && "$gen" -stacks 20000 -out "$tmp/big.pb.gz" >/dev/null 2>&1; then
    big=$tmp/big.pb.gz
fi

# tui_screen ARGS...: -tui's first screen (140x20) on ARGS, in a tmux of its own; empty if it
# never came.
tui_screen() {
    local i out= so=$sock-$BASHPID # each call runs in a subshell of its own
    tmux -L "$so" new-session -d -x 140 -y 20 "'$np' -tui $*; sleep 30" 2>/dev/null
    for i in $(seq 1 60); do
        out=$(tmux -L "$so" capture-pane -p 2>/dev/null)
        case $out in *"q quit"*) break ;; esac
        out=
        sleep 0.5
    done
    tmux -L "$so" kill-server 2>/dev/null
    printf '%s\n' "$out"
}
# tui_note PROFILE: the line above the status bar, or "no screen".
tui_note() {
    local screen
    screen=$(tui_screen "'$1'")
    if [ -n "$screen" ]; then echo "$screen" | sed -n 18p; else echo "no screen"; fi
}

# ---- -tui: the cut mark ----
if command -v tmux >/dev/null && [ -n "$big" ]; then
    full=$("$np" -flamegraph "$big" 2>/dev/null | page_data | json_get 'd["fullBoxes"]')
    note=$(tui_note "$big")
    case $note in
    *" of $full boxes (frames under "*" merged into [N frames] boxes)"*)
        ok "tui: a cut tree says so: $note" ;;
    *) bad "tui: no cut mark for a tree of $full boxes: '$note'" ;;
    esac
    kept=${note%% of *}
    [ "${kept:-0}" -gt 0 ] 2>/dev/null && [ "$kept" -le 200000 ] && [ "$kept" -lt "$full" ] &&
        ok "tui: $kept boxes kept, within the cap" || bad "tui: kept '$kept' of $full"
    note=$(tui_note "$heap")
    [ "$note" != "no screen" ] && ! echo "$note" | grep -q boxes && ok "tui: an uncut tree has no mark" ||
        bad "tui: an uncut tree: '$note'"
else
    echo "SKIP -tui cut mark: no tmux or no generated profile"
fi

start_ui() { # ARGS...: starts nprof -http on them; sets url (empty if it did not start) and server
    : >"$tmp/http.err"
    "$np" -http=127.0.0.1:0 -no_browser "$@" 2>"$tmp/http.err" &
    server=$!
    url=
    for _ in $(seq 300); do
        url=$(sed -n 's/^Serving web UI on //p' "$tmp/http.err")
        [ -n "$url" ] && break
        kill -0 $server 2>/dev/null || break
        sleep 0.1
    done
}
stop_ui() { kill $server 2>/dev/null; wait $server 2>/dev/null; server=; }

# ---- -divide_by in the flame views ----
div=7
divided_root() { # file name index type unit
    local want
    want=$(top_total "$1" "$3" "$5" -divide_by=$div)
    check "-flamegraph -divide_by=$div root = -top's total: $2 $4" \
        "$("$np" -flamegraph -divide_by=$div -sample_index="$3" "$1" 2>/dev/null | page_data | json_get 'd["total"][0]')" "$want"
    check "-icicle -divide_by=$div root = -top's total: $2 $4" \
        "$("$np" -icicle -width=200 -divide_by=$div -sample_index="$3" -unit="$5" "$1" 2>/dev/null | head -1 |
            sed -n 's/.* of \([0-9.]*\)[a-zA-Z]* .*/\1/p')" "$want"
}
each_index divided_root
check "-flamegraph root without -divide_by is -top's total" \
    "$("$np" -flamegraph "$heap" 2>/dev/null | page_data | json_get 'd["total"][0]')" "$(top_total "$heap" 3 bytes)"
check "-flamegraph -divide_by=$div: report total divided too" \
    "$("$np" -flamegraph -divide_by=$div "$heap" 2>/dev/null | page_data | json_get 'd["reportTotal"]')" \
    "$(top_total "$heap" 3 bytes -divide_by=$div)"
for spec in "heap.pb.gz alloc_space" "cpu.pb.gz cpu"; do
    set -- $spec
    want=$("$np" -folded -sample_index="$2" "$own/$1" 2>/dev/null | awk -v d=$div '{ $NF = int($NF / d); print }')
    got=$("$np" -folded -divide_by=$div -sample_index="$2" "$own/$1" 2>/dev/null)
    [ -n "$got" ] && [ "$got" = "$want" ] && ok "-folded -divide_by=$div: each line divided: $1 $2" ||
        bad "-folded -divide_by=$div differs from the lines divided: $1 $2"
done
want=$("$np" -folded -diff_base="$own/leak-a.pb.gz" "$own/leak-b.pb.gz" 2>/dev/null |
    awk -v d=$div '{ $NF = int($NF / d); $(NF - 1) = int($(NF - 1) / d); print }')
got=$("$np" -folded -divide_by=$div -diff_base="$own/leak-a.pb.gz" "$own/leak-b.pb.gz" 2>/dev/null)
[ -n "$got" ] && [ "$got" = "$want" ] && ok "-folded -diff_base -divide_by=$div: both columns divided" ||
    bad "-folded -diff_base -divide_by=$div: columns not divided"
if command -v tmux >/dev/null; then
    got=$(tui_screen -divide_by=$div -unit=bytes "'$heap'" | sed -n 's/^root  total \([0-9.]*\)[a-zA-Z]* .*/\1/p')
    check "-tui -divide_by=$div: the root's total is -top's" "$got" "$(top_total "$heap" 3 bytes -divide_by=$div)"
fi
# The web UI's flame view, served with -divide_by, and its sample index from the URL.
start_ui -divide_by=$div "$heap"
if [ -n "$url" ]; then
    for si in alloc_space inuse_objects; do
        u=bytes
        [ $si = inuse_objects ] && u=count
        got=$(curl -s "$url/flamegraph?si=$si" | page_data | json_get 'd["total"][0]')
        check "web UI flame view -divide_by=$div si=$si: root = -top's total" "$got" \
            "$(top_total "$heap" $si $u -divide_by=$div)"
    done
else
    bad "web UI did not start: $(head -2 "$tmp/http.err")"
fi
stop_ui

# ---- the shell's flamegraph command ----
kept_bytes() { # the value -top keeps with these flags, in bytes
    "$np" -top -nodecount=0 -nodefraction=0 -unit=bytes "$@" 2>/dev/null | sed -n 's/.*accounting for \([0-9]*\)B, .*/\1/p'
}
mkdir -p "$tmp/sh"
printf '#!/bin/sh\ncp "$1" "%s/opened.html"\n' "$tmp/sh" >"$tmp/sh/browser"
chmod +x "$tmp/sh/browser"
(cd "$tmp/sh" && printf 'sample_index=alloc_space\nflamegraph main.buildIndex\nflamegraph -main.buildIndex > f.html\nhelp flamegraph\n' |
    env -u DISPLAY -u WAYLAND_DISPLAY BROWSER="$tmp/sh/browser" "$np" "$heap" >"$tmp/sh/out" 2>"$tmp/sh/err")
for _ in $(seq 1 50); do
    [ -s "$tmp/sh/opened.html" ] && grep -q '</html>' "$tmp/sh/opened.html" && break
    sleep 0.1
done
check "shell flamegraph: \$BROWSER gets the page of the shell's sample index and focus" \
    "$(page_data <"$tmp/sh/opened.html" 2>/dev/null | json_get 'd["sampleType"] + " " + str(d["total"][0])')" \
    "alloc_space $(kept_bytes -sample_index=alloc_space -focus=main.buildIndex "$heap")"
"$np" -flamegraph -sample_index=alloc_space -ignore=main.buildIndex "$heap" >"$tmp/sh/want.html" 2>/dev/null
cmp -s "$tmp/sh/want.html" "$tmp/sh/f.html" && ok "shell flamegraph -REGEX > f = -flamegraph -ignore=REGEX" ||
    bad "shell flamegraph > f.html differs from -flamegraph -ignore (or is missing)"
grep -q '^    flamegraph \[n\] \[focus_regex\]\* \[-ignore_regex\]\* >f$' "$tmp/sh/err" &&
    ok "help flamegraph gives its usage" || bad "help flamegraph: $(grep -A2 -i flame "$tmp/sh/err" | head -3)"
(cd "$tmp/sh" && printf 'flamegraph\n' |
    env -u DISPLAY -u WAYLAND_DISPLAY -u BROWSER TMPDIR="$tmp/sh" "$np" "$heap" >"$tmp/sh/out2" 2>/dev/null)
path=$(sed -n 's/.*No browser found (set $BROWSER to open one); wrote \(.*\)$/\1/p' "$tmp/sh/out2")
[ -n "$path" ] && [ -f "$path" ] && ok "shell flamegraph without a browser prints the page's path" ||
    bad "shell flamegraph without a browser: $(head -c 300 "$tmp/sh/out2")"
check "shell flamegraph without a browser: the page holds -top's total" \
    "$(page_data <"${path:-/dev/null}" | json_get 'd["total"][0]')" "$(top_total "$heap" 3 bytes)"

# ---- the web UI's Top table: exact values ----
# The table's data-v of column COL by name, "name value" lines, from the page on stdin.
cell_values() {
    python3 -c '
import html, re, sys
col = int(sys.argv[1])
for row in re.findall(r"<tr><td.*?</tr>", sys.stdin.read()):
    v = re.findall(r"<td data-v=\"([^\"]*)\"", row)
    name = re.search(r"data-name=\"([^\"]*)\"", row).group(1)
    print(html.unescape(name), v[col])' "$1" | sort
}
ties=$tmp/ties.pb.gz
exact=$(python3 "$repo/tests/top-ties-profile.py" "$ties")
start_ui "$ties"
if [ -n "$url" ]; then
    curl -s "$url/top" >"$tmp/top.html"
    "$np" -top "$ties" >"$tmp/top.txt" 2>/dev/null
    cmp -s <(python3 "$repo/tests/webui-html.py" toptext "$tmp/top.txt") <(python3 "$repo/tests/webui-html.py" toprows "$tmp/top.html") &&
        [ -s "$tmp/top.txt" ] && ok "Top's cells read as -top's text (ties profile)" || bad "Top's cells differ from -top's text"
    for spec in "0 flat" "3 cum"; do
        set -- $spec
        want=$(echo "$exact" | python3 -c "import json, sys; [print(k, v['$2']) for k, v in json.load(sys.stdin).items()]" | sort)
        check "Top's $2 cells carry the exact values" "$(cell_values "$1" <"$tmp/top.html")" "$want"
    done
    if [ -x /usr/lib/chromium/chromium ] && [ -d "$repo/tests/browser/node_modules/playwright-core" ]; then
        node "$repo/tests/browser/toptable.js" "$url" "$exact" >"$tmp/browser.out" 2>&1
        cat "$tmp/browser.out"
        pass=$((pass + $(grep -c '^ok ' "$tmp/browser.out")))
        fail=$((fail + $(grep -c '^FAIL ' "$tmp/browser.out")))
        grep -qE '^(ok|FAIL) ' "$tmp/browser.out" || bad "Chromium checks printed nothing: $(head -3 "$tmp/browser.out")"
    elif [ "${CI:-}" = true ]; then
        bad "Chromium or tests/browser/node_modules missing (tools/install-deps.sh installs them)"
    else
        echo "SKIP Chromium checks of Top: no Chromium or tests/browser/node_modules"
    fi
else
    bad "web UI did not start on the ties profile: $(head -2 "$tmp/http.err")"
fi
stop_ui
# A real profile: each Flat cell holds the value -top -unit=bytes prints.
start_ui -sample_index=alloc_space "$heap"
if [ -n "$url" ]; then
    want=$("$np" -top -unit=bytes -sample_index=alloc_space "$heap" 2>/dev/null | sed -E '1,/cum%$/d; s/^ *(-?[0-9]+)B? +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+  (.*)$/\2 \1/' | sort)
    got=$(curl -s "$url/top" | cell_values 0)
    [ -n "$want" ] && [ "$got" = "$want" ] && ok "Top's flat cells = -top -unit=bytes's values: heap alloc_space" ||
        bad "Top's flat cells differ from -top -unit=bytes: $(diff <(echo "$want") <(echo "$got") | head -3)"
fi
stop_ui

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

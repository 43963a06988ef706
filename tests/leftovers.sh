#!/bin/bash
# leftovers.sh [NPROF] -- the flame views' finishing points on real profiles (build/profiles,
# made by tests/go/make-profiles.sh) and a large generated one (bench/gen):
#   - -tui says when the box cap cut the tree, in the HTML page's words;
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
sock=leftovers-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
export TZ=UTC LC_ALL=C
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }

if [ ! -x "$np" ] || [ ! -f "$own/heap.pb.gz" ]; then
    echo "leftovers: needs $np and $own (tests/go/make-profiles.sh)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
heap=$own/heap.pb.gz

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

# ---- -tui: the cut mark ----
if command -v tmux >/dev/null && [ -n "$big" ]; then
    pane() { tmux -L "$sock" capture-pane -p; }
    tui_note() { # profile: the line above the status bar of -tui's first screen
        tmux -L "$sock" new-session -d -x 140 -y 20 "'$np' -tui '$1'; sleep 30"
        local i
        for i in $(seq 1 60); do
            pane | grep -q 'q quit' && break
            sleep 0.5
        done
        pane | sed -n 18p
        tmux -L "$sock" kill-server 2>/dev/null
    }
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
    check "tui: an uncut tree has no mark" "$(echo "$note" | grep -c 'boxes')" 0
else
    echo "SKIP -tui cut mark: no tmux or no generated profile"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

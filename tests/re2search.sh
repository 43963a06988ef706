#!/bin/bash
# re2search.sh [NPROF] -- the flame graph page's search reads RE2, as -focus does: for regexps
# that RegExp reads otherwise or not at all ((?i), \Q...\E, POSIX classes, flag groups, file and
# mapping names), "Matched: N%" in headless Chromium is the share -focus keeps (the root of
# -flamegraph -focus=RE over the unfocused root), and -focus itself agrees with go tool pprof
# where it is installed; a backreference or a lookahead gives the page -focus's own error.
# Profiles: build/profiles (tests/go/make-profiles.sh) and ../shared/testdata/go/profiles when
# it is there. Prints "ok   ..." / "FAIL ..." per check and ends with "N passed, M failed".
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
np=${1:-$repo/build/nprof}
case $np in /*) ;; *) np=$PWD/$np ;; esac
cd "$repo" || exit 2
own=${PROFILES:-build/profiles}
shared=${TESTDATA:-../shared/testdata/go}/profiles
tmp=$(mktemp -d "${TMPDIR:-/tmp}/re2search.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
export TZ=UTC LC_ALL=C
. tests/counts.sh # ok, bad, have_browser, count_browser

[ -x "$np" ] && [ -f "$own/cpu.pb.gz" ] || { bad "re2search needs $np and $own (tests/go/make-profiles.sh)"; echo "$pass passed, $fail failed"; exit 1; }

root() { # page: the root's total in its data
    python3 -c 'import json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
print(json.loads(re.search(r"id=\"npflame-data\">(.*?)</script>", h, re.S).group(1))["total"][0])' "$1" 2>/dev/null
}
pprof=
command -v go >/dev/null && go tool pprof -h >/dev/null 2>&1 && pprof=yes
header() { # tool profile re: -top -focus's first lines that depend on the regexp
    "$@" 2>&1 | grep -E 'Showing nodes|regexp|matched no' | head -2
}

# The regexps: each differs between RE2 and RegExp, or matches on what only -focus sees.
cpu_res=('(?i)MAIN\.FIB' '\Qmain.\E' '(?i:SORT)\.' '\.[[:upper:]][[:lower:]]+$' 'main\.fib|sha256'
    'sort\.go$' '(?P<pkg>runtime)\.mallocgc' '(?s)main\.(?i)HASH' '\155ain\.isVowel\z')
heap_res=('(?i)NEWBUFFER' '\Qmain.\E' '[[:upper:]]' 'main\.go$|bytes\.' 'alloc[^[:alpha:]]')
bad_res=('(main)\1' 'main(?=\.fib)')

cases=$tmp/cases.json
echo '[' >"$cases"
sep=
add_case() { # page re want
    printf '%s{"page": %s, "re": %s, "want": %s}\n' "$sep" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1")" \
        "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$2")" \
        "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$3")" >>"$cases"
    sep=,
}
profile_cases() { # label profile re...
    local label=$1 prof=$2 page=$tmp/$1.html re
    shift 2
    "$np" -flamegraph "$prof" >"$page" 2>/dev/null || { bad "$label: -flamegraph fails"; return; }
    local all
    all=$(root "$page")
    for re in "$@"; do
        "$np" -flamegraph -focus="$re" "$prof" >"$tmp/f.html" 2>/dev/null
        local kept
        kept=$(root "$tmp/f.html")
        [ -n "$kept" ] || kept=0
        add_case "$page" "$re" "Matched: $(python3 -c "print('%.1f%%' % (100.0 * $kept / $all if $all else 0))")"
        if [ -n "$pprof" ]; then
            local a b
            a=$(header "$np" -top -nodefraction=0 -focus="$re" "$prof")
            b=$(header go tool pprof -top -nodefraction=0 -focus="$re" "$prof")
            [ "$a" = "$b" ] && ok "$label: -focus=$re keeps what go tool pprof's keeps (${a%%$'\n'*})" ||
                bad "$label: -focus=$re: nprof '$a', go tool pprof '$b'"
        fi
    done
    for re in "${bad_res[@]}"; do
        local msg
        msg=$("$np" -top -focus="$re" "$prof" 2>&1 >/dev/null)
        case $msg in
        *"parsing focus regexp: error parsing regexp: "*) add_case "$page" "$re" "${msg#*parsing focus regexp: }" ;;
        *) bad "$label: -focus=$re is not an error ($msg)" ;;
        esac
    done
}
profile_cases cpu "$own/cpu.pb.gz" "${cpu_res[@]}"
profile_cases heap "$own/heap.pb.gz" "${heap_res[@]}"
if [ -d "$shared" ]; then
    profile_cases shared-cpu "$shared/cpuwork/cpu.pb.gz" "${cpu_res[@]}"
    profile_cases shared-heap "$shared/leaky/heap.pb.gz" "${heap_res[@]}"
else
    echo "skip ../shared profiles: $shared is not there"
fi
echo ']' >>"$cases"

if have_browser; then
    node tests/browser/re2search.js "$cases" >"$tmp/browser.out" 2>&1
    count_browser "$tmp/browser.out"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

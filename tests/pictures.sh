#!/bin/bash
# pictures.sh NPROF -- the graph pictures: -svg is valid SVG with pprof's viewport and our
# pan/zoom script (the graph itself as go tool pprof draws it), renders in headless Chromium
# and pans and zooms there; -web and -weblist open the right file in $BROWSER or print its
# path; -weblist escapes names and source and shows go tool pprof -weblist's rows; a missing
# Graphviz is one line. Profiles: build/profiles (tests/go/make-profiles.sh) and ../shared/testdata/go/profiles
# when it is there. Browser checks need Chromium and tests/browser/node_modules
# (tools/install-deps.sh); without them they are skipped, except under CI=true.
set -u
NPROF=$(realpath "${1:-build/nprof}")
cd "$(dirname "$0")/.."
REPO=$PWD
. tests/counts.sh

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"

test_profiles 12

# An SVG file parses as XML; the root fills the window; the viewport group holds graph0 and
# follows the script.
svg_ok() {
    python3 - "$1" <<'PY'
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
root = d.documentElement
assert root.tagName == 'svg' and root.getAttribute('width') == '100%' and not root.getAttribute('viewBox')
scripts = root.getElementsByTagName('script')
assert len(scripts) == 1 and 'viewport' in scripts[0].firstChild.data
vp = [g for g in root.getElementsByTagName('g') if g.getAttribute('id') == 'viewport']
assert len(vp) == 1 and vp[0].parentNode is root
assert vp[0].getElementsByTagName('g')[0].getAttribute('id') == 'graph0'
PY
}

# The graph as Graphviz drew it: from '<g id="graph0"' to the end, less our closing group.
graph_part() {
    python3 -c 'import sys; s=open(sys.argv[1]).read(); i=s.index("<g id=\"graph0\""); print(s[i:].replace("</g>\n</svg>", "</svg>") if sys.argv[2]=="ours" else s[i:])' "$1" "$2"
}

n=0
svgs=()
for f in "${profiles[@]}"; do
    n=$((n + 1))
    out=$T/svg$n.svg
    if ! "$NPROF" -svg "$f" > "$out" 2> "$T/err"; then
        bad "-svg $f: $(head -1 "$T/err")"
        continue
    fi
    check "-svg is valid SVG with the viewport and the script: $f" svg_ok "$out"
    svgs+=("$out")
done

# The same graph as go tool pprof's -svg, where go is there (both run the same dot).
if command -v go > /dev/null; then
    for f in build/profiles/heap.pb.gz build/profiles/cpu.pb.gz; do
        [ -f "$f" ] || continue
        "$NPROF" -svg "$f" > "$T/ours.svg" 2> /dev/null
        go tool pprof -svg "$f" > "$T/theirs.svg" 2> /dev/null
        if [ -s "$T/theirs.svg" ] && cmp -s <(graph_part "$T/ours.svg" ours) <(graph_part "$T/theirs.svg" theirs); then
            ok "-svg draws the graph go tool pprof -svg draws: $f"
        else
            bad "-svg draws the graph go tool pprof -svg draws: $f"
        fi
    done
fi

# Pan and zoom in a real browser.
if have_browser; then
    node tests/browser/svgpan.js "$T/shot.png" "${svgs[@]}" > "$T/browser.out" 2>&1
    count_browser "$T/browser.out"
    check "the screenshot is a PNG" test "$(head -c 4 "$T/shot.png" 2> /dev/null | tail -c 3)" = PNG
fi

# -web: $BROWSER gets the file (its arguments split on spaces), which is the -svg page.
heap=build/profiles/heap.pb.gz
cat > "$T/rec" <<'SH'
#!/bin/sh
# A browser that records how it was called.
printf '%s\n' "$@" > "$RECORD"
SH
chmod +x "$T/rec"
export RECORD=$T/called
"$NPROF" -svg "$heap" > "$T/heap.svg" 2> /dev/null
rm -f "$RECORD"
out=$(BROWSER="$T/rec --new-window" "$NPROF" -web "$heap" 2>&1)
opened=$(sed -n 2p "$RECORD" 2> /dev/null)
check "-web runs \$BROWSER with its own argument and the file" test "$(sed -n 1p "$RECORD" 2> /dev/null)" = --new-window
check "-web opens the -svg page of the profile ($opened)" cmp -s "$opened" "$T/heap.svg"
check "-web prints nothing when a browser opened the page" test -z "$out"
rm -f "$RECORD"
out=$(env -u DISPLAY -u WAYLAND_DISPLAY BROWSER= "$NPROF" -web "$heap" 2> "$T/err")
rc=$?
path=${out##* wrote }
check "-web without a browser prints the file's path in one line ($out)" test $rc = 0 -a "$(printf '%s\n' "$out" | wc -l)" = 1 -a -s "$path"
check "... and that file is the -svg page" cmp -s "$path" "$T/heap.svg"
check "-web with a failing browser fails" bash -c "! BROWSER=false '$NPROF' -web '$heap' > /dev/null 2>&1"

# The shell's web and weblist commands. The shell leaves its browser running in the background,
# so the record may come after the shell is gone.
recorded() {
    for _ in $(seq 100); do
        [ -s "$RECORD" ] && return 0
        sleep 0.1
    done
}
rm -f "$RECORD"
printf 'web\n' | BROWSER=$T/rec "$NPROF" "$heap" > /dev/null 2>&1
recorded
check "shell: web opens the -svg page" cmp -s "$(sed -n 1p "$RECORD" 2> /dev/null)" "$T/heap.svg"

# -weblist: escaped names and source, -list's values, valid HTML.
python3 tests/pictures-profile.py "$T/names"
names=$T/names/names.pb.gz
weblist_ok() { # PAGE ARGS...: valid HTML (its own script only) whose functions, lines and
    # instructions with their values are go tool pprof's for ARGS (tests/weblist-parse.py)
    local page=$1
    shift
    python3 tests/weblist-parse.py "$page" > "$T/wl.np" || return 1
    go tool pprof -output="$T/wl.go.html" "$@" > /dev/null 2>&1
    python3 tests/weblist-parse.py --pprof "$T/wl.go.html" > "$T/wl.go" && grep -q '^L' "$T/wl.go" &&
        diff "$T/wl.go" "$T/wl.np"
}
rm -f "$RECORD"
BROWSER=$T/rec "$NPROF" -weblist . "$names" > /dev/null 2>&1
page=$(sed -n 1p "$RECORD" 2> /dev/null)
check "-weblist opens an .html page in \$BROWSER" test "${page%.html}" != "$page" -a -s "$page"
check "-weblist escapes <, &, quotes in names and source and shows go tool pprof -weblist's rows" \
    weblist_ok "$page" -weblist . "$names"
check "-weblist names have their characters back after parsing" grep -q 'odd &#34;name&#34; &amp; &#39;quote&#39; &lt;' "$page"
for pat in 'main\.' 'runtime\.mallocgc'; do
    out=$(env -u DISPLAY -u WAYLAND_DISPLAY BROWSER= "$NPROF" -weblist "$pat" "$heap" 2> /dev/null) || continue
    check "-weblist $pat shows go tool pprof -weblist's rows on heap.pb.gz" weblist_ok "${out##* wrote }" -weblist "$pat" "$heap"
done
rm -f "$RECORD"
printf 'weblist Box\n' | BROWSER=$T/rec "$NPROF" "$names" > /dev/null 2>&1
recorded
check "shell: weblist opens a page of the matching function" grep -q '<h2>ns::Box::put</h2>' "$(sed -n 1p "$RECORD" 2> /dev/null)"
out=$(BROWSER=$T/rec "$NPROF" -weblist 'nomatch_xyz' "$names" 2>&1)
check "-weblist with no match fails with pprof's message" test "$out" = "no matches found for regexp: nomatch_xyz"

# Graphviz missing: one clear line, a non-zero exit.
mkdir -p "$T/nodot"
ln -s "$(command -v sh)" "$T/nodot/sh"
for fmt in svg web png; do
    PATH=$T/nodot "$NPROF" -$fmt "$heap" > /dev/null 2> "$T/err"
    rc=$?
    check "-$fmt without Graphviz: one line, exit $rc" test $rc != 0 -a "$(wc -l < "$T/err")" = 1 -a \
        "$(cat "$T/err")" = 'failed to execute dot. Is Graphviz installed? Error: exec: "dot": executable file not found in $PATH'
done

# The other Graphviz formats are as they were: Graphviz's own output of the same DOT.
"$NPROF" -dot "$heap" > "$T/heap.dot" 2> /dev/null
for fmt in png pdf ps gif; do
    "$NPROF" -$fmt -output "$T/out.$fmt" "$heap" 2> /dev/null
    dot -T$fmt "$T/heap.dot" > "$T/ref.$fmt"
    check "-$fmt is dot -T$fmt of -dot, untouched" test -s "$T/out.$fmt" -a "$(head -c 4 "$T/out.$fmt" | od -An -c)" = "$(head -c 4 "$T/ref.$fmt" | od -An -c)" -a "$(stat -c %s "$T/out.$fmt")" -gt 100
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/bash
# flamegraph.sh [NPROF] -- -flamegraph, the HTML flame graph, on real profiles: build/profiles
# (tests/go/make-profiles.sh) and, when it is there, ../shared/testdata/go/profiles.
#
# Reads the tree back from each page's embedded data (Python) and checks that the root holds
# the -top total for every profile and sample index, and what -focus keeps with filters; that
# every box's total is its self plus its callees'; that the page is HTML with no external
# reference and names escaped; that a large generated profile gives a bounded page; that a diff
# of two leaky-server heap snapshots (and of build/profiles' leak pair) has the growth under the
# handler with -top -diff_base's figure, and that -normalize scales the base. Then headless
# Chromium (tests/browser/flamegraph.js) checks what is drawn. Prints "ok   ..." / "FAIL ..."
# per check and ends with "N passed, M failed"; exit status 0 iff nothing failed.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
np=${1:-$repo/build/nprof}
case $np in /*) ;; *) np=$PWD/$np ;; esac
build=$(dirname "$np")
own=${PROFILES:-$repo/build/profiles}
shared=${TESTDATA:-$repo/../shared/testdata/go}/profiles
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flamegraph.XXXXXX") || exit 2
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
export TZ=UTC LC_ALL=C
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }

if [ ! -x "$np" ] || [ ! -f "$own/heap.pb.gz" ]; then
    echo "flamegraph: needs $np and $own (tests/go/make-profiles.sh)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# page.py PAGE WHAT [ARG]: reads the tree from a page and prints one figure about it.
cat >"$tmp/page.py" <<'EOF'
import json, re, sys
html = open(sys.argv[1], encoding='utf-8', errors='replace').read()
m = re.search(r'<script type="application/json" id="npflame-data">(.*?)</script>', html, re.S)
d = json.loads(m.group(1))
what = sys.argv[2]
n = len(d['parent'])
if what == 'root':
    print(d['total'][0])
elif what == 'sums':  # boxes whose total is not self plus the children's totals
    kids = [0] * n
    for i in range(1, n):
        kids[d['parent'][i]] += d['total'][i]
    print(sum(1 for i in range(n) if d['total'][i] != d['self'][i] + kids[i]))
elif what == 'preorder':  # parents come before their children, and every name index is valid
    ok = all(-1 <= d['parent'][i] < i for i in range(n)) and d['parent'][0] == -1
    ok = ok and all(-1 <= k < len(d['names']) for k in d['name'])
    print('yes' if ok else 'no')
elif what == 'names':
    print('\n'.join(d['names']))
elif what == 'boxes':
    print(n, d['fullBoxes'])
elif what == 'change':  # base new of the first box named ARG
    i = next(i for i in range(n) if d['name'][i] >= 0 and d['names'][d['name'][i]] == sys.argv[3])
    print(d['base'][i], d['total'][i])
elif what == 'basesum':
    print(d['base'][0], d['total'][0])
EOF
page() { python3 "$tmp/page.py" "$@" 2>/dev/null; }
# html.py PAGE: "ok" for a page an HTML parser reads with balanced elements and no external
# reference (no src/href/url() to another place), else what is wrong.
cat >"$tmp/htmlcheck.py" <<'EOF'
import re, sys
from html.parser import HTMLParser
html = open(sys.argv[1], encoding='utf-8').read()
void = {'meta', 'input', 'br', 'img', 'link', 'hr'}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.bad = [], []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('src', 'href') and v is not None:
                self.bad.append('%s=%s' % (k, v))
        if tag not in void:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.bad.append('unbalanced </%s>' % tag)
p = P()
p.feed(html)
p.close()
if not html.startswith('<!DOCTYPE html>'):
    p.bad.append('no doctype')
if p.stack:
    p.bad.append('unclosed ' + ' '.join(p.stack))
if re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//|url\(\s*["\']?(https?:)?//|@import', html):
    p.bad.append('external reference')
print('ok' if not p.bad else '; '.join(p.bad[:3]))
EOF

. "$repo/tests/flame-lib.sh"

# ---- every profile and sample index: the root is the -top total; the tree adds up ----
one_index() { # file name index type unit
    "$np" -flamegraph -sample_index="$3" "$1" >"$tmp/p.html" 2>"$tmp/err" || bad "-flamegraph fails: $2 $4: $(head -1 "$tmp/err")"
    check "page root = -top total: $2 $4" "$(page "$tmp/p.html" root)" "$(top_total "$1" "$3" "$5")"
    check "every box = self + callees: $2 $4" "$(page "$tmp/p.html" sums)" 0
    if [ "$3" = 0 ]; then
        check "preorder arrays and valid name indexes: $2" "$(page "$tmp/p.html" preorder)" yes
        check "valid HTML, nothing external: $2" "$(python3 "$tmp/htmlcheck.py" "$tmp/p.html")" ok
    fi
}
each_index one_index

# ---- filters: the root holds what -top keeps ----
heap=$own/heap.pb.gz
for flt in -focus=main.buildIndex -ignore=main.appendHistory -hide=main.main -show=main -tagfocus=1kb: -show_from=main.main; do
    want=$("$np" -top -nodecount=0 -nodefraction=0 -unit=bytes -sample_index=alloc_space "$flt" "$heap" 2>/dev/null |
        sed -n 's/.*accounting for \([0-9]*\)B, .*/\1/p')
    "$np" -flamegraph -sample_index=alloc_space "$flt" "$heap" >"$tmp/f.html" 2>/dev/null
    check "page root with $flt = -top's kept value" "$(page "$tmp/f.html" root)" "$want"
done
"$np" -flamegraph -output="$tmp/out.html" "$heap" 2>/dev/null
check "-output writes the page to a file" "$(page "$tmp/out.html" root)" "$(top_total "$heap" 3 bytes)"
cmp -s <("$np" -flamegraph "$heap" 2>/dev/null) "$tmp/out.html" && ok "the page is the same from run to run" ||
    bad "the page differs from run to run"

# ---- names with <&"' are escaped and read back exactly ----
python3 "$repo/tests/pictures-profile.py" "$tmp/names" >/dev/null
"$np" -flamegraph "$tmp/names/names.pb.gz" >"$tmp/n.html" 2>/dev/null
want=$("$np" -top -nodecount=0 "$tmp/names/names.pb.gz" 2>/dev/null | sed -E '1,/flat%/d; s/^ *([^ ]+ +){5}//' | sort)
check "names with <&\"' read back exactly" "$(page "$tmp/n.html" names | sort)" "$want"
check "names with <&\"': valid HTML" "$(python3 "$tmp/htmlcheck.py" "$tmp/n.html")" ok
check "no name bytes < or & inside the data" "$(sed -n '/id="npflame-data"/,/<\/script>/p' "$tmp/n.html" | sed '1d;$d' | grep -c '[<&]')" 0

# ---- a large generated profile: pruned and capped, the page stays small ----
big=$repo/bench/out/small.pb.gz
if [ ! -f "$big" ] && [ ! -x "$repo/build/bench-gen" ] && command -v go >/dev/null; then
    # bench/gen, built as bench/analyzer.sh builds it (standard library only, caches in build/).
    (cd "$repo" && GO111MODULE=off GOPATH="$repo/build/go" GOCACHE="$repo/build/go/cache" GOFLAGS= \
        go build -o build/bench-gen bench/gen/main.go) >/dev/null 2>&1
fi
if [ ! -f "$big" ] && [ -x "$repo/build/bench-gen" ]; then
    big=$tmp/gen.pb.gz
    "$repo/build/bench-gen" -stacks 40000 -out "$big" >/dev/null 2>&1
fi
if [ -f "$big" ]; then
    "$np" -flamegraph "$big" >"$tmp/big.html" 2>/dev/null
    read -r boxes full < <(page "$tmp/big.html" boxes)
    size=$(wc -c <"$tmp/big.html")
    check "generated profile: pruned ($boxes of $full boxes) within the cap" "$([ "${boxes:-0}" -le 100000 ] && [ "${full:-0}" -gt "${boxes:-0}" ] && echo yes)" yes
    check "generated profile: page under 10 MB ($size bytes)" "$([ "$size" -lt 10000000 ] && echo yes)" yes
    check "generated profile: root = -top total" "$(page "$tmp/big.html" root)" "$(top_total "$big" 3 bytes)"
else
    echo "skip large profile: no bench/out/small.pb.gz and no build/bench-gen (bench/analyzer.sh makes them)"
fi

# ---- diffs: the leak pair of build/profiles, and two live leaky-server snapshots ----
cum_change() { # base new function: -top -diff_base's cum for function, in bytes
    "$np" -top -cum -nodecount=0 -nodefraction=0 -unit=bytes -diff_base="$1" "$2" 2>/dev/null |
        awk -v fn="$3" '$6 == fn {sub(/B$/, "", $4); print $4; exit}'
}
diff_checks() { # label base new function page
    read -r b n < <(page "$5" change "$4")
    check "$1: $4's change in the page = -top -diff_base's" "$((${n:-0} - ${b:-0}))" "$(cum_change "$2" "$3" "$4")"
    check "$1: $4 grew" "$([ $((${n:-0} - ${b:-0})) -gt 0 ] && echo yes)" yes
    check "$1: the root's new total = the new profile's -top total" "$(page "$5" root)" "$(top_total "$3" 3 bytes)"
}
"$np" -flamegraph -diff_base="$own/leak-a.pb.gz" "$own/leak-b.pb.gz" >"$tmp/d.html" 2>/dev/null
diff_checks "leak pair" "$own/leak-a.pb.gz" "$own/leak-b.pb.gz" main.handleRequest "$tmp/d.html"
"$np" -flamegraph -normalize -diff_base="$own/leak-a.pb.gz" "$own/leak-b.pb.gz" >"$tmp/dn.html" 2>/dev/null
read -r b n < <(page "$tmp/dn.html" basesum)
check "-normalize: the base is scaled to the new total ($b vs $n)" "$(python3 -c "print(abs($b - $n) <= $n / 1000)")" True
"$np" -flamegraph -base="$own/leak-a.pb.gz" "$own/leak-b.pb.gz" >"$tmp/db.html" 2>/dev/null
check "-base: valid page" "$(python3 "$tmp/htmlcheck.py" "$tmp/db.html")" ok

leaky=$build/examples/leaky-server
if [ -x "$leaky" ] && [ -f "$build/libnprof.so" ] && command -v curl >/dev/null; then
    # Every allocation sampled, so that the snapshot before the first request holds the
    # server's start-up and the diff against it has a base (else there is no diff to draw).
    LD_PRELOAD=$build/libnprof.so NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE=$tmp/port NPROF_HEAP_RATE=1 \
        "$leaky" 0 >"$tmp/server.out" 2>"$tmp/server.err" &
    server=$!
    for _ in $(seq 100); do
        [ -s "$tmp/port" ] && grep -q listening "$tmp/server.out" && break
        sleep 0.1
    done
    app=http://127.0.0.1:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.out" | head -n1)
    heapurl=http://$(head -n1 "$tmp/port" 2>/dev/null)/debug/pprof/heap
    hit() { for _ in $(seq "$1"); do curl -sf "$app/leaky-endpoint" >/dev/null || return 1; done; }
    curl -sf "$heapurl" -o "$tmp/z.pb.gz" && hit 20 && curl -sf "$heapurl" -o "$tmp/a.pb.gz" && hit 200 &&
        curl -sf "$heapurl" -o "$tmp/b.pb.gz" || bad "leaky-server snapshots"
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    server=
    "$np" -flamegraph -diff_base="$tmp/a.pb.gz" "$tmp/b.pb.gz" >"$tmp/leaky.html" 2>/dev/null
    diff_checks "leaky-server" "$tmp/a.pb.gz" "$tmp/b.pb.gz" leaky_handler "$tmp/leaky.html"
    read -r lb ln < <(page "$tmp/leaky.html" change leaky_handler)
    leaky_delta=$((${ln:-0} - ${lb:-0}))
    # Before the first request the handler held nothing: against that snapshot it is new.
    "$np" -flamegraph -diff_base="$tmp/z.pb.gz" "$tmp/b.pb.gz" >"$tmp/fresh.html" 2>/dev/null
    read -r zb zn < <(page "$tmp/fresh.html" change leaky_handler)
    check "leaky-server from its start: leaky_handler is only in the new profile (base ${zb:-?}, new ${zn:-?})" \
        "$([ "${zb:-x}" = 0 ] && [ "${zn:-0}" -gt 0 ] && echo yes)" yes
else
    echo "skip leaky-server diff: needs $leaky, $build/libnprof.so and curl"
fi

# ---- bad input ----
"$np" -flamegraph "$own/garbage.bin" >"$tmp/out" 2>"$tmp/err"
check "a bad profile: pprof's message, status 2, no page" "$? $(grep -c 'parsing profile' "$tmp/err") $(wc -c <"$tmp/out")" "2 1 0"

# ---- in headless Chromium ----
chromium=${CHROMIUM:-/usr/lib/chromium/chromium}
if [ -x "$chromium" ] && [ -d "$repo/tests/browser/node_modules/playwright-core" ]; then
    focus=$("$np" -top -nodecount=0 -nodefraction=0 -unit=bytes -focus='main\.newBuffer' "$heap" 2>/dev/null |
        sed -n 's/.*accounting for \([0-9]*\)B, .* of \([0-9]*\)B total.*/\1 \2/p')
    matched=$(python3 -c "k, t = map(int, '$focus'.split()); print('%.1f%%' % (100.0 * k / t))")
    "$np" -flamegraph "$heap" >"$tmp/heap.html" 2>/dev/null
    args=(plain="$tmp/heap.html" search='main\.newBuffer' matched="$matched")
    if [ -f "$tmp/leaky.html" ]; then
        args+=(diff="$tmp/leaky.html" grow=leaky_handler delta="$leaky_delta" fresh="$tmp/fresh.html")
    else
        args+=(diff="$tmp/d.html" grow=main.handleRequest delta="$(cum_change "$own/leak-a.pb.gz" "$own/leak-b.pb.gz" main.handleRequest)")
    fi
    [ -f "$tmp/big.html" ] && args+=(big="$tmp/big.html")
    shots=${SHOTS:-$tmp}
    mkdir -p "$shots"
    node "$repo/tests/browser/flamegraph.js" "$shots" "${args[@]}" >"$tmp/browser.out" 2>&1
    cat "$tmp/browser.out"
    pass=$((pass + $(grep -c '^ok ' "$tmp/browser.out")))
    fail=$((fail + $(grep -c '^FAIL ' "$tmp/browser.out")))
    grep -qE '^(ok|FAIL) ' "$tmp/browser.out" || bad "Chromium checks printed nothing: $(head -3 "$tmp/browser.out")"
elif [ -n "${CI:-}" ]; then
    bad "Chromium or tests/browser/node_modules missing (tools/install-deps.sh installs them)"
else
    echo "skip Chromium checks: $chromium or tests/browser/node_modules missing (tools/install-deps.sh)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/bash
# jemalloc.sh NPROF -- jemalloc heap dumps ("heap_v2/<rate>") read by nprof: a C program with
# known allocation sites (tests/jemalloc/sites.c) runs under Debian's libjemalloc2 with its
# profiler on; nprof -top's per-function values are compared with jeprof --text's on the same
# binary and dump (within 2%), the sites' file:line are checked, an unsampled dump against the
# program's own figures, and damaged dumps (cut short, garbage, a lying MAPPED_LIBRARIES section)
# must give a clear error or a partial report, never a crash (also with build-asan/nprof).
# One "ok"/"FAIL" line per check, then "N passed, M failed".
set -u
cd "$(dirname "$0")/.." || exit 2
nprof=${1:-build/nprof}
. tests/counts.sh
libje=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
out=build/jemalloc
rm -rf "$out" && mkdir -p "$out"

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
}
[ -x "$nprof" ] || { bad "no $nprof"; finish; }
if [ ! -f "$libje" ] || ! command -v jeprof >/dev/null; then
    bad "libjemalloc2 and jeprof (libjemalloc-dev) needed: tools/install-deps.sh installs them"
    finish
fi
cc -g -O1 -o "$out/sites" tests/jemalloc/sites.c -ldl || { bad "building sites.c"; finish; }
bin=$out/sites

# run CONF ARG: the program under jemalloc's profiler.
run() { LD_PRELOAD=$libje MALLOC_CONF=prof:true,$1 "$bin" "$2"; }
run prof_accum:true,lg_prof_sample:17 "$out/accum.heap" && [ -s "$out/accum.heap" ]
check "dump with cumulative counts (prof_accum, mallctl prof.dump)" test -s "$out/accum.heap"
run "prof_final:true,prof_prefix:$out/final" - && mv "$out"/final.*.heap "$out/final.heap" 2>/dev/null
check "dump at exit (prof_final, default sampling)" test -s "$out/final.heap"
run prof_accum:true,lg_prof_sample:0 "$out/every.heap"
check "dump of every allocation (lg_prof_sample:0)" test -s "$out/every.heap"

# compare DUMP INDEX: nprof -top against jeprof --text for one sample type.
compare() {
    local dump=$1 index=$2 tag
    tag="$(basename "$dump") $index"
    "$nprof" -top -nodecount=1000 -nodefraction=0 -edgefraction=0 -unit=B \
        -sample_index="$index" "$bin" "$dump" >"$out/n.txt" 2>"$out/n.err" ||
        { bad "$tag: nprof failed: $(head -c 300 "$out/n.err")"; return; }
    jeprof --text --show_bytes --nodecount=1000 --nodefraction=0 --edgefraction=0 \
        --"$index" "$bin" "$dump" >"$out/j.txt" 2>/dev/null ||
        { bad "$tag: jeprof failed"; return; }
    grep -q "^Type: $index$" "$out/n.txt" || bad "$tag: nprof's Type line is not $index"
    local res
    res=$(python3 tests/jemalloc/compare.py "$tag" "$out/n.txt" "$out/j.txt" \
        keep_big keep_small churn nested main)
    echo "$res"
    pass=$((pass + $(grep -c '^ok ' <<<"$res")))
    fail=$((fail + $(grep -c '^FAIL ' <<<"$res")))
}
for index in inuse_space inuse_objects alloc_space alloc_objects; do
    compare "$out/accum.heap" "$index"
done
for index in inuse_space inuse_objects; do
    compare "$out/final.heap" "$index"
done
"$nprof" -top "$bin" "$out/final.heap" >"$out/t.txt" 2>&1
check "without cumulative counts: inuse_space is the default" grep -q '^Type: inuse_space$' "$out/t.txt"
! "$nprof" -top -sample_index=alloc_space "$bin" "$out/final.heap" >/dev/null 2>&1
check "without cumulative counts: no alloc_space" test $? -eq 0

# Every allocation recorded: the figures are the program's own.
# value DUMP INDEX FUNC: FUNC's flat value in nprof -top.
value() {
    "$nprof" -top -nodefraction=0 -unit=B -sample_index="$2" "$bin" "$1" 2>/dev/null |
        awk -v f="$3" '$6 == f { sub(/B$/, "", $1); print $1 }'
}
check "every: keep_big keeps 200 x 256 KiB" test "$(value "$out/every.heap" inuse_space keep_big)" = 52428800
check "every: keep_small keeps 150000 x 96 B" test "$(value "$out/every.heap" inuse_objects keep_small)" = 150000
check "every: keep_small 14400000 B" test "$(value "$out/every.heap" inuse_space keep_small)" = 14400000
check "every: churn allocated 7000 x 64 KiB" test "$(value "$out/every.heap" alloc_space churn)" = 458752000
check "every: churn keeps nothing" test -z "$(value "$out/every.heap" inuse_space churn)"

# The sites' file:line, from the binary's DWARF through the dump's MAPPED_LIBRARIES.
"$nprof" -top -lines -nodefraction=0 -sample_index=alloc_space "$bin" "$out/accum.heap" >"$out/lines.txt" 2>&1
for site in keep_big keep_small churn; do
    line=$(grep -n "SITE $site\$\|SITE $site \*/" tests/jemalloc/sites.c | cut -d: -f1)
    check "-lines: $site at sites.c:$line" grep -qE " $site .*sites\.c:$line\$" "$out/lines.txt"
done
"$nprof" -list 'keep_big' "$bin" "$out/accum.heap" >"$out/list.txt" 2>&1
line=$(grep -n "SITE keep_big" tests/jemalloc/sites.c | cut -d: -f1)
check "-list keep_big: its line carries the allocation" \
    grep -qE "^ +[0-9.]+MB +[0-9.]+MB +$line:.*SITE keep_big" "$out/list.txt"
"$nprof" -traces "$bin" "$out/accum.heap" >"$out/traces.txt" 2>&1
check "-traces: the allocator's own frames are not shown" \
    bash -c "! grep -q 'libjemalloc' '$out/traces.txt' && grep -q 'keep_big' '$out/traces.txt'"

if command -v go >/dev/null; then
    go tool pprof -top "$out/accum.heap" >/dev/null 2>"$out/go.err"
    check "go tool pprof refuses the dump (unrecognized profile format)" grep -q 'unrecognized profile format' "$out/go.err"
fi

# Damaged dumps: each must end in a report or one clear error line, never a crash.
d=$out/damaged
mkdir -p "$d"
size=$(stat -c %s "$out/accum.heap")
head -c $((size / 3)) "$out/accum.heap" >"$d/cut-third.heap"
head -c $((size - 40)) "$out/accum.heap" >"$d/cut-in-maps.heap"
awk '/^  t\*:/ && ++n == 3 { printf "%s", substr($0, 1, 9); exit } { print }' "$out/accum.heap" >"$d/cut-in-line.heap"
awk 'NR == 6 { print "this is not a dump line" } { print }' "$out/accum.heap" >"$d/garbage-line.heap"
{ echo "heap_v2/524288"; head -c 4000 /dev/urandom; } >"$d/random.heap"
printf 'heap_v2/524288\n@\n  t*: 3: 300 [0: 0]\n@ 0x10 0x20\n  t*: 18446744073709551615: 1 [0: 0]\n' >"$d/huge-count.heap"
printf 'heap_v2/0\n@ 0x10\n  t*: 5: 0 [0: 0]\n@ 0x20\n  t*: 0: 7 [0: 0]\n' >"$d/zero-rate.heap"
sed -n '1,/^MAPPED_LIBRARIES:/p' "$out/accum.heap" >"$d/lying-maps.heap"
first=$(awk '/sites$/ && / r-xp / { print $1; exit }' "$out/accum.heap")
{
    echo "${first} r-xp 00000000 00:00 0 /etc/passwd"
    echo "${first} r-xp 7fffffffffff0000 00:00 0 /bin/true"
    echo "0-ffffffffffffffff r-xp 00000000 00:00 0 /no/such/library.so"
    echo "ffff-1000 r-xp 00000000 00:00 0 $bin"
    echo "not a map line at all"
} >>"$d/lying-maps.heap"

# damaged NAME WANT: WANT is "report" (exit 0 with a Type line) or "error" (a failure status,
# not a crash, and the parser's message, printable, naming the line of the dump).
damaged() {
    local f=$d/$1.heap want=$2 n rc
    for n in "$nprof" build-asan/nprof; do
        [ -x "$n" ] || continue
        ASAN_OPTIONS=detect_leaks=1 "$n" -top "$bin" "$f" >"$d/$1.out" 2>"$d/$1.err"
        rc=$?
        if [ "$want" = report ]; then
            check "$1 ($n): a report" bash -c "[ $rc = 0 ] && grep -q '^Type: ' '$d/$1.out'"
        else
            check "$1 ($n): one clear error" bash -c "[ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q 'jemalloc heap dump: line [0-9]*: ' '$d/$1.err' && ! LC_ALL=C grep -q '[^[:print:]]' '$d/$1.err'"
        fi
    done
}
damaged cut-third report
damaged cut-in-maps report
damaged cut-in-line report
damaged garbage-line error
damaged random error
damaged huge-count error
damaged zero-rate report
damaged lying-maps report
"$nprof" -comments "$d/cut-in-line.heap" >"$d/comments.txt" 2>&1
check "cut in a line: -comments says so" grep -q 'cut short' "$d/comments.txt"
"$nprof" -top -lines "$bin" "$d/cut-in-maps.heap" >"$d/maps.txt" 2>&1
check "cut in the maps: the program's sites still named" grep -q 'keep_big.*sites\.c' "$d/maps.txt"
finish

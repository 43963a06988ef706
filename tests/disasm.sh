#!/bin/bash
# disasm.sh NPROF -- -disasm and -weblist's assembly. tests/disasm/prog.c is built with -O2 -g
# (as PIE, and without PIE so that go tool pprof, which takes sample addresses as file
# addresses, can judge) and profiled by libnprof (CPU and heap); a Go program's CPU profile
# comes from build/profiles (tests/go/make-profiles.sh). Checks: the routine of burn_hot, its
# instructions inside its symbol, their values summing to its total and to -top's flat; the
# ROUTINE lines, totals and each address's values against go tool pprof -disasm; bad input
# (no objdump, a binary that is not ELF or missing, of another build, no such function) as one
# clear line. Prints "ok   ..." or "FAIL ..." per check and ends with "N passed, M failed".
set -u
NPROF=$(realpath "${1:-build/nprof}")
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" && . tests/counts.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/disasm.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TZ=UTC LC_ALL=C PPROF_BINARY_PATH=/nonexistent NPROF_BINARY_PATH=/nonexistent

# profile NAME MODE [CC FLAGS...]: builds prog as $T/NAME and writes $T/NAME.MODE.pb.gz.
profile() {
    local name=$1 mode=$2
    shift 2
    [ -x "$T/$name" ] || gcc -O2 -g "$@" -o "$T/$name" tests/disasm/prog.c || return 1
    if [ "$mode" = cpu ]; then
        env NPROF_CPU_PROFILE="$T/$name.cpu.pb.gz" NPROF_CPU_HZ=1000 LD_PRELOAD="$REPO/build/libnprof.so" \
            "$T/$name" cpu > /dev/null
    else
        mkdir -p "$T/dump.$name" &&
            env NPROF_HEAP_DUMP="$T/dump.$name" NPROF_HEAP_RATE=1 LD_PRELOAD="$REPO/build/libnprof.so" \
                "$T/$name" heap > /dev/null &&
            mv "$(ls "$T/dump.$name"/*.heap.pb.gz | tail -n1)" "$T/$name.heap.pb.gz"
    fi
    [ -s "$T/$name.$mode.pb.gz" ]
}

# rows FILE: "address flat cum" per instruction of a -disasm listing. Bytes that do not decode
# (pprof's symbol ends a byte short, cutting the last instruction) are shown by each tool its
# own way ("?" per byte, ".byte 0xe9", "(bad)"): such rows are left out.
rows() {
    awk '$3 ~ /^[0-9a-f]+:$/ && $4 != "?" && $4 != ".byte" && !/\(bad\)/ { sub(":", "", $3); print $3, $1, $2 }' "$1"
}
# routine FILE PREFIX: the name of the first routine whose name starts with PREFIX (gcc may
# have named the function PREFIX.constprop.0).
routine() { awk -v p="$2" '/^ROUTINE/ && index($3, p) == 1 { print $3; exit }' "$1"; }
# heads FILE: the ROUTINE lines and the totals under them.
heads() { grep -E '^ROUTINE|\(flat, cum\)' "$1"; }
# valued FILE: the rows with a value.
valued() { rows "$1" | awk '$2 != "." || $3 != "."'; }

# inside FILE BINARY SYMBOL: every address of the listing is inside SYMBOL's range in BINARY.
inside() {
    local start size
    read -r start size <<<"$(nm -S "$2" | awk -v s="$3" '$4 == s { print $1, $2; exit }')"
    [ -n "$start" ] && [ "$(rows "$1" | wc -l)" -gt 3 ] &&
        rows "$1" | awk -v a=$((16#$start)) -v z=$((16#$start + 16#$size)) '
            { v = 0; for (i = 1; i <= length($1); i++) v = v * 16 + index("0123456789abcdef", substr($1, i, 1)) - 1
              if (v < a || v >= z) bad = 1 }
            END { exit bad }'
}

# sums FILE TOPFLAT: the flat values of the rows sum to the routine's flat, which is TOPFLAT.
sums() {
    local rowsum total
    rowsum=$(rows "$1" | awk '$2 != "." { s += $2 } END { print s + 0 }')
    total=$(grep -m1 '(flat, cum)' "$1" | awk '{ print $1 }' | tr -dc 0-9)
    echo "  rows $rowsum, routine $total, -top $2"
    [ "$rowsum" = "$total" ] && [ "$total" = "$2" ] && [ "$total" != 0 ]
}

topflat() { "$NPROF" -top "${@:3}" "$1" 2> /dev/null | awk -v f="$2" '$6 == f { print $1 }'; }

# same_as_pprof WHAT ARGS...: -disasm's headers and each address's values agree with go tool
# pprof's (its instruction text is Go's syntax, ours objdump's).
same_as_pprof() {
    local what=$1
    shift
    "$NPROF" "$@" > "$T/np.out" 2> "$T/np.err"
    go tool pprof "$@" > "$T/go.out" 2> "$T/go.err"
    if ! [ -s "$T/go.out" ] || ! grep -q '^ROUTINE' "$T/go.out"; then
        bad "$what: go tool pprof printed no routine: $(head -2 "$T/go.err")"
        return
    fi
    check "$what: the ROUTINE lines and totals are go tool pprof's" diff <(heads "$T/go.out") <(heads "$T/np.out")
    check "$what: each address's flat and cum are go tool pprof's" diff <(valued "$T/go.out") <(valued "$T/np.out")
    check "$what: the same instruction addresses as go tool pprof" \
        diff <(rows "$T/go.out" | cut -d' ' -f1) <(rows "$T/np.out" | cut -d' ' -f1)
}

if ! [ -x build/libnprof.so ] && ! [ -f build/libnprof.so ]; then
    bad "build/libnprof.so missing (make all)"
fi

# ---- a C program's CPU profile, PIE ----
check "prog (PIE) CPU profile by libnprof" profile pie cpu
P=$T/pie.cpu.pb.gz
"$NPROF" -disasm=burn_hot -sample_index=samples "$P" > "$T/pie.dis" 2> "$T/pie.err"
hot=$(routine "$T/pie.dis" burn_hot)
check "-disasm=burn_hot prints burn_hot's ROUTINE ($hot)" grep -qE '^ROUTINE =+ burn_hot(\.constprop\.0)?$' "$T/pie.dis"
check "-disasm=burn_hot: every instruction address is inside burn_hot's symbol (nm -S)" inside "$T/pie.dis" "$T/pie" "$hot"
check "-disasm=burn_hot: the rows' flat values sum to the routine's flat, which is -top's" \
    sums "$T/pie.dis" "$(topflat "$P" burn_hot -sample_index=samples)"
check "-disasm=burn_hot: objdump's AT&T text with source places" grep -qE '^ +[^ ]+ +[^ ]+ +[0-9a-f]+: .*%r.*;burn_hot prog\.c:[0-9]+$' "$T/pie.dis"
"$NPROF" -disasm=burn_hot -intel_syntax "$P" > "$T/intel.dis" 2>&1
check "-intel_syntax: Intel syntax (no % registers)" bash -c "grep -q 'ROUTINE' '$T/intel.dis' && ! grep -q '%r' '$T/intel.dis' && grep -qE ': (mov|xor|shl) +r' '$T/intel.dis'"
"$NPROF" -disasm='burn_(hot|cold)' "$P" > "$T/both.dis" 2>&1
check "-disasm='burn_(hot|cold)': both routines, sorted by name" \
    test "$(grep '^ROUTINE' "$T/both.dis" | cut -d' ' -f3 | cut -d. -f1 | tr '\n' ' ')" = "burn_cold burn_hot "

# ---- the same without PIE: go tool pprof as the judge ----
check "prog (no PIE) CPU profile by libnprof" profile nopie cpu -no-pie
same_as_pprof "C CPU" -disasm=burn -sample_index=samples "$T/nopie.cpu.pb.gz"
same_as_pprof "C CPU, cpu values" -disasm='burn_hot' "$T/nopie.cpu.pb.gz"
check "prog (no PIE) heap profile by libnprof" profile nopie heap
same_as_pprof "C heap" -disasm=keep "$T/nopie.heap.pb.gz"
same_as_pprof "C heap, alloc_space" -disasm=keep_blocks -sample_index=alloc_space "$T/nopie.heap.pb.gz"
check "prog (PIE) heap profile by libnprof" profile pie heap
"$NPROF" -disasm=keep_blocks -unit=B "$T/pie.heap.pb.gz" > "$T/heap.dis" 2>&1
check "heap: keep_blocks's rows sum to its flat, which is -top's" \
    sums "$T/heap.dis" "$(topflat "$T/pie.heap.pb.gz" keep_blocks -unit=B | tr -d B)"

# ---- a Go program ----
if [ -s build/profiles/cpu.pb.gz ] && [ -x build/go/bin/cpugen ]; then
    # Not crypto's assembly: Go's decoder does not know every AVX instruction and then goes astray.
    same_as_pprof "Go CPU" -disasm='main\.fib|sort\.' build/profiles/cpu.pb.gz
    same_as_pprof "Go CPU, binary named first" -disasm='main\.' build/go/bin/cpugen build/profiles/cpu.pb.gz
else
    bad "build/profiles/cpu.pb.gz or build/go/bin/cpugen missing (tests/go/make-profiles.sh build/profiles)"
fi

# ---- -weblist: source lines unfolding to their instructions ----
# rows PAGE OUT: the page's rows (F function, L line, I instruction; tests/weblist-parse.py),
# which also fails on malformed HTML or an instruction sum off its line's or a line sum off
# its function's.
page_rows() { python3 tests/weblist-parse.py "$@"; }
# wl_inside ROWS BINARY SYMBOL: the instructions of SYMBOL's page lie inside the symbol or its
# padding up to the next symbol, those with a value inside the symbol itself.
wl_inside() {
    local start size next
    read -r start size <<<"$(nm -S "$2" | awk -v s="$3" '$4 == s { print $1, $2; exit }')"
    next=$(nm -n "$2" | awk -v a="$start" 'f && $1 != a { print $1; exit } $1 == a { f = 1 }')
    [ -n "$start" ] && [ -n "$next" ] &&
        awk -v a=$((16#$start)) -v z=$((16#$start + 16#$size)) -v n=$((16#$next)) -F'[ |]' '
            $1 == "I" { v = 0; for (i = 1; i <= length($2); i++) v = v * 16 + index("0123456789abcdef", substr($2, i, 1)) - 1
                        if (v < a || v >= n || (($3 != "." || $4 != ".") && v >= z)) bad = 1; k++ }
            END { exit bad || k < 3 }' "$1"
}
"$NPROF" -weblist=burn_hot -sample_index=samples -output="$T/wl.html" "$P" > /dev/null 2> "$T/wl.err"
check "-weblist=burn_hot (PIE): valid page, each line's instructions sum to the line, lines to the function" \
    page_rows "$T/wl.html" > "$T/wl.rows"
check "-weblist=burn_hot: lines unfold to instructions, burn_hot's own (nm -S; padding after it unvalued)" \
    wl_inside "$T/wl.rows" "$T/pie" "$hot"
wl_flat=$(awk -F'|' '/^F burn_hot\|/ { print $3; exit }' "$T/wl.rows")
check "-weblist=burn_hot: the function's flat ($wl_flat) is -top's" test "$wl_flat" = "$(topflat "$P" burn_hot -sample_index=samples)"
check "-weblist: nothing on stderr but pprof's line with the binary and objdump at hand" \
    test "$(cat "$T/wl.err")" = "Generating report in $T/wl.html"
env PATH=/nonexistent "$NPROF" -weblist=burn_hot -sample_index=samples -output="$T/wl-noobj.html" "$P" > /dev/null 2> "$T/wl.err"
check "-weblist without objdump: one line on stderr, source lines only" \
    test "$(grep -v '^Generating report' "$T/wl.err")" = "cannot disasm: no objdump tool available: source lines only"
page_rows "$T/wl-noobj.html" > "$T/wl-noobj.rows"
check "-weblist without objdump: the same functions and valued lines, no instructions" \
    diff <(grep -E '^F|^L .*\|[^.]' "$T/wl.rows") <(grep -E '^F|^L .*\|[^.]' "$T/wl-noobj.rows"; grep '^I' "$T/wl-noobj.rows")
check "-weblist without objdump: the page says so" grep -q 'class="note">cannot disasm: no objdump tool available' "$T/wl-noobj.html"
if have_browser; then
    node tests/browser/weblist.js "$T/wl.html" > "$T/browser.out" 2>&1
    count_browser "$T/browser.out"
fi

# same_weblist_as_pprof [--valued] WHAT ARGS...: the functions, their totals, the lines and the
# values and addresses of the instructions under each line are go tool pprof -weblist's.
# --valued leaves out instructions without samples: pprof also lists up to 32 bytes of padding
# past a function's end under its last line (docs/GRAPHS.md), which of them depends on where
# the run's samples fell.
same_weblist_as_pprof() {
    local valued=0
    [ "$1" = --valued ] && { valued=1; shift; }
    local what=$1
    shift
    "$NPROF" -output="$T/np.html" "$@" > /dev/null 2>&1
    go tool pprof -output="$T/go.html" "$@" > /dev/null 2>&1
    page_rows --pprof "$T/go.html" | awk -F'|' -v v=$valued '!(v && /^I / && $2 == "." && $3 == ".")' > "$T/go.rows"
    page_rows "$T/np.html" | awk -F'|' -v v=$valued '!(v && /^I / && $2 == "." && $3 == ".")' > "$T/np.rows"
    check "$what: the rows are go tool pprof -weblist's ($(grep -c '^I' "$T/go.rows") instructions)" \
        eval 'grep -q "^I" "$T/go.rows" && diff "$T/go.rows" "$T/np.rows"'
}
if [ -s build/profiles/cpu.pb.gz ] && [ -x build/go/bin/cpugen ]; then
    same_weblist_as_pprof "Go CPU -weblist main.fib" -weblist='main\.fib' build/profiles/cpu.pb.gz
    same_weblist_as_pprof --valued "Go CPU -weblist main. and sort." -weblist='main\.|sort\.' build/profiles/cpu.pb.gz
    same_weblist_as_pprof "Go heap -weblist main." -weblist='main\.' build/profiles/heap.pb.gz
fi

# ---- bad input ----
out=$(env PATH=/nonexistent "$NPROF" -disasm=burn_hot "$P" 2>&1)
rc=$?
check "no objdump on PATH: one clear line, non-zero exit" test "$rc" != 0 -a "$out" = "cannot disasm: no objdump tool available"
out=$("$NPROF" -disasm=no_such_function_xyz "$P" 2>&1)
rc=$?
go_out=$(go tool pprof -disasm=no_such_function_xyz "$T/nopie.cpu.pb.gz" 2>&1)
check "no such function: pprof's line, non-zero exit" test "$rc" != 0 -a "$out" = "no matches found for regexp: no_such_function_xyz" -a "$go_out" = "$out"
cp "$T/pie" "$T/pie.keep" && printf 'not a binary\n%.0s' {1..20} > "$T/pie"
out=$("$NPROF" -disasm=burn_hot "$P" 2>&1)
check "a binary that is not ELF: named, then pprof's no-match line" test "$out" = "$T/pie: not an ELF file
no matches found for regexp: burn_hot"
rm -f "$T/pie"
out=$("$NPROF" -disasm=burn_hot "$P" 2>&1)
check "a missing binary: named, then pprof's no-match line" test "$out" = "$T/pie: No such file or directory
no matches found for regexp: burn_hot"
"$NPROF" -weblist=burn_hot -output="$T/wl-nobin.html" "$P" > /dev/null 2> "$T/wl.err"
check "-weblist with the binary missing: named on stderr, source lines only" \
    test "$(grep -v '^Generating report' "$T/wl.err")" = "$T/pie: No such file or directory: source lines only"
check "-weblist with the binary missing: burn_hot's valued lines still shown" \
    bash -c "python3 tests/weblist-parse.py '$T/wl-nobin.html' | grep -qE '^L [0-9]+\|[^.]'"
out=$("$NPROF" -disasm=burn_hot "$T/pie.keep" "$P" 2>&1)
check "the binary named first on the command line is used" grep -qE '^ROUTINE =+ burn_hot' <<<"$out"
out=$("$NPROF" -disasm=burn_hot "$T/nopie" "$P" 2>&1)
check "a binary of another build is refused with a warning" grep -q "build ID mismatch" <<<"$out"
mv "$T/pie.keep" "$T/pie"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

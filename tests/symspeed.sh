#!/bin/bash
# symspeed.sh NPROF -- the ingredients of bench/symbolize.sh at a small scale, checked for
# exactness rather than speed. A program from bench/symgen.py (3 files of 40 functions, each
# with inlined helpers from two files) is built -O2 -g; bench/symprof.py writes address-only
# profiles of it. Without a build ID (go tool pprof's way: one frame per address) -top,
# -lines -top and -list read byte for byte as go tool pprof reads them (also built from
# relative source names, DWARF 5 and 4, whose file names Go composes its own way); with the build ID
# (nprof's native way) every address's frames, inlined ones included, are binutils' addr2line
# -i's, function, file and line. A Go binary and symprof.py's legacy heap text: the same three
# reports as go tool pprof's. Ends "N passed, M failed".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/counts.sh"
nprof_arg "$@"
export TZ=UTC LC_ALL=C PPROF_BINARY_PATH=/nonexistent NPROF_BINARY_PATH=
export GOCACHE=$repo/build/go/cache GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOENV=off
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symspeed.XXXXXX") || exit 2
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
pprof="$(go env GOTOOLDIR)/pprof"

mask() { grep -avE '^(File|Build ID|Time): ' "$1"; }
# same WHAT BINARY PROFILE ARGS...: nprof's report is go tool pprof's, and not empty.
same() {
  local what=$1 bin=$2 prof=$3
  shift 3
  "$pprof" "$@" "$bin" "$prof" >"$tmp/go.out" 2>"$tmp/go.err"
  "$nprof" "$@" "$bin" "$prof" >"$tmp/np.out" 2>"$tmp/np.err"
  if ! grep -q "$names" "$tmp/go.out"; then
    bad "$what: go tool pprof names no function: $(head -c 300 "$tmp/go.out" "$tmp/go.err")"
  elif cmp -s <(mask "$tmp/go.out") <(mask "$tmp/np.out"); then
    ok "$what"
  else
    bad "$what: $(diff <(mask "$tmp/go.out") <(mask "$tmp/np.out") | head -6)"
  fi
}

src=$tmp/c
python3 bench/symgen.py "$src" 3 40 &&
  (cd "$src" && cc -O2 -g -no-pie -Wl,--build-id -o sg *.c)
check "generate and build the C program" test -x "$src/sg"
bid=$(readelf -n "$src/sg" | awk '/Build ID:/ {print $3}')
n=$(nm -S "$src/sg" | python3 bench/symprof.py proto "$tmp/c.pb.gz" "$src/sg" 3)
nm -S "$src/sg" | python3 bench/symprof.py proto "$tmp/native.pb.gz" "$src/sg" 3 "$bid" >/dev/null
check "symprof.py: hundreds of distinct addresses ($n)" test "${n:-0}" -gt 300

names='sg_00[0-2]_00'
same "C, no build ID: -top" "$src/sg" "$tmp/c.pb.gz" -top
same "C, no build ID: -lines -top" "$src/sg" "$tmp/c.pb.gz" -lines -top
same "C, no build ID: -list" "$src/sg" "$tmp/c.pb.gz" -list 'sg_001_00[0-3][0-9]$'

# Source names as go tool pprof's reader composes them from the line table: DWARF 5 keeps a
# relative directory as the compiler wrote it (`cc ./sub/x.c` names "sub/x.c"), DWARF 4 takes
# it relative to the compilation directory ("/dir/sub/x.c"). nprof's native way (build IDs,
# the collector) keeps addr2line's whole paths.
mkdir -p "$src/rel/sub" && cp "$src"/*.c "$src"/*.h "$src/rel/sub/"
for dw in 5 4; do
  (cd "$src/rel" && cc -O2 -gdwarf-$dw -no-pie -Wl,--build-id -o sg$dw ./sub/*.c) &&
    nm -S "$src/rel/sg$dw" | python3 bench/symprof.py proto "$tmp/rel$dw.pb.gz" "$src/rel/sg$dw" 3 >/dev/null
  same "C built as cc ./sub/x.c, DWARF $dw: -lines -top" "$src/rel/sg$dw" "$tmp/rel$dw.pb.gz" -lines -top
  same "C built as cc ./sub/x.c, DWARF $dw: -list" "$src/rel/sg$dw" "$tmp/rel$dw.pb.gz" -list 'sg_002_00[0-3][0-9]$'
done
check "DWARF 5, cc ./sub/x.c: nprof -lines names sub/x.c, as go tool pprof" \
  bash -c "'$nprof' -lines -top '$src/rel/sg5' '$tmp/rel5.pb.gz' 2>/dev/null | grep -q ' sub/sg_00[0-2].c:'"

# Every location's frames, innermost first, one "ADDR FUNCTION FILE:LINE" line each (":0": an
# ELF symbol without line information, which addr2line prints as "??:?").
"$nprof" -raw "$src/sg" "$tmp/native.pb.gz" 2>"$tmp/raw.err" |
  awk '/^Locations/ {f = 1; next} /^Mappings/ {f = 0}
       f && /^ *[0-9]+: 0x/ {a = $2; print a, $4, $5; next}
       f && NF >= 2 {print a, $1, $2}' | sort -s -k1,1 >"$tmp/nprof.frames"
awk '{print $1}' "$tmp/nprof.frames" | sort -u >"$tmp/addrs"
addr2line -a -f -i -e "$src/sg" <"$tmp/addrs" |
  awk '/^0x/ {a = $1; sub(/^0x0*/, "0x", a); next}
       {fn = $0; getline; sub(/ \(discriminator [0-9]+\)$/, ""); sub(/^\?\?:[?0]$/, ":0"); print a, fn, $0}' |
  sort -s -k1,1 >"$tmp/addr2line.frames"
check "build ID: frames for every address ($(wc -l <"$tmp/addrs"))" test "$(wc -l <"$tmp/addrs")" -eq "$n"
check "build ID: inlined frames from both files" bash -c "grep -q ' sg_mix .*sg_common.h:' '$tmp/nprof.frames' && grep -q '_step .*sg_00[0-2].c:' '$tmp/nprof.frames'"
if [ -s "$tmp/nprof.frames" ] && cmp -s "$tmp/addr2line.frames" "$tmp/nprof.frames"; then
  ok "build ID: every frame is addr2line -i's ($(wc -l <"$tmp/nprof.frames") frames)"
else
  bad "build ID: frames differ from addr2line -i's: $(diff "$tmp/addr2line.frames" "$tmp/nprof.frames" | head -6)"
fi

gob=$tmp/symgen
(cd tests/go && go build -o "$gob" ./symgen) 2>"$tmp/go-build.err"
check "build a Go binary" test -x "$gob"
gn=$(nm -S "$gob" | python3 bench/symprof.py goheap "$tmp/go.heap" "$gob" 3)
check "symprof.py goheap: thousands of distinct addresses ($gn)" test "${gn:-0}" -gt 1000
names='runtime\.'
same "Go legacy heap: -top" "$gob" "$tmp/go.heap" -top
same "Go legacy heap: -lines -top" "$gob" "$tmp/go.heap" -lines -top
same "Go legacy heap: -list" "$gob" "$tmp/go.heap" -list 'runtime\.mallocgc$'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

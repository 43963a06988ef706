#!/bin/bash
# symoff.sh [BUILD] -- profiles taken with the collector's symbolization off (NPROF_SYMBOLIZE=0)
# and named later by the analyzer. tests/symoff/prog.c (with its shared library, fixed build
# IDs) is profiled twice, symbolized in-process and not; the unsymbolized file has addresses
# and build IDs but no names, is smaller, and reads with the same -top and -list as the
# symbolized one when the binaries are found: in place, named on the command line, by build ID
# or by name in $NPROF_BINARY_PATH/$PPROF_BINARY_PATH, from separate debug files under a debug
# root's .build-id tree, and by .gnu_debuglink. A rebuilt binary (another build ID) is refused
# with one warning naming the mapping and both IDs. Ends "N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
export PPROF_BINARY_PATH= NPROF_BINARY_PATH= HOME=$tmp/home
src=$repo/tests/symoff
id_main=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a01
id_lib=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a02
id_new=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a03
bin=$tmp/bin
mkdir -p "$bin" "$tmp/home"
section "build the program"
cc -g -O2 -shared -fPIC -Wl,--build-id=0x$id_lib -o "$bin/libsymoff.so" "$src/lib.c" &&
  cc -g -O2 -Wl,--build-id=0x$id_main -o "$bin/prog" "$src/prog.c" -L"$bin" -lsymoff -Wl,-rpath,"$bin" &&
  cc -g -O2 -Wl,--build-id=0x$id_new -o "$tmp/prog.rebuilt" "$src/prog.c" -L"$bin" -lsymoff -Wl,-rpath,"$bin" ||
  { bad "building tests/symoff/prog.c"; echo "$pass passed, $fail failed"; exit 1; }

# profile DIR [ENV...] -- a heap profile of every allocation, written at exit into DIR.
profile() {
  local dir=$1; shift
  mkdir -p "$dir"
  env "$@" NPROF_HEAP_RATE=1 NPROF_HEAP_DUMP="$dir" LD_PRELOAD="$lib" "$bin/prog"
  ls "$dir"/*.heap.pb.gz 2>/dev/null | head -1
}
section "profile it, symbolized and not"
sym=$(profile "$tmp/sym")
raw=$(profile "$tmp/raw" NPROF_SYMBOLIZE=0)
check "both profiles written" test -s "$sym" -a -s "$raw"

"$nprof" -raw -symbolize=none "$raw" >"$tmp/raw.txt" 2>&1
check "the unsymbolized profile names no function" bash -c "! grep -q 'small_blocks\|symoff_lib_alloc\|main' '$tmp/raw.txt'"
check "the unsymbolized profile keeps the build IDs" bash -c "grep -q ' $id_main' '$tmp/raw.txt' && grep -q ' $id_lib' '$tmp/raw.txt'"
"$nprof" -raw -symbolize=none "$sym" >"$tmp/sym.txt" 2>&1
check "the symbolized profile names them" grep -q symoff_lib_alloc "$tmp/sym.txt"
size_sym=$(stat -c %s "$sym") size_raw=$(stat -c %s "$raw")
echo "     profile size: symbolized $size_sym bytes, NPROF_SYMBOLIZE=0 $size_raw bytes"
check "the unsymbolized profile is smaller" test "$size_raw" -lt "$size_sym"

# report FILE OUT [ENV...] [-- ARGS...] -- -top and -list of the functions, from "Showing" on
# (the File:, Build ID: and Time: lines name what may differ), and stderr in OUT.err.
list_re='small_blocks|large_blocks|filled|symoff_lib_alloc'
report() {
  local file=$1 out=$2; shift 2
  local envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && args=("$@")
  { env "${envs[@]}" "$nprof" -top "${args[@]}" "$file" | sed -n '/^Showing/,$p'
    env "${envs[@]}" "$nprof" -list "$list_re" "${args[@]}" "$file"
  } >"$out" 2>"$out.err"
}
report "$sym" "$tmp/want"
check "the symbolized profile's -list shows the source" grep -q 'ROUTINE =* symoff_lib_alloc' "$tmp/want"

# same NAME [ENV...] [-- ARGS...] -- the unsymbolized profile reads as the symbolized one.
same() {
  local name=$1; shift
  report "$raw" "$tmp/got" "$@"
  if cmp -s "$tmp/want" "$tmp/got" && ! grep -q 'mismatch\|failed' "$tmp/got.err"; then
    ok "$name"
  else
    bad "$name" "$(diff "$tmp/want" "$tmp/got" | head -6; head -3 "$tmp/got.err")"
  fi
}
section "symbolized later"
same "binaries where they ran: same -top and -list"
# The binaries move away: the profile's paths are gone from now on.
mv "$bin" "$tmp/moved"
m=$tmp/moved
report "$raw" "$tmp/none"
check "binaries gone: no names, and a message" bash -c "! grep -q small_blocks '$tmp/none' && grep -q 'Local symbolization failed for prog (build ID $id_main)' '$tmp/none.err'"
mkdir -p "$tmp/bp/$id_main" "$tmp/bp/$id_lib"
cp "$m/prog" "$tmp/bp/$id_main/prog"
cp "$m/libsymoff.so" "$tmp/bp/$id_lib/libsymoff.so"
same "NPROF_BINARY_PATH, <buildid>/<name>" NPROF_BINARY_PATH="$tmp/nonexistent:$tmp/bp"
mkdir -p "$tmp/bp2/$id_main"
cp "$m/prog" "$tmp/bp2/$id_main/another-name"
same "PPROF_BINARY_PATH, any file in <buildid>/" PPROF_BINARY_PATH="$tmp/bp2:$tmp/bp"
mkdir -p "$tmp/bp3"
cp "$m/prog" "$m/libsymoff.so" "$tmp/bp3/"
same "PPROF_BINARY_PATH, by base name" PPROF_BINARY_PATH="$tmp/bp3"
same "the binary on the command line, the library by build ID" NPROF_BINARY_PATH="$tmp/bp" -- "$m/prog"

section "separate debug files"
dbg=$tmp/debug
mkdir -p "$dbg/.build-id/${id_main:0:2}" "$tmp/stripped"
for f in prog libsymoff.so; do
  objcopy --only-keep-debug "$m/$f" "$tmp/$f.debug"
  objcopy --strip-debug --strip-unneeded --add-gnu-debuglink="$tmp/$f.debug" "$m/$f" "$tmp/stripped/$f"
done
cp "$tmp/prog.debug" "$dbg/.build-id/${id_main:0:2}/${id_main:2}.debug"
cp "$tmp/libsymoff.so.debug" "$dbg/.build-id/${id_lib:0:2}/${id_lib:2}.debug"
"$nprof" -top "$tmp/stripped/prog" "$raw" >"$tmp/stripped.top" 2>/dev/null
check "a stripped binary alone names no source function" bash -c "! grep -q 'small_blocks\|filled' '$tmp/stripped.top'"
same "stripped binary named, its debug file by build ID under NPROF_DEBUG_ROOT" \
  NPROF_DEBUG_ROOT="$dbg:/usr/lib/debug" NPROF_BINARY_PATH="$tmp/bp" -- "$tmp/stripped/prog"
same "no binary at all: the debug files by build ID" NPROF_DEBUG_ROOT="$dbg:/usr/lib/debug"
mkdir -p "$tmp/dl/$id_main" "$tmp/dl/$id_lib"
cp "$tmp/stripped/prog" "$tmp/prog.debug" "$tmp/dl/$id_main/"
cp "$tmp/stripped/libsymoff.so" "$tmp/libsymoff.so.debug" "$tmp/dl/$id_lib/"
same "stripped binaries in the search path, debug files by .gnu_debuglink beside them" NPROF_BINARY_PATH="$tmp/dl"

section "a rebuilt binary"
report "$raw" "$tmp/re" NPROF_BINARY_PATH="$tmp/bp" -- "$tmp/prog.rebuilt"
check "refused: its functions stay unnamed" bash -c "! grep -q 'small_blocks\|large_blocks\|filled' '$tmp/re' && grep -q '\[prog.rebuilt\]' '$tmp/re'"
check "the library, of the right build, is still named" grep -q symoff_lib_alloc "$tmp/re"
n=$(grep -c "build ID mismatch" "$tmp/re.err")
check "one warning per report run ($n lines for -top and -list)" test "$n" = 2
check "the warning names the file, the mapping and both build IDs" \
  grep -q "not using $tmp/prog.rebuilt for mapping $tmp/prog.rebuilt: build ID mismatch (profile has $id_main, file has $id_new)" "$tmp/re.err"
mkdir -p "$tmp/bp4"
cp "$tmp/prog.rebuilt" "$tmp/bp4/prog"
report "$raw" "$tmp/re2" PPROF_BINARY_PATH="$tmp/bp4"
check "a rebuilt binary in the search path is passed over, with the profile's mapping named" \
  bash -c "! grep -q small_blocks '$tmp/re2' && grep -q 'not using $tmp/bp4/prog for mapping $bin/prog: build ID mismatch' '$tmp/re2.err'"
n=$(grep -c "build ID mismatch" "$tmp/re2.err")
check "once per run ($n lines for -top and -list)" test "$n" = 2
report "$raw" "$tmp/re3" NPROF_DEBUG_ROOT="$dbg:/usr/lib/debug" -- "$tmp/prog.rebuilt"
check "a rebuilt binary with the profile's debug file by build ID: named from the debug file" \
  bash -c "grep -q small_blocks '$tmp/re3' && grep -q 'build ID mismatch' '$tmp/re3.err'"
report "$sym" "$tmp/re4" -- "$tmp/prog.rebuilt"
check "a symbolized profile keeps its names beside a rebuilt binary" cmp -s "$tmp/want" "$tmp/re4"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

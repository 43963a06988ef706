#!/bin/bash
# install.sh NPROF -- make install and make uninstall, as a user of the library sees them.
#
# `make install DESTDIR=STAGE PREFIX=/usr` must stage exactly bin/nprof, libnprof (the
# versioned file, its soname link and libnprof.so, the archive), nprof.h, nprof.pc and the man
# pages under man/. A C program written here, outside the tree, is built with
# `pkg-config --cflags --libs nprof` against the staged files (PKG_CONFIG_SYSROOT_DIR), once
# with the shared library and once with libnprof.a, runs, serves /debug/pprof/heap, and the
# staged nprof reads what curl fetched. The versions of nprof -version, nprof_version(),
# nprof.pc and the profile's comment must be one. make uninstall must leave nothing, and keep
# what was there before. NPROF is build/nprof (its folder is the build folder).
# Prints "ok   ..." or "FAIL ..." per check and ends with "N passed, M failed".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/counts.sh"
nprof_arg "$@"
build=$(dirname "$nprof")
export LC_ALL=C TZ=UTC
tmp=$(mktemp -d "${TMPDIR:-/tmp}/install.XXXXXX") || exit 2
apps=()
cleanup() {
  local p
  for p in "${apps[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

version=$("$nprof" -version | sed -n 's/^nprof //p')
check "nprof -version prints one line 'nprof X.Y.Z' ($version)" \
  bash -c "[ \"\$('$nprof' -version | wc -l)\" = 1 ] && [[ '$version' =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]"
major=${version%%.*}

# mk ARGS...: make in the repository with the build folder of NPROF, the folders' variables
# given by ARGS only (not by the environment).
mk() {
  env -u PREFIX -u DESTDIR -u BINDIR -u LIBDIR -u INCLUDEDIR -u MANDIR -u PKGCONFIGDIR \
    make -s -C "$repo" BUILD="$build" "$@"
}

# listing DIR: every path under DIR (DIR itself included), relative, with its kind.
listing() {
  [ -e "$1" ] || return 0
  (cd "$1" && find . -printf '%y %p\n' | sort)
}

# ---- staging
stage=$tmp/stage
mk install DESTDIR="$stage" PREFIX=/usr >"$tmp/install.out" 2>&1
check "make install DESTDIR=STAGE PREFIX=/usr" test $? = 0
{
  echo "d ."
  printf 'd ./usr\nd ./usr/bin\nd ./usr/include\nd ./usr/lib\nd ./usr/lib/pkgconfig\n'
  echo "f ./usr/bin/nprof"
  echo "f ./usr/include/nprof.h"
  echo "f ./usr/lib/libnprof.a"
  echo "l ./usr/lib/libnprof.so"
  echo "l ./usr/lib/libnprof.so.$major"
  echo "f ./usr/lib/libnprof.so.$version"
  echo "f ./usr/lib/pkgconfig/nprof.pc"
  men=0
  for m in man/*.1 man/*.3; do
    [ -f "$m" ] || continue
    [ $men = 1 ] || printf 'd ./usr/share\nd ./usr/share/man\n'
    men=1
    echo "d ./usr/share/man/man${m##*.}"
    echo "f ./usr/share/man/man${m##*.}/${m##*/}"
  done
} | sort -u >"$tmp/expected"
listing "$stage" >"$tmp/staged"
check "the stage holds exactly the expected files ($(grep -vc '^d' "$tmp/expected") files and links)" \
  cmp -s "$tmp/expected" "$tmp/staged"
diff "$tmp/expected" "$tmp/staged" | grep '^[<>]' | head -n 5 | sed 's/^/     | /'

lib=$stage/usr/lib
check "libnprof.so -> libnprof.so.$major -> libnprof.so.$version" \
  bash -c "[ \"\$(readlink '$lib/libnprof.so')\" = libnprof.so.$major ] &&
           [ \"\$(readlink '$lib/libnprof.so.$major')\" = libnprof.so.$version ]"
check "the library's soname is libnprof.so.$major" \
  bash -c "readelf -d '$lib/libnprof.so.$version' | grep -q 'SONAME.*\[libnprof.so.$major\]'"
check "modes: nprof and the library 755, the rest 644" \
  bash -c "[ \"\$(stat -c %a '$stage/usr/bin/nprof' '$lib/libnprof.so.$version' '$lib/libnprof.a' \
           '$stage/usr/include/nprof.h' '$lib/pkgconfig/nprof.pc' | tr '\n' ' ')\" = '755 755 644 644 644 ' ]"
check "nprof.h is include/nprof.h" cmp -s include/nprof.h "$stage/usr/include/nprof.h"
pc=$lib/pkgconfig/nprof.pc
check "nprof.pc names the installed paths" \
  bash -c "grep -qx 'prefix=/usr' '$pc' && grep -qx 'libdir=\${prefix}/lib' '$pc' &&
           grep -qx 'includedir=\${prefix}/include' '$pc' && ! grep -q '$repo' '$pc'"
check "nprof.pc's Version is nprof -version's ($version)" grep -qx "Version: $version" "$pc"

# pc ARGS...: pkg-config on the staged nprof.pc only.
pc() { PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_LIBDIR=$lib/pkgconfig pkg-config "$@"; }
check "pkg-config --modversion nprof is $version" test "$(pc --modversion nprof)" = "$version"

# ---- a program of a library user, outside the tree
mkdir -p "$tmp/app"
cat >"$tmp/app/app.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nprof.h>

static char *kept[32];

/* What the heap profile must show: 32 MiB kept. */
__attribute__((noinline)) void hoard_for_install_test(void)
{
    for (int i = 0; i < 32; i++) {
        kept[i] = malloc(1 << 20);
        memset(kept[i], i, 1 << 20);
    }
}

int main(void)
{
    char bound[64];
    if (nprof_set_heap_rate(4096) != 0 || nprof_http_start("127.0.0.1:0", bound, sizeof bound) != 0) {
        perror("nprof");
        return 1;
    }
    hoard_for_install_test();
    printf("%s %s\n", nprof_version(), bound);
    fflush(stdout);
    for (;;)
        pause();
}
EOF

# serve NAME ENV...: runs $tmp/app/NAME until it prints "VERSION ADDR"; sets app_version,
# app_addr and app_pid.
serve() {
  local name=$1
  shift
  : >"$tmp/app/$name.out"
  env "$@" "$tmp/app/$name" >"$tmp/app/$name.out" 2>"$tmp/app/$name.err" &
  app_pid=$!
  apps+=("$app_pid")
  for _ in $(seq 100); do
    [ -s "$tmp/app/$name.out" ] && break
    sleep 0.1
  done
  read -r app_version app_addr <"$tmp/app/$name.out"
}

# served NAME: the heap it serves, read by the staged nprof.
served() {
  local name=$1
  check "$name: serves /debug/pprof/heap on ${app_addr:-nothing}" \
    curl -sf -o "$tmp/app/$name.heap.pb.gz" "http://${app_addr:-none}/debug/pprof/heap"
  "$stage/usr/bin/nprof" -top "$tmp/app/$name.heap.pb.gz" >"$tmp/app/$name.top" 2>&1
  check "$name: the staged nprof -top shows hoard_for_install_test" \
    grep -q ' hoard_for_install_test$' "$tmp/app/$name.top"
  "$stage/usr/bin/nprof" -comments "$tmp/app/$name.heap.pb.gz" >"$tmp/app/$name.comments" 2>&1
  check "$name: the profile's comment names the version ($(head -n 1 "$tmp/app/$name.comments"))" \
    grep -qx "# written by libnprof $version" "$tmp/app/$name.comments"
  if command -v go >/dev/null; then
    check "$name: go tool pprof -comments shows it too" \
      bash -c "go tool pprof -comments '$tmp/app/$name.heap.pb.gz' 2>/dev/null | grep -qx '# written by libnprof $version'"
  fi
  kill "$app_pid" 2>/dev/null
}

cc -o "$tmp/app/shared" "$tmp/app/app.c" $(pc --cflags --libs nprof) 2>"$tmp/app/shared.cc"
check "a program built with pkg-config --cflags --libs nprof links ($(pc --cflags --libs nprof | sed "s|$stage|STAGE|g"))" \
  test -x "$tmp/app/shared"
check "shared: it needs libnprof.so.$major" \
  bash -c "readelf -d '$tmp/app/shared' | grep -q 'NEEDED.*\[libnprof.so.$major\]'"
serve shared LD_LIBRARY_PATH="$lib"
check "shared: nprof_version() is nprof -version's ($app_version)" test "$app_version" = "$version"
check "shared: it runs the staged library" \
  grep -q "$lib/libnprof.so.$version" "/proc/$app_pid/maps"
served shared

static_libs=$(pc --static --libs nprof | sed 's/-lnprof\b/-l:libnprof.a/')
cc -o "$tmp/app/static" "$tmp/app/app.c" $(pc --cflags nprof) $static_libs 2>"$tmp/app/static.cc"
check "a program linked with libnprof.a (pkg-config --static) links" test -x "$tmp/app/static"
check "static: it needs no libnprof.so" bash -c "! readelf -d '$tmp/app/static' | grep -q libnprof"
serve static
check "static: nprof_version() is $version" test "$app_version" = "$version"
served static

# The in-tree nprof.pc, for building against the build folder.
cc -o "$tmp/app/tree" "$tmp/app/app.c" \
  $(PKG_CONFIG_LIBDIR="$build" pkg-config --cflags --libs nprof) 2>"$tmp/app/tree.cc"
check "a program built with the build folder's nprof.pc links" test -x "$tmp/app/tree"
serve tree LD_LIBRARY_PATH="$build"
check "tree: it runs the build folder's library (LD_LIBRARY_PATH=$(basename "$build"))" \
  grep -q "$build/libnprof.so" "/proc/$app_pid/maps"
kill "$app_pid" 2>/dev/null

# The staged nprof alone gives the build's reports.
for f in build/profiles/heap.pb.gz build/profiles/cpu.pb.gz; do
  [ -f "$f" ] || continue
  "$nprof" -top "$f" >"$tmp/build.top" 2>&1
  "$stage/usr/bin/nprof" -top "$f" >"$tmp/staged.top" 2>&1
  check "the staged nprof -top $(basename "$f") is the build's" cmp -s "$tmp/build.top" "$tmp/staged.top"
done

# ---- uninstall
mk uninstall DESTDIR="$stage" PREFIX=/usr >"$tmp/uninstall.out" 2>&1
check "make uninstall DESTDIR=STAGE PREFIX=/usr" test $? = 0
check "make uninstall leaves nothing: not even the stage it created ($(listing "$stage" | wc -l) left)" \
  test ! -e "$stage"

# A prefix that holds other things, an empty folder among them: install and uninstall give it
# back as it was.
pre=$tmp/pre
mkdir -p "$pre/usr/lib/x86_64-linux-gnu" "$pre/usr/bin" "$pre/usr/include" "$pre/usr/share/man/man1"
echo other >"$pre/usr/bin/other-tool"
echo other >"$pre/usr/lib/libother.so.1"
echo other >"$pre/usr/share/man/man1/other-tool.1"
listing "$pre" >"$tmp/pre.before"
mk install DESTDIR="$pre" PREFIX=/usr >/dev/null 2>&1
check "install into a prefix with other files: nprof is there" test -x "$pre/usr/bin/nprof"
mk uninstall DESTDIR="$pre" PREFIX=/usr >/dev/null 2>&1
listing "$pre" >"$tmp/pre.after"
check "uninstall there keeps the other files and every folder that was there" \
  cmp -s "$tmp/pre.before" "$tmp/pre.after"
diff "$tmp/pre.before" "$tmp/pre.after" | grep '^[<>]' | head -n 5 | sed 's/^/     | /'

# GNU's directory variables, and PREFIX's default.
alt=$tmp/alt
mk install DESTDIR="$alt" LIBDIR=/usr/lib64 BINDIR=/opt/nprof/bin INCLUDEDIR=/usr/include/np \
  PREFIX=/usr >/dev/null 2>&1
check "LIBDIR, BINDIR and INCLUDEDIR are honoured, and nprof.pc follows them" \
  bash -c "[ -x '$alt/opt/nprof/bin/nprof' ] && [ -f '$alt/usr/lib64/libnprof.so.$version' ] &&
           [ -f '$alt/usr/include/np/nprof.h' ] && grep -qx 'libdir=\${prefix}/lib64' '$alt/usr/lib64/pkgconfig/nprof.pc' &&
           grep -qx 'includedir=\${prefix}/include/np' '$alt/usr/lib64/pkgconfig/nprof.pc'"
mk uninstall DESTDIR="$alt" LIBDIR=/usr/lib64 BINDIR=/opt/nprof/bin INCLUDEDIR=/usr/include/np \
  PREFIX=/usr >/dev/null 2>&1
check "... and uninstalled from there leave nothing" test ! -e "$alt"
def=$tmp/def
mk install DESTDIR="$def" >/dev/null 2>&1
check "PREFIX defaults to /usr/local" \
  bash -c "[ -x '$def/usr/local/bin/nprof' ] && grep -qx 'prefix=/usr/local' '$def/usr/local/lib/pkgconfig/nprof.pc'"
mk uninstall DESTDIR="$def" >/dev/null 2>&1
check "... and uninstalled leave nothing" test ! -e "$def"

# The README tells how, and its quick start stays two commands.
check "README documents make install and make uninstall with PREFIX and DESTDIR" \
  bash -c "grep -q '^    make install' README.md && grep -q '^    make uninstall' README.md &&
           grep -q 'PREFIX' README.md && grep -q 'DESTDIR' README.md"
quick=$(sed -n '/^## Quick start/,/^## /p' README.md | grep -c '^    ')
check "README's quick start is still two commands ($quick)" test "$quick" = 2

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# install.sh install|uninstall -- what `make install` and `make uninstall` run (tools/install.mk
# passes DESTDIR, PREFIX, BINDIR, LIBDIR, INCLUDEDIR, MANDIR, PKGCONFIGDIR, INSTALL, VERSION,
# SONAME and BUILD). Directories that install creates are noted in $BUILD/install-dirs, so
# that uninstall removes those (when empty) and never one that was there before.
set -eu
cd "$(dirname "$0")/.."
: "${DESTDIR=}"
record=$BUILD/install-dirs
real=libnprof.so.$VERSION

run() {
    echo "$*"
    "$@"
}

# The man pages in the tree, each with the folder of its section.
man_pages() {
    for f in man/*.1 man/*.3; do
        [ -f "$f" ] && printf '%s man%s\n' "$f" "${f##*.}"
    done
    return 0
}

# Every file install puts there, with DESTDIR.
installed_files() {
    printf '%s\n' "$DESTDIR$BINDIR/nprof" "$DESTDIR$LIBDIR/$real" "$DESTDIR$LIBDIR/$SONAME" \
        "$DESTDIR$LIBDIR/libnprof.so" "$DESTDIR$LIBDIR/libnprof.a" "$DESTDIR$INCLUDEDIR/nprof.h" \
        "$DESTDIR$PKGCONFIGDIR/nprof.pc"
    man_pages | while read -r f sec; do
        printf '%s\n' "$DESTDIR$MANDIR/$sec/${f##*/}"
    done
}

# mkdirs DIR -- creates DIR and its missing parents, noting each one created.
mkdirs() {
    d=$1 missing=
    while [ ! -d "$d" ]; do
        missing="$d
$missing"
        d=$(dirname "$d")
    done
    [ -n "$missing" ] || return 0
    run "$INSTALL" -d "$1"
    mkdir -p "$BUILD"
    printf '%s' "$missing" >>"$record"
}

# A path under the prefix is written relative to ${prefix}, as pkg-config files usually are.
pc_path() {
    case $1 in
    "$PREFIX"/*) printf '${prefix}/%s' "${1#"$PREFIX"/}" ;;
    *) printf '%s' "$1" ;;
    esac
}

do_install() {
    for d in "$BINDIR" "$LIBDIR" "$INCLUDEDIR" "$PKGCONFIGDIR"; do
        mkdirs "$DESTDIR$d"
    done
    run "$INSTALL" -m 755 "$BUILD/nprof" "$DESTDIR$BINDIR/nprof"
    run "$INSTALL" -m 755 "$BUILD/libnprof.so" "$DESTDIR$LIBDIR/$real"
    run ln -sf "$real" "$DESTDIR$LIBDIR/$SONAME"
    run ln -sf "$SONAME" "$DESTDIR$LIBDIR/libnprof.so"
    run "$INSTALL" -m 644 "$BUILD/libnprof.a" "$DESTDIR$LIBDIR/libnprof.a"
    run "$INSTALL" -m 644 include/nprof.h "$DESTDIR$INCLUDEDIR/nprof.h"
    sed -e "s|@PREFIX@|$PREFIX|" -e "s|@LIBDIR@|$(pc_path "$LIBDIR")|" \
        -e "s|@INCLUDEDIR@|$(pc_path "$INCLUDEDIR")|" -e "s|@VERSION@|$VERSION|" \
        tools/nprof.pc.in >"$BUILD/nprof-installed.pc"
    run "$INSTALL" -m 644 "$BUILD/nprof-installed.pc" "$DESTDIR$PKGCONFIGDIR/nprof.pc"
    man_pages | while read -r f sec; do
        mkdirs "$DESTDIR$MANDIR/$sec"
        run "$INSTALL" -m 644 "$f" "$DESTDIR$MANDIR/$sec/${f##*/}"
    done
    refresh_cache
}

# Into the live system (no DESTDIR) as root: the loader's cache learns of libnprof.so.N at once,
# so that programs linked with -lnprof start without LD_LIBRARY_PATH.
refresh_cache() {
    if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then
        run ldconfig
    fi
}

# is_target_dir DIR -- whether DIR is one of the folders install writes into, or above one.
is_target_dir() {
    for t in "$BINDIR" "$LIBDIR" "$INCLUDEDIR" "$PKGCONFIGDIR" "$MANDIR/man1" "$MANDIR/man3"; do
        case $DESTDIR$t/ in
        "$1"/*) return 0 ;;
        esac
    done
    return 1
}

do_uninstall() {
    installed_files | while read -r f; do
        if [ -e "$f" ] || [ -L "$f" ]; then
            run rm -f "$f"
        fi
    done
    refresh_cache
    [ -f "$record" ] || return 0
    # Deepest first, so that a folder is empty when its parent is tried.
    sort -r -u "$record" | while read -r d; do
        if [ -d "$d" ] && is_target_dir "$d" && rmdir "$d" 2>/dev/null; then
            echo "rmdir $d"
        fi
    done
    # What is still there stays noted: a later uninstall may find it empty.
    while read -r d; do
        if [ -d "$d" ]; then printf '%s\n' "$d"; fi
    done <"$record" >"$record.new"
    if [ -s "$record.new" ]; then mv "$record.new" "$record"; else rm -f "$record.new" "$record"; fi
}

case ${1:-} in
install) do_install ;;
uninstall) do_uninstall ;;
*)
    echo "usage: tools/install.sh install|uninstall (run by make install, make uninstall)" >&2
    exit 2
    ;;
esac

#!/bin/sh
# Builds every libFuzzer target fuzz/fuzz_*.c into build-fuzz/ (clang, ASan + UBSan), and the
# seed corpora into build-fuzz/seeds/NAME/ from real profiles found on this machine plus the
# hand-written seeds in fuzz/seeds/. Usage: tools/build-fuzz.sh   (from any directory)
# Env: CC_FUZZ (default clang), FUZZ_OUT (default build-fuzz).
set -eu
cd "$(dirname "$0")/.."

CC=${CC_FUZZ:-clang}
OUT=${FUZZ_OUT:-build-fuzz}
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -iquote src -iquote include"
# As the Makefile: what the analyzer links (only archive members a target uses are pulled in).
LIBS="-ldl -ledit -lz -lm -lpthread" # libcurl is opened at run time (src/analyze/curl_dl.c)

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build-fuzz: $CC not found (install clang)" >&2
    exit 1
fi

# libFuzzer's runtime ships in a separate package on Debian (libclang-rt-NN-dev).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
    cat "$probe/err" >&2
    echo "build-fuzz: $CC cannot link -fsanitize=fuzzer; install libclang-rt-\$(clang major version)-dev" >&2
    exit 1
fi

# Library objects are compiled once (without the fuzzer's main) and linked into every target.
mkdir -p "$OUT/obj"
SRCS=$(ls src/core/*.c src/core/*/*.c src/analyze/*.c src/analyze/*/*.c | grep -v '^src/analyze/main\.c$')
objs=""
failed_lib=0
for src in $SRCS; do
    obj="$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
    objs="$objs $obj"
    # Recompile when the source or any project header is newer than the object.
    if [ -f "$obj" ] && [ -z "$(find "$src" src/core src/analyze include -name '*.[ch]' -newer "$obj" 2>/dev/null | head -1)" ]; then
        continue
    fi
    echo "  CC $src" >&2
    # -fsanitize=fuzzer-no-link instruments for coverage without pulling in libFuzzer's main.
    # The legacy parsers' regexp engine runs the same fixed patterns whatever the input: tracing
    # its comparisons took most of fuzz_legacy's time and guides nothing that the parsers' own
    # coverage does not, so it is built with the sanitizers only.
    case $src in
    src/analyze/formats/legacy_re.c) cov='' ;;
    *) cov='fuzzer-no-link,' ;;
    esac
    if ! $CC $(echo "$FLAGS" | sed "s/-fsanitize=fuzzer,/-fsanitize=$cov/") -c "$src" -o "$obj"; then
        failed_lib=1
        rm -f "$obj"
    fi
done
# The web assets, compiled in as the Makefile does (tools/embed.py).
for asset in src/analyze/report/assets/*; do
    [ -f "$asset" ] || continue
    gen="$OUT/obj/asset_$(basename "$asset" | tr . _).c"
    python3 tools/embed.py "$asset" "$gen" && $CC $(echo "$FLAGS" | sed "s/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,/") -c "$gen" -o "${gen%.c}.o" && objs="$objs ${gen%.c}.o"
done
# An archive, so a target pulls in only the objects it needs: a module that does not compile
# (mid-edit elsewhere) fails only the targets that use it, and the run still reports it.
rm -f "$OUT/libnpfuzz.a"
have=""
for o in $objs; do [ -f "$o" ] && have="$have $o"; done
ar rcs "$OUT/libnpfuzz.a" $have
if [ "$failed_lib" != 0 ]; then
    echo "build-fuzz: some library sources failed to compile (see above)" >&2
fi

built=0
failed=0
for t in fuzz/fuzz_*.c; do
    name=$(basename "$t" .c)
    echo "  LD $OUT/$name" >&2
    rm -f "$OUT/$name"
    if $CC $FLAGS -iquote fuzz "$t" "$OUT/libnpfuzz.a" $LIBS -o "$OUT/$name"; then
        built=$((built + 1))
    else
        echo "build-fuzz: $name failed to build" >&2
        failed=$((failed + 1))
    fi
done

# Seed corpora. Real profiles are copied at build time, never committed.
seed_dir() { # target name -> fresh seed directory
    rm -rf "$OUT/seeds/$1"
    mkdir -p "$OUT/seeds/$1"
    echo "$OUT/seeds/$1"
}
add_seed() { # dir file [prefix]: copies file under a unique name
    [ -f "$2" ] || return 0
    cp "$2" "$1/${3:-}$(echo "$2" | tr / _ | sed 's/^_*//')"
}
GO_PROFILES=../shared/testdata/go/profiles # beside the repository, when present
PPROF=/usr/share/gocode/src/github.com/google/pprof

d=$(seed_dir fuzz_decode)
for f in $(find "$GO_PROFILES" build/profiles "$PPROF/internal/driver/testdata" \
        "$PPROF/internal/report/testdata" -type f 2>/dev/null | sort); do
    if gzip -t "$f" 2>/dev/null; then
        add_seed "$d" "$f"
        # The uncompressed message too, so mutations reach the decoder without gzip's CRC.
        gzip -dc "$f" >"$d/raw_$(echo "$f" | tr / _ | sed 's/^_*//')" 2>/dev/null || true
    fi
done
for f in fuzz/seeds/decode/*; do add_seed "$d" "$f" seed_; done

d=$(seed_dir fuzz_legacy)
for f in $(find "$PPROF/profile/testdata" "$GO_PROFILES" build/profiles -type f \
        ! -name '*.string' ! -name '*.gz' ! -name '*.html' 2>/dev/null | sort); do
    add_seed "$d" "$f"
done
for f in fuzz/seeds/legacy/*; do add_seed "$d" "$f" seed_; done
# A minimal gperftools CPU profile (64-bit little-endian words: header 0 3 0 period 0, records
# count depth pcs..., trailer 0 1 0), then its MAPPED_LIBRARIES text, made here as it is binary.
if command -v perl >/dev/null 2>&1; then
    perl -e 'print pack("Q<*", 0, 3, 0, 10000, 0, 5, 2, 0x401010, 0x402020, 1, 1, 0x401010, 0, 1, 0),
        "7f0000000000-7f0000100000 r-xp 00000000 08:01 42 /usr/lib/libserver.so\n"' \
        >"$d/seed_cpu_gperftools.bin"
fi

d=$(seed_dir fuzz_jemalloc)
for f in fuzz/seeds/jemalloc/* build/jemalloc/*.heap build/jemalloc/damaged/*.heap; do
    [ -f "$f" ] && add_seed "$d" "$f" seed_
done
d=$(seed_dir fuzz_perfscript)
for f in fuzz/seeds/perfscript/*; do add_seed "$d" "$f" seed_; done

d=$(seed_dir fuzz_symbolz)
for f in fuzz/seeds/symbolz/*; do add_seed "$d" "$f" seed_; done
d=$(seed_dir fuzz_objdump)
for f in fuzz/seeds/objdump/*; do add_seed "$d" "$f" seed_; done

# The graph reports' DOT text of the test profiles (when they and nprof are built), plain and
# with tags, as the web UI's Graph view draws it.
d=$(seed_dir fuzz_dot)
if [ -x build/nprof ]; then
    for f in build/profiles/*.pb.gz; do
        [ -f "$f" ] || continue
        build/nprof -dot "$f" >"$d/$(basename "$f" .pb.gz).dot" 2>/dev/null || true
    done
fi
for f in fuzz/seeds/dot/*; do add_seed "$d" "$f" seed_; done

d=$(seed_dir fuzz_httpresp)
for f in fuzz/seeds/httpresp/*; do add_seed "$d" "$f" seed_; done

# Go line tables cut out of the Go binaries the tests build (tests/go/make-profiles.sh,
# tests/gobin.sh), when they are there.
d=$(seed_dir fuzz_gopcln)
if command -v objcopy >/dev/null 2>&1; then
    for f in build/go/bin/* build/gobin/*/symgen; do
        [ -f "$f" ] || continue
        objcopy -O binary --only-section=.gopclntab "$f" "$d/$(echo "$f" | tr / _)" 2>/dev/null || true
    done
fi
for f in fuzz/seeds/gopcln/*; do add_seed "$d" "$f" seed_; done

for s in "$OUT"/seeds/*; do
    echo "  seeds $(basename "$s"): $(ls "$s" | wc -l) files"
done
echo "build-fuzz: $built built, $failed failed (run: tools/run-fuzz.sh [RUNS])"
[ "$failed" = 0 ] && [ "$failed_lib" = 0 ]

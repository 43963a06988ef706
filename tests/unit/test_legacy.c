/* Unit tests for the legacy-format parsers (legacy*.c): pprof's own test profiles compared
 * with their golden Profile.String() text, small cases whose expected text came from pprof,
 * and malformed input (truncated, garbage, absurd counts) that must fail cleanly. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/gz.h"
#include "analyze/formats/legacy.h"
#include "analyze/formats/legacy_int.h"
#include "unit.h"

#define PPROF_TESTDATA "/usr/share/gocode/src/github.com/google/pprof/profile/testdata"

/* Parses data (gunzipped if needed); returns np_legacy_parse's result. */
static int parse(const char *data, size_t len, np_profile **p, np_err *err)
{
    np_buf raw = {0};
    if (np_is_gzip(data, len)) {
        if (np_gunzip(data, len, &raw, err) < 0)
            return -1;
        data = raw.data ? raw.data : "";
        len = raw.len;
    }
    int rc = np_legacy_parse(data, len, p, err);
    np_buf_free(&raw);
    return rc;
}

/* The -raw text of a parse, or "ERROR: msg" / "UNRECOGNIZED". */
static char *render(const char *data, size_t len)
{
    np_profile *p = NULL;
    np_err err = {{0}};
    int rc = parse(data, len, &p, &err);
    np_buf out = {0};
    if (rc > 0)
        np_profile_raw(p, &out);
    else if (rc == 0)
        np_buf_puts(&out, "UNRECOGNIZED");
    else
        np_buf_printf(&out, "ERROR: %s", err.msg);
    np_profile_free(p);
    np_buf_cstr(&out);
    return out.data;
}

/* Prints the first differing line of two texts, to keep failures readable. */
static void show_diff(const char *name, const char *got, const char *want)
{
    int line = 1;
    const char *g = got, *w = want;
    while (*g && *g == *w) {
        if (*g == '\n')
            line++;
        g++, w++;
    }
    while (g > got && g[-1] != '\n')
        g--, w--;
    fprintf(stderr, "  %s: first difference at line %d\n    got:  %.*s\n    want: %.*s\n", name, line,
            (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}

/* ---- pprof's testdata ---- */

static bool read_file(const char *path, np_buf *b)
{
    np_err err;
    b->len = 0;
    return np_read_file(path, b, &err) == 0;
}

TEST(pprof_testdata_golden)
{
    setenv("TZ", "UTC", 1);
    tzset();
    DIR *dir = opendir(PPROF_TESTDATA);
    if (!dir)
        SKIP(PPROF_TESTDATA " not found");
    int compared = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 8 || strcmp(e->d_name + n - 7, ".string") != 0)
            continue;
        char in_path[1024], gold_path[1024];
        snprintf(gold_path, sizeof gold_path, "%s/%s", PPROF_TESTDATA, e->d_name);
        snprintf(in_path, sizeof in_path, "%s/%.*s", PPROF_TESTDATA, (int)(n - 7), e->d_name);
        np_buf in = {0}, gold = {0};
        if (read_file(in_path, &in) && read_file(gold_path, &gold)) {
            char *got = render(in.data ? in.data : "", in.len);
            bool same = strcmp(got, np_buf_cstr(&gold)) == 0;
            CHECK(same);
            if (!same)
                show_diff(in_path, got, gold.data);
            free(got);
            compared++;
        }
        np_buf_free(&in);
        np_buf_free(&gold);
    }
    closedir(dir);
    CHECK(compared >= 14);
}

/* ---- small cases, expected text from pprof ----
 * Each expected text is what github.com/google/pprof/profile (the version in /usr/share/gocode)
 * produces for the input: parseLegacy + CheckValid, then Profile.String(); rc 0 means pprof
 * said "unrecognized profile format", -1 another error. drop is the start of DropFrames. */
static const struct golden {
    const char *name;
    int rc;
    const char *drop;
    size_t len;
    const char *in, *want;
} goldens[] = {
    {"goroutine1", 1, "ProfileData::Add", 694,
        "goroutine profile: total 12\n"
        "10 @ 0x42f0a6 0x43f1c5 0x6b2f14 0x45d3a1\n"
        "#\t0x6b2f13\tmain.worker+0x33\t/src/main.go:42\n"
        "# labels: {\"k\":\"v\"}\n"
        "\n"
        "2 @ 0x42f0a6 0x40aa9b 0x7f0000001234\n"
        "010 @ 0x1 0x2\n"
        "\n"
        "---\n"
        "MAPPED_LIBRARIES:\n"
        "00400000-00452000 r-xp 00000000 08:01 1234   /usr/bin/server\n"
        "00651000-00652000 r--p 00051000 08:01 1234   /usr/bin/server\n"
        "00652000-00653000 rw-p 00052000 08:01 1234   /usr/bin/server\n"
        "7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /lib/x86_64-linux-gnu/libc-2.31.so\n"
        "7f0000100000-7f0000200000 r-xp 00100000 08:01 99 /lib/x86_64-linux-gnu/libc-2.31.so\n"
        "7f0000300000-7f0000301000 r-xp 00000000 00:00 0 [vdso]\n"
        "7f0000400000-7f0000500000 r-xp 00000000 08:01 77 /opt/app/libfoo.so.1 (deleted)\n",
        "PeriodType: goroutine count\n"
        "Period: 1\n"
        "Samples:\n"
        "goroutine/count\n"
        "         10: 1 2 3 4 \n"
        "          2: 1 5 6 \n"
        "          8: 7 8 \n"
        "Locations\n"
        "     1: 0x42f0a5 M=1 \n"
        "     2: 0x43f1c4 M=1 \n"
        "     3: 0x6b2f13 M=5 \n"
        "     4: 0x45d3a0 M=5 \n"
        "     5: 0x40aa9a M=1 \n"
        "     6: 0x7f0000001233 M=2 \n"
        "     7: 0x0 \n"
        "     8: 0x1 M=5 \n"
        "Mappings\n"
        "1: 0x400000/0x452000/0x0 /usr/bin/server  \n"
        "2: 0x7f0000000000/0x7f0000200000/0x0 /lib/x86_64-linux-gnu/libc-2.31.so  \n"
        "3: 0x7f0000300000/0x7f0000301000/0x0 [vdso]  \n"
        "4: 0x7f0000400000/0x7f0000500000/0x0 /opt/app/libfoo.so.1  \n"
        "5: 0x0/0xffffffffffffffff/0x0   \n"},
    {"threadcreate1", 1, "ProfileData::Add", 562,
        "threadcreate profile: total 3\n"
        "3 @ 0x400100 0x400200\n"
        "---\n"
        "--- Memory map: ---\n"
        "00400000-00452000 r-xp 00000000 08:01 1234   /usr/bin/server\n"
        "00651000-00652000 r--p 00051000 08:01 1234   /usr/bin/server\n"
        "00652000-00653000 rw-p 00052000 08:01 1234   /usr/bin/server\n"
        "7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /lib/x86_64-linux-gnu/libc-2.31.so\n"
        "7f0000100000-7f0000200000 r-xp 00100000 08:01 99 /lib/x86_64-linux-gnu/libc-2.31.so\n"
        "7f0000300000-7f0000301000 r-xp 00000000 00:00 0 [vdso]\n"
        "7f0000400000-7f0000500000 r-xp 00000000 08:01 77 /opt/app/libfoo.so.1 (deleted)\n",
        "PeriodType: threadcreate count\n"
        "Period: 1\n"
        "Samples:\n"
        "threadcreate/count\n"
        "          3: 1 2 \n"
        "Locations\n"
        "     1: 0x4000ff M=1 \n"
        "     2: 0x4001ff M=1 \n"
        "Mappings\n"
        "1: 0x400000/0x452000/0x0 /usr/bin/server  \n"
        "2: 0x7f0000000000/0x7f0000200000/0x0 /lib/x86_64-linux-gnu/libc-2.31.so  \n"
        "3: 0x7f0000300000/0x7f0000301000/0x0 [vdso]  \n"
        "4: 0x7f0000400000/0x7f0000500000/0x0 /opt/app/libfoo.so.1  \n"},
    {"goheap1", 1, "calloc", 193,
        "heap profile: 3: 4096 [10: 81920] @ heap/1048576\n"
        "1: 1024 [5: 40960] @ 0x400100 0x400200 0x400300\n"
        "2: 3072 [5: 40960] @ 0x400100 0x400400\n"
        "0: 0 [0: 0] @ 0x400500\n"
        "\n"
        "# runtime.MemStats\n"
        "# Alloc = 123\n",
        "PeriodType: space bytes\n"
        "Period: 524288\n"
        "Samples:\n"
        "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes\n"
        "        322    2641973        512     524800: 1 2 3 \n"
        "                bytes:[1024]\n"
        "        322    2641973        683    1050112: 1 4 \n"
        "                bytes:[1536]\n"
        "          0          0          0          0: 5 \n"
        "                bytes:[0]\n"
        "Locations\n"
        "     1: 0x4000ff M=1 \n"
        "     2: 0x4001ff M=1 \n"
        "     3: 0x4002ff M=1 \n"
        "     4: 0x4003ff M=1 \n"
        "     5: 0x4004ff M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"heapv2", 1, "calloc", 159,
        "heap profile: 2: 200 [2: 200] @ heap_v2/524288\n"
        "1: 100 [1: 100] @ 0x1000 0x2000\n"
        "1: 100 [1: 100] @ 0x3000\n"
        "MAPPED_LIBRARIES:\n"
        "0x1000-0x4000 /bin/x (@100) deadbeef\n",
        "PeriodType: space bytes\n"
        "Period: 524288\n"
        "Samples:\n"
        "objects/count space/bytes\n"
        "       5243     524338: 1 2 \n"
        "                bytes:[100]\n"
        "       5243     524338: 3 \n"
        "                bytes:[100]\n"
        "Locations\n"
        "     1: 0xfff M=1 \n"
        "     2: 0x1fff M=1 \n"
        "     3: 0x2fff M=1 \n"
        "Mappings\n"
        "1: 0xf00/0x4000/0x0 /bin/x deadbeef \n"},
    {"heapz", 1, "calloc", 76,
        "heap profile: 2: 200 [ 4: 400] @ heapz_v2/0\n"
        "1: 100 [2: 200] @ 0x1000 0x2000\n",
        "PeriodType: space bytes\n"
        "Period: 0\n"
        "Samples:\n"
        "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes\n"
        "          2        200          1        100: 1 2 \n"
        "                bytes:[100]\n"
        "Locations\n"
        "     1: 0xfff M=1 \n"
        "     2: 0x1fff M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"heapprof", 1, "calloc", 99,
        "heap profile:   5:   500 [   5:   500] @ heapprofile\n"
        "     5:   500 [     5:   500] @ 0x1000 0x2000\n",
        "PeriodType: space bytes\n"
        "Period: 1\n"
        "Samples:\n"
        "objects/count space/bytes\n"
        "          5        500: 1 2 \n"
        "                bytes:[100]\n"
        "Locations\n"
        "     1: 0xfff M=1 \n"
        "     2: 0x1fff M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"frag", 1, "calloc", 64,
        "heap profile: 1: 2 [ 3: 4] @ fragmentationz\n"
        "1: 2 [3: 4] @ 0xaaa\n",
        "PeriodType: space bytes\n"
        "Period: 1\n"
        "Samples:\n"
        "objects/count space/bytes\n"
        "          1          2: 1 \n"
        "                bytes:[2]\n"
        "Locations\n"
        "     1: 0xaa9 M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"growth2", 1, "calloc", 57,
        "heap profile: 1: 2 [ 3: 4] @ growthz\n"
        "1: 2 [3: 4] @ 0xaaa\n",
        "PeriodType: space bytes\n"
        "Period: 1\n"
        "Samples:\n"
        "objects/count space/bytes\n"
        "          1          2: 1 \n"
        "                bytes:[2]\n"
        "Locations\n"
        "     1: 0xaa9 M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"heapneg", 1, "calloc", 60,
        "heap profile: 1: 2 [ 3: 4] @ heap/2\n"
        "-1: -200 [3: 4] @ 0xaaa\n",
        "PeriodType: space bytes\n"
        "Period: 1\n"
        "Samples:\n"
        "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes\n"
        "          3          4         -1       -200: 1 \n"
        "                bytes:[200]\n"
        "Locations\n"
        "     1: 0xaa9 M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"mutex1", 1, "RecordLockProfileData", 104,
        "--- mutex:\n"
        "cycles/second=2000000000\n"
        "sampling period=5\n"
        "   1000 3 @ 0x400100 0x400200\n"
        "   500 1 @ 0x400100\n",
        "PeriodType: contentions count\n"
        "Period: 5\n"
        "Samples:\n"
        "contentions/count delay/nanoseconds\n"
        "         15       2500: 1 2 \n"
        "          5       1250: 1 \n"
        "Locations\n"
        "     1: 0x4000ff M=1 \n"
        "     2: 0x4001ff M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"contention1", 1, "RecordLockProfileData", 58,
        "--- contention:\n"
        "cycles/second=1000000000\n"
        "12 2 @ 0x10 0x20\n",
        "PeriodType: contentions count\n"
        "Period: 1\n"
        "Samples:\n"
        "contentions/count delay/nanoseconds\n"
        "          2         12: 1 2 \n"
        "Locations\n"
        "     1: 0xf M=1 \n"
        "     2: 0x1f M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"threadz2", 1, "ProfileData::Add", 743,
        "--- threadz 2 ---\n"
        "some preamble\n"
        "--- Thread 1 (name: a/1) stack: ---\n"
        "  0x1000 0x2000\n"
        "--- Thread 2 (name: b/2) stack: ---\n"
        "  [same as previous thread]\n"
        "--- Thread 3 (name: c/3) stack: ---\n"
        "  PC: 0x1001\n"
        "  0x1002\n"
        "---- no stack trace for thread 4\n"
        "MAPPED_LIBRARIES:\n"
        "00400000-00452000 r-xp 00000000 08:01 1234   /usr/bin/server\n"
        "00651000-00652000 r--p 00051000 08:01 1234   /usr/bin/server\n"
        "00652000-00653000 rw-p 00052000 08:01 1234   /usr/bin/server\n"
        "7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /lib/x86_64-linux-gnu/libc-2.31.so\n"
        "7f0000100000-7f0000200000 r-xp 00100000 08:01 99 /lib/x86_64-linux-gnu/libc-2.31.so\n"
        "7f0000300000-7f0000301000 r-xp 00000000 00:00 0 [vdso]\n"
        "7f0000400000-7f0000500000 r-xp 00000000 08:01 77 /opt/app/libfoo.so.1 (deleted)\n",
        "PeriodType: thread count\n"
        "Period: 1\n"
        "Samples:\n"
        "thread/count\n"
        "          2: 1 2 \n"
        "          1: 3 3 \n"
        "Locations\n"
        "     1: 0x1000 M=5 \n"
        "     2: 0x1fff M=5 \n"
        "     3: 0x1001 M=5 \n"
        "Mappings\n"
        "1: 0x400000/0x452000/0x0 /usr/bin/server  \n"
        "2: 0x7f0000000000/0x7f0000200000/0x0 /lib/x86_64-linux-gnu/libc-2.31.so  \n"
        "3: 0x7f0000300000/0x7f0000301000/0x0 [vdso]  \n"
        "4: 0x7f0000400000/0x7f0000500000/0x0 /opt/app/libfoo.so.1  \n"
        "5: 0x0/0xffffffffffffffff/0x0   \n"},
    {"maps_brief", 1, "ProfileData::Add", 410,
        "goroutine profile: total 1\n"
        "1 @ 0x401000 0x7f0000001000 0x500000 0xffffffffffffffff\n"
        "--- Memory map: ---\n"
        "I0101 12:00:00.000000 1234 foo.cc:12] build=abc123\n"
        "  0x400000-0x480000 /bin/main (@0) $build\n"
        "  0x480000-0x490000 /bin/main (@80000) $build\n"
        "  7f0000000000-7f0000100000 r-xp /lib/libc.so.6 (@1000) ffff\n"
        "  7f0000100000-7f0000200000 ---p /lib/libc.so.6\n"
        "  attr = 7f\n"
        "  $attr0000300000 $attr0000400000 /lib/libz.so\n",
        "PeriodType: goroutine count\n"
        "Period: 1\n"
        "Samples:\n"
        "goroutine/count\n"
        "          1: 1 2 3 4 \n"
        "Locations\n"
        "     1: 0x400fff M=1 \n"
        "     2: 0x7f0000000fff M=2 \n"
        "     3: 0x4fffff M=4 \n"
        "     4: 0xfffffffffffffffe M=4 \n"
        "Mappings\n"
        "1: 0x400000/0x490000/0x0 /bin/main abc123 \n"
        "2: 0x7f0000000000/0x7f0000100000/0x1000 /lib/libc.so.6 ffff \n"
        "3: 0x7f0000300000/0x7f0000400000/0x0 /lib/libz.so  \n"
        "4: 0x0/0xffffffffffffffff/0x0   \n"},
    {"maps_huge", 1, "ProfileData::Add", 239,
        "threadcreate profile: total 1\n"
        "1 @ 0x400100 0x600100\n"
        "---\n"
        "MAPPED_LIBRARIES:\n"
        "00200000-00400000 r-xp 00000000 00:00 0 /anon_hugepage (deleted)\n"
        "00400000-00500000 r-xp 00200000 08:01 1 /bin/srv\n"
        "00600000-00700000 r-xp 00010000 08:01 1 /bin/other\n",
        "PeriodType: threadcreate count\n"
        "Period: 1\n"
        "Samples:\n"
        "threadcreate/count\n"
        "          1: 1 2 \n"
        "Locations\n"
        "     1: 0x4000ff M=1 \n"
        "     2: 0x6000ff M=2 \n"
        "Mappings\n"
        "1: 0x400000/0x500000/0x200000 /bin/srv  \n"
        "2: 0x600000/0x700000/0x10000 /bin/other  \n"},
    {"javaheap2", 1, "calloc", 99,
        "--- heapz 1 ---\n"
        "format = java\n"
        "resolution = bytes\n"
        "  100 2 @ 0x1 0x2\n"
        "  50 3 @ 0x3\n"
        "0x1 a.b (F.java:1)\n",
        "PeriodType:  \n"
        "Period: 0\n"
        "Samples:\n"
        "inuse_objects/count inuse_space/bytes\n"
        "      20972    1048626: 1 2 \n"
        "                bytes:[50]\n"
        "      94373    1572889: 3 \n"
        "                bytes:[16]\n"
        "Locations\n"
        "     1: 0x0 a.b F.java:1 s=0\n"
        "     2: 0x0 M=1 \n"
        "     3: 0x0 M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"javacont", 1, "RecordLockProfileData", 150,
        "--- contentionz 1 ---\n"
        "format = java\n"
        "resolution = microseconds\n"
        "sampling period = 10\n"
        "ms since reset = 100\n"
        "  5 2 @ 0x1 0x2\n"
        "0x1 GC\n"
        "0x2 generated stub/JIT\n",
        "PeriodType: contentions count\n"
        "Period: 10\n"
        "Duration: 100m\n"
        "Samples:\n"
        "contentions/count delay/microseconds\n"
        "         20         50: 1 2 \n"
        "Locations\n"
        "     1: 0x0 GC :0 s=0\n"
        "     2: 0x0 STUB :0 s=0\n"
        "Mappings\n"},
    {"cpu32l", 1, "ProfileData::Add", 137,
        "\000\000\000\000\003\000\000\000\000\000\000\000\020'\000\000\000\000\000\000\005\000"
        "\000\000\003\000\000\000\000\001@\000\000\002@\000\000\003@\000\002\000\000\000\003\000"
        "\000\000\001\001@\000\000\002@\000\000\004@\000\001\000\000\000\002\000\000\000\000\005"
        "@\000\000\006@\000\000\000\000\000\001\000\000\000\000\000\000\00000400000-00500000 r"
        "-xp 00000000 08:01 1 /bin/cpu\n",
        "PeriodType: cpu nanoseconds\n"
        "Period: 10000000\n"
        "Samples:\n"
        "samples/count cpu/nanoseconds\n"
        "          5   50000000: 1 2 3 \n"
        "          2   20000000: 4 2 5 \n"
        "          1   10000000: 6 7 \n"
        "Locations\n"
        "     1: 0x400100 M=1 \n"
        "     2: 0x4001ff M=1 \n"
        "     3: 0x4002ff M=1 \n"
        "     4: 0x400101 M=1 \n"
        "     5: 0x4003ff M=1 \n"
        "     6: 0x400500 M=1 \n"
        "     7: 0x4005ff M=1 \n"
        "Mappings\n"
        "1: 0x400000/0x500000/0x0 /bin/cpu  \n"},
    {"cpu64b", 1, "ProfileData::Add", 225,
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\003\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000'\020\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\005\000\000\000\000\000\000\000\003\000\000\000\000\000@\001\000\000\000"
        "\000\000\000@\002\000\000\000\000\000\000@\003\000\000\000\000\000\000\000\000\002\000"
        "\000\000\000\000\000\000\003\000\000\000\000\000@\001\001\000\000\000\000\000@\002\000"
        "\000\000\000\000\000@\004\000\000\000\000\000\000\000\000\001\000\000\000\000\000\000"
        "\000\002\000\000\000\000\000@\005\000\000\000\000\000\000@\006\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\00000400000-"
        "00500000 r-xp 00000000 08:01 1 /bin/cpu\n",
        "PeriodType: cpu nanoseconds\n"
        "Period: 10000000\n"
        "Samples:\n"
        "samples/count cpu/nanoseconds\n"
        "          5   50000000: 1 2 3 \n"
        "          2   20000000: 4 2 5 \n"
        "          1   10000000: 6 7 \n"
        "Locations\n"
        "     1: 0x400100 M=1 \n"
        "     2: 0x4001ff M=1 \n"
        "     3: 0x4002ff M=1 \n"
        "     4: 0x400101 M=1 \n"
        "     5: 0x4003ff M=1 \n"
        "     6: 0x400500 M=1 \n"
        "     7: 0x4005ff M=1 \n"
        "Mappings\n"
        "1: 0x400000/0x500000/0x0 /bin/cpu  \n"},
    {"cpu64trunc", 0, "", 72,
        "\000\000\000\000\000\000\000\000\003\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\020'\000\000\000\000\000\000\000\000\000\000\000\000\000\000\001\000\000\000"
        "\000\000\000\000\006\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\002\000"
        "\000\000\000\000\000\000",
        ""},
    {"cpunoeod", 1, "ProfileData::Add", 44,
        "\000\000\000\000\003\000\000\000\000\000\000\000\020'\000\000\000\000\000\000\001\000"
        "\000\000\002\000\000\000\020\000\000\000\021\000\000\000\001\000\000\000\000\000\000\000",
        "PeriodType: cpu nanoseconds\n"
        "Period: 10000000\n"
        "Samples:\n"
        "samples/count cpu/nanoseconds\n"
        "          1   10000000: 1 1 \n"
        "          1   10000000: \n"
        "Locations\n"
        "     1: 0x10 M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"cpujava", 1, "ProfileData::Add", 104,
        "\000\000\000\000\003\000\000\000\001\000\000\000d\000\000\000\000\000\000\000\003\000"
        "\000\000\002\000\000\000\020\000\000\000 \000\000\000\000\000\000\000\001\000\000\000"
        "\000\000\000\0000x10 com.foo.Bar (Bar.java:12)\n"
        "0x20 libc (/lib/libc.so)\n",
        "PeriodType: cpu nanoseconds\n"
        "Period: 100000\n"
        "Samples:\n"
        "samples/count cpu/nanoseconds\n"
        "          3     300000: 1 2 \n"
        "Locations\n"
        "     1: 0x0 com.foo.Bar Bar.java:12 s=0\n"
        "     2: 0x0 libc libc.so:0 s=0\n"
        "Mappings\n"},
    {"contentionz2", 1, "ProfileData::Add", 36,
        "--- contentionz 1 ---\n"
        "format = java\n",
        "PeriodType:  \n"
        "Period: 0\n"
        "Samples:\n"
        "\n"
        "Locations\n"
        "Mappings\n"},
    {"unknown_heap_kind", 0, "", 56,
        "heap profile: 1: 2 [3: 4] @ heapfoo/1\n"
        "1: 2 [3: 4] @ 0x1\n",
        ""},
    {"heap_bad_sample", -1, "", 61,
        "heap profile: 1: 2 [1: 2] @ heap/2\n"
        "1: 2 [1: 2] @ 0x1\n"
        "garbage\n",
        ""},
    {"heap_zero_count", -1, "", 53,
        "heap profile: 1: 2 [1: 2] @ heap/2\n"
        "0: 2 [0: 0] @ 0x1\n",
        ""},
    {"heap_overflow", -1, "", 72,
        "heap profile: 1: 2 [1: 2] @ heap/2\n"
        "99999999999999999999: 2 [1: 2] @ 0x1\n",
        ""},
    {"heap_addr_overflow", -1, "", 69,
        "heap profile: 1: 2 [1: 2] @ heap/2\n"
        "1: 2 [1: 2] @ 0x1ffffffffffffffff\n",
        ""},
    {"count_octal", 1, "ProfileData::Add", 43,
        "goroutine profile: total 9\n"
        "010 @ 0x10 0x20\n",
        "PeriodType: goroutine count\n"
        "Period: 1\n"
        "Samples:\n"
        "goroutine/count\n"
        "          8: 1 2 \n"
        "Locations\n"
        "     1: 0xf M=1 \n"
        "     2: 0x1f M=1 \n"
        "Mappings\n"
        "1: 0x0/0xffffffffffffffff/0x0   \n"},
    {"count_bad_octal", -1, "", 37,
        "goroutine profile: total 9\n"
        "09 @ 0x10\n",
        ""},
    {"count_bad_line", -1, "", 41,
        "goroutine profile: total 9\n"
        "1 @ 0x10 junk\n",
        ""},
    {"contention_java_attr", 1, "RecordLockProfileData", 38,
        "--- contentionz 1 ---\n"
        "resolution = ms\n",
        "PeriodType:  \n"
        "Period: 0\n"
        "Samples:\n"
        "contentions/count delay/ms\n"
        "Locations\n"
        "Mappings\n"},
    {"contention_no_match", 0, "", 37,
        "--- mutex:\n"
        "sampling period = 2\n"
        "1 2 3\n",
        ""},
    {"thread_eof", 0, "", 47,
        "--- Thread 1 (name: a/1) stack: ---\n"
        " 0x10 0x20\n",
        ""},
    {"empty", 0, "", 0,
        "",
        ""},
    {"garbage", 0, "", 12,
        "garbage text",
        ""},
    {"java_no_types", -1, "", 48,
        "--- heapz 1 ---\n"
        "format = java\n"
        " 10 2 @ 0x1\n"
        "0x1 f\n",
        ""},
    {"glog_maps", 1, "ProfileData::Add", 165,
        "threadcreate profile: total 2\n"
        "2 @ 0x7f0000000010\n"
        "---\n"
        "MAPPED_LIBRARIES:\n"
        "I0101 00:00:00.000000 1 x.cc:10] 7f0000000000-7f0000001000 r-xp 00000000 00:00 0 /lib"
        "/libx.so\n",
        "PeriodType: threadcreate count\n"
        "Period: 1\n"
        "Samples:\n"
        "threadcreate/count\n"
        "          2: 1 \n"
        "Locations\n"
        "     1: 0x7f000000000f M=1 \n"
        "Mappings\n"
        "1: 0x7f0000000000/0x7f0000001000/0x0 /lib/libx.so  \n"},
    {"cpu_depth_too_big", 0, "", 32,
        "\000\000\000\000\003\000\000\000\000\000\000\000d\000\000\000\000\000\000\000\001\000"
        "\000\000\377\377\377\377\001\000\000\000",
        ""},
    {"cpu64_depth_big", 0, "", 56,
        "\000\000\000\000\000\000\000\000\003\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000d\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\001\000\000\000"
        "\000\000\000\000\377\377\377\377\377\377\377\177",
        ""},
    {"subst_chain", 1, "ProfileData::Add", 108,
        "threadcreate profile: total 1\n"
        "1 @ 0x10\n"
        "---\n"
        "--- Memory map: ---\n"
        "a=x\n"
        "b=$a$a\n"
        "c=$b$b\n"
        "0-1000 r-xp 0 0:0 0 /$c/$b\n",
        "PeriodType: threadcreate count\n"
        "Period: 1\n"
        "Samples:\n"
        "threadcreate/count\n"
        "          1: 1 \n"
        "Locations\n"
        "     1: 0xf M=1 \n"
        "Mappings\n"
        "1: 0x0/0x1000/0x0 /xxxx/xx  \n"},
};

static void run_goldens(void)
{
    for (size_t i = 0; i < sizeof goldens / sizeof *goldens; i++) {
        const struct golden *g = &goldens[i];
        np_profile *p = NULL;
        np_err err = {{0}};
        int rc = np_legacy_parse(g->in, g->len, &p, &err);
        if (rc != g->rc) {
            fprintf(stderr, "  %s: rc %d, want %d (%s)\n", g->name, rc, g->rc, err.msg);
            CHECK(rc == g->rc);
        }
        if (rc < 0)
            CHECK(err.msg[0] != 0);
        if (rc == 1 && p) {
            np_buf out = {0};
            np_profile_raw(p, &out);
            bool same = strcmp(np_buf_cstr(&out), g->want) == 0;
            CHECK(same);
            if (!same)
                show_diff(g->name, out.data, g->want);
            CHECK(strncmp(p->drop_frames, g->drop, strlen(g->drop)) == 0);
            np_buf_free(&out);
        }
        np_profile_free(p);
    }
}

TEST(pprof_small_cases)
{
    run_goldens();
}

/* The same cases with every line matched by the Pike VM instead of the backtracker. */
TEST(pprof_small_cases_pike_engine)
{
    lg_re_set_bitstate_limit(0);
    run_goldens();
    lg_re_set_bitstate_limit((size_t)1 << 18);
}

/* ---- malformed input ---- */

/* Any input: a result in {-1, 0, 1}, a message with -1, a consistent profile with 1. */
static bool parses_cleanly(const char *data, size_t len)
{
    np_profile *p = NULL;
    np_err err = {{0}};
    int rc = np_legacy_parse(data, len, &p, &err);
    bool ok = rc == 0 || (rc == -1 && err.msg[0] && !p) || (rc == 1 && p);
    if (rc == 1 && p) {
        np_buf out = {0};
        ok = ok && np_profile_check(p, &err) == 0;
        np_profile_raw(p, &out);
        np_buf_free(&out);
    }
    np_profile_free(p);
    return ok;
}

/* xorshift64*: deterministic pseudo-random input. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

TEST(truncated_and_mutated_testdata)
{
    DIR *dir = opendir(PPROF_TESTDATA);
    if (!dir)
        SKIP(PPROF_TESTDATA " not found");
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || (n > 7 && strcmp(e->d_name + n - 7, ".string") == 0))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", PPROF_TESTDATA, e->d_name);
        np_buf in = {0};
        if (!read_file(path, &in) || in.len == 0) {
            np_buf_free(&in);
            continue;
        }
        /* Cut points: every byte of the first 64, then about 150 spread over the rest. */
        for (size_t cut = 0; cut <= in.len; cut += cut < 64 ? 1 : in.len / 150 + 1) {
            char *copy = np_xmalloc(cut + 1);
            memcpy(copy, in.data, cut);
            CHECK(parses_cleanly(copy, cut)); /* exact-size buffer: ASan sees overreads */
            free(copy);
        }
        for (int round = 0; round < 60; round++) {
            char *copy = np_xmalloc(in.len);
            memcpy(copy, in.data, in.len);
            for (int k = 0; k < 1 + (int)(rnd(&seed) % 8); k++) {
                uint64_t r = rnd(&seed);
                size_t at = (size_t)(r % in.len);
                switch ((r >> 32) % 4) {
                case 0: copy[at] = (char)(r >> 40); break;
                case 1: copy[at] ^= (char)(1u << ((r >> 40) % 8)); break;
                case 2: copy[at] = "\n @0x:[]-=$ 9f"[(r >> 40) % 15]; break;
                default: copy[at] = (char)0xff; break;
                }
            }
            CHECK(parses_cleanly(copy, in.len));
            free(copy);
        }
        np_buf_free(&in);
    }
    closedir(dir);
}

TEST(random_garbage)
{
    uint64_t seed = 12345;
    static const char *const heads[] = {"", "heap profile: 1: 2 [3: 4] @ heap/2\n",
                                        "goroutine profile: total 1\n", "--- mutex:\n",
                                        "--- threadz 1 ---\n", "--- heapz 1 ---\n",
                                        "--- contentionz 1 ---\n", "\0\0\0\0\3\0\0\0"};
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(rnd(&seed) % 300);
        const char *head = heads[i % 8];
        size_t hl = i % 8 == 7 ? 8 : strlen(head);
        char *buf = np_xmalloc(hl + len + 1);
        memcpy(buf, head, hl);
        for (size_t k = 0; k < len; k++) {
            uint64_t r = rnd(&seed);
            buf[hl + k] = r % 3 ? "0x1f @:[]-\n =$#()/"[(r >> 8) % 19] : (char)(r >> 16);
        }
        CHECK(parses_cleanly(buf, hl + len));
        free(buf);
    }
}

/* Builds a 32-bit little-endian gperftools CPU profile from words. */
static void cpu_words(np_buf *b, const uint32_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char le[4] = {(unsigned char)w[i], (unsigned char)(w[i] >> 8),
                               (unsigned char)(w[i] >> 16), (unsigned char)(w[i] >> 24)};
        np_buf_add(b, le, 4);
    }
}

TEST(huge_counts_stay_small)
{
    /* A stack depth of 4G words in a 32-byte file: rejected before anything is allocated. */
    static const uint32_t deep[] = {0, 3, 0, 100, 0, 1, 0xffffffffu, 1};
    np_buf b = {0};
    cpu_words(&b, deep, sizeof deep / sizeof *deep);
    np_profile *p = NULL;
    np_err err = {{0}};
    CHECK(np_legacy_parse(b.data, b.len, &p, &err) == 0 && !p);
    np_buf_free(&b);

    /* A period that overflows when scaled to nanoseconds wraps as Go's int64 does. */
    static const uint32_t slow[] = {0, 3, 0, 0xffffffffu, 0, 2, 1, 0x10, 0, 1, 0};
    cpu_words(&b, slow, sizeof slow / sizeof *slow);
    CHECK(np_legacy_parse(b.data, b.len, &p, &err) == 1 && p && p->period == 4294967295000ll);
    CHECK(p && p->n_sample == 1 && p->sample[0].value[1] == 8589934590000ll);
    np_profile_free(p);
    np_buf_free(&b);

    static const char *const bad[] = {
        "heap profile: 1: 2 [3: 4] @ heap/99999999999999999999999\n",
        "heap profile: 1: 2 [1: 2] @ heap_v2/2\n9223372036854775807: 1 [0: 0] @ 0x1\n",
        "heap profile: 1: 2 [1: 2] @ heap_v2/2\n-9223372036854775808: -1 [0: 0] @ 0x1\n",
        "heap profile: 1: 2 [1: 2] @ heap_v2/2\n1: 99999999999999999999 [0: 0] @ 0x1\n",
        "goroutine profile: total 1\n99999999999999999999 @ 0x1\n",
        "--- mutex:\ncycles/second = 1\nsampling period = 9223372036854775807\n"
        "9223372036854775807 9223372036854775807 @ 0x1\n",
        "--- contentionz 1 ---\nms since reset = 9223372036854775807\n",
        "--- heapz 1 ---\nformat = java\nresolution = bytes\n"
        "9223372036854775807 1 @ 0x1\n0x1 f (a.java:99999999999999999999)\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(parses_cleanly(bad[i], strlen(bad[i])));
}

TEST(substitution_bombs_are_refused)
{
    /* Each name doubles the last: 2^43 bytes if nothing stopped it. (No name may be a prefix
     * of a later one, or the earlier name would win, as in Go.) */
    np_buf in = {0};
    np_buf_puts(&in, "threadcreate profile: total 1\n1 @ 0x10\n---\nMAPPED_LIBRARIES:\nx00=xxxxxxxx\n");
    for (int i = 1; i <= 40; i++)
        np_buf_printf(&in, "x%02d=$x%02d$x%02d\n", i, i - 1, i - 1);
    np_buf_puts(&in, "0-1000 r-xp 0 0:0 0 /$x40\n");
    np_profile *p = NULL;
    np_err err = {{0}};
    CHECK(np_legacy_parse(in.data, in.len, &p, &err) == -1 && !p && err.msg[0]);
    np_buf_free(&in);
}

TEST(long_lines_fail_like_go)
{
    /* bufio.Scanner refuses lines over 64 KiB; pprof reports the error. */
    np_buf in = {0};
    np_buf_puts(&in, "heap profile: 1: 2 [1: 2] @ heap/2\n");
    for (int i = 0; i < 70000; i++)
        np_buf_putc(&in, ' ');
    np_buf_puts(&in, "1: 2 [1: 2] @ 0x1\n");
    np_profile *p = NULL;
    np_err err = {{0}};
    CHECK(np_legacy_parse(in.data, in.len, &p, &err) == -1 && !p);
    np_buf_free(&in);

    /* Just under the limit is an ordinary line. */
    np_buf_puts(&in, "heap profile: 1: 2 [1: 2] @ heap/2\n");
    for (int i = 0; i < 65535 - 18; i++)
        np_buf_putc(&in, ' ');
    np_buf_puts(&in, "1: 2 [1: 2] @ 0x1\n");
    CHECK(np_legacy_parse(in.data, in.len, &p, &err) == 1 && p && p->n_sample == 1);
    np_profile_free(p);
    np_buf_free(&in);
}

TEST(go_number_rules)
{
    int64_t v;
    uint64_t u;
#define S(lit) lg_span_of(lit, sizeof lit - 1)
    CHECK(lg_parse_int(S("010"), 0, &v) && v == 8);
    CHECK(!lg_parse_int(S("08"), 0, &v));
    CHECK(lg_parse_int(S("0x1_0"), 0, &v) && v == 16);
    CHECK(!lg_parse_int(S("1__0"), 0, &v));
    CHECK(!lg_parse_int(S("_1"), 0, &v));
    CHECK(lg_parse_int(S("-9223372036854775808"), 10, &v) && v == INT64_MIN);
    CHECK(!lg_parse_int(S("9223372036854775808"), 10, &v));
    CHECK(lg_parse_uint(S("ffffffffffffffff"), 16, &u) && u == UINT64_MAX);
    CHECK(!lg_parse_uint(S("10000000000000000"), 16, &u));
    CHECK(!lg_parse_uint(S(""), 10, &u));
    CHECK(lg_f2i(1e300) == INT64_MIN && lg_f2i(-1.5) == -1);
    CHECK(lg_div(INT64_MIN, -1) == INT64_MIN);
    lg_span t = lg_trim(S("\xc2\xa0 x \xe3\x80\x80"));
    CHECK(t.n == 1 && t.p[0] == 'x');
#undef S
}

/* The parsers pass fixed-size group arrays to lg_re_find; the patterns must fit them. */
TEST(pattern_group_counts)
{
    lg_rx rx;
    CHECK(lg_rx_init(&rx) == 0);
    CHECK(lg_re_ngroups(rx.count_start) == 2 && lg_re_ngroups(rx.count_line) == 3);
    CHECK(lg_re_ngroups(rx.heap_header) == 7 && lg_re_ngroups(rx.heap_sample) == 6);
    CHECK(lg_re_ngroups(rx.growth_header) == 5 && lg_re_ngroups(rx.frag_header) == 5);
    CHECK(lg_re_ngroups(rx.contention_sample) == 4 && lg_re_ngroups(rx.threadz_start) == 1);
    CHECK(lg_re_ngroups(rx.thread_start) == 4 && lg_re_ngroups(rx.log_prefix) == 1);
    CHECK(lg_re_ngroups(rx.proc_maps) == 6 && lg_re_ngroups(rx.brief_maps) == 7);
    CHECK(lg_re_ngroups(rx.java_attr) == 3 && lg_re_ngroups(rx.java_sample) == 4);
    CHECK(lg_re_ngroups(rx.java_loc) == 3 && lg_re_ngroups(rx.java_file_line) == 4);
    CHECK(lg_re_ngroups(rx.java_path) == 3);
    lg_rx_free(&rx);
}

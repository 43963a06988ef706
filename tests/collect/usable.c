/* usable MODE -- a sampled block must look to the program like any other block.
 *
 *   usable check   (run at NPROF_HEAP_RATE=1: every block is sampled) for every size from 1 to
 *                  70,000, every 97th to 131,100 and some large ones: malloc_usable_size is the allocator's own answer
 *                  for the same calls made through its own API (glibc's __libc_*, tcmalloc's
 *                  tc_*, jemalloc's *allocx, none of which libnprof samples), every usable byte can be written, the pointer has the
 *                  natural alignment of its usable size (below 16 KiB: jemalloc offsets bigger
 *                  blocks by a random cache line), calloc's bytes are zero, realloc keeps
 *                  the bytes and answers for the new size, memalign aligns, and jemalloc's
 *                  sallocx (when loaded) agrees. Prints "check: N sizes ok" or each mismatch.
 *   usable rules N (any rate) makes three populations of N objects from three functions, each
 *                  realloc'd by a rule that depends only on what the program can observe, and
 *                  prints the bytes each holds at the end as "SITE BYTES":
 *                    sds_alloc    68 B strings, realloc'd to 68 when malloc_usable_size differs
 *                                 from nallocx(68) (redis' sdsResize), or from the usable size
 *                                 of the first block without jemalloc;
 *                    slack_alloc  100 B, grown into their slack: realloc(p, usable size);
 *                    half_alloc   200 B, those at an odd position realloc'd to 300 B.
 *                  Then exits (the profile is the exit dump, NPROF_HEAP_DUMP). */
#include <dlfcn.h>
#include <malloc.h>

#include "common.h"

extern void *__libc_malloc(size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static size_t (*nallocx_fn)(size_t, int);
static size_t (*sallocx_fn)(const void *, int);

/* The allocator's own entry points, which libnprof does not sample: glibc's __libc_*,
 * tcmalloc's tc_*, jemalloc's *allocx. */
static struct {
    void *(*malloc)(size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    size_t slack; /* glibc hands out up to 16 bytes more when a split would leave too little */
} ref = {__libc_malloc, __libc_realloc, __libc_free, 16};

static void *(*mallocx_fn)(size_t, int);
static void *(*rallocx_fn)(void *, size_t, int);
static void (*dallocx_fn)(void *, int);
static void *je_malloc(size_t n) { return mallocx_fn(n, 0); }
static void *je_realloc(void *p, size_t n) { return rallocx_fn(p, n, 0); }
static void je_free(void *p) { dallocx_fn(p, 0); }

static void find_reference(void)
{
    nallocx_fn = (size_t(*)(size_t, int))dlsym(RTLD_DEFAULT, "nallocx");
    mallocx_fn = (void *(*)(size_t, int))dlsym(RTLD_DEFAULT, "mallocx");
    rallocx_fn = (void *(*)(void *, size_t, int))dlsym(RTLD_DEFAULT, "rallocx");
    dallocx_fn = (void (*)(void *, int))dlsym(RTLD_DEFAULT, "dallocx");
    void *tc_malloc = dlsym(RTLD_DEFAULT, "tc_malloc");
    if (tc_malloc) {
        ref.malloc = (void *(*)(size_t))tc_malloc;
        ref.realloc = (void *(*)(void *, size_t))dlsym(RTLD_DEFAULT, "tc_realloc");
        ref.free = (void (*)(void *))dlsym(RTLD_DEFAULT, "tc_free");
        ref.slack = 0;
    } else if (mallocx_fn && rallocx_fn) {
        ref = (typeof(ref)){je_malloc, je_realloc, je_free, 0};
        sallocx_fn = (size_t(*)(const void *, int))dlsym(RTLD_DEFAULT, "sallocx");
    }
}

/* The allocator's own usable size for a block of n bytes, or for one of old bytes realloc'd
 * to n (old > 0). */
static size_t reference(size_t old, size_t n)
{
    void *p = ref.malloc(old ? old : n);
    if (old)
        p = ref.realloc(p, n);
    size_t u = malloc_usable_size(p);
    ref.free(p);
    return u;
}

static size_t natural(size_t u)
{
    size_t a = u & -u;
    return a > 4096 ? 4096 : a;
}

static int bad;

static void mismatch(const char *what, size_t n, size_t got, size_t want)
{
    if (bad++ < 20)
        printf("%s(%zu): %zu, want %zu\n", what, n, got, want);
}

/* Checks the block p of n bytes (realloc'd from old bytes, if old > 0): its usable size is the
 * allocator's for the same calls; for glibc only while the chunk stays below its mmap
 * threshold (128 KiB), bigger blocks coming from mmap or the heap depending on its history, and
 * below 1 MiB for the others (libnprof reallocs bigger sampled blocks itself). */
static void check_block(const char *what, unsigned char *p, size_t old, size_t n)
{
    size_t u = malloc_usable_size(p), want = reference(old, n);
    bool exact = ref.slack ? n + 24 <= 131072 - 16 : n < (1 << 20);
    if (exact ? u + ref.slack < want || u > want + ref.slack : u < n)
        mismatch(what, n, u, want);
    if (u < 16384 && (uintptr_t)p % natural(u))
        mismatch("alignment", n, (uintptr_t)p % natural(u), 0);
    if (sallocx_fn && sallocx_fn(p, 0) != u)
        mismatch("sallocx", n, sallocx_fn(p, 0), u);
    memset(p, 0xab, u); /* the allocator notices on free if that wrote past the block */
}

static size_t check_size(size_t n)
{
    unsigned char *p = do_malloc(n);
    if (!p)
        die("malloc(%zu) failed", n);
    check_block("malloc_usable_size", p, 0, n);
    do_free(p);
    unsigned char *z = calloc(1, n);
    for (size_t i = 0; z && i < n; i++)
        if (z[i]) {
            mismatch("calloc nonzero byte", n, i, 0);
            break;
        }
    check_block("calloc usable", z, 0, n);
    /* realloc to a size around n, bytes kept */
    size_t m = n % 3 == 0 ? n / 2 + 1 : n % 3 == 1 ? n + n / 3 + 7 : n;
    for (size_t i = 0; i < n; i++)
        z[i] = (unsigned char)(i * 7 + 1);
    unsigned char *r = do_realloc(z, m);
    if (!r)
        die("realloc(%zu) failed", m);
    for (size_t i = 0; i < (n < m ? n : m); i++)
        if (r[i] != (unsigned char)(i * 7 + 1)) {
            mismatch("realloc lost byte", n, i, m);
            break;
        }
    check_block("realloc usable", r, n, m);
    do_free(r);
    if (n % 61 == 0) {
        size_t align = (size_t)32 << (n / 61 % 9);
        void *a = memalign(align, n);
        if (!a || (uintptr_t)a % align || malloc_usable_size(a) < n)
            mismatch("memalign", n, a ? (uintptr_t)a % align : 1, 0);
        free(a);
    }
    return 1;
}

static int check(void)
{
    size_t sizes = 0;
    for (size_t n = 1; n <= 70000; n++)
        sizes += check_size(n);
    for (size_t n = 70001; n <= 131100; n += 97)
        sizes += check_size(n);
    for (size_t n = 131101; n < ((size_t)64 << 20); n = n * 5 / 4 + 4093)
        sizes += check_size(n);
    printf("check: %zu sizes %s\n", sizes, bad ? "FAILED" : "ok");
    return bad ? 1 : 0;
}

enum { SDS = 68, SLACK = 100, HALF = 200 };

__attribute__((noinline)) static void *sds_alloc(size_t expect)
{
    void *p = do_malloc(SDS);
    if (malloc_usable_size(p) != expect)
        p = do_realloc(p, SDS);
    return p;
}

__attribute__((noinline)) static void *slack_alloc(size_t *bytes)
{
    void *p = do_malloc(SLACK);
    size_t u = malloc_usable_size(p);
    if (u > SLACK)
        p = do_realloc(p, u);
    *bytes += u > SLACK ? u : SLACK;
    return p;
}

__attribute__((noinline)) static void *half_alloc(size_t i, size_t *bytes)
{
    void *p = do_malloc(HALF);
    if (i % 2)
        p = do_realloc(p, HALF + 100);
    *bytes += i % 2 ? HALF + 100 : HALF;
    return p;
}

static int rules(size_t n)
{
    void **keep = __libc_malloc(3 * n * sizeof *keep);
    void *first = do_malloc(SDS);
    size_t expect = nallocx_fn ? nallocx_fn(SDS, 0) : malloc_usable_size(first);
    size_t slack = 0, half = 0;
    for (size_t i = 0; i < n; i++) {
        keep[3 * i] = sds_alloc(expect);
        keep[3 * i + 1] = slack_alloc(&slack);
        keep[3 * i + 2] = half_alloc(i, &half);
        if (!keep[3 * i] || !keep[3 * i + 1] || !keep[3 * i + 2])
            die("allocation failed");
    }
    printf("sds_alloc %zu\nslack_alloc %zu\nhalf_alloc %zu\n", n * SDS, slack, half);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: usable check | usable rules N");
    find_reference();
    if (strcmp(argv[1], "check") == 0)
        return check();
    if (strcmp(argv[1], "rules") == 0 && argc > 2)
        return rules(strtoul(argv[2], NULL, 10));
    die("usage: usable check | usable rules N");
}

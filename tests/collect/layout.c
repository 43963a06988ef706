/* layout GOFILE -- every allocation entry point at many sizes and alignments, each block grown
 * and shrunk by realloc (through the sampled and the plain layout as the sampler decides):
 * alignment kept, malloc_usable_size at least the size, calloc's memory zero, contents kept
 * across realloc, every free accepted. Then blocks that follow, in memory, a block whose last
 * words are a copy of a sampled block's header (possible when the next allocator is not glibc)
 * are measured and freed: that must not disturb them. Keeps KEEP blocks of 7777 bytes live, prints
 * "layout: ok CHECKED ADJACENT", waits for GOFILE, exits 0; any failure exits 1. */
#include <malloc.h>

#include "common.h"

enum { KEEP = 5, NEIGHBOURS = 512 };

typedef void *(*alloc_fn)(size_t align, size_t n);

static void *by_malloc(size_t align, size_t n) { return malloc(n); }
static void *by_calloc(size_t align, size_t n) { return calloc(1, n); }
static void *by_memalign(size_t align, size_t n) { return memalign(align, n); }
static void *by_aligned_alloc(size_t align, size_t n) { return aligned_alloc(align, n); }
static void *by_valloc(size_t align, size_t n) { return valloc(n); }
static void *by_pvalloc(size_t align, size_t n) { return pvalloc(n); }
static void *by_posix_memalign(size_t align, size_t n)
{
    void *p;
    return posix_memalign(&p, align, n) == 0 ? p : NULL;
}

static const struct {
    const char *name;
    alloc_fn fn;
    size_t fixed_align; /* 0: the alignment varies */
} kinds[] = {
    {"malloc", by_malloc, 16},           {"calloc", by_calloc, 16},
    {"memalign", by_memalign, 0},        {"posix_memalign", by_posix_memalign, 0},
    {"aligned_alloc", by_aligned_alloc, 0}, {"valloc", by_valloc, 4096},
    {"pvalloc", by_pvalloc, 4096},
};
static const size_t aligns[] = {8, 16, 32, 64, 256, 2048, 4096, 8192, 65536};
static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 4000, 4096, 70000, 600000};

static size_t (*volatile do_usable)(void *) = malloc_usable_size; /* see do_malloc */

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static bool holds(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return false;
    return true;
}

static void check_block(const char *what, const void *p, size_t align, size_t n)
{
    if (!p)
        die("layout: %s of %zu bytes returned NULL", what, n);
    if ((uintptr_t)p % align)
        die("layout: %s of %zu bytes at %p is not %zu-aligned", what, n, p, align);
    if (do_usable((void *)p) < n)
        die("layout: %s of %zu bytes: malloc_usable_size says %zu", what, n, do_usable((void *)p));
}

/* One block: allocated, checked, then resized through sizes that cross the sampling rate. */
__attribute__((noinline)) static long exercise(int kind, size_t align, size_t n, unsigned seed)
{
    const char *name = kinds[kind].name;
    unsigned char *p = kinds[kind].fn(align, n);
    check_block(name, p, align, n);
    if (kinds[kind].fn == by_calloc)
        for (size_t i = 0; i < n; i++)
            if (p[i])
                die("layout: calloc of %zu bytes: byte %zu is %d", n, i, p[i]);
    fill(p, n, seed);
    const size_t to[] = {n * 2 + 1, n / 2 + 1, 600000, 24, n + 1};
    for (size_t k = 0; k < sizeof to / sizeof *to; k++) {
        unsigned char *q = do_realloc(p, to[k]);
        check_block("realloc", q, 16, to[k]);
        if (!holds(q, n < to[k] ? n : to[k], seed))
            die("layout: realloc of a %s block from %zu to %zu bytes lost its contents", name, n, to[k]);
        p = q;
        n = to[k];
        fill(p, n, ++seed);
    }
    if (seed % 2)
        do_free(p);
    else
        do_free(do_realloc(p, 0)); /* glibc frees and returns NULL; others return a block */
    return 1;
}

/* Blocks that directly follow another block in memory, with the header of a sampled block (a
 * block of 1 MiB is sampled at any rate up to the default) copied into that block's last words:
 * the collector must treat them as the plain blocks they are (a header names the address it is
 * in front of), and not free the block in front (the allocator would hand that one out next).
 * glibc never puts blocks there (its chunk header is in between); jemalloc does. */
static long tag_neighbours(void)
{
    char *sampled = malloc(1 << 20);
    if (!sampled)
        die("layout: malloc(1 MiB) failed");
    uint64_t header[2] = {0, 0};
    if ((uintptr_t)sampled % 4096) /* else it has no header, and the page before is not ours */
        memcpy(header, sampled - sizeof header, sizeof header);
    static char *blk[NEIGHBOURS];
    for (int i = 0; i < NEIGHBOURS; i++)
        if (!(blk[i] = malloc(48)))
            die("layout: malloc(48) failed");
    long adjacent = 0;
    for (int i = 0; i < NEIGHBOURS; i++) {
        size_t used = do_usable(blk[i]);
        for (int j = 0; j < NEIGHBOURS; j++) {
            if (j == i || !blk[j] || blk[j] != blk[i] + used || used < 32)
                continue;
            fill((unsigned char *)blk[i], used - 16, (unsigned)i);
            memcpy(blk[i] + used - 16, header, sizeof header);
            if (do_usable(blk[j]) < 48)
                die("layout: a block behind a copied header measures %zu bytes", do_usable(blk[j]));
            memset(blk[j], 0x5a, 48);
            do_free(blk[j]);
            char *again = malloc(48);
            if (!again)
                die("layout: malloc(48) failed");
            memset(again, 0xa5, 48);
            bool overlaps = again < blk[i] + used && again + 48 > blk[i];
            if (overlaps || !holds((unsigned char *)blk[i], used - 16, (unsigned)i) ||
                memcmp(blk[i] + used - 16, header, sizeof header) != 0)
                die("layout: freeing the block behind a copied header freed the one in front");
            blk[j] = again; /* freed with the others; not adjacent to anything tested again */
            adjacent++;
            break;
        }
    }
    for (int i = 0; i < NEIGHBOURS; i++)
        do_free(blk[i]);
    do_free(sampled);
    return header[1] ? adjacent : 0; /* nothing was tested without a header to copy */
}

int main(int argc, char **argv)
{
    if (argc != 2)
        die("usage: layout GOFILE");
    long checked = 0;
    unsigned seed = 1;
    for (int round = 0; round < 6; round++)
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
            for (size_t a = 0; a < sizeof aligns / sizeof *aligns; a++) {
                size_t align = kinds[k].fixed_align ? kinds[k].fixed_align : aligns[a];
                if (kinds[k].fixed_align && a > 0)
                    break;
                for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
                    checked += exercise((int)k, align, sizes[s] + (size_t)round, seed++);
            }
    long adjacent = tag_neighbours();
    char *keep[KEEP];
    for (int i = 0; i < KEEP; i++)
        if (!(keep[i] = malloc(7777)))
            die("layout: malloc(7777) failed");
    printf("layout: ok %ld %ld\n", checked, adjacent);
    fflush(stdout);
    while (access(argv[1], F_OK) != 0)
        sleep_ms(20);
    for (int i = 0; i < KEEP; i++)
        do_free(keep[i]);
    return 0;
}

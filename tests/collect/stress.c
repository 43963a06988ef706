/* stress ops N      -- 16 threads each do N random allocator operations, then print a checksum
 * stress steady SEC -- the same operations on a fixed working set for SEC seconds (for RSS),
 *                      or until SIGUSR1 (for a test that stops it when it is done with it)
 *
 * Operations: malloc, calloc (checked zero), realloc (prefix checked), posix_memalign,
 * aligned_alloc, memalign, valloc (alignment checked), and handing a block to another thread
 * that checks and frees it. Every block is filled with a pattern from (size, seed) and checked
 * before it is freed. The checksum adds one term per freed block, so it does not depend on
 * which thread freed what: a run with and without the collector must print the same one.
 * Exits 1 on any wrong content, alignment or zeroing. */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "common.h"

enum { THREADS = 16, SLOTS = 64, INBOX = 256 };

typedef struct block {
    unsigned char *p;
    size_t n;
    uint32_t seed;
} block;

typedef struct inbox {
    pthread_mutex_t mu;
    block q[INBOX];
    int n;
} inbox;

static inbox boxes[THREADS];
static atomic_ulong total_sum;
static atomic_long errors;
static bool steady;
static double deadline;
static long ops_per_thread;
static volatile sig_atomic_t stop;

static void on_usr1(int sig)
{
    (void)sig;
    stop = 1;
}

static const size_t sizes[] = {1,    7,    8,     16,    24,    32,    40,    48,    64,    96,   100,
                               128,  200,  256,   300,   500,   512,   640,   1000,  1024,  1500, 2048,
                               3000, 4096, 5000,  8192,  10000, 16384, 20000, 32768, 50000, 65536};
enum { STEADY_SIZES = 24 }; /* sizes[0..23]: 1 .. 4096 */
static const size_t big_sizes[] = {100000, 131072, 250000, 600000, 1 << 20, 3 << 20};

/* The bytes a pattern covers: the first and last 256 and every 512th in between (a full pass
 * over multi-megabyte blocks would make the test slow without finding more). */
static size_t next_pos(size_t i, size_t n)
{
    if (i < 256 || i + 256 >= n)
        return i + 1;
    size_t j = (i + 512) & ~(size_t)511;
    return j + 256 < n ? j : n - 256;
}

static void fill(block *b)
{
    for (size_t i = 0; i < b->n; i = next_pos(i, b->n))
        b->p[i] = (unsigned char)(b->seed + i * 31);
}

static bool check(const block *b, size_t upto)
{
    for (size_t i = 0; i < upto; i = next_pos(i, b->n))
        if (b->p[i] != (unsigned char)(b->seed + i * 31))
            return false;
    return true;
}

static void fail(const char *what)
{
    atomic_fetch_add(&errors, 1);
    fprintf(stderr, "stress: %s\n", what);
}

/* Checks and frees b; its term goes into the checksum. */
static void retire(block *b)
{
    if (!b->p)
        return;
    if (!check(b, b->n))
        fail("block content changed");
    atomic_fetch_add(&total_sum, (unsigned long)(b->n * 2654435761u + b->seed));
    free(b->p);
    b->p = NULL;
}

static size_t pick_size(uint64_t *seed)
{
    uint64_t r = rnd(seed);
    if (steady) /* up to 4 KiB: glibc's own footprint then settles quickly */
        return sizes[(r >> 8) % STEADY_SIZES];
    if (r % 64 == 0)
        return big_sizes[(r >> 8) % (sizeof big_sizes / sizeof big_sizes[0])];
    return sizes[(r >> 8) % (sizeof sizes / sizeof sizes[0])];
}

static void drain(int self)
{
    inbox *in = &boxes[self];
    block got[INBOX];
    pthread_mutex_lock(&in->mu);
    int n = in->n;
    memcpy(got, in->q, (size_t)n * sizeof *got);
    in->n = 0;
    pthread_mutex_unlock(&in->mu);
    for (int i = 0; i < n; i++)
        retire(&got[i]);
}

static void one_op(int self, block *slot, uint64_t *seed)
{
    uint64_t r = rnd(seed);
    int kind = (int)(r % 9);
    size_t n = pick_size(seed);
    size_t align = (size_t)16 << ((r >> 16) % 9); /* 16 .. 4096 */
    uint32_t s = (uint32_t)(r >> 32);
    block b = {NULL, n, s};
    switch (kind) {
    case 0:
    case 1:
        b.p = malloc(n);
        break;
    case 2: {
        size_t k = 1 + (r >> 40) % 8;
        b.n = n * k;
        b.p = calloc(k, n);
        if (b.p)
            for (size_t i = 0; i < b.n; i = next_pos(i, b.n))
                if (b.p[i]) {
                    fail("calloc memory not zero");
                    break;
                }
        break;
    }
    case 3:
        if (slot->p) {
            /* realloc keeps the old prefix: check it, then refill the whole block. */
            size_t keep = slot->n < n ? slot->n : n;
            unsigned char *q = realloc(slot->p, n);
            if (!q) {
                fail("realloc failed");
                return;
            }
            slot->p = q;
            if (!check(slot, keep))
                fail("realloc lost content");
            slot->n = n;
            slot->seed = s;
            fill(slot);
            return;
        }
        b.p = realloc(NULL, n);
        break;
    case 4: {
        void *p = NULL;
        if (posix_memalign(&p, align, n) != 0)
            p = NULL;
        b.p = p;
        if (p && ((uintptr_t)p & (align - 1)))
            fail("posix_memalign misaligned");
        break;
    }
    case 5:
        b.n = (n + align - 1) / align * align;
        b.p = aligned_alloc(align, b.n);
        if (b.p && ((uintptr_t)b.p & (align - 1)))
            fail("aligned_alloc misaligned");
        break;
    case 6:
        b.p = memalign(align, n);
        if (b.p && ((uintptr_t)b.p & (align - 1)))
            fail("memalign misaligned");
        break;
    case 7:
        b.p = valloc(n);
        if (b.p && ((uintptr_t)b.p & 4095))
            fail("valloc misaligned");
        break;
    case 8:
        /* Hand the slot's block to another thread, which checks and frees it. */
        if (slot->p) {
            int to = (int)((r >> 20) % THREADS);
            if (to == self)
                to = (to + 1) % THREADS;
            inbox *in = &boxes[to];
            pthread_mutex_lock(&in->mu);
            if (in->n < INBOX) {
                in->q[in->n++] = *slot;
                slot->p = NULL;
            }
            pthread_mutex_unlock(&in->mu);
        }
        b.p = malloc(n);
        break;
    }
    if (!b.p) {
        fail("allocation failed");
        return;
    }
    fill(&b);
    retire(slot);
    *slot = b;
}

static void *worker(void *arg)
{
    int self = (int)(uintptr_t)arg;
    uint64_t seed = 0x1234567ULL + (uint64_t)self * 0x9e3779b97f4a7c15ULL;
    block slots[SLOTS];
    memset(slots, 0, sizeof slots);
    for (long op = 0;; op++) {
        if (steady ? (op % 256 == 0 && (stop || now_sec() > deadline)) : op >= ops_per_thread)
            break;
        one_op(self, &slots[rnd(&seed) % SLOTS], &seed);
        if (op % 16 == 0)
            drain(self);
    }
    for (int i = 0; i < SLOTS; i++)
        retire(&slots[i]);
    return NULL;
}

/* In steady mode: every second, the heap's bytes in use and its arenas' size (mallinfo2), to
 * tell a leak (in-use bytes grow) from fragmentation (only the arenas grow), and the
 * collector's own memory (nprof_memory_bytes, when the collector is loaded), on stderr. */
static void *monitor(void *arg)
{
    (void)arg;
    size_t (*collector_bytes)(void) = (size_t (*)(void))dlsym(RTLD_DEFAULT, "nprof_memory_bytes");
    for (int t = 1; !stop && now_sec() < deadline - 0.5; t++) {
        sleep_ms(1000);
        struct mallinfo2 mi = mallinfo2();
        fprintf(stderr, "heap %d %zu %zu %zu %zu\n", t, mi.uordblks / 1024, mi.arena / 1024, mi.hblkhd / 1024,
                collector_bytes ? collector_bytes() / 1024 : 0);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "ops") != 0 && strcmp(argv[1], "steady") != 0))
        die("usage: stress ops N | stress steady SECONDS");
    steady = strcmp(argv[1], "steady") == 0;
    if (steady) {
        deadline = now_sec() + atof(argv[2]);
        struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
        sigaction(SIGUSR1, &sa, NULL);
    }
    else
        ops_per_thread = atol(argv[2]);
    for (int i = 0; i < THREADS; i++)
        pthread_mutex_init(&boxes[i].mu, NULL);
    pthread_t t[THREADS], mon;
    if (steady && pthread_create(&mon, NULL, monitor, NULL) != 0)
        die("pthread_create failed");
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) != 0)
            die("pthread_create failed");
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (steady)
        pthread_join(mon, NULL);
    for (int i = 0; i < THREADS; i++)
        drain(i);
    long e = atomic_load(&errors);
    if (steady)
        printf("stress: steady done, %ld errors\n", e);
    else
        printf("stress: checksum %lu, %ld errors\n", atomic_load(&total_sum), e);
    return e ? 1 : 0;
}

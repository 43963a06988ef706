/* counts GOFILE -- 8 threads allocate every size from 1 to 20,000 bytes, 3 times each, all
 * from counted_alloc and all in the same order (so they meet in the same buckets at once), and
 * free each block at once, except those of sizes that are multiples of 1,000 in the last round.
 * At NPROF_HEAP_RATE=1 every allocation is a sample, so the profile must hold 20,000 samples
 * under counted_alloc, one per size, each with 24 allocations, 8 of them live for the 20 kept
 * sizes and none for the others: threads recording into the same buckets at once (without the
 * lock when a bucket exists), while the bucket index grows under them, lose no count.
 * Prints "counts: ready", waits for GOFILE.more, allocates 10 blocks of 25,000 bytes from
 * counted_alloc (a delta profile over that moment must show them and none of the 20,000
 * sizes, whose buckets share one stack: buckets are told apart by stack and size), prints
 * "counts: more" and waits for GOFILE (each wait at most 30 s). */
#include <pthread.h>

#include "common.h"

enum { THREADS = 8, SIZES = 20000, ROUNDS = 3, KEEP_EVERY = 1000 };

static void *kept[THREADS][SIZES / KEEP_EVERY];
static void *more[10];

__attribute__((noinline)) static void *counted_alloc(size_t n)
{
    void *p = do_malloc(n);
    if (!p)
        die("malloc(%zu) failed", n);
    ((volatile char *)p)[n - 1] = 1;
    return p;
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    static __thread size_t order[SIZES];
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < SIZES; i++)
        order[i] = i + 1;
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t i = SIZES - 1; r > 0 && i > 0; i--) { /* ascending, then shuffled */
            size_t j = rnd(&seed) % (i + 1), x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        for (size_t i = 0; i < SIZES; i++) {
            size_t n = order[i];
            void *p = counted_alloc(n);
            if (r == ROUNDS - 1 && n % KEEP_EVERY == 0)
                kept[t][n / KEEP_EVERY - 1] = p;
            else
                do_free(p);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: counts GOFILE");
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t))
            die("pthread_create failed");
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    printf("counts: ready\n");
    fflush(stdout);
    char more_file[4096];
    snprintf(more_file, sizeof more_file, "%s.more", argv[1]);
    int go = wait_file(more_file, 30);
    for (int i = 0; i < 10; i++)
        more[i] = counted_alloc(25000);
    printf("counts: more\n");
    fflush(stdout);
    go = go && wait_file(argv[1], 30);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < SIZES / KEEP_EVERY; i++)
            do_free(kept[t][i]);
    for (int i = 0; i < 10; i++)
        do_free(more[i]);
    return go ? 0 : 1;
}

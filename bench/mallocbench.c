/* mallocbench THREADS OPS: a malloc-heavy multithreaded workload for overhead comparisons.
 * Each thread keeps a working set of 4096 live blocks and replaces one at random per step
 * (sizes mostly small, sometimes page-sized, rarely large), with a little work on each block
 * so the loop resembles a program rather than a pure allocator benchmark. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LIVE = 4096 };

static long ops_per_thread;

static uint64_t next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static size_t pick_size(uint64_t r)
{
    unsigned k = (unsigned)(r % 1000);
    if (k < 900)
        return 16 + (r >> 10) % 240;    /* small objects */
    if (k < 995)
        return 256 + (r >> 10) % 3840;  /* medium */
    return 65536 + (r >> 10) % 65536;   /* occasionally large */
}

static void *worker(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
    char **live = calloc(LIVE, sizeof *live);
    uint64_t sum = 0;
    for (long i = 0; i < ops_per_thread; i++) {
        uint64_t r = next(&s);
        size_t slot = r % LIVE;
        free(live[slot]);
        size_t n = pick_size(r >> 16);
        live[slot] = malloc(n);
        if (!live[slot])
            abort();
        live[slot][0] = (char)i;
        live[slot][n - 1] = (char)(i >> 8);
        sum += (unsigned char)live[slot][0];
    }
    for (size_t i = 0; i < LIVE; i++)
        free(live[i]);
    free(live);
    return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    ops_per_thread = argc > 2 ? atol(argv[2]) : 2000000;
    if (threads < 1 || threads > 256 || ops_per_thread < 1) {
        fprintf(stderr, "usage: mallocbench THREADS OPS_PER_THREAD\n");
        return 2;
    }
    pthread_t t[256];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (uint64_t)(uintptr_t)r;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%d threads x %ld ops: %.3f s, %.1f Mops/s (checksum %llu)\n", threads, ops_per_thread, secs,
           (double)threads * (double)ops_per_thread / secs / 1e6, (unsigned long long)total);
    return 0;
}

/* busy-service: a service-shaped program for profile scrapers (Parca, Grafana Alloy): THREADS
 * workers that each, in a loop, allocate and keep a bounded set of buffers (handle_request),
 * take turns on one mutex (update_stats) and burn CPU (compute). It runs SECONDS seconds:
 *
 *   NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1 NPROF_HTTP=127.0.0.1:6060 \
 *     LD_PRELOAD=build/libnprof.so build/examples/busy-service 4 60
 *
 * usage: busy-service [THREADS [SECONDS]] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t stats, sink;
static double seconds = 30;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static __attribute__((noinline)) void compute(int n)
{
    uint64_t x = sink;
    for (int i = 0; i < n * 1000; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
}

static __attribute__((noinline)) void update_stats(void)
{
    pthread_mutex_lock(&stats_lock);
    stats++;
    compute(20);
    pthread_mutex_unlock(&stats_lock);
}

/* Keeps the last 64 buffers of each thread: the heap holds some, allocs grows for ever. */
static __attribute__((noinline)) void handle_request(char **keep, unsigned *next)
{
    char **slot = &keep[(*next)++ % 64];
    free(*slot);
    *slot = malloc(4096 + *next % 8 * 512);
    memset(*slot, 1, 64);
}

static void *worker(void *arg)
{
    char *keep[64] = {0};
    unsigned next = (unsigned)(uintptr_t)arg;
    for (double end = now() + seconds; now() < end;) {
        handle_request(keep, &next);
        update_stats();
        compute(50);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    seconds = argc > 2 ? atof(argv[2]) : 30;
    if (n < 1 || n > 256)
        n = 4;
    pthread_t t[256];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("requests %llu\n", (unsigned long long)stats);
    return 0;
}

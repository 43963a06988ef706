/* sigmalloc SECONDS [GOFILE] -- a signal handler that mallocs and frees, delivered again and again to a
 * thread that spends its time allocating through the collector (at NPROF_HEAP_RATE=1 every
 * allocation and free takes the collector's slow path, so signals land inside it).
 *
 * malloc is not async-signal-safe, so the test keeps glibc out of the way: the handler's size
 * (808 bytes) is one the main loop never uses, and its tcache bins are warmed first, so in the
 * handler glibc only touches those bins and takes no lock. What is left to deadlock or corrupt
 * is the collector. Prints "sigmalloc: ok N handled" and, with GOFILE, waits for it (the test
 * script checks that no object of the handler's size is left counted as live), then exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "common.h"

enum { HSIZE = 808 };
static atomic_long handled, handler_bad;
static atomic_bool stop;
static pthread_t main_thread;

static void on_signal(int sig)
{
    (void)sig;
    char *p = malloc(HSIZE);
    if (!p) {
        atomic_fetch_add(&handler_bad, 1);
        return;
    }
    p[0] = 1;
    p[HSIZE - 1] = 2;
    if (p[0] + p[HSIZE - 1] != 3)
        atomic_fetch_add(&handler_bad, 1);
    free(p);
    atomic_fetch_add(&handled, 1);
}

static void *sender(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pthread_kill(main_thread, SIGUSR1);
        struct timespec t = {0, 20000};
        nanosleep(&t, NULL);
    }
    return NULL;
}

/* Allocation from a deeper stack, so that stack capture (inside the collector) takes long. */
__attribute__((noinline)) static uint64_t deep(int depth, uint64_t *seed)
{
    if (depth > 0) {
        uint64_t r = deep(depth - 1, seed);
        __asm__ volatile("" ::: "memory");
        return r + 1;
    }
    static const size_t sz[] = {16, 100, 500, 2000, 40000};
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++) {
        size_t n = sz[rnd(seed) % 5];
        unsigned char *p = malloc(n);
        if (!p)
            die("malloc failed");
        p[0] = (unsigned char)n;
        p[n - 1] = 7;
        sum += p[0] + p[n - 1];
        free(p);
    }
    return sum;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2;
    /* Warm the handler's tcache bins: its size's, and the one a sampled block of that size
     * comes from (the collector asks for its usable size, 808, plus twice its alignment, 32,
     * plus a 32-byte header: 904 bytes; see alloc.c). */
    void *warm[7];
    static const size_t extra[] = {0, 96};
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
        for (int i = 0; i < 7; i++)
            warm[i] = malloc(HSIZE + extra[k]);
        for (int i = 0; i < 7; i++)
            free(warm[i]);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    main_thread = pthread_self();
    pthread_t s;
    if (pthread_create(&s, NULL, sender, NULL) != 0)
        die("pthread_create failed");
    uint64_t seed = 42, sum = 0;
    double end = now_sec() + secs;
    long rounds = 0;
    while (now_sec() < end) {
        sum += deep(40, &seed);
        rounds++;
    }
    atomic_store(&stop, true);
    pthread_join(s, NULL);
    printf("sigmalloc: ok %ld handled, %ld rounds (%llu)\n", atomic_load(&handled), rounds,
           (unsigned long long)sum);
    fflush(stdout);
    if (argc > 2 && !wait_file(argv[2], 30))
        return 1;
    return atomic_load(&handler_bad) ? 1 : 0;
}

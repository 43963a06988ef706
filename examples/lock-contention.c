/* lock-contention: threads fighting over one mutex from a known call site (update_shared), and,
 * now and then, over a second one elsewhere (update_rare). Each thread measures how long it waits
 * in pthread_mutex_lock; the program prints the totals, which the mutex and block profiles
 * should match:
 *
 *   NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1 NPROF_HTTP=127.0.0.1:6060 \
 *     LD_PRELOAD=build/libnprof.so build/examples/lock-contention 4 2000 60
 *   go tool pprof -top http://127.0.0.1:6060/debug/pprof/mutex
 *
 * usage: lock-contention [THREADS [ROUNDS [LINGER_SECONDS]]]; it lingers after printing so that
 * its profiles can be fetched. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rare = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t counter, rare_counter;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Work that takes about us microseconds of CPU. */
static void work(int us)
{
    int64_t end = now_ns() + us * 1000LL;
    while (now_ns() < end)
        counter++;
}

/* Locks m, adding the time it waited to *waited. */
static void timed_lock(pthread_mutex_t *m, int64_t *waited)
{
    int64_t t0 = now_ns();
    pthread_mutex_lock(m);
    *waited += now_ns() - t0;
}

static __attribute__((noinline)) void update_shared(int64_t *waited)
{
    timed_lock(&shared, waited);
    work(50);
    pthread_mutex_unlock(&shared);
}

static __attribute__((noinline)) void update_rare(int64_t *waited)
{
    timed_lock(&rare, waited);
    rare_counter++;
    work(5);
    pthread_mutex_unlock(&rare);
}

static int rounds = 2000;

typedef struct result {
    int64_t shared_wait, rare_wait;
} result;

static void *worker(void *arg)
{
    result *r = arg;
    for (int i = 0; i < rounds; i++) {
        update_shared(&r->shared_wait);
        if (i % 50 == 0)
            update_rare(&r->rare_wait);
        work(10);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4, linger = argc > 3 ? atoi(argv[3]) : 0;
    if (argc > 2)
        rounds = atoi(argv[2]);
    if (threads < 1 || threads > 256 || rounds < 1) {
        fprintf(stderr, "usage: lock-contention [THREADS [ROUNDS [LINGER_SECONDS]]]\n");
        return 2;
    }
    pthread_t tid[256];
    result res[256] = {{0, 0}};
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, worker, &res[i]);
    int64_t shared_wait = 0, rare_wait = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        shared_wait += res[i].shared_wait;
        rare_wait += res[i].rare_wait;
    }
    printf("waited_ns %lld shared %lld rare %lld\n", (long long)(shared_wait + rare_wait),
           (long long)shared_wait, (long long)rare_wait);
    fflush(stdout);
    if (linger > 0)
        sleep((unsigned)linger);
    return 0;
}

/* np_par_halves with POSIX threads; a failure to start the thread only loses the speed. */
#include "analyze/par.h"

#include <pthread.h>
#include <sched.h>

typedef struct half {
    np_par_fn *fn;
    void *ctx;
    size_t begin, end;
} half;

static void *run_half(void *arg)
{
    half *h = arg;
    h->fn(h->ctx, h->begin, h->end);
    return NULL;
}

static int cpus_allowed(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

void np_par_halves(np_par_fn *fn, void *ctx, size_t n, size_t min)
{
    pthread_t t;
    half second = {fn, ctx, n / 2, n};
    if (n < min || n < 2 || cpus_allowed() < 2 || pthread_create(&t, NULL, run_half, &second) != 0) {
        fn(ctx, 0, n);
        return;
    }
    fn(ctx, 0, n / 2);
    pthread_join(t, NULL);
}

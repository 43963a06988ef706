/* np_par_chunks with POSIX threads and one atomic counter; a failure to start the thread only
 * loses the speed. */
#include "analyze/par.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>

typedef struct work {
    np_par_fn *fn;
    void *ctx;
    size_t n, chunk;
    atomic_size_t next; /* the first item no one has taken */
} work;

static void take_chunks(work *w)
{
    for (;;) {
        size_t begin = atomic_fetch_add(&w->next, w->chunk);
        if (begin >= w->n)
            return;
        w->fn(w->ctx, begin, w->n - begin > w->chunk ? begin + w->chunk : w->n);
    }
}

static void *worker(void *arg)
{
    take_chunks(arg);
    return NULL;
}

static int cpus_allowed(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

void np_par_chunks(np_par_fn *fn, void *ctx, size_t n, size_t chunk, size_t min)
{
    if (chunk == 0)
        chunk = 1;
    work w = {fn, ctx, n, chunk, 0};
    pthread_t t;
    bool threaded = n >= min && n > chunk && cpus_allowed() > 1 &&
                    pthread_create(&t, NULL, worker, &w) == 0;
    take_chunks(&w);
    if (threaded)
        pthread_join(t, NULL);
}

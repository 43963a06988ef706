/* Unit tests for analyze/par.c: every item of the range is handled exactly once, in runs of at
 * most the chunk's length, whether a thread shares the work or the caller does it all, and for
 * empty and tiny ranges. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "analyze/par.h"
#include "unit.h"

typedef struct visits {
    atomic_uchar *count;
    size_t chunk;
    pthread_t caller;
    atomic_int elsewhere; /* runs handled on another thread */
    atomic_int too_long;  /* runs longer than the chunk */
} visits;

static void visit(void *ctx, size_t begin, size_t end)
{
    visits *v = ctx;
    if (!pthread_equal(pthread_self(), v->caller))
        atomic_fetch_add(&v->elsewhere, 1);
    if (end - begin > v->chunk)
        atomic_fetch_add(&v->too_long, 1);
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&v->count[i], 1);
}

static int run(size_t n, size_t chunk, size_t min, visits *v)
{
    v->count = calloc(n + 1, sizeof *v->count);
    v->chunk = chunk;
    v->caller = pthread_self();
    atomic_store(&v->elsewhere, 0);
    atomic_store(&v->too_long, 0);
    np_par_chunks(visit, v, n, chunk, min);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += atomic_load(&v->count[i]) != 1;
    free(v->count);
    return bad;
}

TEST(par_handles_every_item_once_in_chunks)
{
    visits v;
    const size_t sizes[] = {0, 1, 2, 3, 1000, 1024, 1025, 100001};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        CHECK(run(sizes[i], 7, 0, &v) == 0);
        CHECK(atomic_load(&v.too_long) == 0);
        CHECK(run(sizes[i], 1024, 0, &v) == 0);
        CHECK(atomic_load(&v.too_long) == 0);
    }
}

TEST(par_runs_a_small_range_on_the_caller)
{
    visits v;
    CHECK(run(1000, 10, 1001, &v) == 0);
    CHECK(atomic_load(&v.elsewhere) == 0);
    CHECK(atomic_load(&v.too_long) == 0);
    CHECK(run(5, 10, 0, &v) == 0); /* one chunk holds it all */
    CHECK(atomic_load(&v.elsewhere) == 0);
}

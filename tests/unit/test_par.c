/* Unit tests for analyze/par.c: every item of the range is handled exactly once, whether the
 * range is split between two threads or run whole on the caller, and for empty and tiny ranges. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "analyze/par.h"
#include "unit.h"

typedef struct visits {
    unsigned char *count;
    pthread_t caller;
    int calls_elsewhere; /* calls that ran on another thread (each writes only its own items) */
    size_t elsewhere_begin;
} visits;

static void visit(void *ctx, size_t begin, size_t end)
{
    visits *v = ctx;
    if (!pthread_equal(pthread_self(), v->caller)) {
        v->calls_elsewhere = 1;
        v->elsewhere_begin = begin;
    }
    for (size_t i = begin; i < end; i++)
        v->count[i]++;
}

static int run(size_t n, size_t min, visits *v)
{
    v->count = calloc(n + 1, 1);
    v->caller = pthread_self();
    v->calls_elsewhere = 0;
    np_par_halves(visit, v, n, min);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += v->count[i] != 1;
    free(v->count);
    return bad;
}

TEST(par_handles_every_item_once)
{
    visits v;
    const size_t sizes[] = {0, 1, 2, 3, 1000, 100001};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        CHECK(run(sizes[i], 0, &v) == 0);
        /* When a thread ran, it had the second half. */
        CHECK(!v.calls_elsewhere || v.elsewhere_begin == sizes[i] / 2);
    }
}

TEST(par_runs_a_small_range_on_the_caller)
{
    visits v;
    CHECK(run(1000, 1001, &v) == 0);
    CHECK(!v.calls_elsewhere);
    CHECK(run(1, 0, &v) == 0);
    CHECK(!v.calls_elsewhere);
}

/* The mutex and block profiles (lockprof.h): sampling as Go's runtime does, counters by stack in
 * the one stack table, and the profiles and Go's "--- mutex:" / "--- contention:" text from
 * them. Time is kept in nanoseconds, written as cycles at 10^9 per second. */
#include "collect/lockprof.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "collect/cconfig.h"
#include "collect/pbuild.h"
#include "collect/stacktab.h"
#include "collect/tstate.h"

static _Atomic int fraction;
static _Atomic int64_t rate;
static np_ctab mutex_tab, block_tab;

/* Thousandths: a short wait kept stands for rate/d waits, rarely a whole number. */
enum { COUNT_UNIT = 1000 };

void np_lockprof_set_fraction(int f)
{
    atomic_store(&fraction, f > 0 ? f : 0);
}

int np_lockprof_fraction(void)
{
    return atomic_load_explicit(&fraction, memory_order_relaxed);
}

void np_lockprof_set_rate(int64_t ns)
{
    atomic_store(&rate, ns > 0 ? ns : 0);
}

int64_t np_lockprof_rate(void)
{
    return atomic_load_explicit(&rate, memory_order_relaxed);
}

static __thread uint64_t rng __attribute__((tls_model("initial-exec")));

/* xorshift64*, seeded per thread from the clock and the thread's own address. */
static uint64_t next_random(void)
{
    if (!rng) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        rng = ((uint64_t)t.tv_nsec << 20 ^ (uint64_t)(uintptr_t)&rng ^ (uint64_t)t.tv_sec) | 1;
    }
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

int np_lockprof_stack(const np_origin *o, uintptr_t *pcs)
{
    return np_stack_capture(o, pcs, np_cfg.max_frames);
}

bool np_lockprof_block_keep(int64_t d, int64_t v[2])
{
    int64_t r = np_lockprof_rate();
    if (r <= 0)
        return false;
    if (d <= 0)
        d = 1;
    if (d >= r) {
        v[0] = COUNT_UNIT;
        v[1] = d;
        return true;
    }
    /* Kept with probability d/r, and then standing for r/d such waits of r in all: the
     * expected totals are the true ones. */
    if ((int64_t)(next_random() % (uint64_t)r) > d)
        return false;
    v[0] = (int64_t)((double)COUNT_UNIT * (double)r / (double)d);
    v[1] = r;
    return true;
}

static void add(np_ctab *t, const uintptr_t *pcs, int n, const int64_t v[2])
{
    np_crec *rec = np_ctab_find(t, pcs, n);
    if (!rec)
        return;
    np_crec_add(rec, 0, v[0]);
    np_crec_add(rec, 1, v[1]);
}

void np_lockprof_block_add(const uintptr_t *pcs, int n, const int64_t v[2])
{
    np_enter();
    add(&block_tab, pcs, n, v);
    np_leave();
}

void np_lockprof_mutex_event(const np_origin *o, int64_t d, int64_t waits)
{
    int f = np_lockprof_fraction();
    if (f <= 0 || (d <= 0 && waits <= 0) || next_random() % (uint64_t)f != 0)
        return;
    np_enter();
    uintptr_t pcs[NP_MAX_FRAMES];
    int n = np_lockprof_stack(o, pcs);
    add(&mutex_tab, pcs, n, (const int64_t[2]){waits, d});
    np_leave();
}

/* A kind's records, largest delay first as Go writes them, with their values as written:
 * the mutex profile's scaled by the fraction, the block profile's counts made whole. */
typedef struct snap {
    np_crec *recs;
    size_t n;
} snap;

static int by_delay_desc(const void *a, const void *b)
{
    const np_crec *x = a, *y = b;
    return x->v[1] > y->v[1] ? -1 : x->v[1] < y->v[1];
}

static snap take(np_ctab *t, bool block)
{
    snap s;
    s.n = np_ctab_snapshot(t, &s.recs);
    if (!s.recs)
        s.n = 0;
    for (size_t i = 0; i < s.n && block; i++)
        s.recs[i].v[0] /= COUNT_UNIT;
    qsort(s.recs, s.n, sizeof *s.recs, by_delay_desc);
    return s;
}

static int64_t now_nanos(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static np_profile *build(np_ctab *t, bool block)
{
    static const np_value_type types[2] = {{"contentions", "count"}, {"delay", "nanoseconds"}};
    snap s = take(t, block);
    int64_t scale = block ? 1 : np_lockprof_fraction();
    np_pbuild *b = np_pbuild_new(types, 2, "contentions", "count", 1);
    if (b)
        np_pbuild_profile(b)->time_nanos = now_nanos();
    for (size_t i = 0; b && i < s.n; i++) {
        int64_t v[2] = {s.recs[i].v[0] * scale, s.recs[i].v[1] * scale};
        np_pbuild_sample(b, s.recs[i].st->pcs, s.recs[i].st->n_pcs, false, v);
    }
    free(s.recs);
    return b ? np_pbuild_finish(b) : NULL;
}

/* Go's text: a header, then "cycles count @ pcs" and the frames of each record, unscaled (the
 * reader scales by the sampling period); then, as the heap's text, the memory map, which pprof's
 * reader of this format also takes, so that a saved file symbolizes without the server. */
static void text(np_ctab *t, bool block, np_buf *out)
{
    snap s = take(t, block);
    np_buf_printf(out, "--- %s:\ncycles/second=1000000000\n", block ? "contention" : "mutex");
    if (!block)
        np_buf_printf(out, "sampling period=%d\n", np_lockprof_fraction());
    np_pbuild *b = np_pbuild_new(NULL, 0, "", "", 0);
    for (size_t i = 0; b && i < s.n; i++)
        np_pbuild_locate(b, s.recs[i].st->pcs, s.recs[i].st->n_pcs, false);
    if (b)
        np_pbuild_symbolize(b);
    for (size_t i = 0; b && i < s.n; i++) {
        const np_stack *st = s.recs[i].st;
        np_buf_printf(out, "%" PRId64 " %" PRId64, s.recs[i].v[1], s.recs[i].v[0]);
        np_pbuild_record_text(b, st->pcs, st->n_pcs, false, out);
    }
    np_pbuild_maps_text(out, "--- Memory map: ---");
    np_pbuild_free(b);
    free(s.recs);
}

size_t np_lockprof_mutex_count(void)
{
    return np_ctab_count(&mutex_tab);
}

np_profile *np_lockprof_mutex_profile(void)
{
    return build(&mutex_tab, false);
}

void np_lockprof_mutex_text(np_buf *out, int debug)
{
    (void)debug;
    text(&mutex_tab, false, out);
}

size_t np_lockprof_block_count(void)
{
    return np_ctab_count(&block_tab);
}

np_profile *np_lockprof_block_profile(void)
{
    return build(&block_tab, true);
}

void np_lockprof_block_text(np_buf *out, int debug)
{
    (void)debug;
    text(&block_tab, true, out);
}

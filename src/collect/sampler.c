/* Byte-based Poisson sampling: each thread draws exponential gaps with mean rate, so an
 * allocation of s bytes is sampled with probability 1-exp(-s/rate) and weighted by its inverse. */
#include "collect/sampler.h"

#include <stdatomic.h>
#include <time.h>

#include "collect/cconfig.h"
#include "collect/heaptab.h"
#include "core/npmath.h"

__thread np_tstate np_ts __attribute__((tls_model("initial-exec")));

static _Atomic int64_t rate = 524288;
static _Atomic bool enabled = true;
static _Atomic bool tables_ready;

void np_sampler_set_rate(int64_t r)
{
    atomic_store(&rate, r < 0 ? 0 : r);
}

int64_t np_sampler_rate(void)
{
    return atomic_load(&rate);
}

void np_sampler_enable(bool on)
{
    atomic_store(&enabled, on);
}

static _Atomic bool blocked;

void np_sampler_block(void)
{
    atomic_store(&blocked, true);
}

void np_sampler_init(void)
{
    if (np_cconfig_load())
        np_sampler_set_rate(np_cfg.heap_rate);
}

double np_sample_weight(size_t size, int64_t r)
{
    if (r <= 1 || size == 0)
        return 1;
    return 1 / np_one_minus_exp_neg((double)size / (double)r);
}

static uint64_t next_random(void)
{
    if (!np_ts.rng) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        np_ts.rng = (((uint64_t)t.tv_nsec << 20) ^ (uint64_t)(uintptr_t)&np_ts ^ (uint64_t)t.tv_sec) | 1;
    }
    /* xorshift64*: fast, and plenty for spacing samples. */
    uint64_t x = np_ts.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    np_ts.rng = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Bytes until the next sample: exponential with mean r (0 when every allocation counts). */
static int64_t next_gap(int64_t r, bool on)
{
    if (!on)
        return INT64_MAX / 2;
    if (r == 1)
        return 0;
    double u = (double)((next_random() >> 11) + 1) * (1.0 / 9007199254740992.0); /* (0, 1] */
    double gap = -np_log(u) * (double)r;
    return gap > 9e18 ? INT64_MAX / 2 : (int64_t)gap;
}

/* While sampling is off, a thread still takes the slow path every this many bytes, to notice
 * that it was turned on or the rate changed. */
enum { RECHECK_BYTES = 1 << 20 };

/* Splits the bytes left before the next sample into the countdown the fast path charges and
 * the rest. The countdown stays below the rate, so that any allocation of at least the rate
 * runs it out and reaches the slow path, which records it. */
static void set_left(int64_t left, int64_t r, bool on)
{
    int64_t cap = on && r > 1 ? r - 1 : RECHECK_BYTES;
    int64_t c = left < cap ? left : cap;
    np_ts.countdown = c;
    np_ts.rest = left - c;
}

static void (*_Atomic deferred)(void);

void np_sampler_defer(void (*fn)(void))
{
    atomic_store(&deferred, fn);
    np_ts.rest += np_ts.countdown; /* the bytes left stay the same: sampling is not disturbed */
    np_ts.countdown = 0;
}

/* Runs the deferred function, if one is waiting; the caller is marked busy. */
static void run_deferred(void)
{
    if (__builtin_expect(atomic_load_explicit(&deferred, memory_order_relaxed) != NULL, 0)) {
        void (*fn)(void) = atomic_exchange(&deferred, NULL);
        if (fn)
            fn();
    }
}

void np_sampler_run_deferred(void)
{
    np_ts.busy++;
    run_deferred();
    np_ts.busy--;
}

double np_sample_decide(size_t size)
{
    if (np_ts.busy) {
        /* The collector's own allocation, or a re-entered hook: not charged after all. */
        np_ts.countdown = (int64_t)((uint64_t)np_ts.countdown + size);
        return 0;
    }
    np_ts.busy++;
    run_deferred();
    if (!atomic_load(&tables_ready))
        np_sampler_init();
    int64_t r = atomic_load(&rate);
    if (!atomic_load(&tables_ready)) {
        if (np_heaptab_init())
            atomic_store(&tables_ready, true);
        else
            r = 0;
    }
    bool on = r > 0 && atomic_load(&enabled) && !atomic_load(&blocked);
    int64_t drawn = on ? r : -1;
    /* Bytes that were left before this allocation (the charge undone). */
    int64_t left = (int64_t)((uint64_t)np_ts.countdown + size) + np_ts.rest;
    if (np_ts.drawn_rate != drawn) {
        /* The thread's first allocation, or the rate changed: a fresh gap at the new rate. */
        left = next_gap(r, on);
        np_ts.drawn_rate = drawn;
    }
    int64_t s = size > (size_t)INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)size;
    double weight = 0;
    if (on && r > 1 && s >= r) {
        weight = 1; /* at least the rate: always, and not charged */
    } else if (s > left) {
        /* The gap ends inside this allocation: sample it and draw the next gap. */
        if (on)
            weight = np_sample_weight(size, r);
        left = next_gap(r, on);
    } else {
        left -= s;
    }
    set_left(left, r, on);
    np_ts.busy--;
    return weight;
}

void np_sample_begin(np_pending *s, size_t size, double weight, const np_origin *o)
{
    np_ts.busy++;
    s->n = np_stack_capture(o, s->pcs, np_cfg.max_frames);
    s->size = size;
    s->weight = weight;
    s->key = np_heaptab_key(s->pcs, s->n, size);
    np_ts.busy--;
}

void np_sample_finish(const np_pending *s, void *p, const np_heap_block *blk)
{
    np_ts.busy++;
    np_heaptab_alloc(p, s->size, blk, s->pcs, s->n, &s->key, s->weight);
    np_ts.busy--;
}

/* Byte-based Poisson sampling: each thread draws exponential gaps with mean rate, so an
 * allocation of s bytes is sampled with probability 1-exp(-s/rate) and weighted by its inverse. */
#include "sampler.h"

#include <math.h>
#include <stdatomic.h>
#include <time.h>

#include "cconfig.h"
#include "heaptab.h"
#include "stack.h"

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

double np_sample_weight(size_t size, int64_t r)
{
    if (r <= 1 || size == 0)
        return 1;
    return 1 / (1 - exp(-(double)size / (double)r));
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
static int64_t next_gap(int64_t r)
{
    if (r <= 0 || !atomic_load(&enabled))
        return INT64_MAX / 2;
    if (r == 1)
        return 0;
    double u = (double)((next_random() >> 11) + 1) * (1.0 / 9007199254740992.0); /* (0, 1] */
    double gap = -log(u) * (double)r;
    return gap > 9e18 ? INT64_MAX / 2 : (int64_t)gap;
}

static void record(void *p, size_t size, uintptr_t caller, double weight)
{
    uintptr_t pcs[NP_MAX_FRAMES];
    int n = np_stack_capture(caller, pcs, np_cfg.max_frames);
    np_heaptab_alloc(p, size, pcs, n, weight);
}

/* The size from which every allocation is recorded: the rate itself (sampling at rate 1 or
 * turned off needs no such rule). */
static int64_t big_threshold(int64_t r)
{
    return r > 1 && atomic_load(&enabled) ? r : INT64_MAX;
}

void np_sample_slow(void *p, size_t size, uintptr_t caller)
{
    if (np_ts.busy)
        return; /* the collector's own allocation, or a re-entered hook */
    np_ts.busy++;
    int64_t r = atomic_load(&rate);
    if (!atomic_load(&tables_ready)) {
        if (np_heaptab_init())
            atomic_store(&tables_ready, true);
        else
            r = 0;
    }
    bool on = r > 0 && atomic_load(&enabled);
    if (np_ts.big == 0) {
        /* The thread's first allocation: draw its first gap, then judge this one. */
        next_random();
        np_ts.big = big_threshold(r);
        np_ts.countdown = next_gap(r);
        if ((int64_t)size < np_ts.big && (np_ts.countdown -= (int64_t)size) >= 0) {
            np_ts.busy--;
            return;
        }
    }
    if ((int64_t)size >= np_ts.big) {
        np_ts.big = big_threshold(r); /* the rate may have changed */
        if (on && (int64_t)size >= np_ts.big)
            record(p, size, caller, 1);
    } else {
        /* The countdown ran out inside this allocation: sample it and draw the next gap. */
        np_ts.big = big_threshold(r);
        np_ts.countdown = next_gap(r);
        if (on)
            record(p, size, caller, np_sample_weight(size, r));
    }
    np_ts.busy--;
}

/* Per-thread sampling state and the decision to record an allocation (Poisson by bytes). */
#ifndef NP_SAMPLER_H
#define NP_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_tstate {
    int64_t countdown; /* bytes left before the next sample; < 0 takes the slow path */
    int64_t big;       /* allocations of at least this size are always recorded (0 until the
                          thread's first allocation sets it up) */
    uint64_t rng;
    uint32_t busy;     /* non-zero inside the collector: allocations pass through unsampled */
} np_tstate;

extern __thread np_tstate np_ts __attribute__((tls_model("initial-exec")));

/* The slow path of an allocation that ran out of countdown: maybe records p. */
void np_sample_slow(void *p, size_t size, uintptr_t caller);

/* Marks the calling thread as a collector thread (its allocations are never sampled). */
static inline void np_enter(void) { np_ts.busy++; }
static inline void np_leave(void) { np_ts.busy--; }

/* The allocation hook's fast path: a compare, a subtraction and two predictable branches.
 * Allocations at least as large as the sampling rate skip the countdown: they are always
 * recorded, with weight 1, so big leaks are exact rather than estimated. */
static inline void np_sample_check(void *p, size_t size, uintptr_t caller)
{
    if (__builtin_expect((int64_t)size >= np_ts.big || (np_ts.countdown -= (int64_t)size) < 0, 0) && p)
        np_sample_slow(p, size, caller);
}

/* Sampling on/off and the rate, for the API and tests. */
void np_sampler_set_rate(int64_t rate);
int64_t np_sampler_rate(void);
void np_sampler_enable(bool on);
/* Go's unbiasing weight for an object of this size at this rate. */
double np_sample_weight(size_t size, int64_t rate);

#endif

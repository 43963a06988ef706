/* The collector's per-thread state: the sampler's countdown and the recursion guard that every
 * hook checks, so that what the collector itself allocates, and what its own threads do, is
 * never sampled. Lowest layer of the collector: it includes nothing of it. */
#ifndef NP_TSTATE_H
#define NP_TSTATE_H

#include <stdint.h>

typedef struct np_tstate {
    /* Bytes left before the next sample = countdown + rest. The allocation fast path only
     * charges countdown, which is kept below the sampling rate: an allocation of at least the
     * rate (always recorded) then takes the slow path without a second comparison. */
    int64_t countdown; /* < 0 after a charge: take the slow path */
    int64_t rest;
    int64_t drawn_rate; /* the rate the current gap was drawn at; 0 = thread not set up yet */
    uint64_t rng;
    uint32_t busy;      /* non-zero inside the collector: allocations pass through unsampled */
} np_tstate;

extern __thread np_tstate np_ts __attribute__((tls_model("initial-exec")));

/* Marks the calling thread as a collector thread (its allocations are never sampled). */
static inline void np_enter(void) { np_ts.busy++; }
static inline void np_leave(void) { np_ts.busy--; }

#endif

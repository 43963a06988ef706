/* Per-thread sampling state and the decision to record an allocation (Poisson by bytes). */
#ifndef NP_SAMPLER_H
#define NP_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/heaptab.h"
#include "collect/stack.h"
#include "collect/tstate.h"

/* The allocation hook's fast path, before the allocation is made: charges size bytes to the
 * thread's countdown, true when that ran out (then np_sample_slow must follow). One
 * subtraction on a thread-local and a sign test. */
static inline bool np_sample_due(size_t size)
{
    np_ts.countdown = (int64_t)((uint64_t)np_ts.countdown - size); /* wraps, no overflow */
    return __builtin_expect(np_ts.countdown < 0, 0);
}

/* The slow path of an allocation whose charge ran out the countdown, taken before the
 * allocation is made (a recorded block is laid out differently): sets up the next countdown and
 * returns the weight to record the allocation with, or 0 when it is not recorded. Allocations of
 * at least the rate are always recorded, with weight 1, so big leaks are exact; the collector's
 * own allocations never are. */
double np_sample_decide(size_t size);
/* A sample in the making: its stack is taken and its bucket looked for before the allocation
 * is made (the allocator's work then hides the wait for the bucket index), and it is recorded
 * once the block exists: p is the program's pointer, laid out in its block as blk says (see
 * heaptab.h). */
typedef struct np_pending {
    uintptr_t pcs[NP_MAX_FRAMES];
    int n;
    size_t size;
    double weight;
    np_heap_key key;
} np_pending;
void np_sample_begin(np_pending *s, size_t size, double weight, const np_origin *o);
void np_sample_finish(const np_pending *s, void *p, const np_heap_block *blk);

/* Reads the settings, if that was not done yet, and takes the rate from them: before the first
 * sampling decision, which may come before the library's constructor runs. */
void np_sampler_init(void);
/* Runs fn once, at the calling thread's next allocation (its next sampling decision, which that
 * allocation is made to reach), as the collector's own work: for what cannot be done where the
 * need arises, such as starting threads in a fork handler, before the allocator's own fork
 * handlers have run. */
void np_sampler_defer(void (*fn)(void));
/* Runs it now if it is still waiting (a process about to fork that has not allocated yet). */
void np_sampler_run_deferred(void);
/* Sampling on/off and the rate, for the API and tests. */
void np_sampler_set_rate(int64_t rate);
int64_t np_sampler_rate(void);
void np_sampler_enable(bool on);
/* Sampling off for good, whatever the API asks later (see np_alloc_check_order). */
void np_sampler_block(void);
/* Go's unbiasing weight for an object of this size at this rate. */
double np_sample_weight(size_t size, int64_t rate);

#endif

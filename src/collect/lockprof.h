/* The mutex and block profiles, with Go's semantics: the block profile charges a waiter's stack
 * with its wait, sampled by duration (SetBlockProfileRate); the mutex profile charges an
 * unlocker's stack with the delay its waiters had, one event in `fraction` kept
 * (SetMutexProfileFraction) and scaled up when written. Counters stay cumulative. */
#ifndef NP_LOCKPROF_H
#define NP_LOCKPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"
#include "core/util.h"
#include "collect/stack.h"

/* 0 turns each off (the default). The rate is in nanoseconds of waiting per sampled event. */
void np_lockprof_set_fraction(int fraction);
int np_lockprof_fraction(void);
void np_lockprof_set_rate(int64_t ns);
int64_t np_lockprof_rate(void);

/* The stack of the code at o, into pcs (NP_MAX_FRAMES); the caller is inside np_enter(). */
int np_lockprof_stack(const np_origin *o, uintptr_t *pcs);
/* Whether the block profile keeps a wait of d nanoseconds, and if so its values: contentions
 * in thousandths (a short wait kept stands for rate/d of them) and delay. */
bool np_lockprof_block_keep(int64_t d, int64_t v[2]);
void np_lockprof_block_add(const uintptr_t *pcs, int n, const int64_t v[2]);
/* The code at o released a lock whose waiters waited d nanoseconds in all, and was the first
 * release that `waits` of them saw (the contentions it is charged with, one per waiter, as
 * Go's runtime counts one event per waiter it wakes): one event of the mutex profile, kept one
 * time in `fraction`. */
void np_lockprof_mutex_event(const np_origin *o, int64_t d, int64_t waits);

/* Entries of the table of kinds (kinds.h). */
size_t np_lockprof_mutex_count(void);
np_profile *np_lockprof_mutex_profile(void);
void np_lockprof_mutex_text(np_buf *out, int debug);
size_t np_lockprof_block_count(void);
np_profile *np_lockprof_block_profile(void);
void np_lockprof_block_text(np_buf *out, int debug);

#endif

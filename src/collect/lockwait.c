/* The table of waits by lock (lockwait.h). Each slot keeps, for one lock, how many threads wait
 * and the sum of the times from which each is still to be charged: a release charges
 * waiters * now - sum, and moves every waiter's mark to now. A waiter that leaves takes out its
 * own mark, which is its start or the last charge, whichever is later. What is not charged is
 * the moment from the last release to the waiter's wake-up. */
#include "collect/lockwait.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "collect/hindex.h"
#include "collect/spin.h"

/* Locks contended at the same moment, not locks in the program: 1024 slots is plenty. A lock
 * may hold two slots of its probe window (one emptied and was taken again); a release charges
 * both. */
enum { SLOTS = 1024, PROBE = 4 };

typedef struct slot {
    atomic_int lock;
    atomic_int waiters;
    _Atomic uintptr_t addr;
    int64_t base;  /* when the slot was taken: times are kept relative to it, so that
                      waiters * time cannot overflow */
    int64_t sum;   /* sum of the waiters' marks */
    int64_t reset; /* the last charge */
    uint64_t epoch; /* charges since the slot was taken */
    int64_t fresh;  /* waiters that came since the last charge: not yet counted */
} __attribute__((aligned(64))) slot;

static slot slots[SLOTS];

int64_t np_lockwait_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static size_t home(const void *lock)
{
    return (size_t)np_mix64((uintptr_t)lock);
}

/* Takes s for lock if it is lock's or free; the caller holds s->lock. */
static bool claim(slot *s, uintptr_t lock, int64_t now)
{
    if (atomic_load_explicit(&s->waiters, memory_order_relaxed) > 0)
        return atomic_load_explicit(&s->addr, memory_order_relaxed) == lock;
    atomic_store_explicit(&s->addr, lock, memory_order_relaxed);
    s->base = now;
    s->sum = 0;
    s->reset = 0;
    s->epoch = 0;
    s->fresh = 0;
    return true;
}

void np_lockwait_enter(const void *lock, np_lockwait *w)
{
    size_t h = home(lock);
    for (int i = 0; i < PROBE; i++) {
        int k = (int)((h + (size_t)i) & (SLOTS - 1));
        slot *s = &slots[k];
        np_spin_lock(&s->lock);
        /* The time is taken under the slot's lock, so that marks and charges are in order. */
        int64_t now = np_lockwait_now();
        if (claim(s, (uintptr_t)lock, now)) {
            w->slot = k;
            w->start = now - s->base;
            w->epoch = s->epoch;
            s->sum += w->start;
            s->fresh++;
            atomic_fetch_add_explicit(&s->waiters, 1, memory_order_relaxed);
            np_spin_unlock(&s->lock);
            return;
        }
        np_spin_unlock(&s->lock);
    }
    w->slot = -1;
    w->start = 0;
}

void np_lockwait_leave(const np_lockwait *w)
{
    if (w->slot < 0)
        return;
    slot *s = &slots[w->slot];
    np_spin_lock(&s->lock);
    s->sum -= w->start > s->reset ? w->start : s->reset;
    if (w->epoch == s->epoch) /* no release came during the wait (it timed out, or failed) */
        s->fresh--;
    if (atomic_fetch_sub_explicit(&s->waiters, 1, memory_order_relaxed) == 1)
        s->sum = 0;
    np_spin_unlock(&s->lock);
}

int64_t np_lockwait_charge(const void *lock, int64_t *waits)
{
    size_t h = home(lock);
    int64_t d = 0;
    *waits = 0;
    for (int i = 0; i < PROBE; i++) {
        slot *s = &slots[(h + (size_t)i) & (SLOTS - 1)];
        if (atomic_load_explicit(&s->addr, memory_order_relaxed) != (uintptr_t)lock ||
            atomic_load_explicit(&s->waiters, memory_order_relaxed) == 0)
            continue;
        np_spin_lock(&s->lock);
        int64_t n = atomic_load_explicit(&s->waiters, memory_order_relaxed);
        if (n > 0 && atomic_load_explicit(&s->addr, memory_order_relaxed) == (uintptr_t)lock) {
            int64_t now = np_lockwait_now() - s->base;
            d += n * now - s->sum;
            s->sum = n * now;
            s->reset = now;
            *waits += s->fresh;
            s->fresh = 0;
            s->epoch++;
        }
        np_spin_unlock(&s->lock);
    }
    return d;
}

void np_lockwait_child_reset(void)
{
    memset(slots, 0, sizeof slots);
}

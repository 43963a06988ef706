/* Who waits on which lock right now, so that the holder can be charged, when it unlocks, with
 * the delay it caused (the mutex profile blames the unlocker, as Go's does). A fixed table in
 * the collector's memory, keyed by the lock's address; only contended locks enter it. */
#ifndef NP_LOCKWAIT_H
#define NP_LOCKWAIT_H

#include <stdint.h>

/* A thread's wait on one lock: the slot it was counted in (-1: the table was full, the wait
 * is not charged to anyone) and when it started. */
typedef struct np_lockwait {
    int slot;
    int64_t start;
    uint64_t epoch; /* the slot's releases before this wait began */
} np_lockwait;

/* Monotonic nanoseconds (the vDSO's clock: no system call). */
int64_t np_lockwait_now(void);
/* The calling thread starts waiting for lock; *w says where, for np_lockwait_leave. */
void np_lockwait_enter(const void *lock, np_lockwait *w);
/* It stopped waiting (it holds the lock, or gave up). */
void np_lockwait_leave(const np_lockwait *w);
/* Called by the holder as it releases lock: the nanoseconds its waiters spent waiting since the
 * lock was last released (0 when nobody waits: one look at the table, no lock taken), and in
 * *waits the waiters it is the first to release the lock on: each wait counts as one contention,
 * charged to the first release it sees, however often it is woken and loses the lock again. */
int64_t np_lockwait_charge(const void *lock, int64_t *waits);
/* In a forked child: nobody waits (only the forking thread lives) and no slot is locked. */
void np_lockwait_child_reset(void);

#endif

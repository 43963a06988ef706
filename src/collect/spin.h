/* The collector's spinlock, for tables held a few hundred nanoseconds at a time: a mutex would
 * send the second of two sampling threads to sleep in the kernel (a futex wait and a context
 * switch, tens of microseconds) where waiting out the holder costs a fraction of that. A
 * waiter that spins for long (the holder was preempted) yields the CPU between tries. */
#ifndef NP_SPIN_H
#define NP_SPIN_H

#include <sched.h>
#include <stdatomic.h>

static inline void np_spin_lock(atomic_int *lock)
{
    for (unsigned spins = 0; atomic_exchange_explicit(lock, 1, memory_order_acquire);) {
        while (atomic_load_explicit(lock, memory_order_relaxed)) {
            if (++spins < 2000)
                __builtin_ia32_pause();
            else
                sched_yield();
        }
    }
}

static inline void np_spin_unlock(atomic_int *lock)
{
    atomic_store_explicit(lock, 0, memory_order_release);
}

#endif

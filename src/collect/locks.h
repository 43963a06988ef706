/* The interposed pthread mutex, rwlock and condition variable functions (locks.c), and the
 * switches of the mutex and block profiles: with both off, each interposed call goes straight
 * to the next definition (libc's); with one on, a wait is timed only after a try-lock fails. */
#ifndef NP_LOCKS_H
#define NP_LOCKS_H

#include <stdint.h>

/* Takes NPROF_MUTEX_FRACTION and NPROF_BLOCK_RATE from the settings (the constructor). */
void np_locks_init(void);
/* Go's SetMutexProfileFraction (1 event in fraction kept; 0 off) and SetBlockProfileRate
 * (nanoseconds; 0 off). */
void np_locks_set_mutex_fraction(int fraction);
void np_locks_set_block_rate(int64_t ns);
/* In a forked child: the waits of the parent's other threads are gone. */
void np_locks_child_reset(void);

#endif

/* The calling thread's stack bounds, for the unwinders (stack.c, sigstack.c). Who calls what:
 * np_tbounds_learn at a thread's start and at start-up, outside any allocation hook; the
 * sampler np_tbounds_get, which never calls pthread_getattr_np (a sampled allocation may be
 * running inside it, holding the thread's lock); a signal handler np_tbounds_known. */
#ifndef NP_TBOUNDS_H
#define NP_TBOUNDS_H

#include <stdint.h>

/* Learns the calling thread's bounds from pthread_getattr_np, once. Call with the recursion
 * guard held (the call allocates) and never from inside a hook. */
void np_tbounds_learn(void);

/* [*lo, *hi) of the calling thread's stack: the learned bounds, else the mapping that holds the
 * stack pointer, read from /proc/self/maps with plain system calls (no allocation, no lock of
 * the C library), read once per thread and kept. *hi is 0 when neither is found. */
void np_tbounds_get(uintptr_t *lo, uintptr_t *hi);

/* The bounds as known so far, (0, 0) when none: async-signal-safe. */
void np_tbounds_known(uintptr_t *lo, uintptr_t *hi);

#endif

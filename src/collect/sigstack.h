/* Stacks taken inside a signal handler, from the interrupted thread's registers: every frame's
 * rule comes from the tables prepared ahead (ehtab.h), every read of the stack is checked
 * first, nothing allocates or locks. For the CPU profile and the thread dumps. */
#ifndef NP_SIGSTACK_H
#define NP_SIGSTACK_H

#include <stdint.h>

/* Fills pcs with up to max addresses, innermost first: pcs[0] = pc, the interrupted
 * instruction itself; then return addresses (a frame interrupted by a nested signal appears
 * with its own instruction + 1, so that symbolizing it as a return address names that
 * instruction). sp and bp are the thread's registers; [lo, hi) bounds its stack, or hi = 0
 * when unknown (each page is then probed before it is read). Returns the count (at least 1
 * when max >= 1). Async-signal-safe. */
int np_stack_from_regs(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t lo, uintptr_t hi,
                       uintptr_t *pcs, int max);

#endif

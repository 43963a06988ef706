/* What one sample of the process-wide clock (setitimer) stands for: the process's CPU time since
 * the previous sample, read from the kernel's exact runtime rather than trusted to the timer. */
#ifndef NP_CPUWEIGH_H
#define NP_CPUWEIGH_H

#include <stdint.h>

/* At a session's start: the CPU time so far is nobody's sample. */
void np_cpuweigh_begin(void);
/* In the signal handler: the process's CPU nanoseconds since the previous call (or begin). */
int64_t np_cpuweigh_take(void);

#endif

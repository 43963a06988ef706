/* The CPU profile's clocks: each thread's own CPU-time timer raising the profiling signal on
 * that thread, through a perf_event software CPU clock (not bound to the kernel tick), else a
 * POSIX per-thread CPU timer (weighed by its overruns), else one process-wide setitimer. */
#ifndef NP_CPUTIMER_H
#define NP_CPUTIMER_H

#include <stdbool.h>
#include <stddef.h>

enum np_cpu_engine { NP_CPU_AUTO, NP_CPU_PERF, NP_CPU_THREAD, NP_CPU_PROCESS };

/* Arms engine want (NP_CPU_AUTO: the best one that works) at hz, raising signal sig, on every
 * thread of the process. The engine used, or -1 with why filled. From a collector thread. */
int np_cputimer_start(int want, int hz, int sig, char *why, size_t cap);
/* Disarms every timer (a signal already raised may still arrive). */
void np_cputimer_stop(void);
/* Threads that appeared since are armed, those gone are forgotten (from the reading thread:
 * glibc makes threads that no hook sees). */
void np_cputimer_rescan(void);
/* On a thread that starts (armed if a profile runs) and that ends. */
void np_cputimer_thread_start(void);
void np_cputimer_thread_exit(void);
/* In a forked child: the parent's timers are not the child's (their files are closed). */
void np_cputimer_child(void);
/* "perf_event cpu-clock", ...: for the profile's comments. */
const char *np_cputimer_name(int engine);

#endif

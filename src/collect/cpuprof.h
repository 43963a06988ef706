/* The CPU profile, as Go's runtime/pprof makes it: one session at a time, samples of the
 * profiling signal on each thread in proportion to its CPU time, a profile with sample types
 * samples/count and cpu/nanoseconds when the session ends. */
#ifndef NP_CPUPROF_H
#define NP_CPUPROF_H

#include <stddef.h>

#include "core/profile.h"

/* Starts a session; -1 with why filled ("cpu profiling already in use" while one runs, as
 * Go says) when it cannot. From a collector thread. */
int np_cpu_begin(char *why, size_t cap);
/* Ends the session: its profile, symbolized (NULL when out of memory). */
np_profile *np_cpu_end(void);

/* At start-up (the library's constructor, on the main thread): fork handlers, and a session
 * for the whole run when NPROF_CPU_PROFILE names a file. */
void np_cpu_init(void);
/* After dlopen loaded code (dlhook.c): while a session runs, the new code's unwind rules are
 * prepared now rather than at the drain thread's next look. */
void np_cpu_code_loaded(void);
/* On every thread the program starts, first thing, and when it ends (threads_hook.h). */
void np_cpu_thread_begin(void);
void np_cpu_thread_end(void);

#endif

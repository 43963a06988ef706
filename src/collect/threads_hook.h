/* The start of every thread the program makes, wrapped: the collector's per-thread set-up runs
 * first in the new thread (its stack bounds for unwinding in signal handlers, its CPU clock
 * when a profile runs) and the tear-down when it ends, by return, pthread_exit or cancellation.
 * The interposed pthread_create (thrcreate.c) starts threads through it. */
#ifndef NP_THREADS_HOOK_H
#define NP_THREADS_HOOK_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

typedef int np_create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/* Starts fn(arg) through real (glibc's pthread_create) with the set-up around it; real's
 * result. creator_pc: the return address in the code that asked for the thread (0 unknown),
 * remembered for the thread dumps' "created by" line. When the wrapper cannot be made (out of
 * memory), fn starts as it is. */
int np_thread_spawn(np_create_fn *real, pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                    uintptr_t creator_pc);
/* The creator_pc of the live thread tid, or 0 when it is not known (a thread started before
 * libnprof was loaded, or by glibc itself). */
uintptr_t np_thread_creator(pid_t tid);

#endif

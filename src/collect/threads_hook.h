/* The start of every thread the program makes, wrapped: the collector's per-thread set-up runs
 * first in the new thread (its stack bounds for unwinding in signal handlers, its CPU clock
 * when a profile runs) and the tear-down when it ends, by return, pthread_exit or cancellation.
 * The interposed pthread_create (thrcreate.c) starts threads through it. */
#ifndef NP_THREADS_HOOK_H
#define NP_THREADS_HOOK_H

#include <pthread.h>

typedef int np_create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/* Starts fn(arg) through real (glibc's pthread_create) with the set-up around it; real's
 * result. When the wrapper cannot be made (out of memory), fn starts as it is. */
int np_thread_spawn(np_create_fn *real, pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

#endif

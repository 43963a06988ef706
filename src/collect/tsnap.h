/* Every thread of the process at one moment, with its name, state, the system call it is
 * blocked in, how long it has waited, and its stack. A thread blocked in the kernel is read
 * without being disturbed (/proc/self/task/TID/syscall gives its sp and pc; its stack is read
 * from outside and the file read again to make sure it did not move); a running thread is held
 * for a moment by a signal (tpark.h). The collector's own threads (named "nprof-...") are left
 * out, as Go leaves its runtime's own goroutines out of a goroutine profile. */
#ifndef NP_TSNAP_H
#define NP_TSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct np_tthread {
    pid_t tid;
    char name[20];   /* /proc/self/task/TID/comm */
    char state;      /* the state letter of /proc/self/task/TID/stat: R, S, D, T ... */
    long syscall;    /* the system call it is blocked in, -1 for none or not known */
    int64_t wait_ms; /* since it last ran, when it is not running; -1 when not known */
    bool blocks_signal; /* running with the dump's signal blocked: no stack */
    bool closed;        /* its syscall file is closed to the process (not dumpable): no stack */
    bool no_signal;     /* running while the program holds every realtime signal: no stack */
    int n_pcs;          /* 0 when its stack could not be read */
    uintptr_t *pcs;     /* pcs[0] the instruction it will run next, then return addresses */
} np_tthread;

typedef struct np_tsnap {
    np_tthread *threads;
    size_t n;
    uintptr_t *store;
    int64_t took_ns; /* how long taking it took */
} np_tsnap;

/* Takes a snapshot (one at a time: callers wait for each other); false when out of memory. */
bool np_tsnap_take(np_tsnap *s);
void np_tsnap_free(np_tsnap *s);
/* How many threads the program has now, the collector's left out (the index page's count). */
size_t np_tsnap_count(void);

#endif

/* The one table of call stacks for every profile kind: each distinct stack stored once in the
 * collector's own memory, immutable for the life of the process (so a stack's address is its
 * identity), and per-kind tables of counters by stack built on it (threads created, lock
 * delays, CPU samples). Lookups take no lock; what is new is added under one spinlock, which
 * also guards every counter table. Callers run inside np_enter() (tstate.h), and never from a
 * signal handler: a handler could interrupt the lock's holder on its own thread. */
#ifndef NP_STACKTAB_H
#define NP_STACKTAB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/hindex.h"

typedef struct np_stack {
    int n_pcs;
    uintptr_t pcs[]; /* innermost first */
} np_stack;

uint64_t np_stack_hash(const uintptr_t *pcs, int n);
bool np_stack_equal(const np_stack *st, const uintptr_t *pcs, int n);
/* The stored stack equal to pcs[0..n), with hash np_stack_hash(pcs, n); stored now if new.
 * NULL when out of memory. The caller holds the lock (np_stacktab_lock). */
const np_stack *np_stacktab_intern_locked(const uintptr_t *pcs, int n, uint64_t hash);

/* The table's lock, also held across fork (lifecycle.c): the child gets a fresh one. */
void np_stacktab_lock(void);
void np_stacktab_unlock(void);
void np_stacktab_child_reset(void);

/* Counters by stack for one kind: a record per stack with NP_CTAB_VALUES counters, added to
 * atomically. A table is a zero-initialized static np_ctab. */
enum { NP_CTAB_VALUES = 2 };
typedef struct np_crec {
    const np_stack *st;
    int64_t v[NP_CTAB_VALUES];
    struct np_crec *next; /* records in the order they were made, newest first */
} np_crec;
typedef struct np_ctab {
    np_hindex index;
    np_crec *_Atomic first;
    atomic_size_t n;
} np_ctab;

/* The record of the stack pcs[0..n), made if new (under the lock; an existing one is found
 * without it); NULL when out of memory. */
np_crec *np_ctab_find(np_ctab *t, const uintptr_t *pcs, int n);
/* Adds d to counter i of r. */
static inline void np_crec_add(np_crec *r, int i, int64_t d)
{
    __atomic_fetch_add(&r->v[i], d, __ATOMIC_RELAXED);
}
/* A copy of every record whose counters are not all zero, malloc'd into *out; their count. */
size_t np_ctab_snapshot(np_ctab *t, np_crec **out);
/* Records made so far (the index page's count). */
size_t np_ctab_count(const np_ctab *t);

#endif

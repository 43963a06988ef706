/* pthread_create, interposed: the creating stack of every thread the program makes is counted in
 * a table of counters by stack (threads the collector makes for itself are not), and the new
 * thread starts through the collector's per-thread set-up (threads_hook.h). */
#include "collect/thrcreate.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>

#include "collect/alloc.h"
#include "collect/cconfig.h"
#include "collect/countprof.h"
#include "collect/stack.h"
#include "collect/stacktab.h"
#include "collect/threads_hook.h"
#include "collect/tstate.h"

typedef np_create_fn create_fn;

static np_ctab created;

/* The next pthread_create in link order (glibc's). dlsym may allocate: the allocator's own
 * early-call buffer serves it. */
static create_fn *next_create(void)
{
    static create_fn *next;
    create_fn *f = __atomic_load_n(&next, __ATOMIC_ACQUIRE);
    if (!f) {
        np_enter();
        f = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
        np_leave();
        __atomic_store_n(&next, f, __ATOMIC_RELEASE);
    }
    return f;
}

static void count_creation(const np_origin *o)
{
    np_enter();
    uintptr_t pcs[NP_MAX_FRAMES];
    int n = np_stack_capture(o, pcs, np_cfg.max_frames);
    np_crec *r = np_ctab_find(&created, pcs, n);
    if (r)
        np_crec_add(r, 0, 1);
    np_leave();
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    create_fn *real = next_create();
    if (!real)
        return EAGAIN;
    bool ours = np_ts.busy; /* a thread the collector makes for itself */
    np_origin o = {ORIGIN};
    int rc = np_thread_spawn(real, t, attr, fn, arg, ours ? 0 : o.pc);
    if (rc == 0 && !ours)
        count_creation(&o);
    return rc;
}

/* Threads created, as Go's index counts threadcreate (one record per thread there), and as the
 * text's total says; not the number of creating stacks. */
size_t np_thrcreate_count(void)
{
    np_crec *snap;
    size_t n = np_ctab_snapshot(&created, &snap), total = 0;
    for (size_t i = 0; snap && i < n; i++)
        total += (size_t)snap[i].v[0];
    free(snap);
    return total;
}

/* The counters as count records (their stacks live as long as the process); *recs malloc'd. */
static size_t records(np_crec **snap, np_count_rec **recs)
{
    size_t n = np_ctab_snapshot(&created, snap);
    *recs = malloc((n + 1) * sizeof **recs);
    if (!*snap || !*recs)
        return 0;
    for (size_t i = 0; i < n; i++)
        (*recs)[i] = (np_count_rec){(*snap)[i].st->pcs, (*snap)[i].st->n_pcs, false, (*snap)[i].v[0]};
    return n;
}

np_profile *np_thrcreate_profile(void)
{
    np_crec *snap;
    np_count_rec *recs;
    size_t n = records(&snap, &recs);
    np_profile *p = recs ? np_countprof_profile("threadcreate", recs, n) : NULL;
    free(recs);
    free(snap);
    return p;
}

void np_thrcreate_text(np_buf *out, int debug)
{
    (void)debug;
    np_crec *snap;
    np_count_rec *recs;
    size_t n = records(&snap, &recs);
    np_countprof_text("threadcreate", recs, n, out);
    free(recs);
    free(snap);
}

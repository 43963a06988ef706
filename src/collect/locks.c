/* The pthread lock functions, interposed. Each exported function reads one pointer and jumps:
 * to libc's function while the lock profiles are off, to a profiling twin here while one is on.
 * A twin tries the lock first and only when that fails times the wait (the waiter's stack goes to
 * the block profile; the waiter is listed in lockwait.c so that the unlocker can be charged for
 * the mutex profile). Every result passes through unchanged, and errno is kept. */
#include "collect/locks.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "collect/alloc.h"
#include "collect/cconfig.h"
#include "collect/lockprof.h"
#include "collect/lockwait.h"
#include "collect/spin.h"
#include "collect/tstate.h"

enum fn {
    M_LOCK, M_TRYLOCK, M_TIMEDLOCK, M_CLOCKLOCK, M_UNLOCK,
    RW_RDLOCK, RW_WRLOCK, RW_TRYRDLOCK, RW_TRYWRLOCK, RW_TIMEDRDLOCK, RW_TIMEDWRLOCK,
    RW_CLOCKRDLOCK, RW_CLOCKWRLOCK, RW_UNLOCK,
    C_WAIT, C_TIMEDWAIT, C_CLOCKWAIT,
    N_FN
};

typedef void (*fnptr)(void);
typedef pthread_mutex_t mutex;
typedef pthread_rwlock_t rwlock;
typedef pthread_cond_t cond;
typedef const struct timespec *abstime;

/* glibc's condition variables have two ABIs: the current one is version GLIBC_2.3.2, and the
 * exports of this library carry that version too (libnprof.map), so old binaries still reach
 * libc's compatible ones. Plain dlsym would be free to return either. */
static const struct {
    const char *name, *version;
} names[N_FN] = {
    {"pthread_mutex_lock", NULL}, {"pthread_mutex_trylock", NULL}, {"pthread_mutex_timedlock", NULL},
    {"pthread_mutex_clocklock", NULL}, {"pthread_mutex_unlock", NULL},
    {"pthread_rwlock_rdlock", NULL}, {"pthread_rwlock_wrlock", NULL}, {"pthread_rwlock_tryrdlock", NULL},
    {"pthread_rwlock_trywrlock", NULL}, {"pthread_rwlock_timedrdlock", NULL},
    {"pthread_rwlock_timedwrlock", NULL}, {"pthread_rwlock_clockrdlock", NULL},
    {"pthread_rwlock_clockwrlock", NULL}, {"pthread_rwlock_unlock", NULL},
    {"pthread_cond_wait", "GLIBC_2.3.2"}, {"pthread_cond_timedwait", "GLIBC_2.3.2"},
    {"pthread_cond_clockwait", NULL},
};

/* libc's own aliases of the basic functions, for a call made while dlsym is being asked (by
 * this thread or another): those calls must lock all the same. */
extern int np_libc_mutex_lock(mutex *);
extern int np_libc_mutex_trylock(mutex *);
extern int np_libc_mutex_unlock(mutex *);
extern int np_libc_rwlock_rdlock(rwlock *);
extern int np_libc_rwlock_wrlock(rwlock *);
extern int np_libc_rwlock_tryrdlock(rwlock *);
extern int np_libc_rwlock_trywrlock(rwlock *);
extern int np_libc_rwlock_unlock(rwlock *);
__asm__(".symver np_libc_mutex_lock, __pthread_mutex_lock@GLIBC_2.2.5\n"
        ".symver np_libc_mutex_trylock, __pthread_mutex_trylock@GLIBC_2.2.5\n"
        ".symver np_libc_mutex_unlock, __pthread_mutex_unlock@GLIBC_2.2.5\n"
        ".symver np_libc_rwlock_rdlock, __pthread_rwlock_rdlock@GLIBC_2.2.5\n"
        ".symver np_libc_rwlock_wrlock, __pthread_rwlock_wrlock@GLIBC_2.2.5\n"
        ".symver np_libc_rwlock_tryrdlock, __pthread_rwlock_tryrdlock@GLIBC_2.2.5\n"
        ".symver np_libc_rwlock_trywrlock, __pthread_rwlock_trywrlock@GLIBC_2.2.5\n"
        ".symver np_libc_rwlock_unlock, __pthread_rwlock_unlock@GLIBC_2.2.5");

/* A C library without the clock variants (before glibc 2.30): they fail as unsupported. */
static int missing3(void *a, clockid_t b, abstime c)
{
    (void)a, (void)b, (void)c;
    return ENOSYS;
}

static int missing4(cond *a, mutex *b, clockid_t c, abstime d)
{
    (void)a, (void)b, (void)c, (void)d;
    return ENOSYS;
}

static fnptr fallback(enum fn i)
{
    switch (i) {
    case M_LOCK: return (fnptr)np_libc_mutex_lock;
    case M_TRYLOCK: return (fnptr)np_libc_mutex_trylock;
    case M_UNLOCK: return (fnptr)np_libc_mutex_unlock;
    case RW_RDLOCK: return (fnptr)np_libc_rwlock_rdlock;
    case RW_WRLOCK: return (fnptr)np_libc_rwlock_wrlock;
    case RW_TRYRDLOCK: return (fnptr)np_libc_rwlock_tryrdlock;
    case RW_TRYWRLOCK: return (fnptr)np_libc_rwlock_trywrlock;
    case RW_UNLOCK: return (fnptr)np_libc_rwlock_unlock;
    case M_CLOCKLOCK: case RW_CLOCKRDLOCK: case RW_CLOCKWRLOCK: return (fnptr)missing3;
    case C_CLOCKWAIT: return (fnptr)missing4;
    default: return NULL;
    }
}

static fnptr lookup(enum fn i)
{
    void *f = names[i].version ? dlvsym(RTLD_NEXT, names[i].name, names[i].version)
                               : dlsym(RTLD_NEXT, names[i].name);
    return f ? (fnptr)f : fallback(i);
}

static _Atomic fnptr real[N_FN]; /* the next definitions, once found */
/* Where each exported function goes: a stand-in that finds the next definitions, until they are
 * found (initialized at the end of the file, where the stand-ins are). */
static _Atomic fnptr hook[N_FN];
static _Atomic int resolve_state; /* 0 not yet, 1 under way, 2 done */
static atomic_int route_lock;

static bool mutex_on(void) { return np_lockprof_fraction() > 0; }
static bool block_on(void) { return np_lockprof_rate() > 0; }

static fnptr twin(enum fn i);

/* Points every found function at libc or at its twin, as the profiles now want. */
static void route(void)
{
    np_spin_lock(&route_lock);
    bool any = mutex_on() || block_on();
    for (int i = 0; i < N_FN; i++) {
        fnptr r = atomic_load(&real[i]), t = twin((enum fn)i);
        bool on = i == M_UNLOCK || i == RW_UNLOCK ? mutex_on() : any;
        if (r)
            atomic_store(&hook[i], on && t ? t : r);
    }
    np_spin_unlock(&route_lock);
}

static void resolve(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&resolve_state, &expect, 1))
        return;
    for (int i = 0; i < N_FN; i++)
        atomic_store(&real[i], lookup((enum fn)i));
    route();
    atomic_store(&resolve_state, 2);
}

/* The first calls: find every function; a call that comes while that is under way (on this
 * thread, from inside dlsym, or on another) uses libc's alias or looks its own function up. */
static __attribute__((noinline, cold)) fnptr boot(enum fn i)
{
    resolve();
    fnptr f = atomic_load(&real[i]);
    if (f)
        return f;
    f = fallback(i);
    return f && i != M_CLOCKLOCK && i != RW_CLOCKRDLOCK && i != RW_CLOCKWRLOCK && i != C_CLOCKWAIT ? f : lookup(i);
}

#define REAL(i) atomic_load_explicit(&real[i], memory_order_relaxed)

/* A thread waiting for a lock: its stack (when the block profile is on, taken before it
 * sleeps, so that the lock's holder is not kept waiting for it), its place in the table of
 * waits (when the mutex profile is on) and when it began. */
typedef struct waiter {
    int saved_errno;
    int n;
    int64_t t0;
    np_lockwait lw;
    uintptr_t pcs[NP_MAX_FRAMES];
} waiter;

static __attribute__((noinline)) void wait_begin(waiter *w, const void *lock, ORIGIN_PARAMS)
{
    w->saved_errno = errno;
    w->n = 0;
    if (block_on()) {
        np_origin o = {pc, sp, bp};
        np_enter();
        w->n = np_lockprof_stack(&o, w->pcs);
        np_leave();
    }
    w->lw.slot = -1;
    if (mutex_on())
        np_lockwait_enter(lock, &w->lw);
    w->t0 = np_lockwait_now();
}

/* rc: what the lock function returned; a wait that failed at once is not a wait. */
static __attribute__((noinline)) void wait_end(waiter *w, int rc)
{
    int64_t d = np_lockwait_now() - w->t0, v[2];
    np_lockwait_leave(&w->lw);
    if (w->n && (rc == 0 || rc == EOWNERDEAD || rc == ETIMEDOUT) && np_lockprof_block_keep(d, v))
        np_lockprof_block_add(w->pcs, w->n, v);
    errno = w->saved_errno;
}

/* The unlocker's side: d is what lockwait charged it with, when it released the lock. */
static __attribute__((noinline)) void charge(int64_t d, int64_t waits, ORIGIN_PARAMS)
{
    int saved = errno;
    np_origin o = {pc, sp, bp};
    np_lockprof_mutex_event(&o, d, waits);
    errno = saved;
}

/* One twin per shape: the try function (t), the waiting call (its arguments after the lock). */
#define TWIN_LOCK(name, type, t, i, params, args)                                                  \
    static int name(type *l params)                                                                \
    {                                                                                              \
        if (np_ts.busy)                                                                            \
            return ((int (*)(type * params)) REAL(i))(l args);                                     \
        int rc = ((int (*)(type *))REAL(t))(l);                                                    \
        if (rc != EBUSY)                                                                           \
            return rc;                                                                             \
        waiter w;                                                                                  \
        wait_begin(&w, l, ORIGIN);                                                                 \
        rc = ((int (*)(type * params)) REAL(i))(l args);                                           \
        wait_end(&w, rc);                                                                          \
        return rc;                                                                                 \
    }
#define P0
#define P1 , abstime a
#define P2 , clockid_t c, abstime a
#define A0
#define A1 , a
#define A2 , c, a

TWIN_LOCK(twin_mutex_lock, mutex, M_TRYLOCK, M_LOCK, P0, A0)
TWIN_LOCK(twin_mutex_timedlock, mutex, M_TRYLOCK, M_TIMEDLOCK, P1, A1)
TWIN_LOCK(twin_mutex_clocklock, mutex, M_TRYLOCK, M_CLOCKLOCK, P2, A2)
TWIN_LOCK(twin_rdlock, rwlock, RW_TRYRDLOCK, RW_RDLOCK, P0, A0)
TWIN_LOCK(twin_wrlock, rwlock, RW_TRYWRLOCK, RW_WRLOCK, P0, A0)
TWIN_LOCK(twin_timedrdlock, rwlock, RW_TRYRDLOCK, RW_TIMEDRDLOCK, P1, A1)
TWIN_LOCK(twin_timedwrlock, rwlock, RW_TRYWRLOCK, RW_TIMEDWRLOCK, P1, A1)
TWIN_LOCK(twin_clockrdlock, rwlock, RW_TRYRDLOCK, RW_CLOCKRDLOCK, P2, A2)
TWIN_LOCK(twin_clockwrlock, rwlock, RW_TRYWRLOCK, RW_CLOCKWRLOCK, P2, A2)

#define TWIN_UNLOCK(name, type, i)                                                                 \
    static int name(type *l)                                                                       \
    {                                                                                              \
        if (np_ts.busy)                                                                            \
            return ((int (*)(type *))REAL(i))(l);                                                  \
        int64_t waits, d = np_lockwait_charge(l, &waits);                                          \
        int rc = ((int (*)(type *))REAL(i))(l);                                                    \
        if ((d > 0 || waits > 0) && rc == 0)                                                       \
            charge(d, waits, ORIGIN);                                                              \
        return rc;                                                                                 \
    }

TWIN_UNLOCK(twin_mutex_unlock, mutex, M_UNLOCK)
TWIN_UNLOCK(twin_rwlock_unlock, rwlock, RW_UNLOCK)

/* The whole wait goes to the block profile (as Go's Cond.Wait). The mutex is released inside,
 * out of sight: its waiters so far are charged to this caller now. */
#define TWIN_WAIT(name, i, params, args)                                                           \
    static int name(cond *cv, mutex *m params)                                                     \
    {                                                                                              \
        if (np_ts.busy)                                                                            \
            return ((int (*)(cond *, mutex * params)) REAL(i))(cv, m args);                        \
        int64_t waits = 0, d = mutex_on() ? np_lockwait_charge(m, &waits) : 0;                     \
        int64_t t0 = np_lockwait_now();                                                            \
        int rc = ((int (*)(cond *, mutex * params)) REAL(i))(cv, m args);                          \
        cond_waited(d, waits, np_lockwait_now() - t0, rc, ORIGIN);                                 \
        return rc;                                                                                 \
    }

static __attribute__((noinline)) void cond_waited(int64_t charged, int64_t waits, int64_t d, int rc, ORIGIN_PARAMS)
{
    int saved = errno;
    np_origin o = {pc, sp, bp};
    if (charged > 0 || waits > 0)
        np_lockprof_mutex_event(&o, charged, waits);
    int64_t v[2];
    if ((rc == 0 || rc == ETIMEDOUT) && np_lockprof_block_keep(d, v)) {
        uintptr_t pcs[NP_MAX_FRAMES];
        np_enter();
        int n = np_lockprof_stack(&o, pcs);
        np_leave();
        np_lockprof_block_add(pcs, n, v);
    }
    errno = saved;
}

TWIN_WAIT(twin_cond_wait, C_WAIT, P0, A0)
TWIN_WAIT(twin_cond_timedwait, C_TIMEDWAIT, P1, A1)
TWIN_WAIT(twin_cond_clockwait, C_CLOCKWAIT, P2, A2)

static fnptr twin(enum fn i)
{
    static const fnptr twins[N_FN] = {
        [M_LOCK] = (fnptr)twin_mutex_lock, [M_TIMEDLOCK] = (fnptr)twin_mutex_timedlock,
        [M_CLOCKLOCK] = (fnptr)twin_mutex_clocklock, [M_UNLOCK] = (fnptr)twin_mutex_unlock,
        [RW_RDLOCK] = (fnptr)twin_rdlock, [RW_WRLOCK] = (fnptr)twin_wrlock,
        [RW_TIMEDRDLOCK] = (fnptr)twin_timedrdlock, [RW_TIMEDWRLOCK] = (fnptr)twin_timedwrlock,
        [RW_CLOCKRDLOCK] = (fnptr)twin_clockrdlock, [RW_CLOCKWRLOCK] = (fnptr)twin_clockwrlock,
        [RW_UNLOCK] = (fnptr)twin_rwlock_unlock, [C_WAIT] = (fnptr)twin_cond_wait,
        [C_TIMEDWAIT] = (fnptr)twin_cond_timedwait, [C_CLOCKWAIT] = (fnptr)twin_cond_clockwait,
    };
    return twins[i];
}

/* The exports: one indirect jump, without a frame of their own (so the twins find their caller's
 * frame as their own caller's, and the cost is one instruction), and each one's stand-in. */
#define FORWARD __attribute__((optimize("omit-frame-pointer")))
#define HOOK(i, type) ((type)atomic_load_explicit(&hook[i], memory_order_relaxed))
#define EXPORT_1(name, i, type)                                                                    \
    static int boot_##name(type *l) { return ((int (*)(type *))boot(i))(l); }                      \
    EXPORT FORWARD int name(type *l) { return HOOK(i, int (*)(type *))(l); }
#define EXPORT_2(name, i, type, t2)                                                                \
    static int boot_##name(type *l, t2 b) { return ((int (*)(type *, t2))boot(i))(l, b); }         \
    EXPORT FORWARD int name(type *l, t2 b) { return HOOK(i, int (*)(type *, t2))(l, b); }
#define EXPORT_3(name, i, type, t2, t3)                                                            \
    static int boot_##name(type *l, t2 b, t3 c) { return ((int (*)(type *, t2, t3))boot(i))(l, b, c); } \
    EXPORT FORWARD int name(type *l, t2 b, t3 c) { return HOOK(i, int (*)(type *, t2, t3))(l, b, c); }
#define EXPORT_4(name, i, t1, t2, t3, t4)                                                          \
    static int boot_##name(t1 a, t2 b, t3 c, t4 d)                                                 \
    {                                                                                              \
        return ((int (*)(t1, t2, t3, t4))boot(i))(a, b, c, d);                                     \
    }                                                                                              \
    EXPORT FORWARD int name(t1 a, t2 b, t3 c, t4 d) { return HOOK(i, int (*)(t1, t2, t3, t4))(a, b, c, d); }

EXPORT_1(pthread_mutex_lock, M_LOCK, mutex)
EXPORT_2(pthread_mutex_timedlock, M_TIMEDLOCK, mutex, abstime)
EXPORT_3(pthread_mutex_clocklock, M_CLOCKLOCK, mutex, clockid_t, abstime)
EXPORT_1(pthread_mutex_unlock, M_UNLOCK, mutex)
EXPORT_1(pthread_rwlock_rdlock, RW_RDLOCK, rwlock)
EXPORT_1(pthread_rwlock_wrlock, RW_WRLOCK, rwlock)
EXPORT_2(pthread_rwlock_timedrdlock, RW_TIMEDRDLOCK, rwlock, abstime)
EXPORT_2(pthread_rwlock_timedwrlock, RW_TIMEDWRLOCK, rwlock, abstime)
EXPORT_3(pthread_rwlock_clockrdlock, RW_CLOCKRDLOCK, rwlock, clockid_t, abstime)
EXPORT_3(pthread_rwlock_clockwrlock, RW_CLOCKWRLOCK, rwlock, clockid_t, abstime)
EXPORT_1(pthread_rwlock_unlock, RW_UNLOCK, rwlock)
EXPORT_2(pthread_cond_wait, C_WAIT, cond, mutex *)
EXPORT_3(pthread_cond_timedwait, C_TIMEDWAIT, cond, mutex *, abstime)
EXPORT_4(pthread_cond_clockwait, C_CLOCKWAIT, cond *, mutex *, clockid_t, abstime)

/* The try functions are not exported (they never wait), so they have no stand-in: the twins
 * only run once everything is found. */
static _Atomic fnptr hook[N_FN] = {
    [M_LOCK] = (fnptr)boot_pthread_mutex_lock, [M_TIMEDLOCK] = (fnptr)boot_pthread_mutex_timedlock,
    [M_CLOCKLOCK] = (fnptr)boot_pthread_mutex_clocklock, [M_UNLOCK] = (fnptr)boot_pthread_mutex_unlock,
    [RW_RDLOCK] = (fnptr)boot_pthread_rwlock_rdlock, [RW_WRLOCK] = (fnptr)boot_pthread_rwlock_wrlock,
    [RW_TIMEDRDLOCK] = (fnptr)boot_pthread_rwlock_timedrdlock,
    [RW_TIMEDWRLOCK] = (fnptr)boot_pthread_rwlock_timedwrlock,
    [RW_CLOCKRDLOCK] = (fnptr)boot_pthread_rwlock_clockrdlock,
    [RW_CLOCKWRLOCK] = (fnptr)boot_pthread_rwlock_clockwrlock,
    [RW_UNLOCK] = (fnptr)boot_pthread_rwlock_unlock, [C_WAIT] = (fnptr)boot_pthread_cond_wait,
    [C_TIMEDWAIT] = (fnptr)boot_pthread_cond_timedwait, [C_CLOCKWAIT] = (fnptr)boot_pthread_cond_clockwait,
};

void np_locks_init(void)
{
    np_locks_set_mutex_fraction(np_cfg.mutex_fraction);
    np_locks_set_block_rate(np_cfg.block_rate);
}

void np_locks_set_mutex_fraction(int fraction)
{
    np_lockprof_set_fraction(fraction);
    resolve();
    route();
}

void np_locks_set_block_rate(int64_t ns)
{
    np_lockprof_set_rate(ns);
    resolve();
    route();
}

void np_locks_child_reset(void)
{
    atomic_store(&route_lock, 0);
    np_lockwait_child_reset();
}

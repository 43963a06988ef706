/* CPU profile sessions: the profiling signal's handler (a stack from the interrupted registers
 * into the sample buffer), the thread that empties the buffer into counters by stack and keeps
 * the clocks and unwind tables up to date, the profile, NPROF_CPU_PROFILE and the C API. */
#include "collect/cpuprof.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "collect/cconfig.h"
#include "collect/cpuring.h"
#include "collect/cputimer.h"
#include "collect/cpuweigh.h"
#include "collect/ehtab.h"
#include "collect/export.h"
#include "collect/pbuild.h"
#include "collect/sigstack.h"
#include "collect/tbounds.h"
#include "collect/stacktab.h"
#include "collect/tstate.h"
#include "core/gz.h"
#include "nprof.h"

enum { SIG = SIGPROF, TICK_MS = 10 };

static _Atomic int busy;      /* a session runs (or is being set up or ended) */
static _Atomic int recording; /* the handler keeps samples */
static _Atomic int engine;
static _Atomic bool draining;
static int64_t period_ns, started_ns;
static uint64_t drops_before;
static pthread_t drain_thread;
static np_ctab tab;
static char out_path[1024]; /* the session's file, for NPROF_CPU_PROFILE and the API */
static pid_t out_pid;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Samples this signal stands for; 0 for a signal that is not the session's clock (sent by
 * kill, or by an engine no longer in use). */
static int weight(const siginfo_t *si)
{
    switch (atomic_load_explicit(&engine, memory_order_relaxed)) {
    case NP_CPU_PERF: return si->si_code >= POLL_IN && si->si_code <= POLL_HUP;
    case NP_CPU_THREAD: return si->si_code == SI_TIMER ? 1 + (si->si_overrun > 0 ? si->si_overrun : 0) : 0;
    case NP_CPU_PROCESS: return si->si_code == SI_KERNEL;
    default: return 0;
    }
}

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    int saved = errno;
    int w = weight(si);
    np_cpuslot *s;
    if (w && atomic_load_explicit(&recording, memory_order_acquire) && (s = np_cpuring_claim())) {
        const ucontext_t *uc = ucv;
        const greg_t *g = uc->uc_mcontext.gregs;
        uintptr_t lo, hi;
        np_tbounds_known(&lo, &hi);
        s->n = np_stack_from_regs((uintptr_t)g[REG_RIP], (uintptr_t)g[REG_RSP], (uintptr_t)g[REG_RBP], lo, hi,
                                  s->pcs, np_cpuring_frames());
        s->weight = w;
        s->cpu_ns = atomic_load_explicit(&engine, memory_order_relaxed) == NP_CPU_PROCESS ? np_cpuweigh_take()
                                                                                       : w * period_ns;
        np_cpuring_publish(s);
    }
    errno = saved;
}

static bool handler_is_ours(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_signal;
}

/* Installs the handler unless the program has one of its own (then it keeps it). */
static bool take_signal(char *why, size_t cap)
{
    struct sigaction cur, sa;
    if (sigaction(SIG, NULL, &cur) != 0)
        return false;
    bool foreign = !handler_is_ours(&cur) && ((cur.sa_flags & SA_SIGINFO) ||
                                              (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN));
    if (foreign) {
        snprintf(why, cap, "the program has its own SIGPROF handler");
        np_cmsg("the program has its own SIGPROF handler: nprof leaves it alone and does not profile the CPU");
        return false;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIG, &sa, NULL) == 0;
}

static void drain(void)
{
    np_cpuslot *s;
    while ((s = np_cpuring_next())) {
        np_crec *r = np_ctab_find(&tab, s->pcs, s->n);
        if (r) {
            np_crec_add(r, 0, s->weight);
            np_crec_add(r, 1, s->cpu_ns);
        }
        np_cpuring_release(s);
    }
}

/* The program may install its own handler while we profile: its signal, its choice. */
static void check_handler(void)
{
    struct sigaction cur;
    if (sigaction(SIG, NULL, &cur) == 0 && !handler_is_ours(&cur) && atomic_exchange(&recording, 0)) {
        np_cputimer_stop(); /* our clocks would keep raising its signal */
        np_cmsg("the program installed its own SIGPROF handler: CPU profiling stopped");
    }
}

static void *drain_loop(void *arg)
{
    (void)arg;
    np_enter();
    pthread_setname_np(pthread_self(), "nprof-cpu"); /* thread dumps leave the collector's out */
    for (int tick = 1; atomic_load(&draining); tick++) {
        struct timespec ts = {0, TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (np_ehtab_stale())
            np_ehtab_sync();
        drain();
        if (tick % 10 == 0) {
            np_cputimer_rescan();
            check_handler();
        }
    }
    drain();
    return NULL;
}

static void zero_counters(void)
{
    for (np_crec *r = atomic_load(&tab.first); r; r = r->next)
        for (int i = 0; i < NP_CTAB_VALUES; i++)
            __atomic_store_n(&r->v[i], 0, __ATOMIC_RELAXED);
}

static bool start_drain_thread(void)
{
    pthread_attr_t attr;
    sigset_t all;
    sigfillset(&all);
    pthread_attr_init(&attr);
    pthread_attr_setsigmask_np(&attr, &all); /* the host's signals are not for this thread */
    atomic_store(&draining, true);
    int rc = pthread_create(&drain_thread, &attr, drain_loop, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        atomic_store(&draining, false);
    return rc == 0;
}

/* Session set-up once busy is ours; false with why on failure. */
static bool begin_locked(char *why, size_t cap)
{
    np_ehtab_sync();
    if (!np_cpuring_init(np_cfg.max_frames)) {
        snprintf(why, cap, "out of memory");
        return false;
    }
    while (np_cpuring_next()) /* what a previous session's late signals left */
        np_cpuring_release(np_cpuring_next());
    zero_counters();
    if (!take_signal(why, cap))
        return false;
    period_ns = 1000000000LL / np_cfg.cpu_hz;
    drops_before = np_cpuring_drops();
    started_ns = now_ns();
    np_cpuweigh_begin();
    atomic_store(&recording, 1);
    int e = np_cputimer_start(np_cfg.cpu_timer, np_cfg.cpu_hz, SIG, why, cap);
    if (e < 0) {
        atomic_store(&recording, 0);
        return false;
    }
    atomic_store(&engine, e);
    if (!start_drain_thread()) {
        np_cputimer_stop();
        atomic_store(&recording, 0);
        snprintf(why, cap, "cannot start a thread");
        return false;
    }
    return true;
}

void np_cpu_code_loaded(void)
{
    if (!atomic_load_explicit(&recording, memory_order_acquire))
        return;
    np_enter();
    np_ehtab_sync();
    np_leave();
}

int np_cpu_begin(char *why, size_t cap)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&busy, &expect, 1)) {
        snprintf(why, cap, "cpu profiling already in use");
        return -1;
    }
    np_enter();
    bool ok = begin_locked(why, cap);
    np_leave();
    if (!ok)
        atomic_store(&busy, 0);
    return ok ? 0 : -1;
}

static np_profile *build(int64_t ended_ns, int e)
{
    static const np_value_type types[] = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    np_pbuild *b = np_pbuild_new(types, 2, "cpu", "nanoseconds", period_ns);
    if (!b)
        return NULL;
    np_crec *recs;
    size_t n = np_ctab_snapshot(&tab, &recs);
    for (size_t i = 0; i < n; i++)
        np_pbuild_sample(b, recs[i].st->pcs, recs[i].st->n_pcs, true, recs[i].v);
    free(recs);
    np_profile *p = np_pbuild_profile(b);
    p->time_nanos = started_ns;
    p->duration_nanos = ended_ns - started_ns;
    char note[160];
    snprintf(note, sizeof note, "nprof cpu clock: %s, %d Hz", np_cputimer_name(e), np_cfg.cpu_hz);
    np_profile_add_comment(p, note);
    uint64_t dropped = np_cpuring_drops() - drops_before;
    if (dropped) {
        snprintf(note, sizeof note, "nprof: %llu samples dropped (buffer full)", (unsigned long long)dropped);
        np_profile_add_comment(p, note);
    }
    return np_pbuild_finish(b);
}

np_profile *np_cpu_end(void)
{
    np_enter();
    int e = atomic_load(&engine);
    np_cputimer_stop();
    int64_t ended = now_ns();
    atomic_store(&draining, false); /* the thread drains what is left, then ends */
    pthread_join(drain_thread, NULL);
    atomic_store(&recording, 0);
    atomic_store(&engine, 0);
    np_profile *p = build(ended, e);
    np_leave();
    atomic_store(&busy, 0);
    return p;
}

/* ---- fork: the signal is held while the kernel copies the process ---- */

static __thread sigset_t fork_mask __attribute__((tls_model("initial-exec")));

static void fork_prepare(void)
{
    sigset_t prof;
    sigemptyset(&prof);
    sigaddset(&prof, SIG);
    pthread_sigmask(SIG_BLOCK, &prof, &fork_mask);
}

static void fork_parent(void)
{
    pthread_sigmask(SIG_SETMASK, &fork_mask, NULL);
}

static void fork_child(void)
{
    /* The session is the parent's: its threads and clocks are not here. */
    np_cputimer_child();
    np_ehtab_child_reset();
    atomic_store(&recording, 0);
    atomic_store(&engine, 0);
    atomic_store(&draining, false);
    atomic_store(&busy, 0);
    pthread_sigmask(SIG_SETMASK, &fork_mask, NULL);
}

/* ---- files: NPROF_CPU_PROFILE and the C API ---- */

static int write_profile(const char *path, np_profile *p)
{
    np_buf raw = {0}, gz = {0};
    np_err err;
    np_profile_encode(p, &raw);
    int rc = np_gzip(raw.data, raw.len, &gz, &err);
    FILE *f = rc == 0 ? fopen(path, "we") : NULL;
    if (!f || fwrite(gz.data, 1, gz.len, f) != gz.len)
        rc = -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc < 0)
        np_cmsg("cannot write the CPU profile %s: %s", path, strerror(errno));
    np_buf_free(&raw);
    np_buf_free(&gz);
    return rc;
}

static int start_to(const char *path)
{
    char why[160];
    np_enter();
    int rc = np_cpu_begin(why, sizeof why);
    if (rc == 0) {
        snprintf(out_path, sizeof out_path, "%s", path);
        out_pid = getpid();
    } else {
        np_cmsg("cannot start CPU profiling: %s", why);
        errno = strstr(why, "already") ? EBUSY : EPERM;
    }
    np_leave();
    return rc;
}

static int stop_to_file(void)
{
    if (!out_path[0] || out_pid != getpid() || !atomic_load(&busy)) {
        errno = EINVAL;
        return -1;
    }
    np_enter();
    int64_t began = started_ns;
    np_profile *p = np_cpu_end();
    /* Several processes of one run may share the setting (a program under timeout or a
     * shell): the first to finish keeps the file, the others add their pid to its name. */
    struct stat st;
    char path[1100];
    snprintf(path, sizeof path, "%s", out_path);
    if (stat(path, &st) == 0 && (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec >= began)
        snprintf(path, sizeof path, "%s.%d", out_path, (int)getpid());
    int rc = p ? write_profile(path, p) : -1;
    np_profile_free(p);
    out_path[0] = 0;
    np_leave();
    return rc;
}

static void at_exit_write(void)
{
    if (out_path[0] && out_pid == getpid())
        stop_to_file();
}

EXPORT int nprof_cpu_start(const char *path)
{
    if (!path || !*path) {
        errno = EINVAL;
        return -1;
    }
    return start_to(path);
}

EXPORT int nprof_cpu_stop(void)
{
    return stop_to_file();
}

/* ---- threads and start-up ---- */

void np_cpu_thread_begin(void)
{
    np_tbounds_learn();
    np_cputimer_thread_start();
}

void np_cpu_thread_end(void)
{
    np_cputimer_thread_exit();
}

void np_cpu_init(void)
{
    np_tbounds_learn();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    atexit(at_exit_write);
    if (np_cfg.cpu_profile[0])
        start_to(np_cfg.cpu_profile);
}

/* Per-thread CPU clocks and the table of threads armed (tid, and its perf file or POSIX timer),
 * kept under a mutex and touched only outside signal handlers. */
#include "collect/cputimer.h"

#include "collect/cconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { MAX_THREADS = 16384 };

typedef struct armed {
    pid_t tid;
    int fd;        /* perf */
    timer_t timer; /* thread */
} armed;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static armed table[MAX_THREADS];
static int n_armed;
static int engine; /* 0 while nothing runs */
static int sig_no;
static long period_ns;
static bool told_full;

const char *np_cputimer_name(int e)
{
    switch (e) {
    case NP_CPU_PERF: return "perf_event cpu-clock per thread";
    case NP_CPU_THREAD: return "timer_create per-thread CPU clock";
    case NP_CPU_PROCESS: return "setitimer ITIMER_PROF";
    default: return "none";
    }
}

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static int perf_open(pid_t tid)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_SOFTWARE;
    a.size = sizeof a;
    a.config = PERF_COUNT_SW_CPU_CLOCK;
    a.sample_period = (uint64_t)period_ns;
    a.disabled = 1;
    a.exclude_kernel = 1; /* what unprivileged users may open (perf_event_paranoid 2) */
    a.exclude_hv = 1;
    a.wakeup_events = 1;
    int fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -1;
    struct f_owner_ex owner = {F_OWNER_TID, tid};
    if (fcntl(fd, F_SETFL, O_ASYNC) < 0 || fcntl(fd, F_SETSIG, sig_no) < 0 ||
        fcntl(fd, F_SETOWN_EX, &owner) < 0 || ioctl(fd, PERF_EVENT_IOC_RESET, 0) < 0 ||
        ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* A thread's CPU clock, as the kernel numbers it (what pthread_getcpuclockid gives). */
static clockid_t thread_clock(pid_t tid)
{
    return (clockid_t)((~(unsigned)tid << 3) | 6);
}

static int timer_open(pid_t tid, timer_t *t)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig_no;
    ev._sigev_un._tid = tid;
    if (timer_create(thread_clock(tid), &ev, t) != 0)
        return -1;
    /* A random first expiry: threads shorter than a period are not all missed. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t mix = ((uint64_t)now.tv_nsec ^ (uint64_t)tid) * 0x9e3779b97f4a7c15ULL;
    long first = 1 + (long)((mix >> 33) % (uint64_t)period_ns);
    struct itimerspec its = {{period_ns / 1000000000, period_ns % 1000000000},
                             {first / 1000000000, first % 1000000000}};
    if (timer_settime(*t, 0, &its, NULL) != 0) {
        timer_delete(*t);
        return -1;
    }
    return 0;
}

static int find(pid_t tid)
{
    for (int i = 0; i < n_armed; i++)
        if (table[i].tid == tid)
            return i;
    return -1;
}

/* Arms tid (lock held); false when its clock cannot be made. */
static bool arm(pid_t tid)
{
    if (engine == NP_CPU_PROCESS || find(tid) >= 0)
        return true;
    if (n_armed == MAX_THREADS) {
        if (!told_full)
            np_cmsg("more than %d threads: the others are not CPU-profiled", MAX_THREADS);
        told_full = true;
        return false;
    }
    armed a = {.tid = tid, .fd = -1};
    if (engine == NP_CPU_PERF ? (a.fd = perf_open(tid)) < 0 : timer_open(tid, &a.timer) < 0)
        return false;
    table[n_armed++] = a;
    return true;
}

static void disarm_at(int i)
{
    if (engine == NP_CPU_PERF)
        close(table[i].fd);
    else if (engine == NP_CPU_THREAD)
        timer_delete(table[i].timer);
    table[i] = table[--n_armed];
}

/* The tids of /proc/self/task, sorted; their count (at most cap). */
static int list_tasks(pid_t *tids, int cap)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap)
        if (e->d_name[0] != '.')
            tids[n++] = (pid_t)atoi(e->d_name);
    closedir(d);
    return n;
}

static bool listed(const pid_t *tids, int n, pid_t tid)
{
    for (int i = 0; i < n; i++)
        if (tids[i] == tid)
            return true;
    return false;
}

static pid_t *scratch(void)
{
    static pid_t *tids;
    if (!tids)
        tids = malloc(MAX_THREADS * sizeof *tids);
    return tids;
}

static void rescan_locked(void)
{
    pid_t *tids = scratch();
    if (!tids)
        return;
    int n = list_tasks(tids, MAX_THREADS);
    for (int i = 0; i < n; i++)
        arm(tids[i]);
    for (int i = n_armed - 1; i >= 0; i--)
        if (!listed(tids, n, table[i].tid))
            disarm_at(i);
}

/* One file per thread: the soft limit on open files goes up to the hard one. */
static void raise_files(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Whether engine e works here: tried on the calling thread. */
static bool usable(int e, char *why, size_t cap)
{
    engine = e;
    armed a = {.tid = gettid_(), .fd = -1};
    bool ok = e == NP_CPU_PERF ? (a.fd = perf_open(a.tid)) >= 0 : timer_open(a.tid, &a.timer) == 0;
    if (!ok) {
        snprintf(why, cap, "%s: %s", np_cputimer_name(e), strerror(errno));
        engine = 0;
        return false;
    }
    table[n_armed++] = a;
    return true;
}

static int start_process(int hz, char *why, size_t cap)
{
    struct itimerval it = {{0, 1000000 / hz}, {0, 1000000 / hz}};
    if (setitimer(ITIMER_PROF, &it, NULL) != 0) {
        snprintf(why, cap, "setitimer: %s", strerror(errno));
        return -1;
    }
    engine = NP_CPU_PROCESS;
    return engine;
}

int np_cputimer_start(int want, int hz, int sig, char *why, size_t cap)
{
    pthread_mutex_lock(&lock);
    sig_no = sig;
    period_ns = 1000000000L / hz;
    n_armed = 0;
    int got = -1;
    if (want == NP_CPU_PROCESS) {
        got = start_process(hz, why, cap);
    } else {
        raise_files();
        if ((want == NP_CPU_AUTO || want == NP_CPU_PERF) && usable(NP_CPU_PERF, why, cap))
            got = NP_CPU_PERF;
        else if ((want == NP_CPU_AUTO || want == NP_CPU_THREAD) && usable(NP_CPU_THREAD, why, cap))
            got = NP_CPU_THREAD;
        else if (want == NP_CPU_AUTO)
            got = start_process(hz, why, cap);
        if (got == NP_CPU_PERF || got == NP_CPU_THREAD)
            rescan_locked();
    }
    pthread_mutex_unlock(&lock);
    return got;
}

void np_cputimer_stop(void)
{
    pthread_mutex_lock(&lock);
    if (engine == NP_CPU_PROCESS) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
    }
    while (n_armed)
        disarm_at(n_armed - 1);
    engine = 0;
    pthread_mutex_unlock(&lock);
}

void np_cputimer_rescan(void)
{
    pthread_mutex_lock(&lock);
    if (engine == NP_CPU_PERF || engine == NP_CPU_THREAD)
        rescan_locked();
    pthread_mutex_unlock(&lock);
}

void np_cputimer_thread_start(void)
{
    if (!__atomic_load_n(&engine, __ATOMIC_RELAXED))
        return;
    pthread_mutex_lock(&lock);
    if (engine == NP_CPU_PERF || engine == NP_CPU_THREAD)
        arm(gettid_());
    pthread_mutex_unlock(&lock);
}

void np_cputimer_thread_exit(void)
{
    if (!__atomic_load_n(&engine, __ATOMIC_RELAXED))
        return;
    pthread_mutex_lock(&lock);
    int i = find(gettid_());
    if (i >= 0)
        disarm_at(i);
    pthread_mutex_unlock(&lock);
}

void np_cputimer_child(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&lock, &fresh, sizeof fresh);
    /* POSIX timers and itimers are not inherited; perf files are, and point at the parent. */
    if (engine == NP_CPU_PERF)
        for (int i = 0; i < n_armed; i++)
            close(table[i].fd);
    n_armed = 0;
    engine = 0;
}

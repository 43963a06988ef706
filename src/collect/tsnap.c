/* Thread snapshots: the thread list and each thread's files in /proc/self/task, and the two ways
 * to its stack. Nothing here allocates while a thread is held in the signal handler: the walk
 * reads into buffers made beforehand. */
#include "collect/tsnap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "collect/cconfig.h"
#include "collect/modules.h"
#include "collect/rwalk.h"
#include "collect/tpark.h"
#include "core/util.h"

/* A thread that keeps moving while its stack is read is tried this many times. */
enum { TRIES = 4, RUNNING_RECHECKS = 4, RECHECK_PAUSE_US = 100 };
/* Rounds for the threads put off (LATER), and the pause before each. */
enum { LATER_ROUNDS = 5, LATER_PAUSE_US = 2000 };

typedef struct range {
    uintptr_t start, end;
} range;

typedef struct snapctx {
    np_module_seg *segs;
    size_t n_segs;
    range *maps;
    size_t n_maps;
    int max_frames;
    int64_t now_ms; /* the scheduler's clock, from this thread's own sched file */
} snapctx;

static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void child_reset(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&one_at_a_time, &fresh, sizeof fresh);
}

static void hook_fork(void)
{
    pthread_atfork(NULL, NULL, child_reset);
}

/* The file /proc/self/task/TID/NAME into buf, NUL-terminated; false when it cannot be read
 * (the thread is gone). */
static bool read_task(pid_t tid, const char *name, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return false;
    buf[n] = 0;
    return true;
}

/* The time the thread has run, in ns (first field of schedstat); 0 when not known. */
static uint64_t run_time(pid_t tid)
{
    char buf[128];
    return read_task(tid, "schedstat", buf, sizeof buf) ? strtoull(buf, NULL, 10) : 0;
}

/* se.exec_start of a sched file: when the thread last ran, on the scheduler's clock (ms). */
static int64_t exec_start_ms(pid_t tid)
{
    char buf[4096];
    if (!read_task(tid, "sched", buf, sizeof buf))
        return -1;
    const char *p = strstr(buf, "se.exec_start");
    p = p ? strchr(p, ':') : NULL;
    return p ? (int64_t)strtod(p + 1, NULL) : -1;
}

static const range *map_of(const snapctx *c, uintptr_t addr)
{
    size_t lo = 0, hi = c->n_maps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (addr < c->maps[mid].start)
            hi = mid;
        else if (addr >= c->maps[mid].end)
            lo = mid + 1;
        else
            return &c->maps[mid];
    }
    return NULL;
}

/* The end of the mapping holding the stack at sp; past a mapping made after the snapshot's map
 * was read, reads stay safe (they fail, never fault) and the walk stops where they fail. */
static uintptr_t stack_end(const snapctx *c, uintptr_t sp)
{
    const range *r = map_of(c, sp);
    return r ? r->end : sp + (8u << 20);
}

static void walk(const snapctx *c, np_tthread *t, np_rregs r)
{
    t->n_pcs = np_rwalk(r, stack_end(c, r.sp), c->segs, c->n_segs, t->pcs, c->max_frames);
}

/* Whether the thread blocks signal sig (SigBlk of its status). */
static bool blocks(pid_t tid, int sig)
{
    char buf[4096];
    if (!read_task(tid, "status", buf, sizeof buf))
        return true;
    const char *p = strstr(buf, "SigBlk:");
    return p && (strtoull(p + 7, NULL, 16) >> (sig - 1) & 1);
}

/* A thread in the kernel, from its syscall file ("NR args... SP PC", or "-1 SP PC" outside a
 * system call): true when the stack was read and the thread did not move meanwhile. */
static bool from_syscall_file(const snapctx *c, np_tthread *t, const char *before, uint64_t ran)
{
    char *end;
    long nr = strtol(before, &end, 10);
    const char *pc_at = strrchr(before, ' ');
    const char *sp_at = pc_at ? pc_at - 1 : NULL;
    while (sp_at && sp_at > before && *sp_at != ' ')
        sp_at--;
    if (end == before || !pc_at || !sp_at || sp_at == before)
        return false;
    np_rregs r = {(uintptr_t)strtoull(pc_at + 1, NULL, 16), (uintptr_t)strtoull(sp_at + 1, NULL, 16), 0, false};
    walk(c, t, r);
    char after[256];
    if (!read_task(t->tid, "syscall", after, sizeof after) || strcmp(before, after) != 0 || run_time(t->tid) != ran) {
        t->n_pcs = 0;
        return false;
    }
    t->syscall = nr;
    return true;
}

typedef enum { GONE, DONE, LATER, AGAIN, SPIN, SIGNAL } look_result;

/* What the looks at one thread have shown so far. */
typedef struct watch {
    int looks;
    int running;        /* looks in a row that found it running */
    uint64_t first_ran; /* its run time at the first of them */
} watch;

/* One look at a thread. One seen running is looked at a few more times (SPIN) before it is
 * signalled, and signalled only if it was running all along and ran meanwhile: one between
 * two blocking calls is then found blocked, and one that waits for a CPU (perhaps inside the
 * kernel on its way into poll, where a signal would make the call fail with EINTR) is looked
 * at again LATER. */
static look_result look(const snapctx *c, np_tthread *t, watch *w)
{
    char before[256];
    uint64_t ran = run_time(t->tid);
    if (!read_task(t->tid, "syscall", before, sizeof before)) {
        /* A process that changed its user (a worker that became nobody) is not dumpable:
         * its threads' syscall files are the superuser's. Such a thread is listed without
         * its stack rather than signalled, which could interrupt its system call. */
        t->closed = errno == EACCES;
        return t->closed ? DONE : GONE;
    }
    if (strncmp(before, "running", 7) != 0) {
        w->running = 0;
        return from_syscall_file(c, t, before, ran) ? DONE : AGAIN;
    }
    if (w->running++ == 0)
        w->first_ran = ran;
    if (w->running <= RUNNING_RECHECKS)
        return SPIN;
    return ran == w->first_ran ? LATER : SIGNAL;
}

/* A dump's looks at its threads, and the threads it asked to park, by slot. */
typedef struct rounds {
    const snapctx *c;
    np_tsnap *s;
    watch *w;
    int sig;
    size_t of_slot[NP_TPARK_SLOTS];
} rounds;

static void on_parked(int slot, const np_rregs *regs, void *arg)
{
    rounds *r = arg;
    np_tthread *t = &r->s->threads[r->of_slot[slot]];
    if (regs)
        walk(r->c, t, *regs);
    else
        t->n_pcs = 0;
}

/* Signals a thread seen running all along; it is read when it parks (on_parked). */
static void ask(rounds *r, size_t ix)
{
    np_tthread *t = &r->s->threads[ix];
    if (!r->sig || blocks(t->tid, r->sig)) {
        t->blocks_signal = r->sig != 0;
        t->no_signal = r->sig == 0;
        return;
    }
    while (np_tpark_reap(0, on_parked, r) >= NP_TPARK_SLOTS)
        np_tpark_reap(10000, on_parked, r);
    int slot = np_tpark_send(t->tid);
    if (slot < 0)
        t->n_pcs = 0;
    else
        r->of_slot[slot] = ix;
}

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The pause before running threads are looked at again, spent reading those that park. */
static void pause_reaping(rounds *r, long us)
{
    int64_t end = mono_ns() + us * 1000;
    for (int64_t left; (left = end - mono_ns()) > 0;) {
        if (!np_tpark_reap((long)(left / 1000) + 1, on_parked, r)) {
            nanosleep(&(struct timespec){0, (long)left}, NULL);
            break;
        }
    }
}

/* Looks at the threads list[0..n) (indexes into the snapshot) in rounds, each once a round,
 * until every one is read, signalled and read, gone, or put off: signals go out as soon as a
 * thread qualifies, so the running threads are held at once, each read as soon as it parks.
 * The threads put off go to later; their count. */
static size_t look_rounds(rounds *r, size_t *list, size_t n, size_t *later)
{
    size_t n_later = 0;
    for (size_t i = 0; i < n; i++)
        r->w[list[i]] = (watch){0};
    for (int round = 0; round < TRIES + RUNNING_RECHECKS && n; round++) {
        size_t keep = 0;
        bool spin = false;
        for (size_t i = 0; i < n; i++) {
            np_tthread *t = &r->s->threads[list[i]];
            look_result res = look(r->c, t, &r->w[list[i]]);
            if (res == SIGNAL)
                ask(r, list[i]);
            else if (res == GONE)
                t->tid = 0;
            else if (res == LATER)
                later[n_later++] = list[i];
            else if (res == AGAIN || res == SPIN)
                list[keep++] = list[i];
            spin |= res == SPIN;
            np_tpark_reap(0, on_parked, r);
        }
        n = keep;
        if (spin)
            pause_reaping(r, RECHECK_PAUSE_US);
    }
    np_tpark_finish(on_parked, r);
    return n_later;
}

/* Name, state and how long it has waited; false when the thread is gone. */
static bool describe(const snapctx *c, np_tthread *t)
{
    char buf[512];
    if (!read_task(t->tid, "comm", t->name, sizeof t->name) || !read_task(t->tid, "stat", buf, sizeof buf))
        return false;
    t->name[strcspn(t->name, "\n")] = 0;
    const char *close_paren = strrchr(buf, ')');
    t->state = close_paren && close_paren[1] ? close_paren[2] : '?';
    t->syscall = -1;
    t->wait_ms = -1;
    int64_t last = t->state == 'R' ? -1 : exec_start_ms(t->tid);
    if (last >= 0 && c->now_ms >= last)
        t->wait_ms = c->now_ms - last;
    return t->state != 'Z' && t->state != 'X';
}

/* The collector's threads name themselves "nprof-..."; the caller is one of them. */
static bool collector_thread(const np_tthread *t)
{
    return strncmp(t->name, "nprof-", 6) == 0 || t->tid == (pid_t)syscall(SYS_gettid);
}

/* The thread ids now, malloc'd. */
static pid_t *task_ids(size_t *n)
{
    *n = 0;
    size_t cap = 0;
    pid_t *ids = NULL;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            *NP_PUSH(ids, *n, cap) = (pid_t)atoi(e->d_name);
    if (d)
        closedir(d);
    return ids;
}

/* The writable mappings (where stacks are), sorted by address, malloc'd. */
static range *read_maps(size_t *n)
{
    *n = 0;
    size_t cap = 0;
    range *out = NULL;
    FILE *f = fopen("/proc/self/maps", "re");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long a, b;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) == 3 && perms[1] == 'w')
            *NP_PUSH(out, *n, cap) = (range){(uintptr_t)a, (uintptr_t)b};
    }
    if (f)
        fclose(f);
    return out;
}

/* Leaves out the threads that went away. */
static void drop_gone(np_tsnap *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->threads[i].tid)
            s->threads[k++] = s->threads[i];
    s->n = k;
}

/* Every thread looked at in rounds; those put off looked at again after a pause, a few times. */
static void capture_all(rounds *r, size_t *list, size_t n, size_t *later)
{
    n = look_rounds(r, list, n, later);
    for (int round = 0; round < LATER_ROUNDS && n; round++) {
        nanosleep(&(struct timespec){0, LATER_PAUSE_US * 1000L}, NULL);
        memcpy(list, later, n * sizeof *list);
        n = look_rounds(r, list, n, later);
    }
}

static void take_locked(np_tsnap *s, snapctx *c)
{
    size_t n_ids, n_list = 0;
    pid_t *ids = task_ids(&n_ids);
    s->threads = calloc(n_ids + 1, sizeof *s->threads);
    s->store = malloc((n_ids + 1) * (size_t)c->max_frames * sizeof *s->store);
    size_t *list = malloc((n_ids + 1) * sizeof *list), *later = malloc((n_ids + 1) * sizeof *later);
    rounds r = {.c = c, .s = s, .w = calloc(n_ids + 1, sizeof *r.w), .sig = np_tpark_signal()};
    for (size_t i = 0; s->threads && s->store && list && later && r.w && i < n_ids; i++) {
        np_tthread *t = &s->threads[s->n];
        *t = (np_tthread){.tid = ids[i], .pcs = s->store + s->n * (size_t)c->max_frames};
        if (!describe(c, t) || collector_thread(t))
            continue;
        list[n_list++] = s->n++;
    }
    /* From here until every thread asked has been let go, nothing allocates: a parked thread
     * may hold the allocator's lock. */
    if (r.w)
        capture_all(&r, list, n_list, later);
    drop_gone(s);
    free(r.w);
    free(later);
    free(list);
    free(ids);
}

bool np_tsnap_take(np_tsnap *s)
{
    int64_t t0 = mono_ns();
    memset(s, 0, sizeof *s);
    pthread_once(&fork_once, hook_fork);
    pthread_mutex_lock(&one_at_a_time);
    snapctx c = {.max_frames = np_cfg.max_frames};
    c.segs = np_modules_take(&c.n_segs);
    c.maps = read_maps(&c.n_maps);
    c.now_ms = exec_start_ms((pid_t)syscall(SYS_gettid));
    take_locked(s, &c);
    free(c.maps);
    np_modules_release(c.segs);
    pthread_mutex_unlock(&one_at_a_time);
    s->took_ns = mono_ns() - t0;
    if (!s->threads || !s->store) {
        np_tsnap_free(s);
        return false;
    }
    return true;
}

void np_tsnap_free(np_tsnap *s)
{
    free(s->threads);
    free(s->store);
    memset(s, 0, sizeof *s);
}

size_t np_tsnap_count(void)
{
    size_t n, count = 0;
    pid_t *ids = task_ids(&n);
    for (size_t i = 0; i < n; i++) {
        np_tthread t = {.tid = ids[i]};
        count += read_task(t.tid, "comm", t.name, sizeof t.name) && !collector_thread(&t);
    }
    free(ids);
    return count;
}

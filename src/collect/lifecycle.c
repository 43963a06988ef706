/* Start-up and shut-down of the collector: settings, fork handlers, the HTTP server, heap
 * profile files (periodic, on a signal, and at exit), and the public C API. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/alloc.h"
#include "collect/cconfig.h"
#include "collect/cmem.h"
#include "collect/cpuprof.h"
#include "collect/endpoints.h"
#include "collect/export.h"
#include "collect/heapprof.h"
#include "collect/heaptab.h"
#include "collect/lockprof.h"
#include "collect/locks.h"
#include "core/http.h"
#include "collect/modules.h"
#include "nprof.h"
#include "collect/sampler.h"
#include "collect/stacktab.h"
#include "collect/symcache.h"
#include "collect/tree.h"


static pthread_mutex_t http_lock = PTHREAD_MUTEX_INITIALIZER;
static np_http_server *server;
static pid_t server_pid;

static sem_t dump_sem;
static _Atomic int dump_seq;
static pthread_t dump_thread;
static bool dump_running;

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The program's name for file names: /proc/self/comm (what ps shows), with anything but
 * letters, digits, '.', '_' and '-' made '_'. */
static void program_name(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, cap - 1);
    close(fd);
    if (n <= 0)
        return;
    out[n] = 0;
    out[strcspn(out, "\n")] = 0;
    for (char *c = out; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '_' || *c == '-'))
            *c = '_';
}

/* DIR/nprof.PROGRAM.PID.SEQ.heap.pb.gz, written via a temporary name so readers never see
 * half. why: "signal", "exit" or NULL (periodic). */
static void dump_heap(const char *why)
{
    np_enter();
    np_buf out = {0};
    np_err err;
    if (np_heap_write_proto(&out, false, &err) == 0) {
        char path[1300], tmp[1400], prog[32];
        int seq = atomic_fetch_add(&dump_seq, 1);
        program_name(prog, sizeof prog);
        snprintf(path, sizeof path, "%s/nprof.%s.%d.%04d.heap.pb.gz", np_cfg.dump_dir, prog, (int)getpid(), seq);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, out.data, out.len) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
            np_cmsg("cannot write %s: %s", path, strerror(errno));
        else if (why && strcmp(why, "signal") == 0)
            np_cinfo("wrote %s (%s)", path, why);
        else
            np_cnote("wrote %s (%s)", path, why ? why : "periodic");
    }
    np_buf_free(&out);
    malloc_trim(0); /* as after a scrape: the profile's working memory goes back */
    np_leave();
}

static void on_dump_signal(int sig)
{
    (void)sig;
    int saved = errno;
    sem_post(&dump_sem); /* async-signal-safe; the dump thread does the work */
    errno = saved;
}

/* Whether the dump signal's handler is still ours; says so, once, when the program has
 * installed its own (it wins: its signal, its handler). */
static void check_handler(void)
{
    static bool told;
    struct sigaction cur;
    if (told || np_cfg.dump_signal <= 0 || sigaction(np_cfg.dump_signal, NULL, &cur) != 0)
        return;
    if (!(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == on_dump_signal)
        return;
    told = true;
    np_cmsg("the program has its own handler of signal %d (NPROF_HEAP_DUMP_SIGNAL): heap dumps on that "
            "signal are off; choose another one", np_cfg.dump_signal);
}

/* Waits for the signal or the next periodic dump, looking at the handler every second. */
static void *dump_loop(void *arg)
{
    (void)arg;
    np_enter();
    pthread_setname_np(pthread_self(), "nprof-dump"); /* thread dumps leave the collector's out */
    struct timespec next;
    clock_gettime(CLOCK_REALTIME, &next);
    next.tv_sec += np_cfg.dump_interval;
    for (;;) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += 1;
        if (np_cfg.dump_interval > 0 && (next.tv_sec < t.tv_sec || (next.tv_sec == t.tv_sec && next.tv_nsec < t.tv_nsec)))
            t = next;
        int rc = sem_timedwait(&dump_sem, &t);
        check_handler();
        if (rc == 0) {
            dump_heap("signal");
            continue;
        }
        clock_gettime(CLOCK_REALTIME, &t);
        if (np_cfg.dump_interval > 0 && (t.tv_sec > next.tv_sec || (t.tv_sec == next.tv_sec && t.tv_nsec >= next.tv_nsec))) {
            dump_heap(NULL);
            next = t;
            next.tv_sec += np_cfg.dump_interval;
        }
    }
    return NULL;
}

/* Collector threads must not take the host's signals. */
static int start_thread(pthread_t *t, void *(*fn)(void *))
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, fn, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        pthread_detach(*t);
    return rc;
}

static void at_exit_dump(void)
{
    if (np_cfg.dump_dir[0])
        dump_heap("exit");
}

static bool start_dump_thread(void)
{
    sem_init(&dump_sem, 0, 0);
    if (start_thread(&dump_thread, dump_loop) != 0) {
        np_cmsg("cannot start the heap dump thread");
        return false;
    }
    dump_running = true;
    return true;
}

static void start_dumps(void)
{
    if (!np_cfg.dump_dir[0] || !start_dump_thread())
        return;
    if (np_cfg.dump_signal > 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_dump_signal;
        sa.sa_flags = SA_RESTART | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(np_cfg.dump_signal, &sa, NULL);
    }
    atexit(at_exit_dump);
}

static void write_port_file(const char *bound)
{
    if (!np_cfg.http_port_file[0])
        return;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", np_cfg.http_port_file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char line[300];
    int n = snprintf(line, sizeof line, "%s\n", bound);
    if (fd < 0 || write_all(fd, line, (size_t)n) < 0 || close(fd) < 0 || rename(tmp, np_cfg.http_port_file) < 0)
        np_cmsg("cannot write %s: %s", np_cfg.http_port_file, strerror(errno));
}

static void collector_thread(void)
{
    np_enter();
}

/* How a server is started: by the configuration or the API (announced on stderr and in the port
 * file), or in a forked child of a served process (on a loopback port of its own, found through
 * the tree's registry). */
enum server_role { SERVE_CONFIGURED, SERVE_CHILD };

static void unregister_at_exit(void)
{
    np_tree_unregister();
}

/* Lists this process, serving at bound, in the tree's registry. */
static void join_tree(const char *bound)
{
    static bool hooked;
    if (!np_tree_init())
        return;
    np_tree_register(bound);
    if (!hooked) {
        hooked = true; /* the hook is inherited by forks, which unregister their own slot */
        atexit(unregister_at_exit);
    }
}

/* The process serving the configured address (inherited by forks); a child takes the address
 * over when that process is gone. */
static pid_t owner_pid;
static char owner_addr[256]; /* the address it bound (the real port when :0 was asked) */
static np_http_server *took_over;
static void child_tick(void);

/* The server's options from the settings: on addr, tick called once a second if set. */
static np_http_options server_options(const char *addr, void (*tick)(void))
{
    np_http_options o;
    memset(&o, 0, sizeof o);
    o.addr = addr;
    o.allow_remote = np_cfg.allow_remote;
    o.bearer_token = np_cfg.token[0] ? np_cfg.token : NULL;
    o.thread_start = collector_thread;
    o.tick = tick;
    return o;
}

static int http_start_as(const char *addr, enum server_role role, char *bound_out, size_t cap)
{
    np_enter();
    pthread_mutex_lock(&http_lock);
    int rc = 0;
    if (server && server_pid == getpid()) {
        errno = EBUSY;
        rc = -1;
    } else {
        np_http_options o = server_options(addr, role == SERVE_CHILD ? child_tick : NULL);
        char bound[256];
        np_err err;
        if (np_http_start(&o, np_endpoints_handle, NULL, &server, bound, sizeof bound, &err) < 0) {
            np_cmsg("cannot serve /debug/pprof on %s: %s", addr, err.msg);
            errno = EADDRNOTAVAIL;
            rc = -1;
        } else {
            server_pid = getpid();
            if (role == SERVE_CONFIGURED) {
                owner_pid = getpid();
                snprintf(owner_addr, sizeof owner_addr, "%s", bound);
                np_cinfo("serving /debug/pprof/ on http://%s", bound);
                write_port_file(bound);
            }
            join_tree(bound);
            if (bound_out && cap)
                snprintf(bound_out, cap, "%s", bound);
        }
    }
    pthread_mutex_unlock(&http_lock);
    np_leave();
    return rc;
}

static int http_start(const char *addr, char *bound_out, size_t cap)
{
    return http_start_as(addr, SERVE_CONFIGURED, bound_out, cap);
}

/* A forked child's upkeep, on its server's thread once a second: when the process serving the
 * configured address is gone (a daemon's parent exits once it has forked the daemon), the first
 * child to see it takes the address over, so the tree stays reachable where the user asked. */
static void child_tick(void)
{
    np_tree_proc owner;
    if (took_over || !owner_addr[0] || owner_pid == getpid() || np_tree_find(owner_pid, &owner))
        return;
    np_http_options o = server_options(owner_addr, NULL);
    char bound[256];
    np_err err;
    if (np_http_start(&o, np_endpoints_handle, NULL, &took_over, bound, sizeof bound, &err) < 0)
        return; /* another child was first, or the address is taken: looked at again next time */
    np_cinfo("serving /debug/pprof/ on http://%s (process %d, which served it, is gone)", bound, (int)owner_pid);
    owner_pid = getpid();
    write_port_file(bound);
}

/* What a forked child starts again, at its first allocation: its own server, if its parent
 * served, and the dump thread, if its parent had one. */
static bool child_serves, child_dumps;

static void start_child(void)
{
    if (child_serves && http_start_as("127.0.0.1:0", SERVE_CHILD, NULL, 0) < 0)
        np_cmsg("forked process %d cannot serve /debug/pprof", (int)getpid());
    if (child_dumps)
        start_dump_thread();
}

static void fork_prepare(void)
{
    /* A forked child that forks before it ever allocated (a daemon's master) starts what it
     * owes now, while no lock is held, so that its own children inherit a serving parent. */
    np_sampler_run_deferred();
    np_modules_fork_lock();
    np_heaptab_lock();
    np_stacktab_lock();
}

static void fork_parent(void)
{
    np_stacktab_unlock();
    np_heaptab_unlock();
    np_modules_fork_unlock();
}

static void fork_child(void)
{
    np_cfg.root = false;
    /* Only the forking thread survives: the tables stay, their lock is fresh, and the server
     * and dump threads belong to the parent. */
    np_stacktab_child_reset();
    np_heaptab_child_reset();
    np_modules_fork_child();
    np_locks_child_reset();
    np_symcache_child_reset();
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&http_lock, &fresh, sizeof fresh);
    child_serves = server != NULL || took_over != NULL || child_serves;
    if (took_over)
        np_http_forget_in_child(took_over);
    took_over = NULL;
    if (server)
        np_http_forget_in_child(server); /* release the parent's port and connections here */
    server = NULL;
    child_dumps = dump_running || child_dumps;
    dump_running = false;
    /* Threads cannot be started here: the allocator's own fork handlers may not have run yet. */
    if (child_serves || child_dumps)
        np_sampler_defer(start_child);
}

__attribute__((constructor)) static void np_collector_init(void)
{
    np_enter();
    np_sampler_init();
    Dl_info self;
    np_cconfig_mark_root(dladdr((void *)np_collector_init, &self) ? self.dli_fname : NULL);
    const char *first = np_alloc_check_order();
    if (first)
        np_cmsg("the program's malloc comes from %s, not libnprof: heap profiling is off", first);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    np_locks_init();
    /* A program exec'd in a served tree joins it, as a forked child does; the configured
     * address stays with the process that bound it. */
    if (np_cfg.http[0] && np_tree_inherited())
        http_start_as("127.0.0.1:0", SERVE_CHILD, NULL, 0);
    else if (np_cfg.http[0])
        http_start(np_cfg.http, NULL, 0);
    start_dumps();
    np_cpu_init();
    np_leave();
}

EXPORT int nprof_start(void)
{
    np_sampler_enable(true);
    return 0;
}

EXPORT int nprof_stop(void)
{
    np_sampler_enable(false);
    return 0;
}

EXPORT int nprof_set_heap_rate(int64_t bytes)
{
    if (bytes < 0) {
        errno = EINVAL;
        return -1;
    }
    np_sampler_set_rate(bytes);
    return 0;
}

EXPORT int64_t nprof_heap_rate(void)
{
    return np_sampler_rate();
}

EXPORT int nprof_write_heap_profile(int fd, int debug)
{
    np_enter();
    np_buf out = {0};
    np_err err;
    int rc = 0;
    if (debug)
        np_heap_write_text(&out);
    else
        rc = np_heap_write_proto(&out, false, &err);
    if (rc == 0 && write_all(fd, out.data, out.len) < 0)
        rc = -1;
    else if (rc < 0)
        errno = ENOMEM;
    np_buf_free(&out);
    np_leave();
    return rc;
}

EXPORT int nprof_http_start(const char *addr, char *bound, size_t bound_cap)
{
    return http_start(addr && *addr ? addr : "127.0.0.1:6060", bound, bound_cap);
}

EXPORT size_t nprof_memory_bytes(void)
{
    return np_cmem_bytes();
}

EXPORT int nprof_http_stop(void)
{
    np_enter();
    pthread_mutex_lock(&http_lock);
    if (server && server_pid == getpid())
        np_http_stop(server);
    server = NULL;
    pthread_mutex_unlock(&http_lock);
    np_leave();
    return 0;
}

EXPORT int nprof_set_mutex_fraction(int fraction)
{
    int old = np_lockprof_fraction();
    if (fraction >= 0)
        np_locks_set_mutex_fraction(fraction);
    return old;
}

EXPORT int nprof_set_block_rate(int64_t ns)
{
    if (ns < 0) {
        errno = EINVAL;
        return -1;
    }
    np_locks_set_block_rate(ns);
    return 0;
}

EXPORT int64_t nprof_block_rate(void)
{
    return np_lockprof_rate();
}

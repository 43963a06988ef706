/* Start-up and shut-down of the collector: settings, fork handlers, the HTTP server, heap
 * profile files (periodic, on a signal, and at exit), and the public C API. */
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

#include "alloc.h"
#include "cconfig.h"
#include "cmem.h"
#include "endpoints.h"
#include "heapprof.h"
#include "heaptab.h"
#include "http.h"
#include "modules.h"
#include "nprof.h"
#include "sampler.h"

#define EXPORT __attribute__((visibility("default")))

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

/* DIR/nprof.PID.SEQ.heap.pb.gz, written via a temporary name so readers never see half. */
static void dump_heap(const char *why)
{
    np_enter();
    np_buf out = {0};
    np_err err;
    if (np_heap_write_proto(&out, false, &err) == 0) {
        char path[1200], tmp[1300];
        int seq = atomic_fetch_add(&dump_seq, 1);
        snprintf(path, sizeof path, "%s/nprof.%d.%04d.heap.pb.gz", np_cfg.dump_dir, (int)getpid(), seq);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, out.data, out.len) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
            np_cmsg("cannot write %s: %s", path, strerror(errno));
        else if (why)
            np_cmsg("wrote %s (%s)", path, why);
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

static void *dump_loop(void *arg)
{
    (void)arg;
    np_enter();
    for (;;) {
        int rc;
        if (np_cfg.dump_interval > 0) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            t.tv_sec += np_cfg.dump_interval;
            rc = sem_timedwait(&dump_sem, &t);
        } else {
            rc = sem_wait(&dump_sem);
        }
        if (rc < 0 && errno == EINTR)
            continue;
        dump_heap(rc == 0 ? "signal" : NULL);
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

static void start_dumps(void)
{
    if (!np_cfg.dump_dir[0])
        return;
    sem_init(&dump_sem, 0, 0);
    if (start_thread(&dump_thread, dump_loop) != 0) {
        np_cmsg("cannot start the heap dump thread");
        return;
    }
    dump_running = true;
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

static int http_start(const char *addr, char *bound_out, size_t cap)
{
    np_enter();
    pthread_mutex_lock(&http_lock);
    int rc = 0;
    if (server && server_pid == getpid()) {
        errno = EBUSY;
        rc = -1;
    } else {
        np_http_options o;
        memset(&o, 0, sizeof o);
        o.addr = addr;
        o.allow_remote = np_cfg.allow_remote;
        o.bearer_token = np_cfg.token[0] ? np_cfg.token : NULL;
        o.thread_start = collector_thread;
        char bound[256];
        np_err err;
        if (np_http_start(&o, np_endpoints_handle, NULL, &server, bound, sizeof bound, &err) < 0) {
            np_cmsg("cannot serve /debug/pprof on %s: %s", addr, err.msg);
            errno = EADDRNOTAVAIL;
            rc = -1;
        } else {
            server_pid = getpid();
            np_cmsg("serving /debug/pprof/ on http://%s", bound);
            write_port_file(bound);
            if (bound_out && cap)
                snprintf(bound_out, cap, "%s", bound);
        }
    }
    pthread_mutex_unlock(&http_lock);
    np_leave();
    return rc;
}

static void fork_prepare(void)
{
    np_modules_fork_lock();
    np_heaptab_lock();
}

static void fork_parent(void)
{
    np_heaptab_unlock();
    np_modules_fork_unlock();
}

static void fork_child(void)
{
    /* Only the forking thread survives: the tables stay, their lock is fresh, and the server
     * and dump threads belong to the parent. */
    np_heaptab_child_reset();
    np_modules_fork_child();
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&http_lock, &fresh, sizeof fresh);
    if (server)
        np_http_forget_in_child(server); /* release the parent's port and connections here */
    server = NULL;
    dump_running = false;
}

__attribute__((constructor)) static void np_collector_init(void)
{
    np_enter();
    np_sampler_init();
    const char *first = np_alloc_check_order();
    if (first)
        np_cmsg("the program's malloc comes from %s, not libnprof: heap profiling is off", first);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (np_cfg.http[0])
        http_start(np_cfg.http, NULL, 0);
    start_dumps();
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

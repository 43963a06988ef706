/* Parsing of the NPROF_* environment and the collector's stderr messages. */
#include "collect/cconfig.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

np_cconfig np_cfg = {
    .heap_rate = 524288,
    .max_frames = 64,
    .stack = NP_STACK_UNWIND,
    .cpu_hz = 100,
};

/* The environment, as the program started with it: environ may not be set yet when the first
 * allocation comes (from the dynamic loader, or another library's constructor), and then the
 * settings are read from /proc/self/environ, with no allocation. */
static char boot_env[64 * 1024];
static size_t boot_env_len;

static void read_boot_env(void)
{
    int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n;
    while (boot_env_len < sizeof boot_env - 1 &&
           (n = read(fd, boot_env + boot_env_len, sizeof boot_env - 1 - boot_env_len)) > 0)
        boot_env_len += (size_t)n;
    close(fd);
}

static const char *env_get(const char *name)
{
    if (environ)
        return getenv(name);
    size_t len = strlen(name);
    for (size_t i = 0; i < boot_env_len; i += strlen(boot_env + i) + 1)
        if (strncmp(boot_env + i, name, len) == 0 && boot_env[i + len] == '=')
            return boot_env + i + len + 1;
    return NULL;
}

static void copy_env(char *dst, size_t cap, const char *name)
{
    const char *v = env_get(name);
    if (v)
        snprintf(dst, cap, "%s", v);
}

static bool env_true(const char *name)
{
    const char *v = env_get(name);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0);
}

static bool env_int(const char *name, long long lo, long long hi, long long *out)
{
    const char *v = env_get(name);
    if (!v || !*v)
        return false;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || x < lo || x > hi) {
        np_cmsg("ignoring %s=%s: want an integer from %lld to %lld", name, v, lo, hi);
        return false;
    }
    *out = x;
    return true;
}

static int signal_by_name(const char *v)
{
    static const struct {
        const char *name;
        int sig;
    } names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP}, {"URG", SIGURG}};
    if (strncmp(v, "SIG", 3) == 0)
        v += 3;
    char *end;
    if (strncmp(v, "RTMIN", 5) == 0 || strncmp(v, "RTMAX", 5) == 0) {
        long k = v[5] ? strtol(v + 5, &end, 10) : 0;
        int sig = (v[3] == 'I' ? SIGRTMIN : SIGRTMAX) + (int)k;
        return (!v[5] || (!*end && (v[5] == '+' || v[5] == '-'))) && sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i].name) == 0)
            return names[i].sig;
    long n = strtol(v, &end, 10);
    return *end == 0 && n >= 0 && n < 65 ? (int)n : -1;
}

/* Where messages go: NPROF_LOG=off|stderr|PATH; NPROF_QUIET=1 is off. */
static void load_log(void)
{
    const char *v = env_get("NPROF_LOG");
    np_cfg.log = NP_LOG_STDERR;
    if (env_true("NPROF_QUIET") || (v && strcmp(v, "off") == 0)) {
        np_cfg.log = NP_LOG_OFF;
    } else if (v && *v && strcmp(v, "stderr") != 0) {
        np_cfg.log = NP_LOG_FILE;
        snprintf(np_cfg.log_file, sizeof np_cfg.log_file, "%s", v);
    }
}

static _Atomic int load_state; /* 0 not yet, 1 loading, 2 loaded */

bool np_cconfig_load(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&load_state, &expect, 1))
        return false;
    if (!environ)
        read_boot_env();
    long long x;
    load_log();
    const char *root = env_get("NPROF_ROOT_PID");
    np_cfg.root = !root || atoll(root) == (long long)getpid();
    np_cfg.follow_exec = true;
    if (env_int("NPROF_FOLLOW_EXEC", 0, 1, &x))
        np_cfg.follow_exec = x;
    if (env_int("NPROF_HEAP_RATE", 0, (1LL << 40), &x))
        np_cfg.heap_rate = x;
    if (env_int("NPROF_STACK_DEPTH", 1, 256, &x))
        np_cfg.max_frames = (int)x;
    const char *stack = env_get("NPROF_STACK");
    if (stack && strcmp(stack, "fp") == 0)
        np_cfg.stack = NP_STACK_FP;
    else if (stack && strcmp(stack, "libgcc") == 0)
        np_cfg.stack = NP_STACK_LIBGCC;
    else if (stack && *stack && strcmp(stack, "unwind") != 0)
        np_cmsg("ignoring NPROF_STACK=%s: want unwind, fp or libgcc", stack);
    copy_env(np_cfg.http, sizeof np_cfg.http, "NPROF_HTTP");
    copy_env(np_cfg.http_port_file, sizeof np_cfg.http_port_file, "NPROF_HTTP_PORT_FILE");
    np_cfg.allow_remote = env_true("NPROF_HTTP_ALLOW_REMOTE");
    copy_env(np_cfg.token, sizeof np_cfg.token, "NPROF_HTTP_TOKEN");
    copy_env(np_cfg.dump_dir, sizeof np_cfg.dump_dir, "NPROF_HEAP_DUMP");
    if (env_int("NPROF_HEAP_DUMP_INTERVAL", 0, 86400 * 365, &x))
        np_cfg.dump_interval = (int)x;
    const char *sig = env_get("NPROF_HEAP_DUMP_SIGNAL");
    if (sig && *sig) {
        int s = signal_by_name(sig);
        if (s < 0)
            np_cmsg("ignoring NPROF_HEAP_DUMP_SIGNAL=%s: want USR1, USR2, HUP, RTMIN+N, RTMAX-N or a number", sig);
        else
            np_cfg.dump_signal = s;
    }
    if (env_int("NPROF_CPU_HZ", 1, 10000, &x))
        np_cfg.cpu_hz = (int)x;
    const char *timer = env_get("NPROF_CPU_TIMER");
    static const char *const timers[] = {"auto", "perf", "thread", "process"}; /* np_cpu_engine */
    if (timer && *timer) {
        int i = 0;
        while (i < 4 && strcmp(timer, timers[i]) != 0)
            i++;
        if (i < 4)
            np_cfg.cpu_timer = i;
        else
            np_cmsg("ignoring NPROF_CPU_TIMER=%s: want auto, perf, thread or process", timer);
    }
    copy_env(np_cfg.cpu_profile, sizeof np_cfg.cpu_profile, "NPROF_CPU_PROFILE");
    if (env_int("NPROF_MUTEX_FRACTION", 0, 1 << 30, &x))
        np_cfg.mutex_fraction = (int)x;
    if (env_int("NPROF_BLOCK_RATE", 0, (1LL << 62), &x))
        np_cfg.block_rate = x;
    if (env_int("NPROF_SYMBOLIZE", 0, 1, &x))
        np_cfg.no_symbolize = !x;
    atomic_store(&load_state, 2);
    return true;
}

/* Removes the entries naming libnprof (self_path, or its file name) from LD_PRELOAD. */
static void leave_preload(const char *self_path)
{
    const char *pre = getenv("LD_PRELOAD"), *base = strrchr(self_path, '/');
    base = base ? base + 1 : self_path;
    if (!pre)
        return;
    char kept[4096] = "";
    size_t n = 0;
    for (const char *p = pre; *p;) {
        size_t len = strcspn(p, " :");
        const char *slash = memrchr(p, '/', len);
        const char *name = slash ? slash + 1 : p;
        size_t name_len = len - (size_t)(name - p);
        bool self = (len == strlen(self_path) && strncmp(p, self_path, len) == 0) ||
                    (name_len == strlen(base) && strncmp(name, base, name_len) == 0);
        if (len && !self && n + len + 2 < sizeof kept)
            n += (size_t)snprintf(kept + n, sizeof kept - n, "%s%.*s", n ? " " : "", (int)len, p);
        p += len + (p[len] != 0);
    }
    if (n)
        setenv("LD_PRELOAD", kept, 1);
    else
        unsetenv("LD_PRELOAD");
}

void np_cconfig_mark_root(const char *self_path)
{
    if (!np_cfg.root)
        return;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("NPROF_ROOT_PID", pid, 1);
    if (!np_cfg.follow_exec && self_path)
        leave_preload(self_path);
}

enum { TO_STDERR = 1, TO_FILE = 2 };

static void vlog(int where, const char *fmt, va_list ap)
{
    if (np_cfg.log == NP_LOG_OFF || !(where & (np_cfg.log == NP_LOG_FILE ? TO_FILE : TO_STDERR)))
        return;
    char line[768], comm[32] = "";
    int n;
    if (np_cfg.root && np_cfg.log == NP_LOG_STDERR) {
        n = snprintf(line, sizeof line, "nprof: ");
    } else {
        int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
        ssize_t k = fd >= 0 ? read(fd, comm, sizeof comm - 1) : 0;
        if (fd >= 0)
            close(fd);
        comm[k > 0 ? k : 0] = 0;
        comm[strcspn(comm, "\n")] = 0;
        n = snprintf(line, sizeof line, "nprof[%d %s]: ", (int)getpid(), comm);
    }
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    int fd = np_cfg.log == NP_LOG_FILE ? open(np_cfg.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
                                       : STDERR_FILENO;
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, len); /* one write: lines of several processes do not mix */
    (void)w;
    if (fd != STDERR_FILENO)
        close(fd);
}

void np_cmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(TO_STDERR | TO_FILE, fmt, ap);
    va_end(ap);
}

void np_cinfo(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog((np_cfg.root ? TO_STDERR : 0) | TO_FILE, fmt, ap);
    va_end(ap);
}

void np_cnote(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(TO_FILE, fmt, ap);
    va_end(ap);
}

/* Thread stack bounds. glibc's pthread_getattr_np allocates while it holds the thread's lock
 * (for the main thread it reads /proc/self/maps through fopen; for every thread it reallocs
 * the CPU set): if such an allocation is sampled and the sampler asked pthread_getattr_np for
 * the bounds, the thread would wait on its own lock forever (a program that calls it before
 * any other sampled allocation, as Rust's runtime does, under NPROF_HEAP_RATE=1). So it is
 * asked only at a thread's start and at start-up, and the sampler otherwise reads the maps
 * file with plain system calls. */
#include "collect/tbounds.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The maps file, line by line, through a fixed buffer: no allocation. */
typedef struct maps_reader {
    int fd;
    size_t len, pos;
    char buf[4096];
} maps_reader;

static bool fill(maps_reader *r)
{
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
    if (r->len == sizeof r->buf) /* a line longer than the buffer: not a maps file we know */
        return false;
    ssize_t n;
    do
        n = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    r->len += (size_t)n;
    return true;
}

/* The next line's "start-end" range; false at the end of the file. */
static bool next_range(maps_reader *r, uintptr_t *start, uintptr_t *end)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (!nl) {
            if (!fill(r))
                return false;
            continue;
        }
        char *line = r->buf + r->pos, *dash;
        r->pos = (size_t)(nl - r->buf) + 1;
        *start = (uintptr_t)strtoull(line, &dash, 16);
        if (*dash == '-') {
            *end = (uintptr_t)strtoull(dash + 1, NULL, 16);
            return true;
        }
    }
}

static __thread uintptr_t t_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t t_hi __attribute__((tls_model("initial-exec")));
static __thread bool t_read_maps __attribute__((tls_model("initial-exec"))); /* once per thread */

/* The mapping that holds the stack pointer; for the main thread, as glibc works it out, also
 * the room below it that the stack may still grow into (up to its limit, not into the mapping
 * under it). */
static void from_maps(uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0), start, end, below = 0;
    maps_reader r = {.fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)};
    if (r.fd < 0)
        return;
    bool found = false;
    while (!found && next_range(&r, &start, &end)) {
        if (sp >= start && sp < end)
            found = true;
        else
            below = end;
    }
    close(r.fd);
    if (!found)
        return;
    uintptr_t floor = start;
    struct rlimit rl;
    if (syscall(SYS_gettid) == getpid() && getrlimit(RLIMIT_STACK, &rl) == 0) {
        floor = below;
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < end && end - rl.rlim_cur > below)
            floor = (end - rl.rlim_cur) & ~(uintptr_t)4095;
        if (floor > start)
            floor = start;
    }
    *lo = floor;
    *hi = end;
}

void np_tbounds_learn(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (t_hi || pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        t_lo = (uintptr_t)addr;
        t_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
}

void np_tbounds_get(uintptr_t *lo, uintptr_t *hi)
{
    if (!t_hi && !t_read_maps) {
        t_read_maps = true; /* where /proc is missing, a sample does not try it again */
        from_maps(&t_lo, &t_hi);
    }
    *lo = t_lo;
    *hi = t_hi;
}

void np_tbounds_known(uintptr_t *lo, uintptr_t *hi)
{
    *lo = t_lo;
    *hi = t_hi;
}

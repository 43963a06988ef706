/* Thread dumps as Go's goroutine profile. Go's debug=2 header is "goroutine ID [state, N
 * minutes]:"; a thread's is "goroutine TID name="comm" [state in syscall, N minutes]:", the
 * extra field between the id and the brackets as Go's own tracebacks put gp= and m= there. */
#include "collect/thrprof.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "collect/countprof.h"
#include "collect/pbuild.h"
#include "collect/threads_hook.h"
#include "collect/tsnap.h"

/* The system calls a thread is usually found blocked in (x86-64 numbers). */
static const struct {
    int nr;
    const char *name;
} syscalls[] = {
    {0, "read"}, {1, "write"}, {7, "poll"}, {16, "ioctl"}, {17, "pread64"}, {18, "pwrite64"},
    {19, "readv"}, {20, "writev"}, {23, "select"}, {24, "sched_yield"}, {34, "pause"},
    {35, "nanosleep"}, {40, "sendfile"}, {42, "connect"}, {43, "accept"}, {44, "sendto"},
    {45, "recvfrom"}, {46, "sendmsg"}, {47, "recvmsg"}, {61, "wait4"}, {65, "semop"},
    {69, "msgsnd"}, {70, "msgrcv"}, {72, "fcntl"}, {73, "flock"}, {74, "fsync"},
    {75, "fdatasync"}, {128, "rt_sigtimedwait"}, {130, "rt_sigsuspend"}, {202, "futex"},
    {208, "io_getevents"}, {220, "semtimedop"}, {230, "clock_nanosleep"}, {232, "epoll_wait"},
    {242, "mq_timedsend"}, {243, "mq_timedreceive"}, {247, "waitid"}, {270, "pselect6"},
    {271, "ppoll"}, {281, "epoll_pwait"}, {288, "accept4"}, {299, "recvmmsg"},
    {307, "sendmmsg"}, {426, "io_uring_enter"}, {441, "epoll_pwait2"},
};

static const char *syscall_name(long nr)
{
    for (size_t i = 0; i < sizeof syscalls / sizeof *syscalls; i++)
        if (syscalls[i].nr == nr)
            return syscalls[i].name;
    return NULL;
}

/* The words of proc(5) for the state letter. */
static const char *state_name(char c)
{
    switch (c) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk wait";
    case 'T': return "stopped";
    case 't': return "tracing stop";
    case 'I': return "idle";
    case 'P': return "parked";
    default: return "unknown state";
    }
}

size_t np_thrprof_count(void)
{
    return np_tsnap_count();
}

/* Every thread as a count record, its stack the snapshot's. A thread whose stack could not be
 * read still counts: Go's total is every goroutine, and a stackless record is a sample with no
 * location (the text leaves it out of its records, which need an address). *recs malloc'd. */
static size_t records(const np_tsnap *s, np_count_rec **recs)
{
    *recs = malloc((s->n + 1) * sizeof **recs);
    size_t k = 0;
    for (size_t i = 0; *recs && i < s->n; i++)
        (*recs)[k++] = (np_count_rec){s->threads[i].pcs, s->threads[i].n_pcs, true, 1};
    return k;
}

np_profile *np_thrprof_profile(void)
{
    np_tsnap s;
    if (!np_tsnap_take(&s))
        return NULL;
    np_count_rec *recs;
    size_t n = records(&s, &recs);
    np_profile *p = recs ? np_countprof_profile("goroutine", recs, n) : NULL;
    free(recs);
    np_tsnap_free(&s);
    return p;
}

static void header(const np_tthread *t, np_buf *out)
{
    np_buf_printf(out, "goroutine %d name=\"%s\" [%s", (int)t->tid, t->name, state_name(t->state));
    const char *sc = syscall_name(t->syscall);
    if (sc)
        np_buf_printf(out, " in %s", sc);
    else if (t->syscall >= 0)
        np_buf_printf(out, " in syscall %ld", t->syscall);
    if (t->wait_ms >= 60000)
        np_buf_printf(out, ", %" PRId64 " minutes", t->wait_ms / 60000);
    np_buf_puts(out, "]:\n");
}

/* Go's "created by F\n\tfile:line +0xoff" under a goroutine: here the function that called
 * pthread_create, at the call (the innermost function there when it was inlined). */
static void created_by(np_pbuild *b, uintptr_t pc, np_buf *out)
{
    np_buf frames = {0};
    np_pbuild_frames_go(b, &pc, 1, false, &frames);
    const char *f = np_buf_cstr(&frames);
    const char *args = strstr(f, "(...)\n\t");
    const char *end = args ? strchr(args + 6, '\n') : NULL;
    if (end) {
        np_buf_puts(out, "created by ");
        np_buf_add(out, f, (size_t)(args - f));
        np_buf_add(out, args + 5, (size_t)(end + 1 - (args + 5)));
    }
    np_buf_free(&frames);
}

/* One block per thread, blank lines between, as Go's debug=2. */
static void write_threads(const np_tsnap *s, np_buf *out)
{
    np_pbuild *b = np_pbuild_new(NULL, 0, "", "", 0);
    uintptr_t *creator = calloc(s->n + 1, sizeof *creator);
    for (size_t i = 0; b && i < s->n; i++) {
        np_pbuild_locate(b, s->threads[i].pcs, s->threads[i].n_pcs, true);
        if (creator && (creator[i] = np_thread_creator(s->threads[i].tid)))
            np_pbuild_locate(b, &creator[i], 1, false);
    }
    if (b)
        np_pbuild_symbolize(b);
    for (size_t i = 0; i < s->n; i++) {
        const np_tthread *t = &s->threads[i];
        if (i)
            np_buf_putc(out, '\n');
        header(t, out);
        if (t->blocks_signal)
            np_buf_puts(out, "(no stack: running with the dump's signal blocked)\n");
        else if (t->no_signal)
            np_buf_puts(out, "(no stack: running, and the program has a handler on every realtime signal, "
                             "so none is free to hold it still)\n");
        else if (t->closed)
            np_buf_puts(out, "(no stack: the process is not dumpable, so /proc closes its threads' syscall files)\n");
        else if (t->n_pcs == 0)
            np_buf_puts(out, "(no stack: it did not hold still)\n");
        else if (b)
            np_pbuild_frames_go(b, t->pcs, t->n_pcs, true, out);
        if (b && creator && creator[i])
            created_by(b, creator[i], out);
    }
    free(creator);
    np_pbuild_free(b);
}

void np_thrprof_text(np_buf *out, int debug)
{
    np_tsnap s;
    if (!np_tsnap_take(&s))
        return;
    if (debug >= 2) {
        write_threads(&s, out);
    } else {
        np_count_rec *recs;
        size_t n = records(&s, &recs);
        np_countprof_text("goroutine", recs, n, out);
        free(recs);
    }
    np_tsnap_free(&s);
}

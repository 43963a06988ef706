/* The handshake of tpark.h on one word, changed only by compare-and-swap: sequence number << 3 |
 * phase. The dumping thread sets WAITING and signals; the handler claims the request (CLAIMED),
 * writes the registers, says PARKED and waits; the dumper reads them, then RELEASED. Either
 * side that gives up first makes the other's step fail: the dumper ABANDONs a request not yet
 * claimed, the handler LEAVEs a parked state nobody released. */
#include "collect/tpark.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>

#include "collect/cconfig.h"

enum { WAITING = 1, CLAIMED, PARKED, RELEASED, ABANDONED, LEFT };
/* How long the dumper waits for a signalled thread to answer, and a parked thread for its
 * release (the dumper reads a stack in well under a millisecond; the margin is for a loaded
 * machine). */
enum { ANSWER_MS = 200, HOLD_MS = 1000 };

static struct {
    _Atomic uint32_t word;
    _Atomic pid_t tid;
    np_rregs regs;
} slot;
static uint32_t seq;
static int sig;
static bool told_none;

static uint32_t word(uint32_t s, int phase)
{
    return s << 3 | (uint32_t)phase;
}

static void futex_wait(_Atomic uint32_t *w, uint32_t val, long ms)
{
    struct timespec t = {ms / 1000, ms % 1000 * 1000000};
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, &t, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits while the word holds val, until deadline; the word then. */
static uint32_t wait_while(uint32_t val, int64_t deadline)
{
    uint32_t w;
    while ((w = atomic_load(&slot.word)) == val) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        futex_wait(&slot.word, val, left);
    }
    return w;
}

static void on_park(int signo, siginfo_t *si, void *ucv)
{
    (void)signo;
    int saved = errno;
    uint32_t s = (uint32_t)si->si_value.sival_int, want = word(s, WAITING);
    if (si->si_code == SI_QUEUE && si->si_pid == getpid() && atomic_load(&slot.tid) == (pid_t)syscall(SYS_gettid) &&
        atomic_compare_exchange_strong(&slot.word, &want, word(s, CLAIMED))) {
        const greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
        slot.regs = (np_rregs){(uintptr_t)g[REG_RIP], (uintptr_t)g[REG_RSP], (uintptr_t)g[REG_RBP], true};
        atomic_store(&slot.word, word(s, PARKED));
        futex_wake(&slot.word);
        uint32_t parked = word(s, PARKED);
        if (wait_while(parked, now_ms() + HOLD_MS) == parked)
            atomic_compare_exchange_strong(&slot.word, &parked, word(s, LEFT));
    }
    errno = saved;
}

static bool ours(int signo)
{
    struct sigaction cur;
    return sigaction(signo, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_park;
}

/* The highest realtime signal with no handler of the program's, taken for the handler. */
static int choose(void)
{
    for (int s = SIGRTMAX - 1; s > SIGRTMIN + 2; s--) {
        struct sigaction cur, sa;
        if (sigaction(s, NULL, &cur) != 0 || (cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_park;
        sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
        sigfillset(&sa.sa_mask);
        if (sigaction(s, &sa, NULL) == 0)
            return s;
    }
    return 0;
}

int np_tpark_signal(void)
{
    if (sig && ours(sig))
        return sig;
    if (sig)
        np_cmsg("the program took over signal %d, which held threads still for thread dumps: "
                "using another one", sig);
    sig = choose();
    /* Once, not at every dump: the program keeps its handlers until it changes them. */
    if (!sig && !told_none)
        np_cmsg("no realtime signal is free (the program handles them all): thread dumps show "
                "running threads without stacks");
    told_none = !sig;
    return sig;
}

static bool send(pid_t tid, uint32_t s)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = (int)s;
    return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &si) == 0;
}

bool np_tpark_run(pid_t tid, void (*fn)(const np_rregs *regs, void *arg), void *arg)
{
    if (!np_tpark_signal())
        return false;
    uint32_t s = ++seq & (UINT32_MAX >> 3);
    atomic_store(&slot.tid, tid);
    atomic_store(&slot.word, word(s, WAITING));
    if (!send(tid, s))
        return false;
    int64_t deadline = now_ms() + ANSWER_MS;
    uint32_t w = wait_while(word(s, WAITING), deadline), expect = word(s, WAITING);
    if (w == expect && atomic_compare_exchange_strong(&slot.word, &expect, word(s, ABANDONED)))
        return false;
    /* Claimed: the registers follow at once. */
    w = wait_while(word(s, CLAIMED), now_ms() + HOLD_MS);
    if (w != word(s, PARKED))
        return false;
    np_rregs regs = slot.regs;
    fn(&regs, arg);
    expect = word(s, PARKED);
    bool held = atomic_compare_exchange_strong(&slot.word, &expect, word(s, RELEASED));
    futex_wake(&slot.word);
    return held;
}

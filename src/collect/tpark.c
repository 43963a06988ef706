/* The handshake of tpark.h, per slot on one word changed only by compare-and-swap: sequence
 * number << 3 | phase. The dumping thread sets WAITING and signals; the handler claims the
 * request (CLAIMED), writes the registers, says PARKED, counts an answer and waits; the dumper
 * reads them, then RELEASED. Either side that gives up first makes the other's step fail: the
 * dumper ABANDONs a request not yet claimed, the handler LEAVEs a parked state nobody
 * released. The signal's value carries sequence << 16 | slot. */
#include "collect/tpark.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
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

typedef struct pslot {
    _Atomic uint32_t word;
    _Atomic pid_t tid;
    np_rregs regs;
} pslot;

static pslot slots[NP_TPARK_SLOTS];
/* Bumped by every handler that parks: the dumper sleeps on it, not on one thread's word. */
static _Atomic uint32_t answers;
/* The dumper's own books: which slots it waits for, and since when. */
static bool asked[NP_TPARK_SLOTS];
static int64_t sent_ms[NP_TPARK_SLOTS];
static int n_asked;
static uint32_t seq;
static int sig;
static bool told_none;

static uint32_t word(uint32_t s, int phase)
{
    return s << 3 | (uint32_t)phase;
}

static int phase_of(uint32_t w)
{
    return (int)(w & 7);
}

static void futex_wait(_Atomic uint32_t *w, uint32_t val, long us)
{
    struct timespec t = {us / 1000000, us % 1000000 * 1000};
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

/* Waits while *w holds val, until deadline; the word then. */
static uint32_t wait_while(_Atomic uint32_t *w, uint32_t val, int64_t deadline)
{
    uint32_t now;
    while ((now = atomic_load(w)) == val) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        futex_wait(w, val, (long)left * 1000);
    }
    return now;
}

static void on_park(int signo, siginfo_t *si, void *ucv)
{
    (void)signo;
    int saved = errno;
    uintptr_t v = (uintptr_t)si->si_value.sival_ptr;
    uint32_t s = (uint32_t)(v >> 16), ix = (uint32_t)(v & 0xffff), want = word(s, WAITING);
    pslot *p = ix < NP_TPARK_SLOTS ? &slots[ix] : NULL;
    if (p && si->si_code == SI_QUEUE && si->si_pid == getpid() && atomic_load(&p->tid) == (pid_t)syscall(SYS_gettid) &&
        atomic_compare_exchange_strong(&p->word, &want, word(s, CLAIMED))) {
        const greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
        p->regs = (np_rregs){(uintptr_t)g[REG_RIP], (uintptr_t)g[REG_RSP], (uintptr_t)g[REG_RBP], true};
        uint32_t claimed = word(s, CLAIMED), parked = word(s, PARKED);
        if (atomic_compare_exchange_strong(&p->word, &claimed, parked)) {
            atomic_fetch_add(&answers, 1);
            futex_wake(&answers);
            if (wait_while(&p->word, parked, now_ms() + HOLD_MS) == parked)
                atomic_compare_exchange_strong(&p->word, &parked, word(s, LEFT));
        }
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

static bool send(pid_t tid, uintptr_t value)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_ptr = (void *)value;
    return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &si) == 0;
}

/* A slot nobody uses: not asked in this dump, and no handler of an earlier one still in it. */
static int free_slot(void)
{
    for (int i = 0; i < NP_TPARK_SLOTS; i++) {
        int ph = phase_of(atomic_load(&slots[i].word));
        if (!asked[i] && ph != WAITING && ph != CLAIMED && ph != PARKED)
            return i;
    }
    return -1;
}

int np_tpark_send(pid_t tid)
{
    int ix = sig ? free_slot() : -1;
    if (ix < 0)
        return -1;
    uint32_t s = ++seq & (UINT32_MAX >> 3);
    atomic_store(&slots[ix].tid, tid);
    atomic_store(&slots[ix].word, word(s, WAITING));
    if (!send(tid, (uintptr_t)s << 16 | (uintptr_t)ix)) {
        atomic_store(&slots[ix].word, word(s, ABANDONED));
        return -1;
    }
    asked[ix] = true;
    sent_ms[ix] = now_ms();
    n_asked++;
    return ix;
}

/* One asked slot looked at: read and let go when parked, given up when overdue; whether it is
 * settled. */
static bool settle(int ix, int64_t now, np_tpark_fn *fn, void *arg)
{
    pslot *p = &slots[ix];
    uint32_t w = atomic_load(&p->word), s = w >> 3;
    switch (phase_of(w)) {
    case PARKED: {
        np_rregs regs = p->regs;
        fn(ix, &regs, arg);
        uint32_t expect = w;
        if (!atomic_compare_exchange_strong(&p->word, &expect, word(s, RELEASED)))
            fn(ix, NULL, arg);
        futex_wake(&p->word);
        break;
    }
    case WAITING:
        if (now - sent_ms[ix] < ANSWER_MS || !atomic_compare_exchange_strong(&p->word, &w, word(s, ABANDONED)))
            return false;
        fn(ix, NULL, arg);
        break;
    case CLAIMED:
        /* The registers follow at once; a handler stuck here is given its hold time too. */
        if (now - sent_ms[ix] < ANSWER_MS + HOLD_MS)
            return false;
        fn(ix, NULL, arg);
        break;
    default:
        fn(ix, NULL, arg);
        break;
    }
    asked[ix] = false;
    n_asked--;
    return true;
}

int np_tpark_reap(long wait_us, np_tpark_fn *fn, void *arg)
{
    for (bool waited = false;; waited = true) {
        uint32_t seen = atomic_load(&answers);
        int settled = 0;
        int64_t now = now_ms();
        for (int i = 0; i < NP_TPARK_SLOTS && n_asked; i++)
            settled += asked[i] && settle(i, now, fn, arg);
        if (settled || waited || wait_us <= 0 || !n_asked)
            return n_asked;
        futex_wait(&answers, seen, wait_us);
    }
}

void np_tpark_finish(np_tpark_fn *fn, void *arg)
{
    while (np_tpark_reap(10000, fn, arg))
        ;
}

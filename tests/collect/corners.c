/* corners: threads in the places stack walks find hardest (tests/collect-allprof.sh).
 *   corners inhandler [alt] a thread interrupted in its own code by SIGUSR1 waits inside the
 *                           handler (pause), on an alternate signal stack with "alt"; "ready",
 *                           then waits to be killed.
 *   corners altstack SECS   a thread whose SIGUSR2 handler burns CPU on an alternate signal
 *                           stack, raised over and over for SECS seconds; then "altstack done".
 *   corners deep            a thread blocked in read() under a chain of 8 functions built at -O0
 *                           (frame pointers, CFA in rbp); "ready", then waits to be killed.
 *   corners ownsig          a spinning and a sleeping thread; on each SIGUSR1 the program takes
 *                           more realtime signals for handlers of its own (first SIGRTMAX-1, then
 *                           every one) and says "took N"; on SIGUSR2 it prints how many times
 *                           its own realtime handlers ran. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "common.h"

static atomic_int flag;
static atomic_long own_runs;

static void say(const char *fmt, long v)
{
    printf(fmt, v);
    fflush(stdout);
}

/* ---- inhandler ---- */

__attribute__((noinline)) static void handler_waits(void)
{
    atomic_store(&flag, 2);
    pause();
}

static void on_usr1_wait(int sig)
{
    (void)sig;
    handler_waits();
}

__attribute__((noinline)) static void victim_spin(void)
{
    while (atomic_load(&flag) != 2)
        atomic_store(&flag, 1);
}

static void use_altstack(void)
{
    stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
    if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
        die("sigaltstack failed");
}

__attribute__((noinline)) static void *victim_outer(void *alt)
{
    if (alt)
        use_altstack();
    victim_spin();
    return NULL;
}

static int run_inhandler(bool alt)
{
    struct sigaction sa = {.sa_handler = on_usr1_wait, .sa_flags = alt ? SA_ONSTACK : 0};
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, victim_outer, alt ? "alt" : NULL);
    pthread_setname_np(t, "in-handler");
    while (atomic_load(&flag) == 0)
        sleep_ms(1);
    pthread_kill(t, SIGUSR1);
    while (atomic_load(&flag) != 2)
        sleep_ms(1);
    say("ready\n", 0);
    for (;;)
        pause();
    return 0;
}

/* ---- altstack ---- */

static volatile uint64_t sink;

__attribute__((noinline)) static void burn_on_altstack(void)
{
    uint64_t x = sink;
    for (long i = 0; i < 3000000; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
}

static void on_usr2_burn(int sig)
{
    (void)sig;
    burn_on_altstack();
}

__attribute__((noinline)) static void alt_loop(double secs)
{
    double end = now_sec() + secs;
    while (now_sec() < end)
        pthread_kill(pthread_self(), SIGUSR2);
}

static void *alt_thread(void *arg)
{
    use_altstack();
    alt_loop(*(double *)arg);
    return NULL;
}

static int run_altstack(double secs)
{
    struct sigaction sa = {.sa_handler = on_usr2_burn, .sa_flags = SA_ONSTACK | SA_RESTART};
    sigaction(SIGUSR2, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, alt_thread, &secs);
    pthread_join(t, NULL);
    say("altstack done\n", 0);
    return 0;
}

/* ---- deep: built at -O0 whatever the Makefile says ---- */

static int deep_fd;

#define DEEP(n, next)                                                                          \
    __attribute__((noinline, optimize("O0"))) static long deep_##n(long v)                    \
    {                                                                                          \
        volatile long local = v + n;                                                           \
        return next(local) + local;                                                            \
    }

__attribute__((noinline, optimize("O0"))) static long deep_block(long v)
{
    char c;
    volatile long local = v;
    return read(deep_fd, &c, 1) + local;
}
DEEP(8, deep_block)
DEEP(7, deep_8)
DEEP(6, deep_7)
DEEP(5, deep_6)
DEEP(4, deep_5)
DEEP(3, deep_4)
DEEP(2, deep_3)
DEEP(1, deep_2)

static void *deep_thread(void *arg)
{
    (void)arg;
    return (void *)deep_1(0);
}

static int run_deep(void)
{
    int p[2];
    if (pipe(p) != 0)
        die("pipe failed");
    deep_fd = p[0];
    pthread_t t;
    pthread_create(&t, NULL, deep_thread, NULL);
    pthread_setname_np(t, "deep");
    sleep_ms(100);
    say("ready\n", 0);
    for (;;)
        pause();
    return 0;
}

/* ---- ownsig ---- */

__attribute__((noinline)) static void *spin_here(void *arg)
{
    (void)arg;
    for (;;)
        sink = sink * 3 + 1;
    return NULL;
}

__attribute__((noinline)) static void *sleep_here(void *arg)
{
    (void)arg;
    for (;;)
        sleep_ms(1000);
    return NULL;
}

static void on_own_rt(int sig)
{
    (void)sig;
    atomic_fetch_add(&own_runs, 1);
}

static void on_step(int sig)
{
    atomic_store(&flag, sig);
}

static int take_signals(int step)
{
    int lo = step == 1 ? SIGRTMAX - 1 : SIGRTMIN, hi = step == 1 ? SIGRTMAX - 1 : SIGRTMAX, n = 0;
    struct sigaction sa = {.sa_handler = on_own_rt, .sa_flags = SA_RESTART};
    for (int s = lo; s <= hi; s++)
        n += sigaction(s, &sa, NULL) == 0;
    return n;
}

static int run_ownsig(void)
{
    signal(SIGUSR1, on_step);
    signal(SIGUSR2, on_step);
    pthread_t a, b;
    pthread_create(&a, NULL, spin_here, NULL);
    pthread_setname_np(a, "spinner");
    pthread_create(&b, NULL, sleep_here, NULL);
    pthread_setname_np(b, "sleeper");
    say("ready\n", 0);
    int step = 0;
    for (;;) {
        sleep_ms(10);
        int sig = atomic_exchange(&flag, 0);
        if (sig == SIGUSR1)
            say("took %ld\n", take_signals(++step));
        else if (sig == SIGUSR2)
            say("own handlers ran %ld times\n", atomic_load(&own_runs));
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "inhandler"))
        return run_inhandler(argc > 2 && !strcmp(argv[2], "alt"));
    if (!strcmp(mode, "altstack"))
        return run_altstack(argc > 2 ? atof(argv[2]) : 2);
    if (!strcmp(mode, "deep"))
        return run_deep();
    if (!strcmp(mode, "ownsig"))
        return run_ownsig();
    die("usage: corners inhandler [alt] | altstack SECS | deep | ownsig");
}

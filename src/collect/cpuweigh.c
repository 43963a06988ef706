/* ITIMER_PROF counts the process's CPU time in whole ticks charged to whichever thread runs at
 * each tick; on a busy machine that charge runs ahead of the time actually used (by 5-18% here
 * on 2 threads at 100 Hz), so each of its samples is weighed by the exact time instead. */
#include "collect/cpuweigh.h"

#include <stdbool.h>
#include <time.h>

static int64_t last_ns;

/* CLOCK_PROCESS_CPUTIME_ID sums every thread's scheduler runtime, the time getrusage reports;
 * clock_gettime is async-signal-safe. */
static int64_t process_cpu_ns(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0)
        return 0;
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void np_cpuweigh_begin(void)
{
    __atomic_store_n(&last_ns, process_cpu_ns(), __ATOMIC_RELAXED);
}

int64_t np_cpuweigh_take(void)
{
    int64_t now = process_cpu_ns();
    int64_t before = __atomic_load_n(&last_ns, __ATOMIC_RELAXED);
    /* Handlers on two CPUs may read in one order and store in the other: the clock only moves
     * forward, so each nanosecond goes to one sample. */
    do {
        if (now <= before)
            return 0;
    } while (!__atomic_compare_exchange_n(&last_ns, &before, now, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return now - before;
}

/* A library whose code runs hot right after it is loaded (dlhot.c): a CPU profile must walk
 * through its frames from the first sample on. */
#include <stdint.h>
#include <time.h>

static volatile uint64_t sink;

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Burns `seconds` of this thread's CPU time in arithmetic. */
__attribute__((noinline)) void lib_hot(double seconds)
{
    double end = thread_cpu() + seconds;
    uint64_t v = sink + 1;
    while (thread_cpu() < end)
        for (int i = 0; i < 20000; i++)
            v = v * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = v;
}

/* cpu-burner: burns CPU in two known functions, burn_hot and burn_cold, in the ratio 3:1, on
 * THREADS threads for about SECONDS seconds, then prints the process's own CPU time (user +
 * system, from getrusage) so that a CPU profile can be checked against it.
 *
 *   cpu-burner [THREADS [SECONDS]]          (defaults: 1 thread, 2 seconds)
 *
 * The main thread is one of the THREADS: its stacks read main -> work -> burn_hot/burn_cold.
 * Build it without frame pointers (the Makefile does) to check unwinding through such code. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

enum { UNIT = 200000 }; /* iterations per unit of work: about 0.2 ms */

static volatile uint64_t sink;
static double seconds = 2;

/* The same work per iteration in both (a xorshift step); only the count and the shift
 * constants differ, so that the compiler does not fold the two into one function. A macro,
 * not a function: an inlined helper would take the samples' leaf in the profile. */
#define XORSHIFT(x, n, a, b, c)                                                                  \
    for (long i_ = 0; i_ < (n); i_++) {                                                          \
        x ^= x << a;                                                                             \
        x ^= x >> b;                                                                             \
        x ^= x << c;                                                                             \
    }

__attribute__((noinline)) static void burn_hot(int units)
{
    uint64_t x = sink | 1;
    XORSHIFT(x, (long)units * UNIT, 13, 7, 17);
    sink = x;
}

__attribute__((noinline)) static void burn_cold(int units)
{
    uint64_t x = sink | 3;
    XORSHIFT(x, (long)units * UNIT, 5, 9, 21);
    sink = x;
}

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Until this thread has used SECONDS of CPU: 3 units hot for every unit cold, in rounds of
 * varying length, so that no periodic sampler (one bound to the kernel tick) falls into step
 * with the rounds and sees one function more than its share. The CPU clock is read once every
 * 16 rounds, not every round: reading it lets the kernel preempt the thread right there, and
 * with more threads than CPUs the switches, and so the tick-bound samples, would fall in step
 * with the loop (docs/COLLECTOR.md, "a residual bias the kernel imposes"). */
__attribute__((noinline)) static void *work(void *arg)
{
    uint32_t r = (uint32_t)(uintptr_t)arg * 2654435761u + 12345;
    for (unsigned round = 0; round % 16 != 0 || thread_cpu() < seconds; round++) {
        r = r * 1664525u + 1013904223u;
        int k = 1 + (int)(r >> 29); /* 1 to 8 */
        burn_hot(3 * k);
        burn_cold(k);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (argc > 2)
        seconds = atof(argv[2]);
    if (threads < 1 || threads > 1024 || seconds <= 0) {
        fprintf(stderr, "usage: cpu-burner [THREADS [SECONDS]]\n");
        return 2;
    }
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    for (int i = 1; i < threads; i++)
        if (pthread_create(&t[i], NULL, work, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "cpu-burner: cannot start thread %d\n", i);
            return 1;
        }
    work(NULL);
    for (int i = 1; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("cpu_seconds %.3f\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                                      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    return 0;
}

/* Helpers shared by the programs of tests/collect-programs.sh (header only). */
#ifndef COLLECT_COMMON_H
#define COLLECT_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The allocator called through volatile pointers: the compiler would otherwise pair up and
 * drop malloc/free calls (and free(NULL)) as dead code, and those calls are what is tested. */
__attribute__((unused)) static void *(*volatile do_malloc)(size_t) = malloc;
__attribute__((unused)) static void *(*volatile do_realloc)(void *, size_t) = realloc;
__attribute__((unused)) static void (*volatile do_free)(void *) = free;

static inline double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

/* What a (hung) process is waiting in, from /proc/PID/wchan, or "?" (for failure reports). */
static inline void read_wchan(int pid, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/wchan", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)cap, f))
        snprintf(out, cap, "?");
    if (f)
        fclose(f);
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* xorshift64*: deterministic per seed, so a run with and without the collector does the same. */
static inline uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Waits until path exists (the test script's "go on"), at most secs seconds; false on timeout. */
static inline int wait_file(const char *path, double secs)
{
    double end = now_sec() + secs;
    while (access(path, F_OK) != 0) {
        if (now_sec() > end)
            return 0;
        sleep_ms(20);
    }
    return 1;
}

/* A checksum of a byte range that does not depend on where it lives. */
static inline uint64_t sum_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

#endif

/* The program tests/gperf.sh profiles under gperftools and perf: two allocation sites of
 * different sizes (one freed half the time) and two CPU loops of different cost, each in a
 * function of its own so every tool names them alike. */
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) void *alloc_small(size_t n)
{
    return malloc(n);
}

__attribute__((noinline)) void *alloc_big(size_t n)
{
    return calloc(1, n);
}

__attribute__((noinline)) unsigned long spin_a(unsigned long n)
{
    unsigned long s = 0;
    for (unsigned long i = 0; i < n; i++)
        s += (i * i) ^ (s >> 3);
    return s;
}

__attribute__((noinline)) unsigned long spin_b(unsigned long n)
{
    unsigned long s = 1;
    for (unsigned long i = 0; i < n; i++)
        s = s * 31 + i;
    return s;
}

__attribute__((noinline)) void driver(int rounds)
{
    void **keep = malloc(sizeof(void *) * (size_t)rounds * 2);
    for (int r = 0; r < rounds; r++) {
        keep[2 * r] = alloc_small(64 + (size_t)(r % 32));
        keep[2 * r + 1] = alloc_big(4096);
        if (r % 2) {
            free(keep[2 * r + 1]);
            keep[2 * r + 1] = 0;
        }
        sink += spin_a(20000) + spin_b(10000);
    }
    sink += (unsigned long)keep;
}

int main(int argc, char **argv)
{
    driver(argc > 1 ? atoi(argv[1]) : 20000);
    return 0;
}

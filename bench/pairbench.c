/* pairbench N [DEPTH]: N malloc(64)+free pairs in one thread, called DEPTH frames deep: the
 * unit of the callgrind comparisons of the collector's fast path (and, at NPROF_HEAP_RATE=1,
 * of the cost of one stack capture at that depth). */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) static void pairs(long n)
{
    for (long i = 0; i < n; i++) {
        void *p = malloc(64);
        sink = p;
        free(p);
    }
}

__attribute__((noinline)) static void descend(int depth, long n)
{
    if (depth > 0)
        descend(depth - 1, n);
    else
        pairs(n);
    sink = &depth; /* keeps the recursion from becoming a loop */
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int depth = argc > 2 ? atoi(argv[2]) : 0;
    descend(depth, n);
    return 0;
}

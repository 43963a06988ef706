/* pairbench N: N malloc(64)+free pairs in one thread, the unit of the callgrind comparison of
 * the non-sampled fast path with and without nprof. */
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    void *volatile sink;
    for (long i = 0; i < n; i++) {
        void *p = malloc(64);
        sink = p;
        free(p);
    }
    (void)sink;
    return 0;
}

/* lockcost N: N uncontended pthread_mutex_lock+unlock pairs in one thread, the unit of the
 * callgrind comparison of libnprof's lock interposition (bench/lockcost.sh). */
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void pairs(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
}

int main(int argc, char **argv)
{
    pairs(argc > 1 ? atol(argv[1]) : 1000000);
    return 0;
}

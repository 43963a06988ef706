/* aliasfree GOFILE -- sampled objects whose addresses share one bit of the collector's free
 * filter (blocks 8 MiB apart alias there), freed one after the other, plus free(NULL) and
 * realloc(NULL, n) while that bit is set. Run at NPROF_HEAP_RATE=1 (every object sampled).
 * The second free must still be matched after the first: the test script checks that no
 * 100-byte object is left counted as live. Prints "aliasfree: ok", waits for GOFILE, exits 0. */
#include "common.h"

enum { WINDOW = 8 << 20, SIZE = 100, PAIRS = 8 };

__attribute__((noinline)) static void *aliased_block(void)
{
    void *p = aligned_alloc(WINDOW, SIZE);
    if (!p)
        die("aliasfree: aligned_alloc failed");
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        die("usage: aliasfree GOFILE");
    for (int round = 0; round < PAIRS; round++) {
        char *a = aliased_block(), *b = aliased_block();
        memset(a, 1, SIZE);
        memset(b, 2, SIZE);
        for (int i = 0; i < 1000; i++) {
            free(NULL);
            free(realloc(NULL, 24));
        }
        if (round % 2) {
            free(a);
            free(b);
        } else {
            free(b);
            free(a);
        }
    }
    printf("aliasfree: ok\n");
    fflush(stdout);
    while (access(argv[1], F_OK) != 0)
        sleep_ms(20);
    return 0;
}

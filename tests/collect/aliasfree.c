/* aliasfree GOFILE -- sampled page-aligned objects whose addresses share one bit of the
 * collector's page filter with each other and NULL (blocks 128 MiB apart alias there, see
 * NP_FILTER_BITS), freed one after the other, plus free(NULL) and
 * realloc(NULL, n) while that bit is set; and a sampled 333-byte block whose realloc fails
 * (it stays the program's). Run at NPROF_HEAP_RATE=1 (every object sampled). The test script
 * checks that no 100-byte object is left counted as live (the second free must still be
 * matched after the first) and that the 333-byte block is. Prints "aliasfree: ok", waits for
 * GOFILE, exits 0. */
#include "common.h"

enum { WINDOW = 128 << 20, SIZE = 100, PAIRS = 8 };


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
            do_free(NULL);
            do_free(do_realloc(NULL, 24));
        }
        if (round % 2) {
            do_free(a);
            do_free(b);
        } else {
            do_free(b);
            do_free(a);
        }
    }
    char *kept = do_malloc(333);
    if (!kept)
        die("aliasfree: malloc failed");
    void *volatile huge = do_realloc(kept, (size_t)1 << 62);
    if (huge)
        die("aliasfree: a 4 EiB realloc succeeded");
    kept[0] = 1;
    printf("aliasfree: ok\n");
    fflush(stdout);
    while (access(argv[1], F_OK) != 0)
        sleep_ms(20);
    do_free(kept);
    return 0;
}

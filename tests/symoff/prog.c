/* The program tests/symoff.sh profiles: allocations kept to exit from an inlined helper under
 * two callers in the program, and one in a shared library of its own, so that every frame kind
 * (inlined, plain, another object) must be named alike by the collector and the analyzer. */
#include <stdlib.h>
#include <string.h>

char *symoff_lib_alloc(size_t n);

static inline __attribute__((always_inline)) char *filled(size_t n)
{
    char *p = malloc(n);
    memset(p, 1, n);
    return p;
}

__attribute__((noinline)) char *small_blocks(void)
{
    return filled(4096);
}

__attribute__((noinline)) char *large_blocks(void)
{
    return filled(1 << 20);
}

int main(void)
{
    static char *keep[600];
    int k = 0;
    for (int i = 0; i < 400; i++)
        keep[k++] = small_blocks();
    for (int i = 0; i < 30; i++)
        keep[k++] = large_blocks();
    for (int i = 0; i < 100; i++)
        keep[k++] = symoff_lib_alloc(65536);
    volatile char s = 0;
    for (int i = 0; i < k; i++)
        s += keep[i][0];
    return s == 7;
}

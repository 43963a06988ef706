/* The shared library of tests/symoff/prog.c: its allocations come from another mapping. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *symoff_lib_alloc(size_t n)
{
    char *p = malloc(n);
    memset(p, 2, n);
    return p;
}

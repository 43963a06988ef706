/* ownmalloc -- a program with its own malloc, free, calloc, realloc and malloc_usable_size
 * (a size and a mark in front of glibc's blocks; free aborts on a pointer it did not hand out).
 * Under the preload the program keeps them; reallocarray, which it lacks, reaches libnprof,
 * which must serve it from the program's allocator and sample nothing. Prints "ownmalloc: ok". */
#include <malloc.h>

#include "common.h"

enum { MARK = 0x6f776e6d };

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
    size_t *p = __libc_malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = n;
    p[1] = MARK;
    return p + 2;
}

void free(void *q)
{
    if (!q)
        return;
    size_t *p = (size_t *)q - 2;
    if (p[1] != MARK)
        die("ownmalloc: free of a pointer this allocator did not hand out");
    p[1] = 0;
    __libc_free(p);
}

void *calloc(size_t n, size_t size)
{
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *q, size_t n)
{
    void *p = malloc(n);
    if (q && p) {
        size_t old = ((size_t *)q)[-2];
        memcpy(p, q, old < n ? old : n);
        free(q);
    }
    return p;
}

size_t malloc_usable_size(void *q)
{
    return q ? ((size_t *)q)[-2] : 0;
}

int main(void)
{
    for (int i = 0; i < 20000; i++) {
        char *p = reallocarray(NULL, 100, 1000 + (size_t)i % 7);
        if (!p)
            die("reallocarray failed");
        p = reallocarray(p, 200, 1000);
        if (!p || malloc_usable_size(p) != 200000)
            die("reallocarray (grow) failed");
        free(p);
    }
    printf("ownmalloc: ok\n");
    return 0;
}

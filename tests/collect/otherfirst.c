/* otherfirst -- every allocation entry point, for a run with another allocator preloaded before
 * libnprof: the program's malloc and free are then that allocator's, and the entry points it
 * lacks (glibc's reallocarray, pvalloc) reach libnprof, which must serve them from the same
 * allocator and sample nothing. Prints "otherfirst: ok". */
#include <malloc.h>

#include "common.h"

int main(void)
{
    for (int i = 0; i < 20000; i++) {
        size_t n = 100 + (size_t)i % 50;
        char *p = reallocarray(NULL, n, 1000);
        if (!p)
            die("reallocarray failed");
        p[n * 1000 - 1] = 1;
        p = reallocarray(p, 2 * n, 1000);
        if (!p || malloc_usable_size(p) < 2 * n * 1000)
            die("reallocarray (grow) failed");
        do_free(p);
        void *q = pvalloc(5000), *v = valloc(100), *a = aligned_alloc(64, 640), *m = memalign(256, 300);
        if (!q || !v || !a || !m || ((uintptr_t)q & 4095) || ((uintptr_t)a & 63) || ((uintptr_t)m & 255))
            die("aligned allocation failed");
        do_free(q);
        do_free(v);
        do_free(a);
        do_free(m);
        do_free(do_realloc(calloc(10, 100), 50000));
    }
    printf("otherfirst: ok\n");
    return 0;
}

/* floor.so: the thinnest possible malloc interposer, each call forwarded to glibc with one jump.
 * What it costs over plain glibc is the floor for any LD_PRELOAD profiler on that workload:
 * the program's call now goes through the preloaded library before it reaches the allocator. */
#include <stddef.h>

void *__libc_malloc(size_t n);
void __libc_free(void *p);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n) { return __libc_malloc(n); }
void free(void *p) { __libc_free(p); }
void *calloc(size_t n, size_t size) { return __libc_calloc(n, size); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }

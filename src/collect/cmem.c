/* mmap-backed memory for the collector, so recording a sample never re-enters malloc. */
#include "collect/cmem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

enum { CHUNK = 1 << 20 };

static _Atomic size_t mapped;
/* The current chunk; allocation is a bump, and a new chunk is swapped in when full. Written at
 * every new stack: a cache line of its own, away from what other threads only read. */
static struct {
    _Atomic(char *) base;
    _Atomic size_t used;
} __attribute__((aligned(64))) chunk;

static void *map(size_t n, int flags)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    atomic_fetch_add(&mapped, n);
    return p;
}

void *np_cmem_map(size_t n)
{
    return map(n, 0);
}

/* Faulting the pages in one call costs a fraction of faulting them one by one, and it happens
 * before the lock holder needs them. */
void *np_cmem_map_populated(size_t n)
{
    return map(n, MAP_POPULATE);
}

void np_cmem_unmap(void *p, size_t n)
{
    if (p && munmap(p, n) == 0)
        atomic_fetch_sub(&mapped, n);
}

void np_cmem_retire(void *p, size_t n)
{
    if (p && madvise(p, n, MADV_DONTNEED) == 0)
        atomic_fetch_sub(&mapped, n);
}

size_t np_cmem_bytes(void)
{
    return atomic_load(&mapped);
}

/* Callers of np_cmem_alloc hold the collector lock, so the bump needs no atomics beyond
 * keeping the counters consistent for readers of np_cmem_bytes. */
void *np_cmem_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > CHUNK / 4)
        return np_cmem_map(n);
    char *base = atomic_load(&chunk.base);
    size_t used = atomic_load(&chunk.used);
    if (!base || used + n > CHUNK) {
        base = np_cmem_map(CHUNK);
        if (!base)
            return NULL;
        atomic_store(&chunk.base, base);
        used = 0;
    }
    atomic_store(&chunk.used, used + n);
    return base + used;
}

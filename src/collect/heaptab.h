/* The heap profile's data: one bucket per (stack, object size) with the sampled allocations and
 * frees, and the set of live sampled objects so a free can be matched to its bucket. The free
 * path consults a lock-free filter and takes the lock only for (probably) sampled objects. */
#ifndef NP_HEAPTAB_H
#define NP_HEAPTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_heap_rec {
    const uintptr_t *pcs; /* return addresses, innermost first; immutable for the process life */
    int n_pcs;
    size_t size;          /* object size of this bucket */
    int64_t alloc_count, alloc_bytes, free_count, free_bytes;        /* as sampled */
    double est_alloc_objs, est_alloc_bytes, est_free_objs, est_free_bytes; /* unbiased */
} np_heap_rec;

/* Sets up the tables (mmap only). Returns false if memory could not be mapped. */
bool np_heaptab_init(void);
/* Records a sampled allocation of size bytes at p with its stack and unbiasing weight. */
void np_heaptab_alloc(void *p, size_t size, const uintptr_t *pcs, int n, double weight);

extern uint8_t *np_heap_filter;
enum { NP_FILTER_BITS = 19 };

static inline size_t np_heap_filter_slot(const void *p)
{
    return (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL >> (64 - NP_FILTER_BITS));
}

/* Called by free (and realloc) before the memory is released: the common case costs one load. */
void np_heaptab_free_slow(void *p);
static inline void np_heaptab_free(void *p)
{
    uint8_t *f = np_heap_filter;
    if (__builtin_expect(f != NULL && __atomic_load_n(&f[np_heap_filter_slot(p)], __ATOMIC_RELAXED), 0))
        np_heaptab_free_slow(p);
}

/* Copies every bucket's values; *out is malloc'd (the caller is a collector thread). */
size_t np_heaptab_snapshot(np_heap_rec **out);
/* Number of live sampled objects and of buckets (for tests and self-monitoring). */
void np_heaptab_stats(size_t *live, size_t *buckets);
/* Fork handlers: the child inherits the tables with the lock released. */
void np_heaptab_lock(void);
void np_heaptab_unlock(void);
void np_heaptab_child_reset(void);

#endif

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

/* The free path's filter: one bit per 16-byte granule of an 8 MiB window of addresses
 * (64 KiB, so it stays in cache), set while a live sampled object, or a block of the early
 * allocation buffer, starts in that granule of some window. A clear bit proves p was not
 * sampled; a set bit sends free to the slow path, which looks p up under the lock. */
enum { NP_FILTER_BITS = 19 };
extern uint64_t np_heap_filter[(size_t)1 << (NP_FILTER_BITS - 6)];

static inline bool np_heap_maybe_sampled(const void *p)
{
    uintptr_t granule = (uintptr_t)p >> 4;
    uint64_t word = __atomic_load_n(&np_heap_filter[granule >> 6 & (((size_t)1 << (NP_FILTER_BITS - 6)) - 1)],
                                    __ATOMIC_RELAXED);
    return __builtin_expect(word >> (granule & 63) & 1, 0);
}

/* Marks p as "maybe sampled" for good (the early buffer's blocks, which free must catch). */
void np_heaptab_pin(const void *p);

/* Called by free before the memory is released, for an object whose filter bit is set:
 * forgets p if it is a live sampled object. */
void np_heaptab_free_slow(void *p);

/* realloc's view of a sampled block: it leaves the live set before the call (its address may
 * be reused as soon as realloc returns) and is settled after it: counted as freed, or put
 * back when realloc failed and the block is still the program's. */
typedef struct np_heap_taken {
    void *p;
    struct bucket *bucket;
    double weight;
} np_heap_taken;
bool np_heaptab_take(void *p, np_heap_taken *t);
void np_heaptab_settle(const np_heap_taken *t, bool freed);

/* Copies every bucket's values; *out is malloc'd (the caller is a collector thread). */
size_t np_heaptab_snapshot(np_heap_rec **out);
/* Number of live sampled objects and of buckets (for tests and self-monitoring). */
void np_heaptab_stats(size_t *live, size_t *buckets);
/* Fork handlers: the child inherits the tables with the lock released. */
void np_heaptab_lock(void);
void np_heaptab_unlock(void);
void np_heaptab_child_reset(void);

#endif

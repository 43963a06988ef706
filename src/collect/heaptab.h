/* The heap profile's data: one bucket per (stack, object size) with the sampled allocations and
 * frees, and how a free is matched to its bucket: by a header in front of the sampled object,
 * without a lock (or, for the rare page-aligned ones, in a live table under the lock). */
#ifndef NP_HEAPTAB_H
#define NP_HEAPTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_heap_rec {
    const uintptr_t *pcs; /* return addresses, innermost first; immutable for the process life */
    int n_pcs;
    size_t size;          /* object size of this bucket; its bytes are its objects times this */
    double est_alloc_objs, est_free_objs; /* unbiased: sums of the samples' weights */
} np_heap_rec;

/* Sets up the tables (mmap only). Returns false if memory could not be mapped. */
bool np_heaptab_init(void);
/* What a sample's bucket is found by, made from its stack and size before the allocation; its
 * index line is fetched into the cache meanwhile, while the allocator runs. */
typedef struct np_heap_key {
    uint64_t stack_hash, hash;
} np_heap_key;
np_heap_key np_heaptab_key(const uintptr_t *pcs, int n, size_t size);
/* A sampled block as the program sees it: its pointer is `offset` bytes into the block the next
 * allocator returned (0: the block itself, page-aligned, with no header), and it answers
 * malloc_usable_size with `usable`, what the next allocator answers for the same request. */
typedef struct np_heap_block {
    size_t offset, usable;
} np_heap_block;
/* Records a sampled allocation of size bytes at p (laid out as blk) with its stack, key and
 * unbiasing weight, and writes its header when blk->offset > 0. */
void np_heaptab_alloc(void *p, size_t size, const np_heap_block *blk, const uintptr_t *pcs, int n,
                      const np_heap_key *key, double weight);

/* How free tells a sampled object from the others without a lock, and almost always without
 * touching a cache line the allocator does not touch anyway.
 *
 * A sampled block is allocated larger than asked and the program gets a pointer `offset` bytes
 * in (alloc.c places it), never page-aligned. The 24 bytes before that pointer are a header:
 * the usable size and the offset, the bucket's id and the sample's weight, then the tag, p XOR
 * a secret drawn at start-up. In front of a block glibc hands out
 * lies its chunk size instead, and glibc's free reads that word anyway. Another allocator may
 * leave any bytes there, but not the tag of that very address without knowing the secret;
 * and a sampled object's tag is cleared before its block goes back, so none is left behind in
 * memory that is handed out again. A free whose tag matches then needs no table: the header
 * names the bucket, whose counters are atomic.
 *
 * A page-aligned pointer is not read in front of (the page before may be unmapped: NULL, big
 * blocks of jemalloc, memalign of a page or more). Sampled objects at such addresses have
 * offset 0, no header, and an entry in a live table under the lock, and a bit in a bitmap
 * indexed by page number modulo 2^NP_FILTER_BITS pages, set while a live sampled object
 * starts on such a page; a clear bit proves p was not sampled. */
enum { NP_FILTER_BITS = 15, NP_PAGE = 4096 };
extern uint64_t np_heap_filter[(size_t)1 << (NP_FILTER_BITS - 6)] __attribute__((visibility("hidden")));
extern uintptr_t np_heap_secret __attribute__((visibility("hidden")));
typedef uint64_t __attribute__((may_alias)) np_heap_word;

/* Draws the secret; called before the first block is marked (the first allocation). */
void np_heap_secret_init(void);

static inline uint64_t np_heap_tag(const void *p)
{
    return (uintptr_t)p ^ __atomic_load_n(&np_heap_secret, __ATOMIC_RELAXED);
}

static inline bool np_heap_page_aligned(const void *p)
{
    return ((uintptr_t)p & (NP_PAGE - 1)) == 0;
}

static inline bool np_heap_maybe_sampled(const void *p)
{
    if (__builtin_expect(!np_heap_page_aligned(p), 1))
        return __builtin_expect(((const np_heap_word *)p)[-1] == np_heap_tag(p), 0);
    uintptr_t page = (uintptr_t)p / NP_PAGE;
    uint64_t word = __atomic_load_n(&np_heap_filter[page >> 6 & (((size_t)1 << (NP_FILTER_BITS - 6)) - 1)],
                                    __ATOMIC_RELAXED);
    return word >> (page & 63) & 1;
}

/* Bytes a header takes in front of the program's pointer (the 8 below the last three words are
 * not used, and keep the pointer 16-aligned). */
enum { NP_HEAP_HEADER = 32 };

/* Writes the tag in front of p (not page-aligned) with `first` as the word before it. */
static inline void np_heap_mark(void *p, uint64_t first)
{
    ((np_heap_word *)p)[-2] = first;
    ((np_heap_word *)p)[-1] = np_heap_tag(p);
}

/* Marks the page-aligned p as "maybe sampled" for good (an early-buffer block, which free must
 * catch and other pointers carry the tag for). */
void np_heaptab_pin(const void *p);

/* Called by free before the memory is released, for p that np_heap_maybe_sampled accepted:
 * forgets p if it is a live sampled object. Returns its offset (0 if it is none): the block
 * to give back starts that many bytes before p. */
size_t np_heaptab_free_slow(void *p);
/* True if p is a live sampled object with a header, whose layout is then in *blk. */
bool np_heaptab_block(const void *p, np_heap_block *blk);

/* realloc's view of a sampled block: it stops being recognised before the call (its address
 * may be reused as soon as realloc returns) and is settled after it: counted as freed, or
 * recognised again when realloc failed and the block is still the program's. */
typedef struct np_heap_taken {
    void *p;
    struct bucket *bucket; /* NULL: not recorded */
    double weight;
    np_heap_block blk;     /* offset 0: in the live table (page-aligned), else it has a header */
} np_heap_taken;
bool np_heaptab_take(void *p, np_heap_taken *t);
void np_heaptab_settle(const np_heap_taken *t, bool freed);

/* Copies every bucket's values; *out is malloc'd (the caller is a collector thread). */
size_t np_heaptab_snapshot(np_heap_rec **out);
/* Number of buckets (for the index page). */
size_t np_heaptab_buckets(void);
/* Fork handlers: the child inherits the tables with the lock released. */
void np_heaptab_lock(void);
void np_heaptab_unlock(void);
void np_heaptab_child_reset(void);

#endif

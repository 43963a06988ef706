/* An open-addressed hash index of records (stacks, buckets, counters by stack) in the
 * collector's own memory. It keeps each record's full hash beside it: a lookup reads one line
 * of slots and only the record that matches, and growing never touches the records. Only the
 * holder of the owner's lock changes an index; readers may look without the lock, so slots
 * are written hash first, record last, and a replaced array is not unmapped but emptied (it
 * then reads as zeros: "not found", and the reader takes the lock to look again). */
#ifndef NP_HINDEX_H
#define NP_HINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_hslot {
    uint64_t hash;
    void *rec; /* NULL = empty */
} np_hslot;

typedef struct np_hslots {
    size_t cap; /* a power of two */
    np_hslot s[];
} np_hslots;

typedef struct np_hindex {
    np_hslots *arr; /* replaced whole when it grows */
    size_t n;       /* records; at most half of cap */
} np_hindex;

typedef bool (*np_hsame)(const void *rec, const void *key);

/* A well-mixed 64-bit hash step. */
static inline uint64_t np_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* Maps the first array (cap slots) unless there is one; arr stays NULL when out of memory. */
void np_hindex_init(np_hindex *x, size_t cap);
/* The slot of a (of capacity cap, as read once) holding the record with hash h for which
 * same(rec, key), or the empty slot where it belongs. An array is never full, so the probe
 * ends; a retired one reads as empty. Inline, so that same() is too: it is on the sampling
 * path. */
static inline np_hslot *np_hslots_probe(np_hslots *a, size_t cap, uint64_t h, np_hsame same, const void *key)
{
    size_t mask = cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        np_hslot *s = &a->s[i];
        void *rec = __atomic_load_n(&s->rec, __ATOMIC_ACQUIRE);
        if (!rec || (__atomic_load_n(&s->hash, __ATOMIC_RELAXED) == h && same(rec, key)))
            return s;
    }
}

/* The same for the lock holder. */
static inline np_hslot *np_hindex_probe(const np_hindex *x, uint64_t h, np_hsame same, const void *key)
{
    return np_hslots_probe(x->arr, x->arr->cap, h, same, key);
}

/* The array for a reader without the lock, and its capacity as read once: 0 when there is none
 * yet, or it was retired meanwhile. */
static inline np_hslots *np_hindex_unlocked(const np_hindex *x, size_t *cap)
{
    np_hslots *a = __atomic_load_n(&x->arr, __ATOMIC_ACQUIRE);
    *cap = a ? __atomic_load_n(&a->cap, __ATOMIC_RELAXED) : 0;
    return a;
}
/* False when the index could not grow and is too full to take another record. */
bool np_hindex_has_room(const np_hindex *x);
/* Fills the empty slot s (from a probe of x's array) with rec, growing the index when it is
 * half full; np_hindex_has_room said yes. */
void np_hindex_insert(np_hindex *x, np_hslot *s, uint64_t h, void *rec);

#endif

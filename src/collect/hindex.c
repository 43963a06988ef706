/* The collector's hash index: open addressing over mmap'd arrays, lock-free reads (hindex.h). */
#include "collect/hindex.h"

#include "collect/cmem.h"

void np_hindex_init(np_hindex *x, size_t cap)
{
    if (x->arr)
        return;
    np_hslots *a = np_cmem_map(sizeof *a + cap * sizeof *a->s);
    if (a)
        a->cap = cap;
    __atomic_store_n(&x->arr, a, __ATOMIC_RELEASE);
}

static void grow(np_hindex *x)
{
    np_hslots *old = x->arr;
    size_t nc = old->cap * 2, bytes = sizeof *old + old->cap * sizeof *old->s;
    np_hslots *a = np_cmem_map_populated(sizeof *a + nc * sizeof *a->s); /* rehashing writes all over it */
    if (!a)
        return; /* keep the fuller array */
    a->cap = nc;
    for (size_t i = 0; i < old->cap; i++) {
        if (!old->s[i].rec)
            continue;
        size_t j = old->s[i].hash & (nc - 1);
        while (a->s[j].rec)
            j = (j + 1) & (nc - 1);
        a->s[j] = old->s[i];
    }
    __atomic_store_n(&x->arr, a, __ATOMIC_RELEASE);
    np_cmem_retire(old, bytes);
}

bool np_hindex_has_room(const np_hindex *x)
{
    size_t cap = x->arr->cap;
    return x->n + 1 < cap - cap / 4;
}

void np_hindex_insert(np_hindex *x, np_hslot *s, uint64_t h, void *rec)
{
    size_t cap = x->arr->cap;
    __atomic_store_n(&s->hash, h, __ATOMIC_RELAXED);
    __atomic_store_n(&s->rec, rec, __ATOMIC_RELEASE);
    if (++x->n > cap / 2)
        grow(x);
}

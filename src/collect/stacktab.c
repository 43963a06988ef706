/* Stacks stored once, and counters by stack, in the collector's own memory (stacktab.h). */
#include "collect/stacktab.h"

#include <stdlib.h>
#include <string.h>

#include "collect/cmem.h"
#include "collect/spin.h"

static struct {
    atomic_int lock;
    np_hindex stacks;
} __attribute__((aligned(64))) tab;

uint64_t np_stack_hash(const uintptr_t *pcs, int n)
{
    uint64_t h = np_mix64((uint64_t)n + 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < n; i++)
        h = np_mix64(h ^ pcs[i]);
    return h;
}

bool np_stack_equal(const np_stack *st, const uintptr_t *pcs, int n)
{
    return st->n_pcs == n && memcmp(st->pcs, pcs, (size_t)n * sizeof *pcs) == 0;
}

typedef struct stack_key {
    const uintptr_t *pcs;
    int n;
} stack_key;

static bool same_stack(const void *rec, const void *key)
{
    const stack_key *k = key;
    return np_stack_equal(rec, k->pcs, k->n);
}

const np_stack *np_stacktab_intern_locked(const uintptr_t *pcs, int n, uint64_t hash)
{
    np_hindex_init(&tab.stacks, 1 << 12);
    if (!tab.stacks.arr)
        return NULL;
    stack_key key = {pcs, n};
    np_hslot *s = np_hindex_probe(&tab.stacks, hash, same_stack, &key);
    if (s->rec)
        return s->rec;
    size_t bytes = (size_t)n * sizeof *pcs;
    np_stack *st = np_hindex_has_room(&tab.stacks) ? np_cmem_alloc(sizeof *st + bytes) : NULL;
    if (!st)
        return NULL;
    st->n_pcs = n;
    memcpy(st->pcs, pcs, bytes);
    np_hindex_insert(&tab.stacks, s, hash, st);
    return st;
}

void np_stacktab_lock(void)
{
    np_spin_lock(&tab.lock);
}

void np_stacktab_unlock(void)
{
    np_spin_unlock(&tab.lock);
}

void np_stacktab_child_reset(void)
{
    atomic_store(&tab.lock, 0);
}

static bool same_crec(const void *rec, const void *key)
{
    const np_crec *r = rec;
    const stack_key *k = key;
    return np_stack_equal(r->st, k->pcs, k->n);
}

/* Without the lock: the record if it exists (a miss may be one being added right now; the
 * caller then looks again under the lock). */
static np_crec *find_unlocked(np_ctab *t, const stack_key *k, uint64_t h)
{
    size_t cap;
    np_hslots *a = np_hindex_unlocked(&t->index, &cap);
    return cap ? np_hslots_probe(a, cap, h, same_crec, k)->rec : NULL;
}

/* Under the lock: the record, made if it is new. */
static np_crec *find_locked(np_ctab *t, const stack_key *k, uint64_t h)
{
    np_hindex_init(&t->index, 1 << 8);
    if (!t->index.arr)
        return NULL;
    np_hslot *s = np_hindex_probe(&t->index, h, same_crec, k);
    if (s->rec)
        return s->rec;
    if (!np_hindex_has_room(&t->index))
        return NULL;
    const np_stack *st = np_stacktab_intern_locked(k->pcs, k->n, h);
    np_crec *r = st ? np_cmem_alloc(sizeof *r) : NULL;
    if (!r)
        return NULL;
    r->st = st;
    r->next = atomic_load_explicit(&t->first, memory_order_relaxed);
    np_hindex_insert(&t->index, s, h, r);
    atomic_store_explicit(&t->first, r, memory_order_release);
    atomic_fetch_add_explicit(&t->n, 1, memory_order_relaxed);
    return r;
}

np_crec *np_ctab_find(np_ctab *t, const uintptr_t *pcs, int n)
{
    stack_key k = {pcs, n};
    uint64_t h = np_stack_hash(pcs, n);
    np_crec *r = find_unlocked(t, &k, h);
    if (r)
        return r;
    np_stacktab_lock();
    r = find_locked(t, &k, h);
    np_stacktab_unlock();
    return r;
}

size_t np_ctab_snapshot(np_ctab *t, np_crec **out)
{
    size_t n = atomic_load_explicit(&t->n, memory_order_acquire) + 64;
    np_crec *copy = malloc(n * sizeof *copy);
    size_t k = 0;
    for (np_crec *r = atomic_load_explicit(&t->first, memory_order_acquire); copy && r && k < n; r = r->next) {
        np_crec c = {r->st, {0}, NULL};
        bool any = false;
        for (int i = 0; i < NP_CTAB_VALUES; i++) {
            c.v[i] = __atomic_load_n(&r->v[i], __ATOMIC_RELAXED);
            any = any || c.v[i] != 0;
        }
        if (any)
            copy[k++] = c;
    }
    *out = copy;
    return k;
}

size_t np_ctab_count(const np_ctab *t)
{
    return atomic_load_explicit(&t->n, memory_order_relaxed);
}

/* The buckets (one per stack and object size) with atomic counters. A sample whose bucket
 * exists finds it without a lock; new buckets, and snapshots, take a spinlock. A free finds its
 * sampled object's bucket in the header in front of the object, without the lock; only sampled
 * objects at page-aligned addresses (which have no header) are kept in a live table under the
 * lock. All memory comes from the collector's own mappings. */
#include "collect/heaptab.h"

#include <sys/auxv.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "collect/cmem.h"
#include "collect/hindex.h"
#include "collect/spin.h"
#include "collect/stacktab.h"
#include "collect/tstate.h"

/* The counters of one (stack, size), in a cache line of its own. Its bytes are its objects
 * times its size. The counters are atomic: neither a sample that finds its bucket nor a free
 * takes the lock. */
typedef struct bucket {
    const np_stack *st;       /* NULL: never handed out; set before publication, then constant */
    size_t size;
    double est_alloc_objs, est_free_objs; /* sums of the samples' weights */
    uint32_t id;              /* what headers name it by */
} __attribute__((aligned(64))) bucket;

typedef struct live {
    void *p;        /* NULL = empty slot */
    bucket *b;
    double weight;
} live;

/* What the lock guards, with the lock, in cache lines of their own: a sample that makes a
 * bucket moves them to its thread's core in one go, and nothing that other threads only read (the sampling rate,
 * the tag's secret, the unwinder's table) shares their lines and pays for that move. */
static struct {
    atomic_int lock;
    uint32_t n_ids;           /* bucket ids handed out; 0 is none */
    struct live *lives;       /* sampled objects at page-aligned addresses */
    size_t n_lives_cap, n_lives;
} __attribute__((aligned(64))) tables = {.n_ids = 1};

/* The bucket index, apart from the lock's line: samples that find their bucket read it without
 * the lock. Its count is the lock holder's. */
static np_hindex buckets __attribute__((aligned(64)));

/* The page filter's bits (read by free without the lock) and, per bit, how many live sampled
 * objects hold it (changed under the lock only; FILTER_PINNED never counts down). Both live
 * in .bss: pages are only backed once an address maps there. */
uint64_t np_heap_filter[(size_t)1 << (NP_FILTER_BITS - 6)];
static uint16_t filter_count[(size_t)1 << NP_FILTER_BITS];
enum { FILTER_PINNED = UINT16_MAX };

static size_t filter_slot(const void *p)
{
    return ((uintptr_t)p / NP_PAGE) & (((size_t)1 << NP_FILTER_BITS) - 1);
}

static void filter_set(size_t slot)
{
    __atomic_fetch_or(&np_heap_filter[slot >> 6], (uint64_t)1 << (slot & 63), __ATOMIC_RELEASE);
}

/* Counts one more object in p's slot (saturating: a full slot stays set for good). */
static void filter_add(const void *p, uint16_t how_many)
{
    size_t slot = filter_slot(p);
    uint16_t c = __atomic_load_n(&filter_count[slot], __ATOMIC_RELAXED), want;
    do {
        want = how_many == FILTER_PINNED || c >= FILTER_PINNED - how_many ? FILTER_PINNED : c + how_many;
    } while (!__atomic_compare_exchange_n(&filter_count[slot], &c, want, false, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    filter_set(slot);
}

static void filter_remove(const void *p)
{
    size_t slot = filter_slot(p);
    uint16_t c = __atomic_load_n(&filter_count[slot], __ATOMIC_RELAXED);
    do {
        if (c == 0 || c == FILTER_PINNED)
            return;
    } while (!__atomic_compare_exchange_n(&filter_count[slot], &c, c - 1, false, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    if (c == 1)
        __atomic_fetch_and(&np_heap_filter[slot >> 6], ~((uint64_t)1 << (slot & 63)), __ATOMIC_RELAXED);
}

/* Lock-free: the early buffer's blocks are handed out while the lock may not be usable yet. */
void np_heaptab_pin(const void *p)
{
    filter_add(p, FILTER_PINNED);
}

/* Re-entry from signal handlers. A handler that allocates or frees can interrupt this thread
 * while it holds `lock` (recording a sample, or matching the free of a sampled object); taking
 * the lock again would deadlock the thread on itself. So a thread is marked busy (a handler's
 * allocations are not sampled) and `held` from just before it takes the lock until just after
 * it let it go; a free from a handler while `held` is parked in `parked` and matched by the
 * interrupted thread under the lock. Both are thread-local and only touched by the thread
 * itself and its handlers. */
static __thread int held __attribute__((tls_model("initial-exec")));
enum { PARKED = 16 };
static __thread void *parked[PARKED] __attribute__((tls_model("initial-exec")));
static __thread int n_parked __attribute__((tls_model("initial-exec")));

static void tab_lock(void)
{
    np_enter();
    held = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    np_spin_lock(&tables.lock);
}

static void remove_live(void *p);

/* Matches the frees parked by handlers, then releases the lock. A handler may park more while
 * this runs: a slot is claimed (and released) with a compare-and-swap on the count, a single
 * instruction that a handler on this thread runs entirely before or after. One parked between
 * the unlock and the end of `held` makes the thread take the lock once more to match it. */
static void tab_unlock(void)
{
    for (;;) {
        for (;;) {
            int n = __atomic_load_n(&n_parked, __ATOMIC_RELAXED);
            if (n == 0)
                break;
            void *p = parked[n - 1];
            if (__atomic_compare_exchange_n(&n_parked, &n, n - 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                remove_live(p);
        }
        np_spin_unlock(&tables.lock);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        held = 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&n_parked, __ATOMIC_RELAXED) == 0)
            break;
        held = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        np_spin_lock(&tables.lock);
    }
    np_leave();
}

/* A free from a signal handler that interrupted this thread inside the lock. If more frees
 * arrive than fit (not seen in practice), the object stays counted as live. */
static void park(void *p)
{
    int n = __atomic_load_n(&n_parked, __ATOMIC_RELAXED);
    do {
        if (n >= PARKED)
            return;
    } while (!__atomic_compare_exchange_n(&n_parked, &n, n + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    parked[n] = p;
}

/* Buckets by id, for headers: bucket i is slot i % REGION_BUCKETS of region i / REGION_BUCKETS,
 * regions mapped as ids reach them and never moved, so a free finds its bucket from the id with
 * one load of a (hot) region pointer and no lock. Id 0 names no bucket (a sample that could not
 * be recorded). */
enum { ID_BITS = 24, REGION_BITS = 12, REGION_BUCKETS = 1 << REGION_BITS };
static bucket *regions[1 << (ID_BITS - REGION_BITS)];

static bucket *bucket_by_id(uint32_t id)
{
    bucket *r = __atomic_load_n(&regions[id >> REGION_BITS], __ATOMIC_ACQUIRE);
    return r ? &r[id & (REGION_BUCKETS - 1)] : NULL;
}

/* A fresh bucket with the next id; NULL when out of ids (16 M buckets) or memory. */
static bucket *new_bucket(const np_stack *st, size_t size)
{
    uint32_t id = tables.n_ids;
    if (id >= 1u << ID_BITS)
        return NULL;
    bucket *r = regions[id >> REGION_BITS];
    if (!r) {
        r = np_cmem_map(REGION_BUCKETS * sizeof *r); /* backed as it fills */
        if (!r)
            return NULL;
        __atomic_store_n(&regions[id >> REGION_BITS], r, __ATOMIC_RELEASE);
    }
    bucket *b = &r[id & (REGION_BUCKETS - 1)];
    b->id = id;
    b->size = size;
    __atomic_store_n(&b->st, st, __ATOMIC_RELEASE);
    tables.n_ids = id + 1;
    return b;
}

typedef struct stack_key {
    const uintptr_t *pcs;
    int n;
} stack_key;

/* What a sample looks its bucket up by. */
typedef struct bucket_key {
    stack_key stack;
    size_t size;
    np_heap_key k;
} bucket_key;

/* The bucket index's array for a reader without the lock, and its capacity as read once: 0
 * when there is none yet, or it was retired meanwhile. */
static np_hslots *buckets_unlocked(size_t *cap)
{
    return np_hindex_unlocked(&buckets, cap);
}

np_heap_key np_heaptab_key(const uintptr_t *pcs, int n, size_t size)
{
    uint64_t sh = np_stack_hash(pcs, n);
    np_heap_key k = {sh, np_mix64(sh ^ np_mix64(size + 0x632be59bd9b4e019ULL))};
    size_t cap;
    np_hslots *a = buckets_unlocked(&cap);
    if (cap)
        __builtin_prefetch(&a->s[k.hash & (cap - 1)]);
    return k;
}

static bool same_bucket(const void *rec, const void *key)
{
    const bucket *b = rec;
    const bucket_key *k = key;
    return b->size == k->size && np_stack_equal(b->st, k->stack.pcs, k->stack.n);
}

/* Without the lock: the bucket if it exists (a miss may be a bucket being added right now;
 * the caller then looks again under the lock). */
static bucket *find_bucket_unlocked(const bucket_key *k)
{
    size_t cap;
    np_hslots *a = buckets_unlocked(&cap);
    return cap ? np_hslots_probe(a, cap, k->k.hash, same_bucket, k)->rec : NULL;
}

/* Under the lock: the bucket, made if it is new; NULL when out of memory or ids. */
static bucket *find_bucket(const bucket_key *k)
{
    np_hslot *s = np_hindex_probe(&buckets, k->k.hash, same_bucket, k);
    if (s->rec)
        return s->rec;
    if (!np_hindex_has_room(&buckets))
        return NULL;
    /* The stack table's lock nests inside this one (and is taken in the same order at fork). */
    np_stacktab_lock();
    const np_stack *st = np_stacktab_intern_locked(k->stack.pcs, k->stack.n, k->k.stack_hash);
    np_stacktab_unlock();
    bucket *b = st ? new_bucket(st, k->size) : NULL;
    if (b)
        np_hindex_insert(&buckets, s, k->k.hash, b);
    return b;
}

bool np_heaptab_init(void)
{
    tab_lock();
    np_hindex_init(&buckets, 1 << 14);
    if (!tables.lives) {
        tables.n_lives_cap = 1 << 12;
        tables.lives = np_cmem_map(tables.n_lives_cap * sizeof *tables.lives);
    }
    bool ok = buckets.arr && tables.lives;
    tab_unlock();
    return ok;
}

static size_t live_slot(const void *p, size_t cap)
{
    return (size_t)(np_mix64((uintptr_t)p) & (cap - 1));
}

static void live_insert_raw(live *tab, size_t cap, live e)
{
    size_t i = live_slot(e.p, cap);
    while (tab[i].p)
        i = (i + 1) & (cap - 1);
    tab[i] = e;
}

static bool grow_lives(void)
{
    size_t nc = tables.n_lives_cap * 2;
    live *nt = np_cmem_map(nc * sizeof *nt);
    if (!nt)
        return false;
    for (size_t i = 0; i < tables.n_lives_cap; i++)
        if (tables.lives[i].p)
            live_insert_raw(nt, nc, tables.lives[i]);
    np_cmem_unmap(tables.lives, tables.n_lives_cap * sizeof *tables.lives);
    tables.lives = nt;
    tables.n_lives_cap = nc;
    return true;
}

uintptr_t np_heap_secret;

void np_heap_secret_init(void)
{
    if (__atomic_load_n(&np_heap_secret, __ATOMIC_ACQUIRE))
        return;
    uint64_t r = 0;
    const void *random16 = (const void *)getauxval(AT_RANDOM); /* the kernel's, at exec */
    if (random16)
        memcpy(&r, random16, sizeof r);
    r ^= np_mix64((uintptr_t)&r); /* and the stack's random placement */
    uintptr_t unset = 0; /* the first of racing threads sets it, for good */
    __atomic_compare_exchange_n(&np_heap_secret, &unset, r | 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* The header, from the program's pointer down: the tag; the bucket id (24 bits), a marker byte
 * and the weight as a float (32); the usable size (48 bits) and the offset (16). */
enum { HEADER_MARK = 0xa7 };

static void write_header(void *p, const np_heap_block *blk, uint32_t id, double weight)
{
    float w = (float)weight;
    uint32_t wbits;
    memcpy(&wbits, &w, sizeof wbits);
    ((np_heap_word *)p)[-3] = blk->usable | (uint64_t)blk->offset << 48;
    np_heap_mark(p, id | (uint64_t)HEADER_MARK << ID_BITS | (uint64_t)wbits << 32);
}

/* Reads the header of p (its tag matched) into t; false if it is not one write_header makes,
 * which only a program overwriting its own heap can cause. */
static bool read_header(const void *p, np_heap_taken *t)
{
    uint64_t first = ((const np_heap_word *)p)[-2], layout = ((const np_heap_word *)p)[-3];
    uint32_t id = (uint32_t)first & ((1u << ID_BITS) - 1), mark = (first >> ID_BITS) & 0xff;
    uint32_t wbits = (uint32_t)(first >> 32);
    size_t offset = (size_t)(layout >> 48);
    float w;
    memcpy(&w, &wbits, sizeof w);
    bucket *b = bucket_by_id(id);
    if (mark != HEADER_MARK || offset < NP_HEAP_HEADER || offset % 16 ||
        (id && (!b || !__atomic_load_n(&b->st, __ATOMIC_ACQUIRE))) || !(w >= 1 && w < 1e30f))
        return false;
    *t = (np_heap_taken){(void *)p, b, w, {offset, (size_t)(layout & (((uint64_t)1 << 48) - 1))}};
    return true;
}

static void atomic_add_double(double *d, double v)
{
    double old, want;
    __atomic_load(d, &old, __ATOMIC_RELAXED);
    do
        want = old + v;
    while (!__atomic_compare_exchange(d, &old, &want, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

static void count_free(bucket *b, double w)
{
    if (b)
        atomic_add_double(&b->est_free_objs, w);
}

/* Enters the page-aligned p in the live table; false if the table could not grow. */
static bool add_live(void *p, bucket *b, double weight)
{
    if (tables.n_lives + 1 >= tables.n_lives_cap / 2 && !grow_lives())
        return false;
    live_insert_raw(tables.lives, tables.n_lives_cap, (live){p, b, weight});
    tables.n_lives++;
    filter_add(p, 1);
    return true;
}

void np_heaptab_alloc(void *p, size_t size, const np_heap_block *blk, const uintptr_t *pcs, int n,
                      const np_heap_key *key, double weight)
{
    /* The header keeps the weight as a float: allocation and free must add the same value, or
     * a bucket whose objects are all freed would keep a residue of estimated bytes in use. */
    weight = (float)weight;
    bucket_key k = {{pcs, n}, size, *key};
    /* A sample whose bucket exists and that gets a header needs no lock. */
    bucket *b = blk->offset ? find_bucket_unlocked(&k) : NULL;
    if (!b) {
        tab_lock();
        b = find_bucket(&k);
        if (b && !blk->offset && !add_live(p, b, weight))
            b = NULL;
        tab_unlock();
    }
    if (b) {
        /* Counted before the program has p, so before its free. */
        atomic_add_double(&b->est_alloc_objs, weight);
    }
    if (blk->offset)
        write_header(p, blk, b ? b->id : 0, weight); /* always: free needs the offset */
}

/* Removes slot i keeping every other entry reachable from its home slot (no tombstones). */
static void live_delete(size_t i)
{
    size_t mask = tables.n_lives_cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!tables.lives[j].p)
            break;
        size_t home = live_slot(tables.lives[j].p, tables.n_lives_cap);
        /* Move j back into the hole when its home is not between the hole and j. */
        bool between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!between) {
            tables.lives[i] = tables.lives[j];
            i = j;
        }
    }
    tables.lives[i].p = NULL;
    tables.lives[i].b = NULL;
}

/* p's slot in the live table, or SIZE_MAX; the caller holds the lock. */
static size_t find_live(const void *p)
{
    if (!tables.lives || !p)
        return SIZE_MAX; /* nothing sampled yet (a pinned slot's neighbour), or free(NULL) */
    size_t i = live_slot(p, tables.n_lives_cap);
    while (tables.lives[i].p && tables.lives[i].p != p)
        i = (i + 1) & (tables.n_lives_cap - 1);
    return tables.lives[i].p == p ? i : SIZE_MAX;
}

/* Takes the page-aligned p out of the live table, if it is there; the caller holds the lock. */
static bool take_live(void *p, np_heap_taken *t)
{
    size_t i = find_live(p);
    if (i == SIZE_MAX)
        return false;
    *t = (np_heap_taken){p, tables.lives[i].b, tables.lives[i].weight, {0, 0}};
    live_delete(i);
    tables.n_lives--;
    filter_remove(p);
    return true;
}

/* Matches the free of p against the live table; the caller holds the lock. */
static void remove_live(void *p)
{
    np_heap_taken t;
    if (take_live(p, &t))
        count_free(t.bucket, t.weight);
}

bool np_heaptab_take(void *p, np_heap_taken *t)
{
    if (!np_heap_page_aligned(p)) {
        if (!read_header(p, t))
            return false;
        __atomic_store_n(&((np_heap_word *)p)[-1], 0, __ATOMIC_RELAXED); /* no stale tag left */
        return true;
    }
    if (held) {
        /* A signal handler inside the lock: counted as freed, whatever realloc does. */
        park(p);
        return false;
    }
    tab_lock();
    bool found = take_live(p, t);
    tab_unlock();
    return found;
}

void np_heaptab_settle(const np_heap_taken *t, bool freed)
{
    if (freed) {
        count_free(t->bucket, t->weight);
    } else if (t->blk.offset) {
        ((np_heap_word *)t->p)[-1] = np_heap_tag(t->p); /* recognised again */
    } else {
        tab_lock();
        if (!add_live(t->p, t->bucket, t->weight))
            count_free(t->bucket, t->weight);
        tab_unlock();
    }
}

size_t np_heaptab_free_slow(void *p)
{
    np_heap_taken t;
    if (!np_heaptab_take(p, &t))
        return 0;
    np_heaptab_settle(&t, true);
    return t.blk.offset;
}

bool np_heaptab_block(const void *p, np_heap_block *blk)
{
    np_heap_taken t;
    if (np_heap_page_aligned(p) || !read_header(p, &t))
        return false;
    *blk = t.blk;
    return true;
}

size_t np_heaptab_snapshot(np_heap_rec **out)
{
    /* malloc may sample (and so take the lock) in a thread without the collector's guard:
     * size the copy first, allocate unlocked, then copy what fits. */
    tab_lock();
    size_t n = tables.n_ids + 64;
    tab_unlock();
    np_heap_rec *recs = malloc(n * sizeof *recs);
    tab_lock();
    size_t k = 0;
    for (uint32_t id = 1; recs && id < tables.n_ids && k < n; id++) {
        const bucket *b = &regions[id >> REGION_BITS][id & (REGION_BUCKETS - 1)]; /* mapped */
        double allocs, frees;
        __atomic_load(&b->est_alloc_objs, &allocs, __ATOMIC_RELAXED);
        __atomic_load(&b->est_free_objs, &frees, __ATOMIC_RELAXED);
        if (allocs == 0)
            continue; /* made for a sample that is being counted right now, or was not */
        recs[k++] = (np_heap_rec){b->st->pcs, b->st->n_pcs, b->size, allocs, frees};
    }
    tab_unlock();
    *out = recs;
    return recs ? k : 0;
}

size_t np_heaptab_buckets(void)
{
    tab_lock();
    size_t n = tables.n_ids - 1;
    tab_unlock();
    return n;
}

void np_heaptab_lock(void)
{
    tab_lock();
}

void np_heaptab_unlock(void)
{
    tab_unlock();
}

/* In the child the forking thread (the only one left) held the lock through fork: the lock is
 * made fresh and taken again, so that frees parked during fork are matched by tab_unlock. */
void np_heaptab_child_reset(void)
{
    atomic_store(&tables.lock, 0);
    np_spin_lock(&tables.lock);
    tab_unlock();
}

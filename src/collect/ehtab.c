/* The prepared unwind tables: one slot per loaded object, rows sorted by address as parallel
 * arrays (offsets from the object's code start, packed rules), published by a state word that
 * readers check before and keep in sight through a reader count. */
#include "collect/ehtab.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "collect/cmem.h"

enum { MAX_OBJS = 1024 };
enum { SLOT_FREE, SLOT_BUILDING, SLOT_LIVE, SLOT_DEAD };

typedef struct obj {
    _Atomic int state;
    uintptr_t lo, hi, hdr; /* code range; address of its .eh_frame_hdr (the identity) */
    uint32_t *offs;        /* row starts, lo-relative, ascending */
    np_cfi_rule *rules;
    size_t n;
    void *mem;
    size_t mem_bytes;
    bool seen;
} obj;

static obj objs[MAX_OBJS];
static _Atomic int n_slots; /* slots ever used: readers scan this many */
static _Atomic long readers;
static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long seen_adds, seen_subs;

void np_ehtab_enter(void)
{
    __atomic_fetch_add(&readers, 1, __ATOMIC_SEQ_CST);
}

void np_ehtab_leave(void)
{
    __atomic_fetch_sub(&readers, 1, __ATOMIC_SEQ_CST);
}

static const obj *find(uintptr_t pc)
{
    int n = __atomic_load_n(&n_slots, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
        const obj *o = &objs[i];
        if (__atomic_load_n(&o->state, __ATOMIC_SEQ_CST) == SLOT_LIVE && pc >= o->lo && pc < o->hi)
            return o;
    }
    return NULL;
}

bool np_ehtab_known(uintptr_t pc)
{
    return find(pc) != NULL;
}

np_cfi_rule np_ehtab_rule(uintptr_t pc)
{
    const obj *o = find(pc);
    if (!o || o->n == 0)
        return 0;
    uint32_t off = (uint32_t)(pc - o->lo);
    size_t lo = 0, hi = o->n; /* the last row starting at or before off */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->offs[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return o->offs[lo] <= off ? o->rules[lo] : 0;
}

/* ---- preparing one object ---- */

typedef struct row {
    uintptr_t start;
    np_cfi_rule r;
} row;

/* Rows while an object is read: a mapping that doubles as it fills. */
typedef struct rowbuf {
    row *rows;
    size_t n, cap;
    uintptr_t lo, hi;
    bool failed;
} rowbuf;

static void put(void *ctx, uintptr_t start, np_cfi_rule r)
{
    rowbuf *b = ctx;
    if (b->failed || start < b->lo || start >= b->hi)
        return;
    if (b->n && b->rows[b->n - 1].start >= start) {
        if (b->rows[b->n - 1].start > start)
            return; /* overlapping FDEs: the first one wins */
        b->n--;     /* the same start (an FDE after the previous one's end mark): this one */
    }
    if (b->n && b->rows[b->n - 1].r == r)
        return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        row *fresh = np_cmem_map(cap * sizeof *fresh);
        if (!fresh) {
            b->failed = true;
            return;
        }
        if (b->n)
            memcpy(fresh, b->rows, b->n * sizeof *fresh);
        if (b->rows)
            np_cmem_unmap(b->rows, b->cap * sizeof *b->rows);
        b->rows = fresh;
        b->cap = cap;
    }
    b->rows[b->n++] = (row){start, r};
}

static int32_t rd32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Reads every FDE the .eh_frame_hdr at hdr lists into b. Only the layout every linker writes
 * (a table of 4-byte datarel pairs) is read; anything else leaves the object without rows. */
static void read_hdr(uintptr_t hdr, rowbuf *b)
{
    const uint8_t *h = (const uint8_t *)hdr;
    if (h[0] != 1 || (h[1] & 0x0f) != 0x0b || h[2] != 0x03 || h[3] != 0x3b)
        return;
    uint32_t count = (uint32_t)rd32(h + 8);
    const uint8_t *tab = h + 12;
    for (uint32_t i = 0; i < count && !b->failed; i++) {
        uintptr_t func = hdr + (intptr_t)rd32(tab + 8 * i);
        const uint8_t *fde = (const uint8_t *)(hdr + (intptr_t)rd32(tab + 8 * i + 4));
        uintptr_t end;
        if (np_cfi_fde_rows(fde, func, &end, put, b))
            put(b, end, 0); /* past the function nothing is known, unless the next starts there */
    }
}

/* Moves the rows into the slot's own mapping (offsets and rules apart, for the search). */
static bool fill(obj *o, rowbuf *b)
{
    size_t bytes = b->n * (sizeof(uint32_t) + sizeof(np_cfi_rule)) + 16;
    void *mem = np_cmem_map(bytes);
    if (!mem)
        return false;
    o->rules = mem;
    o->offs = (uint32_t *)(o->rules + b->n);
    for (size_t i = 0; i < b->n; i++) {
        o->rules[i] = b->rows[i].r;
        o->offs[i] = (uint32_t)(b->rows[i].start - o->lo);
    }
    o->n = b->n;
    o->mem = mem;
    o->mem_bytes = bytes;
    return true;
}

typedef struct cand {
    uintptr_t lo, hi, hdr;
} cand;

static cand cands[MAX_OBJS];
static int n_cands;

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0, hdr = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_EH_FRAME)
            hdr = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            uintptr_t s = info->dlpi_addr + ph->p_vaddr;
            if (s < lo)
                lo = s;
            if (s + ph->p_memsz > hi)
                hi = s + ph->p_memsz;
        }
    }
    if (hdr && hi > lo && hi - lo < ((uintptr_t)1 << 32) && n_cands < MAX_OBJS)
        cands[n_cands++] = (cand){lo, hi, hdr};
    seen_adds = info->dlpi_adds;
    seen_subs = info->dlpi_subs;
    return 0;
}

static obj *free_slot(void)
{
    int n = __atomic_load_n(&n_slots, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (__atomic_load_n(&objs[i].state, __ATOMIC_ACQUIRE) == SLOT_FREE)
            return &objs[i];
    if (n == MAX_OBJS)
        return NULL;
    __atomic_store_n(&n_slots, n + 1, __ATOMIC_RELEASE);
    return &objs[n];
}

static bool prepare(const cand *c)
{
    obj *o = free_slot();
    if (!o)
        return false;
    __atomic_store_n(&o->state, SLOT_BUILDING, __ATOMIC_RELEASE);
    rowbuf b = {.lo = c->lo, .hi = c->hi};
    read_hdr(c->hdr, &b);
    o->lo = c->lo;
    o->hi = c->hi;
    o->hdr = c->hdr;
    o->seen = true;
    bool ok = !b.failed && fill(o, &b);
    if (b.rows)
        np_cmem_unmap(b.rows, b.cap * sizeof *b.rows);
    __atomic_store_n(&o->state, ok ? SLOT_LIVE : SLOT_FREE, __ATOMIC_SEQ_CST);
    return ok;
}

/* Dead slots whose memory no reader can still hold are freed for reuse. */
static void reclaim(void)
{
    if (__atomic_load_n(&readers, __ATOMIC_SEQ_CST) != 0)
        return; /* tried again at the next sync */
    int n = __atomic_load_n(&n_slots, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
        obj *o = &objs[i];
        if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != SLOT_DEAD)
            continue;
        np_cmem_unmap(o->mem, o->mem_bytes);
        o->mem = NULL;
        o->n = 0;
        __atomic_store_n(&o->state, SLOT_FREE, __ATOMIC_RELEASE);
    }
}

int np_ehtab_sync(void)
{
    pthread_mutex_lock(&sync_lock);
    n_cands = 0;
    dl_iterate_phdr(collect, NULL);
    int n = __atomic_load_n(&n_slots, __ATOMIC_ACQUIRE), made = 0;
    for (int i = 0; i < n; i++)
        objs[i].seen = false;
    for (int k = 0; k < n_cands; k++) {
        bool have = false;
        for (int i = 0; i < n && !have; i++)
            if (__atomic_load_n(&objs[i].state, __ATOMIC_ACQUIRE) == SLOT_LIVE && objs[i].hdr == cands[k].hdr &&
                objs[i].lo == cands[k].lo && objs[i].hi == cands[k].hi)
                have = objs[i].seen = true;
        if (!have)
            made += prepare(&cands[k]);
    }
    for (int i = 0; i < n; i++)
        if (!objs[i].seen && __atomic_load_n(&objs[i].state, __ATOMIC_ACQUIRE) == SLOT_LIVE)
            __atomic_store_n(&objs[i].state, SLOT_DEAD, __ATOMIC_SEQ_CST);
    reclaim();
    pthread_mutex_unlock(&sync_lock);
    return made;
}

static int counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    unsigned long long *c = arg;
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
    return 1;
}

bool np_ehtab_stale(void)
{
    unsigned long long c[2] = {0, 0};
    dl_iterate_phdr(counters, c);
    return c[0] != seen_adds || c[1] != seen_subs;
}

void np_ehtab_child_reset(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&sync_lock, &fresh, sizeof fresh);
    for (int i = 0; i < MAX_OBJS; i++)
        if (objs[i].state == SLOT_BUILDING)
            objs[i].state = SLOT_FREE;
    readers = 0;
}

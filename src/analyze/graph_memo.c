/* Open addressing over fixed-size integer keys for np_graph_memo; the table doubles at half
 * full, so a probe sequence stays short. */
#include "analyze/graph_memo.h"

#include <stdlib.h>

#include "core/util.h"

static void alloc_slots(np_graph_memo *m, size_t cap)
{
    m->slot = np_xcalloc(cap, sizeof *m->slot);
    m->mask = cap - 1;
}

void np_graph_memo_init(np_graph_memo *m, size_t expect)
{
    size_t cap = 64;
    while (cap < 2 * expect)
        cap *= 2;
    m->count = 0;
    m->cap_entry = cap / 2;
    m->entry = np_xmalloc(m->cap_entry * sizeof *m->entry);
    alloc_slots(m, cap);
}

void np_graph_memo_free(np_graph_memo *m)
{
    free(m->slot);
    free(m->entry);
    m->slot = NULL;
    m->entry = NULL;
}

static uint64_t hash(uint64_t address, int64_t line, uint64_t ids)
{
    uint64_t h = (address * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)line * 0xc2b2ae3d27d4eb4fULL) ^ ids;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ h >> 29;
}

/* The slot of the key: where its entry's number is, or the empty slot where it would go. The
 * tag is the hash's top half, the slot its low bits, so a tag match is rarely a false one. */
static uint64_t *probe(const np_graph_memo *m, uint64_t h, uint64_t address, int64_t line,
                       uint64_t ids)
{
    uint64_t tag = h >> 32 << 32;
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        uint64_t *s = &m->slot[i];
        if (!*s)
            return s;
        if ((*s & ~0xffffffffULL) == tag) {
            const np_graph_memo_entry *e = &m->entry[(uint32_t)*s - 1];
            if (e->ids == ids && e->address == address && e->line == line)
                return s;
        }
    }
}

static void grow(np_graph_memo *m)
{
    free(m->slot);
    alloc_slots(m, (m->mask + 1) * 2);
    for (size_t i = 0; i < m->count; i++) {
        const np_graph_memo_entry *e = &m->entry[i];
        uint64_t h = hash(e->address, e->line, e->ids);
        *probe(m, h, e->address, e->line, e->ids) = (h >> 32 << 32) | (i + 1);
    }
}

uint32_t *np_graph_memo_find(np_graph_memo *m, uint64_t address, int64_t line, uint32_t func,
                             uint32_t mapping, bool *found)
{
    uint64_t ids = (uint64_t)func << 32 | mapping;
    if (2 * (m->count + 1) > m->mask + 1)
        grow(m);
    uint64_t h = hash(address, line, ids);
    uint64_t *s = probe(m, h, address, line, ids);
    *found = *s != 0;
    if (*found)
        return &m->entry[(uint32_t)*s - 1].value;
    if (m->count == m->cap_entry) {
        m->cap_entry *= 2;
        m->entry = np_xrealloc(m->entry, m->cap_entry * sizeof *m->entry);
    }
    np_graph_memo_entry *e = &m->entry[m->count];
    *e = (np_graph_memo_entry){address, line, ids, 0};
    *s = (h >> 32 << 32) | ++m->count;
    return &e->value;
}

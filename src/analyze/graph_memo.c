/* Open addressing over fixed-size integer keys for np_graph_memo; the table doubles at half
 * full, so a probe sequence stays short. */
#include "analyze/graph_memo.h"

#include <stdlib.h>

#include "core/util.h"

static void alloc_slots(np_graph_memo *m, size_t cap)
{
    m->slot = np_xmalloc(cap * sizeof *m->slot);
    for (size_t i = 0; i < cap; i++)
        m->slot[i].used = 0;
    m->mask = cap - 1;
}

void np_graph_memo_init(np_graph_memo *m, size_t expect)
{
    size_t cap = 64;
    while (cap < 2 * expect)
        cap *= 2;
    m->count = 0;
    alloc_slots(m, cap);
}

void np_graph_memo_free(np_graph_memo *m)
{
    free(m->slot);
    m->slot = NULL;
}

static size_t hash(uint64_t address, int64_t line, uint64_t ids)
{
    uint64_t h = (address * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)line * 0xc2b2ae3d27d4eb4fULL) ^ ids;
    h *= 0xff51afd7ed558ccdULL;
    return (size_t)(h ^ h >> 29);
}

static np_graph_memo_slot *probe(const np_graph_memo *m, uint64_t address, int64_t line,
                                 uint64_t ids)
{
    size_t i = hash(address, line, ids) & m->mask;
    for (;; i = (i + 1) & m->mask) {
        np_graph_memo_slot *s = &m->slot[i];
        if (!s->used || (s->ids == ids && s->address == address && s->line == line))
            return s;
    }
}

static void grow(np_graph_memo *m)
{
    np_graph_memo old = *m;
    alloc_slots(m, (old.mask + 1) * 2);
    for (size_t i = 0; i <= old.mask; i++)
        if (old.slot[i].used)
            *probe(m, old.slot[i].address, old.slot[i].line, old.slot[i].ids) = old.slot[i];
    free(old.slot);
}

uint32_t *np_graph_memo_find(np_graph_memo *m, uint64_t address, int64_t line, uint32_t func,
                             uint32_t mapping, bool *found)
{
    uint64_t ids = (uint64_t)func << 32 | mapping;
    if (2 * (m->count + 1) > m->mask + 1)
        grow(m);
    np_graph_memo_slot *s = probe(m, address, line, ids);
    *found = s->used;
    if (!*found) {
        s->used = 1;
        s->address = address;
        s->line = line;
        s->ids = ids;
        m->count++;
    }
    return &s->value;
}

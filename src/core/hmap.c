/* Open-addressing hash map keyed by byte strings. */
#include "core/hmap.h"

#include <stdlib.h>
#include <string.h>

uint64_t np_hash_bytes(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return h ? h : 1;
}

/* The low half of the hash indexes the table (which never has 2^32 slots) and is kept in the
 * slot to tell most other keys apart without reading them. */
static uint64_t slot_hash(const void *key, size_t len)
{
    return (uint64_t)(uint32_t)np_hash_bytes(key, len) << 32;
}

static void alloc_slots(np_hmap *m, size_t cap)
{
    m->mask = cap - 1;
    m->slot = np_xcalloc(cap, sizeof *m->slot);
}

void np_hmap_init(np_hmap *m, size_t expect)
{
    memset(m, 0, sizeof *m);
    size_t cap = 16;
    while (cap < expect * 2)
        cap *= 2;
    alloc_slots(m, cap);
}

void np_hmap_free(np_hmap *m)
{
    free(m->slot);
    free(m->entry);
    np_buf_free(&m->keys);
    memset(m, 0, sizeof *m);
}

/* The slot of the key, or the empty slot where it would go. */
static size_t find(const np_hmap *m, uint64_t h, const void *key, size_t len)
{
    size_t i = (h >> 32) & m->mask;
    while (m->slot[i]) {
        if ((m->slot[i] & ~0xffffffffULL) == h) {
            const np_hmap_entry *e = &m->entry[(uint32_t)m->slot[i] - 1];
            if (e->key_len == len && memcmp(m->keys.data + e->key_off, key, len) == 0)
                return i;
        }
        i = (i + 1) & m->mask;
    }
    return i;
}

static void grow(np_hmap *m)
{
    uint64_t *old = m->slot;
    size_t old_cap = m->mask + 1;
    alloc_slots(m, 2 * old_cap);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i])
            continue;
        size_t j = (old[i] >> 32) & m->mask;
        while (m->slot[j])
            j = (j + 1) & m->mask;
        m->slot[j] = old[i];
    }
    free(old);
}

uint32_t np_hmap_intern(np_hmap *m, const void *key, size_t len, uint32_t val, bool *found)
{
    uint64_t h = slot_hash(key, len);
    size_t i = find(m, h, key, len);
    if (m->slot[i]) {
        if (found)
            *found = true;
        return m->entry[(uint32_t)m->slot[i] - 1].val;
    }
    if (found)
        *found = false;
    np_grow(&m->entry, &m->cap_entry, m->count + 1, sizeof *m->entry);
    m->entry[m->count] = (np_hmap_entry){val, (uint32_t)m->keys.len, (uint32_t)len};
    m->slot[i] = h | ++m->count;
    np_buf_add(&m->keys, key, len);
    if (m->count * 2 > m->mask)
        grow(m);
    return val;
}

uint32_t np_hmap_get(const np_hmap *m, const void *key, size_t len)
{
    size_t i = find(m, slot_hash(key, len), key, len);
    return m->slot[i] ? m->entry[(uint32_t)m->slot[i] - 1].val : UINT32_MAX;
}

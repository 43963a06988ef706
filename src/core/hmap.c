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

void np_hmap_init(np_hmap *m, size_t expect)
{
    memset(m, 0, sizeof *m);
    size_t cap = 16;
    while (cap < expect * 2)
        cap *= 2;
    m->mask = cap - 1;
    m->hashes = np_xcalloc(cap, sizeof *m->hashes);
    m->vals = np_xmalloc(cap * sizeof *m->vals);
    m->key_off = np_xmalloc(cap * sizeof *m->key_off);
    m->key_len = np_xmalloc(cap * sizeof *m->key_len);
}

void np_hmap_free(np_hmap *m)
{
    free(m->hashes);
    free(m->vals);
    free(m->key_off);
    free(m->key_len);
    np_buf_free(&m->keys);
    memset(m, 0, sizeof *m);
}

static size_t find(const np_hmap *m, uint64_t h, const void *key, size_t len)
{
    size_t i = h & m->mask;
    while (m->hashes[i]) {
        if (m->hashes[i] == h && m->key_len[i] == len &&
            memcmp(m->keys.data + m->key_off[i], key, len) == 0)
            return i;
        i = (i + 1) & m->mask;
    }
    return i;
}

static void grow(np_hmap *m)
{
    np_hmap old = *m;
    size_t cap = (m->mask + 1) * 2;
    m->mask = cap - 1;
    m->hashes = np_xcalloc(cap, sizeof *m->hashes);
    m->vals = np_xmalloc(cap * sizeof *m->vals);
    m->key_off = np_xmalloc(cap * sizeof *m->key_off);
    m->key_len = np_xmalloc(cap * sizeof *m->key_len);
    for (size_t i = 0; i <= old.mask; i++) {
        if (!old.hashes[i])
            continue;
        size_t j = old.hashes[i] & m->mask;
        while (m->hashes[j])
            j = (j + 1) & m->mask;
        m->hashes[j] = old.hashes[i];
        m->vals[j] = old.vals[i];
        m->key_off[j] = old.key_off[i];
        m->key_len[j] = old.key_len[i];
    }
    free(old.hashes);
    free(old.vals);
    free(old.key_off);
    free(old.key_len);
}

uint32_t np_hmap_intern(np_hmap *m, const void *key, size_t len, uint32_t val, bool *found)
{
    uint64_t h = np_hash_bytes(key, len);
    size_t i = find(m, h, key, len);
    if (m->hashes[i]) {
        if (found)
            *found = true;
        return m->vals[i];
    }
    if (found)
        *found = false;
    m->hashes[i] = h;
    m->vals[i] = val;
    m->key_off[i] = (uint32_t)m->keys.len;
    m->key_len[i] = (uint32_t)len;
    np_buf_add(&m->keys, key, len);
    if (++m->count * 2 > m->mask)
        grow(m);
    return val;
}

uint32_t np_hmap_get(const np_hmap *m, const void *key, size_t len)
{
    size_t i = find(m, np_hash_bytes(key, len), key, len);
    return m->hashes[i] ? m->vals[i] : UINT32_MAX;
}

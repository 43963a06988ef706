/* Hash map from byte-string keys to uint32 values; keys are copied into the map's own storage.
 * Used wherever pprof keys records by content (merging, graph building, aggregation). */
#ifndef NP_HMAP_H
#define NP_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* A slot is 8 bytes, the key's hash beside its entry's number, and the entries are kept in
 * order of insertion: a probe reads a small table (and nothing else unless the hashes agree),
 * and a lookup that finds its key reads one entry. */
typedef struct np_hmap_entry {
    uint32_t val;
    uint32_t key_off; /* offset of the key in keys */
    uint32_t key_len;
} np_hmap_entry;

typedef struct np_hmap {
    uint64_t *slot;   /* low half of the key's hash << 32 | entry number + 1; 0 = empty */
    np_hmap_entry *entry;
    size_t mask, count, cap_entry;
    np_buf keys;
} np_hmap;

void np_hmap_init(np_hmap *m, size_t expect);
void np_hmap_free(np_hmap *m);
/* Returns the value stored for key, or stores `val` and returns it when absent;
 * *found tells which happened. */
uint32_t np_hmap_intern(np_hmap *m, const void *key, size_t len, uint32_t val, bool *found);
/* Returns the value or UINT32_MAX. */
uint32_t np_hmap_get(const np_hmap *m, const void *key, size_t len);
uint64_t np_hash_bytes(const void *p, size_t n);

#endif

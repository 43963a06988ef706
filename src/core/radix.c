/* LSD radix sort in 11-bit digits (a counting table that stays in cache); a digit that is the
 * same in every key (the high bits of addresses inside one binary) costs a counting pass and no
 * move. */
#include "core/radix.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum { BITS = 11, BUCKETS = 1 << BITS };

/* Counts digit d of every key; false when all keys share it (nothing to move). */
static bool count_digit(const np_keyed *v, size_t n, unsigned shift, size_t *count)
{
    memset(count, 0, BUCKETS * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[(v[i].key >> shift) & (BUCKETS - 1)]++;
    return count[(v[0].key >> shift) & (BUCKETS - 1)] != n;
}

void np_radix_sort(np_keyed *v, size_t n)
{
    if (n < 2)
        return;
    size_t *count = np_xmalloc(BUCKETS * sizeof *count);
    np_keyed *tmp = np_xmalloc(n * sizeof *tmp), *src = v, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += BITS) {
        if (!count_digit(src, n, shift, count))
            continue;
        size_t pos = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            size_t c = count[b];
            count[b] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].key >> shift) & (BUCKETS - 1)]++] = src[i];
        np_keyed *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    free(tmp);
    free(count);
}

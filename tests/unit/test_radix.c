/* Unit tests for the radix sort of keyed pairs (core/radix.c): against insertion sort on
 * pseudo-random keys of every width (so digits of every position differ or not), equal keys
 * keeping their order. */
#include <stdint.h>
#include <stdlib.h>

#include "core/radix.h"
#include "unit.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void insertion_sort(np_keyed *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        np_keyed x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].key > x.key; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

TEST(radix_sort_orders_keys_stably)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    enum { N = 3000 };
    np_keyed *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    int bad = 0;
    for (unsigned width = 0; width <= 64; width += 4) {
        for (size_t i = 0; i < N; i++) {
            uint64_t k = width == 64 ? next(&seed) : next(&seed) & (((uint64_t)1 << width) - 1);
            a[i] = b[i] = (np_keyed){k + (width == 24 ? 0x400000 : 0), (uint32_t)i};
        }
        np_radix_sort(a, N);
        insertion_sort(b, N);
        for (size_t i = 0; i < N; i++)
            bad += a[i].key != b[i].key || a[i].index != b[i].index;
    }
    CHECK(bad == 0);
    np_radix_sort(a, 0);
    np_radix_sort(a, 1);
    free(a);
    free(b);
}

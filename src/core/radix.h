/* Stable sorting of (64-bit key, 32-bit index) pairs by key, by radix: linear in the count,
 * for the large arrays (a profile's locations by address) a comparison sort would be slow on. */
#ifndef NP_RADIX_H
#define NP_RADIX_H

#include <stddef.h>
#include <stdint.h>

typedef struct np_keyed {
    uint64_t key;
    uint32_t index;
} np_keyed;

/* Sorts v[0..n) by key, keeping the order of equal keys. */
void np_radix_sort(np_keyed *v, size_t n);

#endif

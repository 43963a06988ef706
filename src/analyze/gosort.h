/* The unstable sort of Go's sort.Sort and sort.Slice (Go 1.19, pattern-defeating quicksort).
 *
 * pprof orders nodes, edges and tags with comparators that can tie (two call-tree nodes of
 * one function, for instance). Where they tie, the order pprof prints is whatever Go's sort
 * left, so reports only match when the same sequence of comparisons and swaps is made:
 * qsort(3) would break such ties its own way. */
#ifndef NP_GOSORT_H
#define NP_GOSORT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict weak order: true when a sorts before b. */
typedef bool (*np_less_fn)(const void *a, const void *b, void *ctx);

/* Sorts n elements of size bytes at base in place; ctx is passed to less. */
void np_gosort(void *base, size_t n, size_t size, np_less_fn less, void *ctx);

#endif

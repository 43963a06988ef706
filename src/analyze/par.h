/* The pipeline's use of a second CPU: a range of independent items handled by the caller and
 * one more thread at once, joined before return. The caller owns the thread from start to
 * join; nothing outlives the call. */
#ifndef NP_PAR_H
#define NP_PAR_H

#include <stddef.h>

/* Handles items [begin, end): writes only what belongs to them, reads only what no other
 * item writes. */
typedef void np_par_fn(void *ctx, size_t begin, size_t end);

/* Runs fn over [0, n) in runs of `chunk` items (the last shorter), which the caller and a
 * thread take in turn as each finishes its last, so that neither waits long for the other
 * when items differ in cost. With n under min, on one CPU, or when no thread can be started,
 * the caller takes every run. The result is the same either way, as fn's items are
 * independent. */
void np_par_chunks(np_par_fn *fn, void *ctx, size_t n, size_t chunk, size_t min);

#endif

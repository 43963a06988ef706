/* The analyzer's one use of a second CPU: a range of independent items split in two halves,
 * the second run on a thread of its own while the caller runs the first, joined before return.
 * The caller owns the thread from start to join; nothing outlives the call. */
#ifndef NP_PAR_H
#define NP_PAR_H

#include <stddef.h>

/* Handles items [begin, end): writes only what belongs to them, reads only what no other
 * item writes. */
typedef void np_par_fn(void *ctx, size_t begin, size_t end);

/* Runs fn over [0, n): in two halves at once when n is at least min and the process may run
 * on more than one CPU, else (or when no thread can be started) in one call on the caller.
 * The result is the same either way, as fn's items are independent. */
void np_par_halves(np_par_fn *fn, void *ctx, size_t n, size_t min);

#endif

/* Call stack capture for samples: return addresses, innermost first, starting at the caller
 * of the allocation function so the collector's own frames never appear. */
#ifndef NP_STACK_H
#define NP_STACK_H

#include <stdint.h>

enum { NP_MAX_FRAMES = 256 };

/* Fills pcs with up to max return addresses, the first being `caller` (the return address
 * of the interposed function, from __builtin_return_address(0)). Returns the count. */
int np_stack_capture(uintptr_t caller, uintptr_t *pcs, int max);

#endif

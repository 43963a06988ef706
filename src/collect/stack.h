/* Call stack capture for samples: return addresses, innermost first, starting at the caller
 * of the allocation function so the collector's own frames never appear. */
#ifndef NP_STACK_H
#define NP_STACK_H

#include <stdint.h>

enum { NP_MAX_FRAMES = 256 };

/* The frame of the code that called the allocation function, as it is once that returns:
 * pc is the return address, sp the stack pointer after the return, bp the caller's rbp. The
 * interposed functions read it from their own frame record. */
typedef struct np_origin {
    uintptr_t pc, sp, bp;
} np_origin;

/* Fills pcs with up to max return addresses, o->pc first. Returns the count (at least 1). */
int np_stack_capture(const np_origin *o, uintptr_t *pcs, int max);

#endif

/* What the interposed entry points share (alloc.c: the malloc family, cxxnew.c: C++'s
 * operator new): the export and origin conventions, and the allocation paths the C++ forms
 * reuse. */
#ifndef NP_ALLOC_H
#define NP_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "collect/export.h"

/* Kept out of line, so the fast paths that call them need no stack frame. */
#define COLD __attribute__((noinline, cold))
/* Where the allocating code's frame will be once this function returns, read from this
 * function's own frame record (__builtin_frame_address gives the slow paths one): the return
 * address, the stack pointer just above it, and the caller's rbp saved below it. Three words,
 * passed in registers to the cold functions, which rebuild the np_origin. */
#define FRAME ((uintptr_t *)__builtin_frame_address(0))
#define ORIGIN FRAME[1], (uintptr_t)(FRAME + 2), FRAME[0]
#define ORIGIN_PARAMS uintptr_t pc, uintptr_t sp, uintptr_t bp

/* malloc(n) for a request whose charge ran out the sampler's countdown: decided, made, and
 * recorded if sampled. */
void *np_alloc_sampled(size_t n, ORIGIN_PARAMS);
/* malloc(n) on behalf of the code at the origin: charged to the sampler, recorded if sampled. */
void *np_alloc_malloc(size_t n, ORIGIN_PARAMS);
/* aligned_alloc(align, n) likewise. */
void *np_alloc_aligned(size_t align, size_t n, ORIGIN_PARAMS);

/* Called once at start-up: when the program's malloc and free are not libnprof's (the
 * executable defines them, or a library preloaded before libnprof does), returns where they
 * come from, and libnprof forwards what still reaches it to that allocator and samples nothing
 * from then on; otherwise NULL. */
const char *np_alloc_check_order(void);

#endif

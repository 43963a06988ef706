/* A caching DWARF call-frame unwinder for sampled stacks (x86-64). For each return address it
 * derives once how to reach the caller's frame, from the .eh_frame entry libgcc finds for it,
 * and keeps that rule in a lock-free table; a walk then costs a table probe and two loads per
 * frame. What the rules cannot express (signal frames, CFA expressions, a CFA kept in another
 * register) makes the walk give up, and the caller falls back to libgcc's unwinder. */
#ifndef NP_CFI_H
#define NP_CFI_H

#include <stdint.h>

/* The state of the frame to start from: its pc (a return address), its stack pointer and its
 * rbp. lo/hi bound the stack the walk may read. Fills pcs with up to max return addresses,
 * pc first. Returns their number, or -1 when the walk met something it cannot follow. */
int np_cfi_unwind(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t lo, uintptr_t hi,
                  uintptr_t *pcs, int max);

/* Forgets every cached rule (code was unmapped: its addresses may come back with other code). */
void np_cfi_flush(void);

#endif

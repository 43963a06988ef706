/* A caching DWARF call-frame unwinder for sampled stacks (x86-64). For each return address it
 * derives once how to reach the caller's frame, from the .eh_frame entry libgcc finds for it,
 * and keeps that rule in a lock-free table; a walk then costs a table probe and two loads per
 * frame. What the rules cannot express (signal frames, CFA expressions, a CFA kept in another
 * register) makes the walk give up, and the caller falls back to libgcc's unwinder. */
#ifndef NP_CFI_H
#define NP_CFI_H

#include <stdbool.h>
#include <stdint.h>

/* The state of the frame to start from: its pc (a return address), its stack pointer and its
 * rbp. lo/hi bound the stack the walk may read. Fills pcs with up to max return addresses,
 * pc first. Returns their number, or -1 when the walk met something it cannot follow. */
int np_cfi_unwind(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t lo, uintptr_t hi,
                  uintptr_t *pcs, int max);

/* A rule packed in 64 bits: how to reach the caller's frame from one stretch of code. 0 says
 * nothing is known there. */
typedef uint64_t np_cfi_rule;

/* Calls emit for each row of the FDE at fde, whose code starts at func, in address order: a
 * row holds from its start to the next one's, the last until *end (set on success). False
 * when the FDE cannot be read (no row was given). Never from a signal handler: it is for
 * tables prepared ahead (ehtab.h). */
typedef void (*np_cfi_emit)(void *ctx, uintptr_t start, np_cfi_rule r);
bool np_cfi_fde_rows(const uint8_t *fde, uintptr_t func, uintptr_t *end, np_cfi_emit emit, void *ctx);

/* Where rule r finds the caller of the frame with stack pointer sp and rbp bp: its CFA (the
 * caller's sp), the slot of the return address, the slot of the saved rbp (0: rbp unchanged).
 * 1 when found, 0 at the outermost frame, -1 when the rule cannot be followed. Reads nothing:
 * the caller checks the slots before reading them (safe in a signal handler). */
typedef struct np_cfi_frame {
    uintptr_t cfa, ra_at, bp_at;
} np_cfi_frame;
int np_cfi_locate(np_cfi_rule r, uintptr_t sp, uintptr_t bp, np_cfi_frame *f);

/* Forgets every cached rule (code was unmapped: its addresses may come back with other code). */
void np_cfi_flush(void);

/* For walks over another thread's stack, which read its memory their own way: how to reach the
 * caller of the frame executing at pc (a return address minus one, or an interrupted
 * instruction). 1 with the rule filled in; 0 at the outermost frame; -1 when the rule is
 * beyond this unwinder. CFA = (rbp if cfa_rbp, else rsp) + cfa_off; the return address is at
 * CFA + ra_off; rbp was saved at CFA + bp_off (0: not saved). */
typedef struct np_cfi_step {
    int cfa_rbp;
    int32_t cfa_off, ra_off, bp_off;
} np_cfi_step;
int np_cfi_step_at(uintptr_t pc, np_cfi_step *out);

#endif

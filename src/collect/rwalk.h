/* Walks of another thread's stack, from the dumping thread: from that thread's registers, over
 * its memory read through process_vm_readv (a thread that exits meanwhile makes a read fail,
 * never a fault), with the rules of the CFI unwinder. Crosses signal frames. Allocates nothing
 * and takes no lock of the program's, so it can run while that thread is held in a handler. */
#ifndef NP_RWALK_H
#define NP_RWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/modules.h"

/* Where a thread stands: pc is the instruction it will run next (its exact leaf), sp and bp
 * its registers; bp_known is false when only pc and sp are known (a thread read from
 * /proc/self/task/TID/syscall), and then it is searched for where a frame needs it. */
typedef struct np_rregs {
    uintptr_t pc, sp, bp;
    bool bp_known;
} np_rregs;

/* Fills pcs with up to max addresses, pcs[0] = r.pc exactly and return addresses after it
 * (or exact pcs again after a signal frame, which are stored +1 so all read as return
 * addresses but the leaf). hi bounds the stack; segs (sorted, from np_modules_take) are the
 * code a return address may point into. Returns the count (at least 1). */
int np_rwalk(np_rregs r, uintptr_t hi, const np_module_seg *segs, size_t n_segs, uintptr_t *pcs, int max);

#endif

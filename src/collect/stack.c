/* Three ways to walk the stack: DWARF call frame information through the collector's caching
 * unwinder (cfi.c; works for Debian's binaries, which have no frame pointers), the same through
 * libgcc's unwinder (slower; the fallback for what cfi.c does not model), and a frame-pointer
 * walk (needs -fno-omit-frame-pointer everywhere). NPROF_STACK chooses; docs/PERFORMANCE.md
 * has the figures. */
#include "collect/stack.h"

#include <string.h>
#include <unwind.h>

#include "collect/cconfig.h"
#include "collect/cfi.h"
#include "collect/tbounds.h"

typedef struct walk {
    uintptr_t caller;
    uintptr_t *pcs;
    int n, max;
    int seen; /* collector frames to skip until the caller shows up */
    bool found;
} walk;

static void keep(walk *w, uintptr_t pc)
{
    if (!w->found) {
        if (pc != w->caller) {
            w->seen++;
            return;
        }
        w->found = true;
    }
    if (w->n < w->max)
        w->pcs[w->n++] = pc;
}

static _Unwind_Reason_Code unwind_cb(struct _Unwind_Context *ctx, void *arg)
{
    walk *w = arg;
    uintptr_t pc = _Unwind_GetIP(ctx);
    if (!pc)
        return _URC_END_OF_STACK;
    keep(w, pc);
    /* Past this many collector frames the caller was not found: give up rather than walk on. */
    if (w->n >= w->max || (!w->found && w->seen > 16))
        return _URC_END_OF_STACK;
    return _URC_NO_REASON;
}

/* Frame-pointer walk from the caller's rbp: each frame record holds the next frame pointer and
 * the return address. Every step is checked to stay inside this thread's stack and move up. */
static int fp_walk(const np_origin *o, uintptr_t stack_hi, uintptr_t *pcs, int max)
{
    int n = 0;
    pcs[n++] = o->pc;
    uintptr_t fp = o->bp;
    while (fp && n < max) {
        if (fp < o->sp || fp + 16 > stack_hi || (fp & 7))
            break;
        uintptr_t next = ((uintptr_t *)fp)[0], ret = ((uintptr_t *)fp)[1];
        if (!ret)
            break;
        pcs[n++] = ret;
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

/* libgcc's unwinder starts in this function: the frames up to the caller are skipped. */
static int libgcc_walk(const np_origin *o, uintptr_t *pcs, int max)
{
    walk w = {o->pc, pcs, 0, max, 0, false};
    _Unwind_Backtrace(unwind_cb, &w);
    if (!w.found) {
        /* The unwinder lost the chain between us and the caller: keep at least the caller. */
        pcs[0] = o->pc;
        return 1;
    }
    return w.n;
}

int np_stack_capture(const np_origin *o, uintptr_t *pcs, int max)
{
    if (max < 1)
        return 0;
    uintptr_t stack_lo, stack_hi;
    np_tbounds_get(&stack_lo, &stack_hi);
    switch (np_cfg.stack) {
    case NP_STACK_FP:
        return fp_walk(o, stack_hi, pcs, max);
    case NP_STACK_LIBGCC:
        return libgcc_walk(o, pcs, max);
    default: {
        int n = stack_hi ? np_cfi_unwind(o->pc, o->sp, o->bp, stack_lo, stack_hi, pcs, max) : -1;
        return n > 0 ? n : libgcc_walk(o, pcs, max);
    }
    }
}

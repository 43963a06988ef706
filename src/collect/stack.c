/* Two ways to walk the stack: the DWARF CFI unwinder of libgcc (works for Debian's binaries,
 * which are built without frame pointers) and a frame-pointer walk (faster, needs
 * -fno-omit-frame-pointer everywhere). NPROF_STACK chooses; docs/PERFORMANCE.md has the figures. */
#include "stack.h"

#include <pthread.h>
#include <string.h>
#include <unwind.h>

#include "cconfig.h"

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

/* Bounds of this thread's stack, found once per thread (pthread_getattr_np may allocate, which
 * is fine here: the caller holds the collector's recursion guard). */
static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));

static void stack_bounds(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        stack_lo = (uintptr_t)addr;
        stack_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
}

/* Frame-pointer walk: each frame holds the caller's frame pointer and the return address.
 * Every step is checked to stay inside this thread's stack and move upwards. */
static void fp_walk(walk *w)
{
    if (!stack_hi)
        stack_bounds();
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    while (fp && w->n < w->max) {
        if (fp < stack_lo || fp + 16 > stack_hi || (fp & 7))
            break;
        uintptr_t next = ((uintptr_t *)fp)[0], ret = ((uintptr_t *)fp)[1];
        if (!ret)
            break;
        keep(w, ret);
        if (!w->found && w->seen > 16)
            break;
        if (next <= fp)
            break;
        fp = next;
    }
}

int np_stack_capture(uintptr_t caller, uintptr_t *pcs, int max)
{
    walk w = {caller, pcs, 0, max, 0, false};
    if (np_cfg.stack == NP_STACK_FP)
        fp_walk(&w);
    else
        _Unwind_Backtrace(unwind_cb, &w);
    if (!w.found && max > 0) {
        /* The unwinder lost the chain between us and the caller: keep at least the caller. */
        pcs[0] = caller;
        return 1;
    }
    return w.n;
}

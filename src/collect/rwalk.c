/* The walk over another thread's stack: each read checked, each step required to move up the
 * stack; a lost rbp is found again by trying the slots above sp and keeping the first from
 * which the rest of the walk holds together. */
#include "collect/rwalk.h"

#include <string.h>
#include <sys/ucontext.h>
#include <sys/uio.h>
#include <unistd.h>

#include "collect/cfi.h"

enum { PAGE = 4096, BP_SCAN = 64 * 1024, BP_TRIES = 16, OTHER_STACK = 8 << 20 };

typedef struct walker {
    uintptr_t hi;
    const np_module_seg *segs;
    size_t n_segs;
    pid_t pid;
    uintptr_t base; /* of the page in cache; 0: none */
    unsigned char page[PAGE];
} walker;

static bool read_mem(walker *w, uintptr_t addr, void *out, size_t n)
{
    struct iovec local = {out, n}, remote = {(void *)addr, n};
    return process_vm_readv(w->pid, &local, 1, &remote, 1, 0) == (ssize_t)n;
}

/* A word of the stack, through a one-page cache. */
static bool peek(walker *w, uintptr_t addr, uintptr_t *out)
{
    if ((addr & 7) || addr >= w->hi)
        return false;
    uintptr_t base = addr & ~(uintptr_t)(PAGE - 1);
    if (w->base != base) {
        w->base = 0;
        if (!read_mem(w, base, w->page, PAGE))
            return false;
        w->base = base;
    }
    memcpy(out, w->page + (addr - base), sizeof *out);
    return true;
}

static bool is_code(const walker *w, uintptr_t pc)
{
    return pc && np_modules_find(w->segs, w->n_segs, pc) != NULL;
}

/* The kernel's return path from a signal handler (glibc's __restore_rt): mov $15,%rax; syscall. */
static bool is_sigreturn(walker *w, uintptr_t pc)
{
    static const unsigned char code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    unsigned char got[9];
    return is_code(w, pc) && read_mem(w, pc, got, sizeof got) && memcmp(got, code, sizeof code) == 0;
}

/* The registers saved by the kernel in the signal frame at sp (the handler returned to the
 * trampoline, which popped the frame's return address: sp is at the ucontext). A handler on an
 * alternate signal stack came from the thread's own stack, which may lie anywhere: the bound
 * moves there (reads stay safe: they fail, never fault). */
static bool signal_frame(walker *w, np_rregs *r)
{
    uintptr_t g = r->sp + offsetof(ucontext_t, uc_mcontext.gregs);
    uintptr_t pc, sp, bp;
    if (!peek(w, g + REG_RIP * 8, &pc) || !peek(w, g + REG_RSP * 8, &sp) || !peek(w, g + REG_RBP * 8, &bp))
        return false;
    if (sp <= r->sp || sp >= w->hi)
        w->hi = sp + OTHER_STACK;
    *r = (np_rregs){pc, sp, bp, true};
    return true;
}

typedef enum { STEP_OK, STEP_END, STEP_FAIL } step_result;

static step_result walk_from(walker *w, np_rregs r, bool exact, uintptr_t *pcs, int *n, int max, bool search_bp);

/* One step with a known rule and base: the caller's registers into *r. */
static bool apply(walker *w, const np_cfi_step *rule, np_rregs *r)
{
    uintptr_t cfa = (rule->cfa_rbp ? r->bp : r->sp) + (intptr_t)rule->cfa_off, ra, bp = r->bp;
    if (cfa <= r->sp || cfa > w->hi || !peek(w, cfa + (intptr_t)rule->ra_off, &ra))
        return false;
    if (rule->bp_off && !peek(w, cfa + (intptr_t)rule->bp_off, &bp))
        return false;
    *r = (np_rregs){ra, cfa, bp, r->bp_known || rule->bp_off != 0};
    return true;
}

/* rbp for a frame whose CFA is rbp-based when rbp was never seen: the first candidate above sp
 * that gives a return address into code and a walk that reaches the outermost frame. */
static bool find_bp(walker *w, const np_cfi_step *rule, np_rregs *r)
{
    int tries = 0;
    uintptr_t scratch[64];
    for (uintptr_t s = r->sp; s < r->sp + BP_SCAN && s < w->hi && tries < BP_TRIES; s += 8) {
        np_rregs c = {r->pc, r->sp, s, true};
        if (!apply(w, rule, &c) || !is_code(w, c.pc))
            continue;
        tries++;
        int n = 0;
        if (walk_from(w, c, false, scratch, &n, 64, false) != STEP_FAIL) {
            r->bp = s;
            r->bp_known = true;
            return true;
        }
    }
    return false;
}

/* Appends the frames from r on; STEP_END when the walk reached the outermost frame (or max),
 * STEP_FAIL when it broke off. */
static step_result walk_from(walker *w, np_rregs r, bool exact, uintptr_t *pcs, int *n, int max, bool search_bp)
{
    while (*n < max) {
        pcs[*n] = exact && *n > 0 ? r.pc + 1 : r.pc;
        (*n)++;
        np_cfi_step rule;
        int got = np_cfi_step_at(exact ? r.pc : r.pc - 1, &rule);
        if (got <= 0 && !exact && is_sigreturn(w, r.pc)) {
            pcs[*n - 1] = r.pc + 1; /* returned to at its first byte: reads as __restore_rt */
            if (!signal_frame(w, &r))
                return STEP_FAIL;
            exact = true;
            continue;
        }
        if (got <= 0)
            return got == 0 ? STEP_END : STEP_FAIL;
        if (rule.cfa_rbp && !r.bp_known && !(search_bp && find_bp(w, &rule, &r)))
            return STEP_FAIL;
        if (!apply(w, &rule, &r))
            return STEP_FAIL;
        if (r.pc == 0)
            return STEP_END;
        if (!is_code(w, r.pc))
            return STEP_FAIL;
        exact = false;
    }
    return STEP_END;
}

int np_rwalk(np_rregs r, uintptr_t hi, const np_module_seg *segs, size_t n_segs, uintptr_t *pcs, int max)
{
    if (max < 1)
        return 0;
    walker *w = &(walker){hi, segs, n_segs, getpid(), 0, {0}};
    int n = 0;
    walk_from(w, r, true, pcs, &n, max, true);
    return n;
}

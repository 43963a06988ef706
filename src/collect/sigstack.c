/* The signal-safe walk: CFI rules from ehtab, the kernel's signal frames (a return address at
 * the sigreturn trampoline) crossed through the saved ucontext, and a leaf that has not set
 * up its frame (a PLT stub, a function's first instruction) read as "return address at sp". */
#include "collect/sigstack.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "collect/ehtab.h"

enum { PAGE = 4096, PROBE_LIMIT = 8 << 20 };

/* What may be read: from the stack pointer up to the top of the stack, known or probed. */
typedef struct span {
    uintptr_t lo, hi;  /* readable so far */
    uintptr_t limit;   /* no further than this */
    bool probe;
    uintptr_t stack_lo, stack_hi; /* the thread's own stack, when known */
} span;

static bool readable(span *s, uintptr_t addr)
{
    if ((addr & 7) || addr < s->lo)
        return false;
    while (addr + 8 > s->hi) {
        unsigned char v;
        if (!s->probe || s->hi >= s->limit || mincore((void *)s->hi, PAGE, &v) != 0)
            return false;
        s->hi += PAGE;
    }
    return true;
}

static uintptr_t load(uintptr_t addr)
{
    uintptr_t v;
    memcpy(&v, (const void *)addr, sizeof v);
    return v;
}

/* x86-64 Linux's sigreturn trampoline: mov $15,%rax; syscall. */
static bool at_sigreturn(uintptr_t pc)
{
    static const unsigned char code[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    return np_ehtab_known(pc) && np_ehtab_known(pc + sizeof code - 1) &&
           memcmp((const void *)pc, code, sizeof code) == 0;
}

typedef struct regs {
    uintptr_t pc, sp, bp;
    bool exact; /* pc is an interrupted instruction, not a return address */
} regs;

/* The frame below a signal frame: the registers the kernel saved in the ucontext at sp. A
 * handler on an alternate signal stack (sigaltstack) was entered from the thread's own stack,
 * which may lie anywhere: the walk goes on there when it is the stack the thread was given. */
static bool cross_signal(span *s, regs *r)
{
    uintptr_t uc = r->sp, g = uc + offsetof(ucontext_t, uc_mcontext.gregs);
    uintptr_t at_pc = g + 8 * REG_RIP, at_sp = g + 8 * REG_RSP, at_bp = g + 8 * REG_RBP;
    if (!readable(s, at_pc) || !readable(s, at_sp) || !readable(s, at_bp))
        return false;
    uintptr_t sp = load(at_sp);
    bool own = sp >= s->stack_lo && sp < s->stack_hi;
    if (own && (sp < s->lo || sp >= s->hi))
        *s = (span){.lo = sp, .hi = s->stack_hi, .limit = s->stack_hi, .probe = false,
                    .stack_lo = s->stack_lo, .stack_hi = s->stack_hi};
    else if (sp <= r->sp) /* elsewhere the interrupted frame must lie above, on this stack */
        return false;
    r->pc = load(at_pc);
    r->sp = sp;
    r->bp = load(at_bp);
    r->exact = true;
    return true;
}

/* One step to the caller; false at the end of what can be followed. */
static bool step(span *s, regs *r, bool leaf)
{
    np_cfi_frame f;
    int k = np_cfi_locate(np_ehtab_rule(r->exact ? r->pc : r->pc - 1), r->sp, r->bp, &f);
    if (k == 0)
        return false;
    if (k < 0) {
        if (!r->exact && at_sigreturn(r->pc))
            return cross_signal(s, r);
        if (!leaf)
            return false;
        /* A leaf with no usable rule has not pushed anything yet (PLT stubs). */
        f = (np_cfi_frame){.cfa = r->sp + 8, .ra_at = r->sp, .bp_at = 0};
    }
    if (!readable(s, f.ra_at) || (f.bp_at && !readable(s, f.bp_at)))
        return false;
    uintptr_t pc = load(f.ra_at);
    if (!np_ehtab_known(pc))
        return false;
    if (f.bp_at)
        r->bp = load(f.bp_at);
    r->pc = pc;
    r->sp = f.cfa;
    r->exact = false;
    return true;
}

int np_stack_from_regs(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t lo, uintptr_t hi,
                       uintptr_t *pcs, int max)
{
    if (max < 1)
        return 0;
    pcs[0] = pc;
    int n = 1;
    bool inside = hi && sp >= lo && sp < hi;
    span s = {.lo = sp, .hi = inside ? hi : sp & ~(uintptr_t)(PAGE - 1), .limit = sp + PROBE_LIMIT,
              .probe = !inside, .stack_lo = lo, .stack_hi = hi};
    regs r = {pc, sp, bp, true};
    np_ehtab_enter();
    while (n < max && step(&s, &r, n == 1)) {
        s.lo = r.sp; /* a caller's frame never lies below its callee's */
        /* The trampoline is "returned" to at its first byte: +1 so it reads as __restore_rt. */
        pcs[n++] = r.exact || at_sigreturn(r.pc) ? r.pc + 1 : r.pc;
    }
    np_ehtab_leave();
    return n;
}

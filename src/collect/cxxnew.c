/* C++'s replaceable operator new and delete, every form, taken from libstdc++ so that a C++
 * allocation's recorded leaf is the code that called `new` (libstdc++'s forms would otherwise
 * be the leaf, as callers of malloc) and skips libstdc++'s hop, and from an allocator loaded
 * after libnprof (jemalloc and tcmalloc define them all, and free through their own internals,
 * which must never see a block libnprof laid out with a header). Failures go to libstdc++'s
 * own form, which runs the new-handler loop and throws std::bad_alloc or returns NULL. A
 * program that defines operator new or delete itself keeps its own (the executable comes
 * first in symbol lookup), and the forms the standard defines by calling it still do. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "collect/alloc.h"
#include "core/demangle.h"
#include "collect/sampler.h"

/* libstdc++'s definition of name (not that of an allocator loaded after libnprof: jemalloc's
 * forms neither call a program's own operator new nor free through libnprof), else the next
 * one, or NULL. */
static void *libstdcxx(const char *name)
{
    void *f = np_libstdcxx_sym(name, false);
    return f ? f : dlsym(RTLD_NEXT, name);
}

/* operator new(size_t)'s fast path, in assembly because it must see the result (never NULL)
 * and C would keep a frame and a saved register for that: charge the countdown (np_ts.countdown,
 * at offset 0), call the next malloc with n kept on the stack, return a block or go to the
 * failure path with n. A run-out countdown goes to the sampled path with the origin the other
 * entry points take from their frame record: return address, the stack pointer after the
 * return, the caller's rbp. np_cxx_new is the same entry under a name no one can preempt. */
_Static_assert(offsetof(np_tstate, countdown) == 0, "operator new charges offset 0 of np_ts");
__asm__(".text\n"
        ".globl _Znwm\n"
        ".type _Znwm, @function\n"
        ".globl np_cxx_new\n"
        ".hidden np_cxx_new\n"
        "_Znwm:\n"
        "np_cxx_new:\n"
        ".cfi_startproc\n"
        "    movq np_ts@gottpoff(%rip), %rdx\n"
        "    subq %rdi, %fs:(%rdx)\n"
        "    js 2f\n"
        "    pushq %rdi\n"
        ".cfi_adjust_cfa_offset 8\n"
        "    call *np_alloc_next(%rip)\n"
        "    popq %rdi\n"
        ".cfi_adjust_cfa_offset -8\n"
        "    testq %rax, %rax\n"
        "    je 1f\n"
        "    ret\n"
        "1:  jmp np_cxx_new_failed\n"
        "2:  movq (%rsp), %rsi\n"
        "    leaq 8(%rsp), %rdx\n"
        "    movq %rbp, %rcx\n"
        "    jmp np_cxx_new_sampled\n"
        ".cfi_endproc\n"
        ".size _Znwm, .-_Znwm\n");
extern char np_cxx_new[];

/* The forms the standard defines as calls of another form: a jump through the PLT, so that a
 * program's own operator is the one reached, with the arguments the callee takes (the aligned
 * sized deletes drop the size: the alignment moves from the third register to the second). */
#define FORWARD(from, to, fixup)                                                                   \
    ".globl " from "\n.type " from ", @function\n" from ":\n" fixup "    jmp " to "@PLT\n"         \
    ".size " from ", .-" from "\n"
#define ALIGN_FROM_RDX "    movq %rdx, %rsi\n"
__asm__(".text\n"
        ".globl np_cxx_new_array\n.hidden np_cxx_new_array\nnp_cxx_new_array:\n"
        FORWARD("_Znam", "_Znwm", "")
        ".globl np_cxx_new_aligned_array\n.hidden np_cxx_new_aligned_array\nnp_cxx_new_aligned_array:\n"
        FORWARD("_ZnamSt11align_val_t", "_ZnwmSt11align_val_t", "")
        FORWARD("_ZdaPv", "_ZdlPv", "")
        FORWARD("_ZdlPvm", "_ZdlPv", "")
        FORWARD("_ZdaPvm", "_ZdaPv", "")
        FORWARD("_ZdlPvRKSt9nothrow_t", "_ZdlPv", "")
        FORWARD("_ZdaPvRKSt9nothrow_t", "_ZdaPv", "")
        FORWARD("_ZdaPvSt11align_val_t", "_ZdlPvSt11align_val_t", "")
        FORWARD("_ZdlPvmSt11align_val_t", "_ZdlPvSt11align_val_t", ALIGN_FROM_RDX)
        FORWARD("_ZdaPvmSt11align_val_t", "_ZdaPvSt11align_val_t", ALIGN_FROM_RDX)
        FORWARD("_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdlPvSt11align_val_t", "")
        FORWARD("_ZdaPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_t", ""));
extern char np_cxx_new_array[], np_cxx_new_aligned_array[];

static COLD __attribute__((used)) void *cxx_new_failed(size_t n) __asm__("np_cxx_new_failed");
static COLD __attribute__((used)) void *cxx_new_failed(size_t n)
{
    void *(*std_new)(size_t) = (void *(*)(size_t))libstdcxx("_Znwm");
    if (!std_new)
        abort(); /* operator new without libstdc++: nothing can throw bad_alloc */
    return std_new(n);
}

static COLD __attribute__((used)) void *cxx_new_sampled(size_t n, ORIGIN_PARAMS) __asm__("np_cxx_new_sampled");
static COLD __attribute__((used)) void *cxx_new_sampled(size_t n, ORIGIN_PARAMS)
{
    void *p = np_alloc_sampled(n, pc, sp, bp);
    return p ? p : cxx_new_failed(n);
}

/* What the other forms need to know, looked up once: libstdc++'s forms (for failures, and for
 * forwarding), and whether the operators the standard's nothrow forms call are still the
 * default ones. */
typedef void *(*nothrow_fn)(size_t, const void *);
typedef void *(*aligned_fn)(size_t, size_t);
typedef void *(*aligned_nothrow_fn)(size_t, size_t, const void *);

static struct {
    nothrow_fn new_nothrow, new_array_nothrow;
    aligned_fn new_aligned;
    aligned_nothrow_fn new_aligned_nothrow, new_aligned_array_nothrow;
    bool new_default;          /* operator new(size_t) and new[] are ours, not a program's */
    bool aligned_default;      /* likewise for the aligned forms */
} std_forms;
static pthread_once_t std_forms_once = PTHREAD_ONCE_INIT;

extern char np_cxx_new_aligned[];

/* Whether name resolves to ours (if we define it) or to libstdc++'s, or to nothing in the
 * global scope (libstdc++ came with a plugin): not to a program's own. */
static bool is_default(const char *name, const void *ours)
{
    void *def = dlsym(RTLD_DEFAULT, name);
    return !def || def == ours || def == libstdcxx(name);
}

static void find_std_forms(void)
{
    std_forms.new_nothrow = (nothrow_fn)libstdcxx("_ZnwmRKSt9nothrow_t");
    std_forms.new_array_nothrow = (nothrow_fn)libstdcxx("_ZnamRKSt9nothrow_t");
    std_forms.new_aligned = (aligned_fn)libstdcxx("_ZnwmSt11align_val_t");
    std_forms.new_aligned_nothrow = (aligned_nothrow_fn)libstdcxx("_ZnwmSt11align_val_tRKSt9nothrow_t");
    std_forms.new_aligned_array_nothrow = (aligned_nothrow_fn)libstdcxx("_ZnamSt11align_val_tRKSt9nothrow_t");
    /* In a program linked with libnprof.a, dlsym(RTLD_DEFAULT) finds these in the executable,
     * which then is ours. */
    std_forms.new_default = is_default("_Znwm", np_cxx_new) && is_default("_Znam", np_cxx_new_array);
    std_forms.aligned_default = is_default("_ZnwmSt11align_val_t", np_cxx_new_aligned) &&
                                is_default("_ZnamSt11align_val_t", np_cxx_new_aligned_array);
}

static void std_forms_init(void)
{
    pthread_once(&std_forms_once, find_std_forms);
}

/* An aligned form's block as libstdc++ makes it: the size rounded up to a multiple of the
 * alignment (as aligned_alloc requires), from aligned_alloc; NULL when that fails. */
static void *aligned_block(size_t n, size_t align, ORIGIN_PARAMS)
{
    size_t rounded;
    if (__builtin_add_overflow(n ? n : 1, align - 1, &rounded))
        return NULL;
    return np_alloc_aligned(align, rounded & ~(align - 1), pc, sp, bp);
}

/* operator new(size_t, align_val_t). */
EXPORT void *cxx_new_aligned(size_t n, size_t align) __asm__("_ZnwmSt11align_val_t");
__asm__(".globl np_cxx_new_aligned\n.hidden np_cxx_new_aligned\n.set np_cxx_new_aligned, _ZnwmSt11align_val_t");
EXPORT void *cxx_new_aligned(size_t n, size_t align)
{
    void *p = aligned_block(n, align, ORIGIN);
    if (p)
        return p;
    std_forms_init();
    if (!std_forms.new_aligned)
        abort(); /* as in operator new(size_t) */
    return std_forms.new_aligned(n, align);
}

/* The nothrow forms: allocated here when the operators they are defined to call are the
 * default ones; a failure (for the new-handler, and NULL) or a program's own operators go to
 * libstdc++'s form, which calls them. Without one (no libstdc++ to be found), here it is. */
static void *nothrow_new(size_t n, bool default_ops, nothrow_fn std_form, const void *tag, ORIGIN_PARAMS)
{
    if (!default_ops && std_form)
        return std_form(n, tag);
    void *p = np_alloc_malloc(n ? n : 1, pc, sp, bp);
    return p || !std_form ? p : std_form(n, tag);
}

EXPORT void *cxx_new_nothrow(size_t n, const void *tag) __asm__("_ZnwmRKSt9nothrow_t");
EXPORT void *cxx_new_nothrow(size_t n, const void *tag)
{
    std_forms_init();
    return nothrow_new(n, std_forms.new_default, std_forms.new_nothrow, tag, ORIGIN);
}

EXPORT void *cxx_new_array_nothrow(size_t n, const void *tag) __asm__("_ZnamRKSt9nothrow_t");
EXPORT void *cxx_new_array_nothrow(size_t n, const void *tag)
{
    std_forms_init();
    return nothrow_new(n, std_forms.new_default, std_forms.new_array_nothrow, tag, ORIGIN);
}

static void *aligned_nothrow_new(size_t n, size_t align, aligned_nothrow_fn std_form, const void *tag,
                                 ORIGIN_PARAMS)
{
    if (!std_forms.aligned_default && std_form)
        return std_form(n, align, tag);
    void *p = aligned_block(n, align, pc, sp, bp);
    return p || !std_form ? p : std_form(n, align, tag);
}

EXPORT void *cxx_new_aligned_nothrow(size_t n, size_t align, const void *tag)
    __asm__("_ZnwmSt11align_val_tRKSt9nothrow_t");
EXPORT void *cxx_new_aligned_nothrow(size_t n, size_t align, const void *tag)
{
    std_forms_init();
    return aligned_nothrow_new(n, align, std_forms.new_aligned_nothrow, tag, ORIGIN);
}

EXPORT void *cxx_new_aligned_array_nothrow(size_t n, size_t align, const void *tag)
    __asm__("_ZnamSt11align_val_tRKSt9nothrow_t");
EXPORT void *cxx_new_aligned_array_nothrow(size_t n, size_t align, const void *tag)
{
    std_forms_init();
    return aligned_nothrow_new(n, align, std_forms.new_aligned_array_nothrow, tag, ORIGIN);
}

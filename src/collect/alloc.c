/* The interposed malloc family. Each entry point calls the next allocator in link order (glibc,
 * or jemalloc/tcmalloc if the program brings one) and adds the sampling check; free matches
 * sampled objects before the memory goes back. Until dlsym has found the next allocator, a
 * static buffer serves the loader's own early requests. */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "heaptab.h"
#include "sampler.h"

#define EXPORT __attribute__((visibility("default")))
/* Where the allocating code's frame will be once this function returns, read from this
 * function's own frame record (__builtin_frame_address gives the slow paths one): the return
 * address, the stack pointer just above it, and the caller's rbp saved below it. Three words,
 * passed in registers to the cold functions, which rebuild the np_origin. */
#define FRAME ((uintptr_t *)__builtin_frame_address(0))
#define ORIGIN FRAME[1], (uintptr_t)(FRAME + 2), FRAME[0]
#define ORIGIN_PARAMS uintptr_t pc, uintptr_t sp, uintptr_t bp

/* glibc's own entry points, exported for exactly this use: the fallback when RTLD_NEXT finds
 * nothing (a static link of libnprof into a program without another allocator still works). */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* Until resolve() has run, each entry of `next` is a first-call stand-in that resolves and
 * then forwards (or serves from the boot buffer while dlsym runs): the entry points call
 * through `next` with no readiness check of their own. */
static void *first_malloc(size_t);
static void first_free(void *);
static void *first_calloc(size_t, size_t);
static void *first_realloc(void *, size_t);
static void *first_memalign(size_t, size_t);

static struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*usable_size)(void *);
} next = {first_malloc, first_free, first_calloc, first_realloc, first_memalign, NULL, NULL, NULL, NULL, NULL};

static _Atomic int resolve_state; /* 0 not yet, 1 resolving, 2 done */

/* Early allocations (dlsym's, before `next` is known) come from here and are never freed. */
static char boot_buf[128 * 1024] __attribute__((aligned(64)));
static _Atomic size_t boot_used;

static bool in_boot(const void *p)
{
    return (uintptr_t)p - (uintptr_t)boot_buf < sizeof boot_buf;
}

static void *boot_alloc(size_t n, size_t align)
{
    if (align < 16)
        align = 16;
    size_t need = n + align + 16;
    size_t start = atomic_fetch_add(&boot_used, need);
    if (start + need > sizeof boot_buf) {
        static const char msg[] = "nprof: early allocation buffer exhausted\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        return NULL;
    }
    uintptr_t p = ((uintptr_t)boot_buf + start + 16 + align - 1) & ~(uintptr_t)(align - 1);
    ((size_t *)p)[-1] = n; /* remembered for realloc out of the buffer */
    np_heaptab_pin((void *)p); /* so that free and realloc take their slow path for it */
    return (void *)p;
}

static void *sym(const char *name, void *fallback)
{
    void *f = dlsym(RTLD_NEXT, name);
    return f ? f : fallback;
}

/* Each pointer is stored atomically: a thread that reads a stand-in goes through ready(),
 * whose acquire load orders it after every store here. */
#define SET_NEXT(field, value) __atomic_store_n(&next.field, (value), __ATOMIC_RELAXED)
#define NEXT(field) __atomic_load_n(&next.field, __ATOMIC_RELAXED)

static void resolve(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&resolve_state, &expect, 1))
        return;
    SET_NEXT(posix_memalign, sym("posix_memalign", NULL));
    SET_NEXT(aligned_alloc, sym("aligned_alloc", NULL));
    SET_NEXT(valloc, sym("valloc", (void *)__libc_valloc));
    SET_NEXT(pvalloc, sym("pvalloc", (void *)__libc_pvalloc));
    SET_NEXT(usable_size, sym("malloc_usable_size", NULL));
    SET_NEXT(memalign, sym("memalign", (void *)__libc_memalign));
    SET_NEXT(realloc, sym("realloc", (void *)__libc_realloc));
    SET_NEXT(calloc, sym("calloc", (void *)__libc_calloc));
    SET_NEXT(free, sym("free", (void *)__libc_free));
    SET_NEXT(malloc, sym("malloc", (void *)__libc_malloc));
    atomic_store(&resolve_state, 2);
}

/* True when the real allocator can be called; otherwise the caller uses the boot buffer
 * (only while this thread or another is inside dlsym). */
static bool ready(void)
{
    if (__builtin_expect(atomic_load_explicit(&resolve_state, memory_order_acquire) == 2, 1))
        return true;
    resolve();
    return atomic_load(&resolve_state) == 2;
}

static void *first_malloc(size_t n)
{
    return ready() ? NEXT(malloc)(n) : boot_alloc(n, 16);
}

static void first_free(void *p)
{
    /* Boot blocks never get here (their filter bit is set); free(NULL) and the like may. */
    if (ready())
        NEXT(free)(p);
}

static void *first_calloc(size_t n, size_t size)
{
    return ready() ? NEXT(calloc)(n, size) : boot_alloc(n * size, 16); /* static memory is zero */
}

static void *first_realloc(void *old, size_t n)
{
    return ready() ? NEXT(realloc)(old, n) : boot_alloc(n, 16);
}

static void *first_memalign(size_t align, size_t n)
{
    return ready() ? NEXT(memalign)(align, n) : boot_alloc(n, align);
}

/* The entry points' fast paths charge the sampler and call the next allocator in tail
 * position; everything else (sampling, frees of sampled or boot blocks) is in the cold
 * functions below, kept out of line so the fast paths need no stack frame. */
#define COLD __attribute__((noinline, cold))

static COLD void *malloc_sampled(size_t n, ORIGIN_PARAMS)
{
    np_origin o = {pc, sp, bp};
    void *p = NEXT(malloc)(n);
    np_sample_slow(p, n, &o);
    return p;
}

EXPORT void *malloc(size_t n)
{
    if (np_sample_due(n))
        return malloc_sampled(n, ORIGIN);
    return NEXT(malloc)(n);
}

static COLD void free_marked(void *p)
{
    if (!p || in_boot(p))
        return;
    np_heaptab_free_slow(p);
    NEXT(free)(p);
}

EXPORT void free(void *p)
{
    if (np_heap_maybe_sampled(p))
        return free_marked(p);
    NEXT(free)(p);
}

static COLD void *calloc_sampled(size_t n, size_t size, size_t total, ORIGIN_PARAMS)
{
    np_origin o = {pc, sp, bp};
    void *p = NEXT(calloc)(n, size);
    np_sample_slow(p, total, &o);
    return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (np_sample_due(total))
        return calloc_sampled(n, size, total, ORIGIN);
    return NEXT(calloc)(n, size);
}

/* realloc of a block that may be sampled or from the boot buffer, or whose size ran out the
 * countdown (then `due` is true and the charge is made). */
static COLD void *realloc_slow(void *old, size_t n, bool due, ORIGIN_PARAMS)
{
    void *p;
    if (old && in_boot(old)) {
        size_t had = ((size_t *)old)[-1];
        p = NEXT(malloc)(n);
        if (p)
            memcpy(p, old, had < n ? had : n);
    } else {
        np_heap_taken taken;
        bool sampled = old && np_heap_maybe_sampled(old) && np_heaptab_take(old, &taken);
        p = NEXT(realloc)(old, n);
        if (sampled)
            np_heaptab_settle(&taken, p || n == 0); /* NULL for n > 0: failed, old is kept */
    }
    if (due) {
        np_origin o = {pc, sp, bp};
        np_sample_slow(p, n, &o);
    }
    return p;
}

EXPORT void *realloc(void *old, size_t n)
{
    bool due = np_sample_due(n);
    if (__builtin_expect(due | np_heap_maybe_sampled(old), 0))
        return realloc_slow(old, n, due, ORIGIN);
    return NEXT(realloc)(old, n);
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc_slow(old, total, np_sample_due(total), ORIGIN);
}

/* The aligned entry points are rare: one function does their sampling. */
static void *aligned_done(void *p, size_t n, ORIGIN_PARAMS)
{
    if (np_sample_due(n)) {
        np_origin o = {pc, sp, bp};
        np_sample_slow(p, n, &o);
    }
    return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
    return aligned_done(NEXT(memalign)(align, n), n, ORIGIN);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    if (!ready()) {
        *out = boot_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    int rc;
    void *p;
    if (NEXT(posix_memalign)) {
        rc = NEXT(posix_memalign)(&p, align, n);
    } else {
        p = NEXT(memalign)(align, n);
        rc = p ? 0 : ENOMEM;
    }
    if (rc == 0)
        *out = aligned_done(p, n, ORIGIN);
    return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (!ready())
        return boot_alloc(n, align);
    void *p = NEXT(aligned_alloc) ? NEXT(aligned_alloc)(align, n) : NEXT(memalign)(align, n);
    return aligned_done(p, n, ORIGIN);
}

EXPORT void *valloc(size_t n)
{
    if (!ready())
        return boot_alloc(n, 4096);
    return aligned_done(NEXT(valloc)(n), n, ORIGIN);
}

EXPORT void *pvalloc(size_t n)
{
    if (!ready())
        return boot_alloc(n, 4096);
    return aligned_done(NEXT(pvalloc)(n), n, ORIGIN);
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (in_boot(p))
        return ((size_t *)p)[-1];
    if (!ready() || !NEXT(usable_size))
        return 0;
    return NEXT(usable_size)(p);
}

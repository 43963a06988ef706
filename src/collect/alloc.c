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
#define CALLER ((uintptr_t)__builtin_return_address(0))

/* glibc's own entry points, exported for exactly this use: the fallback when RTLD_NEXT finds
 * nothing (a static link of libnprof into a program without another allocator still works). */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

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
} next;

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
    return (void *)p;
}

static void *sym(const char *name, void *fallback)
{
    void *f = dlsym(RTLD_NEXT, name);
    return f ? f : fallback;
}

static void resolve(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&resolve_state, &expect, 1))
        return;
    next.malloc = sym("malloc", (void *)__libc_malloc);
    next.free = sym("free", (void *)__libc_free);
    next.calloc = sym("calloc", (void *)__libc_calloc);
    next.realloc = sym("realloc", (void *)__libc_realloc);
    next.memalign = sym("memalign", (void *)__libc_memalign);
    next.posix_memalign = sym("posix_memalign", NULL);
    next.aligned_alloc = sym("aligned_alloc", NULL);
    next.valloc = sym("valloc", (void *)__libc_valloc);
    next.pvalloc = sym("pvalloc", (void *)__libc_pvalloc);
    next.usable_size = sym("malloc_usable_size", NULL);
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

EXPORT void *malloc(size_t n)
{
    if (!ready())
        return boot_alloc(n, 16);
    void *p = next.malloc(n);
    np_sample_check(p, n, CALLER);
    return p;
}

EXPORT void free(void *p)
{
    if (!p || in_boot(p))
        return;
    np_heaptab_free(p);
    if (ready())
        next.free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (!ready())
        return boot_alloc(total, 16); /* static memory is already zero */
    void *p = next.calloc(n, size);
    np_sample_check(p, total, CALLER);
    return p;
}

static void *realloc_from_boot(void *old, size_t n)
{
    size_t had = ((size_t *)old)[-1];
    void *p = malloc(n);
    if (p)
        memcpy(p, old, had < n ? had : n);
    return p;
}

EXPORT void *realloc(void *old, size_t n)
{
    if (old && in_boot(old))
        return realloc_from_boot(old, n);
    if (!ready())
        return boot_alloc(n, 16);
    if (old)
        np_heaptab_free(old); /* the old block is gone (or moved) once realloc returns */
    void *p = next.realloc(old, n);
    np_sample_check(p, n, CALLER);
    return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (old && in_boot(old))
        return realloc_from_boot(old, total);
    if (!ready())
        return boot_alloc(total, 16);
    if (old)
        np_heaptab_free(old);
    void *p = next.realloc(old, total);
    np_sample_check(p, total, CALLER);
    return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
    if (!ready())
        return boot_alloc(n, align);
    void *p = next.memalign(align, n);
    np_sample_check(p, n, CALLER);
    return p;
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
    if (next.posix_memalign) {
        rc = next.posix_memalign(out, align, n);
    } else {
        *out = next.memalign(align, n);
        rc = *out ? 0 : ENOMEM;
    }
    if (rc == 0)
        np_sample_check(*out, n, CALLER);
    return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (!ready())
        return boot_alloc(n, align);
    void *p = next.aligned_alloc ? next.aligned_alloc(align, n) : next.memalign(align, n);
    np_sample_check(p, n, CALLER);
    return p;
}

EXPORT void *valloc(size_t n)
{
    if (!ready())
        return boot_alloc(n, 4096);
    void *p = next.valloc(n);
    np_sample_check(p, n, CALLER);
    return p;
}

EXPORT void *pvalloc(size_t n)
{
    if (!ready())
        return boot_alloc(n, 4096);
    void *p = next.pvalloc(n);
    np_sample_check(p, n, CALLER);
    return p;
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (in_boot(p))
        return ((size_t *)p)[-1];
    if (!ready() || !next.usable_size)
        return 0;
    return next.usable_size(p);
}

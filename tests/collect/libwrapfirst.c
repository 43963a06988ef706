/* libwrapfirst -- a malloc wrapper of the common kind, preloaded before libnprof: malloc, free,
 * calloc and realloc count their calls and hand the work on to RTLD_NEXT, which is libnprof.
 * libnprof, finding an allocator before it, must not hand the work back (it went round for
 * ever). dlsym's own early allocations come from a small static buffer. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

static void *(*next_malloc)(size_t);
static void (*next_free)(void *);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static unsigned long calls;
static _Alignas(16) char early[4096];
static size_t early_used;

static int resolving;

static void resolve(void)
{
    if (next_malloc || resolving)
        return;
    resolving = 1;
    next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
}

static int is_early(void *p)
{
    return (char *)p >= early && (char *)p < early + sizeof early;
}

static void *early_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (early_used + n > sizeof early)
        return NULL;
    early_used += n;
    return early + early_used - n; /* static memory: already zero */
}

void *malloc(size_t n)
{
    resolve();
    calls++;
    return next_malloc ? next_malloc(n) : early_alloc(n);
}

void free(void *p)
{
    resolve();
    calls++;
    if (p && !is_early(p) && next_free)
        next_free(p);
}

void *calloc(size_t n, size_t size)
{
    resolve();
    calls++;
    return next_calloc ? next_calloc(n, size) : early_alloc(n * size);
}

void *realloc(void *p, size_t n)
{
    resolve();
    calls++;
    if (p && is_early(p))
        return NULL; /* the early blocks are dlsym's and are never grown */
    return next_realloc ? next_realloc(p, n) : early_alloc(n);
}

unsigned long wrapfirst_calls(void)
{
    return calls;
}

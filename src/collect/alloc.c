/* The interposed malloc family. Each entry point calls the next allocator in link order (glibc,
 * or jemalloc/tcmalloc if the program brings one) and adds the sampling check; free matches
 * sampled objects before the memory goes back. Until dlsym has found the next allocator, a
 * static buffer serves the loader's own early requests. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "alloc.h"
#include "heaptab.h"
#include "sampler.h"

/* glibc's own entry points, exported for exactly this use: the fallback when RTLD_NEXT finds
 * nothing (a static link of libnprof into a program without another allocator still works). */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

/* Until resolve() has run, each entry of `next` is a first-call stand-in that resolves and
 * then forwards (or serves from the boot buffer while dlsym runs): the entry points call
 * through `next` with no readiness check of their own. */
static void *first_malloc(size_t);
static void first_free(void *);
static void *first_calloc(size_t, size_t);
static void *first_realloc(void *, size_t);
static void *first_memalign(size_t, size_t);

/* Global (hidden) for operator new's assembly in cxxnew.c, which calls next.malloc. */
struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    size_t (*usable_size)(void *);
} next __asm__("np_alloc_next") __attribute__((used, visibility("hidden"))) = {first_malloc, first_free, first_calloc, first_realloc,
                                                          first_memalign, NULL, NULL, NULL};

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
    /* A sampled object's header, with n (for realloc out of the buffer) in place of the offset:
     * free and realloc then take their slow path for it, which knows the buffer. */
    np_heap_mark((void *)p, n);
    if (np_heap_page_aligned((void *)p))
        np_heaptab_pin((void *)p);
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
    /* Before the CAS: a thread that finds another resolving goes on to the boot buffer, whose
     * blocks are tagged. */
    np_heap_secret_init();
    int expect = 0;
    if (!atomic_compare_exchange_strong(&resolve_state, &expect, 1))
        return;
    SET_NEXT(posix_memalign, sym("posix_memalign", NULL));
    SET_NEXT(aligned_alloc, sym("aligned_alloc", NULL));
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

/* Whether f is defined in the object loaded at base: not a canonical PLT entry, which a
 * non-PIE executable that takes malloc's address has, and dlsym returns, for a function it
 * does not define. */
static bool defined_in(const void *f, const void *base)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    return f && dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) && info.dli_fbase == base && sym &&
           sym->st_shndx != SHN_UNDEF;
}

/* Where the program's malloc is when it is not libnprof's: the executable's own (an allocator
 * linked in) or a library preloaded before libnprof (jemalloc or tcmalloc first in LD_PRELOAD).
 * Then only the entry points that allocator lacks reach libnprof. */
typedef struct allocator {
    void *handle;     /* to look its functions up with */
    const void *base; /* where they must be defined */
    const char *path;
} allocator;

static bool earlier_allocator(allocator *a)
{
    Dl_info self, exe;
    if (!dladdr((void *)earlier_allocator, &self) || !dladdr((void *)getauxval(AT_PHDR), &exe))
        return false;
    /* libnprof.a linked into the program: the executable's malloc is libnprof's. */
    if (exe.dli_fbase != self.dli_fbase && defined_in(dlsym(RTLD_DEFAULT, "malloc"), exe.dli_fbase)) {
        *a = (allocator){RTLD_DEFAULT, exe.dli_fbase, "the program itself"};
        return true;
    }
    for (struct link_map *l = _r_debug.r_map; l; l = l->l_next) {
        if ((void *)l->l_addr == self.dli_fbase)
            break; /* libnprof: what follows comes after it */
        if (l == _r_debug.r_map || !l->l_name || !l->l_name[0])
            continue;
        void *h = dlopen(l->l_name, RTLD_LAZY | RTLD_NOLOAD);
        if (h && defined_in(dlsym(h, "malloc"), (void *)l->l_addr)) {
            *a = (allocator){h, (void *)l->l_addr, l->l_name}; /* the reference is kept */
            return true;
        }
        if (h)
            dlclose(h);
    }
    return false;
}

const char *np_alloc_check_order(void)
{
    ready();
    allocator a;
    if (!earlier_allocator(&a))
        return NULL;
    /* Everything goes to that allocator, and nothing is sampled: a block laid out with a header
     * would reach its free. */
    np_sampler_block();
#define FROM(field, name)                                                                          \
    do {                                                                                           \
        void *f = dlsym(a.handle, name);                                                           \
        if (defined_in(f, a.base))                                                                 \
            SET_NEXT(field, f);                                                                    \
    } while (0)
    FROM(malloc, "malloc");
    FROM(free, "free");
    FROM(calloc, "calloc");
    FROM(realloc, "realloc");
    FROM(memalign, "memalign");
    FROM(posix_memalign, "posix_memalign");
    FROM(aligned_alloc, "aligned_alloc");
    FROM(usable_size, "malloc_usable_size");
#undef FROM
    return a.path;
}

static void *first_malloc(size_t n)
{
    return ready() ? NEXT(malloc)(n) : boot_alloc(n, 16);
}

static void first_free(void *p)
{
    /* Boot blocks never get here (they carry the tag); free(NULL) and the like may. */
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
 * functions below. */

/* A sampled block is 2*unit bytes larger than asked; the program's pointer is unit or 2*unit
 * bytes in, whichever is not page-aligned, behind the header (heaptab.h). unit is 16, or the
 * alignment asked for; 0 (no header) from a page of alignment on. */
enum { UNIT = 16 };

static size_t header_unit(size_t align)
{
    size_t unit = UNIT;
    while (unit < align)
        unit *= 2;
    return unit < NP_PAGE ? unit : 0;
}

static size_t padded(size_t n, size_t unit)
{
    size_t total;
    return __builtin_add_overflow(n, 2 * unit, &total) ? SIZE_MAX : total; /* SIZE_MAX fails */
}

static size_t offset_in(const char *q, size_t unit)
{
    return unit && np_heap_page_aligned(q + unit) ? 2 * unit : unit;
}

/* A sample of n bytes for the code at the origin, begun before its block is allocated. */
static void begin_sample(np_pending *s, size_t n, double weight, ORIGIN_PARAMS)
{
    np_origin o = {pc, sp, bp};
    np_sample_begin(s, n, weight, &o);
}

/* Records the new block q (NULL: the allocation failed) as the sample s. */
static void *record_block(char *q, size_t unit, const np_pending *s)
{
    if (!q)
        return NULL;
    size_t off = offset_in(q, unit);
    np_sample_finish(s, q + off, off); /* writes the header */
    return q + off;
}

COLD void *np_alloc_sampled(size_t n, ORIGIN_PARAMS)
{
    double w = np_sample_decide(n);
    if (w == 0)
        return NEXT(malloc)(n);
    np_pending s;
    begin_sample(&s, n, w, pc, sp, bp);
    return record_block(NEXT(malloc)(padded(n, UNIT)), UNIT, &s);
}

EXPORT void *malloc(size_t n)
{
    if (np_sample_due(n))
        return np_alloc_sampled(n, ORIGIN);
    return NEXT(malloc)(n);
}

void *np_alloc_malloc(size_t n, ORIGIN_PARAMS)
{
    if (np_sample_due(n))
        return np_alloc_sampled(n, pc, sp, bp);
    return NEXT(malloc)(n);
}

static COLD void free_marked(void *p)
{
    if (in_boot(p))
        return;
    size_t off = p ? np_heaptab_free_slow(p) : 0;
    NEXT(free)(off ? (char *)p - off : p);
}

EXPORT void free(void *p)
{
    if (np_heap_maybe_sampled(p))
        return free_marked(p);
    NEXT(free)(p);
}

/* C++'s operator delete(void *) and operator delete(void *, align_val_t) are free (the other
 * forms forward to these: cxxnew.c). */
EXPORT void _ZdlPv(void *p) __attribute__((alias("free"), copy(free)));
EXPORT void _ZdlPvSt11align_val_t(void *p) __attribute__((alias("free"), copy(free))); /* alignment unused */

static COLD void *calloc_sampled(size_t n, size_t size, size_t total, ORIGIN_PARAMS)
{
    double w = np_sample_decide(total);
    if (w == 0)
        return NEXT(calloc)(n, size);
    np_pending s;
    begin_sample(&s, total, w, pc, sp, bp);
    return record_block(NEXT(calloc)(1, padded(total, UNIT)), UNIT, &s);
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

/* Resizes the block that holds the program's `old`, old_off bytes in, to hold n bytes unit-laid
 * out (unit 0: a plain block); *off is where the program's bytes are in the result. The data
 * moves inside the block when the two layouts differ. */
static void *resize(void *old, size_t old_off, size_t n, size_t unit, size_t *off)
{
    *off = 0;
    if (!old_off && !unit)
        return NEXT(realloc)(old, n);
    char *q_old = old_off ? (char *)old - old_off : old;
    if (!unit && n == 0)
        return NEXT(realloc)(q_old, 0); /* whatever the allocator does for realloc(p, 0) */
    char *q = NEXT(realloc)(q_old, padded(n, old_off > unit ? old_off : unit));
    if (!q)
        return NULL;
    *off = offset_in(q, unit);
    if (old && *off != old_off)
        memmove(q + *off, q + old_off, n);
    return q + *off; /* the caller records a sample here, which writes its header */
}

/* realloc of a block that may be sampled or from the boot buffer, or whose size ran out the
 * countdown (then `due` is true and the charge is made). */
static COLD void *realloc_slow(void *old, size_t n, bool due, ORIGIN_PARAMS)
{
    double w = due ? np_sample_decide(n) : 0;
    size_t unit = w > 0 ? UNIT : 0, off;
    np_pending s;
    if (w > 0)
        begin_sample(&s, n, w, pc, sp, bp);
    void *p;
    if (old && in_boot(old)) {
        size_t had = ((size_t *)old)[-2];
        p = w > 0 ? record_block(NEXT(malloc)(padded(n, unit)), unit, &s) : NEXT(malloc)(n);
        if (p)
            memcpy(p, old, had < n ? had : n);
        return p;
    }
    np_heap_taken taken = {.offset = 0};
    bool sampled = old && np_heap_maybe_sampled(old) && np_heaptab_take(old, &taken);
    p = resize(old, taken.offset, n, unit, &off);
    if (sampled)
        np_heaptab_settle(&taken, p || n == 0); /* NULL for n > 0: failed, old is kept */
    if (w > 0 && p)
        np_sample_finish(&s, p, off);
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

/* The aligned entry points are rare: one function makes their allocations. A sampled one with
 * less than a page of alignment gets its header through memalign; otherwise the program's own
 * request is passed on. */
enum aligned_kind { BY_MEMALIGN, BY_POSIX_MEMALIGN, BY_ALIGNED_ALLOC };

static void *next_aligned(enum aligned_kind kind, size_t align, size_t n)
{
    void *p = NULL;
    switch (kind) {
    case BY_POSIX_MEMALIGN:
        if (NEXT(posix_memalign)) {
            int rc = NEXT(posix_memalign)(&p, align, n);
            return rc == 0 ? p : NULL;
        }
        return NEXT(memalign)(align, n);
    case BY_ALIGNED_ALLOC:
        return NEXT(aligned_alloc) ? NEXT(aligned_alloc)(align, n) : NEXT(memalign)(align, n);
    case BY_MEMALIGN:
        break;
    }
    return NEXT(memalign)(align, n);
}

static void *aligned_any(enum aligned_kind kind, size_t align, size_t n, ORIGIN_PARAMS)
{
    double w = np_sample_due(n) ? np_sample_decide(n) : 0;
    if (w == 0)
        return next_aligned(kind, align, n);
    size_t unit = header_unit(align);
    np_pending s;
    begin_sample(&s, n, w, pc, sp, bp);
    char *q = unit ? NEXT(memalign)(unit, padded(n, unit)) : next_aligned(kind, align, n);
    return record_block(q, unit, &s);
}

EXPORT void *memalign(size_t align, size_t n)
{
    return aligned_any(BY_MEMALIGN, align, n, ORIGIN);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    if (!ready()) {
        *out = boot_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    void *p = aligned_any(BY_POSIX_MEMALIGN, align, n, ORIGIN);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (!ready())
        return boot_alloc(n, align);
    return aligned_any(BY_ALIGNED_ALLOC, align, n, ORIGIN);
}

void *np_alloc_aligned(size_t align, size_t n, ORIGIN_PARAMS)
{
    return aligned_any(BY_ALIGNED_ALLOC, align, n, pc, sp, bp);
}

/* valloc and pvalloc are glibc's memalign(page, n) and memalign(page, n rounded up to pages,
 * at least one), made here from the next allocator's memalign: jemalloc has no pvalloc, and
 * taking glibc's would hand jemalloc's free a block it does not own. */
EXPORT void *valloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (!ready())
        return boot_alloc(n, page);
    return aligned_any(BY_MEMALIGN, page, n, ORIGIN);
}

EXPORT void *pvalloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), pages;
    if (__builtin_add_overflow(n, page - 1, &pages)) {
        errno = ENOMEM;
        return NULL;
    }
    pages = pages / page ? pages / page : 1;
    if (!ready())
        return boot_alloc(pages * page, page);
    return aligned_any(BY_MEMALIGN, page, pages * page, ORIGIN);
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (in_boot(p))
        return ((size_t *)p)[-2];
    if (!ready() || !NEXT(usable_size))
        return 0;
    size_t off = np_heap_maybe_sampled(p) ? np_heaptab_offset(p) : 0;
    return off ? NEXT(usable_size)((char *)p - off) - off : NEXT(usable_size)(p);
}

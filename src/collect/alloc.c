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

#include "collect/alloc.h"
#include "collect/heaptab.h"
#include "collect/sampler.h"

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
    /* Set by np_alloc_check_order: the next allocator's nallocx (the usable size of a request)
     * and the size queries and frees of jemalloc's and tcmalloc's own APIs. */
    size_t (*nallocx)(size_t, int);
    size_t (*sallocx)(const void *, int);
    void (*dallocx)(void *, int);
    void (*sdallocx)(void *, size_t, int);
    size_t (*tc_malloc_size)(void *);
} next __asm__("np_alloc_next") __attribute__((used, visibility("hidden"))) = {
    .malloc = first_malloc, .free = first_free, .calloc = first_calloc, .realloc = first_realloc,
    .memalign = first_memalign};

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

/* nallocx, when the next malloc's library has one: it answers for that allocator only. */
static void find_nallocx(void)
{
    Dl_info m;
    void *f = dlsym(RTLD_NEXT, "nallocx");
    if (f && dladdr((void *)NEXT(malloc), &m) && defined_in(f, m.dli_fbase))
        SET_NEXT(nallocx, f);
    SET_NEXT(sallocx, sym("sallocx", NULL));
    SET_NEXT(dallocx, sym("dallocx", NULL));
    SET_NEXT(sdallocx, sym("sdallocx", NULL));
    SET_NEXT(tc_malloc_size, sym("tc_malloc_size", NULL));
}

/* An earlier allocator that hands its work on through RTLD_NEXT comes back to libnprof's entry
 * points: libnprof.a linked into a program that is also preloaded (two collectors), or a
 * wrapper preloaded first. Forwarding to it would then go round for ever, so it is tried once
 * with libnprof's next malloc and free pointed at a probe that notes being reached from this
 * thread. */
static _Atomic pid_t probe_tid;
static _Atomic bool came_back;

static void *probe_malloc(size_t n)
{
    if (atomic_load(&probe_tid) == gettid())
        atomic_store(&came_back, true);
    return __libc_malloc(n);
}

static bool calls_back(const allocator *a)
{
    void *(*their_malloc)(size_t) = (void *(*)(size_t))dlsym(a->handle, "malloc");
    void (*their_free)(void *) = (void (*)(void *))dlsym(a->handle, "free");
    if (!defined_in((void *)their_malloc, a->base) || !defined_in((void *)their_free, a->base))
        return false;
    void *(*saved_malloc)(size_t) = NEXT(malloc);
    void (*saved_free)(void *) = NEXT(free);
    atomic_store(&came_back, false);
    atomic_store(&probe_tid, gettid());
    SET_NEXT(free, __libc_free); /* what came from the probe goes back to the C library */
    SET_NEXT(malloc, probe_malloc);
    their_free(their_malloc(64));
    SET_NEXT(malloc, saved_malloc);
    SET_NEXT(free, saved_free);
    atomic_store(&probe_tid, 0);
    return atomic_load(&came_back);
}

const char *np_alloc_check_order(void)
{
    ready();
    find_nallocx();
    allocator a;
    if (!earlier_allocator(&a))
        return NULL;
    /* Everything goes to that allocator, and nothing is sampled: a block laid out with a header
     * would reach its free. */
    np_sampler_block();
    if (calls_back(&a))
        return a.path; /* it comes back here: libnprof keeps the C library's functions */
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

/* A sampled block must look to the program like the block it asked for: the same
 * malloc_usable_size (a program that compares it with nallocx, or grows into it, treats a
 * sampled object as any other, so sampling stays unbiased), at least the alignment it asked for
 * and the natural alignment of that size, and room for every usable byte. It is allocated
 * larger, with the program's pointer `offset` bytes in behind a header (heaptab.h); from a page
 * of alignment on, it is the program's own block with no header. */
typedef enum request_kind { PLAIN, BY_MEMALIGN, BY_POSIX_MEMALIGN, BY_ALIGNED_ALLOC } request_kind;

typedef struct request {
    request_kind kind;
    size_t align; /* asked for by an aligned kind; 0 for PLAIN */
    size_t n;
    bool zero;    /* calloc */
} request;

/* The block the program asked for, made as it asked. */
static void *plain_block(const request *r)
{
    void *p = NULL;
    switch (r->kind) {
    case PLAIN:
        return r->zero ? NEXT(calloc)(1, r->n) : NEXT(malloc)(r->n);
    case BY_POSIX_MEMALIGN:
        if (NEXT(posix_memalign)) {
            int rc = NEXT(posix_memalign)(&p, r->align, r->n);
            return rc == 0 ? p : NULL;
        }
        break;
    case BY_ALIGNED_ALLOC:
        if (NEXT(aligned_alloc))
            return NEXT(aligned_alloc)(r->align, r->n);
        break;
    case BY_MEMALIGN:
        break;
    }
    return NEXT(memalign)(r->align, r->n);
}

/* The next allocator's usable size of the block p (n when it cannot say), asked with the
 * collector's guard up: the allocator may allocate on the way (tcmalloc's malloc_usable_size
 * makes its extension object with new), and that allocation must not be sampled in turn. */
static size_t next_usable(void *p, size_t n)
{
    if (!NEXT(usable_size))
        return n;
    np_enter();
    size_t usable = NEXT(usable_size)(p);
    np_leave();
    return usable;
}

/* glibc serves a request from its arena, never by mmap, while the request's chunk is below
 * 128 KiB: glibc's mmap threshold, which glibc itself only raises. */
enum { GLIBC_MMAP_THRESHOLD = 128 * 1024 };

/* glibc's usable size for a plain request from its arena, worked out instead of asked: the
 * chunk (the request and an 8-byte size word, rounded up to 16 bytes, at least 32) less that
 * word. The probe below would make and free such a block, and glibc's free of 64 KiB or more
 * consolidates its free lists: a cost, and a change to the program's heap, at every sample.
 * (A program that lowers the threshold gets glibc's answer for a block from the arena, which
 * glibc gives too when its heap has the room.) */
static bool glibc_arena_usable(const request *r, size_t *usable)
{
    if (r->kind != PLAIN || r->n >= GLIBC_MMAP_THRESHOLD || NEXT(malloc) != __libc_malloc)
        return false;
    size_t chunk = (r->n + 8 + 15) & ~(size_t)15;
    if (chunk >= GLIBC_MMAP_THRESHOLD)
        return false;
    *usable = (chunk < 32 ? 32 : chunk) - 8;
    return true;
}

/* What the next allocator's malloc_usable_size answers for the block of r; 0 when r fails.
 * nallocx says it without allocating, where the next allocator has one (jemalloc, tcmalloc);
 * glibc's arena sizes are known; otherwise such a block is made and given back (with the guard
 * up, as in next_usable). */
static size_t usable_for(const request *r)
{
    if (!NEXT(usable_size))
        return r->n ? r->n : 1;
    size_t (*nallocx)(size_t, int) = NEXT(nallocx);
    if (nallocx && r->n)
        return nallocx(r->n, r->align > 16 ? __builtin_ctzll(r->align) : 0); /* MALLOCX_LG_ALIGN */
    size_t usable;
    if (glibc_arena_usable(r, &usable))
        return usable;
    request probe = *r;
    probe.zero = false;
    np_enter();
    void *q = plain_block(&probe);
    usable = q ? NEXT(usable_size)(q) : 0;
    NEXT(free)(q);
    np_leave();
    return usable;
}

/* What the program's pointer is aligned to: what it asked for, the natural alignment of its
 * usable size (jemalloc and tcmalloc place a block of 64 bytes at a multiple of 64), and at
 * least the header's size; a power of two. From NP_PAGE on, a block has no header. */
static size_t unit_for(size_t usable, size_t align)
{
    size_t unit = NP_HEAP_HEADER, natural = usable & -usable;
    while (unit < align || unit < natural)
        unit *= 2;
    return unit;
}

/* A block with room for usable bytes at a unit-aligned offset behind the header (SIZE_MAX,
 * which fails, on overflow). */
static size_t block_size(size_t usable, size_t unit)
{
    size_t total;
    return __builtin_add_overflow(usable, 2 * unit + NP_HEAP_HEADER, &total) ? SIZE_MAX : total;
}

/* The offset of the program's pointer in the block q: the first unit-aligned address past the
 * header that is not page-aligned (free reads in front of it). */
static size_t place(const char *q, size_t unit)
{
    uintptr_t p = ((uintptr_t)q + NP_HEAP_HEADER + unit - 1) & ~(uintptr_t)(unit - 1);
    if (np_heap_page_aligned((void *)p))
        p += unit;
    return p - (uintptr_t)q;
}

/* A sample of n bytes for the code at the origin, begun before its block is allocated. */
static void begin_sample(np_pending *s, size_t n, double weight, ORIGIN_PARAMS)
{
    np_origin o = {pc, sp, bp};
    np_sample_begin(s, n, weight, &o);
}

/* Records the block q (NULL: the allocation failed) as the sample s, the program's pointer at
 * blk->offset, and returns that pointer. */
static void *record(char *q, np_heap_block blk, const np_pending *s)
{
    if (!q)
        return NULL;
    np_sample_finish(s, q + blk.offset, &blk); /* writes the header */
    return q + blk.offset;
}

/* The sampled block for r (whose usable size is known), recorded as s; NULL when it fails. */
static void *make_sampled_sized(const request *r, size_t usable, const np_pending *s)
{
    size_t unit = unit_for(usable, r->align);
    if (unit >= NP_PAGE) {
        char *q = plain_block(r);
        if (!q || np_heap_page_aligned(q))
            return record(q, (np_heap_block){0, usable}, s);
        NEXT(free)(q); /* a page-sized block that is not page-aligned: laid out with a header */
        unit = NP_PAGE / 2;
    }
    size_t size = block_size(usable, unit);
    char *q = r->zero ? NEXT(calloc)(1, size) : NEXT(malloc)(size);
    return q ? record(q, (np_heap_block){place(q, unit), usable}, s) : NULL;
}

static void *make_sampled(const request *r, const np_pending *s)
{
    size_t usable = usable_for(r);
    if (!usable) {
        errno = ENOMEM;
        return NULL;
    }
    return make_sampled_sized(r, usable, s);
}

/* The block for r on behalf of the code at the origin, sampled if the sampler says so. */
static void *make_any(const request *r, ORIGIN_PARAMS)
{
    double w = np_sample_due(r->n) ? np_sample_decide(r->n) : 0;
    if (w == 0)
        return plain_block(r);
    np_pending s;
    begin_sample(&s, r->n, w, pc, sp, bp);
    return make_sampled(r, &s);
}

COLD void *np_alloc_sampled(size_t n, ORIGIN_PARAMS)
{
    double w = np_sample_decide(n);
    if (w == 0)
        return NEXT(malloc)(n);
    np_pending s;
    begin_sample(&s, n, w, pc, sp, bp);
    return make_sampled(&(request){PLAIN, 0, n, false}, &s);
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
    return make_sampled(&(request){PLAIN, 0, total, true}, &s);
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

/* The plain block p, holding n bytes, laid out as the sampled block s with this usable size;
 * if that fails, p as it is (the sample is lost, the bytes are not). */
static void *relay(char *p, size_t usable, size_t n, const np_pending *s)
{
    size_t unit = unit_for(usable, 0);
    if (unit >= NP_PAGE) {
        if (np_heap_page_aligned(p))
            return record(p, (np_heap_block){0, usable}, s);
        unit = NP_PAGE / 2;
    }
    char *q = NEXT(realloc)(p, block_size(usable, unit));
    if (!q)
        return p;
    np_heap_block blk = {place(q, unit), usable};
    memmove(q + blk.offset, q, n);
    return record(q, blk, s);
}

/* realloc of a plain block (old, which may be NULL) into the sampled block s: the next realloc
 * makes the block it would give the program, whose usable size the sampled one takes. */
static void *realloc_into_sampled(void *old, const request *r, const np_pending *s)
{
    char *p = NEXT(realloc)(old, r->n);
    if (!p)
        return NULL;
    return relay(p, next_usable(p, r->n), r->n, s);
}

/* Between sizes of a mebibyte or more the block itself is realloc'd (the allocator may remap it
 * rather than copy), and the program's bytes move only if their offset changes. */
enum { BIG = 1 << 20 };

static void *realloc_big(char *q_old, const np_heap_block *old, const request *r, const np_pending *s)
{
    size_t usable = usable_for(r), unit = unit_for(usable, 0);
    if (!usable)
        return NULL;
    if (unit >= NP_PAGE)
        unit = NP_PAGE / 2;
    /* Room for the bytes where they were, too: they move after the block is resized. */
    size_t size = block_size(usable, unit), keep = r->n < old->usable ? r->n : old->usable;
    if (size < old->offset + keep)
        size = old->offset + keep;
    char *q = NEXT(realloc)(q_old, size);
    if (!q)
        return NULL;
    np_heap_block blk = {place(q, unit), usable};
    if (blk.offset != old->offset)
        memmove(q + blk.offset, q + old->offset, keep);
    return record(q, blk, s);
}

/* realloc of a sampled block with a header (old, laid out as blk) into a sampled block (s) or
 * a plain one (s NULL). What the allocator would make of it is asked of a stand-in, a plain
 * block of the old usable size with the program's bytes: realloc'd, it is the new plain block,
 * or tells the sampled one its usable size; the sampled block stays in place when that is
 * unchanged, as the allocator keeps a block it need not move. */
static void *realloc_from_header(void *old, const np_heap_block *blk, const request *r, const np_pending *s)
{
    char *q_old = (char *)old - blk->offset;
    if (!s && r->n == 0)
        return NEXT(realloc)(q_old, 0); /* whatever the allocator does for realloc(p, 0) */
    if (s && blk->usable >= BIG && r->n >= BIG)
        return realloc_big(q_old, blk, r, s);
    char *stand_in = NEXT(malloc)(blk->usable);
    if (!stand_in)
        return NULL;
    memcpy(stand_in, old, blk->usable < r->n ? blk->usable : r->n);
    char *p = NEXT(realloc)(stand_in, r->n);
    if (!p) {
        NEXT(free)(stand_in);
        return NULL;
    }
    if (s) {
        size_t usable = next_usable(p, r->n);
        if (usable == blk->usable) {
            NEXT(free)(p);
            return record(q_old, *blk, s);
        }
        p = relay(p, usable, r->n, s);
    }
    NEXT(free)(q_old);
    return p;
}

/* realloc of a block that may be sampled or from the boot buffer, or whose size ran out the
 * countdown (then `due` is true and the charge is made). As for the sampler, a realloc is a
 * free of the old object and an allocation of the new one: the new one is sampled (or not)
 * whatever the old one was. */
static COLD void *realloc_slow(void *old, size_t n, bool due, ORIGIN_PARAMS)
{
    double w = due ? np_sample_decide(n) : 0;
    np_pending s;
    if (w > 0)
        begin_sample(&s, n, w, pc, sp, bp);
    const request r = {PLAIN, 0, n, false};
    if (old && in_boot(old)) {
        size_t had = ((size_t *)old)[-2];
        void *p = w > 0 ? make_sampled(&r, &s) : NEXT(malloc)(n);
        if (p)
            memcpy(p, old, had < n ? had : n);
        return p;
    }
    np_heap_taken taken = {.blk = {0, 0}};
    bool sampled = old && np_heap_maybe_sampled(old) && np_heaptab_take(old, &taken);
    void *p;
    if (taken.blk.offset)
        p = realloc_from_header(old, &taken.blk, &r, w > 0 ? &s : NULL);
    else /* a plain block: unsampled, or sampled at a page-aligned address */
        p = w > 0 ? realloc_into_sampled(old, &r, &s) : NEXT(realloc)(old, n);
    if (sampled)
        np_heaptab_settle(&taken, p || n == 0); /* NULL for n > 0: failed, old is kept */
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

/* The aligned entry points are rare and share one path. */
EXPORT void *memalign(size_t align, size_t n)
{
    return make_any(&(request){BY_MEMALIGN, align, n, false}, ORIGIN);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    if (!ready()) {
        *out = boot_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    void *p = make_any(&(request){BY_POSIX_MEMALIGN, align, n, false}, ORIGIN);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (!ready())
        return boot_alloc(n, align);
    return make_any(&(request){BY_ALIGNED_ALLOC, align, n, false}, ORIGIN);
}

void *np_alloc_aligned(size_t align, size_t n, ORIGIN_PARAMS)
{
    return make_any(&(request){BY_ALIGNED_ALLOC, align, n, false}, pc, sp, bp);
}

/* valloc and pvalloc are glibc's memalign(page, n) and memalign(page, n rounded up to pages,
 * at least one), made here from the next allocator's memalign: jemalloc has no pvalloc, and
 * taking glibc's would hand jemalloc's free a block it does not own. */
EXPORT void *valloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (!ready())
        return boot_alloc(n, page);
    return make_any(&(request){BY_MEMALIGN, page, n, false}, ORIGIN);
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
    return make_any(&(request){BY_MEMALIGN, page, pages * page, false}, ORIGIN);
}

/* The usable size of a sampled block with a header, from it; of any other, the allocator's. */
static bool sampled_usable(const void *p, size_t *usable)
{
    np_heap_block blk;
    if (!np_heap_maybe_sampled(p) || !np_heaptab_block(p, &blk))
        return false;
    *usable = blk.usable;
    return true;
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (in_boot(p))
        return ((size_t *)p)[-2];
    size_t usable;
    if (sampled_usable(p, &usable))
        return usable;
    return ready() && NEXT(usable_size) ? NEXT(usable_size)(p) : 0;
}

/* jemalloc's and tcmalloc's own size queries and frees, for a program that links one and mixes
 * them with malloc: a sampled block is answered or freed here, any other goes on to them. */
EXPORT size_t sallocx(const void *p, int flags)
{
    size_t usable;
    if (sampled_usable(p, &usable))
        return usable;
    return NEXT(sallocx) ? NEXT(sallocx)(p, flags) : malloc_usable_size((void *)p);
}

EXPORT size_t tc_malloc_size(void *p)
{
    size_t usable;
    if (sampled_usable(p, &usable))
        return usable;
    return NEXT(tc_malloc_size) ? NEXT(tc_malloc_size)(p) : malloc_usable_size(p);
}

EXPORT void dallocx(void *p, int flags)
{
    if (np_heap_maybe_sampled(p) || !NEXT(dallocx))
        return free(p);
    NEXT(dallocx)(p, flags);
}

EXPORT void sdallocx(void *p, size_t size, int flags)
{
    if (np_heap_maybe_sampled(p) || !NEXT(sdallocx))
        return free(p);
    NEXT(sdallocx)(p, size, flags);
}

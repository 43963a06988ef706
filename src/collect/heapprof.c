/* Turning bucket snapshots into profiles: locations per return address, mappings from the
 * loaded objects, functions and lines from the in-process symbolizer, values unbiased. */
#include "collect/heapprof.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/demangle.h"
#include "core/gz.h"
#include "core/hmap.h"
#include "collect/modules.h"
#include "collect/sampler.h"
#include "core/sym/symbolize.h"

enum { MAX_INLINE = 32 };

static int64_t now_nanos(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void np_heap_snap_take(np_heap_snap *s)
{
    s->n = np_heaptab_snapshot(&s->recs);
    s->time_nanos = now_nanos();
}

void np_heap_snap_free(np_heap_snap *s)
{
    free(s->recs);
    s->recs = NULL;
    s->n = 0;
}

/* What identifies a bucket across snapshots: stacks are immutable and never freed, so the same
 * stack has the same pcs pointer (shared by its buckets of every size). */
typedef struct rec_key {
    const uintptr_t *pcs;
    size_t size;
} rec_key;

void np_heap_snap_subtract(np_heap_snap *s, const np_heap_snap *base)
{
    np_hmap m;
    np_hmap_init(&m, base->n);
    for (size_t i = 0; i < base->n; i++) {
        rec_key k = {base->recs[i].pcs, base->recs[i].size};
        np_hmap_intern(&m, &k, sizeof k, (uint32_t)i, NULL);
    }
    for (size_t i = 0; i < s->n; i++) {
        rec_key k = {s->recs[i].pcs, s->recs[i].size};
        uint32_t j = np_hmap_get(&m, &k, sizeof k);
        if (j == UINT32_MAX)
            continue;
        np_heap_rec *r = &s->recs[i];
        const np_heap_rec *b = &base->recs[j];
        r->est_alloc_objs -= b->est_alloc_objs;
        r->est_free_objs -= b->est_free_objs;
    }
    np_hmap_free(&m);
}

/* Symbolization is deferred until every location of the profile is known, then done one
 * module at a time: a module's symbol tables and debug information are opened, its locations
 * looked up in address order, and everything closed before the next module is opened. The
 * memory that costs at the worst moment (at exit, while the program's own heap is at its
 * largest) is then that of the largest module, not of all of them. */

/* A location whose symbolization is pending, then its frames (first, n in the builder's
 * frames). */
typedef struct pending {
    uint32_t loc, seg;
    uint32_t first, n;
} pending;

/* A frame as the symbolizer gave it, its strings copied (ids in the builder's strings, NP_NONE
 * for NULL) before the module that owned them is closed. */
typedef struct found_frame {
    uint32_t function, file;
    int64_t line, start_line;
} found_frame;

typedef struct builder {
    np_profile *p;
    np_module_seg *segs;
    size_t n_segs;
    uint32_t *seg_mapping; /* segment index -> mapping index, NP_NONE until used */
    np_hmap locs, funcs;
    np_buf key, name;
    pending *pend;
    size_t n_pend, cap_pend;
    found_frame *frames;
    size_t n_frames, cap_frames;
    /* Frame strings, each once: id -> offset of a NUL-terminated copy in str_data. */
    np_hmap str_ids;
    np_buf str_data;
    uint32_t *str_off;
    size_t n_str, cap_str;
    /* location index -> runtime address of its function's start, for the legacy text's
     * "func+0xoff" (profile.proto has no field for it); 0 where unknown. */
    uint64_t *func_start;
    size_t func_start_cap;
} builder;

/* Everything a builder holds besides the profile it made. */
static void builder_release(builder *b)
{
    free(b->pend);
    free(b->frames);
    np_hmap_free(&b->str_ids);
    np_buf_free(&b->str_data);
    free(b->str_off);
    free(b->func_start);
    np_hmap_free(&b->locs);
    np_hmap_free(&b->funcs);
    np_buf_free(&b->key);
    np_buf_free(&b->name);
    np_modules_release(b->segs);
    free(b->seg_mapping);
}

static uint32_t mapping_for(builder *b, const np_module_seg *seg)
{
    size_t si = (size_t)(seg - b->segs);
    if (b->seg_mapping[si] != NP_NONE)
        return b->seg_mapping[si];
    np_mapping *m = np_profile_add_mapping(b->p);
    m->id = b->p->n_mapping;
    m->start = seg->start;
    m->limit = seg->limit;
    m->offset = seg->offset;
    m->file = np_profile_str(b->p, seg->path);
    m->build_id = np_profile_str(b->p, seg->build_id);
    b->seg_mapping[si] = (uint32_t)(b->p->n_mapping - 1);
    return b->seg_mapping[si];
}

static uint32_t function_for(builder *b, const np_sym_frame *f)
{
    const char *sys = f->function ? f->function : "";
    b->key.len = 0;
    np_buf_printf(&b->key, "%s%c%s%c%" PRId64, sys, 0, f->file ? f->file : "", 0, f->start_line);
    bool found;
    uint32_t ix = np_hmap_intern(&b->funcs, b->key.data, b->key.len, (uint32_t)b->p->n_function, &found);
    if (found)
        return ix;
    np_function *fn = np_profile_add_function(b->p);
    fn->id = b->p->n_function;
    fn->system_name = np_profile_str(b->p, sys);
    b->name.len = 0;
    fn->name = np_demangle_simplified(sys, "", &b->name) ? np_profile_strn(b->p, b->name.data, b->name.len)
                                                         : fn->system_name;
    fn->filename = np_profile_str(b->p, f->file);
    fn->start_line = f->start_line;
    return ix;
}

/* The symbol's start moved by the same load bias as the address, so the legacy text can print
 * the offset in the runtime addresses it shows. */
static void remember_func_start(builder *b, uint32_t ix, uint64_t addr, uint64_t file_addr, uint64_t func_start)
{
    if (!func_start)
        return;
    np_grow(&b->func_start, &b->func_start_cap, (size_t)ix + 1, sizeof *b->func_start);
    b->func_start[ix] = addr - (file_addr - func_start);
}

/* One location per distinct return address; the address recorded is the call instruction's
 * (return address - 1), which is also what symbolization looks up, later (symbolize_all). */
static uint32_t location_for(builder *b, uintptr_t ret)
{
    bool found;
    uint32_t ix = np_hmap_intern(&b->locs, &ret, sizeof ret, (uint32_t)b->p->n_location, &found);
    if (found)
        return ix;
    uint64_t addr = ret - 1;
    np_location *l = np_profile_add_location(b->p);
    l->id = b->p->n_location;
    l->address = addr;
    const np_module_seg *seg = np_modules_find(b->segs, b->n_segs, addr);
    if (!seg)
        return ix;
    l->mapping = mapping_for(b, seg);
    *NP_PUSH(b->pend, b->n_pend, b->cap_pend) = (pending){ix, (uint32_t)(seg - b->segs), 0, 0};
    return ix;
}

/* Interns a copy of s among the frame strings; its id, NP_NONE for NULL. */
static uint32_t str_id(builder *b, const char *s)
{
    if (!s)
        return NP_NONE;
    size_t len = strlen(s);
    bool found;
    uint32_t id = np_hmap_intern(&b->str_ids, s, len, (uint32_t)b->n_str, &found);
    if (!found) {
        *NP_PUSH(b->str_off, b->n_str, b->cap_str) = (uint32_t)b->str_data.len;
        np_buf_add(&b->str_data, s, len + 1);
    }
    return id;
}

static const char *str_at(const builder *b, uint32_t id)
{
    return id == NP_NONE ? NULL : b->str_data.data + b->str_off[id];
}

/* Looks up one pending location in its module, keeping what is found. */
static void symbolize_one(builder *b, np_elf *e, pending *pd)
{
    np_location *l = &b->p->location[pd->loc];
    const np_module_seg *seg = &b->segs[pd->seg];
    uint64_t file_addr = np_elf_file_address(e, l->address, seg->start, seg->offset);
    np_sym_frame frames[MAX_INLINE];
    int nf = np_elf_symbolize(e, file_addr, frames, MAX_INLINE);
    if (nf <= 0)
        return;
    pd->first = (uint32_t)b->n_frames;
    pd->n = (uint32_t)nf;
    for (int i = 0; i < nf; i++)
        *NP_PUSH(b->frames, b->n_frames, b->cap_frames) =
            (found_frame){str_id(b, frames[i].function), str_id(b, frames[i].file), frames[i].line, frames[i].start_line};
    np_mapping *m = &b->p->mapping[l->mapping];
    m->has_inline_frames = m->has_inline_frames || nf > 1 || np_elf_has_lines(e);
    remember_func_start(b, pd->loc, l->address, file_addr, frames[0].func_start);
}

/* Module, then address: each module's lookups together and in the order of its code. */
static int by_module(const void *x, const void *y, void *ctx)
{
    const builder *b = ctx;
    const pending *p = x, *q = y;
    int c = p->seg == q->seg ? 0 : strcmp(b->segs[p->seg].path, b->segs[q->seg].path);
    if (c)
        return c;
    uint64_t a = b->p->location[p->loc].address, d = b->p->location[q->loc].address;
    return a < d ? -1 : a > d;
}

static int by_location(const void *x, const void *y)
{
    const pending *p = x, *q = y;
    return p->loc < q->loc ? -1 : p->loc > q->loc;
}

/* The lines of a symbolized location, functions made in location order (as they would be if
 * each location were symbolized when first seen). */
static void add_lines(builder *b, const pending *pd)
{
    np_location *l = &b->p->location[pd->loc];
    l->line = np_arena_alloc(&b->p->arena, (size_t)pd->n * sizeof *l->line);
    l->n_line = pd->n;
    for (uint32_t i = 0; i < pd->n; i++) {
        const found_frame *ff = &b->frames[pd->first + i];
        np_sym_frame f = {str_at(b, ff->function), str_at(b, ff->file), ff->line, ff->start_line, 0};
        l->line[i].func = function_for(b, &f);
        l->line[i].line = f.line;
        np_mapping *m = &b->p->mapping[l->mapping];
        m->has_functions = m->has_functions || f.function;
        m->has_filenames = m->has_filenames || f.file;
        m->has_line_numbers = m->has_line_numbers || f.line;
    }
}

/* Symbolizes every pending location, one module open at a time. */
static void symbolize_all(builder *b)
{
    if (b->n_pend > 1)
        qsort_r(b->pend, b->n_pend, sizeof *b->pend, by_module, b);
    np_elf *e = NULL;
    const char *open_path = NULL;
    for (size_t i = 0; i < b->n_pend; i++) {
        const char *path = b->segs[b->pend[i].seg].path;
        if (!open_path || strcmp(path, open_path) != 0) {
            np_elf_close(e);
            e = NULL;
            open_path = path;
            np_err err;
            if (path[0] == '/' && np_elf_open(path, &e, &err) < 0)
                e = NULL;
        }
        if (e)
            symbolize_one(b, e, &b->pend[i]);
    }
    np_elf_close(e);
    if (b->n_pend > 1)
        qsort(b->pend, b->n_pend, sizeof *b->pend, by_location);
    for (size_t i = 0; i < b->n_pend; i++)
        if (b->pend[i].n)
            add_lines(b, &b->pend[i]);
    /* Everything is in the profile now: give the copies back before it is encoded. */
    b->n_pend = b->n_frames = b->n_str = 0;
    free(b->frames);
    free(b->str_off);
    b->frames = NULL;
    b->str_off = NULL;
    b->cap_frames = b->cap_str = 0;
    np_buf_free(&b->str_data);
    np_hmap_free(&b->str_ids);
    np_hmap_init(&b->str_ids, 16);
}

static int64_t round_est(double v)
{
    return (int64_t)llround(v);
}

np_profile *np_heap_profile(const np_heap_snap *s, bool allocs, int64_t duration_nanos)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.p = np_profile_new();
    np_value_type types[4] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                              {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
    np_profile_set_sample_types(b.p, 4, types);
    b.p->period_type.type = np_profile_str(b.p, "space");
    b.p->period_type.unit = np_profile_str(b.p, "bytes");
    b.p->period = np_sampler_rate();
    b.p->time_nanos = s->time_nanos;
    b.p->duration_nanos = duration_nanos;
    if (allocs)
        b.p->default_sample_type = np_profile_str(b.p, "alloc_space");
    b.segs = np_modules_take(&b.n_segs);
    b.seg_mapping = malloc((b.n_segs + 1) * sizeof *b.seg_mapping);
    for (size_t i = 0; b.seg_mapping && i < b.n_segs; i++)
        b.seg_mapping[i] = NP_NONE;
    /* pprof takes the first mapping as the main binary: make it the program's. */
    if (b.n_segs && b.seg_mapping)
        mapping_for(&b, &b.segs[0]);
    np_hmap_init(&b.locs, 1024);
    np_hmap_init(&b.funcs, 1024);
    np_hmap_init(&b.str_ids, 1024);
    for (size_t i = 0; b.seg_mapping && i < s->n; i++) {
        const np_heap_rec *r = &s->recs[i];
        np_sample *smp = np_profile_add_sample(b.p);
        smp->n_loc = (uint32_t)r->n_pcs;
        smp->loc = np_arena_alloc(&b.p->arena, ((size_t)r->n_pcs + 1) * sizeof *smp->loc);
        for (int k = 0; k < r->n_pcs; k++)
            smp->loc[k] = location_for(&b, r->pcs[k]);
        smp = &b.p->sample[b.p->n_sample - 1];
        smp->value = np_arena_alloc(&b.p->arena, 4 * sizeof *smp->value);
        double size = (double)r->size;
        smp->value[0] = round_est(r->est_alloc_objs);
        smp->value[1] = round_est(r->est_alloc_objs * size);
        smp->value[2] = round_est(r->est_alloc_objs - r->est_free_objs);
        smp->value[3] = round_est((r->est_alloc_objs - r->est_free_objs) * size);
        smp->n_label = 1;
        smp->label = np_arena_alloc(&b.p->arena, sizeof *smp->label);
        smp->label[0] = (np_label){"bytes", "", "", (int64_t)r->size};
    }
    symbolize_all(&b);
    builder_release(&b);
    return b.p;
}

int np_heap_write_proto(np_buf *out, bool allocs, np_err *err)
{
    np_heap_snap s;
    np_heap_snap_take(&s);
    np_profile *p = np_heap_profile(&s, allocs, 0);
    np_buf raw = {0};
    np_profile_encode(p, &raw);
    int rc = np_gzip(raw.data, raw.len, out, err);
    np_buf_free(&raw);
    np_profile_free(p);
    np_heap_snap_free(&s);
    return rc;
}

/* Counts as the legacy text wants them: "sampled" numbers that pprof's unsampling
 * (count / (1 - exp(-size/rate))) turns back into our estimates. For objects sampled the Go
 * way that is the sampled count itself; for large objects, which are always recorded, it is
 * the exact count scaled down so pprof does not inflate it. */
typedef struct text_rec {
    const np_heap_rec *r;
    int64_t inuse_count, inuse_bytes, alloc_count, alloc_bytes;
} text_rec;

static text_rec text_counts(const np_heap_rec *r, int64_t rate)
{
    double p = 1 / np_sample_weight(r->size, rate);
    text_rec t = {r, llround((r->est_alloc_objs - r->est_free_objs) * p), 0, llround(r->est_alloc_objs * p), 0};
    t.inuse_bytes = t.inuse_count * (int64_t)r->size;
    t.alloc_bytes = t.alloc_count * (int64_t)r->size;
    return t;
}

static int by_inuse_desc(const void *a, const void *b)
{
    const text_rec *x = a, *y = b;
    return x->inuse_bytes > y->inuse_bytes ? -1 : x->inuse_bytes < y->inuse_bytes;
}

/* The "#\t0x...\tfunc+0xoff\tfile:line" lines under a record, as Go prints them: the offset is
 * from the start of the function symbol holding the address, the outermost function when the
 * frame was inlined, as Go counts from the entry of the function the code was compiled into.
 * Without a symbol there is no offset to give, and "+0x0" would claim one: it is left out. */
static void text_frames(np_buf *out, builder *b, const np_heap_rec *r)
{
    for (int k = 0; k < r->n_pcs; k++) {
        uint32_t li = location_for(b, r->pcs[k]);
        const np_location *l = &b->p->location[li];
        if (l->n_line == 0) {
            np_buf_printf(out, "#\t%#" PRIx64 "\n", l->address);
            continue;
        }
        const np_line *ln = &l->line[l->n_line - 1];
        const np_function *f = &b->p->function[ln->func];
        np_buf_printf(out, "#\t%#" PRIx64 "\t%s", l->address, f->name);
        uint64_t start = li < b->func_start_cap ? b->func_start[li] : 0;
        if (start)
            np_buf_printf(out, "+%#" PRIx64, l->address - start);
        np_buf_printf(out, "\t%s:%" PRId64 "\n", f->filename[0] ? f->filename : "?", ln->line);
    }
}

void np_heap_write_text(np_buf *out)
{
    np_heap_snap s;
    np_heap_snap_take(&s);
    int64_t rate = np_sampler_rate();
    text_rec *tr = malloc((s.n + 1) * sizeof *tr);
    int64_t io = 0, ib = 0, ao = 0, ab = 0;
    for (size_t i = 0; tr && i < s.n; i++) {
        tr[i] = text_counts(&s.recs[i], rate);
        io += tr[i].inuse_count;
        ib += tr[i].inuse_bytes;
        ao += tr[i].alloc_count;
        ab += tr[i].alloc_bytes;
    }
    if (tr)
        qsort(tr, s.n, sizeof *tr, by_inuse_desc);
    /* Go writes twice the sampling rate after "heap/": pprof halves it back. */
    np_buf_printf(out, "heap profile: %" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "] @ heap/%" PRId64 "\n",
                  io, ib, ao, ab, 2 * rate);
    builder b;
    memset(&b, 0, sizeof b);
    b.p = np_profile_new();
    b.segs = np_modules_take(&b.n_segs);
    b.seg_mapping = malloc((b.n_segs + 1) * sizeof *b.seg_mapping);
    for (size_t i = 0; b.seg_mapping && i < b.n_segs; i++)
        b.seg_mapping[i] = NP_NONE;
    np_hmap_init(&b.locs, 1024);
    np_hmap_init(&b.funcs, 1024);
    np_hmap_init(&b.str_ids, 1024);
    /* Every location first, so they are symbolized together, module by module. */
    for (size_t i = 0; tr && b.seg_mapping && i < s.n; i++)
        for (int k = 0; k < tr[i].r->n_pcs; k++)
            location_for(&b, tr[i].r->pcs[k]);
    symbolize_all(&b);
    for (size_t i = 0; tr && b.seg_mapping && i < s.n; i++) {
        const np_heap_rec *r = tr[i].r;
        np_buf_printf(out, "%" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "] @", tr[i].inuse_count,
                      tr[i].inuse_bytes, tr[i].alloc_count, tr[i].alloc_bytes);
        for (int k = 0; k < r->n_pcs; k++)
            np_buf_printf(out, " %#" PRIxPTR, r->pcs[k]);
        np_buf_putc(out, '\n');
        text_frames(out, &b, r);
        np_buf_putc(out, '\n');
    }
    /* The memory map lets pprof symbolize the addresses from the binaries on this machine. */
    np_buf_puts(out, "\nMAPPED_LIBRARIES:\n");
    np_buf maps = {0};
    np_err err;
    if (np_read_file("/proc/self/maps", &maps, &err) == 0)
        np_buf_add(out, maps.data, maps.len);
    np_buf_free(&maps);
    builder_release(&b);
    np_profile_free(b.p);
    free(tr);
    np_heap_snap_free(&s);
}

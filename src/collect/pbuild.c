/* The one profile builder of every kind the collector serves: samples from stacks of return
 * addresses, one location per address, mappings from the loaded objects, functions and lines
 * from the in-process symbolizer, which runs once every location is known. */
#include "collect/pbuild.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/demangle.h"
#include "core/hmap.h"
#include "core/version.h"
#include "collect/cconfig.h"
#include "collect/modules.h"
#include "collect/symcache.h"
#include "core/sym/symbolize.h"

enum { MAX_INLINE = 32 };

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

struct np_pbuild {
    np_profile *p;
    np_module_seg *segs; /* the live objects' segments, then those of unloaded ones */
    size_t n_segs, n_live;
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
};

/* Everything a builder holds besides the profile it made. */
static void release(np_pbuild *b)
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

static uint32_t mapping_for(np_pbuild *b, const np_module_seg *seg)
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

static uint32_t function_for(np_pbuild *b, const np_sym_frame *f)
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
static void remember_func_start(np_pbuild *b, uint32_t ix, uint64_t addr, uint64_t file_addr, uint64_t func_start)
{
    if (!func_start)
        return;
    np_grow(&b->func_start, &b->func_start_cap, (size_t)ix + 1, sizeof *b->func_start);
    b->func_start[ix] = addr - (file_addr - func_start);
}

/* One location per distinct return address; the address recorded is the call instruction's
 * (return address - 1), which is also what symbolization looks up, later (symbolize_all). */
static uint32_t location_for(np_pbuild *b, uintptr_t ret)
{
    bool found;
    uint32_t ix = np_hmap_intern(&b->locs, &ret, sizeof ret, (uint32_t)b->p->n_location, &found);
    if (found)
        return ix;
    uint64_t addr = ret - 1;
    np_location *l = np_profile_add_location(b->p);
    l->id = b->p->n_location;
    l->address = addr;
    const np_module_seg *seg = np_modules_find(b->segs, b->n_live, addr);
    if (!seg)
        seg = np_modules_find_retired(b->segs + b->n_live, b->n_segs - b->n_live, addr);
    if (!seg)
        return ix;
    l->mapping = mapping_for(b, seg);
    *NP_PUSH(b->pend, b->n_pend, b->cap_pend) = (pending){ix, (uint32_t)(seg - b->segs), 0, 0};
    return ix;
}

/* Interns a copy of s among the frame strings; its id, NP_NONE for NULL. */
static uint32_t str_id(np_pbuild *b, const char *s)
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

static const char *str_at(const np_pbuild *b, uint32_t id)
{
    return id == NP_NONE ? NULL : b->str_data.data + b->str_off[id];
}

/* What the cache knows an address by: its offset in its object's file, the same wherever the
 * object was loaded (the object itself is named by its build ID). */
static uint64_t cache_key(const np_pbuild *b, const pending *pd)
{
    const np_module_seg *seg = &b->segs[pd->seg];
    return seg->offset + (b->p->location[pd->loc].address - seg->start);
}

/* Keeps the frames found for a pending location: their strings copied, the mapping's flags. */
static void keep_frames(np_pbuild *b, pending *pd, uint64_t file_addr, const np_sym_frame *frames, int nf,
                        bool has_lines)
{
    if (nf <= 0)
        return;
    np_location *l = &b->p->location[pd->loc];
    pd->first = (uint32_t)b->n_frames;
    pd->n = (uint32_t)nf;
    for (int i = 0; i < nf; i++)
        *NP_PUSH(b->frames, b->n_frames, b->cap_frames) =
            (found_frame){str_id(b, frames[i].function), str_id(b, frames[i].file), frames[i].line, frames[i].start_line};
    np_mapping *m = &b->p->mapping[l->mapping];
    m->has_inline_frames = m->has_inline_frames || nf > 1 || has_lines;
    remember_func_start(b, pd->loc, l->address, file_addr, frames[0].func_start);
}

/* Looks up one pending location in its module, keeping what is found, in the cache too. */
static void symbolize_one(np_pbuild *b, np_elf *e, pending *pd)
{
    np_location *l = &b->p->location[pd->loc];
    const np_module_seg *seg = &b->segs[pd->seg];
    uint64_t file_addr = np_elf_file_address(e, l->address, seg->start, seg->offset);
    np_sym_frame frames[MAX_INLINE];
    int nf = np_elf_symbolize(e, file_addr, frames, MAX_INLINE);
    bool has_lines = np_elf_has_lines(e);
    keep_frames(b, pd, file_addr, frames, nf, has_lines);
    np_symcache_hit hit = {file_addr, has_lines};
    np_symcache_lock();
    np_symcache_put(seg->build_id, cache_key(b, pd), frames, nf, &hit);
    np_symcache_unlock();
}

/* A location found in the cache (then done: true), with what an earlier profile found. */
static bool from_cache(np_pbuild *b, pending *pd)
{
    const np_module_seg *seg = &b->segs[pd->seg];
    np_sym_frame frames[MAX_INLINE];
    np_symcache_hit hit;
    np_symcache_lock();
    int nf = np_symcache_get(seg->build_id, cache_key(b, pd), frames, MAX_INLINE, &hit);
    if (nf >= 0)
        keep_frames(b, pd, hit.file_addr, frames, nf, hit.has_lines);
    np_symcache_unlock();
    return nf >= 0;
}

/* Module, then address: each module's lookups together and in the order of its code. */
static int by_module(const void *x, const void *y, void *ctx)
{
    const np_pbuild *b = ctx;
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
static void add_lines(np_pbuild *b, const pending *pd)
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
static void symbolize_all(np_pbuild *b)
{
    if (np_cfg.no_symbolize)
        b->n_pend = 0; /* addresses only: the cheap scrape NPROF_SYMBOLIZE=0 asks for */
    if (b->n_pend > 1)
        qsort_r(b->pend, b->n_pend, sizeof *b->pend, by_module, b);
    np_elf *e = NULL;
    const char *open_path = NULL;
    for (size_t i = 0; i < b->n_pend; i++) {
        if (from_cache(b, &b->pend[i]))
            continue;
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

/* What a stack's frame k is located by: a return address, whose call instruction is the byte
 * before it; the leaf of an interrupted thread is the instruction itself, located as if it
 * were the return address after it. */
static uintptr_t key_of(const uintptr_t *pcs, int k, bool leaf_exact)
{
    return k == 0 && leaf_exact ? pcs[0] + 1 : pcs[k];
}

np_pbuild *np_pbuild_new(const np_value_type *types, size_t n_types, const char *period_type,
                         const char *period_unit, int64_t period)
{
    np_pbuild *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->p = np_profile_new();
    np_profile_set_sample_types(b->p, n_types, types);
    b->p->period_type.type = np_profile_str(b->p, period_type);
    b->p->period_type.unit = np_profile_str(b->p, period_unit);
    b->p->period = period;
    /* Which library wrote the profile, for whoever reads it later. A comment starting with '#'
     * stays out of the reports' headers (pprof's rule), so reports are unchanged; -comments
     * shows it. */
    np_profile_add_comment(b->p, "# written by libnprof " NP_VERSION);
    b->segs = np_modules_take(&b->n_live);
    b->n_segs = b->segs ? np_modules_add_retired(b->segs, b->n_live, NP_MAX_SEGS) : 0;
    b->seg_mapping = malloc((b->n_segs + 1) * sizeof *b->seg_mapping);
    if (!b->seg_mapping) {
        np_pbuild_free(b);
        return NULL;
    }
    for (size_t i = 0; i < b->n_segs; i++)
        b->seg_mapping[i] = NP_NONE;
    /* pprof takes the first mapping as the main binary: make it the program's. */
    if (b->n_segs)
        mapping_for(b, &b->segs[0]);
    np_hmap_init(&b->locs, 1024);
    np_hmap_init(&b->funcs, 1024);
    np_hmap_init(&b->str_ids, 1024);
    return b;
}

np_profile *np_pbuild_profile(np_pbuild *b)
{
    return b->p;
}

np_sample *np_pbuild_sample(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, const int64_t *values)
{
    np_profile *p = b->p;
    uint32_t *loc = np_arena_alloc(&p->arena, ((size_t)n + 1) * sizeof *loc);
    for (int k = 0; k < n; k++)
        loc[k] = location_for(b, key_of(pcs, k, leaf_exact));
    np_sample *s = np_profile_add_sample(p);
    s->loc = loc;
    s->n_loc = (uint32_t)n;
    s->value = np_arena_alloc(&p->arena, (p->n_sample_type + 1) * sizeof *s->value);
    memcpy(s->value, values, p->n_sample_type * sizeof *s->value);
    return s;
}

void np_pbuild_label(np_pbuild *b, np_sample *s, const char *key, const char *str, int64_t num,
                     const char *num_unit)
{
    np_profile *p = b->p;
    np_label *l = np_arena_alloc(&p->arena, (s->n_label + 1) * sizeof *l);
    if (s->n_label)
        memcpy(l, s->label, s->n_label * sizeof *l);
    l[s->n_label++] = (np_label){np_profile_str(p, key), np_profile_str(p, str ? str : ""),
                                 np_profile_str(p, num_unit ? num_unit : ""), num};
    s->label = l;
}

void np_pbuild_locate(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact)
{
    for (int k = 0; k < n; k++)
        location_for(b, key_of(pcs, k, leaf_exact));
}

void np_pbuild_symbolize(np_pbuild *b)
{
    symbolize_all(b);
}

np_profile *np_pbuild_finish(np_pbuild *b)
{
    symbolize_all(b);
    np_profile *p = b->p;
    release(b);
    free(b);
    return p;
}

void np_pbuild_free(np_pbuild *b)
{
    if (!b)
        return;
    np_profile_free(b->p);
    release(b);
    free(b);
}

/* Calls put for every frame of a stack with its location, the runtime address of its
 * function's start (0 where unknown) and its pc. */
typedef void frame_printer(np_pbuild *b, const np_location *l, uint64_t start, uintptr_t pc, np_buf *out);
static void each_frame(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, frame_printer *put, np_buf *out)
{
    for (int k = 0; k < n; k++) {
        uint32_t li = location_for(b, key_of(pcs, k, leaf_exact));
        put(b, &b->p->location[li], li < b->func_start_cap ? b->func_start[li] : 0, pcs[k], out);
    }
}

/* The "#\t0x...\tfunc+0xoff\tfile:line" lines under a record, as Go prints them: the offset is
 * from the start of the function symbol holding the address, the outermost function when the
 * frame was inlined, as Go counts from the entry of the function the code was compiled into.
 * Without a symbol there is no offset to give, and "+0x0" would claim one: it is left out. */
static void put_text(np_pbuild *b, const np_location *l, uint64_t start, uintptr_t pc, np_buf *out)
{
    (void)pc;
    if (l->n_line == 0) {
        np_buf_printf(out, "#\t%#" PRIx64 "\n", l->address);
        return;
    }
    const np_line *ln = &l->line[l->n_line - 1];
    const np_function *f = &b->p->function[ln->func];
    np_buf_printf(out, "#\t%#" PRIx64 "\t%s", l->address, f->name);
    if (start)
        np_buf_printf(out, "+%#" PRIx64, l->address - start);
    np_buf_printf(out, "\t%s:%" PRId64 "\n", f->filename[0] ? f->filename : "?", ln->line);
}

void np_pbuild_frames_text(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, np_buf *out)
{
    each_frame(b, pcs, n, leaf_exact, put_text, out);
}

/* Go's traceback lines for a stack: "func(...)" then "\tfile:line", the outermost function of a
 * location (the one the code was compiled into) with " +0xoff", its pc (the return address of a
 * caller) from its entry, as Go prints goroutine?debug=2. C does not say how many arguments a
 * frame has: "(...)" for every one. */
static void put_go(np_pbuild *b, const np_location *l, uint64_t start, uintptr_t pc, np_buf *out)
{
    if (l->n_line == 0) {
        np_buf_printf(out, "?(...)\n\t?:0 pc=%#" PRIx64 "\n", l->address);
        return;
    }
    for (uint32_t i = 0; i < l->n_line; i++) {
        const np_function *f = &b->p->function[l->line[i].func];
        np_buf_printf(out, "%s(...)\n\t%s:%" PRId64, f->name[0] ? f->name : "?", f->filename[0] ? f->filename : "?",
                      l->line[i].line);
        if (i + 1 == l->n_line && start)
            np_buf_printf(out, " +%#" PRIx64, (uint64_t)pc - start);
        np_buf_putc(out, '\n');
    }
}

void np_pbuild_frames_go(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, np_buf *out)
{
    each_frame(b, pcs, n, leaf_exact, put_go, out);
}

void np_pbuild_record_text(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, np_buf *out)
{
    np_buf_puts(out, " @");
    for (int k = 0; k < n; k++)
        np_buf_printf(out, " %#" PRIxPTR, pcs[k]);
    np_buf_putc(out, '\n');
    np_pbuild_frames_text(b, pcs, n, leaf_exact, out);
    np_buf_putc(out, '\n');
}

void np_pbuild_maps_text(np_buf *out, const char *sentinel)
{
    np_buf_printf(out, "\n%s\n", sentinel);
    np_buf maps = {0};
    np_err err;
    if (np_read_file("/proc/self/maps", &maps, &err) == 0)
        np_buf_add(out, maps.data, maps.len);
    np_buf_free(&maps);
}

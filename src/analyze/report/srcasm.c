/* -weblist's model at address granularity, as pprof's sourcePrinter: the sampled addresses of
 * matching functions, the code around them disassembled, each instruction placed on the source
 * lines of the matching functions it belongs to (inlined callers included), values summed. */
#include "analyze/report/srcasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/binfind.h"
#include "analyze/pathutil.h"
#include "analyze/report/objdump.h"
#include "analyze/report/source.h"
#include "analyze/symstep.h"
#include "core/sym/symbolize.h"
#include "core/util.h"

#define MAX_FRAMES 32
#define EXPAND 500     /* bytes disassembled around sampled addresses */
#define MAX_RANGES 25  /* the ranges of most flat value kept */
#define NEIGHBORHOOD 32 /* an instruction without a line takes its predecessor's this close */

typedef struct frame {
    const char *func, *file;
    int64_t line;
} frame;

typedef struct addr_val {
    uint64_t addr;
    int64_t flat, cum;
} addr_val;

typedef struct want { /* an address of interest and the location it came from */
    uint64_t addr;
    uint32_t loc;
} want;

typedef struct range {
    uint64_t begin, end;
    uint32_t mapping;
    int64_t score;
} range;

typedef struct entry { /* an instruction under one source line */
    const char *file, *func;
    int64_t line;
    size_t inst, seq;
    np_srcasm_call *calls;
    size_t n_calls;
} entry;

typedef struct pretty {
    const char *sys, *name;
} pretty;

typedef struct walk {
    np_report *r;
    np_arena a;
    addr_val *vals;
    size_t n_vals, cap_vals;
    want *wants;
    size_t n_wants, cap_wants;
    const char **interest;
    size_t n_interest, cap_interest;
    pretty *pretty;
    size_t n_pretty, cap_pretty;
    np_srcasm_inst *insts;
    size_t n_insts, cap_insts;
    entry *entries;
    size_t n_entries, cap_entries;
    np_elf **elf; /* per mapping, NULL when it cannot be opened */
    bool *opened;
    np_buf *notes;
    np_source_cache src;
    const char *search;
    uint64_t synth_base;
} walk;

static bool interesting(const walk *w, const char *name)
{
    return name && bsearch(&name, w->interest, w->n_interest, sizeof *w->interest, np_cmp_strptr);
}

static int64_t sample_value(const np_report *r, const np_sample *s)
{
    int64_t v = s->value[r->value_index];
    if (r->mean_index >= 0 && s->value[r->mean_index] != 0)
        v /= s->value[r->mean_index];
    return v;
}

static const np_function *line_func(const np_profile *p, const np_line *ln)
{
    return ln->func == NP_NONE ? NULL : &p->function[ln->func];
}

static void mark(walk *w, uint64_t addr, uint32_t loc, const np_line *ln)
{
    const np_function *f = line_func(w->r->p, ln);
    if (!f)
        return;
    *NP_PUSH(w->interest, w->n_interest, w->cap_interest) = f->name;
    *NP_PUSH(w->interest, w->n_interest, w->cap_interest) = f->system_name;
    *NP_PUSH(w->wants, w->n_wants, w->cap_wants) = (want){addr, loc};
}

static bool line_matches(const walk *w, const np_line *ln)
{
    const np_function *f = line_func(w->r->p, ln);
    const np_regex *re = w->r->symbol;
    return f && (np_regex_match(re, f->name) || np_regex_match(re, f->system_name) || np_regex_match(re, f->filename));
}

/* One location of a sample: its values, and interest when a frame of it matches. */
static void take_location(walk *w, uint32_t li, bool leaf, int64_t v, const uint64_t *address)
{
    const np_profile *p = w->r->p;
    const np_location *loc = &p->location[li];
    for (uint32_t j = 0; j < loc->n_line; j++) {
        const np_function *f = line_func(p, &loc->line[j]);
        if (f)
            *NP_PUSH(w->pretty, w->n_pretty, w->cap_pretty) = (pretty){f->system_name, f->name};
    }
    uint64_t addr = loc->address ? loc->address : w->synth_base + li; /* pprof's synthCode */
    *NP_PUSH(w->vals, w->n_vals, w->cap_vals) = (addr_val){addr, leaf ? v : 0, v};
    if (address && addr == *address) {
        if (loc->n_line)
            mark(w, addr, li, &loc->line[loc->n_line - 1]);
        return;
    }
    bool match_file = loc->mapping != NP_NONE && np_regex_match(w->r->symbol, p->mapping[loc->mapping].file);
    for (uint32_t j = 0; j < loc->n_line; j++)
        if ((j == 0 && match_file) || line_matches(w, &loc->line[j]))
            mark(w, addr, li, &loc->line[j]);
}

static int by_addr(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; /* addr leads each struct */
    return (x > y) - (x < y);
}

static int by_sys(const void *a, const void *b)
{
    return strcmp(((const pretty *)a)->sys, ((const pretty *)b)->sys);
}

/* Sorts the values by address, one entry each; the wants by address, one each. */
static void settle(walk *w)
{
    qsort(w->vals, w->n_vals, sizeof *w->vals, by_addr);
    size_t k = 0;
    for (size_t i = 0; i < w->n_vals; i++) {
        if (k && w->vals[k - 1].addr == w->vals[i].addr) {
            w->vals[k - 1].flat += w->vals[i].flat;
            w->vals[k - 1].cum += w->vals[i].cum;
        } else
            w->vals[k++] = w->vals[i];
    }
    w->n_vals = k;
    qsort(w->wants, w->n_wants, sizeof *w->wants, by_addr);
    k = 0;
    for (size_t i = 0; i < w->n_wants; i++)
        if (!k || w->wants[k - 1].addr != w->wants[i].addr)
            w->wants[k++] = w->wants[i];
    w->n_wants = k;
    qsort(w->interest, w->n_interest, sizeof *w->interest, np_cmp_strptr);
    qsort(w->pretty, w->n_pretty, sizeof *w->pretty, by_sys);
}

static void collect(walk *w, const uint64_t *address)
{
    const np_profile *p = w->r->p;
    for (size_t i = 0; i < p->n_mapping; i++)
        if (p->mapping[i].limit >= w->synth_base)
            w->synth_base = p->mapping[i].limit + 1;
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        int64_t v = sample_value(w->r, s);
        for (uint32_t k = s->n_loc; k-- > 0;)
            take_location(w, s->loc[k], k == 0, v, address);
    }
    settle(w);
}

/* The binary of mapping mi, opened once; a failure is noted once. */
static np_elf *elf_of(walk *w, uint32_t mi)
{
    if (mi == NP_NONE)
        return NULL;
    if (w->opened[mi])
        return w->elf[mi];
    w->opened[mi] = true;
    const np_mapping *m = &w->r->p->mapping[mi];
    if (!m->file[0] || np_symstep_unsymbolizable(m))
        return NULL;
    w->elf[mi] = np_binfind_open(m);
    np_err err;
    np_elf *e;
    if (!w->elf[mi] && np_elf_open(m->file, &e, &err) < 0)
        np_buf_printf(w->notes, "%s: source lines only\n", err.msg);
    else if (!w->elf[mi])
        np_elf_close(e);
    return w->elf[mi];
}

static const char *place_str(walk *w, const char *s)
{
    return np_arena_strdup(&w->a, s ? s : "");
}

/* pprof's canonicalizeFileName. */
static const char *canonical(walk *w, const char *f)
{
    if (strncmp(f, "/proc/self/cwd/", 15) == 0)
        f += 15;
    if (strncmp(f, "./", 2) == 0)
        f += 2;
    return np_path_clean_arena(&w->a, f);
}

static const char *source_line(walk *w, const char *file, int64_t line, bool *ok)
{
    np_source_file *sf = np_source_get(&w->src, file, w->search, w->r->trim_path);
    *ok = line > 0 && (size_t)line < sf->n_lines;
    return *ok ? np_arena_strndup(&w->a, sf->text.data + sf->off[line], sf->len[line]) : "";
}

/* pprof's addStack: inst goes under each frame of a function of interest. */
static void add_stack(walk *w, size_t inst, const frame *fr, int n)
{
    for (int i = 0; i < n; i++) {
        if (!interesting(w, fr[i].func))
            continue;
        entry *e = NP_PUSH(w->entries, w->n_entries, w->cap_entries);
        *e = (entry){canonical(w, fr[i].file), fr[i].func, fr[i].line, inst, w->n_entries, NULL, (size_t)i};
        e->calls = np_arena_alloc(&w->a, (size_t)(i ? i : 1) * sizeof *e->calls);
        for (int j = i - 1, k = 0; j >= 0; j--, k++) {
            bool ok;
            e->calls[k] = (np_srcasm_call){fr[j].file, source_line(w, fr[j].file, fr[j].line, &ok), fr[j].line};
        }
    }
}

/* The frames of a file address, innermost first: Go's line table for a Go binary (as go tool
 * pprof), else DWARF with inlined calls (as addr2line). */
static int frames_of(walk *w, np_elf *e, uint64_t fa, frame *fr)
{
    const np_gopcln *go = np_elf_gopcln(e);
    const char *func, *file;
    int64_t line;
    if (go && np_gopcln_lookup(go, fa, &func, &file, &line)) {
        fr[0] = (frame){place_str(w, func), place_str(w, file), line};
        return 1;
    }
    np_sym_frame sf[MAX_FRAMES];
    int n = np_elf_symbolize(e, fa, sf, MAX_FRAMES);
    for (int i = 0; i < n; i++)
        fr[i] = (frame){place_str(w, sf[i].function), place_str(w, sf[i].file), sf[i].line};
    return n;
}

static size_t push_inst(walk *w, np_srcasm_inst in)
{
    *NP_PUSH(w->insts, w->n_insts, w->cap_insts) = in;
    return w->n_insts - 1;
}

/* One disassembled range: each instruction recorded and placed (pprof's expandAddresses). */
static void take_listing(walk *w, np_elf *e, uint64_t base, const np_objdump *d)
{
    frame fr[MAX_FRAMES], last[MAX_FRAMES];
    int n_last = 0;
    uint64_t last_addr = 0, max_addr = 0;
    const char *last_fn = "";
    for (size_t i = 0; i < d->n; i++) {
        const np_objdump_inst *in = &d->v[i];
        uint64_t addr = in->addr + base;
        if (addr <= max_addr)
            continue;
        max_addr = addr;
        uint64_t len = i + 1 < d->n && d->v[i + 1].addr > in->addr ? d->v[i + 1].addr - in->addr : 1;
        int n = frames_of(w, e, in->addr, fr);
        if (n == 0)
            fr[0] = (frame){in->function, in->file, in->line}, n = 1;
        size_t k = push_inst(w, (np_srcasm_inst){addr, in->addr, len, place_str(w, in->text), fr[0].file, fr[0].line, 0, 0});
        /* pprof also lends a line across a symbol's end (into another section's code, say):
         * not here, where objdump names another function or none. */
        if (fr[0].line != 0) {
            memcpy(last, fr, (size_t)n * sizeof *fr);
            n_last = n, last_addr = addr, last_fn = in->function;
        } else if (addr - last_addr <= NEIGHBORHOOD && n_last && strcmp(last_fn, in->function) == 0) {
            memcpy(fr, last, (size_t)n_last * sizeof *fr);
            n = n_last;
        }
        add_stack(w, k, fr, n);
    }
}

/* An address whose code cannot be shown: its place from the profile's own frames. */
static void take_unshown(walk *w, const want *wt)
{
    const np_profile *p = w->r->p;
    const np_location *loc = &p->location[wt->loc];
    frame fr[MAX_FRAMES];
    int n = 0;
    for (uint32_t j = 0; j < loc->n_line && n < MAX_FRAMES; j++) {
        const np_function *f = line_func(p, &loc->line[j]);
        if (f)
            fr[n++] = (frame){f->name, f->filename, loc->line[j].line};
    }
    size_t k = push_inst(w, (np_srcasm_inst){wt->addr, wt->addr, 1, NULL, n ? fr[0].file : "", n ? fr[0].line : 0, 0, 0});
    add_stack(w, k, fr, n);
}

static int by_score(const void *a, const void *b)
{
    const range *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

static int64_t flat_at(const walk *w, uint64_t addr)
{
    const addr_val *v = bsearch(&addr, w->vals, w->n_vals, sizeof *w->vals, by_addr);
    return v ? v->flat : 0;
}

/* pprof's splitIntoRanges: wants without a binary are placed from the profile's frames; the
 * others, grouped when close, are widened by EXPAND within the mapping (pprof's unsigned check
 * lets the start go below it), and the MAX_RANGES of most flat value kept. */
static range *split_ranges(walk *w, size_t *nr)
{
    range *v = NULL;
    size_t n = 0, cap = 0, k = 0;
    const np_profile *p = w->r->p;
    for (size_t i = 0; i < w->n_wants; i++)
        if (elf_of(w, p->location[w->wants[i].loc].mapping))
            w->wants[k++] = w->wants[i];
        else
            take_unshown(w, &w->wants[i]);
    for (size_t i = 0; i < k;) {
        uint32_t mi = p->location[w->wants[i].loc].mapping;
        const np_mapping *m = &p->mapping[mi];
        range rg = {w->wants[i].addr, w->wants[i].addr, mi, flat_at(w, w->wants[i].addr)};
        for (i++; i < k && w->wants[i].addr <= rg.end + 2 * EXPAND && w->wants[i].addr < m->limit; i++) {
            rg.end = w->wants[i].addr;
            rg.score += flat_at(w, rg.end);
        }
        rg.begin = rg.begin != m->start && rg.begin >= EXPAND ? rg.begin - EXPAND : rg.begin;
        rg.end = m->limit - rg.end >= EXPAND ? rg.end + EXPAND : m->limit;
        *NP_PUSH(v, n, cap) = rg;
    }
    w->n_wants = k;
    if (n)
        qsort(v, n, sizeof *v, by_score);
    *nr = n < MAX_RANGES ? n : MAX_RANGES;
    return v;
}

/* The ranges of one mapping through objdump; when it cannot run, their wants are unshown. */
static void disassemble_mapping(walk *w, range *v, size_t n, uint32_t mi)
{
    const np_mapping *m = &w->r->p->mapping[mi];
    np_elf *e = w->elf[mi];
    np_objdump_range *rs = np_xcalloc(n, sizeof *rs);
    np_objdump *lists = np_xcalloc(n, sizeof *lists);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].mapping != mi)
            continue;
        /* below the mapping there is nothing of this file to show (and a PIE's file address
         * would wrap) */
        v[i].begin = v[i].begin < m->start ? m->start : v[i].begin;
        v[i].end = v[i].end < v[i].begin ? v[i].begin : v[i].end;
        uint64_t start = np_elf_file_address(e, v[i].begin, m->start, m->offset);
        rs[k] = (np_objdump_range){start, start + (v[i].end - v[i].begin), &lists[k]};
        k++;
    }
    np_err err;
    bool ok = np_objdump_run_ranges(m->file, rs, k, w->r->intel_syntax, &err) == 0;
    if (!ok)
        np_buf_printf(w->notes, "%s: source lines only\n", err.msg);
    for (size_t i = 0, j = 0; i < n; i++) {
        if (v[i].mapping != mi)
            continue;
        if (ok)
            take_listing(w, e, v[i].begin - rs[j].start, &lists[j]);
        for (size_t a = 0; !ok && a < w->n_wants; a++)
            if (w->wants[a].addr >= v[i].begin && w->wants[a].addr <= v[i].end)
                take_unshown(w, &w->wants[a]);
        np_objdump_free(&lists[j++]);
    }
    free(rs);
    free(lists);
}

static void disassemble(walk *w, range *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = v[j].mapping != v[i].mapping;
        if (first)
            disassemble_mapping(w, v, n, v[i].mapping);
    }
}

/* pprof's initSamples: an instruction takes the values of every address it covers. */
static void add_values(walk *w)
{
    for (size_t i = 0; i < w->n_insts; i++) {
        np_srcasm_inst *in = &w->insts[i];
        size_t lo = 0, hi = w->n_vals;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (w->vals[mid].addr < in->addr)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < w->n_vals && w->vals[lo].addr - in->addr < in->length; lo++)
            in->flat += w->vals[lo].flat, in->cum += w->vals[lo].cum;
    }
}

static int by_place(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static const char *pretty_name(const walk *w, const char *name)
{
    pretty key = {name, NULL};
    const pretty *p = bsearch(&key, w->pretty, w->n_pretty, sizeof *w->pretty, by_sys);
    return p ? p->name : name;
}

typedef struct span { /* a function's run of lines in one file, [begin, end) */
    const char *name;
    int64_t begin, end, flat, cum;
} span;

/* pprof's functions: the file's lines (entries e[0, n), sorted) as runs per function, lines
 * less than MERGE apart joined, then widened by up to WIDEN lines. */
#define MERGE 20
#define WIDEN 5
static span *functions(const walk *w, const entry *e, size_t n, size_t *nf)
{
    span *v = NULL;
    size_t k = 0, cap = 0;
    for (size_t i = 0, j; i < n; i = j) {
        span f = {pretty_name(w, e[i].func), e[i].line, e[i].line + 1, 0, 0};
        for (j = i; j < n && e[j].line == e[i].line; j++)
            f.flat += w->insts[e[j].inst].flat, f.cum += w->insts[e[j].inst].cum;
        span *last = k ? &v[k - 1] : NULL;
        if (last && f.begin - last->end < MERGE && strcmp(last->name, f.name) == 0) {
            last->end = f.end, last->flat += f.flat, last->cum += f.cum;
            continue;
        }
        *NP_PUSH(v, k, cap) = f;
    }
    for (size_t i = 0; i < k; i++) {
        if (i == 0) {
            v[i].begin = v[i].begin > WIDEN ? v[i].begin - WIDEN : v[i].begin > 1 ? 1 : v[i].begin;
            continue;
        }
        int64_t half = (v[i].begin - v[i - 1].end) / 2;
        half = half > WIDEN ? WIDEN : half;
        v[i - 1].end += half;
        v[i].begin -= half;
    }
    if (k)
        v[k - 1].end += WIDEN;
    *nf = k;
    return v;
}

/* One source line of f with the instructions e[0, n) under it. */
static void print_line(walk *w, const np_srcasm_sink *sink, const char *file, int64_t l, const entry *e, size_t n)
{
    bool ok;
    const char *text = source_line(w, file, l, &ok);
    if (!ok && n == 0)
        return;
    if (!ok)
        text = l == 0 ? "<instructions with unknown line numbers>" : "???";
    np_srcasm_use *u = np_xcalloc(n ? n : 1, sizeof *u);
    int64_t flat = 0, cum = 0;
    const np_srcasm_inst *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const np_srcasm_inst *in = &w->insts[e[i].inst];
        flat += in->flat, cum += in->cum;
        u[i] = (np_srcasm_use){in, e[i].calls, e[i].n_calls, in->addr != (prev ? prev->addr + prev->length : 0)};
        prev = in;
    }
    sink->line(sink->ctx, l, flat, cum, text, strlen(text), u, n);
    free(u);
}

static void print_file(walk *w, const np_srcasm_sink *sink, const entry *e, size_t n)
{
    size_t nf;
    span *f = functions(w, e, n, &nf);
    for (size_t i = 0; i < nf; i++) {
        if (f[i].cum == 0)
            continue;
        sink->function(sink->ctx, f[i].name, e[0].file, f[i].flat, f[i].cum);
        size_t k = 0;
        for (int64_t l = f[i].begin; l < f[i].end; l++) {
            while (k < n && e[k].line < l)
                k++;
            size_t j = k;
            while (j < n && e[j].line == l)
                j++;
            print_line(w, sink, e[0].file, l, e + k, j - k);
        }
    }
    free(f);
}

static void print_files(walk *w, const np_srcasm_sink *sink)
{
    if (w->n_entries)
        qsort(w->entries, w->n_entries, sizeof *w->entries, by_place);
    for (size_t i = 0, j; i < w->n_entries; i = j) {
        for (j = i; j < w->n_entries && strcmp(w->entries[j].file, w->entries[i].file) == 0; j++)
            ;
        print_file(w, sink, w->entries + i, j - i);
    }
}


int np_srcasm_walk(np_report *r, const np_srcasm_sink *sink, np_buf *notes, np_err *err)
{
    walk w = {.r = r, .notes = notes, .search = r->source_path};
    uint64_t address;
    char *end;
    const char *pat = np_regex_pattern(r->symbol);
    address = strtoull(pat, &end, 0);
    bool has_address = pat[0] && pat[0] != '-' && pat[0] != '+' && !*end;
    collect(&w, has_address ? &address : NULL);
    int rc = 0;
    if (w.n_interest == 0)
        rc = np_fail(err, "no matches found for regexp: %s", pat);
    char *cwd = NULL;
    if (rc == 0 && (!w.search || !w.search[0])) {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            rc = np_fail(err, "could not stat current dir: %s", strerror(errno));
        w.search = cwd;
    }
    if (rc == 0) {
        w.elf = np_xcalloc(r->p->n_mapping + 1, sizeof *w.elf);
        w.opened = np_xcalloc(r->p->n_mapping + 1, sizeof *w.opened);
        size_t nr;
        range *v = split_ranges(&w, &nr);
        disassemble(&w, v, nr);
        free(v);
        add_values(&w);
        print_files(&w, sink);
        for (size_t i = 0; i < r->p->n_mapping; i++)
            if (w.elf[i])
                np_elf_close(w.elf[i]);
    }
    free(cwd);
    free(w.elf), free(w.opened), free(w.vals), free(w.wants), free(w.interest), free(w.pretty);
    free(w.insts), free(w.entries);
    np_source_cache_free(&w.src);
    np_arena_free(&w.a);
    return rc;
}

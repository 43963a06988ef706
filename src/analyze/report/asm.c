/* Finding the profile's functions in its binaries by symbol and giving each instruction the
 * values of the samples between it and the next, as pprof's assembly reports do. */
#include "analyze/report/asm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/binfind.h"
#include "analyze/pathutil.h"
#include "analyze/symstep.h"
#include "core/demangle.h"
#include "core/sym/symbolize.h"

/* A sampled node translated to its binary's file address. */
typedef struct hit {
    uint64_t addr;
    const np_node *n;
} hit;

/* The search of one binary: its symbols matching the regexp (or holding the address). */
typedef struct search {
    const np_report *r;
    np_asm_set *out;
    const char *objfile;
    bool has_addr;
    uint64_t addr;
    np_buf name;
    bool failed; /* objdump could not run: err says why */
    np_err err;
} search;

/* The name a symbol matches by: as spelled, else demangled in one of pprof's three forms. */
static const char *matching_name(search *s, const char *sym)
{
    if (np_regex_match(s->r->symbol, sym))
        return sym;
    static const char *const modes[] = {"full", "templates", ""};
    for (size_t i = 0; sym[0] == '_' && sym[1] == 'Z' && i < sizeof modes / sizeof *modes; i++) {
        s->name.len = 0;
        if (np_demangle_simplified(sym, modes[i], &s->name) && np_regex_match(s->r->symbol, np_buf_cstr(&s->name)))
            return np_buf_cstr(&s->name);
    }
    return NULL;
}

static void on_symbol(void *ctx, const np_elf_symbol *sym)
{
    search *s = ctx;
    if (sym->addr == 0 && sym->size == 0)
        return;
    const char *name = NULL;
    if (s->has_addr && s->addr >= sym->addr && s->addr - sym->addr < sym->size)
        name = sym->name;
    else
        name = matching_name(s, sym->name);
    if (!name)
        return;
    np_asm_routine *rt = NP_PUSH(s->out->v, s->out->n, s->out->cap);
    /* pprof ends a symbol one byte short of its size, and both its tools disassemble and count
     * samples up to that end: kept, so that the instructions and totals are pprof's. */
    *rt = (np_asm_routine){np_arena_strdup(&s->out->arena, name), s->objfile, sym->addr,
                           sym->addr + (sym->size ? sym->size - 1 : 0), 0, 0, NULL, 0};
}

static int by_addr(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* The graph's nodes of mapping m at their file addresses, sorted. */
static hit *hits_of(const np_graph *g, const np_mapping *m, np_elf *e, size_t *nh)
{
    hit *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const np_node *nd = np_graph_node(g, i);
        if (strcmp(nd->info.objfile, m->file) == 0)
            *NP_PUSH(v, n, cap) = (hit){np_elf_file_address(e, nd->info.address, m->start, m->offset), nd};
    }
    if (n)
        qsort(v, n, sizeof *v, by_addr);
    *nh = n;
    return v;
}

/* The first hit at or above addr. */
static size_t first_at(const hit *h, size_t nh, uint64_t addr)
{
    size_t lo = 0, hi = nh;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *base_name(np_arena *a, const char *path)
{
    np_buf b = {0};
    np_path_base_buf(&b, path);
    const char *s = np_arena_strdup(a, np_buf_cstr(&b));
    np_buf_free(&b);
    return s;
}

/* annotateAssembly: each instruction sums the samples from its address to the next one's. */
static void annotate(np_asm_routine *rt, const np_objdump *d, const hit *h, size_t nh, np_arena *a)
{
    rt->rows = np_arena_alloc(a, (d->n + 1) * sizeof *rt->rows);
    rt->n = d->n;
    size_t s = first_at(h, nh, rt->start);
    for (size_t i = 0; i < d->n; i++) {
        const np_objdump_inst *in = &d->v[i];
        np_asm_row *row = &rt->rows[i];
        *row = (np_asm_row){in->addr, in->text, in->function, in->file[0] ? base_name(a, in->file) : "", in->line, 0, 0};
        int64_t flat = 0, flat_div = 0, cum = 0, cum_div = 0;
        uint64_t next = i + 1 < d->n ? d->v[i + 1].addr : UINT64_MAX;
        for (; s < nh && h[s].addr < next && h[s].addr < rt->end; s++) {
            const np_node *n = h[s].n;
            flat += n->flat, flat_div += n->flat_div, cum += n->cum, cum_div += n->cum_div;
            if (!row->file[0] && n->info.file[0])
                row->file = base_name(a, n->info.file);
            if (!row->line)
                row->line = n->info.lineno;
            if (!row->function[0])
                row->function = n->info.name;
        }
        row->flat = flat_div ? flat / flat_div : flat;
        row->cum = cum_div ? cum / cum_div : cum;
    }
}

/* Keeps the routines from `from` on that hold samples, with their totals (nodesPerSymbol). */
static void keep_sampled(np_asm_set *out, size_t from, const hit *h, size_t nh)
{
    size_t k = from;
    for (size_t i = from; i < out->n; i++) {
        np_asm_routine rt = out->v[i];
        bool any = false;
        for (size_t j = first_at(h, nh, rt.start); j < nh && h[j].addr < rt.end; j++) {
            rt.flat += np_node_flat(h[j].n);
            rt.cum += np_node_cum(h[j].n);
            any = true;
        }
        if (any)
            out->v[k++] = rt;
    }
    out->n = k;
}

/* The objfiles whose sampled nodes' names match: the only binaries searched, as pprof. */
static bool has_matching_samples(const np_report *r, const np_graph *g, const char *file)
{
    np_buf b = {0};
    bool yes = false;
    for (size_t i = 0; i < g->n_nodes && !yes; i++) {
        const np_node *n = np_graph_node(g, i);
        if (!n->info.objfile[0] || strcmp(n->info.objfile, file) != 0)
            continue;
        b.len = 0;
        np_node_info_name(&n->info, &b);
        yes = np_regex_match(r->symbol, np_buf_cstr(&b));
    }
    np_buf_free(&b);
    return yes;
}

/* The binary of m, or NULL: a file that does not open is named on stderr (pprof prints the
 * same among its output); one of another build was warned about by binfind. */
static np_elf *open_binary(const np_mapping *m)
{
    np_elf *e = np_binfind_open(m);
    if (e)
        return e;
    np_err err;
    if (np_elf_open(m->file, &e, &err) < 0)
        fprintf(stderr, "%s\n", err.msg);
    else
        np_elf_close(e);
    return NULL;
}

/* Annotates routine rt from its listing d; rows are copied into the set's arena. */
static void take_rows(np_asm_set *out, np_asm_routine *rt, const np_objdump *d, const hit *h, size_t nh)
{
    annotate(rt, d, h, nh, &out->arena);
    for (size_t i = 0; i < rt->n; i++) {
        rt->rows[i].text = np_arena_strdup(&out->arena, rt->rows[i].text);
        rt->rows[i].function = np_arena_strdup(&out->arena, rt->rows[i].function);
    }
}

/* The routines v[0, n) of one binary, disassembled by as few objdump runs as their places
 * allow, and annotated with the mapping's hits. */
static int disassemble(const np_report *r, np_asm_set *out, size_t from, const hit *h, size_t nh, np_err *err)
{
    size_t n = out->n - from;
    np_objdump *lists = calloc(n ? n : 1, sizeof *lists);
    np_objdump_range *ranges = calloc(n ? n : 1, sizeof *ranges);
    for (size_t i = 0; i < n; i++)
        ranges[i] = (np_objdump_range){out->v[from + i].start, out->v[from + i].end, &lists[i]};
    int rc = n ? np_objdump_run_ranges(out->v[from].objfile, ranges, n, r->intel_syntax, err) : 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            take_rows(out, &out->v[from + i], &lists[i], h, nh);
        np_objdump_free(&lists[i]);
    }
    free(lists);
    free(ranges);
    return rc;
}

static void search_mapping(const np_report *r, const np_graph *g, const np_mapping *m, search *s)
{
    if (!m->file[0] || np_symstep_unsymbolizable(m))
        return;
    if (!has_matching_samples(r, g, m->file) && !(s->has_addr && s->addr >= m->start && s->addr <= m->limit))
        return;
    np_elf *e = open_binary(m);
    if (!e)
        return;
    size_t from = s->out->n;
    s->objfile = np_arena_strdup(&s->out->arena, m->file);
    np_elf_symbols(e, on_symbol, s);
    size_t nh;
    hit *h = hits_of(g, m, e, &nh);
    keep_sampled(s->out, from, h, nh);
    s->failed = disassemble(r, s->out, from, h, nh, &s->err) < 0;
    free(h);
    np_elf_close(e);
}

static int by_name(const void *a, const void *b)
{
    const np_asm_routine *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->start > y->start) - (x->start < y->start);
}

/* The pattern as a number (pprof's -disasm 0x4013f7 also takes the function there). */
static bool pattern_address(const np_regex *re, uint64_t *addr)
{
    const char *p = np_regex_pattern(re);
    char *end;
    if (!p[0] || p[0] == '-' || p[0] == '+')
        return false;
    *addr = strtoull(p, &end, 0);
    return *end == 0;
}

int np_asm_collect(np_report *r, const np_graph *g, np_asm_set *out, np_err *err)
{
    memset(out, 0, sizeof *out);
    search s = {.r = r, .out = out};
    s.has_addr = pattern_address(r->symbol, &s.addr);
    for (size_t i = 0; i < r->p->n_mapping && !s.failed; i++)
        search_mapping(r, g, &r->p->mapping[i], &s);
    np_buf_free(&s.name);
    if (out->n == 0)
        return np_fail(err, "no matches found for regexp: %s", np_regex_pattern(r->symbol));
    if (s.failed)
        return np_fail(err, "%s", s.err.msg);
    qsort(out->v, out->n, sizeof *out->v, by_name);
    return 0;
}

void np_asm_free(np_asm_set *s)
{
    free(s->v);
    np_arena_free(&s->arena);
    memset(s, 0, sizeof *s);
}

/* Many ranges of one binary through few objdump runs: nearby ranges share one run over their
 * span, and each range gets the instructions its own run would have listed. */
#include "analyze/report/objdump.h"

#include <stdlib.h>
#include <string.h>

/* A run of objdump costs about as much as disassembling this many bytes (reading the binary's
 * line tables dominates a short run), so ranges closer than this share a run. */
#define SHARE_GAP 16384

typedef struct span {
    const char *file;
    bool intel;
    np_objdump_range *v;
    size_t *order; /* indices into v by start */
} span;

static int by_start(const void *a, const void *b, void *ctx)
{
    const np_objdump_range *v = ctx;
    uint64_t x = v[*(const size_t *)a].start, y = v[*(const size_t *)b].start;
    return (x > y) - (x < y);
}

/* The first instruction of d at or above addr. */
static size_t first_at(const np_objdump *d, uint64_t addr)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->v[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void copy_inst(np_objdump *to, const np_objdump_inst *in)
{
    np_objdump_inst *c = NP_PUSH(to->v, to->n, to->cap);
    *c = (np_objdump_inst){in->addr, np_arena_strdup(&to->arena, in->text),
                           np_arena_strdup(&to->arena, in->function), np_arena_strdup(&to->arena, in->file),
                           in->line};
}

/* A run of its own gives rg what a shared run cannot show as its own run would: objdump names
 * a place only when it changes, so a first instruction without one may owe it to the range
 * before. */
static bool needs_own_run(const np_objdump *all, size_t i, const np_objdump_range *rg)
{
    return i < all->n && all->v[i].addr == rg->start && (!all->v[i].function[0] || !all->v[i].file[0]);
}

/* The last instruction [k] of rg, when it runs past rg's stop, is decoded from cut bytes in a
 * run of rg alone: a run over [addr, stop) gives the same rows, in the place the shared run
 * gave the instruction (the cut bytes lie within one source line). */
static int cut_tail(const span *sp, const np_objdump *all, size_t k, np_objdump_range *rg, np_err *err)
{
    np_objdump tail = {0};
    const np_objdump_inst *last = &all->v[k];
    int rc = np_objdump_run_bare(sp->file, last->addr, rg->stop, sp->intel, &tail, err);
    for (size_t i = 0; rc == 0 && i < tail.n; i++) {
        np_objdump_inst in = tail.v[i];
        in.function = last->function, in.file = last->file, in.line = last->line;
        copy_inst(rg->out, &in);
    }
    np_objdump_free(&tail);
    return rc;
}

static int slice(const span *sp, const np_objdump *all, uint64_t run_stop, np_objdump_range *rg, np_err *err)
{
    size_t i = first_at(all, rg->start);
    if (needs_own_run(all, i, rg))
        return np_objdump_run(sp->file, rg->start, rg->stop, sp->intel, rg->out, err);
    for (; i < all->n && all->v[i].addr < rg->stop; i++) {
        bool cut = i + 1 < all->n ? all->v[i + 1].addr > rg->stop : run_stop != rg->stop;
        if (cut)
            return cut_tail(sp, all, i, rg, err);
        copy_inst(rg->out, &all->v[i]);
    }
    return 0;
}

/* One run over the ranges order[a, b), which overlap or lie close. */
static int run_group(const span *sp, size_t a, size_t b, uint64_t stop, np_err *err)
{
    np_objdump all = {0};
    int rc = np_objdump_run(sp->file, sp->v[sp->order[a]].start, stop, sp->intel, &all, err);
    for (size_t i = a; rc == 0 && i < b; i++)
        rc = slice(sp, &all, stop, &sp->v[sp->order[i]], err);
    np_objdump_free(&all);
    return rc;
}

int np_objdump_run_ranges(const char *file, np_objdump_range *v, size_t n, bool intel, np_err *err)
{
    span sp = {file, intel, v, malloc((n ? n : 1) * sizeof(size_t))};
    for (size_t i = 0; i < n; i++)
        sp.order[i] = i;
    qsort_r(sp.order, n, sizeof *sp.order, by_start, v);
    int rc = 0;
    for (size_t a = 0, b; rc == 0 && a < n; a = b) {
        uint64_t stop = v[sp.order[a]].stop;
        for (b = a + 1; b < n && v[sp.order[b]].start <= stop + SHARE_GAP; b++)
            if (v[sp.order[b]].stop > stop)
                stop = v[sp.order[b]].stop;
        rc = run_group(&sp, a, b, stop, err);
    }
    free(sp.order);
    return rc;
}

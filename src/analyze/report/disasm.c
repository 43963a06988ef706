/* The -disasm report (pprof's printAssembly): per function matching the regexp, its ROUTINE
 * header and totals, then each instruction with its flat and cum values and, where it
 * changes, the function and file:line objdump names for it. */
#include "analyze/report/report.h"

#include <string.h>

#include "analyze/measure.h"
#include "analyze/report/asm.h"

typedef struct text {
    np_report *r;
    np_buf *out;
    np_buf a, b, loc; /* formatted values, the place */
} text;

static const char *value_or_dot(text *t, int64_t v, np_buf *slot)
{
    return v ? np_report_fmt(t->r, v, slot) : ".";
}

/* The place of row when it differs from the previous row's (*prev), else "". */
static const char *place(text *t, const np_asm_row *row, const np_asm_row **prev)
{
    const np_asm_row *p = *prev;
    t->loc.len = 0;
    if (p && strcmp(p->function, row->function) == 0 && strcmp(p->file, row->file) == 0 && p->line == row->line)
        return "";
    *prev = row;
    if (row->function[0])
        np_buf_printf(&t->loc, "%s ", row->function);
    if (row->file[0]) {
        np_buf_puts(&t->loc, row->file);
        if (row->line)
            np_buf_printf(&t->loc, ":%lld", (long long)row->line);
    }
    return np_buf_cstr(&t->loc);
}

static void print_row(text *t, const np_asm_row *row, const np_asm_row **prev)
{
    const char *loc = place(t, row, prev);
    const char *flat = value_or_dot(t, row->flat, &t->a), *cum = value_or_dot(t, row->cum, &t->b);
    if (!loc[0])
        np_buf_printf(t->out, "%10s %10s %10llx: %s\n", flat, cum, (unsigned long long)row->addr, row->text);
    else if (strlen(row->text) < 40)
        np_buf_printf(t->out, "%10s %10s %10llx: %-40s;%s\n", flat, cum, (unsigned long long)row->addr, row->text, loc);
    else
        np_buf_printf(t->out, "%74s;%s\n%10s %10s %10llx: %s\n", "", loc, flat, cum, (unsigned long long)row->addr,
                      row->text);
}

static void print_routine(text *t, const np_asm_routine *rt)
{
    np_buf pct = {0};
    np_measure_percentage(&pct, rt->cum, t->r->total);
    np_buf_printf(t->out, "ROUTINE ======================== %s\n", rt->name);
    np_buf_printf(t->out, "%10s ", np_report_fmt(t->r, rt->flat, &t->a));
    np_buf_printf(t->out, "%10s (flat, cum) %s of Total\n", np_report_fmt(t->r, rt->cum, &t->b), np_buf_cstr(&pct));
    np_buf_free(&pct);
    const np_asm_row *prev = NULL;
    for (size_t i = 0; i < rt->n; i++)
        print_row(t, &rt->rows[i], &prev);
}

int np_report_disasm(np_report *r, np_buf *out, np_err *err)
{
    np_report_trim_paths(r);
    np_graph_opts o;
    np_report_graph_opts(r, &o, NULL);
    np_graph *g = np_graph_new(r->p, &o);
    text t = {.r = r, .out = out};
    np_asm_set set;
    int rc = np_asm_collect(r, g, &set, err);
    np_buf_printf(out, "Total: %s\n", np_report_fmt(r, r->total, &t.a));
    for (size_t i = 0; rc == 0 && i < set.n; i++)
        print_routine(&t, &set.v[i]);
    np_asm_free(&set);
    np_graph_free(g);
    np_buf_free(&t.a);
    np_buf_free(&t.b);
    np_buf_free(&t.loc);
    return rc;
}

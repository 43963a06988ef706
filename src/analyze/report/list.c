/* The `list` report (pprof's printSource): per matching function and source file, flat/cum
 * per source line next to the text of that line, read from local files found by -source_path
 * and -trim_path. */
#include "analyze/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/measure.h"
#include "analyze/report/list_walk.h"
#include "analyze/report/source.h"

/* pprof shows this many lines of context around the sampled lines. */
#define LIST_MARGIN 5

/* ---- ordering ---- */

static const np_graph *sort_graph; /* qsort has no context argument */

static int cmp_name(const void *a, const void *b)
{
    const np_node *l = &sort_graph->all[*(const uint32_t *)a];
    const np_node *r = &sort_graph->all[*(const uint32_t *)b];
    return strcmp(l->info.name, r->info.name);
}

static int cmp_file(const void *a, const void *b)
{
    const np_node *l = &sort_graph->all[*(const uint32_t *)a];
    const np_node *r = &sort_graph->all[*(const uint32_t *)b];
    int c = strcmp(l->info.file, r->info.file);
    if (c)
        return c;
    return (l->info.start_line > r->info.start_line) - (l->info.start_line < r->info.start_line);
}

/* Nodes grouped by a string key in first-seen order (pprof's map of key -> Nodes plus the list
 * of first nodes). */
typedef struct group {
    uint32_t first;
    uint32_t *nodes;
    size_t n, cap;
} group;

typedef struct grouping {
    np_hmap index;
    group *g;
    size_t n, cap;
} grouping;

static void group_add(grouping *gs, const char *key, uint32_t node)
{
    bool found;
    uint32_t gi = np_hmap_intern(&gs->index, key, strlen(key), (uint32_t)gs->n, &found);
    if (!found) {
        group *ng = NP_PUSH(gs->g, gs->n, gs->cap);
        memset(ng, 0, sizeof *ng);
        ng->first = node;
    }
    group *g = &gs->g[gi];
    *NP_PUSH(g->nodes, g->n, g->cap) = node;
}

static void grouping_free(grouping *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        free(gs->g[i].nodes);
    free(gs->g);
    np_hmap_free(&gs->index);
}

static const char *fmt_val(const np_report *r, int64_t v, np_buf *slot)
{
    slot->len = 0;
    np_report_format_value(r, v, slot);
    return np_buf_cstr(slot);
}

/* One file of one function: its totals, then each shown line's values and text, handed to the
 * sink (getSourceFromFile). */
static void walk_file(np_report *r, np_graph *g, const char *name, group *fg, np_source_file *sf,
                      const np_list_sink *sink)
{
    int64_t flat_sum = 0, cum_sum = 0;
    for (size_t i = 0; i < fg->n; i++) {
        flat_sum += g->all[fg->nodes[i]].flat;
        cum_sum += g->all[fg->nodes[i]].cum;
    }
    const char *file = g->all[fg->first].info.file;
    sink->file(sink->ctx, name, file, flat_sum, cum_sum, sf->error);
    if (sf->error)
        return;
    /* The shown range: from the function's start line (or the first sampled line minus the
     * margin) to the last sampled line plus the margin, computed in pprof's order. */
    const np_node *n0 = &g->all[fg->nodes[0]];
    int64_t start = n0->info.start_line ? n0->info.start_line : n0->info.lineno - LIST_MARGIN;
    int64_t end = n0->info.lineno + LIST_MARGIN;
    for (size_t i = 0; i < fg->n; i++) {
        const np_node *n = &g->all[fg->nodes[i]];
        int64_t ns = n->info.start_line ? n->info.start_line : n->info.lineno - LIST_MARGIN;
        int64_t ne = n->info.lineno + LIST_MARGIN;
        if (ns < start)
            start = ns;
        else if (ne > end)
            end = ne;
    }
    if (start < 1)
        start = 1;
    for (int64_t ln = start; ln <= end; ln++) {
        if (ln <= 0 || (uint64_t)ln >= sf->n_lines)
            break;
        int64_t flat = 0, cum = 0;
        for (size_t i = 0; i < fg->n; i++) {
            const np_node *n = &g->all[fg->nodes[i]];
            if (n->info.lineno == ln) {
                flat += n->flat;
                cum += n->cum;
            }
        }
        sink->line(sink->ctx, ln, flat, cum, sf->text.data + sf->off[ln], sf->len[ln]);
    }
}

int np_list_walk(np_report *r, const np_list_sink *sink, np_err *err)
{
    np_profile *p = r->p;
    /* The trimmed name is what the ROUTINE line shows and what the source search starts from. */
    np_report_trim_paths(r);
    const char *src_opt = r->source_path ? r->source_path : "";
    const char *trim_opt = r->trim_path ? r->trim_path : "";
    np_graph_opts o;
    np_report_graph_opts(r, &o, NULL);
    /* Only the matching functions' lines become nodes: their flat and cum are the same without
     * the others, and a large profile holds many more of those. */
    bool *func_kept = NULL;
    if (r->symbol && !o.call_tree) {
        func_kept = np_xcalloc(p->n_function + 1, sizeof *func_kept);
        for (size_t i = 0; i < p->n_function; i++)
            func_kept[i] = np_regex_match(r->symbol, p->function[i].name);
        o.func_kept = func_kept;
        o.nofunc_kept = np_regex_match(r->symbol, "");
        o.weights_only = true;
    }
    np_graph *g = np_graph_new(p, &o);
    free(func_kept);

    grouping funcs = {0};
    np_hmap_init(&funcs.index, 64);
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        if (r->symbol && !np_regex_match(r->symbol, n->info.name))
            continue;
        group_add(&funcs, n->info.name, g->nodes[i]);
    }
    if (funcs.n == 0) {
        grouping_free(&funcs);
        np_graph_free(g);
        return np_fail(err, "no matches found for regexp: %s", r->symbol ? np_regex_pattern(r->symbol) : "");
    }
    /* Sort the groups by function name (names are distinct, so order is total). */
    uint32_t *order = np_xcalloc(funcs.n, sizeof *order);
    for (size_t i = 0; i < funcs.n; i++)
        order[i] = funcs.g[i].first;
    sort_graph = g;
    qsort(order, funcs.n, sizeof *order, cmp_name);

    char *cwd = NULL;
    const char *search = src_opt;
    if (!search[0]) {
        cwd = getcwd(NULL, 0);
        if (!cwd) {
            int e = errno;
            free(order);
            grouping_free(&funcs);
            np_graph_free(g);
            return np_fail(err, "could not stat current dir: %s", strerror(e));
        }
        search = cwd;
    }

    sink->begin(sink->ctx, r->total);
    np_source_cache files = {0};
    for (size_t fi = 0; fi < funcs.n; fi++) {
        const char *name = g->all[order[fi]].info.name;
        group *fg = &funcs.g[np_hmap_get(&funcs.index, name, strlen(name))];
        grouping by_file = {0};
        np_hmap_init(&by_file.index, 8);
        for (size_t i = 0; i < fg->n; i++) {
            const np_node *n = &g->all[fg->nodes[i]];
            if (n->info.file[0])
                group_add(&by_file, n->info.file, fg->nodes[i]);
        }
        if (by_file.n == 0) {
            sink->no_source(sink->ctx, name);
            grouping_free(&by_file);
            continue;
        }
        uint32_t *forder = np_xcalloc(by_file.n, sizeof *forder);
        for (size_t i = 0; i < by_file.n; i++)
            forder[i] = by_file.g[i].first;
        sort_graph = g;
        qsort(forder, by_file.n, sizeof *forder, cmp_file);
        for (size_t i = 0; i < by_file.n; i++) {
            const char *file = g->all[forder[i]].info.file;
            group *grp = &by_file.g[np_hmap_get(&by_file.index, file, strlen(file))];
            np_source_file *sf = np_source_get(&files, file, search, trim_opt);
            walk_file(r, g, name, grp, sf, sink);
        }
        free(forder);
        grouping_free(&by_file);
    }
    np_source_cache_free(&files);
    free(cwd);
    free(order);
    grouping_free(&funcs);
    np_graph_free(g);
    return 0;
}

/* ---- the text list ---- */

typedef struct text_list {
    np_report *r;
    np_buf *out;
    np_buf a, b, c; /* formatted numbers */
} text_list;

static void text_begin(void *ctx, int64_t total)
{
    text_list *t = ctx;
    np_buf_printf(t->out, "Total: %s\n", fmt_val(t->r, total, &t->a));
}

static void text_no_source(void *ctx, const char *name)
{
    text_list *t = ctx;
    np_buf_printf(t->out, "No source information for %s\n", name);
}

static void text_file(void *ctx, const char *name, const char *file, int64_t flat, int64_t cum,
                      const char *error)
{
    text_list *t = ctx;
    np_buf_printf(t->out, "ROUTINE ======================== %s in %s\n", name, file);
    t->c.len = 0;
    np_measure_percentage(&t->c, cum, t->r->total);
    np_buf_printf(t->out, "%10s ", fmt_val(t->r, flat, &t->a));
    np_buf_printf(t->out, "%10s (flat, cum) %s of Total\n", fmt_val(t->r, cum, &t->b), np_buf_cstr(&t->c));
    if (error)
        np_buf_printf(t->out, " Error: %s\n", error);
}

static void text_line(void *ctx, int64_t ln, int64_t flat, int64_t cum, const char *text, size_t len)
{
    text_list *t = ctx;
    const char *fs = flat ? fmt_val(t->r, flat, &t->a) : ".";
    np_buf_printf(t->out, "%10s ", fs);
    const char *cs = cum ? fmt_val(t->r, cum, &t->b) : ".";
    np_buf_printf(t->out, "%10s %6lld:", cs, (long long)ln);
    np_buf_add(t->out, text, len);
    np_buf_putc(t->out, '\n');
}

int np_report_list(np_report *r, np_buf *out, np_err *err)
{
    text_list t = {.r = r, .out = out};
    np_list_sink sink = {&t, text_begin, text_no_source, text_file, text_line};
    int rc = np_list_walk(r, &sink, err);
    np_buf_free(&t.a);
    np_buf_free(&t.b);
    np_buf_free(&t.c);
    return rc;
}

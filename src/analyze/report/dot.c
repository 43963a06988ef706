/* The graph reports: DOT (pprof's printDOT and graph.ComposeDot: legend, nodes, nodelets for
 * tags, edges, colours) and callgrind (printCallgrind with its name and address compression). */
#include "analyze/report/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gofmt.h"
#include "analyze/measure.h"
#include "analyze/pathutil.h"

enum { MAX_NODELETS = 4 };

static int64_t mul64(int64_t a, int64_t b)
{
    /* Go integer arithmetic wraps silently; C's signed overflow is undefined. */
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

static int64_t tag_flat(const np_tag *t)
{
    return t->flat_div ? t->flat / t->flat_div : t->flat;
}

static int64_t tag_cum(const np_tag *t)
{
    return t->cum_div ? t->cum / t->cum_div : t->cum;
}

/* Go's int64(float64) on amd64: truncation, with NaN and out-of-range values giving the
 * "integer indefinite" minimum value. */
static int64_t go_f2i(double v)
{
    if (isnan(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v;
}

/* Go's math.Min/Max: unlike C's fmin/fmax, a NaN operand yields NaN. */
static double go_min(double a, double b)
{
    if (isnan(a) || isnan(b))
        return NAN;
    return a < b ? a : b;
}

static double go_max(double a, double b)
{
    if (isnan(a) || isnan(b))
        return NAN;
    return a > b ? a : b;
}

/* uint8(x) for a float: amd64 converts through a 64-bit integer and keeps the low byte. */
static unsigned go_u8(double x)
{
    return (unsigned)((uint64_t)go_f2i(x) & 0xff);
}

/* escapeForDot: backslashes and quotes escaped, newlines made left-justified breaks. */
static void put_escaped(np_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '\\': np_buf_puts(out, "\\\\"); break;
        case '"': np_buf_puts(out, "\\\""); break;
        case '\n': np_buf_puts(out, "\\l"); break;
        default: np_buf_putc(out, s[i]); break;
        }
    }
}

static void put_escaped_str(np_buf *out, const char *s)
{
    put_escaped(out, s, strlen(s));
}

/* dotColor: a score in [-1, 1] mapped from green through grey to red, light for
 * backgrounds and dark for foregrounds. */
static void dot_color(np_buf *out, double score, bool background)
{
    const double shift = 0.7;
    double saturation = background ? 0.1 : 1.0;
    double value = background ? 0.93 : 0.7;
    score = go_max(-1.0, go_min(1.0, score));
    if (fabs(score) < 0.2)
        saturation *= fabs(score) / 0.2;
    if (score > 0.0)
        score = pow(score, 1.0 - shift);
    if (score < 0.0)
        score = -pow(-score, 1.0 - shift);
    double r, g, b;
    if (score < 0.0) {
        g = value;
        r = value * (1 + saturation * score);
    } else {
        r = value;
        g = value * (1 - saturation * score);
    }
    b = value * (1 - saturation);
    np_buf_printf(out, "#%02x%02x%02x", go_u8(r * 255.0), go_u8(g * 255.0), go_u8(b * 255.0));
}


/* measurement.Percentage with surrounding blanks trimmed, as the labels print it. */
static const char *pct_trim(int64_t v, int64_t total, np_buf *slot)
{
    slot->len = 0;
    np_measure_percentage(slot, v, total);
    const char *p = np_buf_cstr(slot);
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == ' ')
        ((char *)p)[--n] = 0;
    return p;
}

/* Appends s with every occurrence of from replaced by to (strings.Replace, all). */
static void replace_all(np_buf *out, const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    const char *hit;
    while ((hit = strstr(s, from)) != NULL) {
        np_buf_add(out, s, (size_t)(hit - s));
        np_buf_puts(out, to);
        s = hit + fl;
    }
    np_buf_puts(out, s);
}

/* multilinePrintableName: the shortened, escaped name split at "::" and '.', then the
 * remaining name components, each line ended by a centred break. */
static void multiline_name(np_buf *out, const np_node_info *i)
{
    np_buf shortened = {0}, escaped = {0}, step = {0}, name = {0};
    np_shorten_function_name(i->name, &shortened);
    put_escaped(&escaped, shortened.data ? shortened.data : "", shortened.len);
    replace_all(&step, np_buf_cstr(&escaped), "::", "\\n");
    replace_all(&name, np_buf_cstr(&step), ".", "\\n");
    const char *nm = np_buf_cstr(&name);
    bool any = false;
    if (i->address) {
        np_buf_printf(out, "%016" PRIx64, i->address);
        any = true;
    }
    if (nm[0]) {
        if (any)
            np_buf_puts(out, "\\n");
        np_buf_puts(out, nm);
        any = true;
    }
    bool tail = true;
    np_buf t = {0};
    if (i->lineno) {
        if (i->file[0])
            np_path_base_buf(&t, i->file);
        np_buf_printf(&t, ":%" PRId64, i->lineno);
    } else if (i->file[0]) {
        np_path_base_buf(&t, i->file);
    } else if (nm[0]) {
        tail = false;
    } else if (i->objfile[0]) {
        np_buf_putc(&t, '[');
        np_path_base_buf(&t, i->objfile);
        np_buf_putc(&t, ']');
    } else {
        np_buf_puts(&t, "<unknown>");
    }
    if (tail) {
        if (any)
            np_buf_puts(out, "\\n");
        np_buf_add(out, t.data ? t.data : "", t.len);
    }
    np_buf_puts(out, "\\n");
    np_buf_free(&t);
    np_buf_free(&shortened);
    np_buf_free(&escaped);
    np_buf_free(&step);
    np_buf_free(&name);
}

typedef struct dot_ctx {
    np_report *r;
    np_graph *g;
    np_buf *out;
    np_buf s1, s2, s3; /* scratch for formatted values */
} dot_ctx;

static void add_node(dot_ctx *c, np_node *n, int id, double max_flat)
{
    np_report *r = c->r;
    np_buf *out = c->out;
    int64_t flat = np_node_flat(n), cum = np_node_cum(n);
    np_buf label = {0};
    multiline_name(&label, &n->info);
    const char *flat_value = np_report_fmt(r, flat, &c->s1);
    if (flat != 0)
        np_buf_printf(&label, "%s (%s)", flat_value, pct_trim(flat, r->total, &c->s2));
    else
        np_buf_putc(&label, '0');
    const char *cum_value = flat_value;
    if (cum != flat) {
        np_buf_puts(&label, flat != 0 ? "\\n" : " ");
        cum_value = np_report_fmt(r, cum, &c->s3);
        np_buf_printf(&label, "of %s (%s)", cum_value, pct_trim(cum, r->total, &c->s2));
    }
    /* Font sizes grow with the square root of the flat share so small nodes stay legible. */
    int font_size = 8;
    if (max_flat != 0 && flat != 0 && (double)np_go_abs64(flat) <= max_flat)
        font_size += (int)ceil(16.0 * sqrt((double)np_go_abs64(flat) / max_flat));
    np_buf_printf(out, "N%d [label=\"%s\" id=\"node%d\" fontsize=%d shape=box tooltip=\"", id,
                  np_buf_cstr(&label), id, font_size);
    put_escaped_str(out, np_node_name(c->g, n));
    np_buf_printf(out, " (%s)\" color=\"", cum_value);
    double score = (double)cum / (double)np_go_abs64(r->total);
    dot_color(out, score, false);
    np_buf_puts(out, "\" fillcolor=\"");
    dot_color(out, score, true);
    np_buf_puts(out, "\"]\n");
    np_buf_free(&label);
}

/* tagDistance: how far u's value is from t's, in t's unit. */
static double tag_distance(const np_tag *t, const np_tag *u)
{
    char unit[64];
    double v = np_measure_scale(u->value, u->unit, t->unit, unit, sizeof unit);
    return v < (double)t->value ? (double)t->value - v : v - (double)t->value;
}

static int64_t scaled_i(const np_tag *t, const char *unit_to)
{
    char unit[64];
    return go_f2i(np_measure_scale(t->value, t->unit, unit_to, unit, sizeof unit));
}

/* collapsedTags: numeric tags sorted and, beyond count, merged into count range buckets
 * ("1MB..2MB") around the heaviest ones. Fills *store with the bucket tags (names owned by
 * names[]); returns the sorted pointer list (caller frees). */
static np_tag **collapsed_tags(np_tag **ts, size_t n, size_t count, bool flat, np_tag **store,
                               char ***names, size_t *out_n)
{
    np_tag **sorted = np_sort_tags(ts, n, flat);
    *store = NULL;
    *names = NULL;
    if (n <= count) {
        *out_n = n;
        return sorted;
    }
    size_t *group = np_xcalloc(n, sizeof *group);
    for (size_t k = count; k < n; k++) {
        size_t gi = 0;
        double d = tag_distance(sorted[k], sorted[0]);
        for (size_t i = 1; i < count; i++) {
            double nd = tag_distance(sorted[k], sorted[i]);
            if (nd < d) {
                gi = i;
                d = nd;
            }
        }
        group[k] = gi;
    }
    np_tag *buckets = np_xcalloc(count, sizeof *buckets);
    char **nm = np_xcalloc(count, sizeof *nm);
    for (size_t gi = 0; gi < count; gi++) {
        const np_tag *head = sorted[gi];
        np_buf label = {0};
        size_t members = 1;
        for (size_t k = count; k < n; k++)
            members += group[k] == gi;
        if (members == 1) {
            np_measure_label(&label, head->value, head->unit);
            buckets[gi].flat = tag_flat(head);
            buckets[gi].cum = tag_cum(head);
        } else {
            const np_tag *min = head, *max = head;
            int64_t df = head->flat_div, f = head->flat, dc = head->cum_div, cv = head->cum;
            for (size_t k = count; k < n; k++) {
                if (group[k] != gi)
                    continue;
                const np_tag *t = sorted[k];
                if (scaled_i(t, min->unit) < min->value)
                    min = t;
                if (scaled_i(t, max->unit) > max->value)
                    max = t;
                f += t->flat;
                df += t->flat_div;
                cv += t->cum;
                dc += t->cum_div;
            }
            if (df != 0)
                f /= df;
            if (dc != 0)
                cv /= dc;
            /* Bucket bounds keep the tags' own units: scaled to the report's unit, small
             * tags would all read "0..0". */
            np_measure_label(&label, min->value, min->unit);
            np_buf_puts(&label, "..");
            np_measure_label(&label, max->value, max->unit);
            buckets[gi].flat = f;
            buckets[gi].cum = cv;
        }
        nm[gi] = (char *)np_buf_cstr(&label);
        buckets[gi].name = nm[gi];
        buckets[gi].unit = "";
    }
    free(group);
    free(sorted);
    np_tag **ptrs = np_xcalloc(count, sizeof *ptrs);
    for (size_t i = 0; i < count; i++)
        ptrs[i] = &buckets[i];
    sorted = np_sort_tags(ptrs, count, flat);
    free(ptrs);
    *store = buckets;
    *names = nm;
    *out_n = count;
    return sorted;
}

/* One tag box hanging off a node: box "N<stem>_<j>" and the edge to it from parent. */
static void nodelet(dot_ctx *c, const char *stem, const char *parent, size_t j, const char *name,
                    const char *weight, const char *attr)
{
    np_buf_printf(c->out, "N%s_%zu [label = \"%s\" id=\"N%s_%zu\" fontsize=8 shape=box3d tooltip=\"%s\"]\n",
                  stem, j, name, stem, j, weight);
    np_buf_printf(c->out, "%s -> N%s_%zu [label=\" %s\" weight=100 tooltip=\"%s\" labeltooltip=\"%s\"%s]\n",
                  parent, stem, j, weight, weight, weight, attr);
}

static bool numeric_nodelets(dot_ctx *c, np_tag **nts, size_t n, bool flat_tags, const char *source)
{
    np_tag *store;
    char **names;
    size_t k;
    np_tag **ts = collapsed_tags(nts, n, MAX_NODELETS, flat_tags, &store, &names, &k);
    bool any = false;
    for (size_t j = 0; j < k; j++) {
        const np_tag *t = ts[j];
        int64_t w = tag_cum(t);
        const char *attr = " style=\"dotted\"";
        if (flat_tags || tag_flat(t) == tag_cum(t)) {
            w = tag_flat(t);
            attr = "";
        }
        if (w == 0)
            continue;
        nodelet(c, source, source, j, t->name, np_report_fmt(c->r, w, &c->s1), attr);
        any = true;
    }
    free(ts);
    if (names)
        for (size_t i = 0; i < MAX_NODELETS; i++)
            free(names[i]);
    free(names);
    free(store);
    return any;
}

/* The numeric tags recorded under one joined string-label set, as a pointer list. */
static np_tag **numeric_tags_for(const np_node *n, const char *labels, size_t *count)
{
    for (size_t i = 0; i < n->n_num_tags; i++) {
        const np_numtags *nt = &n->num_tags[i];
        if (strcmp(nt->labels, labels) != 0 || nt->tags.n == 0)
            continue;
        np_tag **list = np_xcalloc(nt->tags.n, sizeof *list);
        for (size_t k = 0; k < nt->tags.n; k++)
            list[k] = &nt->tags.tag[k];
        *count = nt->tags.n;
        return list;
    }
    *count = 0;
    return NULL;
}

/* addNodelets: boxes for the heaviest label sets, and for numeric tags under each of them
 * and under the node itself. Returns whether any was written. */
static bool add_nodelets(dot_ctx *c, np_node *n, int id)
{
    /* Leaves show cumulative tags (weight of trimmed children included), inner nodes flat. */
    bool flat_tags = n->n_out > 0;
    bool any = false;
    np_tag **ts = np_xcalloc(n->label_tags.n + 1, sizeof *ts);
    for (size_t i = 0; i < n->label_tags.n; i++)
        ts[i] = &n->label_tags.tag[i];
    np_tag **sorted = np_sort_tags(ts, n->label_tags.n, flat_tags);
    free(ts);
    size_t k = n->label_tags.n < MAX_NODELETS ? n->label_tags.n : MAX_NODELETS;
    char source[64];
    for (size_t i = 0; i < k; i++) {
        const np_tag *t = sorted[i];
        int64_t w = flat_tags ? tag_flat(t) : tag_cum(t);
        if (w == 0)
            continue;
        char parent[32], stem[32];
        snprintf(parent, sizeof parent, "N%d", id);
        snprintf(stem, sizeof stem, "%d", id);
        nodelet(c, stem, parent, i, t->name, np_report_fmt(c->r, w, &c->s1), "");
        any = true;
        size_t nn;
        np_tag **nts = numeric_tags_for(n, t->name, &nn);
        if (nts) {
            snprintf(source, sizeof source, "N%d_%zu", id, i);
            numeric_nodelets(c, nts, nn, flat_tags, source);
            free(nts);
        }
    }
    free(sorted);
    size_t nn;
    np_tag **nts = numeric_tags_for(n, "", &nn);
    if (nts) {
        snprintf(source, sizeof source, "N%d", id);
        if (numeric_nodelets(c, nts, nn, flat_tags, source))
            any = true;
        free(nts);
    }
    return any;
}

static void add_edge(dot_ctx *c, const np_edge *e, int from, int to, bool has_nodelets)
{
    np_report *r = c->r;
    np_buf *out = c->out;
    int64_t wv = np_edge_weight_value(e);
    const char *w = np_report_fmt(r, wv, &c->s1);
    np_buf_printf(out, "N%d -> N%d [label=\" %s%s\"", from, to, w, e->is_inline ? "\\n (inline)" : "");
    if (r->total != 0) {
        /* Diffs can make an edge heavier than the total; both attributes are capped. */
        int64_t weight = np_go_abs64(mul64(wv, 100) / r->total);
        weight = 1 + (weight < 100 ? weight : 100);
        if (weight > 1)
            np_buf_printf(out, " weight=%" PRId64, weight);
        int64_t width = np_go_abs64(mul64(wv, 5) / r->total);
        width = 1 + (width < 5 ? width : 5);
        if (width > 1)
            np_buf_printf(out, " penwidth=%" PRId64, width);
        np_buf_puts(out, " color=\"");
        dot_color(out, (double)wv / (double)np_go_abs64(r->total), false);
        np_buf_putc(out, '"');
    }
    np_buf tip = {0};
    np_buf_putc(&tip, '"');
    put_escaped_str(&tip, np_node_name(c->g, &c->g->all[e->src]));
    np_buf_puts(&tip, e->residual ? " ... " : " -> ");
    put_escaped_str(&tip, np_node_name(c->g, &c->g->all[e->dest]));
    np_buf_printf(&tip, " (%s)\"", w);
    np_buf_printf(out, " tooltip=%s labeltooltip=%s", np_buf_cstr(&tip), np_buf_cstr(&tip));
    np_buf_free(&tip);
    if (e->residual)
        np_buf_puts(out, " style=\"dotted\"");
    if (has_nodelets)
        np_buf_puts(out, " minlen=2");
    np_buf_puts(out, "]\n");
}

/* The graph's title: the report's, else (as pprof's driver sets it) the main binary's base name. */
static void graph_title(const np_report *r, np_buf *out)
{
    if (r->title && r->title[0])
        np_buf_puts(out, r->title);
    else if (r->p->n_mapping && r->p->mapping[0].file[0])
        np_path_base_buf(out, r->p->mapping[0].file);
}

static void add_legend(dot_ctx *c, const np_buf *labels, const char *title)
{
    np_buf *out = c->out;
    if (labels->len == 0)
        return;
    /* The first label names the legend node, unescaped as pprof writes it. */
    const char *nl = memchr(labels->data, '\n', labels->len);
    size_t first = nl ? (size_t)(nl - labels->data) : labels->len;
    np_buf_puts(out, "subgraph cluster_L { \"");
    np_buf_add(out, labels->data, first);
    np_buf_puts(out, "\" [shape=box fontsize=16 label=\"");
    /* Labels end in '\n' each, so escaping the whole text joins them with left-justified
     * breaks and ends with one, exactly as escaping each and joining with "\l" does. */
    put_escaped(out, labels->data, labels->len);
    if (labels->data[labels->len - 1] != '\n')
        np_buf_puts(out, "\\l");
    np_buf_putc(out, '"');
    if (title[0])
        np_buf_printf(out, " tooltip=\"%s\"", title);
    np_buf_puts(out, "] }\n");
}

int np_report_dot(np_report *r, np_buf *out, np_err *err)
{
    int orig, dn, de;
    np_graph *g = np_report_trimmed_graph(r, &orig, &dn, &de);
    np_report_select_unit(r, g);
    np_buf labels = {0}, title = {0};
    np_report_labels(r, g, orig, dn, de, true, &labels);
    graph_title(r, &title);
    const char *t = np_buf_cstr(&title);
    dot_ctx c = {r, g, out, {0}, {0}, {0}};
    np_buf_printf(out, "digraph \"%s\" {\n", t[0] ? t : "unnamed");
    np_buf_puts(out, "node [style=filled fillcolor=\"#f8f8f8\"]\n");
    add_legend(&c, &labels, t);
    if (g->n_nodes > 0) {
        /* Ids are 1-based positions; edges to nodes outside the list get pprof's zero id. */
        int *ids = np_xcalloc(g->n_all + 1, sizeof *ids);
        bool *nodelets = np_xcalloc(g->n_all + 1, sizeof *nodelets);
        double max_flat = (double)np_go_abs64(np_node_flat(np_graph_node(g, 0)));
        size_t n_edges = 0;
        for (size_t i = 0; i < g->n_nodes; i++) {
            np_node *n = np_graph_node(g, i);
            ids[g->nodes[i]] = (int)i + 1;
            if ((double)np_go_abs64(np_node_flat(n)) > max_flat)
                max_flat = (double)np_go_abs64(np_node_flat(n));
            n_edges += n->n_out;
        }
        uint32_t *edges = np_xmalloc((n_edges + 1) * sizeof *edges);
        size_t k = 0;
        for (size_t i = 0; i < g->n_nodes; i++) {
            np_node *n = np_graph_node(g, i);
            add_node(&c, n, (int)i + 1, max_flat);
            nodelets[g->nodes[i]] = add_nodelets(&c, n, (int)i + 1);
            for (size_t j = 0; j < n->n_out; j++)
                edges[k++] = n->out[j];
        }
        /* Heaviest edges first: a hint to the layout engine. */
        np_graph_sort_edges(g, edges, k);
        for (size_t i = 0; i < k; i++) {
            const np_edge *e = &g->edges[edges[i]];
            add_edge(&c, e, ids[e->src], ids[e->dest], nodelets[e->src]);
        }
        free(edges);
        free(ids);
        free(nodelets);
    }
    np_buf_puts(out, "}\n");
    np_buf_free(&c.s1);
    np_buf_free(&c.s2);
    np_buf_free(&c.s3);
    np_buf_free(&labels);
    np_buf_free(&title);
    np_graph_free(g);
    return 0;
}

/* ---- callgrind ---- */

/* callgrindName: a name's first use is "(N) name", later ones just "(N)". */
typedef struct name_table {
    np_hmap ids;
    uint32_t n;
} name_table;

static void callgrind_name(np_buf *out, name_table *t, const char *name)
{
    if (!name[0])
        return;
    bool found;
    uint32_t id = np_hmap_intern(&t->ids, name, strlen(name), t->n + 1, &found);
    if (found) {
        np_buf_printf(out, "(%" PRIu32 ")", id);
        return;
    }
    t->n++;
    np_buf_printf(out, "(%" PRIu32 ") %s", id, name);
}

/* callgrindAddress: relative to the previous node's address when that is shorter. */
static void callgrind_address(np_buf *out, const np_node_info *prev, uint64_t curr)
{
    char abs[32], rel[32];
    if (curr)
        snprintf(abs, sizeof abs, "%#" PRIx64, curr);
    else
        snprintf(abs, sizeof abs, "0x0"); /* Go's %#x keeps the prefix for zero */
    if (!prev) {
        np_buf_puts(out, abs);
        return;
    }
    if (prev->address == curr) {
        np_buf_putc(out, '*');
        return;
    }
    int64_t diff = (int64_t)(curr - prev->address);
    snprintf(rel, sizeof rel, "%+" PRId64, diff);
    np_buf_puts(out, strlen(rel) < strlen(abs) ? rel : abs);
}

/* getDisambiguatedNames: callgrind merges functions by (file, name), so nodes of distinct
 * functions sharing both (call-tree contexts) get a " [i/n]" suffix. Returns one name per
 * node of g->all (NULL for nodes not in the graph); names live in g's arena. */
static const char **disambiguated_names(np_graph *g)
{
    const char **names = np_xcalloc(g->n_all + 1, sizeof *names);
    np_hmap groups;  /* (file, name) -> group number */
    np_hmap members; /* (group, function) -> index within the group */
    np_hmap_init(&groups, g->n_nodes + 16);
    np_hmap_init(&members, g->n_nodes + 16);
    uint32_t *group_size = np_xcalloc(g->n_nodes + 1, sizeof *group_size);
    uint32_t *node_group = np_xcalloc(g->n_nodes + 1, sizeof *node_group);
    uint32_t *node_index = np_xcalloc(g->n_nodes + 1, sizeof *node_index);
    uint32_t n_groups = 0;
    np_buf key = {0};
    for (size_t i = 0; i < g->n_nodes; i++) {
        const np_node *n = np_graph_node(g, i);
        key.len = 0;
        np_buf_add(&key, n->info.file, strlen(n->info.file) + 1);
        np_buf_add(&key, n->info.name, strlen(n->info.name) + 1);
        bool found;
        uint32_t gi = np_hmap_intern(&groups, key.data, key.len, n_groups, &found);
        if (!found)
            n_groups++;
        uint32_t mk[2] = {gi, n->function};
        uint32_t mi = np_hmap_intern(&members, mk, sizeof mk, group_size[gi], &found);
        if (!found)
            group_size[gi]++;
        node_group[i] = gi;
        node_index[i] = mi;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        const np_node *n = np_graph_node(g, i);
        uint32_t size = group_size[node_group[i]];
        if (size > 1) {
            key.len = 0;
            np_buf_printf(&key, "%s [%" PRIu32 "/%" PRIu32 "]", n->info.name, node_index[i] + 1, size);
            names[g->nodes[i]] = np_arena_strndup(&g->arena, key.data, key.len);
        } else {
            names[g->nodes[i]] = n->info.name;
        }
    }
    np_buf_free(&key);
    free(group_size);
    free(node_group);
    free(node_index);
    np_hmap_free(&groups);
    np_hmap_free(&members);
    return names;
}

int np_report_callgrind(np_report *r, np_buf *out, np_err *err)
{
    /* Callgrind shows the whole graph: pprof zeroes the trimming options for it. */
    double nodefraction = r->nodefraction, edgefraction = r->edgefraction;
    int nodecount = r->nodecount;
    r->nodefraction = 0;
    r->edgefraction = 0;
    r->nodecount = 0;
    int orig, dn, de;
    np_graph *g = np_report_trimmed_graph(r, &orig, &dn, &de);
    r->nodefraction = nodefraction;
    r->edgefraction = edgefraction;
    r->nodecount = nodecount;
    np_report_select_unit(r, g);
    const char **node_names = disambiguated_names(g);
    np_buf_puts(out, "positions: instr line\n");
    np_buf_printf(out, "events: %s(%s)\n", r->sample_type, r->output_unit);
    name_table objfiles = {0}, files = {0}, names = {0};
    np_hmap_init(&objfiles.ids, 16);
    np_hmap_init(&files.ids, 64);
    np_hmap_init(&names.ids, 256);
    char unit[64];
    const np_node_info *prev = NULL;
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        /* Consecutive nodes of one function share a header, so cost lines group. */
        if (!prev || strcmp(n->info.objfile, prev->objfile) != 0 || strcmp(n->info.file, prev->file) != 0 ||
            strcmp(n->info.name, prev->name) != 0) {
            np_buf_puts(out, "\nob=");
            callgrind_name(out, &objfiles, n->info.objfile);
            np_buf_puts(out, "\nfl=");
            callgrind_name(out, &files, n->info.file);
            np_buf_puts(out, "\nfn=");
            callgrind_name(out, &names, n->info.name);
            np_buf_putc(out, '\n');
        }
        callgrind_address(out, prev, n->info.address);
        double sv = np_measure_scale(np_node_flat(n), r->sample_unit, r->output_unit, unit, sizeof unit);
        np_buf_printf(out, " %" PRId64 " %" PRId64 "\n", n->info.lineno, go_f2i(sv));
        size_t k;
        uint32_t *edges = np_graph_sorted_edges(g, n, false, &k);
        for (size_t j = 0; j < k; j++) {
            const np_edge *e = &g->edges[edges[j]];
            double cv = np_measure_scale(e->weight, r->sample_unit, r->output_unit, unit, sizeof unit);
            const np_node *callee = &g->all[e->dest];
            np_buf_puts(out, "cfl=");
            callgrind_name(out, &files, callee->info.file);
            np_buf_puts(out, "\ncfn=");
            /* A callee outside the graph has no name in pprof's map: it prints empty. */
            const char *cn = node_names[e->dest] ? node_names[e->dest] : "";
            callgrind_name(out, &names, cn);
            /* pprof has no flat weight for a call; the count stays 0. */
            np_buf_puts(out, "\ncalls=0 ");
            callgrind_address(out, prev, callee->info.address);
            np_buf_printf(out, " %" PRId64 "\n* * %" PRId64 "\n", callee->info.lineno, go_f2i(cv));
        }
        free(edges);
        prev = &n->info;
    }
    np_hmap_free(&objfiles.ids);
    np_hmap_free(&files.ids);
    np_hmap_free(&names.ids);
    free(node_names);
    np_graph_free(g);
    return 0;
}

/* Shared report machinery (trimmed graph, output unit, header labels) and the text reports:
 * top/text, traces, tree/peek, comments, proto and topproto. */
#include "analyze/report/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/gofmt.h"
#include "core/gz.h"
#include "analyze/measure.h"
#include "analyze/report/source.h"
#include "analyze/report/tags.h"
#include "analyze/pathutil.h"

int64_t np_report_scaled(const np_report *r, int64_t v)
{
    return r->ratio > 0 && r->ratio != 1 ? np_go_f2i((double)v * r->ratio) : v;
}

void np_report_format_value(const np_report *r, int64_t v, np_buf *out)
{
    np_measure_scaled_label(out, np_report_scaled(r, v), r->sample_unit, r->output_unit);
}

const char *np_report_fmt(const np_report *r, int64_t v, np_buf *slot)
{
    slot->len = 0;
    np_report_format_value(r, v, slot);
    return np_buf_cstr(slot);
}

static const char *pct(int64_t v, int64_t total, np_buf *slot)
{
    slot->len = 0;
    np_measure_percentage(slot, v, total);
    return np_buf_cstr(slot);
}

static const char **unit_pairs(const np_report *r)
{
    size_t n = 0;
    for (const np_key_unit *k = r->num_label_units; k && k->key; k++)
        n++;
    const char **pairs = np_xcalloc(2 * n + 2, sizeof *pairs);
    for (size_t i = 0; i < n; i++) {
        pairs[2 * i] = r->num_label_units[i].key;
        pairs[2 * i + 1] = r->num_label_units[i].unit;
    }
    return pairs;
}

void np_report_graph_opts(const np_report *r, np_graph_opts *o, const np_nodeset *kept)
{
    memset(o, 0, sizeof *o);
    o->value_index = r->value_index;
    o->mean_index = r->mean_index;
    o->call_tree = r->call_tree && (r->format == NP_FMT_DOT || r->format == NP_FMT_CALLGRIND);
    o->drop_negative = r->drop_negative;
    o->kept = kept;
    o->output_unit = r->output_unit;
    o->tags = r->format == NP_FMT_DOT;
    switch (r->format) {
    case NP_FMT_RAW:
    case NP_FMT_LIST:
    case NP_FMT_WEBLIST:
    case NP_FMT_DIS:
    case NP_FMT_CALLGRIND:
        o->obj_names = true;
        break;
    default:
        break;
    }
}

/* trim_paths: pprof's newGraph cleans file names (-trim_path, -source_path) on every build, so
 * each graph pprof would build does it once; weights_only: see np_graph_opts. */
static np_graph *graph_for(np_report *r, const np_nodeset *kept, bool trim_paths, bool weights_only)
{
    if (trim_paths)
        np_report_trim_paths(r);
    np_graph_opts o;
    np_report_graph_opts(r, &o, kept);
    o.weights_only = weights_only;
    const char **pairs = unit_pairs(r);
    o.num_label_units = pairs;
    np_graph *g = np_graph_new(r->p, &o);
    free(pairs);
    return g;
}

static np_graph *new_graph(np_report *r, const np_nodeset *kept)
{
    return graph_for(r, kept, true, false);
}

np_graph *np_report_trimmed_graph(np_report *r, int *orig_count, int *dropped_nodes, int *dropped_edges)
{
    bool visual = r->format == NP_FMT_DOT;
    bool call_tree = r->call_tree && (r->format == NP_FMT_DOT || r->format == NP_FMT_CALLGRIND);
    /* Outside call trees the first graph only decides which nodes stay, and when some go (the
     * usual case) the graph is built again without them: it is built with node weights only,
     * which is most of the work saved, and once more in full only when nothing goes. */
    bool probe = !call_tree && r->nodefraction != 0; /* else no node can go */
    np_graph *g = graph_for(r, NULL, true, probe);
    int64_t flat_sum;
    np_graph_sum(g, &flat_sum, NULL);
    int64_t node_cutoff = np_go_abs64(np_go_f2i((double)flat_sum * r->nodefraction));
    int64_t edge_cutoff = np_go_abs64(np_go_f2i((double)flat_sum * r->edgefraction));
    *dropped_nodes = 0;
    *dropped_edges = 0;
    if (node_cutoff > 0) {
        if (call_tree) {
            bool *mark = np_xcalloc(g->n_all + 1, sizeof *mark);
            size_t kept = np_graph_discard_low_frequency_ptrs(g, node_cutoff, mark);
            if (kept != g->n_nodes) {
                *dropped_nodes = (int)(g->n_nodes - kept);
                np_graph_trim_tree(g, mark);
            }
            free(mark);
        } else {
            np_nodeset kept;
            np_nodeset_init(&kept);
            size_t n = np_graph_discard_low_frequency(g, node_cutoff, &kept);
            if (n != g->n_nodes) {
                *dropped_nodes = (int)(g->n_nodes - n);
                np_graph_free(g);
                g = new_graph(r, &kept);
                probe = false;
            }
            np_nodeset_free(&kept);
        }
    }
    if (probe) { /* the same graph, complete; the file names are already cleaned */
        np_graph_free(g);
        g = graph_for(r, NULL, false, false);
    }
    *orig_count = (int)g->n_nodes;
    np_graph_sort_nodes(g, r->cum_sort, visual);
    if (r->nodecount > 0) {
        np_graph_trim_low_frequency_tags(g, node_cutoff);
        np_graph_trim_low_frequency_edges(g, edge_cutoff);
        if (call_tree) {
            bool *mark = np_xcalloc(g->n_all + 1, sizeof *mark);
            size_t kept = np_graph_select_top_ptrs(g, r->nodecount, visual, mark);
            if (kept != g->n_nodes) {
                np_graph_trim_tree(g, mark);
                np_graph_sort_nodes(g, r->cum_sort, visual);
            }
            free(mark);
        } else {
            np_nodeset kept;
            np_nodeset_init(&kept);
            size_t n = np_graph_select_top(g, r->nodecount, visual, &kept);
            if (n != g->n_nodes) {
                np_graph_free(g);
                g = new_graph(r, &kept);
                np_graph_sort_nodes(g, r->cum_sort, visual);
            }
            np_nodeset_free(&kept);
        }
    }
    np_graph_trim_low_frequency_tags(g, node_cutoff);
    *dropped_edges = np_graph_trim_low_frequency_edges(g, edge_cutoff);
    if (visual)
        np_graph_remove_redundant_edges(g);
    return g;
}

void np_report_select_unit(np_report *r, np_graph *g)
{
    if (strcmp(r->output_unit, "minimum") != 0 || g->n_nodes == 0)
        return;
    int64_t min_value = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const np_node *n = np_graph_node(g, i);
        int64_t m = np_go_abs64(np_node_flat(n));
        if (m == 0)
            m = np_go_abs64(np_node_cum(n));
        if (m > 0 && (min_value == 0 || m < min_value))
            min_value = m;
    }
    int64_t max_value = r->total;
    if (min_value == 0)
        min_value = max_value;
    if (r->ratio > 0 && r->ratio != 1) {
        min_value = np_go_f2i((double)min_value * r->ratio);
        max_value = np_go_f2i((double)max_value * r->ratio);
    }
    char min_unit[64], max_unit[64], unit[64];
    np_measure_scale(min_value, r->sample_unit, "minimum", min_unit, sizeof min_unit);
    np_measure_scale(max_value, r->sample_unit, "minimum", max_unit, sizeof max_unit);
    snprintf(unit, sizeof unit, "%s", min_unit);
    if (strcmp(min_unit, max_unit) != 0 && min_value * 100 < max_value && r->format != NP_FMT_CALLGRIND)
        np_measure_scale(100 * min_value, r->sample_unit, "minimum", unit, sizeof unit);
    snprintf(r->output_unit, sizeof r->output_unit, "%s", unit[0] ? unit : r->sample_unit);
}

/* time.Format("Jan 2, 2006 at 3:04pm (MST)") in the local zone. */
static void go_time_label(np_buf *b, int64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000LL);
    if (ns % 1000000000LL < 0)
        secs--;
    struct tm tm;
    localtime_r(&secs, &tm);
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
    np_buf_printf(b, "%s %d, %d at %d:%02d%s (", mon[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900, h12,
                  tm.tm_min, tm.tm_hour < 12 ? "am" : "pm");
    if (tm.tm_zone && tm.tm_zone[0] != '+' && tm.tm_zone[0] != '-')
        np_buf_puts(b, tm.tm_zone);
    else {
        long off = tm.tm_gmtoff;
        np_buf_printf(b, "%c%02ld%02ld", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) / 60 % 60);
    }
    np_buf_putc(b, ')');
}

void np_report_profile_labels(const np_report *r, np_buf *out)
{
    const np_profile *p = r->p;
    np_buf s1 = {0}, s2 = {0};
    if (p->n_mapping) {
        if (p->mapping[0].file[0]) {
            np_buf_puts(out, "File: ");
            np_path_base_buf(out, p->mapping[0].file);
            np_buf_putc(out, '\n');
        }
        if (p->mapping[0].build_id[0])
            np_buf_printf(out, "Build ID: %s\n", p->mapping[0].build_id);
    }
    for (size_t i = 0; i < p->n_comment; i++)
        if (p->comment[i][0] != '#')
            np_buf_printf(out, "%s\n", p->comment[i]);
    if (r->sample_type[0])
        np_buf_printf(out, "Type: %s\n", r->sample_type);
    if (p->time_nanos) {
        np_buf_puts(out, "Time: ");
        go_time_label(out, p->time_nanos);
        np_buf_putc(out, '\n');
    }
    if (p->duration_nanos) {
        np_buf_puts(out, "Duration: ");
        np_measure_label(out, p->duration_nanos, "nanoseconds");
        char unit[64];
        double total_ns = np_measure_scale(r->total, r->sample_unit, "nanoseconds", unit, sizeof unit);
        np_buf_printf(out, ", Total samples = %s ", np_report_fmt(r, r->total, &s1));
        if (strcmp(unit, "ns") == 0 && total_ns != 0)
            np_buf_printf(out, "(%s)", pct(np_go_f2i(total_ns), p->duration_nanos, &s2));
        np_buf_putc(out, '\n');
    }
    np_buf_free(&s1);
    np_buf_free(&s2);
}

static void drop_label(np_buf *out, int d, const char *what, const char *measure, const char *value)
{
    np_buf_printf(out, "Dropped %d %s%s (%s <= %s)\n", d, what, d > 1 ? "s" : "", measure, value);
}

void np_report_labels(np_report *r, np_graph *g, int orig_count, int dropped_nodes,
                      int dropped_edges, bool full_headers, np_buf *out)
{
    np_buf s1 = {0}, s2 = {0};
    if (full_headers || !r->compact_labels)
        np_report_profile_labels(r, out);
    int64_t flat_sum = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        flat_sum += np_node_flat(np_graph_node(g, i));
    if (r->n_active_filters) {
        np_buf_puts(out, "Active filters:\n");
        for (size_t i = 0; i < r->n_active_filters; i++) {
            const char *f = r->active_filters[i];
            /* pprof shortens long filters to 80 bytes plus an ellipsis. */
            if (strlen(f) > 80)
                np_buf_printf(out, "   %.80s\xe2\x80\xa6\n", f);
            else
                np_buf_printf(out, "   %s\n", f);
        }
    }
    const char *p = pct(flat_sum, r->total, &s2);
    while (*p == ' ')
        p++;
    np_buf_printf(out, "Showing nodes accounting for %s, ", np_report_fmt(r, flat_sum, &s1));
    np_buf_printf(out, "%s of ", p);
    np_buf_printf(out, "%s total\n", np_report_fmt(r, r->total, &s1));
    if (r->total != 0) {
        if (dropped_nodes > 0)
            drop_label(out, dropped_nodes, "node", "cum",
                       np_report_fmt(r, np_go_abs64(np_go_f2i((double)r->total * r->nodefraction)), &s1));
        if (dropped_edges > 0)
            drop_label(out, dropped_edges, "edge", "freq",
                       np_report_fmt(r, np_go_abs64(np_go_f2i((double)r->total * r->edgefraction)), &s1));
        if (g->n_nodes > 0 && (int)g->n_nodes < orig_count)
            np_buf_printf(out, "Showing top %zu nodes out of %d\n", g->n_nodes, orig_count);
    }
    if (full_headers)
        np_buf_puts(out, "\nSee https://git.io/JfYMW for how to read the graph\n");
    np_buf_free(&s1);
    np_buf_free(&s2);
}

static const char *inline_label(const np_graph *g, const np_node *n)
{
    bool inl = false, noinl = false;
    for (size_t i = 0; i < n->n_in; i++) {
        if (g->edges[n->in[i]].is_inline)
            inl = true;
        else
            noinl = true;
    }
    return !inl ? "" : noinl ? " (partial-inline)" : " (inline)";
}

void np_report_top_rows(np_report *r, np_buf *legend, bool column_header, np_top_row_fn fn, void *ctx)
{
    int orig, dn, de;
    np_graph *g = np_report_trimmed_graph(r, &orig, &dn, &de);
    np_report_select_unit(r, g);
    np_report_labels(r, g, orig, dn, 0, false, legend);
    if (column_header)
        np_buf_printf(legend, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
    np_buf a = {0}, b = {0}, c = {0}, d = {0}, e = {0};
    np_top_row row = {0};
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        row.flat = np_node_flat(n);
        row.cum = np_node_cum(n);
        row.sum += row.flat;
        row.flat_text = np_report_fmt(r, row.flat, &a);
        row.flat_pct = pct(row.flat, r->total, &b);
        row.sum_pct = pct(row.sum, r->total, &c);
        row.cum_text = np_report_fmt(r, row.cum, &d);
        row.cum_pct = pct(row.cum, r->total, &e);
        row.name = np_node_name(g, n);
        row.inline_label = inline_label(g, n);
        fn(ctx, &row);
    }
    np_buf_free(&a);
    np_buf_free(&b);
    np_buf_free(&c);
    np_buf_free(&d);
    np_buf_free(&e);
    np_graph_free(g);
}

static void text_row(void *ctx, const np_top_row *t)
{
    np_buf_printf(ctx, "%10s %s %s %10s %s  %s%s\n", t->flat_text, t->flat_pct, t->sum_pct, t->cum_text,
                  t->cum_pct, t->name, t->inline_label);
}

int np_report_text(np_report *r, np_buf *out, np_err *err)
{
    (void)err;
    np_report_top_rows(r, out, true, text_row, out);
    return 0;
}

/* Formatted numbers of traces, cached: a large profile has hundreds of thousands of samples
 * but few distinct values (and label values), and formatting one costs unit lookups and a
 * printf of a double. Direct-mapped on the value and the unit's address (units are the
 * report's own strings); texts that do not fit an entry are just not cached. */
enum { NUM_CACHE_SIZE = 4096 };
typedef struct num_cache_entry {
    int64_t value;
    const char *unit;
    uint8_t len; /* 0: empty */
    char text[39];
} num_cache_entry;

static num_cache_entry *num_cache_find(num_cache_entry *cache, int64_t v, const char *unit)
{
    uint64_t h = ((uint64_t)v ^ (uint64_t)(uintptr_t)unit) * 0x9e3779b97f4a7c15ULL;
    return &cache[h >> 52];
}

static void num_cache_put(num_cache_entry *e, int64_t v, const char *unit, const np_buf *text)
{
    if (text->len > 0 && text->len < sizeof e->text) {
        memcpy(e->text, text->data, text->len);
        e->len = (uint8_t)text->len;
        e->value = v;
        e->unit = unit;
    }
}

/* State of one traces report. */
typedef struct traces {
    const np_report *r;
    num_cache_entry *values, *labels;
    np_buf tmp;              /* one formatted number */
    np_buf lines;            /* a sample's label lines, each NUL-terminated for sorting */
    size_t *line_off;
    const char **keys;
    size_t cap;              /* of line_off and keys */
} traces;

/* measurement.Label(v, unit) through the label cache. */
static void put_label_num(traces *t, int64_t v, const char *unit, np_buf *out)
{
    num_cache_entry *e = num_cache_find(t->labels, v, unit);
    if (e->len && e->value == v && e->unit == unit) {
        np_buf_add(out, e->text, e->len);
        return;
    }
    t->tmp.len = 0;
    np_measure_label(&t->tmp, v, unit);
    num_cache_put(e, v, unit, &t->tmp);
    np_buf_add(out, t->tmp.data, t->tmp.len);
}

static const char *g_lines; /* the buffer the offsets being sorted point into */

static int cmp_line(const void *a, const void *b)
{
    return strcmp(g_lines + *(const size_t *)a, g_lines + *(const size_t *)b);
}

/* One "%10s:  v1 v2" line per label key, sorted, string labels then numeric ones. */
static void trace_labels(traces *t, const np_sample *s, bool numeric, np_buf *out)
{
    if (s->n_label > t->cap) {
        t->cap = s->n_label;
        t->line_off = np_xrealloc(t->line_off, t->cap * sizeof *t->line_off);
        t->keys = np_xrealloc(t->keys, t->cap * sizeof *t->keys);
    }
    const char **keys = t->keys;
    size_t nk = 0;
    for (uint32_t i = 0; i < s->n_label; i++) {
        const np_label *l = &s->label[i];
        if ((l->str[0] == 0) != numeric)
            continue;
        size_t k = 0;
        while (k < nk && strcmp(keys[k], l->key) != 0)
            k++;
        if (k == nk)
            keys[nk++] = l->key;
    }
    np_buf *b = &t->lines;
    b->len = 0;
    for (size_t k = 0; k < nk; k++) {
        t->line_off[k] = b->len;
        size_t kl = strlen(keys[k]);
        for (size_t pad = kl; pad < 10; pad++) /* "%10s" */
            np_buf_putc(b, ' ');
        np_buf_add(b, keys[k], kl);
        np_buf_add(b, ":  ", 3);
        bool first = true;
        const char *unit = np_num_label_unit(t->r->num_label_units, keys[k]);
        for (uint32_t i = 0; i < s->n_label; i++) {
            const np_label *l = &s->label[i];
            if ((l->str[0] == 0) != numeric || strcmp(l->key, keys[k]) != 0)
                continue;
            if (!first)
                np_buf_putc(b, ' ');
            first = false;
            if (numeric)
                put_label_num(t, l->num, unit ? unit : "", b);
            else
                np_buf_puts(b, l->str);
        }
        np_buf_add(b, "\n", 2); /* the newline and the terminator for sorting */
    }
    if (nk > 1) {
        g_lines = b->data;
        qsort(t->line_off, nk, sizeof *t->line_off, cmp_line);
        g_lines = NULL;
    }
    for (size_t k = 0; k < nk; k++) {
        const char *line = b->data + t->line_off[k];
        np_buf_add(out, line, strlen(line));
    }
}

/* The sample's value as the first frame line shows it: "%10s", right-aligned, never cut. */
static void put_value(traces *t, int64_t v, np_buf *out)
{
    num_cache_entry *e = num_cache_find(t->values, v, NULL);
    const char *text;
    size_t len;
    if (e->len && e->value == v) {
        text = e->text;
        len = e->len;
    } else {
        text = np_report_fmt(t->r, v, &t->tmp);
        len = t->tmp.len;
        num_cache_put(e, v, NULL, &t->tmp);
    }
    if (len < 10) {
        np_buf_reserve(out, 10 - len);
        memset(out->data + out->len, ' ', 10 - len);
        out->len += 10 - len;
    }
    np_buf_add(out, text, len);
}

/* The frame lines of one location as every trace prints them: "%10s   %s%s\n" with an empty
 * value, the node's name, and " (inline)" on all but the last (outermost) line. A location's
 * lines are the same in every sample, so they are rendered once, on first use. */
typedef struct loc_lines {
    char *text; /* NULL until rendered */
    size_t len;
} loc_lines;

static const loc_lines *trace_loc_lines(np_graph *g, loc_lines *cache, np_arena *a, uint32_t loc)
{
    loc_lines *ll = &cache[loc];
    if (ll->text)
        return ll;
    np_buf b = {0};
    for (uint32_t k = 0; k < g->loc_n[loc]; k++) {
        np_node *n = &g->all[g->loc_nodes[loc][k]];
        np_buf_puts(&b, "             "); /* ten for the empty value, three of separation */
        np_buf_puts(&b, np_node_name(g, n));
        if (k != g->loc_n[loc] - 1)
            np_buf_puts(&b, " (inline)");
        np_buf_putc(&b, '\n');
    }
    ll->text = np_arena_strndup(a, b.data ? b.data : "", b.len);
    ll->len = b.len;
    np_buf_free(&b);
    return ll;
}

/* np_buf_add for the traces' many short copies, without a call when there is room. */
static inline void put(np_buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        np_buf_add(b, p, n);
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* Output beyond this much is handed to r->stream (when set) as the report goes, so the text of
 * a large profile's traces (hundreds of megabytes) is never held in memory whole. */
enum { STREAM_CHUNK = 1 << 18 };

static void maybe_flush(const np_report *r, np_buf *out)
{
    if (r->stream && out->len >= STREAM_CHUNK) {
        fwrite(out->data, 1, out->len, r->stream);
        out->len = 0;
    }
}

int np_report_traces(np_report *r, np_buf *out, np_err *err)
{
    static const char sep[] = "-----------+-------------------------------------------------------\n";
    np_report_profile_labels(r, out);
    np_graph_opts o;
    memset(&o, 0, sizeof o);
    np_graph *g = np_graph_nodes_only(r->p, &o);
    traces t = {.r = r};
    t.values = np_xcalloc(NUM_CACHE_SIZE, sizeof *t.values);
    t.labels = np_xcalloc(NUM_CACHE_SIZE, sizeof *t.labels);
    loc_lines *lines = np_xcalloc(r->p->n_location + 1, sizeof *lines);
    np_arena text = {0};
    for (size_t si = 0; si < r->p->n_sample; si++) {
        const np_sample *s = &r->p->sample[si];
        if (s->n_loc == 0)
            continue;
        np_buf_add(out, sep, sizeof sep - 1);
        if (s->n_label) {
            trace_labels(&t, s, false, out);
            trace_labels(&t, s, true, out);
        }
        int64_t val = s->value[r->value_index];
        int64_t d = r->mean_index >= 0 ? s->value[r->mean_index] : 0;
        if (d != 0)
            val /= d;
        for (uint32_t li = 0; li < s->n_loc; li++) {
            const loc_lines *ll = trace_loc_lines(g, lines, &text, s->loc[li]);
            if (li == 0) {
                /* The first line carries the value in place of the ten blanks. */
                put_value(&t, val, out);
                put(out, ll->text + 10, ll->len - 10);
            } else {
                put(out, ll->text, ll->len);
            }
        }
        maybe_flush(r, out);
    }
    np_buf_puts(out, sep);
    np_arena_free(&text);
    free(lines);
    free(t.values);
    free(t.labels);
    free(t.line_off);
    free(t.keys);
    np_buf_free(&t.tmp);
    np_buf_free(&t.lines);
    np_graph_free(g);
    return 0;
}

static void tree_edges(np_report *r, np_graph *g, const np_node *n, bool in, int64_t cum, np_buf *out,
                       np_buf *s1, np_buf *s2)
{
    size_t k;
    uint32_t *edges = np_graph_sorted_edges(g, n, in, &k);
    for (size_t i = 0; i < k; i++) {
        const np_edge *e = &g->edges[edges[i]];
        np_node *other = &g->all[in ? e->src : e->dest];
        np_buf_printf(out, "%50s %s |   %s%s\n", np_report_fmt(r, e->weight, s1), pct(e->weight, cum, s2),
                      np_node_name(g, other), e->is_inline ? " (inline)" : "");
    }
    free(edges);
}

int np_report_tree(np_report *r, np_buf *out, np_err *err)
{
    static const char sep[] = "----------------------------------------------------------+-------------\n";
    static const char legend[] = "      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t \n";
    int orig, dn, de;
    np_graph *g = np_report_trimmed_graph(r, &orig, &dn, &de);
    np_report_select_unit(r, g);
    np_report_labels(r, g, orig, dn, 0, false, out);
    np_buf_puts(out, sep);
    np_buf_puts(out, legend);
    np_buf s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0};
    int64_t flat_sum = 0;
    int matched = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        const char *name = np_node_name(g, n);
        int64_t flat = np_node_flat(n), cum = np_node_cum(n);
        if (r->symbol && !np_regex_match(r->symbol, name))
            continue;
        matched++;
        np_buf_puts(out, sep);
        tree_edges(r, g, n, true, cum, out, &s1, &s2);
        flat_sum += flat;
        np_buf_printf(out, "%10s %s ", np_report_fmt(r, flat, &s1), pct(flat, r->total, &s2));
        np_buf_printf(out, "%s %10s ", pct(flat_sum, r->total, &s3), np_report_fmt(r, cum, &s4));
        np_buf_printf(out, "%s                | %s\n", pct(cum, r->total, &s5), name);
        tree_edges(r, g, n, false, cum, out, &s1, &s2);
    }
    if (g->n_nodes > 0)
        np_buf_puts(out, sep);
    np_buf_free(&s1);
    np_buf_free(&s2);
    np_buf_free(&s3);
    np_buf_free(&s4);
    np_buf_free(&s5);
    np_graph_free(g);
    if (r->symbol && matched == 0)
        return np_fail(err, "no matches found for regexp: %s", np_regex_pattern(r->symbol));
    return 0;
}

int np_report_comments(np_report *r, np_buf *out, np_err *err)
{
    for (size_t i = 0; i < r->p->n_comment; i++)
        np_buf_printf(out, "%s\n", r->p->comment[i]);
    return 0;
}

int np_report_proto(np_report *r, np_buf *out, np_err *err)
{
    np_profile *p = r->p;
    if (r->ratio > 0 && r->ratio != 1)
        for (size_t i = 0; i < p->n_sample; i++)
            for (size_t v = 0; v < p->n_sample_type; v++)
                p->sample[i].value[v] = np_go_f2i((double)p->sample[i].value[v] * r->ratio);
    np_buf raw = {0};
    np_profile_encode(p, &raw);
    int rc = np_gzip(raw.data, raw.len, out, err);
    np_buf_free(&raw);
    return rc;
}

int np_report_topproto(np_report *r, np_buf *out, np_err *err)
{
    int orig, dn, de;
    np_graph *g = np_report_trimmed_graph(r, &orig, &dn, &de);
    np_report_select_unit(r, g);
    np_profile *t = np_profile_new();
    np_value_type types[2] = {{"cum", r->output_unit}, {"flat", r->output_unit}};
    np_profile_set_sample_types(t, 2, types);
    t->time_nanos = r->p->time_nanos;
    t->duration_nanos = r->p->duration_nanos;
    t->period_type.type = np_profile_str(t, r->p->period_type.type);
    t->period_type.unit = np_profile_str(t, r->p->period_type.unit);
    t->period = r->p->period;
    np_hmap funcs;
    np_hmap_init(&funcs, g->n_nodes);
    np_buf key = {0};
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        key.len = 0;
        np_buf_printf(&key, "%s%c%s%c%s%c%" PRId64, n->info.name, 0, n->info.orig_name, 0,
                      n->info.file, 0, n->info.start_line);
        bool found;
        uint32_t fi = np_hmap_intern(&funcs, key.data, key.len, (uint32_t)t->n_function, &found);
        if (!found) {
            np_function *f = np_profile_add_function(t);
            f->id = t->n_function;
            f->name = np_profile_str(t, n->info.name);
            f->system_name = np_profile_str(t, n->info.orig_name);
            f->filename = np_profile_str(t, n->info.file);
            f->start_line = n->info.start_line;
        }
        np_location *l = np_profile_add_location(t);
        l->id = i + 1;
        l->address = n->info.address;
        l->n_line = 1;
        l->line = np_arena_alloc(&t->arena, sizeof *l->line);
        l->line[0].func = fi;
        l->line[0].line = n->info.lineno;
        char unit[64];
        double fv = np_measure_scale(np_node_flat(n), r->sample_unit, r->output_unit, unit, sizeof unit);
        double cv = np_measure_scale(np_node_cum(n), r->sample_unit, r->output_unit, unit, sizeof unit);
        np_sample *s = np_profile_add_sample(t);
        s->n_loc = 1;
        s->loc = np_arena_alloc(&t->arena, sizeof *s->loc);
        s->loc[0] = (uint32_t)i;
        s->value = np_arena_alloc(&t->arena, 2 * sizeof *s->value);
        s->value[0] = np_go_f2i(cv);
        s->value[1] = np_go_f2i(fv);
    }
    np_buf_free(&key);
    np_hmap_free(&funcs);
    np_buf raw = {0};
    np_profile_encode(t, &raw);
    int rc = np_gzip(raw.data, raw.len, out, err);
    np_buf_free(&raw);
    np_profile_free(t);
    np_graph_free(g);
    return rc;
}

void np_report_trim_paths(np_report *r)
{
    np_profile *p = r->p;
    const char *src_opt = r->source_path ? r->source_path : "";
    const char *trim_opt = r->trim_path ? r->trim_path : "";
    np_trimmer tr;
    np_trimmer_init(&tr, trim_opt, src_opt);
    for (size_t i = 0; i < p->n_function; i++) {
        const char *f = p->function[i].filename;
        const char *t = np_trimmer_apply(&tr, f);
        if (t != f)
            p->function[i].filename = np_profile_str(p, t);
    }
    np_trimmer_free(&tr);
}

static bool is_base_sample(const np_sample *s)
{
    for (uint32_t i = 0; i < s->n_label; i++)
        if (strcmp(s->label[i].key, "pprof::base") == 0 && strcmp(s->label[i].str, "true") == 0)
            return true;
    return false;
}

int64_t np_report_total(const np_profile *p, int value_index, int mean_index)
{
    int64_t div = 0, total = 0, diff_div = 0, diff_total = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        int64_t v = s->value[value_index];
        int64_t d = mean_index >= 0 ? s->value[mean_index] : 0;
        if (v < 0)
            v = -v;
        total += v;
        div += d;
        if (is_base_sample(s)) {
            diff_total += v;
            diff_div += d;
        }
    }
    if (diff_total > 0) {
        total = diff_total;
        div = diff_div;
    }
    return div != 0 ? total / div : total;
}

static int report_raw(np_report *r, np_buf *out, np_err *err)
{
    (void)err;
    np_profile_raw(r->p, out);
    return 0;
}

/* One renderer per format; a format without one is refused. */
static int (*const renderers[])(np_report *, np_buf *, np_err *) = {
    [NP_FMT_CALLGRIND] = np_report_callgrind, [NP_FMT_COMMENTS] = np_report_comments,
    [NP_FMT_DOT] = np_report_dot,             [NP_FMT_LIST] = np_report_list,
    [NP_FMT_PROTO] = np_report_proto,         [NP_FMT_RAW] = report_raw,
    [NP_FMT_TAGS] = np_report_tags,           [NP_FMT_TEXT] = np_report_text,
    [NP_FMT_TOPPROTO] = np_report_topproto,   [NP_FMT_TRACES] = np_report_traces,
    [NP_FMT_TREE] = np_report_tree,
    [NP_FMT_WEBLIST] = np_report_weblist,
    [NP_FMT_FOLDED] = np_report_folded,       [NP_FMT_ICICLE] = np_report_icicle,
    [NP_FMT_FLAMEGRAPH] = np_flame_html,      [NP_FMT_FLAMEDATA] = np_flame_data_json,
    [NP_FMT_TUI] = np_report_tui,
    [NP_FMT_TOPTABLE] = np_report_top_table,
    [NP_FMT_DIS] = np_report_disasm,
};

int np_report_generate(np_report *r, np_buf *out, np_err *err)
{
    size_t f = (size_t)r->format;
    if (f >= sizeof renderers / sizeof *renderers || !renderers[f])
        return np_fail(err, "this report format is not supported by nprof");
    return renderers[f](r, out, err);
}

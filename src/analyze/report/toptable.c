/* The web UI's Top table: -top's rows (np_report_top_rows) as HTML whose cells keep the exact
 * values, so that sorting does not go by rounded text. */
#include "analyze/report/report.h"

#include <inttypes.h>
#include <string.h>

typedef struct table {
    np_buf *out;
    int64_t total;
} table;

static void cell_text(np_buf *out, const char *text)
{
    while (*text == ' ') /* -top pads to columns; a table aligns by itself */
        text++;
    np_report_html(out, text, strlen(text));
    np_buf_puts(out, "</td>");
}

/* A value cell: data-v is the value itself, a decimal integer. */
static void value_cell(np_buf *out, int64_t v, const char *text)
{
    np_buf_printf(out, "<td data-v=\"%" PRId64 "\">", v);
    cell_text(out, text);
}

/* A percentage cell: data-v is the share unrounded (as many digits as a double holds). */
static void pct_cell(const table *t, int64_t v, const char *text)
{
    double share = t->total ? 100.0 * (double)v / (double)t->total : 0;
    np_buf_printf(t->out, "<td data-v=\"%.17g\">", share);
    cell_text(t->out, text);
}

static void table_row(void *ctx, const np_top_row *t)
{
    const table *tb = ctx;
    np_buf *out = tb->out, name = {0};
    np_buf_puts(out, "<tr>");
    value_cell(out, t->flat, t->flat_text);
    pct_cell(tb, t->flat, t->flat_pct);
    pct_cell(tb, t->sum, t->sum_pct);
    value_cell(out, t->cum, t->cum_text);
    pct_cell(tb, t->cum, t->cum_pct);
    np_buf_printf(&name, "%s%s", t->name, t->inline_label);
    np_buf_puts(out, "<td class=\"name\" data-name=\"");
    np_report_html(out, name.data, name.len);
    np_buf_puts(out, "\">");
    np_report_html(out, name.data, name.len);
    np_buf_puts(out, "</td></tr>\n");
    np_buf_free(&name);
}

/* The legend's lines, one <div> each. */
static void legend_html(const np_buf *legend, np_buf *out)
{
    const char *p = legend->data ? legend->data : "", *end = p + legend->len;
    np_buf_puts(out, "<div id=\"legend\">");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        np_buf_puts(out, "<div>");
        np_report_html(out, p, n);
        np_buf_puts(out, "</div>");
        p += n + (nl != NULL);
    }
    np_buf_puts(out, "</div>\n");
}

int np_report_top_table(np_report *r, np_buf *out, np_err *err)
{
    (void)err;
    np_buf legend = {0}, rows = {0};
    table t = {&rows, r->total};
    np_report_top_rows(r, &legend, false, table_row, &t);
    legend_html(&legend, out);
    np_buf_puts(out, "<table id=\"toptable\"><thead><tr>"
                     "<th data-col=\"0\">Flat</th><th data-col=\"1\">Flat%</th>"
                     "<th data-col=\"2\">Sum%</th><th data-col=\"3\">Cum</th>"
                     "<th data-col=\"4\">Cum%</th><th data-col=\"5\">Name</th>"
                     "</tr></thead>\n<tbody>\n");
    if (rows.len)
        np_buf_add(out, rows.data, rows.len);
    np_buf_puts(out, "</tbody></table>\n");
    np_buf_free(&legend);
    np_buf_free(&rows);
    return 0;
}

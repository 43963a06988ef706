/* The -weblist report: the -list report's functions, lines and values as one self-contained
 * HTML page (names and source text escaped), for a browser. Source lines only: nprof has no
 * disassembly to unfold under them yet. */
#include "analyze/report/report.h"

#include <string.h>

#include "analyze/measure.h"
#include "analyze/report/assets.h"
#include "analyze/report/list_walk.h"

typedef struct page {
    np_report *r;
    np_buf *out;
    np_buf a, b, c; /* formatted numbers */
    bool in_table;
} page;

void np_report_html(np_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': np_buf_puts(out, "&amp;"); break;
        case '<': np_buf_puts(out, "&lt;"); break;
        case '>': np_buf_puts(out, "&gt;"); break;
        case '"': np_buf_puts(out, "&#34;"); break;
        case '\'': np_buf_puts(out, "&#39;"); break;
        case 0: np_buf_puts(out, "&#xFFFD;"); break; /* NUL is not allowed in HTML text */
        default: np_buf_putc(out, s[i]); break;
        }
    }
}

static void put_html(np_buf *out, const char *s, size_t n)
{
    np_report_html(out, s, n);
}

static void put_html_str(np_buf *out, const char *s)
{
    put_html(out, s, strlen(s));
}

static const char *value(page *pg, int64_t v, np_buf *slot)
{
    return np_report_fmt(pg->r, v, slot);
}

static void close_table(page *pg)
{
    if (pg->in_table)
        np_buf_puts(pg->out, "</table>\n");
    pg->in_table = false;
}

static void page_begin(void *ctx, int64_t total)
{
    page *pg = ctx;
    np_buf labels = {0};
    np_report_profile_labels(pg->r, &labels);
    np_buf_puts(pg->out, "<div class=\"legend\">");
    put_html(pg->out, labels.data ? labels.data : "", labels.len);
    np_buf_puts(pg->out, "Total: ");
    put_html_str(pg->out, value(pg, total, &pg->a));
    np_buf_puts(pg->out, "</div>\n");
    np_buf_free(&labels);
}

static void page_no_source(void *ctx, const char *name)
{
    page *pg = ctx;
    close_table(pg);
    np_buf_puts(pg->out, "<h2>");
    put_html_str(pg->out, name);
    np_buf_puts(pg->out, "</h2>\n<p class=\"error\">No source information</p>\n");
}

static void page_file(void *ctx, const char *name, const char *file, int64_t flat, int64_t cum,
                      const char *error)
{
    page *pg = ctx;
    np_buf *out = pg->out;
    close_table(pg);
    np_buf_puts(out, "<h2>");
    put_html_str(out, name);
    np_buf_puts(out, "</h2>\n<p class=\"file\">");
    put_html_str(out, file);
    np_buf_puts(out, "</p>\n");
    if (error) {
        np_buf_puts(out, "<p class=\"error\">Error: ");
        put_html_str(out, error);
        np_buf_puts(out, "</p>\n");
        return;
    }
    pg->c.len = 0;
    np_measure_percentage(&pg->c, cum, pg->r->total);
    np_buf_puts(out, "<table class=\"src\">\n<tr class=\"total\"><td class=\"n\"></td><td class=\"v\">");
    put_html_str(out, value(pg, flat, &pg->a));
    np_buf_puts(out, "</td><td class=\"v\">");
    put_html_str(out, value(pg, cum, &pg->b));
    np_buf_puts(out, "</td><td class=\"s\">(flat, cum) ");
    put_html_str(out, np_buf_cstr(&pg->c));
    np_buf_puts(out, " of Total</td></tr>\n");
    pg->in_table = true;
}

static void page_line(void *ctx, int64_t ln, int64_t flat, int64_t cum, const char *text, size_t len)
{
    page *pg = ctx;
    np_buf *out = pg->out;
    np_buf_printf(out, "<tr%s><td class=\"n\">%lld</td><td class=\"v\">", flat || cum ? " class=\"hot\"" : "",
                  (long long)ln);
    put_html_str(out, flat ? value(pg, flat, &pg->a) : ".");
    np_buf_puts(out, "</td><td class=\"v\">");
    put_html_str(out, cum ? value(pg, cum, &pg->b) : ".");
    np_buf_puts(out, "</td><td class=\"s\">");
    put_html(out, text, len);
    np_buf_puts(out, "</td></tr>\n");
}

int np_report_weblist(np_report *r, np_buf *out, np_err *err)
{
    np_buf body = {0};
    page pg = {.r = r, .out = &body};
    np_list_sink sink = {&pg, page_begin, page_no_source, page_file, page_line};
    int rc = np_list_walk(r, &sink, err);
    close_table(&pg);
    if (rc == 0) {
        np_buf_puts(out, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
        put_html_str(out, r->title && r->title[0] ? r->title : "nprof");
        np_buf_puts(out, " ");
        put_html_str(out, r->sample_type);
        np_buf_puts(out, "</title>\n<style>\n");
        np_buf_add(out, np_asset_weblist_css, np_asset_weblist_css_len);
        np_buf_puts(out, "</style>\n</head>\n<body>\n");
        np_buf_add(out, body.data ? body.data : "", body.len);
        np_buf_puts(out, "</body>\n</html>\n");
    }
    np_buf_free(&body);
    np_buf_free(&pg.a);
    np_buf_free(&pg.b);
    np_buf_free(&pg.c);
    return rc;
}

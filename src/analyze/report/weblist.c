/* The -weblist report: the matching functions' source lines with their values as one
 * self-contained HTML page, each line with code unfolding to its instructions (pprof's
 * weblist); names, paths, source and instruction text escaped. */
#include "analyze/report/report.h"

#include <stdio.h>
#include <string.h>

#include "analyze/measure.h"
#include "analyze/pathutil.h"
#include "analyze/report/assets.h"
#include "analyze/report/srcasm.h"

typedef struct page {
    np_report *r;
    np_buf *out;
    np_buf a, b, c; /* formatted numbers, scratch */
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

static void put_html_str(np_buf *out, const char *s)
{
    np_report_html(out, s, strlen(s));
}

static const char *value(page *pg, int64_t v, np_buf *slot)
{
    return v ? np_report_fmt(pg->r, v, slot) : ".";
}

static void close_table(page *pg)
{
    if (pg->in_table)
        np_buf_puts(pg->out, "</table>\n");
    pg->in_table = false;
}

/* The value cells of a row: flat, cum ("." for 0 unless a total), then the address cell
 * (empty when addr is NULL). */
static void cells(page *pg, const char *n, int64_t flat, int64_t cum, const char *addr)
{
    bool total = strcmp(n, "Total:") == 0;
    np_buf_printf(pg->out, "<td class=\"n\">%s</td><td class=\"v\">", n);
    put_html_str(pg->out, total ? np_report_fmt(pg->r, flat, &pg->a) : value(pg, flat, &pg->a));
    np_buf_puts(pg->out, "</td><td class=\"v\">");
    put_html_str(pg->out, total ? np_report_fmt(pg->r, cum, &pg->b) : value(pg, cum, &pg->b));
    np_buf_printf(pg->out, "</td><td class=\"a\">%s</td><td class=\"s\">", addr ? addr : "");
}

static void on_function(void *ctx, const char *name, const char *file, int64_t flat, int64_t cum)
{
    page *pg = ctx;
    np_buf *out = pg->out;
    close_table(pg);
    np_buf_puts(out, "<h2>");
    put_html_str(out, name);
    np_buf_puts(out, "</h2>\n<p class=\"file\">");
    put_html_str(out, file);
    np_buf_puts(out, "</p>\n<table class=\"src\">\n<tr class=\"total\">");
    pg->c.len = 0;
    np_measure_percentage(&pg->c, cum, pg->r->total);
    cells(pg, "Total:", flat, cum, NULL);
    np_buf_puts(out, "(flat, cum) ");
    put_html_str(out, np_buf_cstr(&pg->c));
    np_buf_puts(out, "</td></tr>\n");
    pg->in_table = true;
}

/* Columns of leading blanks, tabs to the next multiple of 8 (pprof's indentation). */
static int indentation(const char *s, size_t n)
{
    int col = 0;
    for (size_t i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
        col = s[i] == ' ' ? col + 1 : (col / 8 + 1) * 8;
    return col;
}

static void put_place(page *pg, const char *file, int64_t line)
{
    if (!file || !file[0])
        return;
    pg->c.len = 0;
    np_path_base_buf(&pg->c, file);
    np_buf_puts(pg->out, " <span class=\"at\">");
    put_html_str(pg->out, np_buf_cstr(&pg->c));
    np_buf_printf(pg->out, ":%lld</span>", (long long)line);
}

/* The inlined calls of u not already shown for the previous instruction (*shown). */
static void put_calls(page *pg, int indent, const np_srcasm_use *u, const np_srcasm_use **shown)
{
    const np_srcasm_use *s = *shown;
    for (size_t j = 0; j < u->n_calls; j++) {
        const np_srcasm_call *c = &u->calls[j];
        if (s && j < s->n_calls && s->calls[j].line == c->line && strcmp(s->calls[j].file, c->file) == 0)
            continue;
        s = NULL;
        const char *t = c->text;
        while (*t == ' ' || *t == '\t')
            t++;
        np_buf_puts(pg->out, "<tr class=\"asm call\"><td class=\"n\"></td><td class=\"v\"></td><td class=\"v\"></td>"
                             "<td class=\"a\"></td><td class=\"s\">");
        np_buf_printf(pg->out, "%*s", indent + 4 + 4 * (int)j, "");
        put_html_str(pg->out, t);
        put_place(pg, c->file, c->line);
        np_buf_puts(pg->out, "</td></tr>\n");
    }
    *shown = u;
}

static void put_instructions(page *pg, int indent, const np_srcasm_use *u, size_t n)
{
    const np_srcasm_use *shown = NULL;
    char addr[24];
    for (size_t i = 0; i < n; i++) {
        if (u[i].starts_block && i)
            np_buf_puts(pg->out, "<tr class=\"asm gap\"><td colspan=\"5\">&#8942;</td></tr>\n");
        put_calls(pg, indent, &u[i], &shown);
        const np_srcasm_inst *in = u[i].inst;
        if (!in->text)
            continue;
        snprintf(addr, sizeof addr, "%llx", (unsigned long long)in->obj_addr);
        np_buf_puts(pg->out, "<tr class=\"asm\">");
        cells(pg, "", in->flat, in->cum, addr);
        np_buf_printf(pg->out, "%*s", indent + 4 + 4 * (int)u[i].n_calls, "");
        put_html_str(pg->out, in->text);
        put_place(pg, in->file, in->line);
        np_buf_puts(pg->out, "</td></tr>\n");
    }
}

static void on_line(void *ctx, int64_t ln, int64_t flat, int64_t cum, const char *text, size_t len,
                    const np_srcasm_use *u, size_t n)
{
    page *pg = ctx;
    bool live = false;
    for (size_t i = 0; i < n && !live; i++)
        live = u[i].n_calls || u[i].inst->text;
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)ln);
    np_buf_printf(pg->out, "<tbody class=\"%s\"><tr class=\"line\">", !n ? "nop" : live ? "live" : "dead");
    cells(pg, num, flat, cum, NULL);
    np_report_html(pg->out, text, len);
    np_buf_puts(pg->out, "</td></tr>\n");
    if (live)
        put_instructions(pg, indentation(text, len), u, n);
    np_buf_puts(pg->out, "</tbody>\n");
}

static void page_head(np_report *r, np_buf *out)
{
    np_buf_puts(out, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
    put_html_str(out, r->title && r->title[0] ? r->title : "nprof");
    np_buf_puts(out, " ");
    put_html_str(out, r->sample_type);
    np_buf_puts(out, "</title>\n<style>\n");
    np_buf_add(out, np_asset_weblist_css, np_asset_weblist_css_len);
    np_buf_puts(out, "</style>\n<script>\n");
    np_buf_add(out, np_asset_weblist_js, np_asset_weblist_js_len);
    np_buf_puts(out, "</script>\n</head>\n<body>\n");
}

static void legend(page *pg, const np_buf *notes)
{
    np_buf labels = {0};
    np_report_profile_labels(pg->r, &labels);
    np_buf_puts(pg->out, "<div class=\"legend\">");
    np_report_html(pg->out, labels.data ? labels.data : "", labels.len);
    np_buf_puts(pg->out, "Total: ");
    put_html_str(pg->out, np_report_fmt(pg->r, pg->r->total, &pg->a));
    np_buf_puts(pg->out, "</div>\n");
    np_buf_free(&labels);
    for (size_t i = 0; i < notes->len;) {
        const char *nl = memchr(notes->data + i, '\n', notes->len - i);
        size_t n = nl ? (size_t)(nl - (notes->data + i)) : notes->len - i;
        np_buf_puts(pg->out, "<p class=\"note\">");
        np_report_html(pg->out, notes->data + i, n);
        np_buf_puts(pg->out, "</p>\n");
        i += n + 1;
    }
}

int np_report_weblist(np_report *r, np_buf *out, np_err *err)
{
    np_buf body = {0}, notes = {0};
    page pg = {.r = r, .out = &body};
    np_srcasm_sink sink = {&pg, on_function, on_line};
    int rc = np_srcasm_walk(r, &sink, &notes, err);
    close_table(&pg);
    if (notes.len)
        fprintf(stderr, "%s", np_buf_cstr(&notes));
    if (rc == 0) {
        page_head(r, out);
        pg.out = out;
        legend(&pg, &notes);
        np_buf_add(out, body.data ? body.data : "", body.len);
        np_buf_puts(out, "</body>\n</html>\n");
    }
    np_buf_free(&body);
    np_buf_free(&notes);
    np_buf_free(&pg.a);
    np_buf_free(&pg.b);
    np_buf_free(&pg.c);
    return rc;
}

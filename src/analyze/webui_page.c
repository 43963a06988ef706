/* The one page of the web UI: a header with the views, the sample index, the filter fields and
 * the download link around each view's body, with the embedded style and script. */
#include "analyze/webui_int.h"

#include <string.h>

#include "analyze/report/assets.h"
#include "analyze/report/report.h"

void np_webui_html(np_buf *out, const char *s, size_t n)
{
    np_report_html(out, s, n);
}

void np_webui_html_str(np_buf *out, const char *s)
{
    np_webui_html(out, s, strlen(s));
}

int np_webui_error(np_buf *out, int status, const char *msg)
{
    np_buf_puts(out, "<div class=\"error\">");
    np_webui_html_str(out, msg);
    np_buf_puts(out, "</div>\n");
    return status;
}

/* A link to view v that keeps the request's settings. */
static void view_link(const np_webui_req *q, const np_webui_view *v, const np_webui_view *cur,
                      np_buf *out)
{
    np_buf_printf(out, "<a href=\"./%s%s", v->path, q->query.len ? "?" : "");
    np_webui_html(out, q->query.data, q->query.len);
    np_buf_printf(out, "\"%s>%s</a>", v == cur ? " class=\"current\"" : "", v->name);
}

/* The sample index menu: the profile's sample types, the request's one selected. */
static void sample_menu(const np_webui_req *q, np_buf *out)
{
    const np_profile *p = q->ui->p;
    int cur = -1;
    np_err e;
    if (np_profile_sample_index(p, q->cfg.sample_index, &cur, &e) < 0)
        cur = -1;
    np_buf_puts(out, "<label>Sample <select name=\"si\" id=\"si\">");
    for (size_t i = 0; i < p->n_sample_type; i++) {
        np_buf_puts(out, "<option value=\"");
        np_webui_html_str(out, p->sample_type[i].type);
        np_buf_printf(out, "\"%s>", (int)i == cur ? " selected" : "");
        np_webui_html_str(out, p->sample_type[i].type);
        np_buf_puts(out, "</option>");
    }
    np_buf_puts(out, "</select></label>\n");
}

static void field(const char *name, const char *label, const char *value, np_buf *out)
{
    np_buf_printf(out, "<label>%s <input type=\"text\" name=\"%s\" id=\"field-%s\" value=\"", label,
                  name, name);
    np_webui_html_str(out, value ? value : "");
    np_buf_puts(out, "\" spellcheck=\"false\"></label>\n");
}

void np_webui_page_begin(np_webui_req *q, const np_webui_view *v, np_buf *out)
{
    np_buf_printf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<title>nprof: %s</title>\n<style>", v->name);
    np_buf_add(out, np_asset_webui_css, np_asset_webui_css_len);
    np_buf_printf(out, "</style>\n</head>\n<body data-view=\"%s\">\n<header id=\"header\">\n"
                       "<nav id=\"views\">", v->path);
    for (size_t i = 0; i < np_webui_n_views; i++)
        view_link(q, &np_webui_views[i], v, out);
    np_buf_printf(out, "</nav>\n<form id=\"filters\" method=\"get\" action=\"./%s\">\n", v->path);
    sample_menu(q, out);
    field("f", "Focus", q->cfg.focus, out);
    field("i", "Ignore", q->cfg.ignore, out);
    field("h", "Hide", q->cfg.hide, out);
    field("s", "Show", q->cfg.show, out);
    np_webui_hidden_fields(q, out);
    np_buf_printf(out, "<button type=\"submit\">Apply</button> <a id=\"reset\" href=\"./%s\">Reset</a>"
                       "\n</form>\n<a id=\"download\" href=\"./download\" download=\"profile.pb.gz\">"
                       "Download</a>\n</header>\n<main id=\"content\">\n", v->path);
}

void np_webui_page_end(np_buf *out)
{
    np_buf_puts(out, "</main>\n<div id=\"menu\" hidden></div>\n<script>");
    np_buf_add(out, np_asset_webui_js, np_asset_webui_js_len);
    np_buf_puts(out, "</script>\n</body>\n</html>\n");
}

/* The web UI's URL parameters: pprof's short names for the report settings, so that a URL
 * holds a whole view and gives it again when shared or reloaded. */
#include "analyze/webui_int.h"

#include <stdlib.h>
#include <string.h>

/* URL name -> setting. Settings that name files on this machine (output, source_path,
 * trim_path) are never taken from a URL. */
static const struct {
    const char *url, *option;
} params[] = {
    {"si", "sample_index"}, {"f", "focus"}, {"i", "ignore"}, {"h", "hide"}, {"s", "show"},
    {"sf", "show_from"}, {"prunefrom", "prune_from"}, {"tf", "tagfocus"}, {"ti", "tagignore"},
    {"ts", "tagshow"}, {"th", "taghide"}, {"g", "granularity"}, {"n", "nodecount"},
    {"nf", "nodefraction"}, {"ef", "edgefraction"}, {"trim", "trim"}, {"mean", "mean"},
    {"norm", "normalize"}, {"sort", "sort"}, {"unit", "unit"}, {"dropneg", "drop_negative"},
    {"calltree", "call_tree"}, {"rel", "relative_percentages"}, {"compact", "compact_labels"},
    {"noinlines", "noinlines"},
};

/* Appends name=value to a query string, percent-encoding what a URL cannot hold as it is. */
static void put_param(np_buf *q, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    np_buf_printf(q, "%s%s=", q->len ? "&" : "", name);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~", *p))
            np_buf_putc(q, (char)*p);
        else
            np_buf_printf(q, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
}

const char *np_webui_param(const np_webui_req *q, const char *name, np_buf *tmp)
{
    if (!np_http_query_param(q->http, name, tmp))
        return "";
    return np_buf_cstr(tmp);
}

int np_webui_req_init(np_webui_req *q, np_webui *ui, const np_http_request *http, np_err *err)
{
    memset(q, 0, sizeof *q);
    q->ui = ui;
    q->http = http;
    np_config_copy(&q->cfg, ui->cfg);
    free(q->cfg.output);
    q->cfg.output = np_xstrdup("");
    np_buf v = {0};
    int rc = 0;
    for (size_t i = 0; i < sizeof params / sizeof *params && rc == 0; i++) {
        /* An empty value leaves the setting as it was, as in pprof. */
        if (!np_http_query_param(http, params[i].url, &v) || v.len == 0)
            continue;
        np_err e;
        if (np_config_set(&q->cfg, params[i].option, np_buf_cstr(&v), &e) < 0)
            rc = np_fail(err, "error setting config field %s: %s", params[i].option, e.msg);
        put_param(&q->query, params[i].url, np_buf_cstr(&v));
    }
    np_buf_free(&v);
    q->arg = np_webui_param(q, "f", &q->argbuf);
    np_buf_cstr(&q->query);
    return rc;
}

void np_webui_req_free(np_webui_req *q)
{
    np_config_free(&q->cfg);
    np_buf_free(&q->query);
    np_buf_free(&q->argbuf);
}

/* The parameters the page's form does not show, as hidden fields, so that submitting the
 * form keeps them. */
void np_webui_hidden_fields(const np_webui_req *q, np_buf *out)
{
    static const char *const in_form[] = {"si", "f", "i", "h", "s"};
    np_buf v = {0};
    for (size_t i = 0; i < sizeof params / sizeof *params; i++) {
        bool shown = false;
        for (size_t k = 0; k < sizeof in_form / sizeof *in_form; k++)
            shown |= strcmp(in_form[k], params[i].url) == 0;
        if (shown || !np_http_query_param(q->http, params[i].url, &v) || v.len == 0)
            continue;
        np_buf_printf(out, "<input type=\"hidden\" name=\"%s\" value=\"", params[i].url);
        np_webui_html(out, v.data, v.len);
        np_buf_puts(out, "\">");
    }
    np_buf_free(&v);
}

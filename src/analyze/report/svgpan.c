/* Makes Graphviz's SVG pan and zoom in a browser, as pprof's -svg and -web do: the drawing fills
 * the window, and the graph goes into a "viewport" group driven by an embedded script. */
#include "analyze/report/report.h"

#include <string.h>

#include "analyze/report/assets.h"

/* Where the text [p, end) starts with lit, the length of lit; else 0. */
static size_t starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? n : 0;
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* After `name="..."` at p (leading white space allowed), or NULL. */
static const char *attr(const char *p, const char *end, const char *name)
{
    p = skip_space(p, end);
    size_t n = starts(p, end, name);
    if (!n || !starts(p + n, end, "=\""))
        return NULL;
    const char *q = memchr(p + n + 2, '"', (size_t)(end - p - n - 2));
    return q ? q + 1 : NULL;
}

/* The span of the root's `<svg width=".." height=".." viewBox=".."`, or false. */
static bool find_size(const char *s, const char *end, const char **from, const char **to)
{
    for (const char *p = s; (p = memmem(p, (size_t)(end - p), "<svg", 4)) != NULL; p += 4) {
        const char *q = attr(p + 4, end, "width");
        q = q ? attr(q, end, "height") : NULL;
        q = q ? attr(q, end, "viewBox") : NULL;
        if (q) {
            *from = p;
            *to = q;
            return true;
        }
    }
    return false;
}

/* The first `<g id="graphN"` (one digit), or NULL. */
static const char *find_graph(const char *s, const char *end)
{
    for (const char *p = s; (p = memmem(p, (size_t)(end - p), "<g id=\"graph", 12)) != NULL; p += 12)
        if (end - p > 13 && p[12] >= '0' && p[12] <= '9' && p[13] == '"')
            return p;
    return NULL;
}

/* Dot sometimes leaves "&;" unescaped, which no XML parser accepts. */
static void fix_amps(np_buf *out, const char *s, const char *end)
{
    for (const char *p = s; p < end;) {
        const char *hit = memmem(p, (size_t)(end - p), "&;", 2);
        const char *stop = hit ? hit : end;
        np_buf_add(out, p, (size_t)(stop - p));
        if (!hit)
            break;
        np_buf_puts(out, "&amp;;");
        p = hit + 2;
    }
}

void np_report_svg_pan(np_buf *svg)
{
    np_buf fixed = {0}, out = {0};
    fix_amps(&fixed, svg->data ? svg->data : "", svg->data ? svg->data + svg->len : "");
    const char *s = fixed.data ? fixed.data : "", *end = s + fixed.len;
    const char *size_from, *size_to;
    if (find_size(s, end, &size_from, &size_to)) {
        np_buf_add(&out, s, (size_t)(size_from - s));
        np_buf_puts(&out, "<svg width=\"100%\" height=\"100%\"");
        s = size_to;
    }
    const char *graph = find_graph(s, end);
    if (graph) {
        np_buf_add(&out, s, (size_t)(graph - s));
        np_buf_puts(&out, "<script type=\"text/ecmascript\"><![CDATA[");
        np_buf_add(&out, np_asset_svgpan_js, np_asset_svgpan_js_len);
        np_buf_puts(&out, "]]></script><g id=\"viewport\" transform=\"scale(0.5,0.5) translate(0,0)\">");
        s = graph;
    }
    const char *close = memmem(s, (size_t)(end - s), "</svg>", 6);
    if (graph && close) { /* the viewport group closes only where it was opened */
        np_buf_add(&out, s, (size_t)(close - s));
        np_buf_puts(&out, "</g>");
        s = close;
    }
    np_buf_add(&out, s, (size_t)(end - s));
    np_buf_free(&fixed);
    np_buf_free(svg);
    *svg = out;
}

/* The web UI's views: each runs the report its command-line twin runs (-flamegraph, -svg,
 * -top, -peek, -list) with the request's settings and turns the output into the body of a
 * page. The table below is the navigation bar, the flame graph first, as in current pprof. */
#include "analyze/webui_int.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/driver.h"
#include "analyze/report/assets.h"
#include "analyze/report/graphviz.h"
#include "analyze/report/report.h"

/* A report's output as an escaped <pre> block. */
static int text_view(np_webui_req *q, const char *cmd, const char *arg, np_buf *out)
{
    np_buf text = {0};
    np_err e;
    if (np_webui_report(q, cmd, arg, &text, &e) < 0) {
        np_buf_free(&text);
        return np_webui_error(out, 400, e.msg);
    }
    np_buf_printf(out, "<pre id=\"%s\">", cmd);
    np_webui_html(out, text.data ? text.data : "", text.len);
    np_buf_puts(out, "</pre>\n");
    np_buf_free(&text);
    return 200;
}

/* Top: -top's legend, then its rows as a table that sorts by any column. The table comes from
 * -top's rows as data (report/toptable.c): each cell holds its exact value beside -top's text. */
static int view_top(np_webui_req *q, np_buf *out)
{
    /* Named "top" so that it takes -top's settings (all nodes unless n= says otherwise). */
    static const np_command toptable = {"top", NP_FMT_TOPTABLE, false, false, NULL,
                                        "The Top view's table"};
    np_buf table = {0};
    np_err e;
    if (np_webui_report_cmd(q, &toptable, NULL, &table, &e) < 0) {
        np_buf_free(&table);
        return np_webui_error(out, 400, e.msg);
    }
    np_buf_add(out, table.data ? table.data : "", table.len);
    np_buf_free(&table);
    return 200;
}

/* Graph: -svg's drawing inline, without the XML prologue and without the script that pans a
 * stand-alone file (the page's own script pans the inline drawing). */
static int view_graph(np_webui_req *q, np_buf *out)
{
    /* Named "svg" so that it takes -svg's settings; drawn in-process unless Graphviz is asked for. */
    static const np_command drawn = {"svg", NP_FMT_DOT, false, true, NP_FORMAT_SVG_DRAWN,
                                     "The Graph view's drawing"};
    bool graphviz = np_webui_graphviz_layout();
    if (graphviz && !np_graphviz_available())
        return np_webui_error(out, 501, "Could not execute dot; may need to install graphviz.");
    np_buf svg = {0};
    np_err e;
    /* The page goes out while the graph is built and laid out: the browser's start-up work
     * overlaps the server's. A failure after that point is shown in the 200 page. */
    q->stream_when_settled = true;
    int rc = graphviz ? np_webui_report(q, "svg", NULL, &svg, &e) : np_webui_report_cmd(q, &drawn, NULL, &svg, &e);
    if (rc < 0) {
        np_buf_free(&svg);
        q->failed = true;
        return np_webui_error(out, q->streamed ? 200 : 400, e.msg);
    }
    const char *s = np_buf_cstr(&svg), *root = strstr(s, "<svg");
    const char *script = root ? strstr(root, "<script") : NULL;
    const char *script_end = script ? strstr(script, "</script>") : NULL;
    np_buf_puts(out, "<div id=\"graph\">");
    if (root && script && script_end) {
        np_buf_add(out, root, (size_t)(script - root));
        np_buf_puts(out, script_end + strlen("</script>"));
    } else if (root) {
        np_buf_puts(out, root);
    }
    np_buf_puts(out, "</div>\n");
    np_buf_free(&svg);
    return 200;
}

/* Flame graph: -flamegraph's tree and script inside the page; the script mounts itself on
 * the data. Its data is the flame tree of the request's settings, pruned and capped on the
 * server as the stand-alone page's is, so the page stays small whatever the profile. */
static int view_flame(np_webui_req *q, np_buf *out)
{
    static const np_command flamedata = {"flamedata", NP_FMT_FLAMEDATA, false, false, NULL,
                                         "The flame graph's data"};
    np_buf data = {0};
    np_err e;
    if (np_webui_report_cmd(q, &flamedata, NULL, &data, &e) < 0) {
        np_buf_free(&data);
        return np_webui_error(out, 400, e.msg);
    }
    np_buf_puts(out, "<style>");
    np_buf_add(out, np_asset_flamegraph_css, np_asset_flamegraph_css_len);
    np_buf_puts(out, "</style>\n<div id=\"npflame\"></div>\n"
                     "<script type=\"application/json\" id=\"npflame-data\">\n");
    np_buf_add(out, data.data ? data.data : "", data.len);
    np_buf_puts(out, "</script>\n<script>\n");
    np_buf_add(out, np_asset_flamegraph_js, np_asset_flamegraph_js_len);
    np_buf_puts(out, "</script>\n");
    np_buf_free(&data);
    return 200;
}

static int view_peek(np_webui_req *q, np_buf *out)
{
    return text_view(q, "peek", q->arg, out);
}

/* Source: -list of the function the "f" parameter names. Only the files the profile names
 * for the functions that match are read, along the command line's -source_path. */
static int view_source(np_webui_req *q, np_buf *out)
{
    if (!q->arg[0])
        return np_webui_error(out, 400, "Source: name a function (click one and choose \"Show source\", or set Focus).");
    return text_view(q, "list", q->arg, out);
}

const np_webui_view np_webui_views[] = {
    {"Flame Graph", "flamegraph", view_flame},
    {"Graph", "graph", view_graph},
    {"Top", "top", view_top},
    {"Peek", "peek", view_peek},
    {"Source", "source", view_source},
};
const size_t np_webui_n_views = sizeof np_webui_views / sizeof *np_webui_views;

const np_webui_view *np_webui_default_view(void)
{
    return &np_webui_views[0];
}

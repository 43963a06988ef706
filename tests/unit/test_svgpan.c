/* Unit tests for svgpan.c: Graphviz's real SVG (dot run on a small graph when it is installed)
 * and hand-cut pieces of it, including truncated ones, made to pan and zoom as pprof's are. */
#include <stdio.h>

#include "analyze/report/assets.h"
#include "analyze/report/report.h"
#include "unit.h"

static char *pan(const char *in)
{
    np_buf b = {0};
    np_buf_puts(&b, in);
    np_report_svg_pan(&b);
    return (char *)np_buf_cstr(&b);
}

TEST(svgpan_dot_output)
{
    FILE *p = popen("command -v dot >/dev/null && echo 'digraph g { a -> b [label=\"x&;y\"] }' | dot -Tsvg", "r");
    np_buf svg = {0};
    char chunk[4096];
    size_t n;
    while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
        np_buf_add(&svg, chunk, n);
    if (p)
        pclose(p);
    if (svg.len == 0)
        SKIP("no Graphviz dot");
    np_report_svg_pan(&svg);
    const char *s = np_buf_cstr(&svg);
    CHECK(strstr(s, "<svg width=\"100%\" height=\"100%\"") != NULL);
    CHECK(strstr(s, "viewBox=") == NULL);
    const char *script = strstr(s, "<script type=\"text/ecmascript\"><![CDATA[");
    const char *vp = strstr(s, "]]></script><g id=\"viewport\" transform=\"scale(0.5,0.5) translate(0,0)\"><g id=\"graph0\"");
    CHECK(script && vp && script < vp);
    CHECK(strstr(s, np_asset_svgpan_js) != NULL);
    CHECK(strstr(s, "</g>\n</g>\n</svg>") != NULL || strstr(s, "</g></svg>") != NULL);
    CHECK(strstr(s, "&;") == NULL);
    np_buf_free(&svg);
}

TEST(svgpan_pieces)
{
    char *s = pan("<svg width=\"8pt\" height=\"9pt\"\n viewBox=\"0 0 8 9\" xmlns=\"x\">\n<g id=\"graph0\" class=\"graph\">\n</g>\n</svg>\n");
    CHECK(strncmp(s, "<svg width=\"100%\" height=\"100%\" xmlns=\"x\">\n<script", 50) == 0);
    CHECK(strstr(s, "</g>\n</g></svg>\n") != NULL);
    free(s);
    /* Without a graph group nothing is inserted, and "&;" is still repaired. */
    s = pan("<svg><text>a&;b</text></svg>");
    CHECK_STR_EQ(s, "<svg><text>a&amp;;b</text></svg>");
    free(s);
    /* Cut short anywhere: no crash, no read past the end, no viewport left open. */
    const char *full = "<svg width=\"1\" height=\"2\" viewBox=\"3\"><g id=\"graph0\"></g></svg>";
    for (size_t cut = 0; cut < strlen(full); cut++) {
        char *part = strndup(full, cut);
        s = pan(part);
        CHECK(strstr(s, "id=\"viewport\"") == NULL || strstr(s, "</g></svg>") == NULL || cut == strlen(full));
        free(s);
        free(part);
    }
    s = pan("");
    CHECK_STR_EQ(s, "");
    free(s);
}

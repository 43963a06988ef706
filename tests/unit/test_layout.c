/* The in-process graph drawing: the DOT reader, the layered layout's invariants on generated
 * graphs (cycles, self-loops, long edges, isolated nodes), and the SVG it writes. */
#include "unit.h"

#include <math.h>
#include <stdint.h>

#include "analyze/report/dotread.h"
#include "analyze/report/layout.h"
#include "analyze/report/svgdraw.h"

TEST(dot_reads_nodes_edges_defaults_and_clusters)
{
    const char *text =
        "digraph \"my \\\"graph\\\"\" {\n"
        "node [style=filled fillcolor=\"#f8f8f8\"]\n"
        "subgraph cluster_L { \"File: x\" [shape=box label=\"File: x\\l\"] }\n"
        "N1 [label=\"main\\n1s (9%)\" fontsize=24, shape=box]; N2 [label=\"f\"]\n"
        "/* a comment */ N1 -> N2 -> N3 [label=\" 1s\" weight=9 style=\"dotted\"]\n"
        "N3 [fillcolor=red]\n"
        "}\n";
    np_dot_graph g;
    np_err e;
    CHECK(np_dot_read(text, &g, &e) == 0);
    CHECK_STR_EQ(g.name, "my \"graph\"");
    CHECK(g.n_node == 4);
    CHECK(g.n_edge == 2);
    CHECK(g.n_cluster == 1);
    CHECK(g.node[0].cluster == 1);
    CHECK(g.node[1].cluster == 0);
    CHECK_STR_EQ(np_dot_get(&g.node[0].attrs, "label"), "File: x\\l");
    CHECK_STR_EQ(np_dot_get(&g.node[1].attrs, "fontsize"), "24");
    CHECK_STR_EQ(np_dot_get(&g.node[1].attrs, "fillcolor"), "#f8f8f8");
    CHECK_STR_EQ(np_dot_get(&g.node[3].attrs, "fillcolor"), "red"); /* named again: overrides */
    CHECK_STR_EQ(np_dot_get(&g.node[3].attrs, "style"), "filled");  /* made by the edge: defaults */
    CHECK(g.edge[0].from == 1 && g.edge[0].to == 2 && g.edge[1].from == 2 && g.edge[1].to == 3);
    CHECK_STR_EQ(np_dot_get(&g.edge[1].attrs, "style"), "dotted");
    CHECK(np_dot_get(&g.edge[1].attrs, "color") == NULL);
    np_dot_free(&g);
}

TEST(dot_refuses_bad_text_with_its_offset)
{
    static const char *bad[] = {
        "", "graph", "digraph {", "digraph { a -> }", "digraph { a [x] }", "digraph { a [x=\"open }",
        "digraph { a } trailing", "digraph { @ }", "digraph { subgraph x }",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        np_dot_graph g;
        np_err e = {{0}};
        CHECK(np_dot_read(bad[i], &g, &e) < 0);
        CHECK(strncmp(e.msg, "DOT text: ", 10) == 0);
        np_dot_free(&g);
    }
    np_dot_graph g;
    np_err e;
    char deep[2000] = "digraph { ";
    for (int i = 0; i < 100; i++)
        strcat(deep, "{ ");
    CHECK(np_dot_read(deep, &g, &e) < 0); /* nesting is bounded, not a stack overflow */
    CHECK(strstr(e.msg, "nested too deep") != NULL);
    np_dot_free(&g);
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* A random graph: a tree down from node 0 plus random edges (back edges, self-loops, long
 * edges, duplicates), some nodes without any edge. */
static void random_graph(np_layout *g, uint32_t seed, size_t n, size_t extra)
{
    memset(g, 0, sizeof *g);
    g->n_node = n;
    g->node = calloc(n, sizeof *g->node);
    g->edge = calloc(n + extra, sizeof *g->edge);
    for (size_t i = 0; i < n; i++) {
        g->node[i].w = 54 + rnd(&seed) % 120;
        g->node[i].h = 36 + rnd(&seed) % 40;
    }
    g->node[n - 1].pinned = true;
    for (size_t i = 1; i + 3 < n; i++)
        g->edge[g->n_edge++] = (np_lay_edge){.from = rnd(&seed) % i, .to = (uint32_t)i, .weight = 1 + rnd(&seed) % 100,
                                             .minlen = 1, .lw = 30, .lh = 17};
    for (size_t k = 0; k < extra; k++)
        g->edge[g->n_edge++] = (np_lay_edge){.from = rnd(&seed) % (n - 1), .to = rnd(&seed) % (n - 1),
                                             .weight = 1, .minlen = 1 + rnd(&seed) % 2,
                                             .lw = k % 3 ? 25 : 0, .lh = k % 3 ? 17 : 0};
}

static bool overlaps(const np_lay_node *a, const np_lay_node *b)
{
    return fabs(a->x - b->x) < (a->w + b->w) / 2 - 1e-6 && fabs(a->y - b->y) < (a->h + b->h) / 2 - 1e-6;
}

TEST(layout_invariants_on_random_graphs)
{
    for (uint32_t seed = 1; seed <= 40; seed++) {
        np_layout g;
        random_graph(&g, seed, 5 + seed * 3, seed * 2);
        np_layout_run(&g);
        int bad = 0;
        for (size_t i = 0; i < g.n_node; i++) {
            const np_lay_node *a = &g.node[i];
            bad += a->x - a->w / 2 < -1e-6 || a->x + a->w / 2 > g.width + 1e-6;
            bad += a->y - a->h / 2 < -1e-6 || a->y + a->h / 2 > g.height + 1e-6;
            for (size_t j = i + 1; j < g.n_node; j++)
                bad += overlaps(a, &g.node[j]);
        }
        /* The pinned node is first in the top rank. */
        const np_lay_node *pin = &g.node[g.n_node - 1];
        for (size_t i = 0; i + 1 < g.n_node; i++)
            bad += fabs(g.node[i].y - pin->y) < 1e-6 && g.node[i].x < pin->x;
        for (size_t k = 0; k < g.n_edge; k++) {
            const np_lay_edge *e = &g.edge[k];
            bad += e->n_pts < 4 || (e->n_pts - 1) % 3 != 0;
            if (e->n_pts < 4)
                continue;
            const np_lay_node *to = &g.node[e->to];
            /* The arrow's tip touches the head's box. */
            bad += fabs(e->tip.x - to->x) > to->w / 2 + 1e-6;
            bad += fabs(fabs(e->tip.y - to->y) - to->h / 2) > 1e-6 && e->from != e->to;
            /* The curve ends where the arrow's base is. */
            bad += fabs(e->pts[e->n_pts - 1].x - e->base.x) > 1e-6 || fabs(e->pts[e->n_pts - 1].y - e->base.y) > 1e-6;
            for (size_t i = 0; i < e->n_pts; i++)
                bad += e->pts[i].x < -1e-6 || e->pts[i].x > g.width + 1e-6 || e->pts[i].y < -1e-6 ||
                       e->pts[i].y > g.height + 1e-6;
        }
        if (bad)
            fprintf(stderr, "seed %u: %d violations\n", seed, bad);
        CHECK(bad == 0);
        np_layout_free(&g);
        free(g.node);
        free(g.edge);
    }
}

TEST(layout_puts_callers_above_callees)
{
    /* a -> b -> c, a -> c: c below b below a; the back edge c -> a changes nothing. */
    np_lay_node node[3] = {{.w = 60, .h = 40}, {.w = 60, .h = 40}, {.w = 60, .h = 40}};
    np_lay_edge edge[4] = {{.from = 0, .to = 1, .weight = 1, .minlen = 1},
                           {.from = 1, .to = 2, .weight = 1, .minlen = 1},
                           {.from = 0, .to = 2, .weight = 1, .minlen = 1},
                           {.from = 2, .to = 0, .weight = 1, .minlen = 1}};
    np_layout g = {.node = node, .n_node = 3, .edge = edge, .n_edge = 4};
    np_layout_run(&g);
    CHECK(node[0].y < node[1].y && node[1].y < node[2].y);
    CHECK(edge[3].tip.y > node[0].y); /* the back edge's arrow points up into a's bottom */
    CHECK(edge[3].tip.y < edge[3].base.y);
    np_layout_free(&g);
}

TEST(layout_keeps_a_graph_with_many_cycles_shallow)
{
    /* 300 nodes and 1200 random edges: nearly every node is on a cycle. Turning only the
     * edges a depth-first search finds closing cycles leaves a path through most of the nodes
     * (one rank each); the layout must find a far shorter drawing. */
    np_layout g;
    random_graph(&g, 7, 300, 1200);
    np_layout_run(&g);
    double *ys = calloc(g.n_node, sizeof *ys);
    size_t rows = 0;
    for (size_t i = 0; i < g.n_node; i++) {
        size_t k = 0;
        while (k < rows && fabs(ys[k] - g.node[i].y) > 1e-6)
            k++;
        if (k == rows)
            ys[rows++] = g.node[i].y;
    }
    CHECK(rows < 100);
    free(ys);
    np_layout_free(&g);
    free(g.node);
    free(g.edge);
}

TEST(svgdraw_writes_graphviz_shaped_svg)
{
    np_buf b = {0};
    np_buf_puts(&b, "digraph \"x & y\" {\n"
                    "subgraph cluster_L { \"File: x\" [shape=box fontsize=16 label=\"File: x\\l   focus=a<b\\l\" tooltip=\"x\"] }\n"
                    "N1 [label=\"main\\n1s\" id=\"node1\" fontsize=24 shape=box tooltip=\"main (1s)\" color=\"#b20000\" fillcolor=\"#edd5d5\" style=filled]\n"
                    "N1_0 [label = \"tag\" id=\"N1_0\" fontsize=8 shape=box3d tooltip=\"1s\"]\n"
                    "N2 [label=\"f\" id=\"node2\" shape=box tooltip=\"f (1s)\"]\n"
                    "N1 -> N1_0 [label=\" 1s\" weight=100 tooltip=\"1s\" labeltooltip=\"1s\"]\n"
                    "N1 -> N2 [label=\" 1s\" weight=100 penwidth=6 color=\"#b20000\" tooltip=\"main -> f (1s)\" labeltooltip=\"main -> f (1s)\"]\n"
                    "N2 -> N2 [label=\" 1s\" style=\"dotted\"]\n"
                    "}\n");
    np_err e;
    CHECK(np_svgdraw(&b, &e) == 0);
    const char *s = np_buf_cstr(&b);
    CHECK(strstr(s, "<svg width=\"") != NULL && strstr(s, "viewBox=\"0.00 0.00 ") != NULL);
    CHECK(strstr(s, "<g id=\"graph0\" class=\"graph\"") != NULL);
    CHECK(strstr(s, "<title>x &amp; y</title>") != NULL);
    CHECK(strstr(s, "<g id=\"clust1\" class=\"cluster\">") != NULL);
    CHECK(strstr(s, "<g id=\"node1\" class=\"node\">\n<title>N1</title>\n<g id=\"a_node1\"><a xlink:title=\"main (1s)\">") != NULL);
    CHECK(strstr(s, "&#160;&#160;focus=a&lt;b</text>") != NULL);
    CHECK(strstr(s, "fill=\"#edd5d5\" stroke=\"#b20000\"") != NULL);
    CHECK(strstr(s, ">main</text>") != NULL && strstr(s, ">1s</text>") != NULL);
    CHECK(strstr(s, "<polyline") != NULL); /* the box3d's depth */
    CHECK(strstr(s, "<g id=\"edge2\" class=\"edge\">\n<title>N1&#45;&gt;N2</title>") != NULL);
    CHECK(strstr(s, "stroke=\"#b20000\" stroke-width=\"6\" d=\"M") != NULL);
    CHECK(strstr(s, "stroke-dasharray=\"1,5\"") != NULL);
    CHECK(strstr(s, "<g id=\"a_edge2&#45;label\"><a xlink:title=\"main &#45;&gt; f (1s)\">") != NULL ||
          strstr(s, "<g id=\"a_edge2&#45;label\"><a xlink:title=\"main -&gt; f (1s)\">") != NULL);
    CHECK(strstr(s, "</g>\n</svg>\n") != NULL);
    np_buf_free(&b);

    np_buf_puts(&b, "digraph { a -> }");
    CHECK(np_svgdraw(&b, &e) < 0);
    CHECK(strstr(e.msg, "DOT text") != NULL);
    np_buf_free(&b);
}

/* svgdraw.h's drawing: labels measured with Times' advance widths (the font the SVG names),
 * boxes sized as Graphviz sizes them, the layout of layout.h, then SVG elements. */
#include "analyze/report/svgdraw.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/report/dotread.h"
#include "analyze/report/layout.h"
#include "analyze/report/report.h"

#define FONT "Times,serif"
#define LINE_SPACING 1.2
/* A box's room around its label, and its least size (Graphviz's defaults, in points). */
#define PAD_X 8.0
#define PAD_Y 4.0
#define MIN_W 54.0
#define MIN_H 36.0
#define CLUSTER_PAD 8.0
#define DEPTH_3D 4.0

/* Times Roman's advance widths of ASCII 32..126, in thousandths of the font size. */
static const unsigned short times_width[95] = {
    250, 333, 408, 500, 500, 833, 778, 333, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
};

/* One line of a label: its text (escapes resolved) and where it is justified. */
typedef struct line {
    char *text;
    char just;   /* 'n' centred, 'l' left, 'r' right */
    double w;
} line;

typedef struct label {
    line *l;
    size_t n, cap;
    double size, w, h;
} label;

static double text_width(const char *s, double size)
{
    double w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 32 && *p < 127)
            w += times_width[*p - 32];
        else if ((*p & 0xC0) != 0x80) /* one advance per character, not per UTF-8 byte */
            w += 500;
    }
    return w * size / 1000;
}

static void end_line(label *lb, np_buf *cur, char just)
{
    line *l = NP_PUSH(lb->l, lb->n, lb->cap);
    l->text = np_xstrdup(np_buf_cstr(cur));
    l->just = just;
    l->w = text_width(l->text, lb->size);
    lb->w = l->w > lb->w ? l->w : lb->w;
    cur->len = 0;
}

/* Splits a DOT label at its \n \l \r breaks (each ends the line before it) and resolves
 * \\, \N (the object's name) and \G (the graph's). */
static void parse_label(label *lb, const char *s, const char *name, const char *graph, double size)
{
    memset(lb, 0, sizeof *lb);
    lb->size = size;
    np_buf cur = {0};
    for (; *s; s++) {
        if (s[0] != '\\' || !s[1]) {
            np_buf_putc(&cur, *s);
            continue;
        }
        char c = *++s;
        if (c == 'n' || c == 'l' || c == 'r')
            end_line(lb, &cur, c);
        else if (c == 'N')
            np_buf_puts(&cur, name);
        else if (c == 'G')
            np_buf_puts(&cur, graph);
        else
            np_buf_putc(&cur, c);
    }
    if (cur.len || lb->n == 0)
        end_line(lb, &cur, 'n');
    np_buf_free(&cur);
    lb->h = (double)lb->n * size * LINE_SPACING;
}

static void free_label(label *lb)
{
    for (size_t i = 0; i < lb->n; i++)
        free(lb->l[i].text);
    free(lb->l);
}

static double attr_num(const np_dot_attrs *a, const char *key, double dflt)
{
    const char *v = np_dot_get(a, key);
    char *end;
    double d = v ? strtod(v, &end) : dflt;
    return v && end != v && d == d && d > -1e6 && d < 1e6 ? d : dflt;
}

static const char *attr_or(const np_dot_attrs *a, const char *key, const char *dflt)
{
    const char *v = np_dot_get(a, key);
    return v && *v ? v : dflt;
}

static void put_attr_text(np_buf *out, const char *s)
{
    np_report_html(out, s, strlen(s));
}

/* A coordinate with two decimals, as Graphviz writes them; printf's floating point would be
 * most of the drawing's time. */
static void put_num(np_buf *out, double v)
{
    char tmp[32], *p = tmp + sizeof tmp;
    bool neg = v < 0;
    uint64_t c = (uint64_t)((neg ? -v : v) * 100 + 0.5);
    if (!(v == v) || fabs(v) > 1e12)
        c = 0;
    for (int i = 0; i < 2 || c; i++) {
        if (i == 2)
            *--p = '.';
        *--p = (char)('0' + c % 10);
        c /= 10;
    }
    if (p[0] == '.')
        *--p = '0';
    if (neg && strspn(p, "0.") != (size_t)(tmp + sizeof tmp - p))
        *--p = '-';
    np_buf_add(out, p, (size_t)(tmp + sizeof tmp - p));
}

/* "x,y", after sep when sep is not NUL. */
static void put_xy(np_buf *out, char sep, double x, double y)
{
    if (sep)
        np_buf_putc(out, sep);
    put_num(out, x);
    np_buf_putc(out, ',');
    put_num(out, y);
}

/* Text content: SVG collapses runs of spaces, so every space that starts a line or follows
 * another is a no-break space (indented legend lines keep their indent). */
static void put_text(np_buf *out, const char *s)
{
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, " ");
        np_report_html(out, p, n);
        p += n;
        for (; *p == ' '; p++)
            np_buf_puts(out, p == s || p[-1] == ' ' ? "&#160;" : " ");
    }
}

/* The label's lines inside the box centred at (cx, cy), w wide. */
static void put_label(np_buf *out, const label *lb, double cx, double cy, double w, const char *color)
{
    double top = cy - lb->h / 2, step = lb->size * LINE_SPACING;
    for (size_t i = 0; i < lb->n; i++) {
        const line *l = &lb->l[i];
        double x = l->just == 'l' ? cx - w / 2 + PAD_X : l->just == 'r' ? cx + w / 2 - PAD_X : cx;
        const char *anchor = l->just == 'l' ? "start" : l->just == 'r' ? "end" : "middle";
        np_buf_printf(out, "<text text-anchor=\"%s\" x=\"", anchor);
        put_num(out, x);
        np_buf_puts(out, "\" y=\"");
        put_num(out, top + (double)i * step + lb->size * 0.9);
        np_buf_puts(out, "\" font-family=\"" FONT "\" font-size=\"");
        put_num(out, lb->size);
        np_buf_putc(out, '"');
        if (strcmp(color, "black") != 0) {
            np_buf_puts(out, " fill=\"");
            put_attr_text(out, color);
            np_buf_putc(out, '"');
        }
        np_buf_putc(out, '>');
        put_text(out, l->text);
        np_buf_puts(out, "</text>\n");
    }
}

static void put_paint(np_buf *out, const char *fill, const char *stroke)
{
    np_buf_puts(out, "fill=\"");
    put_attr_text(out, fill);
    np_buf_puts(out, "\" stroke=\"");
    put_attr_text(out, stroke);
    np_buf_putc(out, '"');
}

/* ` points="x,y x,y ..."/>` and a line end. */
static void put_points(np_buf *out, const double (*xy)[2], size_t n)
{
    np_buf_puts(out, " points=\"");
    for (size_t i = 0; i < n; i++)
        put_xy(out, i ? ' ' : 0, xy[i][0], xy[i][1]);
    np_buf_puts(out, "\"/>\n");
}

static void put_rect(np_buf *out, const char *fill, const char *stroke, double x0, double y0,
                     double x1, double y1)
{
    np_buf_puts(out, "<polygon ");
    put_paint(out, fill, stroke);
    const double xy[5][2] = {{x1, y0}, {x0, y0}, {x0, y1}, {x1, y1}, {x1, y0}};
    put_points(out, xy, 5);
}

/* Graphviz's box3d: the front face, with the depth drawn above and to the right of it. */
static void put_box3d(np_buf *out, const char *fill, const char *stroke, double x0, double y0,
                      double x1, double y1)
{
    const double d = DEPTH_3D;
    np_buf_puts(out, "<polygon ");
    put_paint(out, fill, stroke);
    const double xy[7][2] = {{x1, y0}, {x0 + d, y0}, {x0, y0 + d}, {x0, y1}, {x1 - d, y1}, {x1, y1 - d}, {x1, y0}};
    put_points(out, xy, 7);
    const double to[3][2] = {{x0, y0 + d}, {x1 - d, y1}, {x1, y0}};
    for (int i = 0; i < 3; i++) {
        np_buf_puts(out, "<polyline fill=\"none\" stroke=\"");
        put_attr_text(out, stroke);
        np_buf_putc(out, '"');
        const double xy[2][2] = {{x1 - d, y0 + d}, {to[i][0], to[i][1]}};
        put_points(out, xy, 2);
    }
}

typedef struct drawing {
    np_dot_graph dot;
    np_layout lay;
    label *nlabel, *elabel;
    bool *pinned;
} drawing;

static const char *node_id(const drawing *d, size_t i, char *tmp, size_t n)
{
    const char *id = np_dot_get(&d->dot.node[i].attrs, "id");
    if (id && *id)
        return id;
    snprintf(tmp, n, "node%zu", i + 1);
    return tmp;
}

static void draw_node(np_buf *out, const drawing *d, size_t i)
{
    const np_dot_node *n = &d->dot.node[i];
    const np_lay_node *ln = &d->lay.node[i];
    const np_dot_attrs *a = &n->attrs;
    char tmp[32];
    const char *id = node_id(d, i, tmp, sizeof tmp);
    const char *style = attr_or(a, "style", "");
    const char *stroke = attr_or(a, "color", "black");
    const char *fill = strstr(style, "filled") ? attr_or(a, "fillcolor", attr_or(a, "color", "lightgrey")) : "none";
    double w = ln->w, h = ln->h, cx = ln->x, cy = ln->y;
    if (d->pinned[i]) { /* laid out with its cluster's room around it */
        w -= 2 * CLUSTER_PAD;
        h -= 2 * CLUSTER_PAD;
    }
    np_buf_puts(out, "<!-- ");
    put_attr_text(out, n->name);
    np_buf_puts(out, " -->\n<g id=\"");
    put_attr_text(out, id);
    np_buf_puts(out, "\" class=\"node\">\n<title>");
    put_attr_text(out, n->name);
    np_buf_puts(out, "</title>\n<g id=\"a_");
    put_attr_text(out, id);
    np_buf_puts(out, "\"><a xlink:title=\"");
    const char *tip = np_dot_get(a, "tooltip");
    if (tip)
        put_attr_text(out, tip);
    else
        for (size_t k = 0; k < d->nlabel[i].n; k++)
            put_attr_text(out, d->nlabel[i].l[k].text);
    np_buf_puts(out, "\">\n");
    double x0 = cx - w / 2, y0 = cy - h / 2, x1 = cx + w / 2, y1 = cy + h / 2;
    if (strcmp(attr_or(a, "shape", "ellipse"), "box3d") == 0)
        put_box3d(out, fill, stroke, x0, y0, x1, y1);
    else
        put_rect(out, fill, stroke, x0, y0, x1, y1);
    put_label(out, &d->nlabel[i], cx, cy, w, attr_or(a, "fontcolor", "black"));
    np_buf_puts(out, "</a>\n</g>\n</g>\n");
}

static void put_dash(np_buf *out, const char *style)
{
    if (strstr(style, "dotted"))
        np_buf_puts(out, " stroke-dasharray=\"1,5\"");
    else if (strstr(style, "dashed"))
        np_buf_puts(out, " stroke-dasharray=\"5,2\"");
}

static void draw_edge(np_buf *out, const drawing *d, size_t i)
{
    const np_dot_edge *e = &d->dot.edge[i];
    const np_lay_edge *le = &d->lay.edge[i];
    if (le->n_pts < 4)
        return;
    const np_dot_attrs *a = &e->attrs;
    const char *color = attr_or(a, "color", "black"), *style = attr_or(a, "style", "");
    double width = attr_num(a, "penwidth", strstr(style, "bold") ? 2 : 1);
    const char *from = d->dot.node[e->from].name, *to = d->dot.node[e->to].name;
    np_buf_printf(out, "<!-- ");
    put_attr_text(out, from);
    np_buf_puts(out, "&#45;&gt;");
    put_attr_text(out, to);
    np_buf_printf(out, " -->\n<g id=\"edge%zu\" class=\"edge\">\n<title>", i + 1);
    put_attr_text(out, from);
    np_buf_puts(out, "&#45;&gt;");
    put_attr_text(out, to);
    np_buf_printf(out, "</title>\n<g id=\"a_edge%zu\"><a xlink:title=\"", i + 1);
    put_attr_text(out, attr_or(a, "tooltip", ""));
    np_buf_puts(out, "\">\n<path fill=\"none\" stroke=\"");
    put_attr_text(out, color);
    np_buf_printf(out, "\" stroke-width=\"%g\"", width);
    put_dash(out, style);
    np_buf_puts(out, " d=\"M");
    put_xy(out, 0, le->pts[0].x, le->pts[0].y);
    for (size_t k = 1; k + 2 < le->n_pts; k += 3) {
        put_xy(out, 'C', le->pts[k].x, le->pts[k].y);
        put_xy(out, ' ', le->pts[k + 1].x, le->pts[k + 1].y);
        put_xy(out, ' ', le->pts[k + 2].x, le->pts[k + 2].y);
    }
    np_buf_puts(out, "\"/>\n<polygon ");
    put_paint(out, color, color);
    /* The arrowhead: a triangle from its base (across the edge's end) to the tip. */
    double dx = le->tip.x - le->base.x, dy = le->tip.y - le->base.y;
    double len = dx * dx + dy * dy > 0 ? sqrt(dx * dx + dy * dy) : 1, half = 3.5 * (width > 2 ? width / 2 : 1);
    double px = -dy / len * half, py = dx / len * half;
    np_buf_printf(out, " stroke-width=\"%g\"", width);
    const double xy[4][2] = {{le->base.x + px, le->base.y + py}, {le->tip.x, le->tip.y},
                             {le->base.x - px, le->base.y - py}, {le->base.x + px, le->base.y + py}};
    put_points(out, xy, 4);
    np_buf_puts(out, "</a>\n</g>\n");
    const label *lb = &d->elabel[i];
    if (lb->n && lb->w > 0) {
        np_buf_printf(out, "<g id=\"a_edge%zu&#45;label\"><a xlink:title=\"", i + 1);
        put_attr_text(out, attr_or(a, "labeltooltip", attr_or(a, "tooltip", "")));
        np_buf_puts(out, "\">\n");
        put_label(out, lb, le->lx + lb->w / 2, le->ly, lb->w, attr_or(a, "fontcolor", "black"));
        np_buf_puts(out, "</a>\n</g>\n");
    }
    np_buf_puts(out, "</g>\n");
}

/* Each cluster's box: around its nodes, with the room they were laid out with. */
static void draw_clusters(np_buf *out, const drawing *d)
{
    for (size_t c = 0; c < d->dot.n_cluster; c++) {
        double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
        for (size_t i = 0; i < d->dot.n_node; i++) {
            const np_lay_node *n = &d->lay.node[i];
            if (d->dot.node[i].cluster != c + 1)
                continue;
            double pad = d->pinned[i] ? 0 : CLUSTER_PAD;
            x0 = fmin(x0, n->x - n->w / 2 - pad);
            y0 = fmin(y0, n->y - n->h / 2 - pad);
            x1 = fmax(x1, n->x + n->w / 2 + pad);
            y1 = fmax(y1, n->y + n->h / 2 + pad);
        }
        if (x0 > x1)
            continue;
        np_buf_printf(out, "<g id=\"clust%zu\" class=\"cluster\">\n<title>", c + 1);
        put_attr_text(out, d->dot.cluster[c]);
        np_buf_puts(out, "</title>\n");
        put_rect(out, "none", "black", x0, y0, x1, y1);
        np_buf_puts(out, "</g>\n");
    }
}

static void measure_all(drawing *d)
{
    np_dot_graph *g = &d->dot;
    d->lay.node = np_xcalloc(g->n_node + 1, sizeof *d->lay.node);
    d->lay.edge = np_xcalloc(g->n_edge + 1, sizeof *d->lay.edge);
    d->nlabel = np_xcalloc(g->n_node + 1, sizeof *d->nlabel);
    d->elabel = np_xcalloc(g->n_edge + 1, sizeof *d->elabel);
    d->pinned = np_xcalloc(g->n_node + 1, sizeof *d->pinned);
    d->lay.n_node = g->n_node;
    d->lay.n_edge = g->n_edge;
    for (size_t i = 0; i < g->n_edge; i++) {
        d->pinned[g->edge[i].from] = d->pinned[g->edge[i].to] = true; /* "has edges", for now */
    }
    for (size_t i = 0; i < g->n_node; i++) {
        const np_dot_attrs *a = &g->node[i].attrs;
        label *lb = &d->nlabel[i];
        parse_label(lb, attr_or(a, "label", "\\N"), g->node[i].name, g->name, attr_num(a, "fontsize", 14));
        np_lay_node *n = &d->lay.node[i];
        n->w = fmax(lb->w + 2 * PAD_X, MIN_W);
        n->h = fmax(lb->h + 2 * PAD_Y, MIN_H);
        /* A cluster's lone node (the legend) goes first in the top rank, room for its box. */
        d->pinned[i] = g->node[i].cluster && !d->pinned[i];
        n->pinned = d->pinned[i];
        if (n->pinned) {
            n->w += 2 * CLUSTER_PAD;
            n->h += 2 * CLUSTER_PAD;
        }
    }
    for (size_t i = 0; i < g->n_edge; i++) {
        const np_dot_attrs *a = &g->edge[i].attrs;
        np_lay_edge *e = &d->lay.edge[i];
        e->from = g->edge[i].from;
        e->to = g->edge[i].to;
        e->weight = (int)attr_num(a, "weight", 1);
        e->weight = e->weight < 1 ? 1 : e->weight;
        e->minlen = (int)attr_num(a, "minlen", 1);
        e->minlen = e->minlen < 1 ? 1 : e->minlen > 10 ? 10 : e->minlen;
        const char *text = np_dot_get(a, "label");
        if (text && *text) {
            parse_label(&d->elabel[i], text, "", g->name, attr_num(a, "fontsize", 14));
            e->lw = d->elabel[i].w;
            e->lh = d->elabel[i].h;
        }
    }
}

static void write_svg(np_buf *out, drawing *d)
{
    double w = d->lay.width, h = d->lay.height;
    np_buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                       "<svg width=\"%.0fpt\" height=\"%.0fpt\"\n viewBox=\"0.00 0.00 %.2f %.2f\" "
                       "xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n"
                       "<!-- Drawn by nprof's own graph layout -->\n"
                       "<g id=\"graph0\" class=\"graph\" transform=\"scale(1 1) rotate(0) translate(0 0)\">\n<title>",
                  w, h, w, h);
    put_attr_text(out, d->dot.name);
    np_buf_printf(out, "</title>\n<polygon fill=\"white\" stroke=\"transparent\" "
                       "points=\"0,0 0,%.2f %.2f,%.2f %.2f,0 0,0\"/>\n", h, w, h, w);
    draw_clusters(out, d);
    for (size_t i = 0; i < d->dot.n_node; i++)
        draw_node(out, d, i);
    for (size_t i = 0; i < d->dot.n_edge; i++)
        draw_edge(out, d, i);
    np_buf_puts(out, "</g>\n</svg>\n");
}

int np_svgdraw(np_buf *data, np_err *err)
{
    drawing d;
    memset(&d, 0, sizeof d);
    if (np_dot_read(np_buf_cstr(data), &d.dot, err) < 0) {
        np_dot_free(&d.dot);
        return -1;
    }
    measure_all(&d);
    d.lay.arrow_len = 10;
    np_layout_run(&d.lay);
    np_buf svg = {0};
    np_buf_reserve(&svg, data->len * 3 + 4096);
    write_svg(&svg, &d);
    np_layout_free(&d.lay);
    for (size_t i = 0; i < d.dot.n_node; i++)
        free_label(&d.nlabel[i]);
    for (size_t i = 0; i < d.dot.n_edge; i++)
        free_label(&d.elabel[i]);
    free(d.nlabel);
    free(d.elabel);
    free(d.pinned);
    free(d.lay.node);
    free(d.lay.edge);
    np_dot_free(&d.dot);
    np_buf_free(data);
    *data = svg;
    return 0;
}

/* -icicle: the flame tree drawn as text, root on top and callees below, each box as wide as its
 * share of the root, every line exactly -width columns; with a diff base each box shows its
 * change. Colours only on a terminal. */
#include "analyze/report/report.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "analyze/flame.h"
#include "analyze/report/icicle.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */
#define DEFAULT_WIDTH 120
#define MAX_BOXES 20000

typedef struct canvas {
    np_report *r;
    const np_flame *f;
    const np_icicle_view *v;
    int width;
    bool color;
    np_buf *row;   /* one per depth */
    int *col;      /* per depth: columns written so far */
    size_t n_rows;
    int64_t *next; /* per node: where its next child starts, in value units */
    double scale;  /* columns per value unit */
    np_buf tmp, name;
} canvas;

int np_icicle_width(const np_report *r)
{
    if (r->width > 0)
        return r->width;
    struct winsize ws;
    if (r->stream && isatty(fileno(r->stream)) && ioctl(fileno(r->stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n >= 16 && n <= 10000 ? n : DEFAULT_WIDTH;
}

/* What sets a box's width: the new profile's value (a diff base's part taken out). */
static int64_t width_value(const np_flame *f, size_t i)
{
    int64_t v = f->node[i].total - (f->base ? f->base[i].total : 0);
    return v > 0 ? v : 0;
}

/* The box's name as shown: shortened as pprof's flame graph does, one byte per column. */
static void box_name(canvas *c, size_t i)
{
    c->name.len = 0;
    c->tmp.len = 0;
    if (c->f->node[i].name && i > 0)
        np_shorten_function_name(c->f->node[i].name, &c->tmp);
    else
        np_flame_label(c->f, i, &c->tmp);
    for (size_t k = 0; k < c->tmp.len; k++) {
        unsigned char ch = (unsigned char)c->tmp.data[k];
        np_buf_putc(&c->name, ch < ' ' || ch >= 0x7f ? '?' : (char)ch);
    }
}

/* The figure after the name: the share of the report's total, or with a diff base the change. */
static void box_figure(canvas *c, size_t i, np_buf *out)
{
    const np_flame *f = c->f;
    np_buf v = {0};
    if (f->base) {
        int64_t change = np_flame_total(f, i); /* new plus the (negative) base */
        np_buf_puts(out, change >= 0 ? " +" : " -");
        np_report_format_value(c->r, change >= 0 ? change : -change, &v);
        np_buf_add(out, v.data, v.len);
    } else {
        double total = c->r->total ? (double)c->r->total : 1;
        np_buf_printf(out, " %.1f%%", 100.0 * (double)np_flame_total(f, i) / total);
    }
    if (i == c->v->root) {
        v.len = 0;
        np_report_format_value(c->r, f->base ? np_flame_new_total(f, i) : np_flame_total(f, i), &v);
        np_buf_printf(out, " of %.*s %s", (int)v.len, v.data, c->r->sample_type);
    }
    np_buf_free(&v);
}

/* Writes name and figure into exactly `room` columns: the name is cut first (with an
 * ellipsis) so the figure stays, then the figure too when even it does not fit. */
static void fit(np_buf *out, const np_buf *name, const np_buf *fig, int room)
{
    size_t want = name->len + fig->len;
    if (room <= 0)
        return;
    if (want <= (size_t)room) {
        np_buf_add(out, name->data, name->len);
        np_buf_add(out, fig->data, fig->len);
        for (size_t k = want; k < (size_t)room; k++)
            np_buf_putc(out, ' ');
        return;
    }
    if ((size_t)room >= fig->len + 2) {
        np_buf_add(out, name->data, (size_t)room - fig->len - 1);
        np_buf_puts(out, ELLIPSIS);
        np_buf_add(out, fig->data, fig->len);
        return;
    }
    np_buf all = {0};
    np_buf_add(&all, name->data, name->len);
    np_buf_add(&all, fig->data, fig->len);
    np_buf_add(out, all.data, (size_t)room - 1);
    np_buf_puts(out, ELLIPSIS);
    np_buf_free(&all);
}

/* A background colour per box: by package (the name up to its first '.' or ':') so one
 * library keeps one hue; for diffs red for growth and blue for shrinkage, deeper with size. */
static int box_color(const canvas *c, size_t i)
{
    static const int warm[] = {208, 214, 220, 172, 178, 166, 202, 179};
    const np_flame *f = c->f;
    uint8_t mark = c->v->marks ? c->v->marks[i] : 0;
    if (mark & NP_ICICLE_SELECTED)
        return 231;
    if (mark & NP_ICICLE_MATCHED)
        return 201;
    if (f->base) {
        int64_t change = f->node[i].total, base = -f->base[i].total;
        double rel = base > 0 ? (double)change / (double)base : change > 0 ? 1 : 0;
        if (rel > 0.02)
            return rel > 0.5 ? 196 : rel > 0.1 ? 203 : 217;
        if (rel < -0.02)
            return rel < -0.5 ? 27 : rel < -0.1 ? 69 : 153;
        return 250;
    }
    const char *n = f->node[i].name ? f->node[i].name : "";
    unsigned h = 5381;
    for (; *n && *n != '.' && *n != ':' && *n != '('; n++)
        h = h * 33 + (unsigned char)*n;
    return warm[h % (sizeof warm / sizeof *warm)];
}

static void draw_box(canvas *c, size_t i, int x0, int x1)
{
    uint32_t d = c->f->node[i].depth - c->f->node[c->v->root].depth;
    np_buf *row = &c->row[d];
    for (; c->col[d] < x0; c->col[d]++)
        np_buf_putc(row, ' ');
    if (c->color)
        np_buf_printf(row, "\033[30;48;5;%dm", box_color(c, i));
    np_buf_putc(row, '|');
    np_buf fig = {0};
    box_name(c, i);
    box_figure(c, i, &fig);
    fit(row, &c->name, &fig, x1 - x0 - 1);
    np_buf_free(&fig);
    if (c->color)
        np_buf_puts(row, "\033[0m");
    c->col[d] = x1;
}

/* Lays out node i inside its parent's span: children follow each other left to right in the
 * tree's (name) order, so a box starts where its previous sibling ended. */
static void place(canvas *c, size_t i)
{
    const np_flame_node *n = &c->f->node[i];
    bool top = i == c->v->root;
    int64_t start = top ? 0 : c->next[n->parent];
    int64_t v = width_value(c->f, i);
    size_t d = n->depth - c->f->node[c->v->root].depth;
    c->next[i] = start;
    if (!top)
        c->next[n->parent] += v;
    if (d >= c->n_rows)
        return;
    int x0 = (int)((double)start * c->scale), x1 = (int)((double)(start + v) * c->scale);
    if (x1 > c->width)
        x1 = c->width;
    if (x0 < c->col[d])
        x0 = c->col[d];
    if (x1 > x0)
        draw_box(c, i, x0, x1);
}

static void canvas_free(canvas *c)
{
    for (size_t d = 0; d < c->n_rows; d++)
        np_buf_free(&c->row[d]);
    free(c->row);
    free(c->col);
    free(c->next);
    np_buf_free(&c->tmp);
    np_buf_free(&c->name);
}

void np_icicle_draw(np_report *r, const np_flame *f, const np_icicle_view *v, np_buf *out)
{
    canvas c = {.r = r, .f = f, .v = v, .width = v->width, .color = v->color};
    size_t top = v->root, end = f->node[top].end;
    for (size_t i = top; i < end; i++)
        if (f->node[i].depth - f->node[top].depth + 1 > c.n_rows)
            c.n_rows = f->node[i].depth - f->node[top].depth + 1;
    if (v->max_rows && c.n_rows > v->max_rows)
        c.n_rows = v->max_rows;
    c.row = np_xcalloc(c.n_rows, sizeof *c.row);
    c.col = np_xcalloc(c.n_rows, sizeof *c.col);
    c.next = np_xcalloc(f->n, sizeof *c.next);
    int64_t whole = width_value(f, top);
    c.scale = whole > 0 ? (double)c.width / (double)whole : 0;
    for (size_t i = top; i < end && whole > 0; i++)
        place(&c, i);
    if (whole <= 0)
        draw_box(&c, top, 0, c.width);
    for (size_t d = 0; d < c.n_rows; d++) {
        if (c.col[d] == 0)
            break; /* nothing this deep was wide enough to draw */
        np_buf_add(out, c.row[d].data, c.row[d].len);
        for (int k = c.col[d]; k < c.width; k++)
            np_buf_putc(out, ' ');
        np_buf_putc(out, '\n');
    }
    canvas_free(&c);
}

int np_report_icicle(np_report *r, np_buf *out, np_err *err)
{
    int width = np_icicle_width(r);
    if (width < 16 || width > 10000)
        return np_fail(err, "-width must be between 16 and 10000 columns, not %d", width);
    if (r->depth < 0)
        return np_fail(err, "-depth must not be negative, not %d", r->depth);
    /* Boxes under a column could not be drawn: they join their siblings' merged box. */
    double frac = r->nodefraction > 1.0 / width ? r->nodefraction : 1.0 / width;
    np_flame_opts o = {r->value_index, r->mean_index, frac, MAX_BOXES, r->depth, r->frameless};
    np_flame *f = np_flame_build(r->p, &o);
    bool color = r->stream && isatty(fileno(r->stream)) && !getenv("NO_COLOR");
    np_icicle_view v = {0, width, 0, color, NULL};
    np_icicle_draw(r, f, &v, out);
    np_flame_free(f);
    return 0;
}

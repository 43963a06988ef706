/* -tui: the icicle as an interactive navigator in the terminal (raw mode through termios, no
 * curses): arrows move between boxes, Enter zooms, Backspace/Escape zooms back out, `/` searches
 * with a regexp and prints the matched share, q quits. */
#include "analyze/report/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "analyze/flame.h"
#include "analyze/regex.h"
#include "analyze/report/icicle.h"

#define TUI_MAX_BOXES 200000

enum key { K_NONE, K_UP, K_DOWN, K_LEFT, K_RIGHT, K_ENTER, K_BACK, K_SEARCH, K_QUIT, K_CHAR };

typedef struct tui {
    np_report *r;
    np_flame *f;
    FILE *out;
    size_t sel;
    size_t *zoom; /* the zoom stack; its top is the box drawn full width */
    size_t n_zoom, cap_zoom;
    uint8_t *marks;
    np_regex *re;
    char query[256];
    np_buf screen;
} tui;

static size_t zoom_top(const tui *t)
{
    return t->n_zoom ? t->zoom[t->n_zoom - 1] : 0;
}

static void term_size(int *cols, int *rows)
{
    struct winsize ws;
    *cols = 80;
    *rows = 24;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
    }
}

/* ---- keys ---- */

static int read_byte(void)
{
    unsigned char c;
    ssize_t n;
    while ((n = read(STDIN_FILENO, &c, 1)) < 0 && errno == EINTR)
        ;
    return n == 1 ? c : -1;
}

/* An escape sequence's byte if one follows within a tenth of a second (VTIME), else -1: a
 * lone Escape is the key itself. */
static int read_quick(void)
{
    struct termios tio;
    tcgetattr(STDIN_FILENO, &tio);
    struct termios quick = tio;
    quick.c_cc[VMIN] = 0;
    quick.c_cc[VTIME] = 1;
    tcsetattr(STDIN_FILENO, TCSANOW, &quick);
    int c = read_byte();
    tcsetattr(STDIN_FILENO, TCSANOW, &tio);
    return c;
}

static enum key read_key(int *ch)
{
    int c = read_byte();
    *ch = c;
    if (c < 0 || c == 'q' || c == 3)
        return K_QUIT;
    if (c == '\r' || c == '\n')
        return K_ENTER;
    if (c == 127 || c == 8)
        return K_BACK;
    if (c == '/')
        return K_SEARCH;
    if (c != 27)
        return K_CHAR;
    int b = read_quick();
    if (b != '[' && b != 'O')
        return K_BACK;
    switch (read_quick()) {
    case 'A': return K_UP;
    case 'B': return K_DOWN;
    case 'C': return K_RIGHT;
    case 'D': return K_LEFT;
    default: return K_NONE;
    }
}

/* ---- moving ---- */

static size_t prev_sibling(const tui *t, size_t i)
{
    const np_flame_node *n = t->f->node;
    if (i == zoom_top(t))
        return i;
    size_t k = n[i].parent + 1, prev = i;
    for (; k < i; k = n[k].end)
        prev = k;
    return prev;
}

static size_t next_sibling(const tui *t, size_t i)
{
    const np_flame_node *n = t->f->node;
    if (i == zoom_top(t) || n[i].end >= n[n[i].parent].end)
        return i;
    return n[i].end;
}

static void move(tui *t, enum key k)
{
    const np_flame_node *n = t->f->node;
    if (k == K_UP && t->sel != zoom_top(t))
        t->sel = n[t->sel].parent;
    else if (k == K_DOWN && n[t->sel].end > t->sel + 1)
        t->sel = t->sel + 1;
    else if (k == K_LEFT)
        t->sel = prev_sibling(t, t->sel);
    else if (k == K_RIGHT)
        t->sel = next_sibling(t, t->sel);
}

static void zoom_in(tui *t)
{
    if (t->sel != zoom_top(t))
        *NP_PUSH(t->zoom, t->n_zoom, t->cap_zoom) = t->sel;
}

static void zoom_out(tui *t)
{
    if (t->n_zoom) /* the box that was zoomed stays selected */
        t->sel = t->zoom[--t->n_zoom];
}

/* ---- search ---- */

/* Marks the boxes whose name matches and returns the share of the root they hold, each
 * matched subtree counted once (as -focus would keep those samples). */
static double apply_search(tui *t)
{
    const np_flame *f = t->f;
    int64_t matched = 0;
    size_t covered = 0;
    for (size_t i = 0; i < f->n; i++) {
        bool m = t->re && f->node[i].name && i > 0 && np_regex_match(t->re, f->node[i].name);
        t->marks[i] = m ? NP_ICICLE_MATCHED : 0;
        if (m && i >= covered) {
            matched += np_flame_total(f, i);
            covered = f->node[i].end;
        }
    }
    int64_t root = np_flame_total(f, 0);
    return root ? 100.0 * (double)matched / (double)root : 0;
}

/* Reads a regexp on the status line; Escape cancels, Enter applies. */
static void search(tui *t, int cols, int rows)
{
    char q[256] = "";
    size_t n = 0;
    for (;;) {
        fprintf(t->out, "\033[%d;1H\033[2K/%s", rows, q);
        fflush(t->out);
        int ch;
        enum key k = read_key(&ch);
        if (k == K_ENTER)
            break;
        if (k == K_BACK && ch == 27)
            return;
        if (k == K_BACK && n > 0)
            q[--n] = 0;
        else if ((k == K_CHAR || k == K_SEARCH || (k == K_QUIT && ch == 'q')) && ch >= ' ' &&
                 n + 1 < sizeof q && (int)n + 2 < cols)
            q[n++] = (char)ch, q[n] = 0;
        else if (k == K_QUIT && ch != 'q')
            return;
    }
    np_regex_free(t->re);
    t->re = NULL;
    np_err e;
    if (n && !(t->re = np_regex_compile(q, &e)))
        snprintf(t->query, sizeof t->query, "bad regexp: %.200s", e.msg);
    else
        snprintf(t->query, sizeof t->query, "%s", q);
}

/* ---- drawing ---- */

static void status(tui *t, int cols, np_buf *s)
{
    const np_flame *f = t->f;
    np_buf v = {0}, w = {0};
    np_flame_label(f, t->sel, s);
    np_report_format_value(t->r, np_flame_total(f, t->sel), &v);
    np_report_format_value(t->r, np_flame_self(f, t->sel), &w);
    int64_t root = np_flame_total(f, 0);
    np_buf_printf(s, "  total %s (%.1f%%)  self %s", np_buf_cstr(&v),
                  root ? 100.0 * (double)np_flame_total(f, t->sel) / (double)root : 0, np_buf_cstr(&w));
    if (f->base) {
        v.len = 0;
        np_report_format_value(t->r, -f->base[t->sel].total, &v);
        np_buf_printf(s, "  base %s", np_buf_cstr(&v));
    }
    if (s->len > (size_t)cols)
        s->len = (size_t)cols;
    np_buf_free(&v);
    np_buf_free(&w);
}

/* When the cap cut the tree, the line above the status says so in the words the HTML page
 * uses, since the merged boxes alone can be too narrow to see. */
static void cut_note(const tui *t, int cols, int row, np_buf *b)
{
    const np_flame *f = t->f;
    if (f->full_nodes <= f->n)
        return;
    np_buf v = {0}, line = {0};
    np_report_format_value(t->r, f->cutoff, &v);
    np_buf_printf(&line, "%zu of %zu boxes (frames under %s merged into [N frames] boxes)", f->n,
                  f->full_nodes, np_buf_cstr(&v));
    if (line.len > (size_t)cols)
        line.len = (size_t)cols;
    np_buf_printf(b, "\033[%d;1H%s", row, np_buf_cstr(&line));
    np_buf_free(&v);
    np_buf_free(&line);
}

static void draw(tui *t)
{
    int cols, rows;
    term_size(&cols, &rows);
    if (cols < 16)
        cols = 16;
    np_buf *b = &t->screen;
    b->len = 0;
    np_buf_puts(b, "\033[H\033[2J");
    memset(t->marks, 0, t->f->n);
    double share = apply_search(t);
    t->marks[t->sel] |= NP_ICICLE_SELECTED;
    np_icicle_view v = {zoom_top(t), cols, rows > 4 ? (size_t)rows - 3 : 1, true, t->marks};
    np_icicle_draw(t->r, t->f, &v, b);
    if (rows > 4)
        cut_note(t, cols, rows - 2, b);
    np_buf line = {0};
    status(t, cols, &line);
    np_buf_printf(b, "\033[%d;1H\033[7m%-*s\033[0m", rows - 1, cols, np_buf_cstr(&line));
    line.len = 0;
    if (t->query[0])
        np_buf_printf(&line, "Matched: %.1f%% /%s/  ", share, t->query);
    np_buf_puts(&line, "arrows move  Enter zoom  Esc back  / search  q quit");
    if (line.len > (size_t)cols)
        line.len = (size_t)cols;
    np_buf_printf(b, "\033[%d;1H%s", rows, np_buf_cstr(&line));
    fwrite(b->data, 1, b->len, t->out);
    fflush(t->out);
    np_buf_free(&line);
}

static void run(tui *t)
{
    for (;;) {
        draw(t);
        int ch;
        enum key k = read_key(&ch);
        if (k == K_QUIT)
            return;
        if (k == K_ENTER)
            zoom_in(t);
        else if (k == K_BACK)
            zoom_out(t);
        else if (k == K_SEARCH) {
            int cols, rows;
            term_size(&cols, &rows);
            search(t, cols, rows);
        } else
            move(t, k);
    }
}

int np_report_tui(np_report *r, np_buf *out, np_err *err)
{
    (void)out;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || (r->stream && r->stream != stdout))
        return np_fail(err, "-tui needs a terminal on standard input and output");
    struct termios saved, raw;
    if (tcgetattr(STDIN_FILENO, &saved) < 0)
        return np_fail(err, "-tui: cannot read the terminal's settings: %s", strerror(errno));
    np_flame_opts o = {r->value_index, r->mean_index, 0, TUI_MAX_BOXES, 0, r->frameless};
    tui t = {.r = r, .f = np_flame_build(r->p, &o), .out = stdout};
    t.marks = np_xcalloc(t.f->n, 1);
    raw = saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
    raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    fputs("\033[?1049h\033[?25l", stdout); /* the alternate screen, no cursor */
    run(&t);
    fputs("\033[?25h\033[?1049l", stdout);
    fflush(stdout);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    np_regex_free(t.re);
    free(t.marks);
    free(t.zoom);
    np_buf_free(&t.screen);
    np_flame_free(t.f);
    return 0;
}

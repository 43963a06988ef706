/* The `list` report (pprof's printSource): per matching function and source file, flat/cum
 * per source line next to the text of that line, read from local files found by -source_path
 * and -trim_path. */
#include "analyze/report/report.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/measure.h"
#include "analyze/pathutil.h"

/* pprof shows this many lines of context around the sampled lines. */
#define LIST_MARGIN 5
/* bufio.Scanner gives up on a line longer than its 64 KiB buffer; pprof then keeps the lines it
 * had read and shows no error, so we stop at the same point. */
#define SCAN_MAX 65536

/* ---- Go path/filepath helpers (Unix) ---- */

/* filepath.SplitList: "" is no element at all, otherwise ':'-separated, empties kept. */
static char **split_list(const char *s, size_t *n)
{
    *n = 0;
    if (!s || !s[0])
        return NULL;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ':';
    char **out = np_xcalloc(cap, sizeof *out);
    const char *start = s;
    for (;;) {
        const char *c = strchr(start, ':');
        size_t len = c ? (size_t)(c - start) : strlen(start);
        char *e = np_xmalloc(len + 1);
        memcpy(e, start, len);
        e[len] = 0;
        out[(*n)++] = e;
        if (!c)
            break;
        start = c + 1;
    }
    return out;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* The part of `path` left after pprof's trimPath: the heuristic cut after "/<base of a search
 * dir>/" (only without -trim_path), else the first configured or /proc/self/cwd prefix. The
 * result is always a suffix of path, so it is returned as a pointer into it. */
static const char *trim_path(const char *path, const char *trim, const char *search)
{
    size_t n;
    if (!trim || !trim[0]) {
        char **dirs = split_list(search, &n);
        for (size_t i = 0; i < n; i++) {
            np_buf want = {0};
            np_buf_putc(&want, '/');
            np_path_base_buf(&want, dirs[i]);
            np_buf_putc(&want, '/');
            const char *hit = strstr(path, np_buf_cstr(&want));
            size_t wl = want.len;
            np_buf_free(&want);
            if (hit) {
                free_list(dirs, n);
                return hit + wl;
            }
        }
        free_list(dirs, n);
    }
    char **prefixes = split_list(trim, &n);
    prefixes = np_xrealloc(prefixes, (n + 2) * sizeof *prefixes);
    prefixes[n++] = np_xstrdup("/proc/self/cwd/./");
    prefixes[n++] = np_xstrdup("/proc/self/cwd/");
    const char *res = path;
    for (size_t i = 0; i < n; i++) {
        np_buf p = {0};
        np_buf_puts(&p, prefixes[i]);
        if (p.len == 0 || p.data[p.len - 1] != '/')
            np_buf_putc(&p, '/');
        bool hit = has_prefix(path, np_buf_cstr(&p));
        size_t pl = p.len;
        np_buf_free(&p);
        if (hit) {
            res = path + pl;
            break;
        }
    }
    free_list(prefixes, n);
    return res;
}

/* filepath.Dir. */
static char *path_dir(const char *p)
{
    const char *slash = strrchr(p, '/');
    size_t keep = slash ? (size_t)(slash - p) + 1 : 0;
    char *head = np_xmalloc(keep + 1);
    memcpy(head, p, keep);
    head[keep] = 0;
    np_buf b = {0};
    np_path_clean(&b, head);
    free(head);
    return (char *)np_buf_cstr(&b);
}

/* filepath.Join of two elements. */
static char *path_join(const char *a, const char *b)
{
    np_buf j = {0}, out = {0};
    if (a[0] && b[0])
        np_buf_printf(&j, "%s/%s", a, b);
    else
        np_buf_puts(&j, a[0] ? a : b);
    if (j.len == 0)
        return np_xstrdup("");
    np_path_clean(&out, np_buf_cstr(&j));
    np_buf_free(&j);
    return (char *)np_buf_cstr(&out);
}

/* Go's wording of an errno (its table is strerror's text starting in lower case). */
static void go_errno_text(np_buf *b, int e)
{
    const char *s = strerror(e);
    if (s[0])
        np_buf_putc(b, (char)tolower((unsigned char)s[0]));
    np_buf_puts(b, s + 1);
}

/* openSourceFile: the file for a profile path, searched in each search directory and its
 * parents; NULL with pprof's error text in err_text when not found. */
static FILE *open_source(const char *path, const char *search, const char *trim, np_buf *err_text)
{
    const char *p = trim_path(path, trim, search);
    if (p[0] == '/') {
        FILE *f = fopen(p, "r");
        if (!f) {
            np_buf_printf(err_text, "open %s: ", p);
            go_errno_text(err_text, errno);
        }
        return f;
    }
    size_t n;
    char **dirs = split_list(search, &n);
    for (size_t i = 0; i < n; i++) {
        char *dir = np_xstrdup(dirs[i]);
        for (;;) {
            char *name = path_join(dir, p);
            FILE *f = fopen(name, "r");
            free(name);
            if (f) {
                free(dir);
                free_list(dirs, n);
                return f;
            }
            char *parent = path_dir(dir);
            bool top = strcmp(parent, dir) == 0;
            free(dir);
            dir = parent;
            if (top)
                break;
        }
        free(dir);
    }
    free_list(dirs, n);
    np_buf_printf(err_text, "could not find file %s on path %s", p, search);
    return NULL;
}

/* One source file as bufio.Scanner splits it: lines without "\n" and one trailing "\r". */
typedef struct src_file {
    const char *key;   /* the profile's file name (owned by the graph) */
    np_buf text;       /* the lines' bytes */
    size_t *off, *len; /* per line, 1-based (index 0 unused) */
    size_t n_lines;    /* including the unused slot 0 */
    char *error;       /* openSourceFile's error, or NULL */
} src_file;

static void read_lines(src_file *sf, FILE *f)
{
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        np_buf_add(&sf->text, chunk, k);
    /* A read error (e.g. the path is a directory) leaves no lines and, as in pprof, no error. */
    size_t cap = 16;
    sf->off = np_xmalloc(cap * sizeof *sf->off);
    sf->len = np_xmalloc(cap * sizeof *sf->len);
    sf->off[0] = sf->len[0] = 0;
    sf->n_lines = 1;
    size_t pos = 0, end = sf->text.len;
    while (pos < end) {
        const char *nl = memchr(sf->text.data + pos, '\n', end - pos);
        size_t ll = nl ? (size_t)(nl - (sf->text.data + pos)) : end - pos;
        if (ll + (nl ? 1 : 0) > SCAN_MAX)
            break;
        size_t keep = ll;
        if (keep > 0 && sf->text.data[pos + keep - 1] == '\r')
            keep--;
        if (sf->n_lines == cap) {
            cap *= 2;
            sf->off = np_xrealloc(sf->off, cap * sizeof *sf->off);
            sf->len = np_xrealloc(sf->len, cap * sizeof *sf->len);
        }
        sf->off[sf->n_lines] = pos;
        sf->len[sf->n_lines] = keep;
        sf->n_lines++;
        pos += ll + (nl ? 1 : 0);
    }
}

/* The file's lines, read once (pprof's sourceReader cache). */
static src_file *get_file(src_file **files, size_t *n, const char *key, const char *search, const char *trim)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*files)[i].key, key) == 0)
            return &(*files)[i];
    *files = np_xrealloc(*files, (*n + 1) * sizeof **files);
    src_file *sf = &(*files)[(*n)++];
    memset(sf, 0, sizeof *sf);
    sf->key = key;
    np_buf e = {0};
    FILE *f = open_source(key, search, trim, &e);
    if (f) {
        read_lines(sf, f);
        fclose(f);
    } else {
        sf->n_lines = 1;
        sf->error = (char *)np_buf_cstr(&e);
    }
    return sf;
}

/* ---- ordering ---- */

static const np_graph *sort_graph; /* qsort has no context argument */

static int cmp_name(const void *a, const void *b)
{
    const np_node *l = &sort_graph->all[*(const uint32_t *)a];
    const np_node *r = &sort_graph->all[*(const uint32_t *)b];
    return strcmp(l->info.name, r->info.name);
}

static int cmp_file(const void *a, const void *b)
{
    const np_node *l = &sort_graph->all[*(const uint32_t *)a];
    const np_node *r = &sort_graph->all[*(const uint32_t *)b];
    int c = strcmp(l->info.file, r->info.file);
    if (c)
        return c;
    return (l->info.start_line > r->info.start_line) - (l->info.start_line < r->info.start_line);
}

/* Nodes grouped by a string key in first-seen order (pprof's map of key -> Nodes plus the list
 * of first nodes). */
typedef struct group {
    uint32_t first;
    uint32_t *nodes;
    size_t n, cap;
} group;

typedef struct grouping {
    np_hmap index;
    group *g;
    size_t n, cap;
} grouping;

static void group_add(grouping *gs, const char *key, uint32_t node)
{
    bool found;
    uint32_t gi = np_hmap_intern(&gs->index, key, strlen(key), (uint32_t)gs->n, &found);
    if (!found) {
        group *ng = NP_PUSH(gs->g, gs->n, gs->cap);
        memset(ng, 0, sizeof *ng);
        ng->first = node;
    }
    group *g = &gs->g[gi];
    *NP_PUSH(g->nodes, g->n, g->cap) = node;
}

static void grouping_free(grouping *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        free(gs->g[i].nodes);
    free(gs->g);
    np_hmap_free(&gs->index);
}

static const char *fmt_val(const np_report *r, int64_t v, np_buf *slot)
{
    slot->len = 0;
    np_report_format_value(r, v, slot);
    return np_buf_cstr(slot);
}

/* One file of one function: the header and the annotated lines (getSourceFromFile). */
static void print_file(np_report *r, np_graph *g, const char *name, group *fg, src_file *sf, np_buf *out)
{
    np_buf a = {0}, b = {0}, c = {0};
    int64_t flat_sum = 0, cum_sum = 0;
    for (size_t i = 0; i < fg->n; i++) {
        flat_sum += g->all[fg->nodes[i]].flat;
        cum_sum += g->all[fg->nodes[i]].cum;
    }
    const char *file = g->all[fg->first].info.file;
    np_buf_printf(out, "ROUTINE ======================== %s in %s\n", name, file);
    np_measure_percentage(&c, cum_sum, r->total);
    np_buf_printf(out, "%10s ", fmt_val(r, flat_sum, &a));
    np_buf_printf(out, "%10s (flat, cum) %s of Total\n", fmt_val(r, cum_sum, &b), np_buf_cstr(&c));
    if (sf->error) {
        np_buf_printf(out, " Error: %s\n", sf->error);
        goto done;
    }
    /* The shown range: from the function's start line (or the first sampled line minus the
     * margin) to the last sampled line plus the margin, computed in pprof's order. */
    const np_node *n0 = &g->all[fg->nodes[0]];
    int64_t start = n0->info.start_line ? n0->info.start_line : n0->info.lineno - LIST_MARGIN;
    int64_t end = n0->info.lineno + LIST_MARGIN;
    for (size_t i = 0; i < fg->n; i++) {
        const np_node *n = &g->all[fg->nodes[i]];
        int64_t ns = n->info.start_line ? n->info.start_line : n->info.lineno - LIST_MARGIN;
        int64_t ne = n->info.lineno + LIST_MARGIN;
        if (ns < start)
            start = ns;
        else if (ne > end)
            end = ne;
    }
    if (start < 1)
        start = 1;
    for (int64_t ln = start; ln <= end; ln++) {
        if (ln <= 0 || (uint64_t)ln >= sf->n_lines)
            break;
        int64_t flat = 0, cum = 0;
        for (size_t i = 0; i < fg->n; i++) {
            const np_node *n = &g->all[fg->nodes[i]];
            if (n->info.lineno == ln) {
                flat += n->flat;
                cum += n->cum;
            }
        }
        const char *fs = flat ? fmt_val(r, flat, &a) : ".";
        np_buf_printf(out, "%10s ", fs);
        const char *cs = cum ? fmt_val(r, cum, &b) : ".";
        np_buf_printf(out, "%10s %6lld:", cs, (long long)ln);
        np_buf_add(out, sf->text.data + sf->off[ln], sf->len[ln]);
        np_buf_putc(out, '\n');
    }
done:
    np_buf_free(&a);
    np_buf_free(&b);
    np_buf_free(&c);
}

void np_report_trim_paths(np_report *r)
{
    np_profile *p = r->p;
    const char *src_opt = r->source_path ? r->source_path : "";
    const char *trim_opt = r->trim_path ? r->trim_path : "";
    for (size_t i = 0; i < p->n_function; i++) {
        const char *f = p->function[i].filename;
        const char *t = trim_path(f, trim_opt, src_opt);
        if (t != f)
            p->function[i].filename = np_profile_str(p, t);
    }
}

int np_report_list(np_report *r, np_buf *out, np_err *err)
{
    np_profile *p = r->p;
    /* The trimmed name is what the ROUTINE line shows and what the source search starts from. */
    np_report_trim_paths(r);
    const char *src_opt = r->source_path ? r->source_path : "";
    const char *trim_opt = r->trim_path ? r->trim_path : "";
    np_graph_opts o;
    np_report_graph_opts(r, &o, NULL);
    np_graph *g = np_graph_new(p, &o);

    grouping funcs = {0};
    np_hmap_init(&funcs.index, 64);
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        if (r->symbol && !np_regex_match(r->symbol, n->info.name))
            continue;
        group_add(&funcs, n->info.name, g->nodes[i]);
    }
    if (funcs.n == 0) {
        grouping_free(&funcs);
        np_graph_free(g);
        return np_fail(err, "no matches found for regexp: %s", r->symbol ? np_regex_pattern(r->symbol) : "");
    }
    /* Sort the groups by function name (names are distinct, so order is total). */
    uint32_t *order = np_xcalloc(funcs.n, sizeof *order);
    for (size_t i = 0; i < funcs.n; i++)
        order[i] = funcs.g[i].first;
    sort_graph = g;
    qsort(order, funcs.n, sizeof *order, cmp_name);

    char *cwd = NULL;
    const char *search = src_opt;
    if (!search[0]) {
        cwd = getcwd(NULL, 0);
        if (!cwd) {
            int e = errno;
            free(order);
            grouping_free(&funcs);
            np_graph_free(g);
            return np_fail(err, "could not stat current dir: %s", strerror(e));
        }
        search = cwd;
    }

    np_buf s = {0};
    np_buf_printf(out, "Total: %s\n", fmt_val(r, r->total, &s));
    src_file *files = NULL;
    size_t n_files = 0;
    for (size_t fi = 0; fi < funcs.n; fi++) {
        const char *name = g->all[order[fi]].info.name;
        group *fg = &funcs.g[np_hmap_get(&funcs.index, name, strlen(name))];
        grouping by_file = {0};
        np_hmap_init(&by_file.index, 8);
        for (size_t i = 0; i < fg->n; i++) {
            const np_node *n = &g->all[fg->nodes[i]];
            if (n->info.file[0])
                group_add(&by_file, n->info.file, fg->nodes[i]);
        }
        if (by_file.n == 0) {
            np_buf_printf(out, "No source information for %s\n", name);
            grouping_free(&by_file);
            continue;
        }
        uint32_t *forder = np_xcalloc(by_file.n, sizeof *forder);
        for (size_t i = 0; i < by_file.n; i++)
            forder[i] = by_file.g[i].first;
        sort_graph = g;
        qsort(forder, by_file.n, sizeof *forder, cmp_file);
        for (size_t i = 0; i < by_file.n; i++) {
            const char *file = g->all[forder[i]].info.file;
            group *grp = &by_file.g[np_hmap_get(&by_file.index, file, strlen(file))];
            src_file *sf = get_file(&files, &n_files, file, search, trim_opt);
            print_file(r, g, name, grp, sf, out);
        }
        free(forder);
        grouping_free(&by_file);
    }
    for (size_t i = 0; i < n_files; i++) {
        np_buf_free(&files[i].text);
        free(files[i].off);
        free(files[i].len);
        free(files[i].error);
    }
    free(files);
    np_buf_free(&s);
    free(cwd);
    free(order);
    grouping_free(&funcs);
    np_graph_free(g);
    return 0;
}

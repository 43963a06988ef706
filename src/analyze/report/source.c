/* Where a report's source files are: pprof's trimPath of the file names a profile records, and
 * the search for a file along -source_path, read once and split into lines. */
#include "analyze/report/source.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gofmt.h"
#include "analyze/pathutil.h"

/* bufio.Scanner gives up on a line longer than its 64 KiB buffer; pprof then keeps the lines it
 * had read and shows no error, so we stop at the same point. */
#define SCAN_MAX 65536

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

void np_trimmer_init(np_trimmer *t, const char *trim, const char *search)
{
    memset(t, 0, sizeof *t);
    size_t n;
    /* The heuristic cut after "/<base of a search dir>/" applies only without -trim_path. */
    if (!trim || !trim[0]) {
        char **dirs = split_list(search, &n);
        t->cuts = np_xcalloc(n + 1, sizeof *t->cuts);
        for (size_t i = 0; i < n; i++) {
            np_buf want = {0};
            np_buf_putc(&want, '/');
            np_path_base_buf(&want, dirs[i]);
            np_buf_putc(&want, '/');
            t->cuts[t->n_cuts++] = np_xstrdup(np_buf_cstr(&want));
            np_buf_free(&want);
        }
        free_list(dirs, n);
    }
    char **prefixes = split_list(trim, &n);
    t->prefixes = np_xcalloc(n + 2, sizeof *t->prefixes);
    for (size_t i = 0; i < n + 2; i++) {
        const char *pre = i < n ? prefixes[i] : i == n ? "/proc/self/cwd/./" : "/proc/self/cwd/";
        np_buf b = {0};
        np_buf_puts(&b, pre);
        if (b.len == 0 || b.data[b.len - 1] != '/')
            np_buf_putc(&b, '/');
        t->prefixes[t->n_prefixes++] = np_xstrdup(np_buf_cstr(&b));
        np_buf_free(&b);
    }
    free_list(prefixes, n);
}

const char *np_trimmer_apply(const np_trimmer *t, const char *path)
{
    for (size_t i = 0; i < t->n_cuts; i++) {
        const char *hit = strstr(path, t->cuts[i]);
        if (hit)
            return hit + strlen(t->cuts[i]);
    }
    for (size_t i = 0; i < t->n_prefixes; i++)
        if (has_prefix(path, t->prefixes[i]))
            return path + strlen(t->prefixes[i]);
    return path;
}

void np_trimmer_free(np_trimmer *t)
{
    free_list(t->cuts, t->n_cuts);
    free_list(t->prefixes, t->n_prefixes);
    memset(t, 0, sizeof *t);
}

const char *np_source_trim_path(const char *path, const char *trim, const char *search)
{
    np_trimmer t;
    np_trimmer_init(&t, trim, search);
    const char *res = np_trimmer_apply(&t, path);
    np_trimmer_free(&t);
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

/* openSourceFile: the file for a profile path, searched in each search directory and its
 * parents; NULL with pprof's error text in err_text when not found. */
static FILE *open_source(const char *path, const char *search, const char *trim, np_buf *err_text)
{
    const char *p = np_source_trim_path(path, trim, search);
    if (p[0] == '/') {
        FILE *f = fopen(p, "r");
        if (!f) {
            np_buf_printf(err_text, "open %s: ", p);
            np_go_errno(err_text, errno);
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

static void read_lines(np_source_file *sf, FILE *f)
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

np_source_file *np_source_get(np_source_cache *c, const char *key, const char *search, const char *trim)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->files[i].key, key) == 0)
            return &c->files[i];
    c->files = np_xrealloc(c->files, (c->n + 1) * sizeof *c->files);
    np_source_file *sf = &c->files[c->n++];
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

void np_source_cache_free(np_source_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        np_buf_free(&c->files[i].text);
        free(c->files[i].off);
        free(c->files[i].len);
        free(c->files[i].error);
    }
    free(c->files);
    c->files = NULL;
    c->n = 0;
}

/* -flamegraph: the flame tree as one self-contained HTML page (our own script and styles, compiled
 * in), and the compact JSON the script draws from, which the web UI can serve on its own. */
#include "analyze/report/report.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/flame.h"
#include "analyze/report/assets.h"
#include "analyze/report/flamematch.h"

/* Half a pixel of a 1200 px wide graph: narrower frames could not be seen anyway. */
#define MIN_FRACTION (1.0 / 2400)
/* Keeps the data near 3 MB whatever the profile; a canvas redraws this many boxes at once. */
#define MAX_BOXES 100000

/* Distinct strings, each with its index in the order first added. */
typedef struct strtab {
    const char **s;
    size_t n, cap;
    uint32_t *slot; /* index + 1, or 0 for an empty slot */
    size_t nslot;
} strtab;

/* A frame name's object file, found by the name's address (names are interned per graph node). */
typedef struct objname {
    const char *name, *obj;
} objname;

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void strtab_grow(strtab *t)
{
    free(t->slot);
    t->nslot = t->nslot ? t->nslot * 2 : 1024;
    t->slot = np_xcalloc(t->nslot, sizeof *t->slot);
    for (size_t i = 0; i < t->n; i++) {
        size_t k = str_hash(t->s[i]) & (t->nslot - 1);
        while (t->slot[k])
            k = (k + 1) & (t->nslot - 1);
        t->slot[k] = (uint32_t)i + 1;
    }
}

static uint32_t strtab_add(strtab *t, const char *s)
{
    if (2 * (t->n + 1) > t->nslot)
        strtab_grow(t);
    size_t k = str_hash(s) & (t->nslot - 1);
    for (; t->slot[k]; k = (k + 1) & (t->nslot - 1))
        if (strcmp(t->s[t->slot[k] - 1], s) == 0)
            return t->slot[k] - 1;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->s = np_xrealloc(t->s, t->cap * sizeof *t->s);
    }
    t->s[t->n] = s;
    t->slot[k] = (uint32_t)++t->n;
    return (uint32_t)(t->n - 1);
}

static void strtab_free(strtab *t)
{
    free(t->s);
    free(t->slot);
}

/* A JSON string that is also safe inside an HTML <script> element: no '<', '>' or '&' appear
 * as themselves, so no name can close the element or start a comment. */
static void put_json(np_buf *out, const char *s, size_t n)
{
    np_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            np_buf_printf(out, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
            np_buf_printf(out, "\\u%04x", c);
        else
            np_buf_putc(out, (char)c);
    }
    np_buf_putc(out, '"');
}

static void put_json_str(np_buf *out, const char *s)
{
    put_json(out, s ? s : "", s ? strlen(s) : 0);
}

static int cmp_objname(const void *a, const void *b)
{
    const char *x = ((const objname *)a)->name, *y = ((const objname *)b)->name;
    return x < y ? -1 : x > y;
}

/* Every printed name of the tree's graph with its node's object file, sorted by address. */
static objname *objnames(const np_flame *f, size_t *n)
{
    const np_graph *g = f->names;
    objname *o = np_xcalloc(g->n_all + 1, sizeof *o);
    *n = 0;
    for (size_t i = 0; i < g->n_all; i++)
        if (g->all[i].printable)
            o[(*n)++] = (objname){g->all[i].printable, g->all[i].info.objfile};
    qsort(o, *n, sizeof *o, cmp_objname);
    return o;
}

static const char *objfile_of(const objname *o, size_t n, const char *name)
{
    objname key = {name, NULL};
    const objname *hit = bsearch(&key, o, n, sizeof *o, cmp_objname);
    return hit && hit->obj ? hit->obj : "";
}

/* What a frame's colour follows: its C++ namespace, its Go package (up to the first '.' after
 * the last '/'), else its library: the object file's base name, all an unsymbolized frame has. */
static void lib_key(const char *name, const char *obj, np_buf *out)
{
    size_t stop = strcspn(name, "( "); /* arguments and addresses are not the name */
    const char *colons = strstr(name, "::");
    if (colons && colons > name && (size_t)(colons - name) < stop) {
        np_buf_add(out, name, (size_t)(colons - name));
        return;
    }
    size_t from = 0;
    for (size_t i = 0; i < stop; i++)
        if (name[i] == '/')
            from = i + 1;
    const char *dot = memchr(name + from, '.', stop - from);
    if (dot && dot > name + from && !(name[0] == '0' && name[1] == 'x')) {
        np_buf_add(out, name, (size_t)(dot - name));
        return;
    }
    const char *base = strrchr(obj, '/');
    np_buf_puts(out, *obj ? (base ? base + 1 : obj) : name);
}

void np_flame_put_strings(np_buf *out, const char *key, const char *const *s, size_t n)
{
    np_buf_printf(out, ",\n\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            np_buf_puts(out, i % 64 ? "," : ",\n");
        put_json_str(out, s[i]);
    }
    np_buf_putc(out, ']');
}

static void put_strings(np_buf *out, const char *key, const strtab *t)
{
    np_flame_put_strings(out, key, t->s, t->n);
}

static void put_i64s(np_buf *out, const char *key, const int64_t *v, size_t n)
{
    np_buf_printf(out, ",\n\"%s\":[", key);
    for (size_t i = 0; i < n; i++)
        np_buf_printf(out, i % 256 ? ",%lld" : i ? ",\n%lld" : "%lld", (long long)v[i]);
    np_buf_putc(out, ']');
}

/* A value as the page shows it: per -mean divisor, then -divide_by, as -top's figures are. */
static int64_t per(const np_report *r, int64_t v, const np_flame_part *div, size_t i, bool self)
{
    int64_t d = div ? (self ? div[i].self : div[i].total) : 0;
    return np_report_scaled(r, d ? v / d : v);
}

/* The per-node arrays: name index (-1 for a merged box), parent (-1 for the root), the new
 * profile's total and self, and with a diff base the base's (as positive values). */
static void put_nodes(const np_report *r, const np_flame *f, const uint32_t *name_ix, np_buf *out)
{
    size_t n = f->n;
    int64_t *v = np_xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = f->node[i].name && i ? (int64_t)name_ix[i] : -1;
    put_i64s(out, "name", v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = i ? (int64_t)f->node[i].parent : -1;
    put_i64s(out, "parent", v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = np_report_scaled(r, np_flame_new_total(f, i));
    put_i64s(out, "total", v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = per(r, f->node[i].self - (f->base ? f->base[i].self : 0), f->div, i, true);
    put_i64s(out, "self", v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = f->node[i].name ? 0 : f->node[i].merged;
    put_i64s(out, "merged", v, n);
    if (f->base) {
        for (size_t i = 0; i < n; i++)
            v[i] = per(r, -f->base[i].total, f->div, i, false);
        put_i64s(out, "base", v, n);
        for (size_t i = 0; i < n; i++)
            v[i] = per(r, -f->base[i].self, f->div, i, true);
        put_i64s(out, "baseSelf", v, n);
    }
    free(v);
}

/* The names (a string table), their colour keys and search keys, and each node's name index. */
static void put_names(const np_report *r, const np_flame *f, uint32_t *name_ix, np_buf *out)
{
    strtab names = {0}, libs = {0};
    size_t n_obj;
    objname *obj = objnames(f, &n_obj);
    for (size_t i = 1; i < f->n; i++)
        if (f->node[i].name)
            name_ix[i] = strtab_add(&names, f->node[i].name);
    np_buf keys = {0};
    size_t *key_at = np_xcalloc(names.n + 1, sizeof *key_at);
    for (size_t i = 0; i < names.n; i++) {
        key_at[i] = keys.len;
        lib_key(names.s[i], objfile_of(obj, n_obj, names.s[i]), &keys);
        np_buf_putc(&keys, '\0');
    }
    int64_t *lib = np_xcalloc(names.n + 1, sizeof *lib);
    for (size_t i = 0; i < names.n; i++)
        lib[i] = strtab_add(&libs, keys.data + key_at[i]);
    put_strings(out, "names", &names);
    put_strings(out, "libs", &libs);
    put_i64s(out, "lib", lib, names.n);
    np_flame_match_write(r, f, names.s, names.n, out);
    free(lib);
    free(key_at);
    np_buf_free(&keys);
    free(obj);
    strtab_free(&names);
    strtab_free(&libs);
}

static void put_header(np_report *r, const np_flame *f, np_buf *out)
{
    np_buf labels = {0};
    np_report_profile_labels(r, &labels);
    np_buf_puts(out, "{\"version\":1,\"title\":");
    put_json_str(out, r->title);
    np_buf_puts(out, ",\"sampleType\":");
    put_json_str(out, r->sample_type);
    np_buf_puts(out, ",\"unit\":");
    put_json_str(out, r->sample_unit);
    np_buf_puts(out, ",\"labels\":");
    put_json(out, labels.data ? labels.data : "", labels.len);
    np_buf_puts(out, ",\"filters\":[");
    for (size_t i = 0; i < r->n_active_filters; i++) {
        np_buf_puts(out, i ? "," : "");
        put_json_str(out, r->active_filters[i]);
    }
    np_buf_printf(out, "],\"reportTotal\":%lld,\"diff\":%s,\"boxes\":%zu,\"fullBoxes\":%zu,\"cutoff\":%lld",
                  (long long)np_report_scaled(r, r->total), f->base ? "true" : "false", f->n, f->full_nodes,
                  (long long)np_report_scaled(r, f->cutoff));
    np_buf_free(&labels);
}

void np_flame_data_write(np_report *r, const np_flame *f, np_buf *out)
{
    uint32_t *name_ix = np_xcalloc(f->n + 1, sizeof *name_ix);
    put_header(r, f, out);
    put_names(r, f, name_ix, out);
    put_nodes(r, f, name_ix, out);
    np_buf_puts(out, "}\n");
    free(name_ix);
}

np_flame *np_flame_for_page(np_report *r)
{
    np_flame_opts o = {r->value_index, r->mean_index, MIN_FRACTION, MAX_BOXES, 0, r->frameless};
    return np_flame_build(r->p, &o);
}

int np_flame_data_json(np_report *r, np_buf *out, np_err *err)
{
    (void)err;
    np_flame *f = np_flame_for_page(r);
    np_flame_data_write(r, f, out);
    np_flame_free(f);
    return 0;
}

int np_flame_html(np_report *r, np_buf *out, np_err *err)
{
    np_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width\">\n"
                     "<title>Flame graph</title>\n<style>\n");
    np_buf_add(out, np_asset_flamegraph_css, np_asset_flamegraph_css_len);
    np_buf_puts(out, "</style>\n</head>\n<body>\n<div id=\"npflame\"></div>\n"
                     "<script type=\"application/json\" id=\"npflame-data\">\n");
    if (np_flame_data_json(r, out, err) < 0)
        return -1;
    np_buf_puts(out, "</script>\n<script>\n");
    np_buf_add(out, np_asset_flamegraph_js, np_asset_flamegraph_js_len);
    np_buf_puts(out, "</script>\n</body>\n</html>\n");
    return 0;
}

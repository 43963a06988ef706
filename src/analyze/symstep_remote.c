/* Remote symbolization as pprof's symbolz does it: the unsymbolized addresses of a mapping
 * fetched over HTTP are POSTed as "0xADDR+0xADDR..." to the server's symbol service, whose
 * "0xADDR name" lines name them; and the parser of those answers. */
#include "analyze/symstep.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "analyze/fetch.h"

/* RE2's \s: the white space pprof's answer pattern allows between address and name. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The leftmost "0x<hex>" followed by white space in line (which includes its "\n"), then the
 * name: after that white space, up to the end of the line. False when the line has none. */
static bool match_line(const char *s, size_t n, size_t *hex, size_t *hex_len, size_t *name,
                       size_t *name_len)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if (s[i] != '0' || s[i + 1] != 'x' || hex_val(s[i + 2]) < 0)
            continue;
        size_t j = i + 2;
        while (j < n && hex_val(s[j]) >= 0)
            j++;
        if (j == n || !is_space(s[j]))
            continue;
        *hex = i;
        *hex_len = j - i;
        while (j < n && is_space(s[j]))
            j++;
        size_t k = j;
        while (k < n && s[k] != '\n')
            k++;
        *name = j;
        *name_len = k - j;
        return true;
    }
    return false;
}

/* strconv.ParseUint(s, 0, 64) of "0x<hex>": false when it does not fit. */
static bool parse_hex(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 2; i < n; i++) {
        if (v >> 60)
            return false;
        v = v << 4 | (uint64_t)hex_val(s[i]);
    }
    *out = v;
    return true;
}

int np_symbolz_parse(const char *data, size_t len, np_symbolz_entry **out, size_t *n, np_err *err)
{
    np_symbolz_entry *v = NULL;
    size_t cnt = 0, cap = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(data + at, '\n', len - at);
        if (!nl)
            break; /* pprof reads whole lines only: a last line without "\n" is dropped */
        size_t ln = (size_t)(nl - (data + at)) + 1, h, hl, nm, nml;
        if (match_line(data + at, ln, &h, &hl, &nm, &nml)) {
            uint64_t a;
            if (!parse_hex(data + at + h, hl, &a)) {
                free(v);
                return np_fail(err, "unexpected parse failure %.*s: strconv.ParseUint: parsing \"%.*s\": value out of range",
                               (int)hl, data + at + h, (int)hl, data + at + h);
            }
            *NP_PUSH(v, cnt, cap) = (np_symbolz_entry){a, data + at + nm, nml};
        }
        at += ln;
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* pprof's adjust: addr moved by a signed offset; false on wrap-around. */
static bool adjust(uint64_t addr, int64_t off, uint64_t *out)
{
    uint64_t a = addr + (uint64_t)off;
    if (off < 0 ? a >= addr : a < addr)
        return false;
    *out = a;
    return true;
}

typedef struct named {
    uint64_t addr;
    size_t seq;
    uint32_t func;
} named;

static int named_cmp(const void *a, const void *b)
{
    const named *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The function of the last answer line for addr, or NP_NONE. */
static uint32_t named_find(const named *v, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && v[lo - 1].addr == addr ? v[lo - 1].func : NP_NONE;
}

/* The answer's names as functions (one per distinct name), sorted by address. */
static int name_answers(np_profile *p, const np_buf *ans, int64_t off, named **out, size_t *n,
                        np_err *err)
{
    np_symbolz_entry *e;
    size_t ne;
    if (np_symbolz_parse(ans->data ? ans->data : "", ans->len, &e, &ne, err) < 0)
        return -1;
    named *v = np_xcalloc(ne + 1, sizeof *v);
    np_hmap funcs;
    np_hmap_init(&funcs, ne);
    int rc = 0;
    for (size_t i = 0; i < ne && rc == 0; i++) {
        if (!adjust(e[i].addr, -off, &v[i].addr)) {
            rc = np_fail(err, "cannot adjust symbolz address %" PRIu64 " by %" PRId64 ", it would overflow",
                         e[i].addr, -off);
            break;
        }
        bool found;
        v[i].seq = i;
        v[i].func = np_hmap_intern(&funcs, e[i].name, e[i].name_len, (uint32_t)p->n_function, &found);
        if (!found) {
            np_function *f = np_profile_add_function(p);
            f->id = p->n_function;
            f->name = f->system_name = np_profile_strn(p, e[i].name, e[i].name_len);
            f->filename = "";
        }
    }
    np_hmap_free(&funcs);
    free(e);
    qsort(v, ne, sizeof *v, named_cmp);
    *out = v;
    *n = ne;
    return rc;
}

/* symbolizeMapping: one POST for the mapping's addresses that have no lines yet. */
static int symbolize_mapping(np_profile *p, uint32_t mi, const char *symz, int64_t off, np_err *err)
{
    np_buf q = {0}, ans = {0};
    for (size_t i = 0; i < p->n_location; i++) {
        const np_location *l = &p->location[i];
        if (l->mapping != mi || l->address == 0 || l->n_line != 0)
            continue;
        uint64_t a;
        if (!adjust(l->address, off, &a)) {
            np_buf_free(&q);
            return np_fail(err, "cannot adjust address %" PRIu64 " by %" PRId64 ", it would overflow (mapping %s)",
                           l->address, off, p->mapping[mi].file);
        }
        np_buf_printf(&q, "%s0x%" PRIx64, q.len ? "+" : "", a);
    }
    if (!q.len)
        return 0;
    np_err e;
    int rc = np_post_url(symz, q.data, q.len, &ans, &e);
    np_buf_free(&q);
    if (rc < 0) {
        np_buf_free(&ans);
        return np_fail(err, "http post %s: %s", symz, e.msg);
    }
    named *v = NULL;
    size_t n = 0;
    rc = name_answers(p, &ans, off, &v, &n, err);
    np_buf_free(&ans);
    for (size_t i = 0; rc == 0 && i < p->n_location; i++) {
        np_location *l = &p->location[i];
        uint32_t f = l->mapping == mi ? named_find(v, n, l->address) : NP_NONE;
        if (f == NP_NONE)
            continue;
        l->line = np_arena_alloc(&p->arena, sizeof *l->line);
        l->n_line = 1;
        l->line[0].func = f;
    }
    free(v);
    return rc;
}

/* Tries the sources recorded under key until one has a symbol service: 1 when one had. */
static int try_sources(np_profile *p, uint32_t mi, const char *key, const np_map_sources *ms,
                       np_err *err)
{
    for (size_t i = 0; i < ms->n; i++) {
        char *symz;
        if (strcmp(ms->v[i].key, key) != 0 || !np_symbolz_url(ms->v[i].url, &symz))
            continue;
        int rc = symbolize_mapping(p, mi, symz, (int64_t)(ms->v[i].start - p->mapping[mi].start), err);
        free(symz);
        return rc < 0 ? -1 : 1;
    }
    return 0;
}

int np_symstep_remote(np_profile *p, bool force, const np_map_sources *ms, np_err *err)
{
    for (uint32_t i = 0; i < p->n_mapping; i++) {
        np_mapping *m = &p->mapping[i];
        if ((!force && m->has_functions) || np_symstep_unsymbolizable(m))
            continue;
        int rc = try_sources(p, i, m->file, ms, err);
        if (rc == 0 && m->build_id[0])
            rc = try_sources(p, i, m->build_id, ms, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            m->has_functions = true;
    }
    return 0;
}

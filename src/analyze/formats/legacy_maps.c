/* The memory-map section that ends most legacy profiles: /proc/<pid>/maps lines or the brief
 * "start-end path (@offset) buildid" form, glog prefixes, "$name" substitutions, and pprof's
 * merging of split mappings and choice of the main binary. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>
#include <string.h>

/* Whether two entries are one mapping split in two (pprof's adjacent()). */
static bool adjacent(const lg_map *a, const lg_map *b)
{
    if (a->file[0] && b->file[0] && strcmp(a->file, b->file) != 0)
        return false;
    if (a->build_id[0] && b->build_id[0] && strcmp(a->build_id, b->build_id) != 0)
        return false;
    if (a->limit != b->start)
        return false;
    if (a->offset != 0 && b->offset != 0 && a->offset + (a->limit - a->start) != b->offset)
        return false;
    return true;
}

/* pprof's libRx: "[.]so$" or "[.]so[._][0-9]+" anywhere in the name. */
static bool looks_like_library(const char *f, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if (memcmp(f + i, ".so", 3) != 0)
            continue;
        if (i + 3 == n)
            return true;
        if (i + 4 < n && (f[i + 3] == '.' || f[i + 3] == '_') && f[i + 4] >= '0' && f[i + 4] <= '9')
            return true;
    }
    return false;
}

/* The file name with every "(deleted)" removed and white space trimmed, as the main-binary
 * heuristic sees it; returns whether that name qualifies as the main binary. */
static bool main_binary_candidate(const char *file)
{
    size_t n = strlen(file);
    char *buf = np_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (n - i >= 9 && memcmp(file + i, "(deleted)", 9) == 0) {
            i += 9;
            continue;
        }
        buf[k++] = file[i++];
    }
    lg_span t = lg_trim(lg_span_of(buf, k));
    bool ok = t.n > 0 && !looks_like_library(t.p, t.n) && t.p[0] != '[';
    free(buf);
    return ok;
}

/* massageMappings: merge split mappings, move the likely main binary first. No location has
 * a mapping yet when this runs, so no location needs updating. */
static void massage_mappings(lg_prof *lp)
{
    if (lp->n_map > 1) {
        size_t k = 1;
        for (size_t i = 1; i < lp->n_map; i++) {
            lg_map *last = &lp->map[k - 1], *m = &lp->map[i];
            if (adjacent(last, m)) {
                last->limit = m->limit;
                if (m->file[0])
                    last->file = m->file;
                if (m->build_id[0])
                    last->build_id = m->build_id;
                continue;
            }
            lp->map[k++] = *m;
        }
        lp->n_map = k;
    }
    for (size_t i = 0; i < lp->n_map; i++) {
        if (main_binary_candidate(lp->map[i].file)) {
            lg_map t = lp->map[0];
            lp->map[0] = lp->map[i];
            lp->map[i] = t;
            break;
        }
    }
}

/* "$name" -> value substitutions declared by "name=value" lines of the map section, applied as
 * Go's strings.Replacer does: left to right, the earliest declared name that matches wins. */
typedef struct subst_entry {
    size_t koff, kn, voff, vn; /* "$name" and value, as offsets into lg_subst.store */
} subst_entry;

typedef struct lg_subst {
    subst_entry *e;
    size_t n, cap;
    np_buf store;
    size_t budget; /* bytes substitutions may still add, so input cannot explode */
    size_t work;   /* comparisons left, so many names cannot make it quadratic */
} lg_subst;

/* Limits far above any real profile (a few names such as a build id, used on each line) that
 * keep hostile input, such as names defined as twice the previous one, from blowing up. */
#define SUBST_BUDGET(input_len) (((size_t)8 << 20) + 2 * (input_len))
#define SUBST_WORK ((size_t)1 << 28)

/* A repeated name is kept but never used: lookups go in declaration order and stop at the
 * first match, so the first declaration keeps priority, as in Go. */
static void subst_add(lg_subst *r, lg_span k, lg_span v)
{
    subst_entry *e = NP_PUSH(r->e, r->n, r->cap);
    e->koff = r->store.len;
    e->kn = k.n + 1;
    np_buf_putc(&r->store, '$');
    np_buf_add(&r->store, k.p, k.n);
    e->voff = r->store.len;
    e->vn = v.n;
    np_buf_add(&r->store, v.p, v.n);
}

/* Applies the substitutions to line into out; -1 when a limit is hit. */
static int subst_apply(lg_subst *r, lg_span line, np_buf *out)
{
    out->len = 0;
    for (size_t i = 0; i < line.n;) {
        const subst_entry *hit = NULL;
        for (size_t k = 0; line.p[i] == '$' && k < r->n && !hit; k++) {
            const subst_entry *e = &r->e[k];
            if (r->work < e->kn + 1)
                return -1;
            r->work -= e->kn + 1;
            if (e->kn <= line.n - i && memcmp(line.p + i, r->store.data + e->koff, e->kn) == 0)
                hit = e;
        }
        if (!hit) {
            np_buf_putc(out, line.p[i++]);
            continue;
        }
        if (hit->vn > hit->kn) {
            if (r->budget < hit->vn - hit->kn)
                return -1;
            r->budget -= hit->vn - hit->kn;
        }
        np_buf_add(out, r->store.data + hit->voff, hit->vn);
        i += hit->kn;
    }
    return 0;
}

static void subst_free(lg_subst *r)
{
    free(r->e);
    np_buf_free(&r->store);
}

/* parseMappingEntry: 1 with *m, 0 for a non-executable entry, -1 when the line is not one. */
static int mapping_entry(lg_prof *lp, lg_rx *rx, lg_span line, lg_map *m)
{
    lg_span g[8];
    lg_span start, end, perm, file, offset, build_id = {line.p, 0};
    if (lg_re_find(rx->proc_maps, line.p, line.n, g)) {
        start = g[1], end = g[2], perm = g[3], offset = g[4], file = g[5];
    } else if (lg_re_find(rx->brief_maps, line.p, line.n, g)) {
        start = g[1], end = g[2], perm = g[3], file = g[4], offset = g[5], build_id = g[6];
    } else {
        return -1;
    }
    if (perm.n && !memchr(perm.p, 'x', perm.n))
        return 0;
    *m = (lg_map){0};
    if (!lg_parse_uint(start, 16, &m->start) || !lg_parse_uint(end, 16, &m->limit))
        return -1;
    if (offset.n && !lg_parse_uint(offset, 16, &m->offset))
        return -1;
    m->file = np_profile_strn(lp->out, file.p, file.n);
    m->build_id = np_profile_strn(lp->out, build_id.p, build_id.n);
    return 1;
}

/* glog's "... file:line] " prefix, which pprof strips from map lines. */
static lg_span strip_log_prefix(lg_rx *rx, lg_span line)
{
    lg_span g[1];
    if (lg_re_find(rx->log_prefix, line.p, line.n, g)) {
        size_t end = (size_t)(g[0].p - line.p) + g[0].n;
        return lg_span_of(line.p + end, line.n - end);
    }
    return line;
}

int lg_parse_memory_map(lg_prof *lp, lg_scanner *s, lg_rx *rx, np_err *err)
{
    lg_subst r = {.budget = SUBST_BUDGET(s->len), .work = SUBST_WORK};
    np_buf buf = {0};
    int rc = 0;
    while (lg_scan(s)) {
        lg_span line = strip_log_prefix(rx, s->tok);
        if (r.n) {
            if (subst_apply(&r, line, &buf) < 0) {
                rc = np_fail(err, "memory map: variable substitutions expand too much");
                break;
            }
            line = lg_span_of(buf.data ? buf.data : "", buf.len);
        }
        lg_map m;
        int k = mapping_entry(lp, rx, line, &m);
        if (k > 0) {
            *NP_PUSH(lp->map, lp->n_map, lp->cap_map) = m;
        } else if (k < 0) {
            /* Not a mapping: "name=value" declares $name for the lines that follow. */
            const char *eq = memchr(line.p, '=', line.n);
            if (eq) {
                lg_span key = lg_trim(lg_span_of(line.p, (size_t)(eq - line.p)));
                lg_span val = lg_trim(lg_span_of(eq + 1, line.n - (size_t)(eq - line.p) - 1));
                subst_add(&r, key, val);
            }
        }
    }
    subst_free(&r);
    np_buf_free(&buf);
    if (rc == 0)
        rc = lg_scan_err(s, err);
    if (rc < 0)
        return -1;
    massage_mappings(lp);
    lg_remap(lp);
    return 0;
}

int lg_additional_sections(lg_prof *lp, lg_scanner *s, lg_rx *rx, np_err *err)
{
    while (!lg_is_map_sentinel(s->tok) && lg_scan(s)) {
    }
    if (lg_scan_err(s, err) < 0)
        return -1;
    return lg_parse_memory_map(lp, s, rx, err);
}

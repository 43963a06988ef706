/* Java profiles: heapz and contentionz text dumps, and the symbol section shared with the
 * Java flavour of the binary CPU profile. Locations end up with functions and no addresses. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>
#include <string.h>

enum { JAVA_HEAP, JAVA_CONTENTION };

/* The next '\n'-terminated line of *b (trimmed), or false when no newline is left; the
 * unterminated tail is never a header or sample line. */
static bool next_line(lg_span *b, lg_span *line, lg_span *after)
{
    const char *nl = memchr(b->p, '\n', b->n);
    if (!nl)
        return false;
    *line = lg_trim(lg_span_of(b->p, (size_t)(nl - b->p)));
    *after = lg_span_of(nl + 1, b->n - (size_t)(nl - b->p) - 1);
    return true;
}

/* "attribute = value" lines; *b is left on the first line that is not one. */
static int header(lg_prof *lp, int type, lg_span *b, lg_rx *rx, np_err *err)
{
    lg_span line, after, g[3];
    for (; next_line(b, &line, &after); *b = after) {
        if (line.n == 0)
            continue;
        if (!lg_re_find(rx->java_attr, line.p, line.n, g))
            return LG_OK;
        lg_span attr = lg_trim(g[1]), value = lg_trim(g[2]);
        const char *unit = np_profile_strn(lp->out, value.p, value.n);
        int64_t v;
        if (lg_eq(attr, "format")) {
            if (!lg_eq(value, "java"))
                return LG_UNRECOGNIZED;
        } else if (lg_eq(attr, "resolution")) {
            const char *tu[] = {type == JAVA_HEAP ? "inuse_objects" : "contentions", "count",
                                type == JAVA_HEAP ? "inuse_space" : "delay", unit};
            lg_prof_set_types(lp, 2, tu);
        } else if (type == JAVA_CONTENTION && lg_eq(attr, "sampling period")) {
            lp->period_type = (np_value_type){"contentions", "count"};
            if (!lg_parse_int(value, 0, &lp->period)) {
                np_fail(err, "failed to parse attribute %.*s", (int)line.n, line.p);
                return LG_ERROR;
            }
        } else if (type == JAVA_CONTENTION && lg_eq(attr, "ms since reset")) {
            if (!lg_parse_int(value, 0, &v)) {
                np_fail(err, "failed to parse attribute %.*s", (int)line.n, line.p);
                return LG_ERROR;
            }
            lp->duration = lg_mul(lg_mul(v, 1000), 1000);
        } else {
            return LG_UNRECOGNIZED;
        }
    }
    return LG_OK;
}

/* "value2 value1 @ addrs" lines (Java puts the fields the other way round); *b is left on the
 * first line that is not one. */
static int samples(lg_prof *lp, int type, lg_span *b, lg_rx *rx, np_err *err)
{
    lg_span line, after, g[4];
    lg_addrs a = {0};
    int rc = LG_OK;
    for (; rc == LG_OK && next_line(b, &line, &after); *b = after) {
        if (line.n == 0)
            continue;
        if (!lg_re_find(rx->java_sample, line.p, line.n, g))
            break;
        a.n = 0;
        if (!lg_hex_addrs(g[3], &a)) {
            np_fail(err, "malformed sample: %.*s: failed to parse as hex 64-bit number",
                    (int)line.n, line.p);
            rc = LG_ERROR;
            break;
        }
        lg_sample *s = lg_add_sample(lp, a.v, a.n, LG_ADJ_NONE);
        if (!lg_parse_int(g[2], 0, &s->v[0]) || !lg_parse_int(g[1], 0, &s->v[1])) {
            np_fail(err, "parsing sample %.*s: invalid number", (int)line.n, line.p);
            rc = LG_ERROR;
            break;
        }
        if (type == JAVA_HEAP) {
            if (s->v[0] == 0) {
                np_fail(err, "parsing sample %.*s: second value must be non-zero", (int)line.n,
                        line.p);
                rc = LG_ERROR;
                break;
            }
            s->has_bytes = true;
            s->bytes = lg_div(s->v[1], s->v[0]);
            lg_scale_heap(&s->v[0], &s->v[1], 524288); /* the Java agent samples every 512K */
        } else if (lp->period != 0) {
            s->v[0] = lg_mul(s->v[0], lp->period);
            s->v[1] = lg_mul(s->v[1], lp->period);
        }
    }
    free(a.v);
    return rc;
}

/* Go's filepath.Base. */
static lg_span base_name(lg_span p)
{
    if (p.n == 0)
        return lg_span_of(".", 1);
    while (p.n > 0 && p.p[p.n - 1] == '/')
        p.n--;
    if (p.n == 0)
        return lg_span_of("/", 1);
    const char *slash = memrchr(p.p, '/', p.n);
    if (slash)
        p = lg_span_of(slash + 1, p.n - (size_t)(slash + 1 - p.p));
    return p;
}

/* Functions are shared by name. */
typedef struct fn_index {
    uint64_t *hash;
    uint32_t *idx; /* function index + 1; 0 = empty */
    size_t cap, n;
} fn_index;

static uint32_t function_for(lg_prof *lp, fn_index *ix, lg_span name, lg_span file)
{
    const char *nm = np_profile_strn(lp->out, name.p, name.n);
    uint64_t h = 1469598103934665603ull;
    for (const char *c = nm; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    if ((ix->n + 1) * 2 > ix->cap) {
        fn_index old = *ix;
        ix->cap = old.cap ? old.cap * 2 : 64;
        ix->hash = np_xcalloc(ix->cap, sizeof *ix->hash);
        ix->idx = np_xcalloc(ix->cap, sizeof *ix->idx);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.idx[i])
                continue;
            size_t j = (size_t)old.hash[i] & (ix->cap - 1);
            while (ix->idx[j])
                j = (j + 1) & (ix->cap - 1);
            ix->hash[j] = old.hash[i];
            ix->idx[j] = old.idx[i];
        }
        free(old.hash);
        free(old.idx);
    }
    size_t j = (size_t)h & (ix->cap - 1);
    for (; ix->idx[j]; j = (j + 1) & (ix->cap - 1))
        if (ix->hash[j] == h && strcmp(lp->func[ix->idx[j] - 1].name, nm) == 0)
            return ix->idx[j] - 1;
    lg_func *f = NP_PUSH(lp->func, lp->n_func, lp->cap_func);
    f->name = nm;
    f->file = np_profile_strn(lp->out, file.p, file.n);
    ix->hash[j] = h;
    ix->idx[j] = (uint32_t)lp->n_func;
    ix->n++;
    return (uint32_t)(lp->n_func - 1);
}

/* "0xaddr function (file:line)" lines name the sampled addresses. */
static int locations(lg_prof *lp, lg_span b, lg_rx *rx, np_err *err)
{
    fn_index ix = {0};
    int rc = 0;
    while (b.n > 0) {
        const char *nl = memchr(b.p, '\n', b.n);
        size_t len = nl ? (size_t)(nl - b.p) : b.n;
        lg_span line = lg_trim(lg_span_of(b.p, len));
        b = nl ? lg_span_of(nl + 1, b.n - len - 1) : lg_span_of(b.p + b.n, 0);
        lg_span g[3], f[4];
        if (line.n == 0 || !lg_re_find(rx->java_loc, line.p, line.n, g))
            continue;
        uint64_t addr;
        if (!lg_parse_uint(g[1], 16, &addr)) {
            rc = np_fail(err, "parsing sample %.*s: invalid address", (int)line.n, line.p);
            break;
        }
        uint32_t loc = lg_loc_find(lp, addr);
        if (loc == NP_NONE)
            continue; /* not sampled */
        lg_span name, file = lg_span_of(line.p, 0);
        int64_t lineno = 0, n;
        if (lg_re_find(rx->java_file_line, g[2].p, g[2].n, f)) {
            name = f[1];
            file = f[2];
            if (lg_parse_int(f[3], 10, &n) && n > 0)
                lineno = n;
        } else if (lg_re_find(rx->java_path, g[2].p, g[2].n, f)) {
            name = f[1]; /* a shared library: only its base name is of interest */
            file = base_name(f[2]);
        } else if (lg_contains(g[2], "generated stub/JIT")) {
            name = lg_span_of("STUB", 4);
        } else {
            name = g[2]; /* the agent's own states, such as "GC" or "VM" */
        }
        lp->loc[loc].func = function_for(lp, &ix, name, file);
        lp->loc[loc].line = lineno;
        lp->loc[loc].addr = 0;
    }
    free(ix.hash);
    free(ix.idx);
    return rc;
}

int lg_java_finish(lg_prof *lp, const char *b, size_t n, lg_rx *rx, np_err *err)
{
    if (locations(lp, lg_span_of(b, n), rx, err) < 0)
        return -1;
    lg_remap(lp);
    /* pprof aggregates away addresses so that equal frames merge. */
    for (size_t i = 0; i < lp->n_loc; i++)
        lp->loc[i].addr = 0;
    if (lp->n_st == 0 && lp->n_sample != 0)
        return np_fail(err, "missing sample type information");
    return 0;
}

int lg_parse_java(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err)
{
    const char *nl = memchr(d, '\n', n);
    if (!nl)
        return LG_UNRECOGNIZED;
    lg_span first = lg_trim(lg_span_of(d, (size_t)(nl - d)));
    int type;
    if (lg_eq(first, "--- heapz 1 ---"))
        type = JAVA_HEAP;
    else if (lg_eq(first, "--- contentionz 1 ---"))
        type = JAVA_CONTENTION;
    else
        return LG_UNRECOGNIZED;
    lg_prof lp;
    lg_prof_init(&lp);
    lg_span b = lg_span_of(nl + 1, n - (size_t)(nl - d) - 1);
    int rc = header(&lp, type, &b, rx, err);
    if (rc == LG_OK)
        rc = samples(&lp, type, &b, rx, err);
    if (rc == LG_OK && lg_java_finish(&lp, b.p, b.n, rx, err) < 0)
        rc = LG_ERROR;
    if (rc == LG_OK)
        *out = lg_prof_finish(&lp);
    lg_prof_free(&lp);
    return rc;
}

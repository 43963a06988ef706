/* Heap text profiles ("heap profile: ..."): gperftools heapprofile, heapz_v2/heap_v2, Go's
 * heap/2*rate, growthz and fragmentationz, with pprof's unsampling and "bytes" label. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct heap_hdr {
    bool v2;        /* Poisson-sampled: values need unsampling at `period` */
    bool has_alloc; /* the header's alloc totals differ from the in-use ones */
    int64_t period;
} heap_hdr;

static bool span_same(lg_span a, lg_span b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* The first line. LG_UNRECOGNIZED unless it is a heap header of a known kind. */
static int parse_header(lg_span line, lg_rx *rx, heap_hdr *h)
{
    lg_span g[7];
    *h = (heap_hdr){0};
    if (!lg_re_find(rx->heap_header, line.p, line.n, g)) {
        if (lg_re_find(rx->growth_header, line.p, line.n, g) ||
            lg_re_find(rx->frag_header, line.p, line.n, g)) {
            h->period = 1;
            return LG_OK;
        }
        return LG_UNRECOGNIZED;
    }
    if (g[6].n && !lg_parse_int(g[6], 10, &h->period))
        return LG_UNRECOGNIZED;
    /* Totals compare as text, as pprof compares them. */
    h->has_alloc = (!span_same(g[3], g[1]) && !lg_eq(g[3], "0")) ||
                   (!span_same(g[4], g[2]) && !lg_eq(g[4], "0"));
    if (lg_eq(g[5], "heapz_v2") || lg_eq(g[5], "heap_v2")) {
        h->v2 = true;
    } else if (lg_eq(g[5], "heapprofile")) {
        h->period = 1;
    } else if (lg_eq(g[5], "heap")) {
        h->v2 = true; /* Go writes heap/2*rate */
        h->period /= 2;
    } else {
        return LG_UNRECOGNIZED;
    }
    return LG_OK;
}

/* One "count: bytes" pair: appended to v, block size noted, unsampled for v2 profiles. */
static int add_values(lg_span cs, lg_span ss, const char *what, const heap_hdr *h, lg_span line,
                      int64_t *v, size_t *nv, int64_t *blocksize, np_err *err)
{
    int64_t count, size;
    if (!lg_parse_int(cs, 10, &count) || !lg_parse_int(ss, 10, &size))
        return np_fail(err, "malformed sample: %.*s", (int)line.n, line.p);
    if (count == 0 && size != 0)
        return np_fail(err, "%s count was 0 but %s bytes was %lld", what, what, (long long)size);
    if (count != 0) {
        *blocksize = lg_div(size, count);
        if (h->v2)
            lg_scale_heap(&count, &size, h->period);
    }
    v[(*nv)++] = count;
    v[(*nv)++] = size;
    return 0;
}

static int parse_sample(lg_prof *lp, lg_span line, lg_rx *rx, const heap_hdr *h, lg_addrs *a,
                        np_err *err)
{
    lg_span g[6];
    if (!lg_fast_heap_sample(line, g) && !lg_re_find(rx->heap_sample, line.p, line.n, g))
        return np_fail(err, "unexpected number of sample values: got 0, want 6");
    int64_t v[4], blocksize = 0;
    size_t nv = 0;
    if (h->has_alloc && add_values(g[3], g[4], "allocation", h, line, v, &nv, &blocksize, err) < 0)
        return -1;
    if (add_values(g[1], g[2], "inuse", h, line, v, &nv, &blocksize, err) < 0)
        return -1;
    a->n = 0;
    if (!lg_hex_addrs(g[5], a))
        return np_fail(err, "malformed sample: %.*s: failed to parse as hex 64-bit number",
                       (int)line.n, line.p);
    lg_sample *s = lg_add_sample(lp, a->v, a->n, LG_ADJ_ALL);
    memcpy(s->v, v, nv * sizeof *v);
    s->has_bytes = true;
    s->bytes = blocksize;
    return 0;
}

static int heap_body(lg_prof *lp, lg_scanner *s, lg_rx *rx, const heap_hdr *h, np_err *err)
{
    static const char *const four[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                       "inuse_objects", "count", "inuse_space", "bytes"};
    static const char *const two[] = {"objects", "count", "space", "bytes"};
    /* alloc before inuse, so that pprof's default (the last type) is inuse_space */
    if (h->has_alloc)
        lg_prof_set_types(lp, 4, four);
    else
        lg_prof_set_types(lp, 2, two);
    lp->period_type = (np_value_type){"space", "bytes"};
    lp->period = h->period;
    lg_addrs a = {0};
    int rc = 0;
    while (rc == 0 && lg_scan(s)) {
        lg_span line = lg_trim(s->tok);
        if (lg_space_or_comment(line))
            continue;
        if (lg_is_map_sentinel(line))
            break;
        rc = parse_sample(lp, line, rx, h, &a, err);
    }
    free(a.v);
    if (rc < 0 || lg_scan_err(s, err) < 0)
        return -1;
    return lg_additional_sections(lp, s, rx, err);
}

int lg_parse_heap(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err)
{
    lg_scanner s;
    lg_scan_init(&s, d, n);
    if (!lg_scan(&s))
        return lg_scan_err(&s, err) < 0 ? LG_ERROR : LG_UNRECOGNIZED;
    heap_hdr h;
    if (parse_header(s.tok, rx, &h) != LG_OK)
        return LG_UNRECOGNIZED;
    lg_prof lp;
    lg_prof_init(&lp);
    int rc = heap_body(&lp, &s, rx, &h, err) < 0 ? LG_ERROR : LG_OK;
    if (rc == LG_OK)
        *out = lg_prof_finish(&lp);
    lg_prof_free(&lp);
    return rc;
}

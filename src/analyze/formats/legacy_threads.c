/* Stack-list text profiles: Go's count profiles ("goroutine profile: total N", threadcreate,
 * debug=1 form) and gperftools/Google threadz dumps ("--- Thread ... stack: ---"). */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>

/* Skips leading blank and comment lines; the scanner is left on the first other line. */
static void skip_comments(lg_scanner *s)
{
    while (lg_scan(s) && lg_space_or_comment(s->tok)) {
    }
}

static int count_body(lg_prof *lp, lg_scanner *s, lg_rx *rx, np_err *err)
{
    lg_span g[3];
    lg_addrs a = {0};
    int rc = 0;
    while (rc == 0 && lg_scan(s)) {
        lg_span line = s->tok;
        if (lg_space_or_comment(line))
            continue; /* including Go's "# labels: {...}" lines, which pprof ignores */
        if (lg_has_prefix(line, "---"))
            break;
        int64_t count;
        a.n = 0;
        if (!lg_re_find(rx->count_line, line.p, line.n, g) || !lg_parse_int(g[1], 0, &count) ||
            !lg_hex_addrs(g[2], &a)) {
            rc = np_fail(err, "malformed profile format");
            break;
        }
        lg_sample *smp = lg_add_sample(lp, a.v, a.n, LG_ADJ_ALL);
        smp->v[0] = count;
    }
    free(a.v);
    if (rc < 0 || lg_scan_err(s, err) < 0)
        return -1;
    return lg_additional_sections(lp, s, rx, err);
}

int lg_parse_count(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err)
{
    lg_scanner s;
    lg_scan_init(&s, d, n);
    skip_comments(&s);
    if (lg_scan_err(&s, err) < 0)
        return LG_ERROR;
    lg_span g[2];
    if (!lg_re_find(rx->count_start, s.tok.p, s.tok.n, g))
        return LG_UNRECOGNIZED;
    lg_prof lp;
    lg_prof_init(&lp);
    const char *type = np_profile_strn(lp.out, g[1].p, g[1].n);
    const char *tu[] = {type, "count"};
    lg_prof_set_types(&lp, 1, tu);
    lp.period_type = (np_value_type){type, "count"};
    lp.period = 1;
    int rc = count_body(&lp, &s, rx, err) < 0 ? LG_ERROR : LG_OK;
    if (rc == LG_OK)
        *out = lg_prof_finish(&lp);
    lg_prof_free(&lp);
    return rc;
}

/* One thread's stack, up to the next "---" line: its addresses, or none when it is marked
 * "same as previous thread". *next is the last line read, which decides what comes next. */
static int thread_stack(lg_scanner *s, lg_addrs *a, lg_span *next, np_err *err)
{
    bool same = false;
    a->n = 0;
    *next = lg_span_of(s->d, 0);
    while (lg_scan(s)) {
        lg_span line = lg_trim(s->tok);
        *next = line;
        if (line.n == 0)
            continue;
        if (lg_has_prefix(line, "---"))
            break;
        if (lg_contains(line, "same as previous thread")) {
            same = true;
            continue;
        }
        if (!lg_hex_addrs(line, a))
            return np_fail(err, "malformed sample: %.*s: failed to parse as hex 64-bit number",
                           (int)line.n, line.p);
    }
    if (lg_scan_err(s, err) < 0)
        return -1;
    if (same)
        a->n = 0;
    return 0;
}

/* Walks the threads from `line` (a thread header, the map sentinel or the end marker). */
static int thread_body(lg_prof *lp, lg_scanner *s, lg_span line, lg_rx *rx, np_err *err)
{
    lg_span g[4];
    lg_addrs a = {0};
    int rc = LG_OK;
    while (!lg_is_map_sentinel(line)) {
        if (lg_has_prefix(line, "---- no stack trace for"))
            break;
        if (!lg_re_find(rx->thread_start, line.p, line.n, g)) {
            rc = LG_UNRECOGNIZED;
            break;
        }
        if (thread_stack(s, &a, &line, err) < 0) {
            rc = LG_ERROR;
            break;
        }
        if (a.n == 0) {
            /* "same as previous thread" (or an empty stack) counts for the last one */
            if (lp->n_sample) {
                int64_t *v = &lp->sample[lp->n_sample - 1].v[0];
                *v = (int64_t)((uint64_t)*v + 1);
            }
            continue;
        }
        lg_add_sample(lp, a.v, a.n, LG_ADJ_CALLERS)->v[0] = 1;
    }
    free(a.v);
    if (rc != LG_OK)
        return rc;
    if (lg_additional_sections(lp, s, rx, err) < 0)
        return LG_ERROR;
    lg_drop_duplicate_leaf(lp);
    return LG_OK;
}

int lg_parse_thread(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err)
{
    lg_scanner s;
    lg_scan_init(&s, d, n);
    skip_comments(&s);
    lg_span line = s.tok, g[4];
    if (lg_re_find(rx->threadz_start, line.p, line.n, g)) {
        /* a threadz header: skip its preamble to the first "-" line or the map */
        while (lg_scan(&s)) {
            line = s.tok;
            if (lg_is_map_sentinel(line) || lg_has_prefix(line, "-"))
                break;
        }
    } else if (!lg_re_find(rx->thread_start, line.p, line.n, g)) {
        return LG_UNRECOGNIZED;
    }
    lg_prof lp;
    lg_prof_init(&lp);
    static const char *const tu[] = {"thread", "count"};
    lg_prof_set_types(&lp, 1, tu);
    lp.period_type = (np_value_type){"thread", "count"};
    lp.period = 1;
    int rc = thread_body(&lp, &s, line, rx, err);
    if (rc == LG_OK)
        *out = lg_prof_finish(&lp);
    lg_prof_free(&lp);
    return rc;
}

/* Lock contention text profiles: gperftools "--- contentionz" and Go's legacy "--- mutex:" /
 * "--- contention:" forms, with their attribute header and unsampling. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>
#include <string.h>

/* The "name = value" lines before the samples. LG_UNRECOGNIZED for an attribute only other
 * formats have (Java's contentionz shares the first line), LG_ERROR for a scanner error. */
static int attributes(lg_prof *lp, lg_scanner *s, int64_t *cpu_hz, np_err *err)
{
    while (lg_scan(s)) {
        lg_span line = lg_trim(s->tok);
        if (lg_space_or_comment(line))
            continue;
        if (lg_has_prefix(line, "---"))
            break;
        const char *eq = memchr(line.p, '=', line.n);
        if (!eq)
            break; /* the first sample */
        lg_span key = lg_trim(lg_span_of(line.p, (size_t)(eq - line.p)));
        lg_span val = lg_trim(lg_span_of(eq + 1, line.n - (size_t)(eq - line.p) - 1));
        int64_t ms;
        if (lg_eq(key, "cycles/second")) {
            if (!lg_parse_int(val, 0, cpu_hz))
                return LG_UNRECOGNIZED;
        } else if (lg_eq(key, "sampling period")) {
            if (!lg_parse_int(val, 0, &lp->period))
                return LG_UNRECOGNIZED;
        } else if (lg_eq(key, "ms since reset")) {
            if (!lg_parse_int(val, 0, &ms))
                return LG_UNRECOGNIZED;
            lp->duration = lg_mul(lg_mul(ms, 1000), 1000);
        } else if (!lg_eq(key, "discarded samples")) {
            return LG_UNRECOGNIZED; /* including "format" and "resolution" (Java) */
        }
    }
    return lg_scan_err(s, err) < 0 ? LG_ERROR : LG_OK;
}

/* "delay count @ addrs": values become (count, delay), scaled to cycles and nanoseconds when
 * the sampling period and CPU frequency are known. */
static int sample(lg_prof *lp, lg_span line, lg_rx *rx, int64_t cpu_hz, lg_addrs *a, np_err *err)
{
    lg_span g[4];
    if (!lg_re_find(rx->contention_sample, line.p, line.n, g))
        return LG_UNRECOGNIZED;
    int64_t delay, count;
    if (!lg_parse_int(g[1], 10, &delay) || !lg_parse_int(g[2], 10, &count)) {
        np_fail(err, "malformed sample: %.*s", (int)line.n, line.p);
        return LG_ERROR;
    }
    if (lp->period > 0) {
        if (cpu_hz > 0) {
            double ghz = (double)cpu_hz / 1e9;
            delay = lg_f2i((double)delay * (double)lp->period / ghz);
        }
        count = lg_mul(count, lp->period);
    }
    a->n = 0;
    if (!lg_hex_addrs(g[3], a)) {
        np_fail(err, "malformed sample: %.*s: failed to parse as hex 64-bit number", (int)line.n,
                line.p);
        return LG_ERROR;
    }
    lg_sample *s = lg_add_sample(lp, a->v, a->n, LG_ADJ_ALL);
    s->v[0] = count;
    s->v[1] = delay;
    return LG_OK;
}

static int contention_body(lg_prof *lp, lg_scanner *s, lg_rx *rx, np_err *err)
{
    static const char *const types[] = {"contentions", "count", "delay", "nanoseconds"};
    lg_prof_set_types(lp, 2, types);
    lp->period_type = (np_value_type){"contentions", "count"};
    lp->period = 1;
    int64_t cpu_hz = 0;
    int rc = attributes(lp, s, &cpu_hz, err);
    if (rc != LG_OK)
        return rc;
    lg_addrs a = {0};
    /* The line that ended the attributes is the first sample candidate. */
    for (;;) {
        lg_span line = lg_trim(s->tok);
        if (lg_has_prefix(line, "---"))
            break;
        if (!lg_space_or_comment(line) && (rc = sample(lp, line, rx, cpu_hz, &a, err)) != LG_OK)
            break;
        if (!lg_scan(s))
            break;
    }
    free(a.v);
    if (rc != LG_OK)
        return rc;
    if (lg_scan_err(s, err) < 0 || lg_additional_sections(lp, s, rx, err) < 0)
        return LG_ERROR;
    return LG_OK;
}

int lg_parse_contention(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err)
{
    lg_scanner s;
    lg_scan_init(&s, d, n);
    if (!lg_scan(&s))
        return lg_scan_err(&s, err) < 0 ? LG_ERROR : LG_UNRECOGNIZED;
    if (!lg_has_prefix(s.tok, "--- contentionz ") && !lg_has_prefix(s.tok, "--- mutex:") &&
        !lg_has_prefix(s.tok, "--- contention:"))
        return LG_UNRECOGNIZED;
    lg_prof lp;
    lg_prof_init(&lp);
    int rc = contention_body(&lp, &s, rx, err);
    if (rc == LG_OK)
        *out = lg_prof_finish(&lp);
    lg_prof_free(&lp);
    return rc;
}

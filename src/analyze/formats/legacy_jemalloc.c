/* jemalloc's heap dumps ("heap_v2/<rate>", from prof.dump, prof_final or prof_gdump), read with
 * the values unsampled as jeprof unsamples them, into the same model as the other heap profiles. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>
#include <string.h>

/* Counts as a dump writes them: in use (objects, bytes), then cumulative (objects, bytes). */
enum { CUR_OBJS, CUR_BYTES, ACC_OBJS, ACC_BYTES };

typedef struct jm_state {
    lg_prof *lp;
    int64_t rate;
    lg_addrs stack; /* the current "@" line's addresses */
    bool in_stack;  /* an "@" line has been read: "t*:" lines belong to it */
    bool has_alloc; /* some cumulative count is not zero (prof_accum was on) */
    size_t line_no;
} jm_state;

static lg_span skip_blanks(lg_span s)
{
    while (s.n && (*s.p == ' ' || *s.p == '\t'))
        s.p++, s.n--;
    return s;
}

/* Reads a decimal count (jemalloc writes uint64; above INT64_MAX is refused). */
static bool take_count(lg_span *s, int64_t *out)
{
    *s = skip_blanks(*s);
    size_t k = 0;
    while (k < s->n && s->p[k] >= '0' && s->p[k] <= '9')
        k++;
    uint64_t v;
    if (k == 0 || !lg_parse_uint(lg_span_of(s->p, k), 10, &v) || v > INT64_MAX)
        return false;
    *out = (int64_t)v;
    s->p += k, s->n -= k;
    return true;
}

static bool take_char(lg_span *s, char c)
{
    *s = skip_blanks(*s);
    if (!s->n || *s->p != c)
        return false;
    s->p++, s->n--;
    return true;
}

/* "<n>: <n> [<n>: <n>]"; anything after the bracket (a thread name) is ignored. */
static bool parse_counts(lg_span s, int64_t v[4])
{
    return take_count(&s, &v[CUR_OBJS]) && take_char(&s, ':') && take_count(&s, &v[CUR_BYTES]) &&
           take_char(&s, '[') && take_count(&s, &v[ACC_OBJS]) && take_char(&s, ':') &&
           take_count(&s, &v[ACC_BYTES]) && take_char(&s, ']');
}

/* A "t*:" or "t<thread>:" line: sets *all for "t*" and returns the counts after the colon. */
static bool thread_line(lg_span line, bool *all, lg_span *rest)
{
    if (line.n < 3 || line.p[0] != 't')
        return false;
    size_t k = 1;
    *all = line.p[1] == '*';
    if (*all)
        k = 2;
    else
        while (k < line.n && line.p[k] >= '0' && line.p[k] <= '9')
            k++;
    if (k == 1 || k >= line.n || line.p[k] != ':')
        return false;
    *rest = lg_span_of(line.p + k + 1, line.n - k - 1);
    return true;
}

/* The header line: "heap_v2/" and the mean sampling interval in bytes. */
static bool parse_header(lg_span line, int64_t *rate)
{
    line = lg_trim(line);
    if (!lg_has_prefix(line, "heap_v2/"))
        return false;
    lg_span num = lg_span_of(line.p + 8, line.n - 8);
    return take_count(&num, rate) && num.n == 0;
}

static void unsample(int64_t *count, int64_t *bytes, int64_t rate)
{
    /* jeprof leaves a pair alone when its count is 0 */
    if (*count != 0)
        lg_scale_heap(count, bytes, rate);
}

/* One stack's "t*:" counts become a sample of the current stack. */
static void add_sample(jm_state *st, const int64_t raw[4])
{
    int64_t v[4];
    memcpy(v, raw, sizeof v);
    if (v[ACC_OBJS] || v[ACC_BYTES])
        st->has_alloc = true;
    lg_sample *s = lg_add_sample(st->lp, st->stack.v, st->stack.n, LG_ADJ_ALL);
    s->has_bytes = true;
    if (v[CUR_OBJS])
        s->bytes = lg_div(v[CUR_BYTES], v[CUR_OBJS]);
    else if (v[ACC_OBJS])
        s->bytes = lg_div(v[ACC_BYTES], v[ACC_OBJS]);
    unsample(&v[CUR_OBJS], &v[CUR_BYTES], st->rate);
    unsample(&v[ACC_OBJS], &v[ACC_BYTES], st->rate);
    /* the order of the four-type layout; finish() narrows it when nothing was accumulated */
    s->v[0] = v[ACC_OBJS], s->v[1] = v[ACC_BYTES], s->v[2] = v[CUR_OBJS], s->v[3] = v[CUR_BYTES];
}

/* The start of a bad line for an error message, with bytes a terminal would not show as '?'. */
static void printable(lg_span line, char *out, size_t size)
{
    size_t n = line.n < size - 1 ? line.n : size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = line.p[i] >= 0x20 && line.p[i] < 0x7f ? line.p[i] : '?';
    out[n] = 0;
}

/* One line of the body: 0, or -1 when it is not a line of a dump (err says which). */
static int body_line(jm_state *st, lg_span line, np_err *err)
{
    if (line.n && line.p[0] == '@') {
        st->stack.n = 0;
        st->in_stack = true;
        if (!lg_hex_addrs(lg_span_of(line.p + 1, line.n - 1), &st->stack))
            return np_fail(err, "jemalloc heap dump: line %zu: address out of range", st->line_no);
        return 0;
    }
    bool all;
    lg_span rest;
    int64_t v[4];
    if (!thread_line(line, &all, &rest) || !parse_counts(rest, v)) {
        char shown[61];
        printable(line, shown, sizeof shown);
        return np_fail(err, "jemalloc heap dump: line %zu: not a stack or count line: %s",
                       st->line_no, shown);
    }
    if (!st->in_stack) {
        /* totals before the first stack: only whether anything was accumulated matters */
        if (v[ACC_OBJS] || v[ACC_BYTES])
            st->has_alloc = true;
    } else if (all) {
        add_sample(st, v);
    }
    return 0;
}

/* Whether the scanner's current line is the last one and the data does not end with a newline:
 * a dump cut short, whose last line is shown as far as it goes (that is, not at all). */
static bool cut_short(const lg_scanner *s)
{
    return s->pos >= s->len && s->len && s->d[s->len - 1] != '\n';
}

static int read_body(jm_state *st, lg_scanner *s, np_err *err)
{
    while (lg_scan(s)) {
        st->line_no++;
        lg_span line = lg_trim(s->tok);
        if (line.n == 0)
            continue;
        if (lg_is_map_sentinel(line))
            return 0;
        if (body_line(st, line, err) < 0) {
            if (!cut_short(s))
                return -1;
            np_profile_add_comment(st->lp->out, "jemalloc heap dump: the last line is cut short");
            return 0;
        }
    }
    return lg_scan_err(s, err);
}

/* Sample types as pprof shows a heap profile: four when the dump has cumulative counts, the
 * in-use pair otherwise; inuse_space last, so that it is the default, as in jeprof. */
static void set_types(jm_state *st)
{
    static const char *const four[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                       "inuse_objects", "count", "inuse_space", "bytes"};
    lg_prof *lp = st->lp;
    if (st->has_alloc) {
        lg_prof_set_types(lp, 4, four);
    } else {
        lg_prof_set_types(lp, 2, four + 4);
        for (size_t i = 0; i < lp->n_sample; i++) {
            lp->sample[i].v[0] = lp->sample[i].v[2];
            lp->sample[i].v[1] = lp->sample[i].v[3];
            lp->sample[i].v[2] = lp->sample[i].v[3] = 0;
        }
    }
    lp->period_type = (np_value_type){"space", "bytes"};
    lp->period = st->rate;
}

/* Whether a mapping is jemalloc's own library (libjemalloc.so.2 and the like). */
static bool allocator_mapping(const lg_prof *lp, uint32_t map)
{
    if (map == NP_NONE || map >= lp->n_map)
        return false;
    const char *base = strrchr(lp->map[map].file, '/');
    return strstr(base ? base + 1 : lp->map[map].file, "jemalloc") != NULL;
}

/* jemalloc records its own frames (the backtrace, the allocation path) at the leaf of every
 * stack. Those in its shared library are removed here, whether or not it can be symbolized,
 * as jeprof removes them by name; a stack wholly inside jemalloc keeps its outermost frame. */
static void strip_allocator_frames(lg_prof *lp)
{
    for (size_t i = 0; i < lp->n_sample; i++) {
        lg_sample *smp = &lp->sample[i];
        const uint32_t *locs = lg_sample_locs(lp, smp);
        uint32_t k = 0;
        while (k + 1 < smp->n_loc && allocator_mapping(lp, lp->loc[locs[k]].map))
            k++;
        smp->off += k;
        smp->n_loc -= k;
    }
}

/* jemalloc linked into the program itself is symbolized with its own names: they join the
 * allocator frames pprof drops from heap profiles. */
static void drop_allocator_names(np_profile *p)
{
    static const char names[] = "|je_.*|prof_backtrace.*|prof_alloc_prep|imalloc.*|ialloc.*|"
                                "irealloc.*|iralloc.*|malloc_default|mallocx|rallocx|xallocx|"
                                "aligned_alloc";
    const char *base = p->drop_frames ? p->drop_frames : "";
    np_buf rx = {0};
    np_buf_puts(&rx, base);
    np_buf_puts(&rx, base[0] ? names : names + 1);
    p->drop_frames = np_profile_str(p, np_buf_cstr(&rx));
    np_buf_free(&rx);
}

static int parse_dump(lg_prof *lp, lg_scanner *s, lg_rx *rx, int64_t rate, np_err *err)
{
    jm_state st = {.lp = lp, .rate = rate, .line_no = 1};
    int rc = read_body(&st, s, err);
    free(st.stack.v);
    if (rc < 0)
        return -1;
    set_types(&st);
    if (!lg_is_map_sentinel(lg_trim(s->tok)))
        np_profile_add_comment(lp->out, "jemalloc heap dump: no MAPPED_LIBRARIES section, so "
                                        "the addresses cannot be symbolized");
    if (lg_additional_sections(lp, s, rx, err) < 0)
        return -1;
    strip_allocator_frames(lp);
    return 0;
}

int lg_parse_jemalloc(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err)
{
    lg_scanner s;
    lg_scan_init(&s, d, n);
    if (!lg_scan(&s))
        return lg_scan_err(&s, err) < 0 ? LG_ERROR : LG_UNRECOGNIZED;
    int64_t rate;
    if (!parse_header(s.tok, &rate))
        return LG_UNRECOGNIZED;
    lg_prof lp;
    lg_prof_init(&lp);
    int rc = parse_dump(&lp, &s, rx, rate, err) < 0 ? LG_ERROR : LG_OK;
    if (rc == LG_OK) {
        *out = lg_prof_finish(&lp);
        drop_allocator_names(*out);
    }
    lg_prof_free(&lp);
    return rc;
}

/* Frame filters by name: -focus/-ignore/-hide/-show, -show_from, -prune_from and the
 * profile's own drop_frames/keep_frames pruning, with pprof's exact matching rules. */
#include "analyze/filter.h"

#include <stdlib.h>
#include <string.h>

/* One regexp against a profile's names, remembering each function's and mapping's answer:
 * a profile has far fewer functions than location lines, and regexec is the costly part. */
typedef struct matcher {
    const np_profile *p;
    const np_regex *re;
    signed char *func_memo, *map_memo; /* -1 not asked yet, else the answer */
} matcher;

static void matcher_init(matcher *m, const np_profile *p, const np_regex *re)
{
    m->p = p;
    m->re = re;
    m->func_memo = re ? np_xmalloc(p->n_function + 1) : NULL;
    m->map_memo = re ? np_xmalloc(p->n_mapping + 1) : NULL;
    if (re) {
        memset(m->func_memo, -1, p->n_function + 1);
        memset(m->map_memo, -1, p->n_mapping + 1);
    }
}

static void matcher_free(matcher *m)
{
    free(m->func_memo);
    free(m->map_memo);
}

/* Whether a line's function name or file name matches (lines without function never do). */
static bool line_matches(matcher *m, const np_line *ln)
{
    if (ln->func == NP_NONE)
        return false;
    signed char *memo = &m->func_memo[ln->func];
    if (*memo < 0) {
        const np_function *f = &m->p->function[ln->func];
        *memo = np_regex_match(m->re, f->name) || np_regex_match(m->re, f->filename);
    }
    return *memo;
}

static bool mapping_matches(matcher *m, const np_location *l)
{
    if (l->mapping == NP_NONE)
        return false;
    signed char *memo = &m->map_memo[l->mapping];
    if (*memo < 0)
        *memo = np_regex_match(m->re, m->p->mapping[l->mapping].file);
    return *memo;
}

/* A location matches through any of its lines' functions or files, or its mapping's file. */
static bool location_matches(matcher *m, const np_location *l)
{
    for (uint32_t i = 0; i < l->n_line; i++)
        if (line_matches(m, &l->line[i]))
            return true;
    return mapping_matches(m, l);
}

/* Keeps, in place, the lines whose match result equals `want`; lines without a function are
 * always kept. */
static void keep_lines(matcher *m, np_location *l, bool want)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->n_line; i++) {
        const np_line *ln = &l->line[i];
        if (ln->func == NP_NONE || line_matches(m, ln) == want)
            l->line[n++] = *ln;
    }
    l->n_line = n;
}

/* -hide: a matching mapping hides the whole location, otherwise matching lines go. */
static void hide_lines(matcher *m, np_location *l)
{
    if (mapping_matches(m, l))
        l->n_line = 0;
    else
        keep_lines(m, l, false);
}

/* -show: a matching mapping keeps every line, otherwise only matching lines stay. */
static void show_lines(matcher *m, np_location *l)
{
    if (!mapping_matches(m, l))
        keep_lines(m, l, true);
}

enum { SEL_NONE, SEL_FOCUS, SEL_IGNORE };

/* A sample stays when some frame is focused and none is ignored. */
static bool focused_not_ignored(const np_sample *s, const unsigned char *sel)
{
    bool focused = false;
    for (uint32_t i = 0; i < s->n_loc; i++) {
        if (sel[s->loc[i]] == SEL_IGNORE)
            return false;
        focused = focused || sel[s->loc[i]] == SEL_FOCUS;
    }
    return focused;
}

/* Drops hidden frames from a sample; false when none are left. */
static bool drop_hidden(np_sample *s, const bool *hidden)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_loc; i++)
        if (!hidden[s->loc[i]])
            s->loc[n++] = s->loc[i];
    s->n_loc = n;
    return n > 0;
}

void np_filter_by_name(np_profile *p, const np_regex *focus, const np_regex *ignore,
                       const np_regex *hide, const np_regex *show, bool *fm, bool *im, bool *hm,
                       bool *hnm)
{
    bool f = false, ig = false, h = false, sh = false, any_hidden = false;
    unsigned char *sel = np_xcalloc(p->n_location + 1, 1);
    bool *hidden = np_xcalloc(p->n_location + 1, sizeof *hidden);
    matcher mf, mi, mh, ms;
    matcher_init(&mf, p, focus);
    matcher_init(&mi, p, ignore);
    matcher_init(&mh, p, hide);
    matcher_init(&ms, p, show);
    for (size_t i = 0; i < p->n_location; i++) {
        np_location *l = &p->location[i];
        if (ignore && location_matches(&mi, l)) {
            ig = true;
            sel[i] = SEL_IGNORE;
        } else if (!focus || location_matches(&mf, l)) {
            f = true;
            sel[i] = SEL_FOCUS;
        }
        if (hide && location_matches(&mh, l)) {
            h = true;
            hide_lines(&mh, l);
            hidden[i] = hidden[i] || l->n_line == 0;
        }
        if (show) {
            show_lines(&ms, l);
            if (l->n_line == 0)
                hidden[i] = true;
            else
                sh = true;
        }
        any_hidden = any_hidden || hidden[i];
    }
    matcher_free(&mf);
    matcher_free(&mi);
    matcher_free(&mh);
    matcher_free(&ms);
    size_t kept = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        /* Samples without frames are never focused, so they always go. Without -focus and
         * -ignore every location is focused, so only that needs looking at. */
        if (focus || ignore ? !focused_not_ignored(s, sel) : s->n_loc == 0)
            continue;
        if (any_hidden && !drop_hidden(s, hidden))
            continue;
        p->sample[kept++] = *s;
    }
    p->n_sample = kept;
    free(sel);
    free(hidden);
    if (fm)
        *fm = f;
    if (im)
        *im = ig;
    if (hm)
        *hm = h;
    if (hnm)
        *hnm = sh;
}

/* -show_from on one location: a matching mapping keeps it whole, otherwise lines above
 * the outermost matching one are cut. */
static bool show_from_location(matcher *m, np_location *l)
{
    if (mapping_matches(m, l))
        return true;
    for (uint32_t i = l->n_line; i-- > 0;) {
        if (line_matches(m, &l->line[i])) {
            l->n_line = i + 1;
            return true;
        }
    }
    return false;
}

bool np_filter_show_from(np_profile *p, const np_regex *re)
{
    if (!re)
        return false;
    bool matched = false;
    bool *from = np_xcalloc(p->n_location + 1, sizeof *from);
    matcher m;
    matcher_init(&m, p, re);
    for (size_t i = 0; i < p->n_location; i++) {
        from[i] = show_from_location(&m, &p->location[i]);
        matched = matched || from[i];
    }
    matcher_free(&m);
    size_t kept = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        for (uint32_t j = s->n_loc; j-- > 0;) {
            if (from[s->loc[j]]) {
                s->n_loc = j + 1;
                p->sample[kept++] = *s;
                break;
            }
        }
    }
    p->n_sample = kept;
    free(from);
    return matched;
}

/* The name pruning matches against: a leading '.' (PPC ELF v1) and the argument list are
 * removed; the argument list starts at the first '(' that is not part of
 * "(anonymous namespace)" or "operator()". Returns a heap string. */
static char *simplify_func(const char *name)
{
    static const char *const reserved[] = {"(anonymous namespace)", "operator()"};
    if (name[0] == '.')
        name++;
    size_t n = strlen(name), i = 0;
    while (i < n) {
        size_t skip = 0;
        for (size_t r = 0; r < 2 && !skip; r++)
            if (name[i] == reserved[r][0] && strncmp(name + i, reserved[r], strlen(reserved[r])) == 0)
                skip = strlen(reserved[r]);
        if (skip) {
            i += skip;
            continue;
        }
        if (name[i] == '(')
            break;
        i++;
    }
    char *out = np_xmalloc(i + 1);
    memcpy(out, name, i);
    out[i] = 0;
    return out;
}

/* Whether a line's function (with a non-empty name) is dropped by drop and not kept by keep. */
static bool line_pruned(const np_profile *p, const np_line *ln, const np_regex *drop, const np_regex *keep)
{
    if (ln->func == NP_NONE || !p->function[ln->func].name[0])
        return false;
    char *name = simplify_func(p->function[ln->func].name);
    bool pruned = np_regex_match(drop, name) && (!keep || !np_regex_match(keep, name));
    free(name);
    return pruned;
}

/* Removes the first `k` entries of a line array in place. */
static void drop_first_lines(np_location *l, uint32_t k)
{
    memmove(l->line, l->line + k, (l->n_line - k) * sizeof *l->line);
    l->n_line -= k;
}

static void drop_first_locs(np_sample *s, uint32_t k)
{
    memmove(s->loc, s->loc + k, (s->n_loc - k) * sizeof *s->loc);
    s->n_loc -= k;
}

enum { PR_NONE, PR_BENEATH, PR_WHOLE };

/* Marks each location by the outermost pruned line: whole when it is the location's
 * outermost line, else the lines up to it (callees) are cut and frames beneath go. */
/* line_pruned, asked once per function: locations share functions (a large profile has
 * several addresses in most of them), and matching the names is most of pruning's time. */
static bool line_pruned_memo(const np_profile *p, const np_line *ln, const np_regex *drop,
                             const np_regex *keep, unsigned char *memo)
{
    if (ln->func >= p->n_function)
        return line_pruned(p, ln, drop, keep);
    if (!memo[ln->func])
        memo[ln->func] = line_pruned(p, ln, drop, keep) ? 2 : 1;
    return memo[ln->func] == 2;
}

static unsigned char *mark_pruned(np_profile *p, const np_regex *drop, const np_regex *keep)
{
    unsigned char *mark = np_xcalloc(p->n_location + 1, 1);
    unsigned char *memo = np_xcalloc(p->n_function + 1, 1);
    for (size_t i = 0; i < p->n_location; i++) {
        np_location *l = &p->location[i];
        uint32_t j = l->n_line;
        while (j-- > 0 && !line_pruned_memo(p, &l->line[j], drop, keep, memo))
            ;
        if (j == UINT32_MAX)
            continue;
        if (j == l->n_line - 1) {
            mark[i] = PR_WHOLE;
        } else {
            mark[i] = PR_BENEATH;
            drop_first_lines(l, j + 1);
        }
    }
    free(memo);
    return mark;
}

/* Profile.Prune: from the root, past the first frame not marked, cut at the first marked. */
static void prune(np_profile *p, const np_regex *drop, const np_regex *keep)
{
    unsigned char *mark = mark_pruned(p, drop, keep);
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        bool user = false;
        for (uint32_t j = s->n_loc; j-- > 0;) {
            unsigned char m = mark[s->loc[j]];
            if (m == PR_NONE) {
                user = true;
                continue;
            }
            if (!user)
                continue;
            drop_first_locs(s, m == PR_WHOLE ? j + 1 : j);
            break;
        }
    }
    free(mark);
}

/* Compiles a frames expression anchored to the whole name, as pprof does. */
static np_regex *compile_frames(const char *expr, np_err *err)
{
    np_buf b = {0};
    np_buf_printf(&b, "^(%s)$", expr);
    np_err inner;
    np_regex *re = np_regex_compile(np_buf_cstr(&b), &inner);
    np_buf_free(&b);
    if (!re)
        np_fail(err, "failed to compile regexp %s: %s", expr, inner.msg);
    return re;
}

int np_filter_remove_uninteresting(np_profile *p, np_err *err)
{
    if (!p->drop_frames[0])
        return 0;
    np_regex *drop = compile_frames(p->drop_frames, err), *keep = NULL;
    if (!drop)
        return -1;
    if (p->keep_frames[0] && !(keep = compile_frames(p->keep_frames, err))) {
        np_regex_free(drop);
        return -1;
    }
    prune(p, drop, keep);
    np_regex_free(drop);
    if (keep)
        np_regex_free(keep);
    return 0;
}

void np_filter_prune_from(np_profile *p, const np_regex *re)
{
    if (!re)
        return;
    bool *beneath = np_xcalloc(p->n_location + 1, sizeof *beneath);
    for (size_t i = 0; i < p->n_location; i++) {
        np_location *l = &p->location[i];
        for (uint32_t j = 0; j < l->n_line; j++) {
            if (line_pruned(p, &l->line[j], re, NULL)) {
                beneath[i] = true;
                drop_first_lines(l, j);
                break;
            }
        }
    }
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        for (uint32_t j = 0; j < s->n_loc; j++) {
            if (beneath[s->loc[j]]) {
                drop_first_locs(s, j);
                break;
            }
        }
    }
    free(beneath);
}

/* Label-based filtering: the units of numeric labels, -tagfocus/-tagignore (regexps or
 * numeric ranges, as driver_focus.go reads them) and -tagshow/-taghide. */
#include "analyze/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/measure.h"

static bool is_numeric(const np_label *l)
{
    return l->str[0] == 0;
}

/* Per-key state while finding numeric label units. */
typedef struct key_units {
    const char *key, *unit; /* unit: first non-empty unit seen, or NULL */
    const char **ignored;   /* other units seen, distinct */
    size_t n_ignored, cap_ignored;
} key_units;

static key_units *find_key(key_units **keys, size_t *n, size_t *cap, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*keys)[i].key, key) == 0)
            return &(*keys)[i];
    key_units *k = NP_PUSH(*keys, *n, *cap);
    memset(k, 0, sizeof *k);
    k->key = key;
    return k;
}

static void note_unit(key_units *k, const char *unit)
{
    if (!unit[0])
        return;
    if (!k->unit) {
        k->unit = unit;
        return;
    }
    if (strcmp(k->unit, unit) == 0)
        return;
    for (size_t i = 0; i < k->n_ignored; i++)
        if (strcmp(k->ignored[i], unit) == 0)
            return;
    *NP_PUSH(k->ignored, k->n_ignored, k->cap_ignored) = unit;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const key_units *)a)->key, ((const key_units *)b)->key);
}

/* pprof warns about every key seen with conflicting units (its order is a map's, so random;
 * ours is by key). */
static void warn_ignored(key_units *keys, size_t n)
{
    if (n == 0)
        return;
    qsort(keys, n, sizeof *keys, cmp_key);
    for (size_t i = 0; i < n; i++) {
        key_units *k = &keys[i];
        if (!k->n_ignored)
            continue;
        qsort(k->ignored, k->n_ignored, sizeof *k->ignored, np_cmp_strptr);
        fprintf(stderr, "For tag %s used unit %s, also encountered unit(s) ", k->key, k->unit);
        for (size_t j = 0; j < k->n_ignored; j++)
            fprintf(stderr, "%s%s", j ? ", " : "", k->ignored[j]);
        fputc('\n', stderr);
    }
}

/* Packs the key/unit pairs and their strings into one block. */
static np_key_unit *pack_units(const key_units *keys, size_t n)
{
    size_t size = (n + 1) * sizeof(np_key_unit);
    for (size_t i = 0; i < n; i++)
        size += strlen(keys[i].key) + strlen(keys[i].unit) + 2;
    np_key_unit *out = np_xcalloc(1, size);
    char *text = (char *)(out + n + 1);
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(keys[i].key) + 1, ul = strlen(keys[i].unit) + 1;
        out[i].key = memcpy(text, keys[i].key, kl);
        out[i].unit = memcpy(text + kl, keys[i].unit, ul);
        text += kl + ul;
    }
    return out;
}

static np_key_unit *find_units(const np_profile *p, bool warn)
{
    key_units *keys = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        for (uint32_t j = 0; j < s->n_label; j++)
            if (is_numeric(&s->label[j]))
                note_unit(find_key(&keys, &n, &cap, s->label[j].key), s->label[j].num_unit);
    }
    if (warn)
        warn_ignored(keys, n);
    /* Keys that never carry a unit: two well-known byte-sized keys, else the key names it. */
    for (size_t i = 0; i < n; i++) {
        if (keys[i].unit)
            continue;
        bool bytes = !strcmp(keys[i].key, "alignment") || !strcmp(keys[i].key, "request");
        keys[i].unit = bytes ? "bytes" : keys[i].key;
    }
    np_key_unit *out = pack_units(keys, n);
    for (size_t i = 0; i < n; i++)
        free(keys[i].ignored);
    free(keys);
    return out;
}

np_key_unit *np_num_label_units(const np_profile *p)
{
    return find_units(p, true);
}

void np_free_key_units(np_key_unit *units)
{
    free(units);
}

const char *np_num_label_unit(const np_key_unit *units, const char *key)
{
    for (; units && units->key; units++)
        if (strcmp(units->key, key) == 0)
            return units->unit;
    return "";
}

enum range_kind { RANGE_EQ, RANGE_GE, RANGE_LE, RANGE_BETWEEN };

struct np_tag_filter {
    char *key;       /* the key before '=', or NULL to look at every label */
    bool numeric;
    /* numeric: values scaled into `unit` compared with lo/hi */
    enum range_kind kind;
    double lo, hi;
    char unit[64];
    np_key_unit *units;
    /* textual: alternatives split on ',' */
    np_regex **rx;
    size_t n_rx;
};

/* One match of ([+-]?[0-9]+)([A-Za-z]+)? found by a leftmost scan. */
typedef struct range_tok {
    const char *start;
    size_t len, num_len; /* whole match; the signed number part */
} range_tok;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Finds up to two non-overlapping number tokens; returns how many. */
static int find_range_toks(const char *s, range_tok *toks)
{
    int n = 0;
    const char *p = s;
    while (*p && n < 2) {
        const char *d = p + ((*p == '+' || *p == '-') && is_digit(p[1]));
        if (!is_digit(*d)) {
            p++;
            continue;
        }
        const char *e = d;
        while (is_digit(*e))
            e++;
        toks[n].start = p;
        toks[n].num_len = (size_t)(e - p);
        while (is_alpha(*e))
            e++;
        toks[n].len = (size_t)(e - p);
        n++;
        p = e;
    }
    return n;
}

/* strconv.ParseInt of the token's number part; -1 on overflow (pprof would panic). */
static int parse_tok_num(const range_tok *t, int64_t *v, np_err *err)
{
    char num[64];
    if (t->num_len >= sizeof num)
        return np_fail(err, "failed to parse int %.*s: value out of range", (int)t->num_len, t->start);
    memcpy(num, t->start, t->num_len);
    num[t->num_len] = 0;
    errno = 0;
    long long x = strtoll(num, NULL, 10);
    if (errno == ERANGE)
        return np_fail(err, "failed to parse int %s: strconv.ParseInt: parsing \"%s\": value out of range", num,
                       num);
    *v = x;
    return 0;
}

static void tok_unit(const range_tok *t, char *unit, size_t cap)
{
    snprintf(unit, cap, "%.*s", (int)(t->len - t->num_len), t->start + t->num_len);
}

static bool tok_is(const char *s, const range_tok *t, const char *prefix, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    return strlen(s) == pl + t->len + sl && strncmp(s, prefix, pl) == 0 &&
           strncmp(s + pl, t->start, t->len) == 0 && strcmp(s + pl + t->len, suffix) == 0;
}

/* parseTagFilterRange: 1 when value is a range (filled into f), 0 when it is not, -1 on error. */
static int parse_range(const char *value, np_tag_filter *f, np_err *err)
{
    range_tok t[2];
    int n = find_range_toks(value, t);
    if (n == 0)
        return 0;
    int64_t v;
    if (parse_tok_num(&t[0], &v, err) < 0)
        return -1;
    char unit[64];
    tok_unit(&t[0], unit, sizeof unit);
    f->lo = np_measure_scale(v, unit, unit, f->unit, sizeof f->unit);
    if (n == 1) {
        if (tok_is(value, &t[0], "", ""))
            f->kind = RANGE_EQ;
        else if (tok_is(value, &t[0], "", ":"))
            f->kind = RANGE_GE;
        else if (tok_is(value, &t[0], ":", ""))
            f->kind = RANGE_LE;
        else
            return 0;
        return 1;
    }
    /* Two numbers: only "a:b" is a range, and b must scale into a's unit. */
    size_t len = strlen(value);
    if (len != t[0].len + 1 + t[1].len || value[t[0].len] != ':' || t[0].start != value ||
        t[1].start != value + t[0].len + 1)
        return 0;
    if (parse_tok_num(&t[1], &v, err) < 0)
        return -1;
    char unit2[64], scaled2[64];
    tok_unit(&t[1], unit2, sizeof unit2);
    f->hi = np_measure_scale(v, unit2, f->unit, scaled2, sizeof scaled2);
    if (strcmp(scaled2, f->unit) != 0)
        return 0;
    f->kind = RANGE_BETWEEN;
    return 1;
}

static int compile_regexps(np_tag_filter *f, const char *name, const char *value, np_err *err)
{
    const char *p = value;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *part = np_xmalloc(len + 1);
        memcpy(part, p, len);
        part[len] = 0;
        np_err inner;
        np_regex *re = np_regex_compile(part, &inner);
        free(part);
        if (!re)
            return np_fail(err, "parsing %s regexp: %s", name, inner.msg);
        f->rx = np_xrealloc(f->rx, (f->n_rx + 1) * sizeof *f->rx);
        f->rx[f->n_rx++] = re;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

np_tag_filter *np_tag_filter_compile(const char *option_name, const char *value,
                                     const np_profile *p, np_err *err)
{
    if (!value || !value[0])
        return NULL;
    np_tag_filter *f = np_xcalloc(1, sizeof *f);
    const char *eq = strchr(value, '=');
    if (eq) {
        /* An empty key ("=x") means any key, as in pprof. */
        if (eq > value)
            f->key = strndup(value, (size_t)(eq - value));
        value = eq + 1;
    }
    int rc = parse_range(value, f, err);
    if (rc > 0) {
        fprintf(stderr, "%s:Interpreted '%s' as range, not regexp\n", option_name, value);
        f->numeric = true;
        f->units = find_units(p, false);
        return f;
    }
    if (rc == 0 && compile_regexps(f, option_name, value, err) == 0)
        return f;
    np_tag_filter_free(f);
    return NULL;
}

void np_tag_filter_free(np_tag_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_rx; i++)
        np_regex_free(f->rx[i]);
    free(f->rx);
    free(f->units);
    free(f->key);
    free(f);
}

static bool in_range(const np_tag_filter *f, int64_t v, const char *unit)
{
    char su[64];
    double sv = np_measure_scale(v, unit, f->unit, su, sizeof su);
    if (strcmp(su, f->unit) != 0)
        return false;
    switch (f->kind) {
    case RANGE_EQ: return sv == f->lo;
    case RANGE_GE: return sv >= f->lo;
    case RANGE_LE: return sv <= f->lo;
    default: return sv >= f->lo && sv <= f->hi;
    }
}

static bool match_numeric(const np_tag_filter *f, const np_sample *s)
{
    for (uint32_t i = 0; i < s->n_label; i++) {
        const np_label *l = &s->label[i];
        if (!is_numeric(l) || (f->key && strcmp(l->key, f->key) != 0))
            continue;
        if (in_range(f, l->num, np_num_label_unit(f->units, l->key)))
            return true;
    }
    return false;
}

/* Without a key every alternative must match some "key:value" string label. */
static bool match_any_key(const np_tag_filter *f, const np_sample *s)
{
    np_buf kv = {0};
    bool all = true;
    for (size_t r = 0; r < f->n_rx && all; r++) {
        bool found = false;
        for (uint32_t i = 0; i < s->n_label && !found; i++) {
            const np_label *l = &s->label[i];
            if (is_numeric(l))
                continue;
            kv.len = 0;
            np_buf_printf(&kv, "%s:%s", l->key, l->str);
            found = np_regex_match(f->rx[r], np_buf_cstr(&kv));
        }
        all = found;
    }
    np_buf_free(&kv);
    return all;
}

/* With a key any alternative matching any of that key's string values selects the sample. */
static bool match_key(const np_tag_filter *f, const np_sample *s)
{
    for (size_t r = 0; r < f->n_rx; r++)
        for (uint32_t i = 0; i < s->n_label; i++) {
            const np_label *l = &s->label[i];
            if (!is_numeric(l) && strcmp(l->key, f->key) == 0 && np_regex_match(f->rx[r], l->str))
                return true;
        }
    return false;
}

bool np_tag_filter_match(const np_tag_filter *f, const np_sample *s)
{
    if (f->numeric)
        return match_numeric(f, s);
    return f->key ? match_key(f, s) : match_any_key(f, s);
}

void np_filter_by_tag(np_profile *p, const np_tag_filter *focus, const np_tag_filter *ignore,
                      bool *fm, bool *im)
{
    bool f = false, ig = false;
    size_t kept = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        bool focused = !focus || np_tag_filter_match(focus, s);
        bool ignored = ignore && np_tag_filter_match(ignore, s);
        f = f || focused;
        ig = ig || ignored;
        if (focused && !ignored)
            p->sample[kept++] = *s;
    }
    p->n_sample = kept;
    if (fm)
        *fm = f;
    if (im)
        *im = ig;
}

void np_filter_tags_by_name(np_profile *p, const np_regex *show, const np_regex *hide, bool *sm,
                            bool *hm)
{
    bool s_any = false, h_any = false;
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        uint32_t n = 0;
        for (uint32_t j = 0; j < s->n_label; j++) {
            bool shown = !show || np_regex_match(show, s->label[j].key);
            bool hidden = hide && np_regex_match(hide, s->label[j].key);
            s_any = s_any || shown;
            h_any = h_any || hidden;
            if (shown && !hidden)
                s->label[n++] = s->label[j];
        }
        s->n_label = n;
    }
    if (sm)
        *sm = s_any;
    if (hm)
        *hm = h_any;
}

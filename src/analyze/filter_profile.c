/* Whole-profile transformations of the driver: granularity aggregation, value scaling and
 * normalization against a base, the base-profile label, and -tagroot/-tagleaf pseudo frames. */
#include "analyze/filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "core/merge.h"
#include "analyze/measure.h"

/* Like pprof, aggregation only blanks the fields that the granularity ignores; records that
 * become identical are told apart later by content (graph building, merging). */
void np_aggregate(np_profile *p, bool inlines, bool function, bool filename, bool linenumber,
                  bool address)
{
    for (size_t i = 0; i < p->n_mapping; i++) {
        np_mapping *m = &p->mapping[i];
        m->has_inline_frames = m->has_inline_frames && inlines;
        m->has_functions = m->has_functions && function;
        m->has_filenames = m->has_filenames && filename;
        m->has_line_numbers = m->has_line_numbers && linenumber;
    }
    for (size_t i = 0; i < p->n_function && (!function || !filename); i++) {
        np_function *f = &p->function[i];
        if (!function)
            f->name = f->system_name = "";
        if (!filename)
            f->filename = "";
    }
    if (inlines && address && linenumber)
        return;
    for (size_t i = 0; i < p->n_location; i++) {
        np_location *l = &p->location[i];
        /* Without inlining only the outermost frame (the last line) stays. */
        if (!inlines && l->n_line > 1) {
            l->line[0] = l->line[l->n_line - 1];
            l->n_line = 1;
        }
        for (uint32_t j = 0; j < l->n_line && !linenumber; j++)
            l->line[j].line = 0;
        if (!address)
            l->address = 0;
    }
}

static void sum_values(const np_profile *p, int64_t *sums)
{
    for (size_t i = 0; i < p->n_sample; i++)
        for (size_t j = 0; j < p->n_sample_type; j++)
            sums[j] = (int64_t)((uint64_t)sums[j] + (uint64_t)p->sample[i].value[j]);
}

static bool same_type(const np_value_type *a, const np_value_type *b)
{
    return strcmp(a->type, b->type) == 0 && strcmp(a->unit, b->unit) == 0;
}

static void put_types(np_buf *b, const np_profile *p)
{
    np_buf_putc(b, '[');
    for (size_t i = 0; i < p->n_sample_type; i++)
        np_buf_printf(b, "%s%s/%s", i ? " " : "", p->sample_type[i].type, p->sample_type[i].unit);
    np_buf_putc(b, ']');
}

/* pprof's compatibility check and message; its sample-type message prints Go pointers, so
 * the types themselves are shown instead. */
static int check_compatible(const np_profile *p, const np_profile *base, np_err *err)
{
    if (!same_type(&p->period_type, &base->period_type))
        return np_fail(err, "incompatible period types &{%s %s 0 0} and &{%s %s 0 0}", p->period_type.type,
                       p->period_type.unit, base->period_type.type, base->period_type.unit);
    bool same = p->n_sample_type == base->n_sample_type;
    for (size_t i = 0; same && i < p->n_sample_type; i++)
        same = same_type(&p->sample_type[i], &base->sample_type[i]);
    if (same)
        return 0;
    np_buf b = {0};
    np_buf_puts(&b, "incompatible sample types ");
    put_types(&b, p);
    np_buf_puts(&b, " and ");
    put_types(&b, base);
    np_fail(err, "%s", np_buf_cstr(&b));
    np_buf_free(&b);
    return -1;
}

int np_normalize(np_profile *p, const np_profile *base, np_err *err)
{
    if (check_compatible(p, base, err) < 0)
        return -1;
    size_t n = p->n_sample_type;
    int64_t *bsum = np_xcalloc(n + 1, sizeof *bsum), *psum = np_xcalloc(n + 1, sizeof *psum);
    double *ratios = np_xcalloc(n + 1, sizeof *ratios);
    sum_values(base, bsum);
    sum_values(p, psum);
    for (size_t i = 0; i < n; i++)
        ratios[i] = psum[i] == 0 ? 0.0 : (double)bsum[i] / (double)psum[i];
    np_scale_n(p, ratios);
    free(bsum);
    free(psum);
    free(ratios);
    return 0;
}

/* Replaces the sample's string values for key by the single value (numeric labels stay).
 * An empty value cannot be told from a numeric label in the model, so it only removes. */
static void set_sample_label(np_profile *p, np_sample *s, const char *key, const char *value)
{
    np_label *l = np_arena_alloc(&p->arena, (s->n_label + 1) * sizeof *l);
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n_label; i++)
        if (s->label[i].str[0] == 0 || strcmp(s->label[i].key, key) != 0)
            l[n++] = s->label[i];
    if (value[0]) {
        l[n].key = key;
        l[n].str = value;
        l[n].num_unit = "";
        l[n].num = 0;
        n++;
    }
    s->label = l;
    s->n_label = n;
}

void np_set_label(np_profile *p, const char *key, const char *value)
{
    key = np_profile_str(p, key);
    value = np_profile_str(p, value);
    for (size_t i = 0; i < p->n_sample; i++)
        set_sample_label(p, &p->sample[i], key, value);
}

/* State for creating the "value" pseudo frames of label keys. */
typedef struct label_nodes {
    np_profile *p;
    np_hmap locs; /* "name\0file" -> location index */
    uint64_t next_loc_id, next_func_id;
    const char *unit;
    np_buf key, text;
} label_nodes;

/* The location for a (function name, file name) pair, created on first use. */
static uint32_t label_location(label_nodes *ln, const char *name, size_t name_len, const char *file)
{
    ln->key.len = 0;
    np_buf_add(&ln->key, name, name_len);
    np_buf_add(&ln->key, "", 1);
    np_buf_puts(&ln->key, file);
    np_profile *p = ln->p;
    bool found;
    uint32_t li = np_hmap_intern(&ln->locs, ln->key.data, ln->key.len, (uint32_t)p->n_location, &found);
    if (found)
        return li;
    np_function *f = np_profile_add_function(p);
    f->id = ln->next_func_id++;
    f->name = np_profile_strn(p, name, name_len);
    f->filename = np_profile_str(p, file);
    np_location *l = np_profile_add_location(p);
    l->id = ln->next_loc_id++;
    l->n_line = 1;
    l->line = np_arena_alloc(&p->arena, sizeof *l->line);
    l->line[0].func = (uint32_t)(p->n_function - 1);
    return li;
}

/* The sample's values for key joined by ','; numbers follow the strings, scaled from their
 * units to the output unit when the key has any unit, else printed plainly (Go 1.19's pprof). */
static bool label_values(label_nodes *ln, const np_sample *s, const char *key)
{
    bool any = false, has_units = false;
    ln->text.len = 0;
    for (uint32_t i = 0; i < s->n_label; i++) {
        const np_label *l = &s->label[i];
        if (strcmp(l->key, key) != 0)
            continue;
        if (l->str[0]) {
            if (any)
                np_buf_putc(&ln->text, ',');
            np_buf_puts(&ln->text, l->str);
            any = true;
        } else if (l->num_unit[0]) {
            has_units = true;
        }
    }
    for (uint32_t i = 0; i < s->n_label; i++) {
        const np_label *l = &s->label[i];
        if (strcmp(l->key, key) != 0 || l->str[0])
            continue;
        if (any)
            np_buf_putc(&ln->text, ',');
        if (has_units)
            np_measure_scaled_label(&ln->text, l->num, l->num_unit, ln->unit);
        else
            np_measure_scaled_label(&ln->text, l->num, "", "");
        any = true;
    }
    return any;
}

/* Splits a comma separated key list, dropping empty keys. */
static char **split_keys(const char *list, size_t *n)
{
    char **keys = NULL;
    *n = 0;
    for (const char *p = list ? list : ""; *p;) {
        size_t len = strcspn(p, ",");
        if (len) {
            keys = np_xrealloc(keys, (*n + 1) * sizeof *keys);
            keys[(*n)++] = strndup(p, len);
        }
        p += len + (p[len] == ',');
    }
    return keys;
}

/* Appends one location per key, last key first (so the first key ends up outermost). */
static bool add_key_locs(label_nodes *ln, const np_sample *s, char **keys, size_t n, uint32_t *out)
{
    bool match = false;
    for (size_t i = 0; i < n; i++) {
        const char *k = keys[n - 1 - i];
        match = label_values(ln, s, k) || match;
        out[i] = label_location(ln, ln->text.data ? ln->text.data : "", ln->text.len, k);
    }
    return match;
}

static uint64_t max_ids(const np_profile *p, uint64_t *max_func)
{
    uint64_t ml = 0, mf = 0;
    for (size_t i = 0; i < p->n_location; i++)
        ml = p->location[i].id > ml ? p->location[i].id : ml;
    for (size_t i = 0; i < p->n_function; i++)
        mf = p->function[i].id > mf ? p->function[i].id : mf;
    *max_func = mf;
    return ml;
}

void np_add_label_nodes(np_profile *p, const char *root_keys, const char *leaf_keys,
                        const char *output_unit, bool *rootm, bool *leafm)
{
    size_t nr, nl;
    char **roots = split_keys(root_keys, &nr), **leaves = split_keys(leaf_keys, &nl);
    bool rm = false, lm = false;
    label_nodes ln = {.p = p, .unit = output_unit ? output_unit : ""};
    uint64_t max_func;
    ln.next_loc_id = max_ids(p, &max_func) + 1;
    ln.next_func_id = max_func + 1;
    np_hmap_init(&ln.locs, 16);
    for (size_t i = 0; i < p->n_sample && (nr || nl); i++) {
        np_sample *s = &p->sample[i];
        uint32_t *locs = np_arena_alloc(&p->arena, (nl + s->n_loc + nr + 1) * sizeof *locs);
        rm = add_key_locs(&ln, s, roots, nr, locs + nl + s->n_loc) || rm;
        lm = add_key_locs(&ln, s, leaves, nl, locs) || lm;
        for (uint32_t j = 0; j < s->n_loc; j++)
            locs[nl + j] = s->loc[j];
        s->loc = locs;
        s->n_loc += (uint32_t)(nl + nr);
    }
    np_hmap_free(&ln.locs);
    np_buf_free(&ln.key);
    np_buf_free(&ln.text);
    for (size_t i = 0; i < nr; i++)
        free(roots[i]);
    for (size_t i = 0; i < nl; i++)
        free(leaves[i]);
    free(roots);
    free(leaves);
    if (rootm)
        *rootm = rm;
    if (leafm)
        *leafm = lm;
}

/* Merging profiles the way pprof does: identical functions, mappings, locations and samples
 * (by content) become one, values of identical samples add up, zero samples and unreferenced
 * records disappear, ids are renumbered from 1. Compaction is a merge of one profile. Scaling
 * multiplies values in place. */
#include "core/merge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"

#define UNSEEN UINT32_MAX

/* Output samples by content (locations and interned labels). The content is compared in the
 * output samples themselves rather than copied into a byte-string key, which for a large
 * profile would be as big as all its stacks again. */
typedef struct sample_table {
    uint64_t *slot; /* the hash's low half << 32 | index into out->sample + 1; 0: empty slot
                     * (one word per slot: a probe is one cache miss, not two) */
    size_t mask, count;
} sample_table;

typedef struct merger {
    np_profile *out;
    sample_table samples;
    uint32_t *locs_tmp; /* a sample's mapped locations before it is known to be new */
    size_t cap_locs_tmp;
    np_label *labels_tmp;
    size_t cap_labels_tmp;
    np_hmap locations, functions, mappings, strings;
    const char **str_list;
    size_t n_str, cap_str;
    /* Per-source memo tables, indexed by the source's array index. */
    uint32_t *loc_map, *func_map, *map_map;
    int64_t *map_offset;
    np_buf key;
    /* Merging one profile that is given up (np_profile_merge_take): the output takes over its
     * arena, so strings are shared rather than copied, and its sample array and per-sample
     * arrays, rewritten in place. */
    bool take;
    /* The last interned strings by address: label keys and values repeat on every sample, and
     * an address gives the same string each time, so most lookups skip the content hash. */
    struct {
        const char *src, *out;
    } memo[1024];
} merger;

/* Copies a string into the output arena once per distinct content. */
static const char *intern(merger *m, const char *s)
{
    if (!s || !*s)
        return "";
    size_t slot = (size_t)(((uintptr_t)s * 0x9e3779b97f4a7c15ULL) >> 54);
    if (m->memo[slot].src == s)
        return m->memo[slot].out;
    size_t n = strlen(s);
    bool found;
    uint32_t i = np_hmap_intern(&m->strings, s, n, (uint32_t)m->n_str, &found);
    if (!found)
        *NP_PUSH(m->str_list, m->n_str, m->cap_str) = m->take ? s : np_profile_strn(m->out, s, n);
    m->memo[slot].src = s;
    m->memo[slot].out = m->str_list[i];
    return m->str_list[i];
}

static void key_u64(np_buf *k, uint64_t v)
{
    np_buf_add(k, &v, sizeof v);
}

static void key_str(np_buf *k, const char *s)
{
    np_buf_add(k, s, strlen(s) + 1);
}

static uint64_t round_size(const np_mapping *mp)
{
    uint64_t size = mp->limit - mp->start + 0xfff;
    return size - size % 0x1000;
}

static uint32_t map_mapping(merger *m, const np_profile *src, uint32_t si)
{
    if (si == NP_NONE)
        return NP_NONE;
    if (m->map_map[si] != UNSEEN)
        return m->map_map[si];
    const np_mapping *sm = &src->mapping[si];
    m->key.len = 0;
    key_u64(&m->key, round_size(sm));
    key_u64(&m->key, sm->offset);
    key_str(&m->key, sm->build_id[0] ? sm->build_id : sm->file);
    bool found;
    uint32_t oi = np_hmap_intern(&m->mappings, m->key.data, m->key.len, (uint32_t)m->out->n_mapping, &found);
    if (found) {
        m->map_offset[si] = (int64_t)(m->out->mapping[oi].start - sm->start);
    } else {
        np_mapping *om = np_profile_add_mapping(m->out);
        *om = *sm;
        om->id = m->out->n_mapping;
        om->file = intern(m, sm->file);
        om->build_id = intern(m, sm->build_id);
        m->map_offset[si] = 0;
    }
    m->map_map[si] = oi;
    return oi;
}

static uint32_t map_function(merger *m, const np_profile *src, uint32_t si)
{
    if (si == NP_NONE)
        return NP_NONE;
    if (m->func_map[si] != UNSEEN)
        return m->func_map[si];
    const np_function *sf = &src->function[si];
    m->key.len = 0;
    key_u64(&m->key, (uint64_t)sf->start_line);
    key_str(&m->key, sf->name);
    key_str(&m->key, sf->system_name);
    key_str(&m->key, sf->filename);
    bool found;
    uint32_t oi = np_hmap_intern(&m->functions, m->key.data, m->key.len, (uint32_t)m->out->n_function, &found);
    if (!found) {
        np_function *of = np_profile_add_function(m->out);
        of->id = m->out->n_function;
        of->name = intern(m, sf->name);
        of->system_name = intern(m, sf->system_name);
        of->filename = intern(m, sf->filename);
        of->start_line = sf->start_line;
    }
    m->func_map[si] = oi;
    return oi;
}

static uint32_t map_location(merger *m, const np_profile *src, uint32_t si)
{
    if (m->loc_map[si] != UNSEEN)
        return m->loc_map[si];
    const np_location *sl = &src->location[si];
    uint32_t mi = map_mapping(m, src, sl->mapping);
    uint64_t addr = sl->address;
    if (mi != NP_NONE)
        addr = (uint64_t)((int64_t)addr + m->map_offset[sl->mapping]);
    uint32_t *funcs = np_xmalloc((sl->n_line + 1) * sizeof *funcs);
    for (uint32_t i = 0; i < sl->n_line; i++)
        funcs[i] = map_function(m, src, sl->line[i].func);
    m->key.len = 0;
    key_u64(&m->key, mi == NP_NONE ? addr : addr - m->out->mapping[mi].start);
    key_u64(&m->key, mi == NP_NONE ? 0 : mi + 1);
    key_u64(&m->key, sl->is_folded);
    for (uint32_t i = 0; i < sl->n_line; i++) {
        key_u64(&m->key, funcs[i]);
        key_u64(&m->key, (uint64_t)sl->line[i].line);
    }
    bool found;
    uint32_t oi = np_hmap_intern(&m->locations, m->key.data, m->key.len, (uint32_t)m->out->n_location, &found);
    if (!found) {
        np_location *ol = np_profile_add_location(m->out);
        ol->id = m->out->n_location;
        ol->address = addr;
        ol->mapping = mi;
        ol->is_folded = sl->is_folded;
        ol->n_line = sl->n_line;
        if (sl->n_line) {
            ol->line = np_arena_alloc(&m->out->arena, sl->n_line * sizeof *ol->line);
            for (uint32_t i = 0; i < sl->n_line; i++) {
                ol->line[i] = sl->line[i];
                ol->line[i].func = funcs[i];
            }
        }
    }
    free(funcs);
    m->loc_map[si] = oi;
    return oi;
}


static void sample_table_init(sample_table *t, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2)
        cap *= 2;
    t->mask = cap - 1;
    t->count = 0;
    t->slot = np_xcalloc(cap, sizeof *t->slot);
}

static void sample_table_free(sample_table *t)
{
    free(t->slot);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 32);
}

static uint64_t sample_hash(const uint32_t *locs, uint32_t n_loc, const np_label *labels, uint32_t n_label)
{
    uint64_t h = np_hash_bytes(locs, n_loc * sizeof *locs);
    for (uint32_t i = 0; i < n_label; i++) {
        /* Interned strings are unique per content, so their addresses identify them. */
        h = mix(h, (uint64_t)(uintptr_t)labels[i].key);
        h = mix(h, (uint64_t)(uintptr_t)labels[i].str);
        h = mix(h, (uint64_t)(uintptr_t)labels[i].num_unit);
        h = mix(h, (uint64_t)labels[i].num);
    }
    return h ? h : 1;
}

static bool same_sample(const np_sample *s, const uint32_t *locs, uint32_t n_loc, const np_label *labels,
                        uint32_t n_label)
{
    if (s->n_loc != n_loc || s->n_label != n_label || memcmp(s->loc, locs, n_loc * sizeof *locs) != 0)
        return false;
    for (uint32_t i = 0; i < n_label; i++) {
        const np_label *a = &s->label[i], *b = &labels[i];
        if (a->key != b->key || a->str != b->str || a->num_unit != b->num_unit || a->num != b->num)
            return false;
    }
    return true;
}

static uint64_t slot_tag(uint64_t h)
{
    return (uint64_t)(uint32_t)h << 32;
}

/* The slot holding the sample with this content, or the empty slot where it would go. */
static size_t sample_slot(const merger *m, uint64_t h, const uint32_t *locs, uint32_t n_loc,
                          const np_label *labels, uint32_t n_label)
{
    const sample_table *t = &m->samples;
    size_t i = h & t->mask;
    while (t->slot[i]) {
        if ((t->slot[i] & ~0xffffffffULL) == slot_tag(h) &&
            same_sample(&m->out->sample[(uint32_t)t->slot[i] - 1], locs, n_loc, labels, n_label))
            return i;
        i = (i + 1) & t->mask;
    }
    return i;
}

static void sample_table_grow(sample_table *t)
{
    sample_table old = *t;
    sample_table_init(t, (old.mask + 1));
    for (size_t i = 0; i <= old.mask; i++) {
        if (!old.slot[i])
            continue;
        size_t j = (old.slot[i] >> 32) & t->mask;
        while (t->slot[j])
            j = (j + 1) & t->mask;
        t->slot[j] = old.slot[i];
    }
    t->count = old.count;
    sample_table_free(&old);
}

static bool is_zero(const np_profile *p, const int64_t *v)
{
    for (size_t i = 0; i < p->n_sample_type; i++)
        if (v[i])
            return false;
    return true;
}

static void map_sample(merger *m, const np_profile *src, const np_sample *ss)
{
    np_profile *out = m->out;
    np_grow(&m->locs_tmp, &m->cap_locs_tmp, ss->n_loc + 1, sizeof *m->locs_tmp);
    uint32_t *locs = m->locs_tmp;
    for (uint32_t i = 0; i < ss->n_loc; i++) {
        uint32_t o = m->loc_map[ss->loc[i]]; /* map_location's memo, read here: most hit it */
        locs[i] = o != UNSEEN ? o : map_location(m, src, ss->loc[i]);
    }
    np_label *labels = NULL;
    if (ss->n_label) {
        np_grow(&m->labels_tmp, &m->cap_labels_tmp, ss->n_label, sizeof *m->labels_tmp);
        labels = m->labels_tmp;
        for (uint32_t i = 0; i < ss->n_label; i++) {
            labels[i].key = intern(m, ss->label[i].key);
            labels[i].str = intern(m, ss->label[i].str);
            labels[i].num_unit = intern(m, ss->label[i].num_unit);
            labels[i].num = ss->label[i].num;
        }
        np_labels_sort(labels, ss->n_label);
    }
    uint64_t h = sample_hash(locs, ss->n_loc, labels, ss->n_label);
    size_t slot = sample_slot(m, h, locs, ss->n_loc, labels, ss->n_label);
    if (m->samples.slot[slot]) {
        np_sample *os = &out->sample[(uint32_t)m->samples.slot[slot] - 1];
        for (size_t i = 0; i < out->n_sample_type; i++)
            os->value[i] += ss->value[i];
        return;
    }
    m->samples.slot[slot] = slot_tag(h) | (out->n_sample + 1);
    if (++m->samples.count * 2 > m->samples.mask)
        sample_table_grow(&m->samples);
    if (m->take) {
        /* out->sample is the source's array, and output sample k never lies after source
         * sample ss: this sample's own arrays take the mapped contents. */
        np_sample os = *ss;
        memcpy(os.loc, locs, ss->n_loc * sizeof *locs);
        if (ss->n_label)
            memcpy(os.label, labels, ss->n_label * sizeof *labels);
        out->sample[out->n_sample++] = os;
        return;
    }
    np_sample *os = np_profile_add_sample(out);
    os->loc = np_arena_alloc(&out->arena, (ss->n_loc + 1) * sizeof *os->loc);
    memcpy(os->loc, locs, ss->n_loc * sizeof *locs);
    os->n_loc = ss->n_loc;
    if (ss->n_label) {
        os->label = np_arena_alloc(&out->arena, ss->n_label * sizeof *os->label);
        memcpy(os->label, labels, ss->n_label * sizeof *labels);
    }
    os->n_label = ss->n_label;
    os->value = np_arena_alloc(&out->arena, (out->n_sample_type + 1) * sizeof *os->value);
    memcpy(os->value, ss->value, out->n_sample_type * sizeof *os->value);
}

int np_profile_compatible(const np_profile *a, const np_profile *b, np_err *err)
{
    if (strcmp(a->period_type.type, b->period_type.type) || strcmp(a->period_type.unit, b->period_type.unit))
        return np_fail(err, "incompatible period types %s/%s and %s/%s", a->period_type.type,
                       a->period_type.unit, b->period_type.type, b->period_type.unit);
    bool same = a->n_sample_type == b->n_sample_type;
    for (size_t i = 0; same && i < a->n_sample_type; i++)
        same = !strcmp(a->sample_type[i].type, b->sample_type[i].type) &&
               !strcmp(a->sample_type[i].unit, b->sample_type[i].unit);
    if (!same)
        return np_fail(err, "incompatible sample types");
    return 0;
}

static void combine_headers(merger *m, np_profile *const *srcs, size_t n)
{
    np_profile *out = m->out;
    const np_profile *first = srcs[0];
    np_value_type *types = np_xcalloc(first->n_sample_type + 1, sizeof *types);
    for (size_t i = 0; i < first->n_sample_type; i++) {
        types[i].type = intern(m, first->sample_type[i].type);
        types[i].unit = intern(m, first->sample_type[i].unit);
    }
    free(out->sample_type);
    out->sample_type = types;
    out->n_sample_type = first->n_sample_type;
    out->drop_frames = intern(m, first->drop_frames);
    out->keep_frames = intern(m, first->keep_frames);
    out->period_type.type = intern(m, first->period_type.type);
    out->period_type.unit = intern(m, first->period_type.unit);
    for (size_t s = 0; s < n; s++) {
        const np_profile *p = srcs[s];
        if (out->time_nanos == 0 || p->time_nanos < out->time_nanos)
            out->time_nanos = p->time_nanos;
        out->duration_nanos += p->duration_nanos;
        if (out->period == 0 || out->period < p->period)
            out->period = p->period;
        for (size_t c = 0; c < p->n_comment; c++) {
            bool seen = false;
            for (size_t k = 0; k < out->n_comment && !seen; k++)
                seen = !strcmp(out->comment[k], p->comment[c]);
            if (!seen)
                *NP_PUSH(out->comment, out->n_comment, out->cap_comment) = intern(m, p->comment[c]);
        }
        if (!out->default_sample_type[0])
            out->default_sample_type = intern(m, p->default_sample_type);
    }
}

/* The output has at least as many locations and functions as its largest source, and a
 * location's key is three numbers and two per line: that much is reserved at once (the
 * output's records zeroed, the keys' room untouched), where doubling copied a large profile's
 * records several times. Sources of other records beyond it grow the arrays as before. */
static void reserve_records(merger *m, np_profile *const *srcs, size_t n)
{
    size_t locs = 0, funcs = 0, lines = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        for (size_t j = 0; j < srcs[i]->n_location; j++)
            l += srcs[i]->location[j].n_line;
        if (srcs[i]->n_location > locs) {
            locs = srcs[i]->n_location;
            lines = l;
        }
        if (srcs[i]->n_function > funcs)
            funcs = srcs[i]->n_function;
    }
    np_grow(&m->out->location, &m->out->cap_location, locs + 1, sizeof *m->out->location);
    np_grow(&m->out->function, &m->out->cap_function, funcs + 1, sizeof *m->out->function);
    np_buf_reserve(&m->locations.keys, (locs * 3 + lines * 2) * sizeof(uint64_t));
}

static void merge_source(merger *m, const np_profile *src)
{
    m->loc_map = np_xmalloc((src->n_location + 1) * sizeof *m->loc_map);
    m->func_map = np_xmalloc((src->n_function + 1) * sizeof *m->func_map);
    m->map_map = np_xmalloc((src->n_mapping + 1) * sizeof *m->map_map);
    m->map_offset = np_xcalloc(src->n_mapping + 1, sizeof *m->map_offset);
    memset(m->loc_map, 0xff, (src->n_location + 1) * sizeof *m->loc_map);
    memset(m->func_map, 0xff, (src->n_function + 1) * sizeof *m->func_map);
    memset(m->map_map, 0xff, (src->n_mapping + 1) * sizeof *m->map_map);
    /* The first mapping is the main binary: keep it first in the output. */
    if (m->out->n_mapping == 0 && src->n_mapping)
        map_mapping(m, src, 0);
    for (size_t i = 0; i < src->n_sample; i++)
        if (!is_zero(src, src->sample[i].value))
            map_sample(m, src, &src->sample[i]);
    free(m->loc_map);
    free(m->func_map);
    free(m->map_map);
    free(m->map_offset);
}

static int merge(np_profile *const *srcs, size_t n, bool take, np_profile **out, np_err *err)
{
    if (n == 0)
        return np_fail(err, "no profiles to merge");
    for (size_t i = 1; i < n; i++)
        if (np_profile_compatible(srcs[0], srcs[i], err) < 0)
            return -1;
    merger m;
    memset(&m, 0, sizeof m);
    m.out = np_profile_new();
    m.take = take;
    size_t expect = 0;
    for (size_t i = 0; i < n; i++)
        expect += srcs[i]->n_sample;
    sample_table_init(&m.samples, expect);
    if (take) {
        np_profile *src = srcs[0];
        m.out->arena = src->arena;
        memset(&src->arena, 0, sizeof src->arena);
        m.out->sample = src->sample; /* src still reads its samples from it while merging */
        m.out->cap_sample = src->cap_sample;
    } else {
        /* The output has at most as many samples as the sources together: sized once, not
         * doubled along the way. */
        np_grow(&m.out->sample, &m.out->cap_sample, expect + 1, sizeof *m.out->sample);
    }
    np_hmap_init(&m.locations, srcs[0]->n_location);
    np_hmap_init(&m.functions, srcs[0]->n_function);
    reserve_records(&m, srcs, n);
    np_hmap_init(&m.mappings, 16);
    np_hmap_init(&m.strings, srcs[0]->n_function * 2 + 64);
    combine_headers(&m, srcs, n);
    for (size_t i = 0; i < n; i++)
        merge_source(&m, srcs[i]);
    sample_table_free(&m.samples);
    free(m.locs_tmp);
    free(m.labels_tmp);
    np_hmap_free(&m.locations);
    np_hmap_free(&m.functions);
    np_hmap_free(&m.mappings);
    np_hmap_free(&m.strings);
    np_buf_free(&m.key);
    free(m.str_list);
    if (take) {
        srcs[0]->sample = NULL; /* now the output's */
        np_profile_free(srcs[0]);
    }
    /* Samples that summed to zero are dropped by merging once more. */
    for (size_t i = 0; i < m.out->n_sample; i++) {
        if (is_zero(m.out, m.out->sample[i].value)) {
            np_profile *again = NULL;
            int rc = np_profile_merge(&m.out, 1, &again, err);
            np_profile_free(m.out);
            if (rc < 0)
                return -1;
            m.out = again;
            break;
        }
    }
    *out = m.out;
    return 0;
}

int np_profile_merge(np_profile *const *srcs, size_t n, np_profile **out, np_err *err)
{
    return merge(srcs, n, false, out, err);
}

int np_profile_merge_take(np_profile *src, np_profile **out, np_err *err)
{
    return merge(&src, 1, true, out, err);
}

np_profile *np_profile_compact(np_profile *p)
{
    np_profile *out = NULL;
    np_err err;
    if (np_profile_merge_take(p, &out, &err) < 0)
        return p; /* merging one profile with itself cannot be incompatible */
    return out;
}

/* int64(math.Round(x)): halves away from zero; out-of-range results become INT64_MIN as
 * Go's conversion does on amd64. */
static int64_t round_i64(double x)
{
    double r = round(x);
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)r;
}

void np_scale_n(np_profile *p, const double *ratios)
{
    bool all_ones = true;
    for (size_t i = 0; i < p->n_sample_type; i++)
        all_ones = all_ones && ratios[i] == 1;
    if (all_ones)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        /* Only scaled values decide whether the sample survives, as in pprof. */
        bool keep = false;
        for (size_t j = 0; j < p->n_sample_type; j++) {
            if (ratios[j] == 1)
                continue;
            s->value[j] = round_i64((double)s->value[j] * ratios[j]);
            keep = keep || s->value[j] != 0;
        }
        if (keep)
            p->sample[kept++] = *s;
    }
    p->n_sample = kept;
}

void np_scale(np_profile *p, double ratio)
{
    if (ratio == 1)
        return;
    double *ratios = np_xcalloc(p->n_sample_type + 1, sizeof *ratios);
    for (size_t i = 0; i < p->n_sample_type; i++)
        ratios[i] = ratio;
    np_scale_n(p, ratios);
    free(ratios);
}

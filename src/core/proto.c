/* profile.proto decoding and encoding for the profile model. Decoding makes two passes over the
 * top-level message: the first finds the string table and counts records, the second fills
 * preallocated arrays, so a large profile costs a few allocations, not one per record. */
#include "core/pb.h"
#include "core/profile.h"

#include <stdlib.h>
#include <string.h>

/* Maps record ids to array indices: direct for dense ids (the usual 1..n), hashed otherwise. */
typedef struct id_index {
    uint32_t *direct; /* direct[id] = index + 1, for id <= n */
    uint64_t *keys;
    uint32_t *vals;
    size_t n, mask;
} id_index;

static void idx_init(id_index *ix, size_t n)
{
    ix->n = n;
    ix->direct = np_xcalloc(n + 1, sizeof *ix->direct);
    size_t cap = 16;
    while (cap < 2 * n + 16)
        cap *= 2;
    ix->mask = cap - 1;
    ix->keys = NULL;
    ix->vals = NULL;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Returns 0, or -1 when the id is already present (pprof rejects duplicate ids). */
static int idx_put(id_index *ix, uint64_t id, uint32_t index)
{
    if (id <= ix->n) {
        if (ix->direct[id])
            return -1;
        ix->direct[id] = index + 1;
        return 0;
    }
    if (!ix->keys) {
        ix->keys = np_xcalloc(ix->mask + 1, sizeof *ix->keys);
        ix->vals = np_xcalloc(ix->mask + 1, sizeof *ix->vals);
    }
    for (size_t h = mix(id) & ix->mask;; h = (h + 1) & ix->mask) {
        if (ix->keys[h] == id)
            return -1;
        if (!ix->keys[h]) {
            ix->keys[h] = id;
            ix->vals[h] = index;
            return 0;
        }
    }
}

static uint32_t idx_get(const id_index *ix, uint64_t id)
{
    if (id <= ix->n)
        return ix->direct[id] ? ix->direct[id] - 1 : NP_NONE;
    if (!ix->keys)
        return NP_NONE;
    for (size_t h = mix(id) & ix->mask;; h = (h + 1) & ix->mask) {
        if (ix->keys[h] == id)
            return ix->vals[h];
        if (!ix->keys[h])
            return NP_NONE;
    }
}

static void idx_free(id_index *ix)
{
    free(ix->direct);
    free(ix->keys);
    free(ix->vals);
}

enum {
    P_SAMPLE_TYPE = 1, P_SAMPLE, P_MAPPING, P_LOCATION, P_FUNCTION, P_STRING, P_DROP, P_KEEP,
    P_TIME, P_DURATION, P_PERIOD_TYPE, P_PERIOD, P_COMMENT, P_DEFAULT_TYPE
};

/* A growable array of decoded integers. */
typedef struct u64_sink {
    uint64_t *out;
    size_t n, cap;
} u64_sink;

typedef struct decoder {
    np_profile *p;
    np_pb_reader top;
    const char **str;
    size_t n_str;
    id_index maps, funcs, locs;
    u64_sink locs_tmp, vals_tmp; /* per-sample scratch, see decode_sample */
    np_err *err;
} decoder;

static int want_wire(decoder *d, const np_pb_field *f, int wire, const char *what)
{
    if (f->wire == wire)
        return 0;
    return np_fail(d->err, "%s: field %u has wire type %d, want %d", what, f->num, f->wire, wire);
}

static int get_str(decoder *d, uint64_t i, const char **out, const char *what)
{
    if (i >= d->n_str)
        return np_fail(d->err, "%s: string index %llu out of range (table has %zu)", what,
                       (unsigned long long)i, d->n_str);
    *out = d->str[i];
    return 0;
}

static void sub_reader(decoder *d, const np_pb_field *f, np_pb_reader *r)
{
    np_pb_reader_init(r, d->top.base, f->data, f->len);
}

static int decode_value_type(decoder *d, const np_pb_field *f, np_value_type *vt)
{
    np_pb_reader r;
    np_pb_field g;
    int rc;
    uint64_t type = 0, unit = 0;
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        if (g.num == 1 && g.wire == NP_PB_VARINT)
            type = g.u;
        else if (g.num == 2 && g.wire == NP_PB_VARINT)
            unit = g.u;
    }
    if (rc < 0)
        return -1;
    if (get_str(d, type, &vt->type, "value type") < 0 || get_str(d, unit, &vt->unit, "value type") < 0)
        return -1;
    return 0;
}

static int decode_mapping(decoder *d, const np_pb_field *f)
{
    np_pb_reader r;
    np_pb_field g;
    int rc;
    uint64_t file = 0, build = 0;
    np_mapping *m = np_profile_add_mapping(d->p);
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        if (g.wire != NP_PB_VARINT)
            continue;
        switch (g.num) {
        case 1: m->id = g.u; break;
        case 2: m->start = g.u; break;
        case 3: m->limit = g.u; break;
        case 4: m->offset = g.u; break;
        case 5: file = g.u; break;
        case 6: build = g.u; break;
        case 7: m->has_functions = g.u != 0; break;
        case 8: m->has_filenames = g.u != 0; break;
        case 9: m->has_line_numbers = g.u != 0; break;
        case 10: m->has_inline_frames = g.u != 0; break;
        }
    }
    if (rc < 0 || get_str(d, file, &m->file, "mapping") < 0 ||
        get_str(d, build, &m->build_id, "mapping") < 0)
        return -1;
    if (m->id == 0)
        return np_fail(d->err, "found mapping with reserved ID=0");
    if (idx_put(&d->maps, m->id, (uint32_t)(d->p->n_mapping - 1)) < 0)
        return np_fail(d->err, "multiple mappings with same id: %llu", (unsigned long long)m->id);
    return 0;
}

static int decode_function(decoder *d, const np_pb_field *f)
{
    np_pb_reader r;
    np_pb_field g;
    int rc;
    uint64_t name = 0, sys = 0, file = 0;
    np_function *fn = np_profile_add_function(d->p);
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        if (g.wire != NP_PB_VARINT)
            continue;
        switch (g.num) {
        case 1: fn->id = g.u; break;
        case 2: name = g.u; break;
        case 3: sys = g.u; break;
        case 4: file = g.u; break;
        case 5: fn->start_line = (int64_t)g.u; break;
        }
    }
    if (rc < 0 || get_str(d, name, &fn->name, "function") < 0 ||
        get_str(d, sys, &fn->system_name, "function") < 0 ||
        get_str(d, file, &fn->filename, "function") < 0)
        return -1;
    if (fn->id == 0)
        return np_fail(d->err, "found function with reserved ID=0");
    if (idx_put(&d->funcs, fn->id, (uint32_t)(d->p->n_function - 1)) < 0)
        return np_fail(d->err, "multiple functions with same id: %llu", (unsigned long long)fn->id);
    return 0;
}

/* Lines keep the raw function id in `func` until all functions are known. */
static int decode_line(decoder *d, const np_pb_field *f, np_line *ln, uint64_t *fid)
{
    np_pb_reader r;
    np_pb_field g;
    int rc;
    sub_reader(d, f, &r);
    *fid = 0;
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        if (g.wire != NP_PB_VARINT)
            continue;
        if (g.num == 1)
            *fid = g.u;
        else if (g.num == 2)
            ln->line = (int64_t)g.u;
        else if (g.num == 3)
            ln->column = (int64_t)g.u;
    }
    return rc;
}

static int decode_location(decoder *d, const np_pb_field *f)
{
    np_pb_reader r;
    np_pb_field g;
    int rc;
    uint64_t map = 0;
    size_t n_line = 0;
    np_location *l = np_profile_add_location(d->p);
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0)
        n_line += g.num == 4 && g.wire == NP_PB_LEN;
    if (rc < 0)
        return -1;
    if (n_line)
        l->line = np_arena_alloc(&d->p->arena, n_line * sizeof *l->line);
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        if (g.num == 4 && g.wire == NP_PB_LEN) {
            uint64_t fid;
            np_line *ln = &l->line[l->n_line++];
            if (decode_line(d, &g, ln, &fid) < 0)
                return -1;
            ln->func = fid == 0 ? NP_NONE : (uint32_t)idx_get(&d->funcs, fid);
            if (fid != 0 && ln->func == NP_NONE)
                return np_fail(d->err, "location %llu refers to unknown function id %llu",
                               (unsigned long long)l->id, (unsigned long long)fid);
            if (fid == 0)
                return np_fail(d->err, "location id: %llu has a line with nil function",
                               (unsigned long long)l->id);
            continue;
        }
        if (g.wire != NP_PB_VARINT)
            continue;
        if (g.num == 1)
            l->id = g.u;
        else if (g.num == 2)
            map = g.u;
        else if (g.num == 3)
            l->address = g.u;
        else if (g.num == 5)
            l->is_folded = g.u != 0;
    }
    if (rc < 0)
        return -1;
    if (l->id == 0)
        return np_fail(d->err, "found location with reserved id=0");
    if (map) {
        l->mapping = idx_get(&d->maps, map);
        if (l->mapping == NP_NONE)
            return np_fail(d->err, "location %llu refers to unknown mapping id %llu",
                           (unsigned long long)l->id, (unsigned long long)map);
    }
    if (idx_put(&d->locs, l->id, (uint32_t)(d->p->n_location - 1)) < 0)
        return np_fail(d->err, "multiple locations with same id: %llu", (unsigned long long)l->id);
    return 0;
}

static int decode_label(decoder *d, const np_pb_field *f, np_label *lb, bool *keep)
{
    np_pb_reader r;
    np_pb_field g;
    int rc;
    uint64_t key = 0, str = 0, unit = 0;
    int64_t num = 0;
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        if (g.wire != NP_PB_VARINT)
            continue;
        if (g.num == 1)
            key = g.u;
        else if (g.num == 2)
            str = g.u;
        else if (g.num == 3)
            num = (int64_t)g.u;
        else if (g.num == 4)
            unit = g.u;
    }
    if (rc < 0 || get_str(d, key, &lb->key, "label") < 0 || get_str(d, str, &lb->str, "label") < 0 ||
        get_str(d, unit, &lb->num_unit, "label") < 0)
        return -1;
    lb->num = num;
    /* As pprof: a string label if str is set, numeric if num or unit is, else nothing. */
    *keep = str != 0 || num != 0 || unit != 0;
    if (str != 0) {
        lb->num = 0;
        lb->num_unit = "";
    }
    return 0;
}

/* A sample's location ids and values are gathered in scratch arrays that live as long as the
 * decoder (reused by every sample), so each sample's final arrays are allocated once at their
 * exact size: growing them in the arena would leave every outgrown copy behind. */
static void sink_reserve(u64_sink *s, size_t need)
{
    np_grow(&s->out, &s->cap, need, sizeof *s->out);
}

static int sink_push(void *ctx, uint64_t v)
{
    u64_sink *s = ctx;
    sink_reserve(s, s->n + 1);
    s->out[s->n++] = v;
    return 0;
}

/* Appends the integers of a varint or packed field to s. Packed runs, the usual encoding, are
 * read here directly (one-byte varints are most of them); anything unusual or malformed is
 * left to np_pb_each_varint, which also words the error. */
static int sink_field(decoder *d, const np_pb_reader *r, const np_pb_field *g, u64_sink *s)
{
    if (g->wire != NP_PB_LEN)
        return np_pb_each_varint(r, g, sink_push, s, d->err);
    if (g->len == 0)
        return 0; /* an empty packed run (the sink may have no storage yet) */
    size_t start = s->n;
    sink_reserve(s, s->n + g->len); /* a varint takes at least one byte */
    const uint8_t *p = g->data, *end = p + g->len;
    uint64_t *o = s->out + s->n;
    while (p < end) {
        uint64_t c = *p++;
        if (c < 0x80) {
            *o++ = c;
            continue;
        }
        if (p < end && *p < 0x80) { /* two bytes: location ids of most profiles */
            *o++ = (c & 0x7f) | (uint64_t)*p++ << 7;
            continue;
        }
        uint64_t x = c & 0x7f;
        int shift = 7;
        for (;;) {
            if (p >= end || shift > 63 || (shift == 63 && *p > 1)) {
                s->n = start;
                return np_pb_each_varint(r, g, sink_push, s, d->err);
            }
            c = *p++;
            x |= (c & 0x7f) << shift;
            if (c < 0x80)
                break;
            shift += 7;
        }
        *o++ = x;
    }
    s->n = (size_t)(o - s->out);
    return 0;
}

static int decode_sample(decoder *d, const np_pb_field *f)
{
    np_pb_reader r;
    np_pb_field g;
    int rc;
    u64_sink *locs = &d->locs_tmp, *vals = &d->vals_tmp;
    size_t n_label = 0;
    np_sample *s = np_profile_add_sample(d->p);
    locs->n = vals->n = 0;
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        if (g.num == 1 && sink_field(d, &r, &g, locs) < 0)
            return -1;
        if (g.num == 2 && sink_field(d, &r, &g, vals) < 0)
            return -1;
        n_label += g.num == 3 && g.wire == NP_PB_LEN;
    }
    if (rc < 0)
        return -1;
    if (vals->n != d->p->n_sample_type)
        return np_fail(d->err, "mismatch: sample has %zu values vs. %zu types", vals->n,
                       d->p->n_sample_type);
    s->value = np_arena_alloc(&d->p->arena, (vals->n ? vals->n : 1) * sizeof *s->value);
    for (size_t i = 0; i < vals->n; i++)
        s->value[i] = (int64_t)vals->out[i];
    s->loc = np_arena_alloc(&d->p->arena, (locs->n ? locs->n : 1) * sizeof *s->loc);
    s->n_loc = (uint32_t)locs->n;
    for (size_t i = 0; i < locs->n; i++) {
        uint32_t ix = idx_get(&d->locs, locs->out[i]);
        if (ix == NP_NONE)
            return np_fail(d->err, "sample refers to unknown location id %llu",
                           (unsigned long long)locs->out[i]);
        s->loc[i] = ix;
    }
    if (!n_label)
        return 0;
    s->label = np_arena_alloc(&d->p->arena, n_label * sizeof *s->label);
    sub_reader(d, f, &r);
    while ((rc = np_pb_next_fast(&r, &g, d->err)) > 0) {
        bool keep;
        if (g.num != 3 || g.wire != NP_PB_LEN)
            continue;
        if (decode_label(d, &g, &s->label[s->n_label], &keep) < 0)
            return -1;
        s->n_label += keep;
    }
    return rc;
}

static int push_comment(void *ctx, uint64_t v)
{
    decoder *d = ctx;
    const char *c = "";
    if (get_str(d, v, &c, "comment") < 0)
        return -1;
    *NP_PUSH(d->p->comment, d->p->n_comment, d->p->cap_comment) = c;
    return 0;
}

/* Pass 1: the string table, record counts, and sample types (samples need their count). */
static int scan(decoder *d, size_t *count)
{
    np_pb_reader r = d->top;
    np_pb_field f;
    int rc;
    size_t n_str = 0;
    while ((rc = np_pb_next_fast(&r, &f, d->err)) > 0) {
        if (f.num <= P_FUNCTION && f.num >= P_SAMPLE_TYPE && want_wire(d, &f, NP_PB_LEN, "profile") < 0)
            return -1;
        if (f.num <= P_STRING)
            count[f.num]++;
    }
    if (rc < 0)
        return -1;
    n_str = count[P_STRING];
    d->str = np_xcalloc(n_str + 1, sizeof *d->str);
    r = d->top;
    while ((rc = np_pb_next_fast(&r, &f, d->err)) > 0) {
        if (f.num != P_STRING)
            continue;
        if (want_wire(d, &f, NP_PB_LEN, "string table") < 0)
            return -1;
        d->str[d->n_str++] = np_profile_strn(d->p, (const char *)f.data, f.len);
    }
    if (rc < 0)
        return -1;
    if (d->n_str == 0 || d->str[0][0] != 0) {
        if (d->n_str == 0 && count[P_SAMPLE_TYPE] + count[P_SAMPLE] + count[P_LOCATION] == 0)
            d->str[d->n_str++] = "";
        else
            return np_fail(d->err, "string table does not start with the empty string");
    }
    return 0;
}

static int decode_top_field(decoder *d, np_pb_field *f)
{
    np_profile *p = d->p;
    switch (f->num) {
    case P_SAMPLE_TYPE:
        return decode_value_type(d, f, &p->sample_type[p->n_sample_type++]);
    case P_MAPPING:
        return decode_mapping(d, f);
    case P_FUNCTION:
        return decode_function(d, f);
    case P_DROP:
        return f->wire == NP_PB_VARINT ? get_str(d, f->u, &p->drop_frames, "drop_frames") : 0;
    case P_KEEP:
        return f->wire == NP_PB_VARINT ? get_str(d, f->u, &p->keep_frames, "keep_frames") : 0;
    case P_TIME:
        p->time_nanos = (int64_t)f->u;
        return 0;
    case P_DURATION:
        p->duration_nanos = (int64_t)f->u;
        return 0;
    case P_PERIOD_TYPE:
        return f->wire == NP_PB_LEN ? decode_value_type(d, f, &p->period_type) : 0;
    case P_PERIOD:
        p->period = (int64_t)f->u;
        return 0;
    case P_COMMENT:
        return np_pb_each_varint(&d->top, f, push_comment, d, d->err);
    case P_DEFAULT_TYPE:
        return f->wire == NP_PB_VARINT ? get_str(d, f->u, &p->default_sample_type, "default_sample_type") : 0;
    }
    return 0;
}

/* Fields are decoded in dependency order (mappings and functions, then locations, then samples)
 * whatever their order on the wire, as the proto format allows any order. */
static int decode_all(decoder *d)
{
    size_t count[P_STRING + 1] = {0};
    np_profile *p = d->p;
    if (scan(d, count) < 0)
        return -1;
    p->sample_type = np_xcalloc(count[P_SAMPLE_TYPE] + 1, sizeof *p->sample_type);
    np_grow(&p->sample, &p->cap_sample, count[P_SAMPLE], sizeof *p->sample);
    np_grow(&p->mapping, &p->cap_mapping, count[P_MAPPING], sizeof *p->mapping);
    np_grow(&p->location, &p->cap_location, count[P_LOCATION], sizeof *p->location);
    np_grow(&p->function, &p->cap_function, count[P_FUNCTION], sizeof *p->function);
    idx_init(&d->maps, count[P_MAPPING]);
    idx_init(&d->funcs, count[P_FUNCTION]);
    idx_init(&d->locs, count[P_LOCATION]);
    static const int order[][2] = {{0, 0}, {P_LOCATION, P_LOCATION}, {P_SAMPLE, P_SAMPLE}};
    for (int pass = 0; pass < 3; pass++) {
        np_pb_reader r = d->top;
        np_pb_field f;
        int rc;
        while ((rc = np_pb_next_fast(&r, &f, d->err)) > 0) {
            bool mine = pass == 0 ? (f.num != P_LOCATION && f.num != P_SAMPLE && f.num != P_STRING)
                                  : (int)f.num == order[pass][0];
            if (!mine)
                continue;
            int ok = pass == 0 ? decode_top_field(d, &f)
                   : pass == 1 ? decode_location(d, &f)
                               : decode_sample(d, &f);
            if (ok < 0)
                return -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0; /* consistency (np_profile_check) is the caller's step, as pprof's CheckValid */
}

int np_profile_decode(const void *data, size_t len, np_profile **out, np_err *err)
{
    decoder d = {0};
    d.p = np_profile_new();
    d.err = err;
    np_pb_reader_init(&d.top, data, data, len);
    int rc = decode_all(&d);
    free(d.str);
    idx_free(&d.maps);
    idx_free(&d.funcs);
    idx_free(&d.locs);
    free(d.locs_tmp.out);
    free(d.vals_tmp.out);
    if (rc < 0) {
        np_profile_free(d.p);
        *out = NULL;
        return -1;
    }
    *out = d.p;
    return 0;
}

/* String table under construction: content-keyed open addressing over the emitted list. */
typedef struct strtab {
    const char **list;
    size_t n, cap;
    uint32_t *slots; /* index + 1 */
    size_t mask;
} strtab;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

static void strtab_rehash(strtab *t)
{
    size_t cap = (t->mask + 1) * 2;
    free(t->slots);
    t->slots = np_xcalloc(cap, sizeof *t->slots);
    t->mask = cap - 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = hash_str(t->list[i]) & t->mask;
        while (t->slots[h])
            h = (h + 1) & t->mask;
        t->slots[h] = (uint32_t)i + 1;
    }
}

static uint64_t strtab_add(strtab *t, const char *s)
{
    if (!s)
        s = "";
    size_t h = hash_str(s) & t->mask;
    for (; t->slots[h]; h = (h + 1) & t->mask)
        if (strcmp(t->list[t->slots[h] - 1], s) == 0)
            return t->slots[h] - 1;
    *NP_PUSH(t->list, t->n, t->cap) = s;
    t->slots[h] = (uint32_t)t->n;
    if (t->n * 2 > t->mask)
        strtab_rehash(t);
    return t->n - 1;
}


static void put_value_type(np_buf *b, strtab *t, uint32_t num, const np_value_type *vt)
{
    size_t m = np_pb_begin(b, num);
    np_pb_put_uint(b, 1, strtab_add(t, vt->type));
    np_pb_put_uint(b, 2, strtab_add(t, vt->unit));
    np_pb_end(b, m);
}

static void put_sample(np_buf *b, strtab *t, const np_profile *p, const np_sample *s,
                       uint64_t **scratch, size_t *scap)
{
    size_t m = np_pb_begin(b, P_SAMPLE);
    size_t need = s->n_loc > p->n_sample_type ? s->n_loc : p->n_sample_type;
    np_grow(scratch, scap, need + 1, sizeof **scratch);
    for (uint32_t i = 0; i < s->n_loc; i++)
        (*scratch)[i] = p->location[s->loc[i]].id;
    np_pb_put_packed(b, 1, *scratch, s->n_loc);
    for (size_t i = 0; i < p->n_sample_type; i++)
        (*scratch)[i] = (uint64_t)s->value[i];
    np_pb_put_packed(b, 2, *scratch, p->n_sample_type);
    if (s->n_label) {
        np_label *sorted = np_xmalloc(s->n_label * sizeof *sorted);
        memcpy(sorted, s->label, s->n_label * sizeof *sorted);
        np_labels_sort(sorted, s->n_label);
        for (uint32_t i = 0; i < s->n_label; i++) {
            const np_label *l = &sorted[i];
            size_t lm = np_pb_begin(b, 3);
            np_pb_put_uint(b, 1, strtab_add(t, l->key));
            if (l->str[0]) {
                np_pb_put_uint(b, 2, strtab_add(t, l->str));
            } else {
                np_pb_put_uint(b, 3, (uint64_t)l->num);
                np_pb_put_uint(b, 4, strtab_add(t, l->num_unit));
            }
            np_pb_end(b, lm);
        }
        free(sorted);
    }
    np_pb_end(b, m);
}

static void put_mapping(np_buf *b, strtab *t, const np_mapping *mp)
{
    size_t m = np_pb_begin(b, P_MAPPING);
    np_pb_put_uint(b, 1, mp->id);
    np_pb_put_uint(b, 2, mp->start);
    np_pb_put_uint(b, 3, mp->limit);
    np_pb_put_uint(b, 4, mp->offset);
    np_pb_put_uint(b, 5, strtab_add(t, mp->file));
    np_pb_put_uint(b, 6, strtab_add(t, mp->build_id));
    np_pb_put_bool(b, 7, mp->has_functions);
    np_pb_put_bool(b, 8, mp->has_filenames);
    np_pb_put_bool(b, 9, mp->has_line_numbers);
    np_pb_put_bool(b, 10, mp->has_inline_frames);
    np_pb_end(b, m);
}

static void put_location(np_buf *b, const np_profile *p, const np_location *l)
{
    size_t m = np_pb_begin(b, P_LOCATION);
    np_pb_put_uint(b, 1, l->id);
    if (l->mapping != NP_NONE)
        np_pb_put_uint(b, 2, p->mapping[l->mapping].id);
    np_pb_put_uint(b, 3, l->address);
    for (uint32_t i = 0; i < l->n_line; i++) {
        size_t lm = np_pb_begin(b, 4);
        if (l->line[i].func != NP_NONE)
            np_pb_put_uint(b, 1, p->function[l->line[i].func].id);
        np_pb_put_uint(b, 2, (uint64_t)l->line[i].line);
        np_pb_put_uint(b, 3, (uint64_t)l->line[i].column);
        np_pb_end(b, lm);
    }
    np_pb_put_bool(b, 5, l->is_folded);
    np_pb_end(b, m);
}

static void put_function(np_buf *b, strtab *t, const np_function *f)
{
    size_t m = np_pb_begin(b, P_FUNCTION);
    np_pb_put_uint(b, 1, f->id);
    np_pb_put_uint(b, 2, strtab_add(t, f->name));
    np_pb_put_uint(b, 3, strtab_add(t, f->system_name));
    np_pb_put_uint(b, 4, strtab_add(t, f->filename));
    np_pb_put_uint(b, 5, (uint64_t)f->start_line);
    np_pb_end(b, m);
}

void np_profile_encode(const np_profile *p, np_buf *b)
{
    strtab t = {0};
    t.mask = 1023;
    t.slots = np_xcalloc(t.mask + 1, sizeof *t.slots);
    strtab_add(&t, "");
    uint64_t *scratch = NULL;
    size_t scap = 0;
    for (size_t i = 0; i < p->n_sample_type; i++)
        put_value_type(b, &t, P_SAMPLE_TYPE, &p->sample_type[i]);
    for (size_t i = 0; i < p->n_sample; i++)
        put_sample(b, &t, p, &p->sample[i], &scratch, &scap);
    for (size_t i = 0; i < p->n_mapping; i++)
        put_mapping(b, &t, &p->mapping[i]);
    for (size_t i = 0; i < p->n_location; i++)
        put_location(b, p, &p->location[i]);
    for (size_t i = 0; i < p->n_function; i++)
        put_function(b, &t, &p->function[i]);
    uint64_t drop = strtab_add(&t, p->drop_frames), keep = strtab_add(&t, p->keep_frames);
    uint64_t dflt = strtab_add(&t, p->default_sample_type);
    np_grow(&scratch, &scap, p->n_comment + 1, sizeof *scratch);
    for (size_t i = 0; i < p->n_comment; i++)
        scratch[i] = strtab_add(&t, p->comment[i]);
    size_t n_comment = p->n_comment;
    size_t pt_mark_needed = p->period_type.type[0] || p->period_type.unit[0];
    uint64_t pt_type = strtab_add(&t, p->period_type.type), pt_unit = strtab_add(&t, p->period_type.unit);
    for (size_t i = 0; i < t.n; i++)
        np_pb_put_bytes(b, P_STRING, t.list[i], strlen(t.list[i]));
    np_pb_put_uint(b, P_DROP, drop);
    np_pb_put_uint(b, P_KEEP, keep);
    np_pb_put_uint(b, P_TIME, (uint64_t)p->time_nanos);
    np_pb_put_uint(b, P_DURATION, (uint64_t)p->duration_nanos);
    if (pt_mark_needed) {
        size_t m = np_pb_begin(b, P_PERIOD_TYPE);
        np_pb_put_uint(b, 1, pt_type);
        np_pb_put_uint(b, 2, pt_unit);
        np_pb_end(b, m);
    }
    np_pb_put_uint(b, P_PERIOD, (uint64_t)p->period);
    np_pb_put_packed(b, P_COMMENT, scratch, n_comment);
    np_pb_put_uint(b, P_DEFAULT_TYPE, dflt);
    free(scratch);
    free(t.list);
    free(t.slots);
}

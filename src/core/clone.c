/* np_profile_clone: a profile's records copied into a new profile that shares its strings. */
#include "core/clone.h"

#include <stdlib.h>
#include <string.h>

/* A heap copy of n records of size sz for a growable array (*cap set to its room, at least
 * one record, so that it is never NULL). */
static void *dup_array(const void *src, size_t n, size_t sz, size_t *cap)
{
    void *d = np_xmalloc((n ? n : 1) * sz);
    if (n)
        memcpy(d, src, n * sz);
    if (cap)
        *cap = n ? n : 1;
    return d;
}

/* An arena copy, with one spare element as the decoder and merge allocate them. */
static void *arena_dup(np_arena *a, const void *src, size_t n, size_t sz)
{
    void *d = np_arena_alloc(a, (n + 1) * sz);
    if (n)
        memcpy(d, src, n * sz);
    return d;
}

/* Each sample's stack, values and labels, and each location's lines, are the copy's own:
 * filters and aggregation rewrite them in place. */
static void own_per_record_arrays(np_profile *c)
{
    for (size_t i = 0; i < c->n_sample; i++) {
        np_sample *s = &c->sample[i];
        s->loc = arena_dup(&c->arena, s->loc, s->n_loc, sizeof *s->loc);
        s->value = arena_dup(&c->arena, s->value, c->n_sample_type, sizeof *s->value);
        if (s->n_label)
            s->label = arena_dup(&c->arena, s->label, s->n_label, sizeof *s->label);
    }
    for (size_t i = 0; i < c->n_location; i++) {
        np_location *l = &c->location[i];
        if (l->n_line)
            l->line = arena_dup(&c->arena, l->line, l->n_line, sizeof *l->line);
    }
}

np_profile *np_profile_clone(const np_profile *p)
{
    np_profile *c = np_profile_new();
    np_arena arena = c->arena;
    *c = *p;
    c->arena = arena;
    c->sample_type = dup_array(p->sample_type, p->n_sample_type, sizeof *p->sample_type, NULL);
    c->sample = dup_array(p->sample, p->n_sample, sizeof *p->sample, &c->cap_sample);
    c->mapping = dup_array(p->mapping, p->n_mapping, sizeof *p->mapping, &c->cap_mapping);
    c->location = dup_array(p->location, p->n_location, sizeof *p->location, &c->cap_location);
    c->function = dup_array(p->function, p->n_function, sizeof *p->function, &c->cap_function);
    c->comment = dup_array(p->comment, p->n_comment, sizeof *p->comment, &c->cap_comment);
    own_per_record_arrays(c);
    return c;
}

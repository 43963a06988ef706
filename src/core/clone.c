/* np_profile_clone: a profile's records copied into a new profile that shares its strings. */
#include "core/clone.h"

#include <stdlib.h>
#include <string.h>

/* A heap copy of n elements of size sz (at least one element, so that it is never NULL). */
static void *dup_array(const void *src, size_t n, size_t sz)
{
    void *d = np_xmalloc((n ? n : 1) * sz);
    if (n)
        memcpy(d, src, n * sz);
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

static void clone_samples(np_profile *c, const np_profile *p)
{
    c->sample = dup_array(p->sample, p->n_sample, sizeof *p->sample);
    c->n_sample = p->n_sample;
    c->cap_sample = p->n_sample ? p->n_sample : 1;
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &c->sample[i];
        s->loc = arena_dup(&c->arena, s->loc, s->n_loc, sizeof *s->loc);
        s->value = arena_dup(&c->arena, s->value, p->n_sample_type, sizeof *s->value);
        if (s->n_label)
            s->label = arena_dup(&c->arena, s->label, s->n_label, sizeof *s->label);
    }
}

static void clone_locations(np_profile *c, const np_profile *p)
{
    c->location = dup_array(p->location, p->n_location, sizeof *p->location);
    c->n_location = p->n_location;
    c->cap_location = p->n_location ? p->n_location : 1;
    for (size_t i = 0; i < p->n_location; i++) {
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
    c->sample_type = dup_array(p->sample_type, p->n_sample_type, sizeof *p->sample_type);
    c->mapping = dup_array(p->mapping, p->n_mapping, sizeof *p->mapping);
    c->cap_mapping = p->n_mapping ? p->n_mapping : 1;
    c->function = dup_array(p->function, p->n_function, sizeof *p->function);
    c->cap_function = p->n_function ? p->n_function : 1;
    c->comment = dup_array(p->comment, p->n_comment, sizeof *p->comment);
    c->cap_comment = p->n_comment ? p->n_comment : 1;
    clone_samples(c, p);
    clone_locations(c, p);
    return c;
}

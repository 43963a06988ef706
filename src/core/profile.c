/* Profile model lifetime, construction helpers and consistency checks. */
#include "core/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/gofmt.h"

np_profile *np_profile_new(void)
{
    np_profile *p = np_xcalloc(1, sizeof *p);
    p->drop_frames = p->keep_frames = p->default_sample_type = "";
    p->period_type.type = p->period_type.unit = "";
    return p;
}

void np_profile_free(np_profile *p)
{
    if (!p)
        return;
    free(p->sample);
    free(p->mapping);
    free(p->location);
    free(p->function);
    free(p->comment);
    free(p->sample_type);
    np_arena_free(&p->arena);
    free(p);
}

const char *np_profile_strn(np_profile *p, const char *s, size_t n)
{
    if (!s || n == 0)
        return "";
    return np_arena_strndup(&p->arena, s, n);
}

const char *np_profile_str(np_profile *p, const char *s)
{
    return s ? np_profile_strn(p, s, strlen(s)) : "";
}

np_sample *np_profile_add_sample(np_profile *p)
{
    return NP_PUSH(p->sample, p->n_sample, p->cap_sample);
}

np_mapping *np_profile_add_mapping(np_profile *p)
{
    np_mapping *m = NP_PUSH(p->mapping, p->n_mapping, p->cap_mapping);
    m->file = m->build_id = "";
    return m;
}

np_location *np_profile_add_location(np_profile *p)
{
    np_location *l = NP_PUSH(p->location, p->n_location, p->cap_location);
    l->mapping = NP_NONE;
    return l;
}

np_function *np_profile_add_function(np_profile *p)
{
    np_function *f = NP_PUSH(p->function, p->n_function, p->cap_function);
    f->name = f->system_name = f->filename = "";
    return f;
}

void np_profile_add_comment(np_profile *p, const char *c)
{
    *NP_PUSH(p->comment, p->n_comment, p->cap_comment) = np_profile_str(p, c);
}

void np_profile_set_sample_types(np_profile *p, size_t n, const np_value_type *types)
{
    free(p->sample_type);
    p->sample_type = np_xcalloc(n, sizeof *types);
    for (size_t i = 0; i < n; i++) {
        p->sample_type[i].type = np_profile_str(p, types[i].type);
        p->sample_type[i].unit = np_profile_str(p, types[i].unit);
    }
    p->n_sample_type = n;
}

/* Insertion sort: a sample has few labels, and it is stable. */
void np_labels_sort(np_label *l, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        np_label x = l[i];
        uint32_t j = i;
        for (; j > 0; j--) {
            int xn = !x.str[0], yn = !l[j - 1].str[0];
            if (yn < xn || (yn == xn && strcmp(l[j - 1].key, x.key) <= 0))
                break;
            l[j] = l[j - 1];
        }
        l[j] = x;
    }
}

int np_profile_check(const np_profile *p, np_err *err)
{
    if (p->n_sample_type == 0 && p->n_sample)
        return np_fail(err, "missing sample type information");
    for (size_t i = 0; i < p->n_location; i++) {
        const np_location *l = &p->location[i];
        if (l->mapping != NP_NONE && l->mapping >= p->n_mapping)
            return np_fail(err, "location %llu has an invalid mapping", (unsigned long long)l->id);
        for (uint32_t j = 0; j < l->n_line; j++)
            if (l->line[j].func >= p->n_function)
                return np_fail(err, "location id: %llu has a line with nil function",
                               (unsigned long long)l->id);
    }
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        for (uint32_t j = 0; j < s->n_loc; j++)
            if (s->loc[j] >= p->n_location)
                return np_fail(err, "sample has nil location");
    }
    return 0;
}

/* strconv.Atoi: an optional sign and decimal digits, nothing else, within 64 bits. */
static bool go_atoi(const char *s, long long *out)
{
    const char *d = s + (s[0] == '+' || s[0] == '-');
    if (*d < '0' || *d > '9')
        return false;
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return *end == 0 && errno == 0;
}

int np_profile_sample_index(const np_profile *p, const char *name, int *out, np_err *err)
{
    if (!name[0]) {
        for (size_t i = 0; p->default_sample_type && p->default_sample_type[0] && i < p->n_sample_type; i++) {
            if (strcmp(p->sample_type[i].type, p->default_sample_type) == 0) {
                *out = (int)i;
                return 0;
            }
        }
        *out = (int)p->n_sample_type - 1;
        return 0;
    }
    long long v;
    if (go_atoi(name, &v)) {
        if (v < 0 || (unsigned long long)v >= p->n_sample_type)
            return np_fail(err, "sample_index %s is outside the range [0..%d]", name, (int)p->n_sample_type - 1);
        *out = (int)v;
        return 0;
    }
    const char *no_inuse = strncmp(name, "inuse_", 6) == 0 ? name + 6 : name;
    for (size_t i = 0; i < p->n_sample_type; i++) {
        if (strcmp(p->sample_type[i].type, name) == 0 || strcmp(p->sample_type[i].type, no_inuse) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    np_buf msg = {0};
    np_buf_puts(&msg, "sample_index ");
    np_go_quote(&msg, name);
    np_buf_puts(&msg, " must be one of: [");
    for (size_t i = 0; i < p->n_sample_type; i++)
        np_buf_printf(&msg, "%s%s", i ? " " : "", p->sample_type[i].type);
    np_fail(err, "%s]", np_buf_cstr(&msg));
    np_buf_free(&msg);
    return -1;
}

/* The flame page's search keys. -focus matches a location by its lines' function names and file
 * names and by its mapping's file, before aggregation blanks some of them; the page gets the
 * same strings for every name it shows, so that its search keeps what -focus keeps. */
#include "analyze/report/flamematch.h"

#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"

/* A name's key references, without repeats. */
typedef struct refs {
    uint32_t *v;
    size_t n, cap;
} refs;

typedef struct keyset {
    np_hmap index; /* string -> reference: names first, then extra keys */
    const char **extra;
    size_t n_names, n_extra, cap_extra;
    refs *of;      /* per name */
} keyset;

void np_report_keep_match_names(np_report *r)
{
    const np_profile *p = r->p;
    free(r->match_names);
    r->match_names = np_xcalloc(2 * p->n_function + 1, sizeof *r->match_names);
    for (size_t i = 0; i < p->n_function; i++) {
        r->match_names[2 * i] = p->function[i].name;
        r->match_names[2 * i + 1] = p->function[i].filename;
    }
}

static uint32_t key_ref(keyset *k, const char *s)
{
    bool found;
    uint32_t ref = np_hmap_intern(&k->index, s, strlen(s), (uint32_t)(k->n_names + k->n_extra), &found);
    if (!found) {
        np_grow(&k->extra, &k->cap_extra, k->n_extra + 1, sizeof *k->extra);
        k->extra[k->n_extra++] = s;
    }
    return ref;
}

static void add_key(keyset *k, uint32_t name, const char *s)
{
    if (!s || !s[0])
        return;
    uint32_t ref = key_ref(k, s);
    refs *rf = &k->of[name];
    for (size_t i = 0; i < rf->n; i++)
        if (rf->v[i] == ref)
            return;
    np_grow(&rf->v, &rf->cap, rf->n + 1, sizeof *rf->v);
    rf->v[rf->n++] = ref;
}

/* The keys of one location: each line's function name and file (as they were before
 * aggregation) and the mapping's file go to the name its line is shown under. */
static void add_location(keyset *k, const np_report *r, np_graph *g, size_t li, const uint32_t *name_of)
{
    const np_profile *p = r->p;
    const np_location *l = &p->location[li];
    const char *obj = l->mapping != NP_NONE ? p->mapping[l->mapping].file : "";
    for (uint32_t i = 0; i < g->loc_n[li]; i++) {
        uint32_t node = g->loc_nodes[li][i];
        if (node == NP_NONE || name_of[node] == UINT32_MAX)
            continue;
        uint32_t func = i < l->n_line ? l->line[i].func : NP_NONE;
        if (func != NP_NONE) {
            const np_function *fn = &p->function[func];
            add_key(k, name_of[node], r->match_names ? r->match_names[2 * func] : fn->name);
            add_key(k, name_of[node], r->match_names ? r->match_names[2 * func + 1] : fn->filename);
        }
        add_key(k, name_of[node], obj);
    }
}

static void put_refs(const keyset *k, np_buf *out)
{
    np_buf_puts(out, ",\n\"match\":[");
    for (size_t i = 0; i < k->n_names; i++) {
        np_buf_puts(out, i ? (i % 64 ? ",[" : ",\n[") : "[");
        for (size_t j = 0; j < k->of[i].n; j++)
            np_buf_printf(out, j ? ",%u" : "%u", k->of[i].v[j]);
        np_buf_putc(out, ']');
    }
    np_buf_putc(out, ']');
}

void np_flame_match_write(const np_report *r, const np_flame *f, const char *const *names, size_t n_names,
                          np_buf *out)
{
    keyset k = {.n_names = n_names};
    np_hmap_init(&k.index, n_names * 2 + 16);
    k.of = np_xcalloc(n_names + 1, sizeof *k.of);
    bool found;
    for (size_t i = 0; i < n_names; i++)
        np_hmap_intern(&k.index, names[i], strlen(names[i]), (uint32_t)i, &found);
    np_graph *g = f->names;
    uint32_t *name_of = np_xmalloc((g->n_all + 1) * sizeof *name_of);
    for (size_t j = 0; j < g->n_all; j++) {
        const char *s = np_node_name(g, &g->all[j]);
        name_of[j] = np_hmap_get(&k.index, s, strlen(s));
        name_of[j] = name_of[j] < n_names ? name_of[j] : UINT32_MAX;
    }
    for (size_t li = 0; li < r->p->n_location; li++)
        add_location(&k, r, g, li, name_of);
    np_flame_put_strings(out, "keys", k.extra, k.n_extra);
    put_refs(&k, out);
    for (size_t i = 0; i < n_names; i++)
        free(k.of[i].v);
    free(k.of);
    free(name_of);
    free(k.extra);
    np_hmap_free(&k.index);
}

/* Reads DOT text, the subset that graph reports write (nodes, edges, attribute lists, default
 * attributes, subgraphs and clusters), into lists that the in-process drawing lays out. */
#ifndef NP_DOTREAD_H
#define NP_DOTREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hmap.h"
#include "core/util.h"

typedef struct np_dot_attr {
    const char *key, *val; /* val as written between quotes, with \" made " */
} np_dot_attr;

typedef struct np_dot_attrs {
    np_dot_attr *a;
    size_t n, cap;
} np_dot_attrs;

typedef struct np_dot_node {
    const char *name;
    np_dot_attrs attrs;
    uint32_t cluster;   /* 1 + the index of the innermost cluster declaring it, or 0 */
} np_dot_node;

typedef struct np_dot_edge {
    uint32_t from, to;
    np_dot_attrs attrs;
} np_dot_edge;

typedef struct np_dot_graph {
    const char *name;
    np_dot_node *node;
    size_t n_node, cap_node;
    np_dot_edge *edge;
    size_t n_edge, cap_edge;
    const char **cluster;  /* the clusters' names */
    size_t n_cluster, cap_cluster;
    np_arena arena;        /* every string */
    np_hmap names;         /* node name -> index */
} np_dot_graph;

/* Parses text (NUL-terminated) into g; on error fills err ("DOT text: ... at offset N"),
 * and g must still be freed. */
int np_dot_read(const char *text, np_dot_graph *g, np_err *err);
void np_dot_free(np_dot_graph *g);
/* The value of key (its last setting), or NULL. */
const char *np_dot_get(const np_dot_attrs *a, const char *key);

#endif

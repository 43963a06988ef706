/* Dense ids for the part of a graph node's info besides its address and line (its names, file,
 * object file and start line), so that the graph builder keys nodes by three numbers. */
#ifndef NP_GRAPH_CLASS_H
#define NP_GRAPH_CLASS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hmap.h"
#include "core/util.h"

typedef struct np_graph_class {
    np_hmap index; /* np_graph_class_key -> id */
    np_buf key;    /* the key of the last np_graph_class_of */
    uint32_t count;
} np_graph_class;

/* The key that tells classes apart: the start line, then the four strings with their NULs. */
void np_graph_class_key(np_buf *k, const char *const strs[4], int64_t start_line);

void np_graph_class_init(np_graph_class *c, size_t expect);
void np_graph_class_free(np_graph_class *c);
/* The id of name, orig_name, file and objfile (strs, none NULL) with start_line: equal for
 * equal contents, numbered from 0 in order of first sight; *is_new tells a first sight. */
uint32_t np_graph_class_of(np_graph_class *c, const char *const strs[4], int64_t start_line,
                           bool *is_new);

#endif

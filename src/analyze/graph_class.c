/* The ids of np_graph_class, interned by their key (a NUL ends each string, so no two contents
 * make one key). */
#include "analyze/graph_class.h"

#include <string.h>

void np_graph_class_init(np_graph_class *c, size_t expect)
{
    np_hmap_init(&c->index, expect);
    c->key = (np_buf){0};
    c->count = 0;
}

void np_graph_class_free(np_graph_class *c)
{
    np_hmap_free(&c->index);
    np_buf_free(&c->key);
}

void np_graph_class_key(np_buf *k, const char *const strs[4], int64_t start_line)
{
    k->len = 0;
    np_buf_add(k, &start_line, sizeof start_line);
    for (int j = 0; j < 4; j++)
        np_buf_add(k, strs[j], strlen(strs[j]) + 1);
}

uint32_t np_graph_class_of(np_graph_class *c, const char *const strs[4], int64_t start_line,
                           bool *is_new)
{
    np_graph_class_key(&c->key, strs, start_line);
    bool found;
    uint32_t id = np_hmap_intern(&c->index, c->key.data, c->key.len, c->count, &found);
    if (!found)
        c->count++;
    *is_new = !found;
    return id;
}

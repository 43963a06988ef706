/* Unit tests for the graph builder's class ids (analyze/graph_class.c): equal contents get one
 * id whatever their pointers, ids are dense in order of first sight, and contents that differ
 * in one string, in where a string ends, or in the start line get ids of their own. */
#include <stdint.h>

#include "analyze/graph_class.h"
#include "unit.h"

static uint32_t id_of(np_graph_class *c, const char *a, const char *b, const char *f,
                      const char *o, int64_t start, bool *is_new)
{
    const char *strs[4] = {a, b, f, o};
    return np_graph_class_of(c, strs, start, is_new);
}

TEST(graph_class_gives_equal_contents_one_id)
{
    np_graph_class c;
    np_graph_class_init(&c, 0);
    bool is_new;
    char name[] = "main.f", copy[] = "main.f";
    CHECK(id_of(&c, name, "", "a.go", "", 0, &is_new) == 0 && is_new);
    CHECK(id_of(&c, copy, "", "a.go", "", 0, &is_new) == 0 && !is_new);
    CHECK(id_of(&c, "main.g", "", "a.go", "", 0, &is_new) == 1 && is_new);
    CHECK(id_of(&c, name, "", "a.go", "", 0, &is_new) == 0 && !is_new);
    CHECK(c.count == 2);
    np_graph_class_free(&c);
}

TEST(graph_class_keeps_contents_that_differ_apart)
{
    np_graph_class c;
    np_graph_class_init(&c, 0);
    bool is_new;
    id_of(&c, "ab", "", "", "", 0, &is_new);
    /* The same characters split differently between the strings, a start line, an object. */
    CHECK(id_of(&c, "a", "b", "", "", 0, &is_new) == 1 && is_new);
    CHECK(id_of(&c, "", "ab", "", "", 0, &is_new) == 2 && is_new);
    CHECK(id_of(&c, "ab", "", "", "", 7, &is_new) == 3 && is_new);
    CHECK(id_of(&c, "ab", "", "", "x", 0, &is_new) == 4 && is_new);
    CHECK(id_of(&c, "ab", "", "x", "", 0, &is_new) == 5 && is_new);
    enum { N = 20000 };
    int bad = 0;
    char buf[32];
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "f%d", i);
        bad += id_of(&c, buf, "", "", "", 0, &is_new) != (uint32_t)(6 + i) || !is_new;
    }
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "f%d", i);
        bad += id_of(&c, buf, "", "", "", 0, &is_new) != (uint32_t)(6 + i) || is_new;
    }
    CHECK(bad == 0);
    np_graph_class_free(&c);
}

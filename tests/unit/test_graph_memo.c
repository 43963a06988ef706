/* Unit tests for the graph builder's integer-keyed node memo (analyze/graph_memo.c): every
 * key of a large set, NP_NONE halves included, is found again after the table has grown many
 * times, with the value it was given, and keys differing in one field stay apart. */
#include <stdint.h>

#include "analyze/graph_memo.h"
#include "unit.h"

static void key_of(uint32_t i, uint64_t *address, int64_t *line, uint32_t *func, uint32_t *map)
{
    /* Unique by function, or by address where the function is NP_NONE. */
    *func = i % 11 == 0 ? UINT32_MAX : i;
    *address = i % 3 && *func != UINT32_MAX ? 0 : 0x400000 + (uint64_t)i * 16;
    *line = i % 5 == 0 ? -1 : (int64_t)(i / 7);
    *map = i % 13 == 0 ? UINT32_MAX : i % 4;
}

static uint32_t *find_key(np_graph_memo *m, uint32_t i, bool *found)
{
    uint64_t a;
    int64_t l;
    uint32_t f, mp;
    key_of(i, &a, &l, &f, &mp);
    return np_graph_memo_find(m, a, l, f, mp, found);
}

TEST(graph_memo_finds_every_key_after_growing)
{
    np_graph_memo m;
    np_graph_memo_init(&m, 4);
    enum { N = 50000 };
    bool found;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t *v = find_key(&m, i, &found);
        CHECK(!found);
        *v = i * 3;
    }
    CHECK(m.count == N);
    int bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t *v = find_key(&m, i, &found);
        bad += !found || *v != i * 3;
    }
    CHECK(bad == 0);
    CHECK(m.count == N);
    np_graph_memo_free(&m);
}

TEST(graph_memo_keeps_keys_that_differ_in_one_field_apart)
{
    np_graph_memo m;
    np_graph_memo_init(&m, 0);
    bool found;
    *np_graph_memo_find(&m, 0, 0, UINT32_MAX, UINT32_MAX, &found) = 1;
    CHECK(!found);
    const uint64_t keys[][4] = {{1, 0, UINT32_MAX, UINT32_MAX}, {0, 1, UINT32_MAX, UINT32_MAX},
                                {0, 0, 0, UINT32_MAX}, {0, 0, UINT32_MAX, 0}};
    for (int i = 0; i < 4; i++) {
        uint32_t *v = np_graph_memo_find(&m, keys[i][0], (int64_t)keys[i][1], (uint32_t)keys[i][2],
                                         (uint32_t)keys[i][3], &found);
        CHECK(!found);
        *v = 10 + (uint32_t)i;
    }
    CHECK(*np_graph_memo_find(&m, 0, 0, UINT32_MAX, UINT32_MAX, &found) == 1 && found);
    CHECK(*np_graph_memo_find(&m, 0, 0, 0, UINT32_MAX, &found) == 12 && found);
    CHECK(m.count == 5);
    np_graph_memo_free(&m);
}

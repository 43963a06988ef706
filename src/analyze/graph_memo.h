/* The graph builder's memo of nodes by the numbers a location line is made of (address, line,
 * function and mapping indices): a table keyed by integers, cheaper than a node's strings. */
#ifndef NP_GRAPH_MEMO_H
#define NP_GRAPH_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_graph_memo_slot {
    uint64_t address;
    int64_t line;
    uint64_t ids; /* function << 32 | mapping */
    uint32_t value;
    uint32_t used;
} np_graph_memo_slot;

typedef struct np_graph_memo {
    np_graph_memo_slot *slot;
    size_t mask, count;
} np_graph_memo;

void np_graph_memo_init(np_graph_memo *m, size_t expect);
void np_graph_memo_free(np_graph_memo *m);
/* The value stored for the key, which the caller fills in when *found is false. */
uint32_t *np_graph_memo_find(np_graph_memo *m, uint64_t address, int64_t line, uint32_t func,
                             uint32_t mapping, bool *found);

#endif

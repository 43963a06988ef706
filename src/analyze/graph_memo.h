/* The graph builder's memo of nodes by the numbers a location line is made of (address, line,
 * function and mapping indices): a table keyed by integers, cheaper than a node's strings. */
#ifndef NP_GRAPH_MEMO_H
#define NP_GRAPH_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_graph_memo_entry {
    uint64_t address;
    int64_t line;
    uint64_t ids; /* function << 32 | mapping */
    uint32_t value;
} np_graph_memo_entry;

/* The entries are kept in order of insertion, and the table holds, per slot, part of the key's
 * hash beside its entry's number: a slot is 8 bytes, so the table of a large graph stays in
 * cache, and most probes never read an entry. */
typedef struct np_graph_memo {
    uint64_t *slot; /* hash tag << 32 | entry number + 1; 0 = empty */
    np_graph_memo_entry *entry;
    size_t mask, count, cap_entry;
} np_graph_memo;

void np_graph_memo_init(np_graph_memo *m, size_t expect);
void np_graph_memo_free(np_graph_memo *m);
/* The value stored for the key, which the caller fills in when *found is false; the pointer
 * holds until the next find. */
uint32_t *np_graph_memo_find(np_graph_memo *m, uint64_t address, int64_t line, uint32_t func,
                             uint32_t mapping, bool *found);

#endif

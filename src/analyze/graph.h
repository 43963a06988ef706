/* The call graph pprof builds from a profile for its reports: nodes keyed by what the report
 * granularity keeps (function, file, line, address, object), flat and cumulative weights,
 * caller->callee edges, and the trimming steps (low-frequency nodes and edges, top-N nodes,
 * redundant edges) that decide what a report shows. */
#ifndef NP_GRAPH_H
#define NP_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hmap.h"
#include "core/profile.h"

typedef struct np_node_info {
    const char *name, *orig_name, *file, *objfile; /* never NULL */
    uint64_t address;
    int64_t start_line, lineno;
} np_node_info;

typedef struct np_tag {
    const char *name, *unit;
    int64_t value, flat, flat_div, cum, cum_div;
} np_tag;

typedef struct np_tagmap {
    np_tag *tag;
    size_t n, cap;
} np_tagmap;

/* Numeric tags are grouped by the sample's joined string labels, as pprof does. */
typedef struct np_numtags {
    const char *labels;
    np_tagmap tags;
} np_numtags;

typedef struct np_node {
    np_node_info info;
    uint32_t function; /* the node of the same function at address 0/line 0 */
    int64_t flat, flat_div, cum, cum_div;
    uint32_t *in, *out; /* edge indices; dead edges are removed eagerly */
    size_t n_in, cap_in, n_out, cap_out;
    np_tagmap label_tags;
    np_numtags *num_tags;
    size_t n_num_tags, cap_num_tags;
    uint32_t seen; /* scratch for per-sample deduplication */
    char *printable; /* cached printable name */
} np_node;

typedef struct np_edge {
    uint32_t src, dest;
    int64_t weight, weight_div;
    bool residual, is_inline, dead;
    uint32_t seen;
} np_edge;

/* Which nodes survive a rebuild: a set of node infos (pprof's NodeSet). */
typedef struct np_nodeset {
    np_hmap keys;
    np_hmap classes; /* the infos' keys without address and line (graph_class.h) */
    np_hmap names;   /* the infos' names */
} np_nodeset;

typedef struct np_graph_opts {
    int value_index;        /* sample value to use */
    int mean_index;         /* divisor value index for -mean, or -1 */
    bool obj_names;         /* keep object file names (raw, list, callgrind, ...) */
    bool orig_fn_names;
    bool call_tree;
    bool drop_negative;
    bool tags;              /* collect label and numeric tags (dot) */
    const char *output_unit;/* for numeric tag formatting */
    const char *const *num_label_units; /* key,unit,key,unit,...,NULL pairs for numeric tags */
    const np_nodeset *kept; /* NULL: keep all */
    bool weights_only;      /* nodes and their flat/cum only: no edges, no tags (for a graph that
                             * is read only to decide which nodes to keep) */
    const bool *func_kept;  /* NULL: every function; else by function index, whether its lines
                             * make nodes (-list asks for a few functions of many) */
    bool nofunc_kept;       /* with func_kept: whether lines without a function make nodes */
} np_graph_opts;

typedef struct np_graph {
    np_node *all;     /* every node created */
    size_t n_all, cap_all;
    uint32_t *nodes;  /* the graph's node list (indices into all), in report order */
    size_t n_nodes;
    np_edge *edges;
    size_t n_edges, cap_edges;
    np_hmap node_index; /* serialized node info -> index into all */
    /* (src,dest) -> edge index, open addressing on the pair packed in 64 bits (a generic
     * byte-string map costs several times more on the per-frame path of graph building) */
    uint64_t *edge_keys;  /* NULL until first needed */
    uint32_t *edge_vals;  /* UINT32_MAX: empty slot */
    size_t edge_mask, edge_count;
    unsigned edge_bits;
    uint32_t **loc_nodes; /* per location index: its nodes, one per line (NP_NONE when dropped) */
    uint32_t *loc_n;
    np_arena arena;
} np_graph;

np_graph *np_graph_new(const np_profile *p, const np_graph_opts *o);
void np_graph_free(np_graph *g);

/* Only builds nodes (CreateNodes), for traces: loc_nodes is filled, nodes is empty. */
np_graph *np_graph_nodes_only(const np_profile *p, const np_graph_opts *o);

static inline np_node *np_graph_node(const np_graph *g, size_t i) { return &g->all[g->nodes[i]]; }
int64_t np_node_flat(const np_node *n);
int64_t np_node_cum(const np_node *n);
int64_t np_edge_weight_value(const np_edge *e);
/* NodeInfo.PrintableName (cached). */
const char *np_node_name(np_graph *g, np_node *n);
void np_node_info_name(const np_node_info *i, np_buf *b);

/* Sums of flat and cum over the graph's nodes. */
void np_graph_sum(const np_graph *g, int64_t *flat, int64_t *cum);

enum np_node_order { NP_ORDER_FLAT, NP_ORDER_FLAT_CUM, NP_ORDER_CUM, NP_ORDER_NAME,
                     NP_ORDER_FILE, NP_ORDER_ADDRESS, NP_ORDER_ENTROPY };
void np_graph_sort(np_graph *g, enum np_node_order order);
void np_graph_sort_nodes(np_graph *g, bool cum, bool visual);

/* Node sets and trimming, as pprof's DiscardLowFrequencyNodes / SelectTopNodes. */
void np_nodeset_init(np_nodeset *s);
void np_nodeset_free(np_nodeset *s);
size_t np_graph_discard_low_frequency(const np_graph *g, int64_t cutoff, np_nodeset *kept);
size_t np_graph_select_top(np_graph *g, int max_nodes, bool visual, np_nodeset *kept);
/* Pointer-set variants for call trees: mark[] has one flag per node in g->all. */
size_t np_graph_discard_low_frequency_ptrs(const np_graph *g, int64_t cutoff, bool *mark);
size_t np_graph_select_top_ptrs(np_graph *g, int max_nodes, bool visual, bool *mark);
void np_graph_trim_tree(np_graph *g, const bool *kept);
void np_graph_trim_low_frequency_tags(np_graph *g, int64_t cutoff);
int np_graph_trim_low_frequency_edges(np_graph *g, int64_t cutoff);
void np_graph_remove_redundant_edges(np_graph *g);

/* Sorts edge indices in pprof's edge order (EdgeMap.Sort, edgeList.Less). */
void np_graph_sort_edges(np_graph *g, uint32_t *edges, size_t k);
/* A node's in or out edges sorted as pprof's EdgeMap.Sort; caller frees. */
uint32_t *np_graph_sorted_edges(np_graph *g, const np_node *n, bool in, size_t *count);
/* Tags sorted as pprof's SortTags; caller frees the returned pointer array. */
np_tag **np_sort_tags(np_tag *const *tags, size_t n, bool flat);
/* pprof's ShortenFunctionName (package paths, Java packages, C++ namespaces), appended to out. */
void np_shorten_function_name(const char *f, np_buf *out);

#endif

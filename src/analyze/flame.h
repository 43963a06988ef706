/* The merged call tree behind every flame picture (folded stacks, the text icicle, flame graphs,
 * their diffs): one box per distinct call path from the root, pruned and capped here so that
 * no renderer ever has to hold a tree larger than it can draw. */
#ifndef NP_FLAME_H
#define NP_FLAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/graph.h"
#include "core/profile.h"

/* Sums of samples that have no frame: pprof's filters always drop them, yet its totals count
 * them, so a caller that saw them before filtering may hand them back to the root. */
typedef struct np_flame_extra {
    int64_t value, base, div;
} np_flame_extra;

typedef struct np_flame_opts {
    int value_index;     /* the sample value to use */
    int mean_index;      /* -mean's divisor value, or -1 */
    double min_fraction; /* children lighter than this share of the root merge into one box per
                          * parent; 0 keeps every frame */
    size_t max_boxes;    /* at most this many boxes (merged boxes included); 0: no cap */
    int max_depth;       /* frames deeper than this (the root is 0) are left out; 0: no limit */
    np_flame_extra frameless; /* added to the root's own value */
} np_flame_opts;

typedef struct np_flame_node {
    const char *name; /* printable frame name (granularity decides); "root" for the root;
                       * NULL for a merged box */
    uint32_t end;     /* one past the subtree: nodes are in preorder, children by name */
    uint32_t parent;  /* NP_NONE for the root */
    uint32_t depth;   /* 0 for the root */
    uint32_t merged;  /* a merged box: how many sibling frames (with their subtrees) it holds */
    int64_t total;    /* sum of the values of the samples through this box (signed: a -base or
                       * -diff_base profile has subtracted samples) */
    int64_t self;     /* the part of total whose stack ends here */
} np_flame_node;

/* A (total, self) pair for the optional per-node figures. */
typedef struct np_flame_part {
    int64_t total, self;
} np_flame_part;

typedef struct np_flame {
    np_flame_node *node;  /* node[0] is the root */
    size_t n;
    np_flame_part *base;  /* with -diff_base: per node, the base samples' share (as subtracted,
                           * so <= 0); node.total - base.total is then the new profile's value.
                           * NULL when the profile has no diff base samples */
    np_flame_part *div;   /* with -mean: per node, the sums of the divisor value; else NULL */
    size_t full_nodes;    /* boxes of the merged tree before pruning (root included) */
    int64_t cutoff;       /* the lightest weight kept (raised above min_fraction by the cap) */
    np_graph *names;      /* owns the frame names */
} np_flame;

/* Builds the tree of p as it stands (filtered and aggregated by the caller). Each location's
 * inlined lines are frames of their own, outermost first. The caller frees it with
 * np_flame_free. */
np_flame *np_flame_build(const np_profile *p, const np_flame_opts *o);
void np_flame_free(np_flame *f);

/* Calls fn once per distinct stack (root first, inlined frames as frames of their own), in the
 * tree's preorder, with the sums of the samples that end exactly there: value (signed), the
 * diff base's part of it (<= 0, or 0) and the -mean divisor (0 without -mean). Holds only the
 * stacks, never the tree: for exporters that want every frame (-folded). Samples without
 * frames come first, as a stack of depth 0. */
typedef void (*np_flame_stack_fn)(void *ctx, const char *const *names, size_t depth, int64_t value,
                                  int64_t base, int64_t div);
void np_flame_each_stack(const np_profile *p, const np_flame_opts *o, np_flame_stack_fn fn, void *ctx);
/* The sums of p's samples without frames, at value_index (and mean_index unless -1). */
np_flame_extra np_flame_frameless(const np_profile *p, int value_index, int mean_index);
/* Whether the profile has samples of a -diff_base profile (np_flame.base is then set). */
bool np_flame_has_base(const np_profile *p);

/* What a renderer shows for node i: its total or self, divided by the -mean divisor when
 * there is one. */
int64_t np_flame_total(const np_flame *f, size_t i);
int64_t np_flame_self(const np_flame *f, size_t i);
/* The new profile's part of node i's total (equal to np_flame_total without a diff base). */
int64_t np_flame_new_total(const np_flame *f, size_t i);
/* The label of node i: its name, or "[N frames]" for a merged box. Appended to out. */
void np_flame_label(const np_flame *f, size_t i, np_buf *out);

#endif

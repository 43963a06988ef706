/* A layered drawing of a directed graph, made in-process for the web UI's Graph view: ranks,
 * the order within each rank, coordinates, and each edge as a curve. The caller owns the
 * graph; np_layout_run fills in the outputs. Sizes are in points and y grows downwards. */
#ifndef NP_LAYOUT_H
#define NP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_lay_pt {
    double x, y;
} np_lay_pt;

typedef struct np_lay_node {
    double w, h;      /* in: the box */
    bool pinned;      /* in: kept first (leftmost) in the top rank: the legend */
    double x, y;      /* out: the box's centre */
} np_lay_node;

typedef struct np_lay_edge {
    uint32_t from, to;
    int weight;       /* in: >= 1; heavier edges are kept shorter and straighter */
    int minlen;       /* in: >= 1 ranks between the two ends */
    double lw, lh;    /* in: the label's size, 0 x 0 for none */
    /* out: a cubic Bezier from the tail's box to just before the head's arrow
     * (1 + 3k points), the arrow (tip and the middle of its base), and the label's
     * left-middle point. Self-loops loop on the right of their node. */
    np_lay_pt *pts;
    size_t n_pts;
    np_lay_pt tip, base;
    double lx, ly;
} np_lay_edge;

typedef struct np_layout {
    np_lay_node *node;
    size_t n_node;
    np_lay_edge *edge;
    size_t n_edge;
    double arrow_len;  /* in: the arrowhead's length (points, default 10) */
    double width, height; /* out: everything drawn lies in [0, width] x [0, height] */
} np_layout;

/* Lays the graph out. Edges whose ends are out of range are drawn as nothing (n_pts 0). */
void np_layout_run(np_layout *g);
/* Frees what np_layout_run allocated (the edges' points), not the caller's arrays. */
void np_layout_free(np_layout *g);

#endif

/* The layered layout of layout.h, in the classic steps: edges turned to point down, ranks,
 * chains of virtual nodes for edges across ranks (one of them holds the label), an order in
 * each rank that crosses few edges, x by weighted least squares under the order, curves. */
#include "analyze/report/layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Space between neighbours in a rank (points): real boxes, a box and an edge, two edges. */
#define SEP_REAL 18.0
#define SEP_MIXED 10.0
#define SEP_EDGE 6.0
/* Space between a rank's tallest box and the next rank. */
#define RANK_GAP 14.0
#define MARGIN 4.0
#define ORDER_ROUNDS 24
#define X_ROUNDS 24
/* Past this many nodes and edge pieces the rounds are fewer, in proportion (at least 4), so
 * that a graph of thousands of nodes is drawn in a second or two rather than in minutes. */
#define ROUND_BUDGET 20000
#define SELF_LOOP 30.0

typedef struct vnode {
    int rank;
    uint32_t pos;          /* index in its rank */
    double left, right, h; /* extents around x */
    double x, y;
    bool real, pinned;
} vnode;

/* A piece of an edge between adjacent ranks: up is in rank r, down in r + 1. */
typedef struct seg {
    uint32_t up, down;
    double w;
    double up_x, down_x;   /* where it leaves up and enters down */
} seg;

typedef struct lay {
    np_layout *g;
    vnode *v;
    size_t nv, cap_v;
    seg *s;
    size_t ns, cap_s;
    int n_ranks;
    uint32_t **rank;       /* vnode ids of each rank, in order */
    size_t *rank_len;
    uint32_t *up_off, *up_idx;     /* segments whose down end is a vnode (CSR) */
    uint32_t *down_off, *down_idx; /* segments whose up end is a vnode */
    uint32_t *chain_off, *chain;   /* each edge's vnodes, upper end first */
    bool *reversed, *self;
    uint32_t *order;       /* the real nodes in the sequence that orients the edges */
    int *vrank;            /* the real nodes' ranks */
} lay;

static bool edge_ok(const np_layout *g, const np_lay_edge *e)
{
    return e->from < g->n_node && e->to < g->n_node;
}

/* ---- edges that point up: the graph's nodes are put in a sequence, and the edges against it
 * are turned around. Two sequences are tried. A depth-first search from the nodes in their
 * order (as dot does) turns only the edges that close a cycle, so a call graph keeps its root
 * on top; on a large graph with much recursion, though, it can leave paths hundreds of ranks
 * long. Eades, Lin and Smyth's greedy sequence (sinks last, sources first, and otherwise the
 * node with the most outgoing over incoming edges next) turns more edges but keeps the
 * drawing short; it is used when the search's drawing would be more than twice as deep. ---- */

/* The real nodes' edges both ways, as CSR over edge indices (self-loops and bad ends left out). */
typedef struct adjacency {
    uint32_t *out_off, *out, *in_off, *in;
} adjacency;

static void adjacency_make(const np_layout *g, adjacency *a)
{
    size_t n = g->n_node;
    a->out_off = np_xcalloc(n + 2, sizeof *a->out_off);
    a->in_off = np_xcalloc(n + 2, sizeof *a->in_off);
    a->out = np_xcalloc(g->n_edge + 1, sizeof *a->out);
    a->in = np_xcalloc(g->n_edge + 1, sizeof *a->in);
    for (size_t e = 0; e < g->n_edge; e++)
        if (edge_ok(g, &g->edge[e]) && g->edge[e].from != g->edge[e].to) {
            a->out_off[g->edge[e].from + 2]++;
            a->in_off[g->edge[e].to + 2]++;
        }
    for (size_t i = 0; i < n; i++) {
        a->out_off[i + 2] += a->out_off[i + 1];
        a->in_off[i + 2] += a->in_off[i + 1];
    }
    /* Filled through the shifted offsets, which end as the lists' starts. */
    for (size_t e = 0; e < g->n_edge; e++)
        if (edge_ok(g, &g->edge[e]) && g->edge[e].from != g->edge[e].to) {
            a->out[a->out_off[g->edge[e].from + 1]++] = (uint32_t)e;
            a->in[a->in_off[g->edge[e].to + 1]++] = (uint32_t)e;
        }
}

static void adjacency_free(adjacency *a)
{
    free(a->out_off);
    free(a->out);
    free(a->in_off);
    free(a->in);
}

typedef struct sequencer {
    const np_layout *g;
    const adjacency *a;
    bool *gone;
    int64_t *outd, *ind;    /* edges to and from nodes still in play */
    uint32_t *queue;        /* nodes to look at again: they lost an edge */
    size_t head, tail, cap;
} sequencer;

/* Every node goes in once at the start and once more per edge it loses: the queue's room. */
static void requeue(sequencer *q, uint32_t u)
{
    if (q->tail < q->cap)
        q->queue[q->tail++] = u;
}

static void take(sequencer *q, uint32_t u)
{
    q->gone[u] = true;
    for (uint32_t k = q->a->out_off[u]; k < q->a->out_off[u + 1]; k++) {
        uint32_t w = q->g->edge[q->a->out[k]].to;
        if (!q->gone[w]) {
            q->ind[w]--;
            requeue(q, w);
        }
    }
    for (uint32_t k = q->a->in_off[u]; k < q->a->in_off[u + 1]; k++) {
        uint32_t w = q->g->edge[q->a->in[k]].from;
        if (!q->gone[w]) {
            q->outd[w]--;
            requeue(q, w);
        }
    }
}

/* pos[u]: u's place in the greedy sequence. */
static void sequence(const np_layout *g, const adjacency *a, uint32_t *pos)
{
    size_t n = g->n_node, first = 0, last = n;
    sequencer q = {g, a, np_xcalloc(n + 1, 1), np_xcalloc(n + 1, sizeof *q.outd),
                   np_xcalloc(n + 1, sizeof *q.ind), NULL, 0, 0, 2 * g->n_edge + n + 1};
    q.queue = np_xmalloc(q.cap * sizeof *q.queue);
    for (size_t u = 0; u < n; u++) {
        q.outd[u] = a->out_off[u + 1] - a->out_off[u];
        q.ind[u] = a->in_off[u + 1] - a->in_off[u];
        q.queue[q.tail++] = (uint32_t)u;
    }
    while (first < last) {
        while (q.head < q.tail) {
            uint32_t u = q.queue[q.head++];
            if (q.gone[u])
                continue;
            if (q.outd[u] == 0) {
                pos[u] = (uint32_t)--last;
                take(&q, u);
            } else if (q.ind[u] == 0) {
                pos[u] = (uint32_t)first++;
                take(&q, u);
            }
        }
        if (first == last)
            break;
        uint32_t best = 0;
        int64_t best_d = INT64_MIN;
        for (size_t u = 0; u < n; u++)
            if (!q.gone[u] && q.outd[u] - q.ind[u] > best_d) {
                best = (uint32_t)u;
                best_d = q.outd[u] - q.ind[u];
            }
        pos[best] = (uint32_t)first++;
        take(&q, best);
    }
    free(q.gone);
    free(q.outd);
    free(q.ind);
    free(q.queue);
}

/* pos[u]: u's place in the reverse postorder of a depth-first search from every node in turn. */
static void search_sequence(const np_layout *g, const adjacency *a, uint32_t *pos)
{
    size_t n = g->n_node, done = n;
    unsigned char *seen = np_xcalloc(n + 1, 1);
    uint32_t *stack = np_xmalloc((n + 1) * sizeof *stack), *next = np_xcalloc(n + 1, sizeof *next);
    for (size_t root = 0; root < n; root++) {
        if (seen[root])
            continue;
        size_t sp = 0;
        stack[sp++] = (uint32_t)root;
        seen[root] = 1;
        while (sp) {
            uint32_t u = stack[sp - 1];
            if (a->out_off[u] + next[u] == a->out_off[u + 1]) {
                pos[u] = (uint32_t)--done;
                sp--;
                continue;
            }
            uint32_t w = g->edge[a->out[a->out_off[u] + next[u]++]].to;
            if (!seen[w]) {
                seen[w] = 1;
                stack[sp++] = w;
            }
        }
    }
    free(seen);
    free(stack);
    free(next);
}

/* The longest path, in edges, once the edges against the sequence are turned around. */
static size_t depth_of(const np_layout *g, const adjacency *a, const uint32_t *pos)
{
    size_t n = g->n_node, deepest = 0;
    uint32_t *order = np_xmalloc((n + 1) * sizeof *order);
    size_t *depth = np_xcalloc(n + 1, sizeof *depth);
    for (size_t u = 0; u < n; u++)
        order[pos[u]] = (uint32_t)u;
    for (size_t i = 0; i < n; i++) { /* in sequence order: every edge turned forward */
        uint32_t u = order[i];
        const uint32_t *lists[2] = {a->out + a->out_off[u], a->in + a->in_off[u]};
        size_t lens[2] = {a->out_off[u + 1] - a->out_off[u], a->in_off[u + 1] - a->in_off[u]};
        for (int side = 0; side < 2; side++)
            for (size_t k = 0; k < lens[side]; k++) {
                const np_lay_edge *e = &g->edge[lists[side][k]];
                uint32_t w = side == 0 ? e->to : e->from;
                if (pos[w] > pos[u] && depth[u] + 1 > depth[w])
                    depth[w] = depth[u] + 1;
            }
        deepest = depth[u] > deepest ? depth[u] : deepest;
    }
    free(order);
    free(depth);
    return deepest;
}

static void orient(lay *L, const adjacency *a)
{
    np_layout *g = L->g;
    uint32_t *pos = np_xcalloc(g->n_node + 1, sizeof *pos), *greedy = np_xcalloc(g->n_node + 1, sizeof *greedy);
    search_sequence(g, a, pos);
    sequence(g, a, greedy);
    if (depth_of(g, a, pos) > 2 * depth_of(g, a, greedy))
        memcpy(pos, greedy, g->n_node * sizeof *pos);
    for (size_t u = 0; u < g->n_node; u++)
        L->order[pos[u]] = (uint32_t)u;
    for (size_t e = 0; e < g->n_edge; e++) {
        if (!edge_ok(g, &g->edge[e]))
            continue;
        L->self[e] = g->edge[e].from == g->edge[e].to;
        L->reversed[e] = pos[g->edge[e].from] > pos[g->edge[e].to];
    }
    free(pos);
    free(greedy);
}

/* The edge's ends as laid out: upper and lower. */
static uint32_t upper(const lay *L, size_t e)
{
    return L->reversed[e] ? L->g->edge[e].to : L->g->edge[e].from;
}

static uint32_t lower(const lay *L, size_t e)
{
    return L->reversed[e] ? L->g->edge[e].from : L->g->edge[e].to;
}

/* Ranks are doubled so that every edge has a middle rank for its label. */
static int span_min(const np_lay_edge *e)
{
    return 2 * (e->minlen > 1 ? e->minlen : 1);
}

static bool drawn_down(const lay *L, size_t e)
{
    return edge_ok(L->g, &L->g->edge[e]) && !L->self[e];
}

/* ---- ranks: longest path from the sources, then each node moved to where its edges are
 * shortest by weight (the weighted median of where its edges would have it) ---- */

/* Every node as low as the edges from above push it, taking the nodes in the sequence's order
 * (in which each turned edge runs forward). */
static void longest_path(lay *L, const adjacency *a)
{
    np_layout *g = L->g;
    for (size_t i = 0; i < g->n_node; i++) {
        uint32_t u = L->order[i];
        const uint32_t *lists[2] = {a->out + a->out_off[u], a->in + a->in_off[u]};
        size_t lens[2] = {a->out_off[u + 1] - a->out_off[u], a->in_off[u + 1] - a->in_off[u]};
        for (int side = 0; side < 2; side++)
            for (size_t k = 0; k < lens[side]; k++) {
                uint32_t e = lists[side][k];
                if (upper(L, e) != u)
                    continue;
                uint32_t w = lower(L, e);
                int r = L->vrank[u] + span_min(&g->edge[e]);
                L->vrank[w] = r > L->vrank[w] ? r : L->vrank[w];
            }
    }
}

typedef struct want {
    int rank;
    double w;
} want;

static int cmp_want(const void *a, const void *b)
{
    const want *x = a, *y = b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* The best rank for node u within its edges' limits; returns whether it moved. */
static bool settle_rank(lay *L, const adjacency *a, uint32_t u, want *wants)
{
    np_layout *g = L->g;
    int lo = -(1 << 29), hi = 1 << 29;
    size_t n = 0;
    double total = 0;
    const uint32_t *lists[2] = {a->out + a->out_off[u], a->in + a->in_off[u]};
    const size_t lens[2] = {a->out_off[u + 1] - a->out_off[u], a->in_off[u + 1] - a->in_off[u]};
    for (int side = 0; side < 2; side++)
        for (size_t k = 0; k < lens[side]; k++) {
            uint32_t e = lists[side][k];
            int len = span_min(&g->edge[e]);
            double w = g->edge[e].weight > 0 ? g->edge[e].weight : 1;
            if (lower(L, e) == u) {
                int r = L->vrank[upper(L, e)] + len;
                lo = r > lo ? r : lo;
                wants[n++] = (want){r, w};
            } else {
                int r = L->vrank[lower(L, e)] - len;
                hi = r < hi ? r : hi;
                wants[n++] = (want){r, w};
            }
            total += w;
        }
    if (n == 0 || lo > hi)
        return false;
    qsort(wants, n, sizeof *wants, cmp_want);
    double acc = 0;
    int best = wants[n - 1].rank;
    for (size_t i = 0; i < n; i++) {
        acc += wants[i].w;
        if (acc * 2 >= total) {
            best = wants[i].rank;
            break;
        }
    }
    best = best < lo ? lo : best > hi ? hi : best;
    if (best == L->vrank[u])
        return false;
    L->vrank[u] = best;
    return true;
}

static void assign_ranks(lay *L, const adjacency *a)
{
    np_layout *g = L->g;
    longest_path(L, a);
    want *wants = np_xmalloc((g->n_edge + 1) * sizeof *wants);
    for (int pass = 0; pass < 8; pass++) {
        bool moved = false;
        for (size_t u = 0; u < g->n_node; u++)
            if (!g->node[u].pinned)
                moved |= settle_rank(L, a, (uint32_t)u, wants);
        if (!moved)
            break;
    }
    free(wants);
    int low = 0;
    for (size_t u = 0; u < g->n_node; u++)
        low = L->vrank[u] < low ? L->vrank[u] : low;
    for (size_t u = 0; u < g->n_node; u++)
        L->vrank[u] = g->node[u].pinned ? 0 : L->vrank[u] - low;
}

/* ---- virtual nodes and segments ---- */

static uint32_t add_vnode(lay *L, int rank, double left, double right, double h, bool real)
{
    vnode *v = NP_PUSH(L->v, L->nv, L->cap_v);
    memset(v, 0, sizeof *v);
    v->rank = rank;
    v->left = left;
    v->right = right;
    v->h = h;
    v->real = real;
    return (uint32_t)(L->nv - 1);
}

static void add_seg(lay *L, uint32_t up, uint32_t down, double w)
{
    seg *s = NP_PUSH(L->s, L->ns, L->cap_s);
    memset(s, 0, sizeof *s);
    s->up = up;
    s->down = down;
    /* Long edges are kept straight: their inner pieces weigh more (as dot does). */
    s->w = w * (L->v[up].real && L->v[down].real ? 1 : L->v[up].real || L->v[down].real ? 2 : 8);
}

static void make_chains(lay *L)
{
    np_layout *g = L->g;
    for (size_t u = 0; u < g->n_node; u++) {
        const np_lay_node *n = &g->node[u];
        uint32_t id = add_vnode(L, L->vrank[u], n->w / 2, n->w / 2, n->h, true);
        L->v[id].pinned = n->pinned;
    }
    for (size_t e = 0; e < g->n_edge; e++)
        if (L->self[e] && edge_ok(g, &g->edge[e])) /* room on the right for the loop */
            L->v[g->edge[e].from].right += SELF_LOOP + 4 + g->edge[e].lw;
    L->chain_off = np_xcalloc(g->n_edge + 1, sizeof *L->chain_off);
    size_t cap = 0, n = 0;
    for (size_t e = 0; e < g->n_edge; e++) {
        L->chain_off[e] = (uint32_t)n;
        if (!drawn_down(L, e))
            continue;
        const np_lay_edge *E = &g->edge[e];
        uint32_t a = upper(L, e), b = lower(L, e), prev = a;
        int ra = L->vrank[a], rb = L->vrank[b], mid = ra + (rb - ra) / 2;
        double w = E->weight > 0 ? E->weight : 1;
        *NP_PUSH(L->chain, n, cap) = a;
        for (int r = ra + 1; r < rb; r++) {
            bool label = r == mid && E->lw > 0;
            uint32_t d = add_vnode(L, r, 1, label ? E->lw + 4 : 1, label ? E->lh : 0, false);
            add_seg(L, prev, d, w);
            *NP_PUSH(L->chain, n, cap) = d;
            prev = d;
        }
        add_seg(L, prev, b, w);
        *NP_PUSH(L->chain, n, cap) = b;
    }
    L->chain_off[g->n_edge] = (uint32_t)n;
}

/* CSR lists of the segments at each vnode's top (up) and bottom (down). */
static void index_segs(lay *L)
{
    L->up_off = np_xcalloc(L->nv + 1, sizeof *L->up_off);
    L->down_off = np_xcalloc(L->nv + 1, sizeof *L->down_off);
    L->up_idx = np_xcalloc(L->ns + 1, sizeof *L->up_idx);
    L->down_idx = np_xcalloc(L->ns + 1, sizeof *L->down_idx);
    for (size_t i = 0; i < L->ns; i++) {
        L->up_off[L->s[i].down + 1]++;
        L->down_off[L->s[i].up + 1]++;
    }
    for (size_t i = 0; i < L->nv; i++) {
        L->up_off[i + 1] += L->up_off[i];
        L->down_off[i + 1] += L->down_off[i];
    }
    uint32_t *fu = np_xmalloc((L->nv + 1) * sizeof *fu), *fd = np_xmalloc((L->nv + 1) * sizeof *fd);
    memcpy(fu, L->up_off, (L->nv + 1) * sizeof *fu);
    memcpy(fd, L->down_off, (L->nv + 1) * sizeof *fd);
    for (size_t i = 0; i < L->ns; i++) {
        L->up_idx[fu[L->s[i].down]++] = (uint32_t)i;
        L->down_idx[fd[L->s[i].up]++] = (uint32_t)i;
    }
    free(fu);
    free(fd);
}

/* ---- order within ranks ---- */

static int scaled_rounds(const lay *L, int rounds)
{
    size_t size = L->nv + L->ns;
    if (size <= ROUND_BUDGET)
        return rounds;
    size_t r = (size_t)rounds * ROUND_BUDGET / size;
    return r < 4 ? 4 : (int)r;
}

static void rank_push(lay *L, uint32_t v)
{
    int r = L->v[v].rank;
    L->v[v].pos = (uint32_t)L->rank_len[r];
    L->rank[r][L->rank_len[r]++] = v;
}

/* The first order: depth first from each source in input order, so that what hangs together
 * starts together; the pinned legend goes first. */
static void first_order(lay *L)
{
    size_t *count = np_xcalloc((size_t)L->n_ranks + 1, sizeof *count);
    for (size_t i = 0; i < L->nv; i++)
        count[L->v[i].rank]++;
    L->rank = np_xcalloc((size_t)L->n_ranks + 1, sizeof *L->rank);
    L->rank_len = np_xcalloc((size_t)L->n_ranks + 1, sizeof *L->rank_len);
    for (int r = 0; r < L->n_ranks; r++)
        L->rank[r] = np_xmalloc((count[r] + 1) * sizeof **L->rank);
    free(count);
    bool *seen = np_xcalloc(L->nv + 1, 1);
    uint32_t *stack = np_xmalloc((L->nv + 1) * sizeof *stack);
    for (size_t i = 0; i < L->nv; i++)
        if (L->v[i].pinned) {
            seen[i] = true;
            rank_push(L, (uint32_t)i);
        }
    for (int pass = 0; pass < 2; pass++)
        for (size_t root = 0; root < L->nv; root++) {
            if (seen[root] || (pass == 0 && L->up_off[root] != L->up_off[root + 1]))
                continue;
            size_t sp = 0;
            stack[sp++] = (uint32_t)root;
            seen[root] = true;
            while (sp) {
                uint32_t u = stack[--sp];
                rank_push(L, u);
                for (uint32_t k = L->down_off[u + 1]; k-- > L->down_off[u];) {
                    uint32_t w = L->s[L->down_idx[k]].down;
                    if (!seen[w]) {
                        seen[w] = true;
                        stack[sp++] = w;
                    }
                }
            }
        }
    free(seen);
    free(stack);
}

/* Crossings between ranks r and r + 1: inversions of the segments' lower ends, counted with a
 * Fenwick tree, once the segments are in the order of their upper ends. */
typedef struct pospair {
    uint32_t a, b;
} pospair;

static int cmp_pospair(const void *x, const void *y)
{
    const pospair *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

static long crossings_between(lay *L, int r, pospair *pairs, long *tree)
{
    size_t n = 0, width = L->rank_len[r + 1];
    /* In the order of the upper ends already; each node's few lower ends sorted in place. */
    for (size_t i = 0; i < L->rank_len[r]; i++) {
        uint32_t u = L->rank[r][i];
        size_t first = n;
        for (uint32_t k = L->down_off[u]; k < L->down_off[u + 1]; k++) {
            pospair p = {(uint32_t)i, L->v[L->s[L->down_idx[k]].down].pos};
            size_t j = n++;
            for (; j > first && cmp_pospair(&pairs[j - 1], &p) > 0; j--)
                pairs[j] = pairs[j - 1];
            pairs[j] = p;
        }
    }
    memset(tree, 0, (width + 1) * sizeof *tree);
    long total = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        long not_above = 0; /* inserted so far with lower end <= this one's */
        for (size_t j = pairs[i].b + 1; j > 0; j -= j & -j)
            not_above += tree[j];
        total += seen - not_above;
        for (size_t j = pairs[i].b + 1; j <= width; j += j & -j)
            tree[j]++;
        seen++;
    }
    return total;
}

static long crossings(lay *L, pospair *pairs, long *tree)
{
    long total = 0;
    for (int r = 0; r + 1 < L->n_ranks; r++)
        total += crossings_between(L, r, pairs, tree);
    return total;
}

/* Something (a vnode, a segment) to sort by a key, ties in index order. */
typedef struct keyed {
    double key;
    uint32_t v;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->v > y->v) - (x->v < y->v);
}

/* The median position of v's neighbours on one side (up or down), or -1 without any. */
static double median_pos(lay *L, uint32_t v, bool up, double *tmp)
{
    const uint32_t *off = up ? L->up_off : L->down_off, *idx = up ? L->up_idx : L->down_idx;
    size_t n = 0;
    for (uint32_t k = off[v]; k < off[v + 1]; k++) {
        const seg *s = &L->s[idx[k]];
        tmp[n++] = L->v[up ? s->up : s->down].pos;
    }
    if (n == 0)
        return -1;
    for (size_t i = 1; i < n; i++) /* few neighbours: insertion sort */
        for (size_t j = i; j > 0 && tmp[j - 1] > tmp[j]; j--) {
            double t = tmp[j];
            tmp[j] = tmp[j - 1];
            tmp[j - 1] = t;
        }
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* Reorders rank r by the medians of its neighbours above (up) or below; nodes without any and
 * the pinned one keep their places. */
static void sort_rank(lay *L, int r, bool up, keyed *keys, double *tmp, bool *fixed)
{
    size_t n = L->rank_len[r], k = 0;
    uint32_t *list = L->rank[r];
    for (size_t i = 0; i < n; i++) {
        uint32_t v = list[i];
        double m = L->v[v].pinned ? -1 : median_pos(L, v, up, tmp);
        fixed[i] = m < 0;
        if (!fixed[i])
            keys[k++] = (keyed){m + (double)i * 1e-6, v};
    }
    qsort(keys, k, sizeof *keys, cmp_keyed);
    for (size_t i = 0, j = 0; i < n; i++)
        if (!fixed[i])
            list[i] = keys[j++].v;
    for (size_t i = 0; i < n; i++)
        L->v[list[i]].pos = (uint32_t)i;
}

/* Crossings between the edges of a and of b (a left of b) on one side. */
static long pair_cross(lay *L, uint32_t a, uint32_t b, bool up)
{
    const uint32_t *off = up ? L->up_off : L->down_off, *idx = up ? L->up_idx : L->down_idx;
    long c = 0;
    for (uint32_t i = off[a]; i < off[a + 1]; i++) {
        const seg *s = &L->s[idx[i]];
        uint32_t pa = L->v[up ? s->up : s->down].pos;
        for (uint32_t j = off[b]; j < off[b + 1]; j++) {
            const seg *t = &L->s[idx[j]];
            c += pa > L->v[up ? t->up : t->down].pos;
        }
    }
    return c;
}

/* Swaps neighbours wherever that crosses fewer edges, until no swap helps. */
static void transpose(lay *L)
{
    for (int pass = 0, improved = 1; improved && pass < 6; pass++) {
        improved = 0;
        for (int r = 0; r < L->n_ranks; r++) {
            uint32_t *list = L->rank[r];
            for (size_t i = 0; i + 1 < L->rank_len[r]; i++) {
                uint32_t a = list[i], b = list[i + 1];
                if (L->v[a].pinned || L->v[b].pinned)
                    continue;
                long now = pair_cross(L, a, b, true) + pair_cross(L, a, b, false);
                long swapped = pair_cross(L, b, a, true) + pair_cross(L, b, a, false);
                if (swapped < now) {
                    list[i] = b;
                    list[i + 1] = a;
                    L->v[a].pos = (uint32_t)i + 1;
                    L->v[b].pos = (uint32_t)i;
                    improved = 1;
                }
            }
        }
    }
}

static void save_order(lay *L, uint32_t **dst)
{
    for (int r = 0; r < L->n_ranks; r++)
        memcpy(dst[r], L->rank[r], L->rank_len[r] * sizeof **dst);
}

static void order_ranks(lay *L)
{
    first_order(L);
    size_t widest = 1;
    for (int r = 0; r < L->n_ranks; r++)
        widest = L->rank_len[r] > widest ? L->rank_len[r] : widest;
    pospair *pairs = np_xmalloc((L->ns + 1) * sizeof *pairs);
    long *tree = np_xmalloc((widest + 2) * sizeof *tree);
    keyed *keys = np_xmalloc((widest + 1) * sizeof *keys);
    double *tmp = np_xmalloc((L->ns + 1) * sizeof *tmp);
    bool *fixed = np_xmalloc(widest + 1);
    uint32_t **best = np_xcalloc((size_t)L->n_ranks + 1, sizeof *best);
    for (int r = 0; r < L->n_ranks; r++)
        best[r] = np_xmalloc((L->rank_len[r] + 1) * sizeof **best);
    transpose(L);
    save_order(L, best);
    long best_cross = crossings(L, pairs, tree);
    int rounds = scaled_rounds(L, ORDER_ROUNDS);
    for (int round = 0; round < rounds && best_cross > 0; round++) {
        bool down = round % 2 == 0;
        for (int i = 1; i < L->n_ranks; i++)
            sort_rank(L, down ? i : L->n_ranks - 1 - i, down, keys, tmp, fixed);
        if (round % 4 == 3) /* the swaps cost more than a sweep: every fourth round */
            transpose(L);
        long c = crossings(L, pairs, tree);
        if (c < best_cross) {
            best_cross = c;
            save_order(L, best);
        }
    }
    for (int r = 0; r < L->n_ranks; r++) {
        memcpy(L->rank[r], best[r], L->rank_len[r] * sizeof **best);
        for (size_t i = 0; i < L->rank_len[r]; i++)
            L->v[L->rank[r][i]].pos = (uint32_t)i;
        free(best[r]);
    }
    transpose(L);
    free(best);
    free(pairs);
    free(tree);
    free(keys);
    free(tmp);
    free(fixed);
}

/* ---- x: each rank in turn placed as near as its order allows to the weighted mean of its
 * neighbours (an exact least-squares fit of the rank, by pooling adjacent violators) ---- */

static double gap(const vnode *a, const vnode *b)
{
    double sep = a->real && b->real ? SEP_REAL : a->real || b->real ? SEP_MIXED : SEP_EDGE;
    return a->right + sep + b->left;
}

typedef struct block {
    double w, wt;  /* total weight, weighted sum of targets */
    size_t n;
} block;

/* Fits rank r: x[i] - offset[i] non-decreasing, nearest (by weight) to the targets. */
static void fit_rank(lay *L, int r, double *target, double *weight, double *offset, block *blocks)
{
    size_t n = L->rank_len[r], nb = 0;
    uint32_t *list = L->rank[r];
    for (size_t i = 0; i < n; i++) {
        offset[i] = i ? offset[i - 1] + gap(&L->v[list[i - 1]], &L->v[list[i]]) : 0;
        blocks[nb++] = (block){weight[i], weight[i] * (target[i] - offset[i]), 1};
        while (nb > 1 && blocks[nb - 2].wt / blocks[nb - 2].w >= blocks[nb - 1].wt / blocks[nb - 1].w) {
            blocks[nb - 2].w += blocks[nb - 1].w;
            blocks[nb - 2].wt += blocks[nb - 1].wt;
            blocks[nb - 2].n += blocks[nb - 1].n;
            nb--;
        }
    }
    for (size_t b = 0, i = 0; b < nb; b++)
        for (size_t k = 0; k < blocks[b].n; k++, i++)
            L->v[list[i]].x = blocks[b].wt / blocks[b].w + offset[i];
}

static void place_rank(lay *L, int r, double *target, double *weight, double *offset, block *blocks)
{
    for (size_t i = 0; i < L->rank_len[r]; i++) {
        uint32_t v = L->rank[r][i];
        double sw = 0, sx = 0;
        for (uint32_t k = L->up_off[v]; k < L->up_off[v + 1]; k++) {
            const seg *s = &L->s[L->up_idx[k]];
            sw += s->w;
            sx += s->w * L->v[s->up].x;
        }
        for (uint32_t k = L->down_off[v]; k < L->down_off[v + 1]; k++) {
            const seg *s = &L->s[L->down_idx[k]];
            sw += s->w;
            sx += s->w * L->v[s->down].x;
        }
        /* Without neighbours a node stays where it is, lightly held. */
        target[i] = sw > 0 ? sx / sw : L->v[v].x;
        weight[i] = sw > 0 ? sw : 0.01;
    }
    fit_rank(L, r, target, weight, offset, blocks);
}

static void assign_x(lay *L)
{
    size_t widest = 1;
    for (int r = 0; r < L->n_ranks; r++) {
        widest = L->rank_len[r] > widest ? L->rank_len[r] : widest;
        double x = 0;
        for (size_t i = 0; i < L->rank_len[r]; i++) {
            vnode *v = &L->v[L->rank[r][i]];
            x += i ? gap(&L->v[L->rank[r][i - 1]], v) : 0;
            v->x = x;
        }
    }
    double *target = np_xmalloc(widest * sizeof *target), *weight = np_xmalloc(widest * sizeof *weight);
    double *offset = np_xmalloc(widest * sizeof *offset);
    block *blocks = np_xmalloc(widest * sizeof *blocks);
    int rounds = scaled_rounds(L, X_ROUNDS);
    for (int round = 0; round < rounds; round++) {
        for (int r = 0; r < L->n_ranks; r++)
            place_rank(L, r, target, weight, offset, blocks);
        for (int r = L->n_ranks - 1; r >= 0; r--)
            place_rank(L, r, target, weight, offset, blocks);
    }
    free(target);
    free(weight);
    free(offset);
    free(blocks);
}

/* ---- y, and everything moved into [MARGIN, ...) ---- */

static void assign_y(lay *L)
{
    double top = MARGIN;
    for (int r = 0; r < L->n_ranks; r++) {
        double h = 0;
        for (size_t i = 0; i < L->rank_len[r]; i++)
            h = L->v[L->rank[r][i]].h > h ? L->v[L->rank[r][i]].h : h;
        for (size_t i = 0; i < L->rank_len[r]; i++)
            L->v[L->rank[r][i]].y = top + h / 2;
        top += h + RANK_GAP;
    }
    double low = 1e300;
    for (size_t i = 0; i < L->nv; i++)
        low = L->v[i].x - L->v[i].left < low ? L->v[i].x - L->v[i].left : low;
    for (size_t i = 0; i < L->nv; i++)
        L->v[i].x += MARGIN - low;
}

/* ---- curves ---- */

/* Where each segment meets a real box: spread along its bottom (or top) in the order of the
 * other ends, so that edges leave a box side by side instead of from one point. */
static void spread_ports(lay *L, uint32_t v, bool bottom, keyed *keys)
{
    const uint32_t *off = bottom ? L->down_off : L->up_off, *idx = bottom ? L->down_idx : L->up_idx;
    size_t n = 0;
    for (uint32_t k = off[v]; k < off[v + 1]; k++) {
        const seg *s = &L->s[idx[k]];
        keys[n++] = (keyed){L->v[bottom ? s->down : s->up].x, idx[k]};
    }
    qsort(keys, n, sizeof *keys, cmp_keyed);
    double room = 2 * L->v[v].left - 16, step = n > 1 ? room / (double)(n - 1) : 0;
    step = step > 10 ? 10 : step < 0 ? 0 : step;
    for (size_t i = 0; i < n; i++) {
        double x = L->v[v].x + ((double)i - (double)(n - 1) / 2) * step;
        if (bottom)
            L->s[keys[i].v].up_x = x;
        else
            L->s[keys[i].v].down_x = x;
    }
}

static void add_pt(np_lay_edge *e, size_t *cap, double x, double y)
{
    *NP_PUSH(e->pts, e->n_pts, *cap) = (np_lay_pt){x, y};
}

/* A curve through the points, vertical at each of them (smooth through the chain). */
static void curve_through(np_lay_edge *e, const np_lay_pt *p, size_t n)
{
    size_t cap = 0;
    add_pt(e, &cap, p[0].x, p[0].y);
    for (size_t i = 1; i < n; i++) {
        double dy = (p[i].y - p[i - 1].y) / 2;
        add_pt(e, &cap, p[i - 1].x, p[i - 1].y + dy);
        add_pt(e, &cap, p[i].x, p[i].y - dy);
        add_pt(e, &cap, p[i].x, p[i].y);
    }
}

static void route_edge(lay *L, size_t ei, np_lay_pt *pts)
{
    np_lay_edge *e = &L->g->edge[ei];
    const uint32_t *c = L->chain + L->chain_off[ei];
    size_t n = L->chain_off[ei + 1] - L->chain_off[ei];
    const vnode *a = &L->v[c[0]], *b = &L->v[c[n - 1]];
    /* The segments of the chain, in order: found from each vnode's bottom list. */
    for (size_t i = 0; i + 1 < n; i++) {
        const seg *s = NULL;
        for (uint32_t k = L->down_off[c[i]]; k < L->down_off[c[i] + 1] && !s; k++)
            if (L->s[L->down_idx[k]].down == c[i + 1])
                s = &L->s[L->down_idx[k]];
        double x = i == 0 ? s->up_x : L->v[c[i]].x;
        pts[i] = (np_lay_pt){x, i == 0 ? a->y + a->h / 2 : L->v[c[i]].y};
        if (i + 2 == n)
            pts[n - 1] = (np_lay_pt){s->down_x, b->y - b->h / 2};
        if (!L->v[c[i]].real && L->v[c[i]].right > 1) {
            e->lx = L->v[c[i]].x + 4;
            e->ly = L->v[c[i]].y;
        }
    }
    double arrow = L->g->arrow_len > 0 ? L->g->arrow_len : 10;
    if (L->reversed[ei]) { /* drawn from the lower end up: the arrow points up */
        for (size_t i = 0; i < n / 2; i++) {
            np_lay_pt t = pts[i];
            pts[i] = pts[n - 1 - i];
            pts[n - 1 - i] = t;
        }
        e->tip = pts[n - 1];
        pts[n - 1].y += arrow;
    } else {
        e->tip = pts[n - 1];
        pts[n - 1].y -= arrow;
    }
    e->base = pts[n - 1];
    curve_through(e, pts, n);
}

static void route_self(lay *L, size_t ei)
{
    np_lay_edge *e = &L->g->edge[ei];
    const vnode *v = &L->v[e->from];
    double r = v->x + L->g->node[e->from].w / 2, arrow = L->g->arrow_len > 0 ? L->g->arrow_len : 10;
    size_t cap = 0;
    add_pt(e, &cap, r, v->y - v->h / 6);
    add_pt(e, &cap, r + SELF_LOOP, v->y - v->h / 2);
    add_pt(e, &cap, r + SELF_LOOP, v->y + v->h / 2);
    add_pt(e, &cap, r + arrow, v->y + v->h / 6);
    e->tip = (np_lay_pt){r, v->y + v->h / 6};
    e->base = (np_lay_pt){r + arrow, v->y + v->h / 6};
    e->lx = r + SELF_LOOP + 4;
    e->ly = v->y;
}

static void route(lay *L)
{
    keyed *keys = np_xmalloc((L->ns + 1) * sizeof *keys);
    for (size_t v = 0; v < L->g->n_node; v++) {
        spread_ports(L, (uint32_t)v, true, keys);
        spread_ports(L, (uint32_t)v, false, keys);
    }
    free(keys);
    size_t longest = 2;
    for (size_t e = 0; e < L->g->n_edge; e++) {
        size_t n = L->chain_off[e + 1] - L->chain_off[e];
        longest = n > longest ? n : longest;
    }
    np_lay_pt *pts = np_xmalloc(longest * sizeof *pts);
    for (size_t e = 0; e < L->g->n_edge; e++) {
        L->g->edge[e].pts = NULL;
        L->g->edge[e].n_pts = 0;
        if (L->self[e] && edge_ok(L->g, &L->g->edge[e]))
            route_self(L, e);
        else if (drawn_down(L, e))
            route_edge(L, e, pts);
    }
    free(pts);
}

static void measure(lay *L)
{
    np_layout *g = L->g;
    double w = 0, h = 0;
    for (size_t i = 0; i < L->nv; i++) {
        w = fmax(w, L->v[i].x + L->v[i].right);
        h = fmax(h, L->v[i].y + L->v[i].h / 2);
    }
    for (size_t e = 0; e < g->n_edge; e++)
        for (size_t i = 0; i < g->edge[e].n_pts; i++)
            w = fmax(w, g->edge[e].pts[i].x);
    g->width = w + MARGIN;
    g->height = h + MARGIN;
    for (size_t u = 0; u < g->n_node; u++) {
        g->node[u].x = L->v[u].x;
        g->node[u].y = L->v[u].y;
    }
}

void np_layout_run(np_layout *g)
{
    lay L = {.g = g};
    L.reversed = np_xcalloc(g->n_edge + 1, 1);
    L.self = np_xcalloc(g->n_edge + 1, 1);
    L.vrank = np_xcalloc(g->n_node + 1, sizeof *L.vrank);
    L.order = np_xcalloc(g->n_node + 1, sizeof *L.order);
    adjacency adj;
    adjacency_make(g, &adj);
    orient(&L, &adj);
    assign_ranks(&L, &adj);
    adjacency_free(&adj);
    make_chains(&L);
    for (size_t i = 0; i < L.nv; i++)
        L.n_ranks = L.v[i].rank + 1 > L.n_ranks ? L.v[i].rank + 1 : L.n_ranks;
    index_segs(&L);
    order_ranks(&L);
    assign_x(&L);
    assign_y(&L);
    route(&L);
    measure(&L);
    for (int r = 0; r < L.n_ranks; r++)
        free(L.rank[r]);
    free(L.rank);
    free(L.rank_len);
    free(L.v);
    free(L.s);
    free(L.up_off);
    free(L.up_idx);
    free(L.down_off);
    free(L.down_idx);
    free(L.chain_off);
    free(L.chain);
    free(L.reversed);
    free(L.self);
    free(L.vrank);
    free(L.order);
}

void np_layout_free(np_layout *g)
{
    for (size_t e = 0; e < g->n_edge; e++) {
        free(g->edge[e].pts);
        g->edge[e].pts = NULL;
        g->edge[e].n_pts = 0;
    }
}

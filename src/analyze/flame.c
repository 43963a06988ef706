/* The flame tree. Every sample's stack is written root first as frame ranks (a frame's place in
 * name order) and the stacks are sorted: the tree's preorder is then the stacks' order, so it is
 * built in one pass with no hash table, and a box too light to keep is dropped as soon as its
 * subtree closes. Memory is the stacks plus the boxes kept, never the whole tree. */
#include "analyze/flame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The sums of one box. */
typedef struct acc {
    int64_t total, self, base_total, base_self, div_total, div_self;
} acc;

/* The profile's stacks, sorted. */
typedef struct stacks {
    np_graph *g;
    uint32_t *by_rank;  /* rank -> frame (graph node) */
    uint32_t *frames;   /* every stack's ranks, root first, one after another */
    size_t *off;        /* per stack: where its ranks start */
    uint32_t *len;      /* per stack: how many */
    int64_t *w, *dw;    /* per stack: the sample's value and -mean divisor */
    bool *base;         /* per stack: from the diff base */
    uint32_t *order;    /* stacks in tree order */
    size_t n;
    acc all;            /* the root's sums */
    bool diff;
} stacks;

static bool is_base_sample(const np_sample *s)
{
    for (uint32_t i = 0; i < s->n_label; i++)
        if (strcmp(s->label[i].key, "pprof::base") == 0)
            return true;
    return false;
}

bool np_flame_has_base(const np_profile *p)
{
    for (size_t i = 0; i < p->n_sample; i++)
        if (is_base_sample(&p->sample[i]))
            return true;
    return false;
}

np_flame_extra np_flame_frameless(const np_profile *p, int value_index, int mean_index)
{
    np_flame_extra x = {0, 0, 0};
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        if (s->n_loc)
            continue;
        x.value += s->value[value_index];
        x.div += mean_index >= 0 ? s->value[mean_index] : 0;
        x.base += is_base_sample(s) ? s->value[value_index] : 0;
    }
    return x;
}

static const char **g_names; /* qsort has no context argument in C11 */
static const stacks *g_st;

static int frame_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = strcmp(g_names[x], g_names[y]);
    return c ? c : (x > y) - (x < y);
}

/* rank[frame] for every graph node, and st->by_rank, the inverse. */
static uint32_t *rank_frames(stacks *st)
{
    np_graph *g = st->g;
    const char **names = np_xcalloc(g->n_all + 1, sizeof *names);
    uint32_t *rank = np_xcalloc(g->n_all + 1, sizeof *rank);
    st->by_rank = np_xcalloc(g->n_all + 1, sizeof *st->by_rank);
    for (size_t i = 0; i < g->n_all; i++) {
        names[i] = np_node_name(g, &g->all[i]);
        st->by_rank[i] = (uint32_t)i;
    }
    g_names = names;
    qsort(st->by_rank, g->n_all, sizeof *st->by_rank, frame_cmp);
    for (size_t i = 0; i < g->n_all; i++)
        rank[st->by_rank[i]] = (uint32_t)i;
    free(names);
    return rank;
}

static int stack_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const uint32_t *fx = g_st->frames + g_st->off[x], *fy = g_st->frames + g_st->off[y];
    uint32_t lx = g_st->len[x], ly = g_st->len[y], n = lx < ly ? lx : ly;
    for (uint32_t i = 0; i < n; i++)
        if (fx[i] != fy[i])
            return fx[i] < fy[i] ? -1 : 1;
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return (x > y) - (x < y);
}

/* The frames of one sample, root first: locations outermost first, and within a location its
 * inlined lines outermost first. */
static uint32_t put_stack(const np_graph *g, const uint32_t *rank, const np_sample *s, uint32_t *out)
{
    uint32_t n = 0;
    for (uint32_t i = s->n_loc; i-- > 0;) {
        const uint32_t *ln = g->loc_nodes[s->loc[i]];
        for (uint32_t k = g->loc_n[s->loc[i]]; k-- > 0;)
            if (ln[k] != NP_NONE)
                out[n++] = rank[ln[k]];
    }
    return n;
}

static void add_acc(acc *a, int64_t w, int64_t dw, bool base, bool self)
{
    a->total += w;
    a->div_total += dw;
    a->base_total += base ? w : 0;
    if (self) {
        a->self += w;
        a->div_self += dw;
        a->base_self += base ? w : 0;
    }
}

static void stacks_build(stacks *st, const np_profile *p, const np_flame_opts *o)
{
    memset(st, 0, sizeof *st);
    np_graph_opts go;
    memset(&go, 0, sizeof go);
    go.value_index = o->value_index;
    go.mean_index = o->mean_index;
    st->g = np_graph_nodes_only(p, &go);
    uint32_t *rank = rank_frames(st);
    size_t n_frames = 0;
    for (size_t i = 0; i < p->n_sample; i++)
        for (uint32_t k = 0; k < p->sample[i].n_loc; k++)
            n_frames += st->g->loc_n[p->sample[i].loc[k]];
    st->frames = np_xmalloc((n_frames + 1) * sizeof *st->frames);
    st->off = np_xmalloc((p->n_sample + 1) * sizeof *st->off);
    st->len = np_xmalloc((p->n_sample + 1) * sizeof *st->len);
    st->w = np_xmalloc((p->n_sample + 1) * sizeof *st->w);
    st->dw = np_xmalloc((p->n_sample + 1) * sizeof *st->dw);
    st->base = np_xmalloc((p->n_sample + 1) * sizeof *st->base); /* + 1: the frameless sums */
    size_t at = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        int64_t w = s->value[o->value_index], dw = o->mean_index >= 0 ? s->value[o->mean_index] : 0;
        if (w == 0 && dw == 0)
            continue;
        st->off[st->n] = at;
        st->len[st->n] = put_stack(st->g, rank, s, st->frames + at);
        at += st->len[st->n];
        st->w[st->n] = w;
        st->dw[st->n] = dw;
        st->base[st->n] = is_base_sample(s);
        st->diff = st->diff || st->base[st->n];
        add_acc(&st->all, w, dw, st->base[st->n], st->len[st->n] == 0);
        st->n++;
    }
    free(rank);
    const np_flame_extra *x = &o->frameless;
    if (x->value || x->div) {
        st->off[st->n] = at;
        st->len[st->n] = 0;
        st->w[st->n] = x->value;
        st->dw[st->n] = x->div;
        st->base[st->n] = x->base != 0;
        st->diff = st->diff || x->base != 0;
        add_acc(&st->all, x->value, x->div, x->base != 0, true);
        st->n++;
    }
    st->order = np_xmalloc((st->n + 1) * sizeof *st->order);
    for (size_t i = 0; i < st->n; i++)
        st->order[i] = (uint32_t)i;
    g_st = st;
    qsort(st->order, st->n, sizeof *st->order, stack_cmp);
}

static void stacks_free(stacks *st)
{
    free(st->by_rank);
    free(st->frames);
    free(st->off);
    free(st->len);
    free(st->w);
    free(st->dw);
    free(st->base);
    free(st->order);
}

static const char *rank_name(const stacks *st, uint32_t r)
{
    return np_node_name(st->g, &st->g->all[st->by_rank[r]]);
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* How much room a box asks for: its value, or with a diff base the larger of what it held
 * before and after, so that what vanished is not pruned as if it never was. */
static int64_t weight(const acc *a, bool diff)
{
    if (!diff)
        return abs64(a->total);
    int64_t now = a->total - a->base_total;
    return abs64(a->base_total) > abs64(now) ? abs64(a->base_total) : abs64(now);
}

/* ---- the tree, one pass over the sorted stacks ---- */

typedef struct level {
    uint32_t rank, out; /* the frame, and its box in the output */
    acc a;              /* its sums so far */
    acc m;              /* the children dropped so far, for its merged box */
    uint32_t merged;
} level;

typedef struct builder {
    const stacks *st;
    int64_t cutoff;
    int max_depth;
    np_flame *f;
    size_t cap;
    level *lv;    /* lv[0] is the root; lv[d] the open box at depth d */
    size_t open;  /* open levels below the root */
} builder;

static uint32_t emit(builder *b, const char *name, uint32_t parent, uint32_t depth)
{
    np_flame *f = b->f;
    if (f->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        f->node = np_xrealloc(f->node, b->cap * sizeof *f->node);
        f->base = np_xrealloc(f->base, b->cap * sizeof *f->base);
        f->div = np_xrealloc(f->div, b->cap * sizeof *f->div);
    }
    f->node[f->n] = (np_flame_node){name, 0, parent, depth, 0, 0, 0};
    return (uint32_t)f->n++;
}

static void set_values(builder *b, uint32_t i, const acc *a)
{
    b->f->node[i].total = a->total;
    b->f->node[i].self = a->self;
    b->f->base[i] = (np_flame_part){a->base_total, a->base_self};
    b->f->div[i] = (np_flame_part){a->div_total, a->div_self};
}

/* Ends level d's box: kept with its merged box if heavy enough, else folded into its parent's
 * merged box (its subtree, written after it, goes too). */
static void close_level(builder *b, size_t d)
{
    level *l = &b->lv[d];
    if (d > 0 && weight(&l->a, b->st->diff) < b->cutoff) {
        b->f->n = l->out;
        level *up = &b->lv[d - 1];
        up->m.total += l->a.total;
        up->m.base_total += l->a.base_total;
        up->m.div_total += l->a.div_total;
        up->merged++;
    } else {
        set_values(b, l->out, &l->a);
        if (l->merged) {
            uint32_t m = emit(b, NULL, l->out, (uint32_t)d + 1);
            acc box = l->m;
            box.self = box.total;
            box.base_self = box.base_total;
            box.div_self = box.div_total;
            set_values(b, m, &box);
            b->f->node[m].merged = l->merged;
            b->f->node[m].end = m + 1;
        }
        b->f->node[l->out].end = (uint32_t)b->f->n;
    }
    if (d > 0) {
        level *up = &b->lv[d - 1];
        up->a.total += l->a.total;
        up->a.base_total += l->a.base_total;
        up->a.div_total += l->a.div_total;
    }
}

static void open_level(builder *b, size_t d, uint32_t rank)
{
    level *l = &b->lv[d];
    memset(l, 0, sizeof *l);
    l->rank = rank;
    l->out = emit(b, rank_name(b->st, rank), b->lv[d - 1].out, (uint32_t)d);
    b->f->full_nodes++;
}

/* Moves the open path to stack e's frames (cut at the depth limit) and adds e's value. */
static void add_stack(builder *b, uint32_t e)
{
    const stacks *st = b->st;
    const uint32_t *fr = st->frames + st->off[e];
    size_t len = st->len[e];
    bool cut = b->max_depth > 0 && len > (size_t)b->max_depth;
    if (cut)
        len = (size_t)b->max_depth;
    size_t same = 0;
    while (same < b->open && same < len && b->lv[same + 1].rank == fr[same])
        same++;
    for (; b->open > same; b->open--)
        close_level(b, b->open);
    for (; b->open < len; b->open++)
        open_level(b, b->open + 1, fr[b->open]);
    add_acc(&b->lv[len].a, st->w[e], st->dw[e], st->base[e], !cut);
}

static void build_tree(builder *b)
{
    const stacks *st = b->st;
    size_t depth = 0;
    for (size_t i = 0; i < st->n; i++)
        if (st->len[i] > depth)
            depth = st->len[i];
    b->lv = np_xcalloc(depth + 2, sizeof *b->lv);
    b->f->n = 0;
    b->f->full_nodes = 1;
    b->lv[0].out = emit(b, "root", NP_NONE, 0);
    for (size_t i = 0; i < st->n; i++)
        add_stack(b, st->order[i]);
    for (; b->open > 0; b->open--)
        close_level(b, b->open);
    close_level(b, 0);
    free(b->lv);
}

static int cmp_i64_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

/* The cutoff that leaves at most k frames: one above the (k+1)th heaviest box. */
static int64_t cap_cutoff(const np_flame *f, bool diff, size_t k)
{
    int64_t *w = np_xmalloc(f->n * sizeof *w);
    size_t n = 0;
    for (size_t i = 1; i < f->n; i++) {
        if (f->node[i].merged)
            continue;
        acc a = {f->node[i].total, 0, f->base[i].total, 0, 0, 0};
        w[n++] = weight(&a, diff);
    }
    qsort(w, n, sizeof *w, cmp_i64_desc);
    int64_t c = n > k ? w[k] + 1 : f->cutoff;
    free(w);
    return c > f->cutoff ? c : f->cutoff + 1;
}

np_flame *np_flame_build(const np_profile *p, const np_flame_opts *o)
{
    np_flame *f = np_xcalloc(1, sizeof *f);
    stacks st;
    stacks_build(&st, p, o);
    double cut = o->min_fraction * (double)weight(&st.all, st.diff);
    f->cutoff = cut <= 0 ? 0 : (int64_t)ceil(cut);
    builder b = {&st, f->cutoff, o->max_depth, f, 0, NULL, 0};
    build_tree(&b);
    /* Each frame may bring a merged box, so half the cap goes to frames. */
    size_t k = o->max_boxes > 2 ? (o->max_boxes - 1) / 2 : 1;
    while (o->max_boxes && f->n > o->max_boxes && f->n > 1) {
        f->cutoff = b.cutoff = cap_cutoff(f, st.diff, k);
        build_tree(&b);
    }
    if (!st.diff) {
        free(f->base);
        f->base = NULL;
    }
    if (o->mean_index < 0) {
        free(f->div);
        f->div = NULL;
    }
    f->names = st.g;
    st.g = NULL;
    stacks_free(&st);
    return f;
}

void np_flame_free(np_flame *f)
{
    if (!f)
        return;
    free(f->node);
    free(f->base);
    free(f->div);
    np_graph_free(f->names);
    free(f);
}

static bool same_stack(const stacks *st, uint32_t x, uint32_t y)
{
    return st->len[x] == st->len[y] &&
           memcmp(st->frames + st->off[x], st->frames + st->off[y], st->len[x] * sizeof *st->frames) == 0;
}

void np_flame_each_stack(const np_profile *p, const np_flame_opts *o, np_flame_stack_fn fn, void *ctx)
{
    stacks st;
    stacks_build(&st, p, o);
    const char **names = NULL;
    size_t cap = 0, n = 0;
    for (size_t i = 0; i < st.n;) {
        uint32_t e = st.order[i];
        const uint32_t *fr = st.frames + st.off[e];
        acc a = {0};
        /* Equal stacks sit side by side: one call for each run. */
        for (; i < st.n && same_stack(&st, st.order[i], e); i++) {
            uint32_t x = st.order[i];
            add_acc(&a, st.w[x], st.dw[x], st.base[x], true);
        }
        np_grow(&names, &cap, st.len[e] + 1, sizeof *names);
        for (n = 0; n < st.len[e]; n++)
            names[n] = rank_name(&st, fr[n]);
        fn(ctx, names, n, a.self, a.base_self, a.div_self);
    }
    free(names);
    stacks_free(&st);
    np_graph_free(st.g);
}

static int64_t per_div(int64_t v, int64_t d)
{
    return d ? v / d : v;
}

int64_t np_flame_total(const np_flame *f, size_t i)
{
    return per_div(f->node[i].total, f->div ? f->div[i].total : 0);
}

int64_t np_flame_self(const np_flame *f, size_t i)
{
    return per_div(f->node[i].self, f->div ? f->div[i].self : 0);
}

int64_t np_flame_new_total(const np_flame *f, size_t i)
{
    int64_t v = f->node[i].total - (f->base ? f->base[i].total : 0);
    return per_div(v, f->div ? f->div[i].total : 0);
}

void np_flame_label(const np_flame *f, size_t i, np_buf *out)
{
    if (f->node[i].name)
        np_buf_puts(out, f->node[i].name);
    else
        np_buf_printf(out, "[%u frames]", f->node[i].merged);
}

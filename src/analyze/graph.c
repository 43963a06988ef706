/* Call graph construction (pprof's graph.New: per-sample flat/cum accounting, edges with
 * residual and inline marks, call trees) and the node/edge/tag orderings reports rely on. */
#include "analyze/graph.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gofmt.h"
#include "analyze/gosort.h"
#include "analyze/graph_class.h"
#include "analyze/graph_memo.h"
#include "analyze/measure.h"
#include "analyze/pathutil.h"

int64_t np_node_flat(const np_node *n)
{
    return n->flat_div ? n->flat / n->flat_div : n->flat;
}

int64_t np_node_cum(const np_node *n)
{
    return n->cum_div ? n->cum / n->cum_div : n->cum;
}

int64_t np_edge_weight_value(const np_edge *e)
{
    return e->weight_div ? e->weight / e->weight_div : e->weight;
}

/* The node index's key: the info's numbers, then its strings with their NULs, made with one
 * reservation (this runs for every location line of every graph built). */
static void info_key(const np_node_info *i, np_buf *k)
{
    const char *strs[4] = {i->name, i->orig_name, i->file, i->objfile};
    size_t lens[4], total = sizeof i->address + sizeof i->start_line + sizeof i->lineno;
    for (int j = 0; j < 4; j++)
        total += lens[j] = strlen(strs[j]) + 1;
    k->len = 0;
    np_buf_reserve(k, total);
    char *w = k->data;
    memcpy(w, &i->address, sizeof i->address);
    w += sizeof i->address;
    memcpy(w, &i->start_line, sizeof i->start_line);
    w += sizeof i->start_line;
    memcpy(w, &i->lineno, sizeof i->lineno);
    w += sizeof i->lineno;
    for (int j = 0; j < 4; j++) {
        memcpy(w, strs[j], lens[j]);
        w += lens[j];
    }
    k->len = total;
}

void np_node_info_name(const np_node_info *i, np_buf *b)
{
    bool any = false;
    if (i->address) {
        np_buf_printf(b, "%016" PRIx64, i->address);
        any = true;
    }
    if (i->name[0]) {
        if (any)
            np_buf_putc(b, ' ');
        np_buf_puts(b, i->name);
        any = true;
    }
    const char *tail = NULL;
    np_buf t = {0};
    if (i->lineno) {
        np_buf_printf(&t, "%s:%" PRId64, i->file, i->lineno);
        tail = np_buf_cstr(&t);
    } else if (i->file[0]) {
        tail = i->file;
    } else if (i->name[0]) {
        tail = NULL;
    } else if (i->objfile[0]) {
        np_buf_putc(&t, '[');
        np_path_base_buf(&t, i->objfile);
        np_buf_putc(&t, ']');
        tail = np_buf_cstr(&t);
    } else {
        tail = "<unknown>";
    }
    if (tail) {
        if (any)
            np_buf_putc(b, ' ');
        np_buf_puts(b, tail);
    }
    np_buf_free(&t);
}

const char *np_node_name(np_graph *g, np_node *n)
{
    if (!n->printable) {
        np_buf b = {0};
        np_node_info_name(&n->info, &b);
        n->printable = np_arena_strndup(&g->arena, b.data ? b.data : "", b.len);
        np_buf_free(&b);
    }
    return n->printable;
}

/* fmt.Sprint(NodeInfo), pprof's last-resort tie breaker. */
static void info_sprint(const np_node_info *i, np_buf *b)
{
    np_buf_printf(b, "{%s %s %" PRIu64 " %s %" PRId64 " %" PRId64 " %s}", i->name, i->orig_name,
                  i->address, i->file, i->start_line, i->lineno, i->objfile);
}

/* A new zeroed node. Only the node is zeroed, not the array's spare room as NP_PUSH would: the
 * records are large, and zeroing room never used made most of a large graph's page faults. */
static np_node *push_node(np_graph *g)
{
    if (g->n_all == g->cap_all) {
        size_t cap = g->cap_all ? 2 * g->cap_all : 64;
        g->all = np_xrealloc(g->all, cap * sizeof *g->all);
        g->cap_all = cap;
    }
    np_node *n = &g->all[g->n_all++];
    memset(n, 0, sizeof *n);
    return n;
}

static const char *objfile_of(const np_profile *p, const np_location *l)
{
    return l->mapping != NP_NONE ? p->mapping[l->mapping].file : "";
}

/* The cleaned file name of a location line's function, NULL when it has none. */
static const char *line_file(np_graph *g, const np_profile *p, const np_line *ln)
{
    if (!ln || ln->func == NP_NONE || !p->function[ln->func].filename[0])
        return NULL;
    return np_path_clean_arena(&g->arena, p->function[ln->func].filename);
}

/* nodeInfo(): what of a location line identifies a node under these options. */
static np_node_info line_info(const np_profile *p, const np_location *l, const np_line *ln,
                              const np_graph_opts *o, const char *clean_file)
{
    np_node_info ni = {"", "", "", "", l->address, 0, 0};
    const char *obj = objfile_of(p, l);
    if (!ln || ln->func == NP_NONE) {
        ni.objfile = obj;
        return ni;
    }
    const np_function *f = &p->function[ln->func];
    ni.lineno = ln->line;
    ni.name = f->name;
    if (f->filename[0])
        ni.file = clean_file;
    if (o->orig_fn_names)
        ni.orig_name = f->system_name;
    if (o->obj_names || (!ni.name[0] && !ni.orig_name[0])) {
        ni.objfile = obj;
        ni.start_line = f->start_line;
    }
    return ni;
}

/* What line_info reads of a location line are its address and line and its function's and
 * mapping's indices. All but the address and line is the line's class (np_graph_class), worked
 * out once per function and mapping; the node is then found by address, line and class, three
 * numbers, where the info's strings would be hashed and compared for every line. */
typedef struct node_memo {
    np_graph_memo lines;   /* (address, line, class) -> the node, or NP_NONE when not kept */
    np_graph_memo classes; /* (function, mapping) -> class */
    np_graph_class names;
    np_node_info *info;    /* by class: the info at address and line 0 */
    uint32_t *fnode;       /* by class: the function's node, NP_NONE until made */
    bool *kept;            /* by class, with a kept set: whether it holds any node of it */
    size_t cap;
    uint64_t *by_func;     /* by function: mapping << 32 | class + 1 of its last line, or 0 */
    signed char *named;    /* by function, with a kept set: whether it has the function's name
                            * (1 or 0), -1 until asked */
} node_memo;

static uint32_t class_lookup(np_graph *g, const np_profile *p, const np_location *l,
                             const np_line *ln, const np_graph_opts *o, node_memo *m)
{
    bool has_func = ln && ln->func != NP_NONE, found, is_new;
    uint32_t *v = np_graph_memo_find(&m->classes, 0, 0, has_func ? ln->func : NP_NONE,
                                     l->mapping, &found);
    if (found)
        return *v;
    np_node_info ni = line_info(p, l, ln, o, line_file(g, p, ln));
    ni.address = 0;
    ni.lineno = 0;
    const char *strs[4] = {ni.name, ni.orig_name, ni.file, ni.objfile};
    uint32_t c = *v = np_graph_class_of(&m->names, strs, ni.start_line, &is_new);
    if (is_new) {
        if (c == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 64;
            m->info = np_xrealloc(m->info, m->cap * sizeof *m->info);
            m->fnode = np_xrealloc(m->fnode, m->cap * sizeof *m->fnode);
            m->kept = np_xrealloc(m->kept, m->cap * sizeof *m->kept);
        }
        m->info[c] = ni;
        m->fnode[c] = NP_NONE;
        /* Most lines of a graph rebuilt for a few nodes are then left out by one flag. */
        m->kept[c] = !o->kept || np_hmap_get(&o->kept->classes, m->names.key.data,
                                             m->names.key.len) != UINT32_MAX;
    }
    return c;
}

/* A function's lines nearly always share one mapping: the class of its last is kept by the
 * function's index, an array read, before the table keyed by function and mapping. */
static uint32_t class_of(np_graph *g, const np_profile *p, const np_location *l,
                         const np_line *ln, const np_graph_opts *o, node_memo *m)
{
    if (!ln || ln->func == NP_NONE)
        return class_lookup(g, p, l, ln, o, m);
    uint64_t *last = &m->by_func[ln->func];
    if (*last && *last >> 32 == l->mapping)
        return (uint32_t)*last - 1;
    uint32_t c = class_lookup(g, p, l, ln, o, m);
    *last = (uint64_t)l->mapping << 32 | (c + 1);
    return c;
}

static uint32_t new_node(np_graph *g, const np_node_info *ni)
{
    np_node *n = push_node(g);
    n->info = *ni;
    n->seen = UINT32_MAX;
    return (uint32_t)(g->n_all - 1);
}

/* The node of info ni of class c, made when new; its function's node (address and line 0, the
 * same class) is made with it, as pprof makes it, whether or not the kept set holds it. */
static uint32_t node_of(np_graph *g, const np_node_info *ni, uint32_t c, node_memo *m)
{
    bool whole = ni->address == 0 && ni->lineno == 0;
    if (whole && m->fnode[c] != NP_NONE)
        return m->fnode[c];
    uint32_t ix = new_node(g, ni);
    if (whole)
        m->fnode[c] = ix;
    else if (m->fnode[c] == NP_NONE) {
        uint32_t f = m->fnode[c] = new_node(g, &m->info[c]);
        g->all[f].function = f;
    }
    g->all[ix].function = m->fnode[c];
    return ix;
}

static bool is_kept(const np_nodeset *kept, const np_node_info *ni, np_buf *key)
{
    info_key(ni, key);
    return np_hmap_get(&kept->keys, key->data, key->len) != UINT32_MAX;
}

/* Whether the kept set has a node of the line's function's name: most functions of a graph
 * rebuilt for a few nodes are left out by their name alone, before their class is made. */
static bool name_kept(const np_profile *p, const np_line *ln, const np_nodeset *kept,
                      node_memo *m)
{
    if (!kept || !ln || ln->func == NP_NONE)
        return true;
    signed char *k = &m->named[ln->func];
    if (*k < 0) {
        const char *name = p->function[ln->func].name;
        *k = np_hmap_get(&kept->names, name, strlen(name)) != UINT32_MAX;
    }
    return *k;
}

static uint32_t line_node(np_graph *g, const np_profile *p, const np_location *l,
                          const np_line *ln, const np_graph_opts *o, node_memo *m, np_buf *key)
{
    if (!name_kept(p, ln, o->kept, m))
        return NP_NONE;
    uint32_t c = class_of(g, p, l, ln, o, m);
    if (!m->kept[c])
        return NP_NONE;
    np_node_info ni = m->info[c];
    ni.address = l->address;
    ni.lineno = ln && ln->func != NP_NONE ? ln->line : 0;
    bool found;
    uint32_t *v = np_graph_memo_find(&m->lines, ni.address, ni.lineno, c, 0, &found);
    if (found)
        return *v;
    if (o->kept && !is_kept(o->kept, &ni, key))
        return *v = NP_NONE;
    return *v = node_of(g, &ni, c, m);
}

/* Room for every node the locations can make (a node per line and one per function at most),
 * reserved at once: growing copied the large records again and again, and untouched room
 * costs no memory. Past a million nodes (200 MiB of address space) the array grows as it
 * fills, so that a huge profile's report of a few functions does not ask for gigabytes. */
static void reserve_nodes(np_graph *g, const np_profile *p)
{
    size_t lines = 0;
    for (size_t li = 0; li < p->n_location; li++)
        lines += p->location[li].n_line ? p->location[li].n_line : 1;
    g->cap_all = 2 * lines + 64 < (1 << 20) ? 2 * lines + 64 : (1 << 20);
    g->all = np_xmalloc(g->cap_all * sizeof *g->all);
}

static void create_nodes(np_graph *g, const np_profile *p, const np_graph_opts *o)
{
    np_buf key = {0};
    node_memo memo = {0};
    reserve_nodes(g, p);
    np_graph_memo_init(&memo.lines, g->cap_all / 2);
    np_graph_memo_init(&memo.classes, p->n_function);
    np_graph_class_init(&memo.names, p->n_function);
    memo.by_func = np_xcalloc(p->n_function + 1, sizeof *memo.by_func);
    if (o->kept) {
        memo.named = np_xmalloc(p->n_function + 1);
        memset(memo.named, -1, p->n_function + 1);
    }
    g->loc_nodes = np_xcalloc(p->n_location + 1, sizeof *g->loc_nodes);
    g->loc_n = np_xcalloc(p->n_location + 1, sizeof *g->loc_n);
    for (size_t li = 0; li < p->n_location; li++) {
        const np_location *l = &p->location[li];
        uint32_t n = l->n_line ? l->n_line : 1;
        uint32_t *nodes = np_arena_alloc(&g->arena, n * sizeof *nodes);
        for (uint32_t i = 0; i < n; i++) {
            const np_line *ln = l->n_line ? &l->line[i] : NULL;
            if (o->func_kept && !(ln && ln->func != NP_NONE ? o->func_kept[ln->func] : o->nofunc_kept)) {
                nodes[i] = NP_NONE;
                continue;
            }
            nodes[i] = line_node(g, p, l, ln, o, &memo, &key);
        }
        g->loc_nodes[li] = nodes;
        g->loc_n[li] = n;
    }
    np_graph_memo_free(&memo.lines);
    np_graph_memo_free(&memo.classes);
    np_graph_class_free(&memo.names);
    free(memo.info);
    free(memo.fnode);
    free(memo.kept);
    free(memo.by_func);
    free(memo.named);
    np_buf_free(&key);
}

static np_graph *graph_alloc(const np_profile *p, bool call_tree)
{
    np_graph *g = np_xcalloc(1, sizeof *g);
    /* Only call trees key nodes by their strings (and their parent). */
    np_hmap_init(&g->node_index, call_tree ? p->n_location * 2 + 16 : 16);
    return g;
}

np_graph *np_graph_nodes_only(const np_profile *p, const np_graph_opts *o)
{
    np_graph *g = graph_alloc(p, false);
    create_nodes(g, p, o);
    return g;
}

void np_graph_free(np_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_all; i++) {
        np_node *n = &g->all[i];
        free(n->in);
        free(n->out);
        free(n->label_tags.tag);
        for (size_t k = 0; k < n->n_num_tags; k++)
            free(n->num_tags[k].tags.tag);
        free(n->num_tags);
    }
    free(g->all);
    free(g->nodes);
    free(g->edges);
    free(g->loc_nodes);
    free(g->loc_n);
    np_hmap_free(&g->node_index);
    free(g->edge_keys);
    free(g->edge_vals);
    np_arena_free(&g->arena);
    free(g);
}

static void list_remove(uint32_t *list, size_t *n, uint32_t v)
{
    for (size_t i = 0; i < *n; i++) {
        if (list[i] == v) {
            memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof *list);
            (*n)--;
            return;
        }
    }
}

static uint64_t edge_key(uint32_t src, uint32_t dest)
{
    return (uint64_t)src << 32 | dest;
}

/* Multiplicative hashing of a packed pair to a table of 2^bits slots. */
static size_t pair_hash(uint64_t key, unsigned bits)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

/* The slot of key in the (src,dest) index: where it is, or the empty slot where it would go. */
static size_t edge_slot(const np_graph *g, uint64_t key)
{
    size_t i = pair_hash(key, g->edge_bits);
    while (g->edge_vals[i] != UINT32_MAX && g->edge_keys[i] != key)
        i = (i + 1) & g->edge_mask;
    return i;
}

static void edge_index_alloc(np_graph *g, unsigned bits)
{
    size_t cap = (size_t)1 << bits;
    g->edge_bits = bits;
    g->edge_mask = cap - 1;
    g->edge_keys = np_xmalloc(cap * sizeof *g->edge_keys);
    g->edge_vals = np_xmalloc(cap * sizeof *g->edge_vals);
    memset(g->edge_vals, 0xff, cap * sizeof *g->edge_vals);
}

static void edge_index_put(np_graph *g, uint64_t key, uint32_t e)
{
    size_t i = edge_slot(g, key);
    if (g->edge_vals[i] == UINT32_MAX) {
        if (++g->edge_count * 2 > g->edge_mask) {
            uint64_t *keys = g->edge_keys;
            uint32_t *vals = g->edge_vals;
            size_t old = g->edge_mask + 1;
            edge_index_alloc(g, g->edge_bits + 1);
            for (size_t j = 0; j < old; j++)
                if (vals[j] != UINT32_MAX) {
                    size_t k = edge_slot(g, keys[j]);
                    g->edge_keys[k] = keys[j];
                    g->edge_vals[k] = vals[j];
                }
            free(keys);
            free(vals);
            i = edge_slot(g, key);
        }
        g->edge_keys[i] = key;
    }
    g->edge_vals[i] = e;
}

/* The (src,dest) index is made on first use: graphs built by build_graph, which keeps its own
 * table while it runs, usually never need it. Made from the live edges in order, so a pair's
 * newest edge wins, as when edges are put one by one. */
static void edge_index_ready(np_graph *g)
{
    if (g->edge_vals)
        return;
    unsigned bits = 6;
    while (((size_t)1 << bits) < 4 * g->n_edges)
        bits++;
    edge_index_alloc(g, bits);
    for (size_t e = 0; e < g->n_edges; e++)
        if (!g->edges[e].dead)
            edge_index_put(g, edge_key(g->edges[e].src, g->edges[e].dest), (uint32_t)e);
}

/* Maps (src,dest) to edge e, replacing any earlier edge of that pair. */
static void edge_put(np_graph *g, uint32_t src, uint32_t dest, uint32_t e)
{
    edge_index_ready(g);
    edge_index_put(g, edge_key(src, dest), e);
}

static uint32_t edge_find(np_graph *g, uint32_t src, uint32_t dest)
{
    edge_index_ready(g);
    uint32_t e = g->edge_vals[edge_slot(g, edge_key(src, dest))];
    return e != UINT32_MAX && !g->edges[e].dead ? e : NP_NONE;
}

/* Appends edge e to its endpoints' out and in lists. */
static void edge_link_lists(np_graph *g, uint32_t e)
{
    np_edge *ed = &g->edges[e];
    np_node *s = &g->all[ed->src], *d = &g->all[ed->dest];
    *NP_PUSH(s->out, s->n_out, s->cap_out) = e;
    *NP_PUSH(d->in, d->n_in, d->cap_in) = e;
}

/* Links an edge into both endpoint lists and the (src,dest) index. */
static uint32_t edge_link(np_graph *g, uint32_t e)
{
    edge_link_lists(g, e);
    /* A pair seen before (re-pointed after a tree trim) had a now dead edge: replace it. */
    edge_put(g, g->edges[e].src, g->edges[e].dest, e);
    return e;
}

static void edge_unlink(np_graph *g, uint32_t e)
{
    np_edge *ed = &g->edges[e];
    list_remove(g->all[ed->src].out, &g->all[ed->src].n_out, e);
    list_remove(g->all[ed->dest].in, &g->all[ed->dest].n_in, e);
    ed->dead = true;
}

static uint32_t add_to_edge(np_graph *g, uint32_t from, uint32_t to, int64_t dv, int64_t v,
                            bool residual, bool is_inline)
{
    uint32_t e = edge_find(g, from, to);
    if (e != NP_NONE) {
        np_edge *ed = &g->edges[e];
        ed->weight_div += dv;
        ed->weight += v;
        ed->residual = ed->residual || residual;
        if (!is_inline)
            ed->is_inline = false;
        return e;
    }
    np_edge *ed = NP_PUSH(g->edges, g->n_edges, g->cap_edges);
    ed->src = from;
    ed->dest = to;
    ed->weight_div = dv;
    ed->weight = v;
    ed->residual = residual;
    ed->is_inline = is_inline;
    ed->seen = UINT32_MAX;
    return edge_link(g, (uint32_t)(g->n_edges - 1));
}

/* Tag names and label sets are interned (tag_names below): equal texts are one pointer. */
static np_tag *tag_find_or_add(np_tagmap *m, const char *name, const char *unit, int64_t value)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->tag[i].name == name)
            return &m->tag[i];
    np_tag *t = NP_PUSH(m->tag, m->n, m->cap);
    t->name = name;
    t->unit = unit;
    t->value = value;
    return t;
}

static void tag_add(np_tag *t, int64_t dw, int64_t w, bool flat)
{
    if (flat) {
        t->flat_div += dw;
        t->flat += w;
    } else {
        t->cum_div += dw;
        t->cum += w;
    }
}

/* A sample's tags, worked out once for all the nodes of its stack. */
typedef struct num_tag {
    const char *name, *unit;
    int64_t value;
} num_tag;

typedef struct sample_ctx {
    const char *labels; /* joined string labels or "", interned */
    num_tag *num;       /* its "bytes" numeric labels, names interned */
    size_t n_num, cap_num;
} sample_ctx;

/* Interned strings of one graph build, in the graph's arena; by_value remembers the name of
 * each numeric label value (the same sizes recur on many samples). */
typedef struct tag_names {
    np_hmap index, by_value, by_labels; /* by_labels: a sample's label strings' addresses */
    np_buf key;
    const char **str;
    size_t n, cap;
} tag_names;

#define NO_LABELS (UINT32_MAX - 1) /* only the -diff_base label: nothing to join */

static uint32_t intern(np_graph *g, tag_names *t, const char *s, size_t len)
{
    bool found;
    uint32_t k = np_hmap_intern(&t->index, s, len, (uint32_t)t->n, &found);
    if (!found)
        *NP_PUSH(t->str, t->n, t->cap) = np_arena_strndup(&g->arena, s, len);
    return k;
}

static void tag_names_free(tag_names *t)
{
    np_hmap_free(&t->index);
    np_hmap_free(&t->by_value);
    np_hmap_free(&t->by_labels);
    np_buf_free(&t->key);
    free(t->str);
}

static const char *unit_for(const np_graph_opts *o, const char *key)
{
    for (const char *const *u = o->num_label_units; u && u[0]; u += 2)
        if (strcmp(u[0], key) == 0)
            return u[1];
    return "";
}


static void add_tags(np_node *n, const sample_ctx *c, int64_t dw, int64_t w, bool flat)
{
    if (c->labels[0])
        tag_add(tag_find_or_add(&n->label_tags, c->labels, "", 0), dw, w, flat);
    np_numtags *nt = NULL;
    for (size_t i = 0; i < n->n_num_tags && !nt; i++)
        if (n->num_tags[i].labels == c->labels)
            nt = &n->num_tags[i];
    if (!nt) {
        nt = NP_PUSH(n->num_tags, n->n_num_tags, n->cap_num_tags);
        nt->labels = c->labels;
    }
    for (size_t i = 0; i < c->n_num; i++)
        tag_add(tag_find_or_add(&nt->tags, c->num[i].name, c->num[i].unit, c->num[i].value), dw, w, flat);
}

static void add_sample(np_node *n, const sample_ctx *c, bool tags, int64_t dw, int64_t w, bool flat)
{
    if (flat) {
        n->flat_div += dw;
        n->flat += w;
    } else {
        n->cum_div += dw;
        n->cum += w;
    }
    if (tags)
        add_tags(n, c, dw, w, flat);
}

/* The label marking -diff_base samples: pprof's report removes it before building a graph so
 * that it never shows as a tag. */
static bool is_base_label(const np_label *l)
{
    return strcmp(l->key, "pprof::base") == 0;
}

/* joinLabels: "key:value" strings sorted and joined with a literal backslash-n. */
static const char *join_labels(np_graph *g, const np_sample *s)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s->n_label; i++)
        n += s->label[i].str[0] != 0 && !is_base_label(&s->label[i]);
    if (!n)
        return "";
    char **parts = np_xcalloc(n, sizeof *parts);
    size_t k = 0;
    for (uint32_t i = 0; i < s->n_label; i++) {
        if (!s->label[i].str[0] || is_base_label(&s->label[i]))
            continue;
        np_buf b = {0};
        np_buf_printf(&b, "%s:%s", s->label[i].key, s->label[i].str);
        parts[k++] = (char *)np_buf_cstr(&b);
    }
    qsort(parts, n, sizeof *parts, np_cmp_strptr);
    np_buf all = {0};
    for (size_t i = 0; i < n; i++) {
        if (i)
            np_buf_puts(&all, "\\n");
        np_buf_puts(&all, parts[i]);
        free(parts[i]);
    }
    free(parts);
    const char *r = np_arena_strndup(&g->arena, all.data, all.len);
    np_buf_free(&all);
    return r;
}

/* The sample's joined string labels, interned; joined once per distinct set of label strings
 * (a profile's strings are shared, so the same set has the same addresses). */
static const char *sample_labels(np_graph *g, tag_names *t, const np_sample *s)
{
    t->key.len = 0;
    for (uint32_t i = 0; i < s->n_label; i++)
        if (s->label[i].str[0])
            np_buf_add(&t->key, &s->label[i], 2 * sizeof(const char *)); /* key, str */
    if (t->key.len == 0)
        return "";
    uint32_t k = np_hmap_get(&t->by_labels, t->key.data, t->key.len);
    if (k == UINT32_MAX) {
        const char *labels = join_labels(g, s);
        k = labels[0] ? intern(g, t, labels, strlen(labels)) : NO_LABELS;
        bool found;
        np_hmap_intern(&t->by_labels, t->key.data, t->key.len, k, &found);
    }
    return k == NO_LABELS ? "" : t->str[k];
}

/* The tag name of a numeric label's value, formatted once per value and unit. */
static const char *value_name(np_graph *g, tag_names *t, int64_t num, const char *unit,
                              const char *output_unit, np_buf *tmp)
{
    struct {
        int64_t num;
        const char *unit;
    } key = {num, unit};
    uint32_t k = np_hmap_get(&t->by_value, &key, sizeof key);
    if (k != UINT32_MAX)
        return t->str[k];
    tmp->len = 0;
    np_measure_scaled_label(tmp, num, unit, output_unit);
    k = intern(g, t, tmp->data ? tmp->data : "", tmp->len);
    bool found;
    np_hmap_intern(&t->by_value, &key, sizeof key, k, &found);
    return t->str[k];
}

/* The sample's joined labels and the names of its numeric tags, each made once per sample
 * rather than once per node of its stack. */
static void sample_tags(np_graph *g, tag_names *t, const np_sample *s, const np_graph_opts *o,
                        sample_ctx *c)
{
    c->labels = sample_labels(g, t, s);
    c->n_num = 0;
    np_buf name = {0};
    for (uint32_t i = 0; i < s->n_label; i++) {
        const np_label *l = &s->label[i];
        /* Reports keep only the "bytes" numeric label for graphs, in its profile-wide unit. */
        if (l->str[0] || strcmp(l->key, "bytes") != 0)
            continue;
        const char *unit = unit_for(o, l->key);
        if (!unit[0])
            unit = l->key;
        num_tag *nt = NP_PUSH(c->num, c->n_num, c->cap_num);
        nt->name = value_name(g, t, l->num, unit, o->output_unit, &name);
        nt->unit = unit;
        nt->value = l->num;
    }
    np_buf_free(&name);
}

static bool sample_weights(const np_sample *s, const np_graph_opts *o, int64_t *w, int64_t *dw)
{
    *w = s->value[o->value_index];
    *dw = o->mean_index >= 0 ? s->value[o->mean_index] : 0;
    return *w != 0 || *dw != 0;
}

/* build_graph's table of edges: one 32-byte slot per (src,dest) holds the pair, the edge's
 * index and its weights as they add up, so the per-frame work touches one cache line for the
 * edge instead of an index entry and a separate edge record. The weights go to g->edges at
 * the end. */
typedef struct edge_acc {
    uint64_t key;          /* edge_key(src, dest), or ACC_EMPTY */
    int64_t weight, weight_div;
    uint32_t edge;         /* index into g->edges, with the ACC_ flags */
    uint32_t seen;         /* the last sample counted */
} edge_acc;

#define ACC_EMPTY UINT64_MAX /* no node index is NP_NONE, so no pair packs to this */
#define ACC_RESIDUAL (1u << 31)
#define ACC_NOT_INLINE (1u << 30)
#define ACC_INDEX (ACC_NOT_INLINE - 1)

typedef struct edge_accs {
    edge_acc *slot;
    unsigned bits;
    size_t count;
} edge_accs;

static void accs_alloc(edge_accs *t, unsigned bits)
{
    size_t cap = (size_t)1 << bits;
    t->bits = bits;
    t->slot = np_xmalloc(cap * sizeof *t->slot);
    for (size_t i = 0; i < cap; i++)
        t->slot[i].key = ACC_EMPTY;
}

static edge_acc *accs_slot(const edge_accs *t, uint64_t key)
{
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t i = pair_hash(key, t->bits);
    while (t->slot[i].key != key && t->slot[i].key != ACC_EMPTY)
        i = (i + 1) & mask;
    return &t->slot[i];
}

/* The slot of the edge from->to, creating the edge (linked into its nodes' lists, in the
 * order edges are first seen, as add_to_edge would) when it is new. */
static edge_acc *accs_edge(np_graph *g, edge_accs *t, uint32_t from, uint32_t to)
{
    uint64_t key = edge_key(from, to);
    edge_acc *a = accs_slot(t, key);
    if (a->key == key)
        return a;
    if (g->n_edges >= ACC_INDEX) {
        fprintf(stderr, "nprof: too many graph edges\n");
        abort();
    }
    if (++t->count * 8 > ((size_t)5 << t->bits)) { /* keep the load under 5/8 */
        edge_accs old = *t;
        accs_alloc(t, old.bits + 1);
        for (size_t i = 0; i < ((size_t)1 << old.bits); i++)
            if (old.slot[i].key != ACC_EMPTY)
                *accs_slot(t, old.slot[i].key) = old.slot[i];
        free(old.slot);
        a = accs_slot(t, key);
    }
    np_edge *ed = NP_PUSH(g->edges, g->n_edges, g->cap_edges);
    ed->src = from;
    ed->dest = to;
    ed->seen = UINT32_MAX;
    edge_link_lists(g, (uint32_t)(g->n_edges - 1));
    a->key = key;
    a->weight = a->weight_div = 0;
    a->edge = (uint32_t)(g->n_edges - 1);
    a->seen = UINT32_MAX;
    return a;
}

#define MULTI (UINT32_MAX - 1) /* not a node: the location has several lines */

/* By location, its one node (or NP_NONE), or MULTI: the per-frame loop over samples then reads
 * one small array instead of following each location's pointer to its list. */
static uint32_t *single_nodes(const np_graph *g, const np_profile *p)
{
    uint32_t *single = np_xmalloc((p->n_location + 1) * sizeof *single);
    for (size_t li = 0; li < p->n_location; li++)
        single[li] = g->loc_n[li] == 1 ? g->loc_nodes[li][0] : MULTI;
    return single;
}

static void build_graph(np_graph *g, const np_profile *p, const np_graph_opts *o)
{
    create_nodes(g, p, o);
    /* Per-node "counted in this sample" marks and sums, in arrays of their own: small enough
     * to stay in cache, unlike the node records they are copied to at the end. */
    uint32_t *seen = np_xmalloc((g->n_all + 1) * sizeof *seen);
    memset(seen, 0xff, (g->n_all + 1) * sizeof *seen);
    int64_t *cum = np_xcalloc(2 * g->n_all + 2, sizeof *cum); /* cum, cum_div pairs */
    int64_t *flat = np_xcalloc(2 * g->n_all + 2, sizeof *flat); /* flat, flat_div pairs */
    uint32_t *single = single_nodes(g, p);
    bool edges = !o->weights_only, tags = o->tags && !o->weights_only;
    edge_accs accs = {0};
    unsigned bits = 6;
    while (((size_t)1 << bits) < 2 * p->n_location)
        bits++;
    if (edges)
        accs_alloc(&accs, bits);
    tag_names names = {0};
    np_hmap_init(&names.index, 64);
    np_hmap_init(&names.by_value, 64);
    np_hmap_init(&names.by_labels, 64);
    sample_ctx c = {0};
    for (size_t si = 0; si < p->n_sample; si++) {
        const np_sample *s = &p->sample[si];
        int64_t w, dw;
        if (!sample_weights(s, o, &w, &dw))
            continue;
        if (tags)
            sample_tags(g, &names, s, o, &c);
        uint32_t parent = NP_NONE;
        bool residual = false;
        for (uint32_t i = s->n_loc; i-- > 0;) {
            uint32_t li = s->loc[i];
            const uint32_t *ln = &single[li];
            uint32_t nl = 1;
            if (single[li] == MULTI) {
                ln = g->loc_nodes[li];
                nl = g->loc_n[li];
            }
            for (uint32_t ni = nl; ni-- > 0;) {
                uint32_t n = ln[ni];
                if (n == NP_NONE) {
                    residual = true;
                    continue;
                }
                if (seen[n] != si) {
                    seen[n] = (uint32_t)si;
                    cum[2 * n] += w;
                    cum[2 * n + 1] += dw;
                    if (tags)
                        add_tags(&g->all[n], &c, dw, w, false);
                }
                if (edges && parent != NP_NONE && n != parent) {
                    edge_acc *a = accs_edge(g, &accs, parent, n);
                    if (a->seen != si) {
                        a->seen = (uint32_t)si;
                        a->weight_div += dw;
                        a->weight += w;
                        if (residual)
                            a->edge |= ACC_RESIDUAL;
                        if (ni == nl - 1) /* the outermost line: a real call, not inlined */
                            a->edge |= ACC_NOT_INLINE;
                    }
                }
                parent = n;
                residual = false;
            }
        }
        if (parent != NP_NONE && !residual) {
            flat[2 * parent] += w;
            flat[2 * parent + 1] += dw;
            if (tags)
                add_tags(&g->all[parent], &c, dw, w, true);
        }
    }
    for (size_t i = 0; i < g->n_all; i++) {
        g->all[i].cum += cum[2 * i];
        g->all[i].cum_div += cum[2 * i + 1];
        g->all[i].flat += flat[2 * i];
        g->all[i].flat_div += flat[2 * i + 1];
    }
    for (size_t i = 0; edges && i < ((size_t)1 << accs.bits); i++) {
        const edge_acc *a = &accs.slot[i];
        if (a->key == ACC_EMPTY)
            continue;
        np_edge *ed = &g->edges[a->edge & ACC_INDEX];
        ed->weight = a->weight;
        ed->weight_div = a->weight_div;
        ed->residual = (a->edge & ACC_RESIDUAL) != 0;
        ed->is_inline = (a->edge & ACC_NOT_INLINE) == 0;
        ed->seen = a->seen;
    }
    free(accs.slot);
    free(cum);
    free(flat);
    free(single);
    free(seen);
    free(c.num);
    tag_names_free(&names);
}

/* Call trees: a node per distinct (parent, line) path, so every node has one caller. */
static void build_tree(np_graph *g, const np_profile *p, const np_graph_opts *o)
{
    np_buf key = {0};
    tag_names names = {0};
    np_hmap_init(&names.index, 64);
    np_hmap_init(&names.by_value, 64);
    np_hmap_init(&names.by_labels, 64);
    sample_ctx c = {0};
    for (size_t si = 0; si < p->n_sample; si++) {
        const np_sample *s = &p->sample[si];
        int64_t w, dw;
        if (!sample_weights(s, o, &w, &dw))
            continue;
        if (o->tags)
            sample_tags(g, &names, s, o, &c);
        uint32_t parent = NP_NONE;
        for (uint32_t i = s->n_loc; i-- > 0;) {
            const np_location *l = &p->location[s->loc[i]];
            uint32_t nlines = l->n_line ? l->n_line : 1;
            for (uint32_t li = nlines; li-- > 0;) {
                const np_line *ln = l->n_line ? &l->line[li] : NULL;
                np_node_info ni = line_info(p, l, ln, o, line_file(g, p, ln));
                /* Nodes are keyed by their parent too: prefix the info key with it. */
                info_key(&ni, &key);
                np_buf_add(&key, &parent, sizeof parent);
                if (o->kept) {
                    np_buf k2 = {0};
                    info_key(&ni, &k2);
                    bool keep = np_hmap_get(&o->kept->keys, k2.data, k2.len) != UINT32_MAX;
                    np_buf_free(&k2);
                    if (!keep)
                        continue;
                }
                bool found;
                uint32_t n = np_hmap_intern(&g->node_index, key.data, key.len, (uint32_t)g->n_all, &found);
                if (!found) {
                    np_node *nn = push_node(g);
                    nn->info = ni;
                    nn->seen = UINT32_MAX;
                    nn->function = n;
                    if (ni.address != 0 || ni.lineno != 0) {
                        /* As in pprof, the whole-function node lives in the same per-parent
                         * map, so sibling lines of one function share it (callgrind's
                         * disambiguated names depend on this). */
                        np_node_info fi = ni;
                        fi.address = 0;
                        fi.lineno = 0;
                        np_buf fk = {0};
                        info_key(&fi, &fk);
                        np_buf_add(&fk, &parent, sizeof parent);
                        bool ffound;
                        uint32_t f = np_hmap_intern(&g->node_index, fk.data, fk.len,
                                                    (uint32_t)g->n_all, &ffound);
                        np_buf_free(&fk);
                        if (!ffound) {
                            np_node *fn = push_node(g);
                            fn->info = fi;
                            fn->seen = UINT32_MAX;
                            fn->function = f;
                        }
                        g->all[n].function = f;
                    }
                }
                add_sample(&g->all[n], &c, o->tags, dw, w, false);
                if (parent != NP_NONE)
                    add_to_edge(g, parent, n, dw, w, false, li != nlines - 1);
                parent = n;
            }
        }
        if (parent != NP_NONE)
            add_sample(&g->all[parent], &c, o->tags, dw, w, true);
    }
    np_buf_free(&key);
    free(c.num);
    tag_names_free(&names);
}

static bool is_negative(const np_node *n)
{
    return n->flat < 0 || (n->flat == 0 && n->cum < 0);
}

np_graph *np_graph_new(const np_profile *p, const np_graph_opts *o)
{
    np_graph *g = graph_alloc(p, o->call_tree);
    if (o->call_tree)
        build_tree(g, p, o);
    else
        build_graph(g, p, o);
    g->nodes = np_xcalloc(g->n_all + 1, sizeof *g->nodes);
    for (size_t i = 0; i < g->n_all; i++) {
        const np_node *n = &g->all[i];
        if (n->cum == 0 && n->flat == 0)
            continue;
        if (o->drop_negative && is_negative(n))
            continue;
        g->nodes[g->n_nodes++] = (uint32_t)i;
    }
    return g;
}

void np_graph_sum(const np_graph *g, int64_t *flat, int64_t *cum)
{
    int64_t f = 0, c = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        f += g->all[g->nodes[i]].flat;
        c += g->all[g->nodes[i]].cum;
    }
    if (flat)
        *flat = f;
    if (cum)
        *cum = c;
}

/* ---- ordering ---- */

typedef struct sort_ctx {
    np_graph *g;
    enum np_node_order order;
    int64_t *score; /* per index into all */
} sort_ctx;

static sort_ctx *g_sort; /* qsort has no context argument in C11 */

static int cmp_i64_desc(int64_t a, int64_t b)
{
    return a > b ? -1 : a < b;
}

static int compare_nodes(np_node *l, np_node *r)
{
    np_buf a = {0}, b = {0};
    info_sprint(&l->info, &a);
    info_sprint(&r->info, &b);
    int c = strcmp(np_buf_cstr(&a), np_buf_cstr(&b));
    np_buf_free(&a);
    np_buf_free(&b);
    return c;
}

static int node_cmp(const void *pa, const void *pb)
{
    np_graph *g = g_sort->g;
    uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
    np_node *l = &g->all[ia], *r = &g->all[ib];
    int c = 0;
    switch (g_sort->order) {
    case NP_ORDER_FLAT:
        if ((c = cmp_i64_desc(np_go_abs64(l->flat), np_go_abs64(r->flat))))
            return c;
        if ((c = strcmp(np_node_name(g, l), np_node_name(g, r))))
            return c;
        if ((c = cmp_i64_desc(np_go_abs64(l->cum), np_go_abs64(r->cum))))
            return c;
        break;
    case NP_ORDER_FLAT_CUM:
        if ((c = cmp_i64_desc(np_go_abs64(l->flat), np_go_abs64(r->flat))))
            return c;
        if ((c = cmp_i64_desc(np_go_abs64(l->cum), np_go_abs64(r->cum))))
            return c;
        if ((c = strcmp(np_node_name(g, l), np_node_name(g, r))))
            return c;
        break;
    case NP_ORDER_NAME:
        if ((c = strcmp(l->info.name, r->info.name)))
            return c;
        break;
    case NP_ORDER_FILE:
        if ((c = strcmp(l->info.file, r->info.file)))
            return c;
        if (l->info.start_line != r->info.start_line)
            return l->info.start_line < r->info.start_line ? -1 : 1;
        break;
    case NP_ORDER_ADDRESS:
        if (l->info.address != r->info.address)
            return l->info.address < r->info.address ? -1 : 1;
        break;
    case NP_ORDER_CUM:
    case NP_ORDER_ENTROPY:
        if ((c = cmp_i64_desc(np_go_abs64(g_sort->score[ia]), np_go_abs64(g_sort->score[ib]))))
            return c;
        if ((c = strcmp(np_node_name(g, l), np_node_name(g, r))))
            return c;
        if ((c = cmp_i64_desc(np_go_abs64(l->flat), np_go_abs64(r->flat))))
            return c;
        break;
    }
    return compare_nodes(l, r);
}

static bool node_less(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    return node_cmp(a, b) < 0;
}

static double edge_entropy(const np_graph *g, const uint32_t *edges, size_t n, int64_t self)
{
    double score = 0;
    int64_t total = self;
    for (size_t i = 0; i < n; i++)
        if (g->edges[edges[i]].weight > 0)
            total += np_go_abs64(g->edges[edges[i]].weight);
    if (total != 0) {
        for (size_t i = 0; i < n; i++) {
            double frac = (double)np_go_abs64(g->edges[edges[i]].weight) / (double)total;
            score += -frac * log2(frac);
        }
        if (self > 0) {
            double frac = (double)np_go_abs64(self) / (double)total;
            score += -frac * log2(frac);
        }
    }
    return score;
}

static int64_t entropy_score(const np_graph *g, const np_node *n)
{
    double score = 0;
    if (n->n_in == 0)
        score++;
    else
        score += edge_entropy(g, n->in, n->n_in, 0);
    if (n->n_out == 0)
        score++;
    else
        score += edge_entropy(g, n->out, n->n_out, n->flat);
    return (int64_t)((uint64_t)np_go_f2i(score * (double)n->cum) + (uint64_t)n->flat);
}

void np_graph_sort(np_graph *g, enum np_node_order order)
{
    sort_ctx c = {g, order, NULL};
    if (order == NP_ORDER_CUM || order == NP_ORDER_ENTROPY) {
        c.score = np_xcalloc(g->n_all + 1, sizeof *c.score);
        for (size_t i = 0; i < g->n_nodes; i++) {
            np_node *n = np_graph_node(g, i);
            c.score[g->nodes[i]] = order == NP_ORDER_CUM ? n->cum : entropy_score(g, n);
        }
    }
    /* Names are cached up front so the comparator does no allocation in the common case. */
    for (size_t i = 0; i < g->n_nodes; i++)
        np_node_name(g, np_graph_node(g, i));
    g_sort = &c;
    /* Go's own sort: nodes that tie (one function at several call-tree places) must come out
     * in pprof's order. */
    np_gosort(g->nodes, g->n_nodes, sizeof *g->nodes, node_less, NULL);
    g_sort = NULL;
    free(c.score);
}

void np_graph_sort_nodes(np_graph *g, bool cum, bool visual)
{
    np_graph_sort(g, visual ? NP_ORDER_ENTROPY : cum ? NP_ORDER_CUM : NP_ORDER_FLAT);
}

/* ---- trimming ---- */

void np_nodeset_init(np_nodeset *s)
{
    np_hmap_init(&s->keys, 64);
    np_hmap_init(&s->classes, 64);
    np_hmap_init(&s->names, 64);
}

void np_nodeset_free(np_nodeset *s)
{
    np_hmap_free(&s->keys);
    np_hmap_free(&s->classes);
    np_hmap_free(&s->names);
}

static void nodeset_add(np_nodeset *s, const np_node_info *i)
{
    np_buf k = {0};
    info_key(i, &k);
    np_hmap_intern(&s->keys, k.data, k.len, 1, NULL);
    const char *strs[4] = {i->name, i->orig_name, i->file, i->objfile};
    np_graph_class_key(&k, strs, i->start_line);
    np_hmap_intern(&s->classes, k.data, k.len, 1, NULL);
    np_hmap_intern(&s->names, i->name, strlen(i->name), 1, NULL);
    np_buf_free(&k);
}

size_t np_graph_discard_low_frequency(const np_graph *g, int64_t cutoff, np_nodeset *kept)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const np_node *nd = &g->all[g->nodes[i]];
        if (np_go_abs64(nd->cum) < cutoff)
            continue;
        nodeset_add(kept, &nd->info);
        n++;
    }
    return n;
}

size_t np_graph_discard_low_frequency_ptrs(const np_graph *g, int64_t cutoff, bool *mark)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const np_node *nd = &g->all[g->nodes[i]];
        if (np_go_abs64(nd->cum) < cutoff)
            continue;
        mark[g->nodes[i]] = true;
        n++;
    }
    return n;
}

enum { MAX_NODELETS = 4 };

static int count_tags(const np_node *n)
{
    int count = 0;
    for (size_t i = 0; i < n->label_tags.n; i++)
        count += n->label_tags.tag[i].flat != 0;
    for (size_t k = 0; k < n->n_num_tags; k++)
        for (size_t i = 0; i < n->num_tags[k].tags.n; i++)
            count += n->num_tags[k].tags.tag[i].flat != 0;
    return count;
}

static size_t top_count(np_graph *g, int max_nodes, bool visual)
{
    if (max_nodes > 0 && visual) {
        int count = 0;
        for (size_t i = 0; i < g->n_nodes; i++) {
            int tags = count_tags(np_graph_node(g, i));
            if (tags > MAX_NODELETS)
                tags = MAX_NODELETS;
            if ((count += tags + 1) >= max_nodes) {
                max_nodes = (int)i + 1;
                break;
            }
        }
    }
    if (max_nodes < 0)
        max_nodes = 0;
    return (size_t)max_nodes > g->n_nodes ? g->n_nodes : (size_t)max_nodes;
}

size_t np_graph_select_top(np_graph *g, int max_nodes, bool visual, np_nodeset *kept)
{
    size_t n = top_count(g, max_nodes, visual);
    for (size_t i = 0; i < n; i++)
        nodeset_add(kept, &np_graph_node(g, i)->info);
    return n;
}

size_t np_graph_select_top_ptrs(np_graph *g, int max_nodes, bool visual, bool *mark)
{
    size_t n = top_count(g, max_nodes, visual);
    for (size_t i = 0; i < n; i++)
        mark[g->nodes[i]] = true;
    return n;
}

void np_graph_trim_tree(np_graph *g, const bool *kept)
{
    size_t out = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        uint32_t ci = g->nodes[i];
        np_node *cur = &g->all[ci];
        if (kept[ci]) {
            g->nodes[out++] = ci;
            continue;
        }
        if (cur->n_in == 0) {
            while (cur->n_out)
                edge_unlink(g, cur->out[0]);
            continue;
        }
        uint32_t pe = cur->in[0];
        uint32_t parent = g->edges[pe].src;
        bool parent_inline = g->edges[pe].is_inline;
        edge_unlink(g, pe);
        while (cur->n_out) {
            uint32_t e = cur->out[0];
            np_edge copy = g->edges[e];
            edge_unlink(g, e);
            np_edge *ne = NP_PUSH(g->edges, g->n_edges, g->cap_edges);
            *ne = copy;
            ne->dead = false;
            ne->src = parent;
            ne->residual = true;
            ne->is_inline = parent_inline && copy.is_inline;
            edge_link(g, (uint32_t)(g->n_edges - 1));
            cur = &g->all[ci];
        }
    }
    g->n_nodes = out;
    np_graph_remove_redundant_edges(g);
}

static void trim_tags(np_tagmap *m, int64_t cutoff)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (np_go_abs64(m->tag[i].flat) >= cutoff || np_go_abs64(m->tag[i].cum) >= cutoff)
            m->tag[k++] = m->tag[i];
    m->n = k;
}

void np_graph_trim_low_frequency_tags(np_graph *g, int64_t cutoff)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        trim_tags(&n->label_tags, cutoff);
        for (size_t k = 0; k < n->n_num_tags; k++)
            trim_tags(&n->num_tags[k].tags, cutoff);
    }
}

/* Unlinks edges in bulk: each in list is filtered in one pass and each source's out list once
 * at the end, the same lists that edge_unlink edge by edge would leave (order kept), without
 * its search of hot nodes' long lists for every edge. */
int np_graph_trim_low_frequency_edges(np_graph *g, int64_t cutoff)
{
    int dropped = 0;
    bool *dirty = NULL;
    for (size_t i = 0; i < g->n_nodes; i++) {
        np_node *n = np_graph_node(g, i);
        size_t kept = 0;
        for (size_t k = 0; k < n->n_in; k++) {
            uint32_t e = n->in[k];
            if (np_go_abs64(g->edges[e].weight) < cutoff) {
                g->edges[e].dead = true;
                if (!dirty)
                    dirty = np_xcalloc(g->n_all + 1, sizeof *dirty);
                dirty[g->edges[e].src] = true;
                dropped++;
            } else {
                n->in[kept++] = e;
            }
        }
        n->n_in = kept;
    }
    if (!dirty)
        return dropped;
    for (size_t i = 0; i < g->n_all; i++) {
        if (!dirty[i])
            continue;
        np_node *n = &g->all[i];
        size_t kept = 0;
        for (size_t k = 0; k < n->n_out; k++)
            if (!g->edges[n->out[k]].dead)
                n->out[kept++] = n->out[k];
        n->n_out = kept;
    }
    free(dirty);
    return dropped;
}

static np_graph *g_edge_sort; /* qsort has no context argument in C11 */

/* edgeList.Less: heavier first (by absolute weight), then by the endpoints' names. */
static int edge_cmp(const void *pa, const void *pb)
{
    np_graph *g = g_edge_sort;
    const np_edge *a = &g->edges[*(const uint32_t *)pa], *b = &g->edges[*(const uint32_t *)pb];
    if (a->weight != b->weight) {
        int c = cmp_i64_desc(np_go_abs64(a->weight), np_go_abs64(b->weight));
        if (c)
            return c;
    }
    int c = strcmp(np_node_name(g, &g->all[a->src]), np_node_name(g, &g->all[b->src]));
    if (c)
        return c;
    return strcmp(np_node_name(g, &g->all[a->dest]), np_node_name(g, &g->all[b->dest]));
}

void np_graph_sort_edges(np_graph *g, uint32_t *edges, size_t k)
{
    /* Names are made before sorting: the comparison cannot make them. */
    for (size_t i = 0; i < k; i++) {
        np_node_name(g, &g->all[g->edges[edges[i]].src]);
        np_node_name(g, &g->all[g->edges[edges[i]].dest]);
    }
    g_edge_sort = g;
    qsort(edges, k, sizeof *edges, edge_cmp);
    g_edge_sort = NULL;
}

uint32_t *np_graph_sorted_edges(np_graph *g, const np_node *n, bool in, size_t *count)
{
    size_t k = in ? n->n_in : n->n_out;
    uint32_t *list = np_xmalloc((k + 1) * sizeof *list);
    if (k) /* the lists are NULL while empty, and memcpy from NULL is undefined */
        memcpy(list, in ? n->in : n->out, k * sizeof *list);
    np_graph_sort_edges(g, list, k);
    *count = k;
    return list;
}

static bool is_redundant_edge(np_graph *g, uint32_t e)
{
    uint32_t src = g->edges[e].src, start = g->edges[e].dest;
    bool *seen = np_xcalloc(g->n_all + 1, sizeof *seen);
    uint32_t *queue = np_xmalloc((g->n_all + 1) * sizeof *queue);
    size_t head = 0, tail = 0;
    bool found = false;
    seen[start] = true;
    queue[tail++] = start;
    while (head < tail && !found) {
        const np_node *n = &g->all[queue[head++]];
        for (size_t i = 0; i < n->n_in; i++) {
            uint32_t ie = n->in[i];
            uint32_t s = g->edges[ie].src;
            if (ie == e || seen[s])
                continue;
            if (s == src) {
                found = true;
                break;
            }
            seen[s] = true;
            queue[tail++] = s;
        }
    }
    free(seen);
    free(queue);
    return found;
}

void np_graph_remove_redundant_edges(np_graph *g)
{
    for (size_t i = g->n_nodes; i > 0; i--) {
        np_node *n = np_graph_node(g, i - 1);
        size_t k;
        uint32_t *in = np_graph_sorted_edges(g, n, true, &k);
        for (size_t j = k; j > 0; j--) {
            uint32_t e = in[j - 1];
            if (!g->edges[e].residual)
                break;
            if (is_redundant_edge(g, e))
                edge_unlink(g, e);
        }
        free(in);
    }
}

static bool g_tag_flat;

static int tag_cmp(const void *pa, const void *pb)
{
    const np_tag *a = *(np_tag *const *)pa, *b = *(np_tag *const *)pb;
    int c;
    if (!g_tag_flat && a->cum != b->cum && (c = cmp_i64_desc(np_go_abs64(a->cum), np_go_abs64(b->cum))))
        return c;
    if (a->flat != b->flat && (c = cmp_i64_desc(np_go_abs64(a->flat), np_go_abs64(b->flat))))
        return c;
    return strcmp(a->name, b->name);
}

np_tag **np_sort_tags(np_tag *const *tags, size_t n, bool flat)
{
    np_tag **out = np_xmalloc((n + 1) * sizeof *out);
    memcpy(out, tags, n * sizeof *out);
    g_tag_flat = flat;
    qsort(out, n, sizeof *out, tag_cmp);
    return out;
}

/* ---- ShortenFunctionName ----
 * pprof shortens names with four RE2 patterns. They are matched here by hand: every
 * repetition in them is followed by a delimiter its body cannot match, so the leftmost-first
 * (backtracking) result can be found by direct scanning, with the few remaining choices tried
 * in the order RE2 would. '.' in RE2 does not match '\n', which bounds several of the scans. */

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_ident_start(char c)
{
    return is_lower(c) || is_upper(c) || c == '_';
}

/* `^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$` replaced by `${1}${2}`: drops the first module
 * version element ("/v2" ... ) that is followed by '.' or '/'. Writes the result to out. */
static void strip_go_version(const char *f, np_buf *out)
{
    size_t n = strlen(f);
    if (!memchr(f, '\n', n)) { /* both ends are anchored and '.' stops at newlines */
        for (size_t i = 0; i + 2 < n; i++) {
            if (f[i] != '/' || f[i + 1] != 'v')
                continue;
            size_t j = i + 2, k = j;
            while (f[k] >= '0' && f[k] <= '9')
                k++;
            bool ok = (k - j == 1 && f[j] >= '2') || (k - j >= 2 && f[j] != '0');
            if (ok && (f[k] == '.' || f[k] == '/')) {
                np_buf_add(out, f, i);
                np_buf_puts(out, f + k);
                return;
            }
        }
    }
    np_buf_puts(out, f);
}

/* `^(?:[\w\-\.]+\/)+(.+)`: the text after the last "segment/" prefix (backing off one segment
 * when nothing follows it). */
static bool match_go(const char *s, size_t *start, size_t *end)
{
    size_t prev = 0, p = 0;
    int reps = 0;
    for (;;) {
        size_t q = p;
        while (is_word(s[q]) || s[q] == '-' || s[q] == '.')
            q++;
        if (q == p || s[q] != '/')
            break;
        prev = p;
        p = q + 1;
        reps++;
    }
    if (reps == 0)
        return false;
    if (s[p] == 0 || s[p] == '\n') {
        if (reps == 1)
            return false;
        p = prev;
    }
    size_t e = p;
    while (s[e] && s[e] != '\n')
        e++;
    *start = p;
    *end = e;
    return true;
}

/* `^(?:[a-z]\w*\.)*([A-Z][\w\$]*\.(?:<init>|[a-z][\w\$]*(?:\$\d+)?))(?:(?:\()|$)`: Java
 * Class.method without package and arguments. */
static bool match_java(const char *s, size_t *start, size_t *end)
{
    size_t p = 0;
    while (is_lower(s[p])) {
        size_t q = p + 1;
        while (is_word(s[q]))
            q++;
        if (s[q] != '.')
            break;
        p = q + 1;
    }
    if (!is_upper(s[p]))
        return false;
    size_t q = p + 1;
    while (is_word(s[q]) || s[q] == '$')
        q++;
    if (s[q] != '.')
        return false;
    q++;
    size_t e;
    if (strncmp(s + q, "<init>", 6) == 0) {
        e = q + 6;
    } else if (is_lower(s[q])) {
        e = q + 1;
        while (is_word(s[e]) || s[e] == '$')
            e++;
    } else {
        return false;
    }
    if (s[e] != '(' && s[e] != 0)
        return false;
    *start = p;
    *end = e;
    return true;
}

/* One C++ `Class::method` (with optional template arguments) starting at s+p; the end
 * offset, or 0 when it does not match there. */
static size_t cpp_method_at(const char *s, size_t p)
{
    size_t q = p;
    while (s[q] == '_')
        q++;
    if (!is_upper(s[q]))
        return 0;
    while (is_word(s[q]))
        q++;
    if (s[q] != ':' || s[q + 1] != ':')
        return 0;
    q += 2;
    if (s[q] == '~')
        q++;
    if (!is_ident_start(s[q]))
        return 0;
    while (is_word(s[q]))
        q++;
    if (s[q] == '<') {
        /* `<.*>` is greedy: up to the last '>' before the end of the line. */
        size_t last = 0;
        for (size_t r = q + 1; s[r] && s[r] != '\n'; r++)
            if (s[r] == '>')
                last = r;
        if (last)
            q = last + 1;
    }
    return q;
}

/* `^(?:[_a-zA-Z]\w*::)+(_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?)`: the last Class::method of a
 * namespace-qualified name. The greedy prefix is tried longest first. */
static bool match_cpp(const char *s, size_t *start, size_t *end)
{
    size_t pos[64], *reps = pos, cap = 64, n = 0;
    size_t p = 0;
    bool heap = false;
    for (;;) {
        if (!is_ident_start(s[p]))
            break;
        size_t q = p + 1;
        while (is_word(s[q]))
            q++;
        if (s[q] != ':' || s[q + 1] != ':')
            break;
        p = q + 2;
        if (n == cap) {
            size_t *grown = np_xmalloc(2 * cap * sizeof *grown);
            memcpy(grown, reps, n * sizeof *grown);
            if (heap)
                free(reps);
            reps = grown;
            heap = true;
            cap *= 2;
        }
        reps[n++] = p;
    }
    bool found = false;
    for (size_t j = n; j-- > 0 && !found;) {
        size_t e = cpp_method_at(s, reps[j]);
        if (e) {
            *start = reps[j];
            *end = e;
            found = true;
        }
    }
    if (heap)
        free(reps);
    return found;
}

void np_shorten_function_name(const char *f, np_buf *out)
{
    static const char anon[] = "(anonymous namespace)::";
    if (strncmp(f, anon, sizeof anon - 1) == 0)
        f += sizeof anon - 1;
    np_buf s = {0};
    strip_go_version(f, &s);
    const char *str = np_buf_cstr(&s);
    size_t a, b;
    if (match_go(str, &a, &b) || match_java(str, &a, &b) || match_cpp(str, &a, &b))
        np_buf_add(out, str + a, b - a);
    else
        np_buf_puts(out, str);
    np_buf_free(&s);
}

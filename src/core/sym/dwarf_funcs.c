/* Functions and inlined calls of one unit (DW_TAG_subprogram, DW_TAG_inlined_subroutine) as
 * trees with address ranges, and the address -> frames query that combines them with the line
 * table. The first lookup in a unit walks its DIEs once for its functions (the roots); the
 * calls inlined into a function, most of a unit's nodes in optimized code, are read from that
 * function's DIEs when a lookup first lands in it. */
#include "core/sym/dwarf_int.h"

#include <stdlib.h>

typedef struct dw_node {
    uint64_t die_off;
    int32_t parent; /* inlined call: the node of its root's inline tree it was inlined into, or
                     * -1 for the root itself; a root: -1 */
    uint32_t depth; /* 0 for a root, parent's depth + 1 for an inlined call */
    uint64_t call_file, call_line;
    const char *name;
    int64_t decl_line;
    bool named; /* name/decl_line resolved */
} dw_node;

typedef struct dw_span {
    uint64_t lo, hi;
    uint32_t node;
} dw_span;

/* Nodes with their address ranges, searchable by address once finished: a unit's roots, or
 * the calls inlined into one root. */
typedef struct dw_nodes {
    dw_node *v;
    size_t n, cap;
    dw_span *spans; /* sorted by lo */
    size_t nspans, spans_cap;
    uint64_t *maxhi; /* running maximum of hi, as in dwarf_index.c */
} dw_nodes;

/* A C++ namespace, class, struct or union: the DIE offsets its subtree spans, to qualify names
 * that GCC gives no DW_AT_linkage_name (internal linkage: static functions, anonymous
 * namespaces, templates over local types). */
typedef struct dw_scope {
    uint64_t start, end;
    const char *name;
    int32_t parent;
} dw_scope;

/* What a root has besides its node: where its DIE subtree ends, and its inline tree. */
typedef struct dw_root {
    uint64_t end;
    dw_nodes *inl;
    int8_t inl_state; /* 0 not built, 1 built, -1 failed */
} dw_root;

/* A root is a function with code (DW_TAG_subprogram, DW_TAG_entry_point), or an inlined call
 * that is not inside one (as in a function without code of its own). */
struct dw_tree {
    dw_scope *scopes; /* in DIE order, so sorted by start */
    size_t nscopes, scopes_cap;
    dw_nodes roots;
    dw_root *root; /* root[i] for roots.v[i] */
    size_t root_cap;
    bool failed;
};

/* A node of a tree: a root, or (inl >= 0) a call inlined into it. */
typedef struct node_ref {
    int32_t root, inl;
} node_ref;

/* Deepest DIE nesting we follow; real code nests a few dozen levels at most. */
#define MAX_DIE_DEPTH 256
/* Longest abstract_origin/specification chain followed to name a function. */
#define MAX_NAME_CHAIN 16
/* Most enclosing scopes put into a qualified name. */
#define MAX_SCOPES 32
/* Cap on the spans of one set of nodes, so a fuzzed unit cannot make us allocate without
 * bound. */
#define MAX_SPANS (1u << 24)

/* Values of a walk's enclosing[] besides node indexes. */
enum { NO_NODE = -1, THE_ROOT = -2, UNKEPT_NODE = -3 };

typedef struct span_sink {
    dw_nodes *ns;
    bool *failed;
} span_sink;

static bool add_span(void *ctx, uint64_t lo, uint64_t hi)
{
    span_sink *k = ctx;
    dw_nodes *ns = k->ns;
    if (lo == 0)
        return true; /* discarded by the linker */
    if (ns->nspans == ns->spans_cap) {
        size_t ncap = ns->spans_cap ? ns->spans_cap * 2 : 16;
        dw_span *sp = ncap <= MAX_SPANS ? realloc(ns->spans, ncap * sizeof *sp) : NULL;
        if (!sp) {
            *k->failed = true;
            return false;
        }
        ns->spans = sp;
        ns->spans_cap = ncap;
    }
    ns->spans[ns->nspans++] = (dw_span){lo, hi, (uint32_t)(ns->n - 1)};
    return true;
}

/* For a call whose node is not kept here: whether it has any code (stops at the first range). */
static bool note_code(void *ctx, uint64_t lo, uint64_t hi)
{
    (void)hi;
    if (lo == 0)
        return true;
    *(bool *)ctx = true;
    return false;
}

/* Adds a node for the DIE and its ranges; its index, or NO_NODE if it has no code (or on
 * allocation failure, which sets *failed). */
static int32_t add_node(dwarf *d, dw_unit *u, dw_nodes *ns, const dw_die *die, int32_t parent, uint32_t depth,
                        bool *failed)
{
    if (ns->n >= INT32_MAX)
        return NO_NODE;
    if (ns->n == ns->cap) {
        size_t ncap = ns->cap ? ns->cap * 2 : 16;
        dw_node *nv = realloc(ns->v, ncap * sizeof *nv);
        if (!nv) {
            *failed = true;
            return NO_NODE;
        }
        ns->v = nv;
        ns->cap = ncap;
    }
    dw_node *n = &ns->v[ns->n++];
    memset(n, 0, sizeof *n);
    n->die_off = die->off;
    n->parent = parent;
    n->depth = depth;
    if (DW_HAS(die, A_CALL_FILE))
        dw_const(&die->a[A_CALL_FILE], &n->call_file);
    if (DW_HAS(die, A_CALL_LINE))
        dw_const(&die->a[A_CALL_LINE], &n->call_line);
    size_t before = ns->nspans;
    span_sink k = {ns, failed};
    dw_die_ranges(d, u, die, add_span, &k);
    if (ns->nspans == before) { /* no code after all (e.g. only discarded ranges) */
        ns->n--;
        return NO_NODE;
    }
    return (int32_t)(ns->n - 1);
}

static int32_t add_scope(dwarf *d, dw_unit *u, dw_tree *t, const dw_die *die, int32_t parent)
{
    if (t->nscopes >= INT32_MAX)
        return -1;
    if (t->nscopes == t->scopes_cap) {
        size_t ncap = t->scopes_cap ? t->scopes_cap * 2 : 64;
        dw_scope *ns = realloc(t->scopes, ncap * sizeof *ns);
        if (!ns) {
            t->failed = true;
            return -1;
        }
        t->scopes = ns;
        t->scopes_cap = ncap;
    }
    const char *name = DW_HAS(die, A_NAME) ? dw_str(d, u, &die->a[A_NAME]) : NULL;
    if (!name && die->tag == DW_TAG_namespace)
        name = "(anonymous namespace)"; /* as the demangler spells it */
    t->scopes[t->nscopes] = (dw_scope){die->off, UINT64_MAX, name, parent};
    return (int32_t)t->nscopes++;
}

static bool is_scope_tag(uint32_t tag)
{
    return tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
           tag == DW_TAG_union_type;
}

static bool is_code_tag(uint32_t tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_entry_point;
}

/* Subtrees that cannot hold code (types, variables, parameters) are skipped with
 * DW_AT_sibling when the producer wrote it; everything else is walked, since C++ and GNU C
 * put functions inside namespaces, functions and blocks. */
static bool may_hold_code(uint32_t tag)
{
    switch (tag) {
    case 0x01: /* array_type */
    case 0x04: /* enumeration_type */
    case 0x05: /* formal_parameter */
    case 0x15: /* subroutine_type */
    case 0x34: /* variable */
    case 0x2f: /* template_type_parameter */
    case 0x30: /* template_value_parameter */
        return false;
    default:
        return true;
    }
}

/* Where a walk goes after a DIE with children that cannot hold code: past them, when the
 * producer says where that is (forward only, so a corrupt sibling cannot loop); else 0. */
static uint64_t sibling_of(dwarf *d, dw_unit *u, const dw_die *die, uint64_t limit)
{
    uint64_t sib;
    if (may_hold_code(die->tag) || !DW_HAS(die, A_SIBLING) || dw_ref(d, u, &die->a[A_SIBLING], &sib) != d ||
        sib <= die->off || sib >= limit)
        return 0;
    return sib;
}

static int span_cmp(const void *a, const void *b)
{
    const dw_span *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* Shrinks a grown array to n elements, keeping it as it is if that fails. */
static void shrink(void **arr, size_t n, size_t size)
{
    void *p = n && *arr ? realloc(*arr, n * size) : NULL;
    if (p)
        *arr = p;
}

/* Sorts the spans and makes the running maximum; false on allocation failure. */
static bool finish_nodes(dw_nodes *ns)
{
    if (ns->nspans > 1) /* qsort must not see the NULL of an empty array */
        qsort(ns->spans, ns->nspans, sizeof *ns->spans, span_cmp);
    /* The arrays grew by doubling: give back what was not used (up to half). */
    shrink((void **)&ns->v, ns->n, sizeof *ns->v);
    shrink((void **)&ns->spans, ns->nspans, sizeof *ns->spans);
    ns->maxhi = malloc((ns->nspans ? ns->nspans : 1) * sizeof *ns->maxhi);
    if (!ns->maxhi)
        return false;
    for (size_t i = 0; i < ns->nspans; i++)
        ns->maxhi[i] = i && ns->maxhi[i - 1] > ns->spans[i].hi ? ns->maxhi[i - 1] : ns->spans[i].hi;
    return true;
}

static void nodes_free(dw_nodes *ns)
{
    free(ns->v);
    free(ns->spans);
    free(ns->maxhi);
}

/* Records where root r's DIE subtree ends. */
static void end_root(dw_tree *t, int32_t r, uint64_t end)
{
    if (r >= 0 && (size_t)r < t->root_cap)
        t->root[r].end = end;
}

/* Adds a root for the DIE; its index, or NO_NODE. */
static int32_t add_root(dwarf *d, dw_unit *u, dw_tree *t, const dw_die *die)
{
    int32_t r = add_node(d, u, &t->roots, die, -1, 0, &t->failed);
    if (r < 0)
        return r;
    if ((size_t)r >= t->root_cap) {
        size_t ncap = t->root_cap ? t->root_cap * 2 : 16;
        dw_root *nr = realloc(t->root, ncap * sizeof *nr);
        if (!nr) {
            t->failed = true;
            return NO_NODE;
        }
        t->root = nr;
        t->root_cap = ncap;
    }
    t->root[r] = (dw_root){u->end, NULL, 0};
    return r;
}

/* The walk over all of a unit's DIEs: its roots and, for C++, its scopes. An inlined call in a
 * root is only noted (its node is made with the root's inline tree), as the calls inlined into
 * it and any call in a function without code (the roots of their own). */
static dw_tree *build_tree(dwarf *d, dw_unit *u)
{
    if (dw_unit_whole(d, u) < 0) /* every DIE is read: the unit at once, not DIE by DIE */
        return NULL;
    dw_tree *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    /* enclosing[k]: the innermost function/inlined node around DIEs at nesting level k + 1 (a
     * root index, UNKEPT_NODE or NO_NODE); scope_at[k], root_at[k]: the scope and root opened
     * by the DIE at level k, or -1. */
    int32_t enclosing[MAX_DIE_DEPTH], scope_at[MAX_DIE_DEPTH], root_at[MAX_DIE_DEPTH];
    int32_t scope = -1;
    int level = 0;
    uint64_t off = u->die_off;
    dw_die die;
    while (off < u->end && !t->failed) {
        if (dw_read_die(d, u, off, &die) < 0)
            break; /* keep what was read before the damage */
        if (die.null) {
            if (level <= 1)
                break; /* end of the unit DIE's children */
            level--;
            if (scope_at[level] >= 0) {
                t->scopes[scope_at[level]].end = die.next;
                scope = t->scopes[scope_at[level]].parent;
            }
            end_root(t, root_at[level], die.next);
            off = die.next;
            continue;
        }
        int32_t outer = level > 0 ? enclosing[level - 1] : NO_NODE;
        int32_t node = NO_NODE;
        bool code_tag = is_code_tag(die.tag);
        if (code_tag && (DW_HAS(&die, A_LOW) || DW_HAS(&die, A_RANGES))) {
            if (die.tag == DW_TAG_inlined_subroutine && outer != NO_NODE) {
                bool has_code = false;
                dw_die_ranges(d, u, &die, note_code, &has_code);
                node = has_code ? UNKEPT_NODE : NO_NODE;
            } else {
                node = add_root(d, u, t, &die);
            }
        }
        if (die.children) {
            /* A function without code (an abstract instance, a declaration) is walked all the
             * same: GCC nests concrete code in it, e.g. a lambda's operator() in the abstract
             * instance of the function that defines the lambda. */
            uint64_t sib = sibling_of(d, u, &die, u->end);
            if (sib) {
                off = sib;
                continue;
            }
            if (level >= MAX_DIE_DEPTH)
                break;
            /* Inside a function without code, nothing is inlined into anything with code. */
            enclosing[level] = node != NO_NODE ? node : (code_tag ? NO_NODE : outer);
            root_at[level] = node >= 0 ? node : -1;
            scope_at[level] = -1;
            if (u->cplus && is_scope_tag(die.tag)) {
                int32_t sc = add_scope(d, u, t, &die, scope);
                if (sc >= 0)
                    scope = scope_at[level] = sc;
            }
            level++;
        } else {
            end_root(t, node, die.next);
            if (level == 0)
                break; /* a unit DIE without children */
        }
        off = die.next;
    }
    shrink((void **)&t->scopes, t->nscopes, sizeof *t->scopes);
    if (t->failed || !finish_nodes(&t->roots)) {
        dw_tree_free(t);
        return NULL;
    }
    dw_read_done(d, DS_INFO, u->off, u->end - u->off); /* read again where needed */
    return t;
}

/* The calls inlined into root r: a walk over its DIE subtree like build_tree's, keeping the
 * inlined calls it only noted there, and passing over the subtrees of other roots (nested
 * functions, and functions and calls without code, whose calls are roots). The tree owns the
 * result (dw_tree_free). */
static dw_nodes *build_inline(dwarf *d, dw_unit *u, dw_tree *t, int32_t r)
{
    dw_nodes *ns = calloc(1, sizeof *ns);
    if (!ns)
        return NULL;
    bool failed = false;
    int32_t enclosing[MAX_DIE_DEPTH];
    int level = 0, passing = -1; /* passing: the level of the DIE whose subtree is passed over */
    uint64_t off = t->roots.v[r].die_off, end = t->root[r].end;
    dw_die die;
    while (off < end && !failed) {
        if (dw_read_die(d, u, off, &die) < 0)
            break;
        if (die.null) {
            if (level <= 1)
                break; /* end of the root's children */
            level--;
            if (passing == level)
                passing = -1;
            off = die.next;
            continue;
        }
        if (passing >= 0) {
            if (die.children && level++ >= MAX_DIE_DEPTH)
                break;
            off = die.next;
            continue;
        }
        int32_t node = NO_NODE;
        if (level == 0) {
            node = THE_ROOT;
        } else if (is_code_tag(die.tag)) {
            int32_t outer = enclosing[level - 1];
            if (die.tag == DW_TAG_inlined_subroutine && (DW_HAS(&die, A_LOW) || DW_HAS(&die, A_RANGES))) {
                uint32_t depth = outer == THE_ROOT ? 1 : ns->v[outer].depth + 1;
                node = add_node(d, u, ns, &die, outer == THE_ROOT ? -1 : outer, depth, &failed);
            }
            if (node == NO_NODE) { /* another root, or a subtree whose calls are roots */
                if (die.children) {
                    if (level >= MAX_DIE_DEPTH)
                        break;
                    passing = level++;
                }
                off = die.next;
                continue;
            }
        }
        if (die.children) {
            uint64_t sib = sibling_of(d, u, &die, end);
            if (sib) {
                off = sib;
                continue;
            }
            if (level >= MAX_DIE_DEPTH)
                break;
            enclosing[level] = node != NO_NODE ? node : enclosing[level - 1];
            level++;
        } else if (level == 0) {
            break; /* a root without children */
        }
        off = die.next;
    }
    if (failed || !finish_nodes(ns)) {
        nodes_free(ns);
        free(ns);
        return NULL;
    }
    return ns;
}

void dw_tree_free(dw_tree *t)
{
    if (t) {
        for (size_t i = 0; i < t->roots.n && t->root; i++) {
            if (t->root[i].inl) {
                nodes_free(t->root[i].inl);
                free(t->root[i].inl);
            }
        }
        free(t->root);
        nodes_free(&t->roots);
        free(t->scopes);
        free(t);
    }
}

static dw_nodes *root_inline(dwarf *d, dw_unit *u, dw_tree *t, int32_t r)
{
    dw_root *rt = &t->root[r];
    if (rt->inl_state == 0) {
        rt->inl_state = -1;
        if ((rt->inl = build_inline(d, u, t, r)) != NULL)
            rt->inl_state = 1;
    }
    return rt->inl;
}

/* Calls fn for each node of ns whose ranges contain addr. */
static void nodes_at(const dw_nodes *ns, uint64_t addr, void (*fn)(void *, int32_t), void *ctx)
{
    size_t lo = 0, hi = ns->nspans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ns->spans[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i > 0 && ns->maxhi[i - 1] > addr; i--)
        if (addr < ns->spans[i - 1].hi)
            fn(ctx, (int32_t)ns->spans[i - 1].node);
}

typedef struct search {
    dwarf *d;
    dw_unit *u;
    dw_tree *t;
    uint64_t addr;
    int32_t root;    /* the root being searched, for found_inline */
    node_ref best;   /* root -1 until found */
    uint32_t best_depth;
    uint64_t best_off;
} search;

/* The deepest node wins, and of equally deep ones the last in DIE order. */
static void consider(search *s, node_ref ref, const dw_node *n)
{
    if (s->best.root < 0 || n->depth > s->best_depth || (n->depth == s->best_depth && n->die_off > s->best_off)) {
        s->best = ref;
        s->best_depth = n->depth;
        s->best_off = n->die_off;
    }
}

static void found_inline(void *ctx, int32_t k)
{
    search *s = ctx;
    consider(s, (node_ref){s->root, k}, &s->t->root[s->root].inl->v[k]);
}

static void found_root(void *ctx, int32_t r)
{
    search *s = ctx;
    consider(s, (node_ref){r, -1}, &s->t->roots.v[r]);
    dw_nodes *inl = root_inline(s->d, s->u, s->t, r);
    if (inl) {
        s->root = r;
        nodes_at(inl, s->addr, found_inline, s);
    }
}

/* The deepest node whose ranges contain addr (root -1 if none): the roots that contain it,
 * then the calls inlined into those. */
static node_ref innermost(dwarf *d, dw_unit *u, dw_tree *t, uint64_t addr)
{
    search s = {d, u, t, addr, -1, {-1, -1}, 0, 0};
    nodes_at(&t->roots, addr, found_root, &s);
    return s.best;
}

static dw_node *node_at(dw_tree *t, node_ref ref)
{
    return ref.inl < 0 ? &t->roots.v[ref.root] : &t->root[ref.root].inl->v[ref.inl];
}

static dw_tree *unit_tree(dwarf *d, dw_unit *u)
{
    if (u->tree_state == 0) {
        u->tree_state = -1;
        if ((u->tree = build_tree(d, u)) != NULL)
            u->tree_state = 1;
    }
    return u->tree;
}

/* The innermost scope of t whose subtree holds the DIE at off, or -1. */
static int32_t scope_of(const dw_tree *t, uint64_t off)
{
    size_t lo = 0, hi = t->nscopes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->scopes[mid].start < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* The last scope starting before off either holds it or is nested in a scope that may. */
    int32_t s = lo ? (int32_t)(lo - 1) : -1;
    for (int i = 0; s >= 0 && i < MAX_SCOPES * 4 && off >= t->scopes[s].end; i++)
        s = t->scopes[s].parent;
    return s;
}

/* name prefixed with the names of the C++ scopes around its DIE ("ns::Class::name"). */
static const char *qualify(dwarf *pool, dwarf *d, dw_unit *u, uint64_t off, const char *name)
{
    dw_tree *t = unit_tree(d, u);
    if (!t)
        return name;
    const char *parts[MAX_SCOPES];
    int n = 0;
    size_t len = strlen(name) + 1;
    for (int32_t s = scope_of(t, off); s >= 0 && n < MAX_SCOPES; s = t->scopes[s].parent) {
        if (t->scopes[s].name) {
            parts[n++] = t->scopes[s].name;
            len += strlen(t->scopes[s].name) + 2;
        }
    }
    if (n == 0)
        return name;
    char *q = dw_pool_alloc(pool, len);
    if (!q)
        return name;
    char *p = q;
    for (int i = n - 1; i >= 0; i--) {
        size_t l = strlen(parts[i]);
        memcpy(p, parts[i], l);
        memcpy(p + l, "::", 2);
        p += l + 2;
    }
    memcpy(p, name, strlen(name) + 1);
    return q;
}

/* Name and declaration line of a function or inlined call: DW_AT_linkage_name anywhere along
 * its abstract_origin/specification chain, else the first DW_AT_name on it. A C++ function
 * without a linkage name is either extern "C" (DW_AT_external: its name is the symbol, scopes
 * and all ignored) or has internal linkage: then the name is qualified by its scopes, so it
 * reads as a demangled linkage name would. */
static void resolve_name(dwarf *d, dw_unit *u, dw_node *n)
{
    n->named = true;
    const char *linkage = NULL, *name = NULL;
    uint64_t decl = 0, off = n->die_off, name_off = 0;
    dwarf *cd = d, *name_d = NULL;
    dw_unit *cu = u, *name_u = NULL;
    bool external = false;
    for (int i = 0; i < MAX_NAME_CHAIN; i++) {
        dw_die die;
        if (dw_read_die(cd, cu, off, &die) < 0 || die.null)
            break;
        if (!linkage && DW_HAS(&die, A_LINKAGE))
            linkage = dw_str(cd, cu, &die.a[A_LINKAGE]);
        if (!name && DW_HAS(&die, A_NAME) && (name = dw_str(cd, cu, &die.a[A_NAME])) != NULL) {
            name_d = cd;
            name_u = cu;
            name_off = off;
        }
        external |= DW_HAS(&die, A_EXTERNAL) && die.a[A_EXTERNAL].u != 0;
        if (!decl && DW_HAS(&die, A_DECL_LINE))
            dw_const(&die.a[A_DECL_LINE], &decl);
        if (linkage && decl)
            break;
        const dw_val *ref = DW_HAS(&die, A_ORIGIN) ? &die.a[A_ORIGIN] : DW_HAS(&die, A_SPEC) ? &die.a[A_SPEC] : NULL;
        if (!ref)
            break;
        dwarf *nd = dw_ref(cd, cu, ref, &off);
        if (!nd)
            break;
        dw_unit *nu = off >= cu->die_off && off < cu->end && nd == cd ? cu : dw_unit_at(nd, off);
        if (!nu || dw_unit_prepare(nd, nu) < 0)
            break;
        cd = nd;
        cu = nu;
    }
    if (linkage)
        n->name = linkage;
    else if (name && name_u->cplus && !external)
        n->name = qualify(d, name_d, name_u, name_off, name);
    else
        n->name = name;
    n->decl_line = decl <= INT64_MAX ? (int64_t)decl : 0;
}

static const char *node_name(dwarf *d, dw_unit *u, dw_node *n, int64_t *decl)
{
    if (!n->named)
        resolve_name(d, u, n);
    *decl = n->decl_line;
    return n->name;
}

/* Frames for addr from one unit; 0 if the unit knows nothing about it. */
static int unit_frames(dwarf *d, dw_unit *u, uint64_t addr, np_sym_frame *frames, int max)
{
    dw_lines *l = dw_unit_lines(d, u);
    dw_tree *t = unit_tree(d, u);
    dw_row row;
    bool have_row = l && dw_lines_find(l, addr, &row);
    node_ref node = t ? innermost(d, u, t, addr) : (node_ref){-1, -1};
    if (!have_row && node.root < 0)
        return 0;
    np_sym_frame *f = &frames[0];
    memset(f, 0, sizeof *f);
    if (have_row) {
        f->file = dw_lines_path(d, l, row.file);
        f->line = row.line;
    }
    if (node.root < 0)
        return 1;
    f->function = node_name(d, u, node_at(t, node), &f->start_line);
    int n = 1;
    /* Each inlined call contributes its caller's frame, at the call site it records. */
    for (node_ref k = node; k.inl >= 0 && n < max; k.inl = node_at(t, k)->parent) {
        dw_node *callee = node_at(t, k), *caller = node_at(t, (node_ref){k.root, callee->parent});
        f = &frames[n++];
        memset(f, 0, sizeof *f);
        f->function = node_name(d, u, caller, &f->start_line);
        f->file = l ? dw_lines_path(d, l, callee->call_file) : NULL;
        f->line = callee->call_line <= INT64_MAX ? (int64_t)callee->call_line : 0;
    }
    return n;
}

/* How many units to try for one address: overlapping unit ranges are rare, and the first unit
 * that knows the address wins. */
#define MAX_CANDIDATE_UNITS 4

int dwarf_symbolize(dwarf *d, uint64_t addr, np_sym_frame *frames, int max)
{
    if (!d || max <= 0)
        return 0;
    dw_unit *units[MAX_CANDIDATE_UNITS];
    int nu = dw_units_for(d, addr, units, MAX_CANDIDATE_UNITS);
    for (int i = 0; i < nu; i++) {
        if (dw_unit_prepare(d, units[i]) < 0)
            continue;
        int n = unit_frames(d, units[i], addr, frames, max);
        if (n > 0)
            return n;
    }
    return 0;
}

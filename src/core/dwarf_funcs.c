/* Functions and inlined calls of one unit (DW_TAG_subprogram, DW_TAG_inlined_subroutine) as a
 * tree with address ranges, built on the first lookup in that unit, and the address -> frames
 * query that combines it with the line table. */
#include "dwarf_int.h"

#include <stdlib.h>

typedef struct dw_node {
    uint64_t die_off;
    int32_t parent; /* for an inlined call, the node it was inlined into; -1 for a function */
    uint32_t depth; /* 0 for a function, parent's depth + 1 for an inlined call */
    uint64_t call_file, call_line;
    const char *name;
    int64_t decl_line;
    bool named; /* name/decl_line resolved */
} dw_node;

typedef struct dw_span {
    uint64_t lo, hi;
    uint32_t node;
} dw_span;

/* A C++ namespace, class, struct or union: the DIE offsets its subtree spans, to qualify names
 * that GCC gives no DW_AT_linkage_name (internal linkage: static functions, anonymous
 * namespaces, templates over local types). */
typedef struct dw_scope {
    uint64_t start, end;
    const char *name;
    int32_t parent;
} dw_scope;

struct dw_tree {
    dw_scope *scopes; /* in DIE order, so sorted by start */
    size_t nscopes, scopes_cap;
    dw_node *nodes;
    size_t nnodes, nodes_cap;
    dw_span *spans; /* sorted by lo */
    size_t nspans, spans_cap;
    uint64_t *maxhi; /* running maximum of hi, as in dwarf_index.c */
    bool failed;
};

/* Deepest DIE nesting we follow; real code nests a few dozen levels at most. */
#define MAX_DIE_DEPTH 256
/* Longest abstract_origin/specification chain followed to name a function. */
#define MAX_NAME_CHAIN 16
/* Most enclosing scopes put into a qualified name. */
#define MAX_SCOPES 32
/* Cap on one unit's spans, so a fuzzed unit cannot make us allocate without bound. */
#define MAX_SPANS (1u << 24)

static bool add_span(void *ctx, uint64_t lo, uint64_t hi)
{
    dw_tree *t = ctx;
    if (lo == 0)
        return true; /* discarded by the linker */
    if (t->nspans == t->spans_cap) {
        size_t ncap = t->spans_cap ? t->spans_cap * 2 : 256;
        dw_span *ns = ncap <= MAX_SPANS ? realloc(t->spans, ncap * sizeof *ns) : NULL;
        if (!ns) {
            t->failed = true;
            return false;
        }
        t->spans = ns;
        t->spans_cap = ncap;
    }
    t->spans[t->nspans++] = (dw_span){lo, hi, (uint32_t)(t->nnodes - 1)};
    return true;
}

static int32_t add_node(dw_tree *t, const dw_die *die, int32_t enclosing)
{
    if (t->nnodes >= INT32_MAX)
        return -1;
    if (t->nnodes == t->nodes_cap) {
        size_t ncap = t->nodes_cap ? t->nodes_cap * 2 : 64;
        dw_node *nn = realloc(t->nodes, ncap * sizeof *nn);
        if (!nn) {
            t->failed = true;
            return -1;
        }
        t->nodes = nn;
        t->nodes_cap = ncap;
    }
    dw_node *n = &t->nodes[t->nnodes];
    memset(n, 0, sizeof *n);
    n->die_off = die->off;
    n->parent = -1;
    if (die->tag == DW_TAG_inlined_subroutine && enclosing >= 0) {
        n->parent = enclosing;
        n->depth = t->nodes[enclosing].depth + 1;
    }
    if (DW_HAS(die, A_CALL_FILE))
        dw_const(&die->a[A_CALL_FILE], &n->call_file);
    if (DW_HAS(die, A_CALL_LINE))
        dw_const(&die->a[A_CALL_LINE], &n->call_line);
    return (int32_t)t->nnodes++;
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

static int span_cmp(const void *a, const void *b)
{
    const dw_span *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

static dw_tree *build_tree(dwarf *d, dw_unit *u)
{
    dw_tree *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    /* enclosing[k]: the innermost function/inlined node around DIEs at nesting level k + 1;
     * scope_at[k]: the scope opened by the DIE at level k, or -1. */
    int32_t enclosing[MAX_DIE_DEPTH], scope_at[MAX_DIE_DEPTH];
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
            off = die.next;
            continue;
        }
        int32_t outer = level > 0 ? enclosing[level - 1] : -1;
        int32_t node = -1;
        bool code_tag = die.tag == DW_TAG_subprogram || die.tag == DW_TAG_inlined_subroutine ||
                        die.tag == DW_TAG_entry_point;
        if (code_tag && (DW_HAS(&die, A_LOW) || DW_HAS(&die, A_RANGES))) {
            node = add_node(t, &die, outer);
            if (node >= 0) {
                size_t before = t->nspans;
                dw_die_ranges(d, u, &die, add_span, t);
                if (t->nspans == before) { /* no code after all (e.g. only discarded ranges) */
                    t->nnodes--;
                    node = -1;
                }
            }
        }
        if (die.children) {
            /* A function without code (an abstract instance, a declaration) is walked all the
             * same: GCC nests concrete code in it, e.g. a lambda's operator() in the abstract
             * instance of the function that defines the lambda. */
            bool skip = !may_hold_code(die.tag);
            uint64_t sib;
            if (skip && DW_HAS(&die, A_SIBLING) && dw_ref(d, u, &die.a[A_SIBLING], &sib) == d &&
                sib > off && sib < u->end) {
                off = sib; /* forward only, so a corrupt sibling cannot loop */
                continue;
            }
            if (level >= MAX_DIE_DEPTH)
                break;
            /* Inside a function without code, nothing is inlined into anything with code. */
            enclosing[level] = node >= 0 ? node : (code_tag ? -1 : outer);
            scope_at[level] = -1;
            if (u->cplus && is_scope_tag(die.tag)) {
                int32_t sc = add_scope(d, u, t, &die, scope);
                if (sc >= 0)
                    scope = scope_at[level] = sc;
            }
            level++;
        } else if (level == 0) {
            break; /* a unit DIE without children */
        }
        off = die.next;
    }
    if (t->failed) {
        dw_tree_free(t);
        return NULL;
    }
    if (t->nspans > 1) /* qsort must not see the NULL of an empty array */
        qsort(t->spans, t->nspans, sizeof *t->spans, span_cmp);
    t->maxhi = malloc((t->nspans ? t->nspans : 1) * sizeof *t->maxhi);
    if (!t->maxhi) {
        dw_tree_free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->nspans; i++)
        t->maxhi[i] = i && t->maxhi[i - 1] > t->spans[i].hi ? t->maxhi[i - 1] : t->spans[i].hi;
    return t;
}

void dw_tree_free(dw_tree *t)
{
    if (t) {
        free(t->scopes);
        free(t->nodes);
        free(t->spans);
        free(t->maxhi);
        free(t);
    }
}

/* The deepest node whose ranges contain addr, or -1. */
static int32_t innermost(const dw_tree *t, uint64_t addr)
{
    size_t lo = 0, hi = t->nspans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->spans[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    int32_t best = -1;
    for (size_t i = lo; i > 0 && t->maxhi[i - 1] > addr; i--) {
        const dw_span *s = &t->spans[i - 1];
        if (addr >= s->hi)
            continue;
        int32_t n = (int32_t)s->node;
        if (best < 0 || t->nodes[n].depth > t->nodes[best].depth ||
            (t->nodes[n].depth == t->nodes[best].depth && n > best))
            best = n;
    }
    return best;
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
    const dw_row *row = l ? dw_lines_find(l, addr) : NULL;
    int32_t node = t ? innermost(t, addr) : -1;
    if (!row && node < 0)
        return 0;
    np_sym_frame *f = &frames[0];
    memset(f, 0, sizeof *f);
    if (row) {
        f->file = dw_lines_path(d, l, row->file);
        f->line = row->line;
    }
    if (node < 0)
        return 1;
    f->function = node_name(d, u, &t->nodes[node], &f->start_line);
    int n = 1;
    /* Each inlined call contributes its caller's frame, at the call site it records. */
    for (int32_t k = node; t->nodes[k].parent >= 0 && n < max; k = t->nodes[k].parent) {
        dw_node *callee = &t->nodes[k], *caller = &t->nodes[callee->parent];
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

/* The DOT reader of dotread.h: a tokenizer and a recursive-descent parser of DOT's statement
 * grammar. Default attributes (`node [...]`) are copied into each node made after them, as
 * Graphviz applies them; a node named again gains the new attributes. */
#include "analyze/report/dotread.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this is refused (the parser recurses once per subgraph). */
#define MAX_DEPTH 64

enum { T_END, T_ID, T_LBRACE, T_RBRACE, T_LBRACKET, T_RBRACKET, T_EQ, T_SEMI, T_COMMA, T_EDGEOP, T_BAD };

typedef struct parser {
    const char *text, *p;
    np_dot_graph *g;
    np_err *err;
    int tok;
    const char *id;        /* the T_ID's text, in the arena */
    size_t tok_off;
    np_dot_attrs node_defaults, edge_defaults;
    int depth;
} parser;

static void skip_blank(parser *P)
{
    for (;;) {
        while (isspace((unsigned char)*P->p))
            P->p++;
        if (P->p[0] == '/' && P->p[1] == '/') {
            P->p += strcspn(P->p, "\n");
        } else if (P->p[0] == '#' && (P->p == P->text || P->p[-1] == '\n')) {
            P->p += strcspn(P->p, "\n");
        } else if (P->p[0] == '/' && P->p[1] == '*') {
            const char *end = strstr(P->p + 2, "*/");
            P->p = end ? end + 2 : P->p + strlen(P->p);
        } else {
            return;
        }
    }
}

/* A quoted string: \" is a quote, a backslash before a newline joins lines, and every other
 * backslash stays for the label's own escapes (\n, \l, \\ ...). */
static int quoted(parser *P)
{
    np_buf b = {0};
    const char *s = P->p + 1;
    for (; *s && *s != '"'; s++) {
        if (s[0] == '\\' && s[1] == '"') {
            np_buf_putc(&b, '"');
            s++;
        } else if (s[0] == '\\' && s[1] == '\n') {
            s++;
        } else {
            np_buf_putc(&b, *s);
        }
    }
    if (!*s) {
        np_buf_free(&b);
        return T_BAD;
    }
    P->id = np_arena_strndup(&P->g->arena, b.data ? b.data : "", b.len);
    np_buf_free(&b);
    P->p = s + 1;
    return T_ID;
}

static int next(parser *P)
{
    skip_blank(P);
    P->tok_off = (size_t)(P->p - P->text);
    char c = *P->p;
    static const char single[] = "{}[]=;,";
    static const int kinds[] = {T_LBRACE, T_RBRACE, T_LBRACKET, T_RBRACKET, T_EQ, T_SEMI, T_COMMA};
    if (!c)
        return P->tok = T_END;
    const char *k = strchr(single, c);
    if (k) {
        P->p++;
        return P->tok = kinds[k - single];
    }
    if (c == '-' && (P->p[1] == '>' || P->p[1] == '-')) {
        P->p += 2;
        return P->tok = T_EDGEOP;
    }
    if (c == '"')
        return P->tok = quoted(P);
    size_t n = 0;
    while (isalnum((unsigned char)P->p[n]) || P->p[n] == '_' || P->p[n] == '.' ||
           (unsigned char)P->p[n] >= 0x80 || (n == 0 && P->p[n] == '-'))
        n++;
    if (n == 0)
        return P->tok = T_BAD;
    P->id = np_arena_strndup(&P->g->arena, P->p, n);
    P->p += n;
    return P->tok = T_ID;
}

static int fail(parser *P, const char *what)
{
    if (P->tok == T_END)
        return np_fail(P->err, "DOT text: %s at the end", what);
    return np_fail(P->err, "DOT text: %s at offset %zu", what, P->tok_off);
}

static void attr_add(np_dot_attrs *a, const char *key, const char *val)
{
    *NP_PUSH(a->a, a->n, a->cap) = (np_dot_attr){key, val};
}

static void attrs_append(np_dot_attrs *dst, const np_dot_attrs *src)
{
    for (size_t i = 0; i < src->n; i++)
        attr_add(dst, src->a[i].key, src->a[i].val);
}

/* `[k=v, k=v; ...]`, any number of lists in a row, appended to a (when given). */
static int attr_lists(parser *P, np_dot_attrs *a)
{
    while (P->tok == T_LBRACKET) {
        next(P);
        while (P->tok == T_ID) {
            const char *key = P->id;
            if (next(P) != T_EQ)
                return fail(P, "expected = after an attribute name");
            if (next(P) != T_ID)
                return fail(P, "expected an attribute value");
            if (a)
                attr_add(a, key, P->id);
            next(P);
            if (P->tok == T_COMMA || P->tok == T_SEMI)
                next(P);
        }
        if (P->tok != T_RBRACKET)
            return fail(P, "expected ]");
        next(P);
    }
    return 0;
}

static uint32_t node_for(parser *P, const char *name, uint32_t cluster)
{
    np_dot_graph *g = P->g;
    bool found;
    uint32_t i = np_hmap_intern(&g->names, name, strlen(name), (uint32_t)g->n_node, &found);
    if (found)
        return i;
    np_dot_node *n = NP_PUSH(g->node, g->n_node, g->cap_node);
    memset(n, 0, sizeof *n);
    n->name = name;
    n->cluster = cluster;
    attrs_append(&n->attrs, &P->node_defaults);
    return i;
}

static int stmts(parser *P, uint32_t cluster);

/* `subgraph [name] { ... }` or `{ ... }`; names starting with "cluster" draw a box. */
static int subgraph(parser *P, uint32_t cluster)
{
    if (P->tok == T_ID && strcmp(P->id, "subgraph") == 0) {
        next(P);
        if (P->tok == T_ID) {
            if (strncmp(P->id, "cluster", 7) == 0) {
                *NP_PUSH(P->g->cluster, P->g->n_cluster, P->g->cap_cluster) = P->id;
                cluster = (uint32_t)P->g->n_cluster;
            }
            next(P);
        }
    }
    if (P->tok != T_LBRACE)
        return fail(P, "expected { after subgraph");
    if (++P->depth > MAX_DEPTH)
        return fail(P, "subgraphs nested too deep");
    next(P);
    np_dot_attrs saved_n = P->node_defaults, saved_e = P->edge_defaults;
    /* Defaults set inside a subgraph end with it: the copies are the subgraph's own. */
    P->node_defaults = (np_dot_attrs){0};
    P->edge_defaults = (np_dot_attrs){0};
    attrs_append(&P->node_defaults, &saved_n);
    attrs_append(&P->edge_defaults, &saved_e);
    int rc = stmts(P, cluster);
    free(P->node_defaults.a);
    free(P->edge_defaults.a);
    P->node_defaults = saved_n;
    P->edge_defaults = saved_e;
    P->depth--;
    if (rc < 0)
        return rc;
    if (P->tok != T_RBRACE)
        return fail(P, "expected }");
    next(P);
    return 0;
}

/* A node statement, or an edge chain `a -> b -> c [attrs]`. */
static int node_or_edges(parser *P, uint32_t cluster)
{
    np_dot_graph *g = P->g;
    uint32_t from = node_for(P, P->id, cluster);
    next(P);
    if (P->tok == T_EQ) { /* a graph attribute, `rankdir=TB` */
        if (next(P) != T_ID)
            return fail(P, "expected a value after =");
        next(P);
        return 0;
    }
    if (P->tok != T_EDGEOP)
        return attr_lists(P, &g->node[from].attrs);
    size_t first = g->n_edge;
    while (P->tok == T_EDGEOP) {
        if (next(P) != T_ID)
            return fail(P, "expected a node after the edge operator");
        uint32_t to = node_for(P, P->id, cluster);
        np_dot_edge *e = NP_PUSH(g->edge, g->n_edge, g->cap_edge);
        memset(e, 0, sizeof *e);
        e->from = from;
        e->to = to;
        from = to;
        next(P);
    }
    np_dot_attrs a = {0};
    attrs_append(&a, &P->edge_defaults);
    int rc = attr_lists(P, &a);
    for (size_t i = first; i < g->n_edge; i++)
        attrs_append(&g->edge[i].attrs, &a);
    free(a.a);
    return rc;
}

static int stmt(parser *P, uint32_t cluster)
{
    if (P->tok == T_LBRACE || (P->tok == T_ID && strcmp(P->id, "subgraph") == 0))
        return subgraph(P, cluster);
    if (P->tok != T_ID)
        return fail(P, "expected a statement");
    if (strcmp(P->id, "node") == 0 || strcmp(P->id, "edge") == 0 || strcmp(P->id, "graph") == 0) {
        np_dot_attrs *a = P->id[0] == 'n' ? &P->node_defaults : P->id[0] == 'e' ? &P->edge_defaults : NULL;
        next(P);
        if (P->tok != T_LBRACKET)
            return fail(P, "expected [ after node, edge or graph");
        return attr_lists(P, a);
    }
    return node_or_edges(P, cluster);
}

static int stmts(parser *P, uint32_t cluster)
{
    while (P->tok != T_RBRACE && P->tok != T_END) {
        if (P->tok == T_BAD)
            return fail(P, "unexpected character");
        if (stmt(P, cluster) < 0)
            return -1;
        if (P->tok == T_SEMI)
            next(P);
    }
    return 0;
}

int np_dot_read(const char *text, np_dot_graph *g, np_err *err)
{
    memset(g, 0, sizeof *g);
    np_hmap_init(&g->names, 64);
    parser P = {.text = text, .p = text, .g = g, .err = err};
    next(&P);
    if (P.tok == T_ID && strcmp(P.id, "strict") == 0)
        next(&P);
    if (P.tok != T_ID || (strcmp(P.id, "digraph") != 0 && strcmp(P.id, "graph") != 0))
        return fail(&P, "expected digraph");
    next(&P);
    g->name = "";
    if (P.tok == T_ID) {
        g->name = P.id;
        next(&P);
    }
    if (P.tok != T_LBRACE)
        return fail(&P, "expected {");
    next(&P);
    int rc = stmts(&P, 0);
    if (rc == 0 && P.tok != T_RBRACE)
        rc = fail(&P, "expected }");
    if (rc == 0 && next(&P) != T_END)
        rc = fail(&P, "text after the graph");
    free(P.node_defaults.a);
    free(P.edge_defaults.a);
    return rc;
}

void np_dot_free(np_dot_graph *g)
{
    for (size_t i = 0; i < g->n_node; i++)
        free(g->node[i].attrs.a);
    for (size_t i = 0; i < g->n_edge; i++)
        free(g->edge[i].attrs.a);
    free(g->node);
    free(g->edge);
    free(g->cluster);
    np_arena_free(&g->arena);
    np_hmap_free(&g->names);
    memset(g, 0, sizeof *g);
}

const char *np_dot_get(const np_dot_attrs *a, const char *key)
{
    for (size_t i = a->n; i-- > 0;)
        if (strcmp(a->a[i].key, key) == 0)
            return a->a[i].val;
    return NULL;
}

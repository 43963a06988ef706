/* A minimal regexp engine for the legacy parsers' fixed patterns: RE2 syntax subset, Go's
 * leftmost-first submatch semantics, in linear time on any input: a memoizing backtracker for
 * ordinary lines (fast, like RE2's BitState) and a Pike VM for very long ones. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>
#include <string.h>

/* Supported syntax: literals, '.', [classes] with ranges, negation and [:digit:]/[:xdigit:],
 * \d \s \S \w and escaped punctuation, (groups), (?:groups), greedy * + ?, ^ and $ (whole
 * text, as Go's default non-multiline mode). Byte-wise matching equals Go's rune-wise matching
 * here because every class either contains all non-ASCII bytes or none, and no counted
 * repetition looks at a class that contains them. */

enum { OP_CLASS, OP_SPLIT, OP_JMP, OP_SAVE, OP_BOL, OP_EOL, OP_MATCH };

typedef struct re_inst {
    uint8_t op;
    uint32_t x, y; /* class index / jump targets (x preferred) / capture slot */
} re_inst;

typedef struct re_class {
    uint8_t bits[32];
} re_class;

enum { N_EMPTY, N_CLASS, N_CAT, N_GROUP, N_STAR, N_PLUS, N_QUEST, N_BOL, N_EOL };

typedef struct re_node {
    int type;
    int a, b; /* children, or class index; for N_GROUP: a = child, b = group or -1 */
} re_node;

/* A runnable thread: a CLASS or MATCH instruction with its captures. */
typedef struct re_list {
    uint32_t *pc;
    size_t *caps; /* ncap per thread */
    size_t n;
} re_list;

typedef struct re_job {
    uint32_t pc; /* instruction to explore, or capture slot to restore */
    bool restore;
    size_t val;  /* the capture's old value, or (backtracker) the position to explore at */
} re_job;

struct lg_re {
    re_inst *prog;
    size_t n_prog, cap_prog;
    re_class *cls;
    size_t n_cls, cap_cls;
    int ngroups;
    size_t ncap;
    /* Bytes a match can start with; a start anywhere else cannot match unless the pattern
     * can match the empty string (or needs $), so the searches skip those starts. */
    re_class first;
    bool maybe_empty;
    /* scratch, sized once at compile time */
    re_list lists[2];
    uint32_t *mark;
    uint32_t gen;
    re_job *jobs;
    size_t *work, *best;
    /* backtracker scratch */
    uint64_t *visited;
    size_t cap_visited;
    re_job *bt;
    size_t cap_bt;
};

/* Above this many (instruction, position) pairs the backtracker's memo would get large, and
 * the Pike VM, whose memory does not depend on the text, takes over. Tests lower it to run
 * both engines on the same inputs. */
static size_t bitstate_limit = 1 << 18;

void lg_re_set_bitstate_limit(size_t pairs)
{
    bitstate_limit = pairs;
}

/* ---- parsing the pattern (fixed strings, so recursion depth is the patterns' nesting) ---- */

typedef struct re_parser {
    const char *s;
    re_node *nodes;
    size_t n_nodes, cap_nodes;
    lg_re *re;
    bool bad;
} re_parser;

static int new_node(re_parser *ps, int type, int a, int b)
{
    re_node *n = NP_PUSH(ps->nodes, ps->n_nodes, ps->cap_nodes);
    n->type = type;
    n->a = a;
    n->b = b;
    return (int)(ps->n_nodes - 1);
}

static int new_class(lg_re *re)
{
    re_class *c = NP_PUSH(re->cls, re->n_cls, re->cap_cls);
    memset(c, 0, sizeof *c);
    return (int)(re->n_cls - 1);
}

static void cls_set(re_class *c, unsigned ch)
{
    c->bits[ch >> 3] |= (uint8_t)(1u << (ch & 7));
}

static void cls_range(re_class *c, unsigned lo, unsigned hi)
{
    for (unsigned ch = lo; ch <= hi; ch++)
        cls_set(c, ch);
}

static void cls_negate(re_class *c)
{
    for (int i = 0; i < 32; i++)
        c->bits[i] = (uint8_t)~c->bits[i];
}

/* Perl classes as Go defines them: \s is [\t\n\f\r ], not C's isspace. */
static bool perl_class(re_class *c, char e)
{
    re_class t = {{0}};
    switch (e) {
    case 'd': case 'D':
        cls_range(&t, '0', '9');
        break;
    case 's': case 'S':
        cls_set(&t, '\t'), cls_set(&t, '\n'), cls_set(&t, '\f'), cls_set(&t, '\r'),
            cls_set(&t, ' ');
        break;
    case 'w': case 'W':
        cls_range(&t, '0', '9'), cls_range(&t, 'a', 'z'), cls_range(&t, 'A', 'Z'),
            cls_set(&t, '_');
        break;
    default:
        return false;
    }
    if (e == 'D' || e == 'S' || e == 'W')
        cls_negate(&t);
    for (int i = 0; i < 32; i++)
        c->bits[i] |= t.bits[i];
    return true;
}

static int parse_bracket(re_parser *ps)
{
    int ci = new_class(ps->re);
    re_class c = {{0}};
    bool neg = false;
    if (*ps->s == '^')
        neg = true, ps->s++;
    bool first = true;
    while (*ps->s && (first || *ps->s != ']')) {
        first = false;
        if (strncmp(ps->s, "[:digit:]", 9) == 0) {
            cls_range(&c, '0', '9');
            ps->s += 9;
            continue;
        }
        if (strncmp(ps->s, "[:xdigit:]", 10) == 0) {
            cls_range(&c, '0', '9'), cls_range(&c, 'a', 'f'), cls_range(&c, 'A', 'F');
            ps->s += 10;
            continue;
        }
        unsigned lo = (unsigned char)*ps->s++;
        if (lo == '\\') {
            if (!*ps->s) {
                ps->bad = true;
                break;
            }
            if (perl_class(&c, *ps->s)) {
                ps->s++;
                continue;
            }
            lo = (unsigned char)*ps->s++;
        }
        unsigned hi = lo;
        if (ps->s[0] == '-' && ps->s[1] && ps->s[1] != ']') {
            hi = (unsigned char)ps->s[1];
            ps->s += 2;
            if (hi == '\\') {
                hi = (unsigned char)*ps->s;
                if (!*ps->s++)
                    ps->bad = true;
            }
            if (hi < lo)
                ps->bad = true;
        }
        if (!ps->bad)
            cls_range(&c, lo, hi);
    }
    if (*ps->s != ']')
        ps->bad = true;
    else
        ps->s++;
    if (neg)
        cls_negate(&c);
    ps->re->cls[ci] = c;
    return new_node(ps, N_CLASS, ci, 0);
}

static int parse_seq(re_parser *ps);

static int parse_atom(re_parser *ps)
{
    char ch = *ps->s++;
    if (ch == '(') {
        int group = -1;
        if (strncmp(ps->s, "?:", 2) == 0)
            ps->s += 2;
        else
            group = ps->re->ngroups++;
        int child = parse_seq(ps);
        if (*ps->s != ')')
            ps->bad = true;
        else
            ps->s++;
        return new_node(ps, N_GROUP, child, group);
    }
    if (ch == '[')
        return parse_bracket(ps);
    if (ch == '^')
        return new_node(ps, N_BOL, 0, 0);
    if (ch == '$')
        return new_node(ps, N_EOL, 0, 0);
    if (ch == '*' || ch == '+' || ch == '?' || ch == ')' || ch == '|') {
        ps->bad = true; /* '|' is not needed by any format */
        return new_node(ps, N_EMPTY, 0, 0);
    }
    int ci = new_class(ps->re);
    re_class *c = &ps->re->cls[ci];
    if (ch == '.') {
        cls_range(c, 0, 255);
        c->bits['\n' >> 3] &= (uint8_t)~(1u << ('\n' & 7));
    } else if (ch == '\\') {
        char e = *ps->s++;
        if (!e)
            ps->bad = true;
        else if (!perl_class(c, e))
            cls_set(c, (unsigned char)e);
    } else {
        cls_set(c, (unsigned char)ch);
    }
    return new_node(ps, N_CLASS, ci, 0);
}

static int parse_seq(re_parser *ps)
{
    int seq = new_node(ps, N_EMPTY, 0, 0);
    while (*ps->s && *ps->s != ')' && !ps->bad) {
        int atom = parse_atom(ps);
        while (*ps->s == '*' || *ps->s == '+' || *ps->s == '?') {
            char q = *ps->s++;
            atom = new_node(ps, q == '*' ? N_STAR : q == '+' ? N_PLUS : N_QUEST, atom, 0);
        }
        seq = new_node(ps, N_CAT, seq, atom);
    }
    return seq;
}

/* ---- code generation ---- */

static uint32_t emit(lg_re *re, uint8_t op, uint32_t x, uint32_t y)
{
    re_inst *in = NP_PUSH(re->prog, re->n_prog, re->cap_prog);
    in->op = op;
    in->x = x;
    in->y = y;
    return (uint32_t)(re->n_prog - 1);
}

static void gen(lg_re *re, const re_node *nodes, int ni)
{
    const re_node *n = &nodes[ni];
    uint32_t split, here;
    switch (n->type) {
    case N_EMPTY:
        break;
    case N_CLASS:
        emit(re, OP_CLASS, (uint32_t)n->a, 0);
        break;
    case N_CAT:
        gen(re, nodes, n->a);
        gen(re, nodes, n->b);
        break;
    case N_GROUP:
        if (n->b >= 0)
            emit(re, OP_SAVE, (uint32_t)n->b * 2, 0);
        gen(re, nodes, n->a);
        if (n->b >= 0)
            emit(re, OP_SAVE, (uint32_t)n->b * 2 + 1, 0);
        break;
    case N_STAR: /* L: split body, out; body; jmp L */
        split = emit(re, OP_SPLIT, 0, 0);
        gen(re, nodes, n->a);
        emit(re, OP_JMP, split, 0);
        re->prog[split].x = split + 1;
        re->prog[split].y = (uint32_t)re->n_prog;
        break;
    case N_PLUS: /* L: body; split L, out */
        here = (uint32_t)re->n_prog;
        gen(re, nodes, n->a);
        emit(re, OP_SPLIT, here, (uint32_t)re->n_prog + 1);
        break;
    case N_QUEST:
        split = emit(re, OP_SPLIT, 0, 0);
        gen(re, nodes, n->a);
        re->prog[split].x = split + 1;
        re->prog[split].y = (uint32_t)re->n_prog;
        break;
    case N_BOL:
        emit(re, OP_BOL, 0, 0);
        break;
    case N_EOL:
        emit(re, OP_EOL, 0, 0);
        break;
    }
}

/* Follows empty transitions from the start, collecting the classes reached. */
static void compute_first(lg_re *re)
{
    uint32_t *stack = np_xcalloc(2 * re->n_prog + 1, sizeof *stack); /* 2 pushes per pc at most */
    bool *seen = np_xcalloc(re->n_prog, sizeof *seen);
    size_t top = 0;
    stack[top++] = 0;
    while (top) {
        uint32_t pc = stack[--top];
        if (seen[pc])
            continue;
        seen[pc] = true;
        const re_inst *in = &re->prog[pc];
        switch (in->op) {
        case OP_CLASS:
            for (int i = 0; i < 32; i++)
                re->first.bits[i] |= re->cls[in->x].bits[i];
            break;
        case OP_SPLIT:
            stack[top++] = in->y;
            stack[top++] = in->x;
            break;
        case OP_JMP:
            stack[top++] = in->x;
            break;
        case OP_SAVE:
        case OP_BOL:
            stack[top++] = pc + 1;
            break;
        default: /* OP_EOL, OP_MATCH */
            re->maybe_empty = true;
            break;
        }
    }
    free(stack);
    free(seen);
}

/* Whether a match can start at pos of the text u[0..n). */
static bool may_start(const lg_re *re, const unsigned char *u, size_t pos, size_t n)
{
    if (re->maybe_empty)
        return true;
    return pos < n && re->first.bits[u[pos] >> 3] >> (u[pos] & 7) & 1;
}

lg_re *lg_re_compile(const char *pattern)
{
    lg_re *re = np_xcalloc(1, sizeof *re);
    re->ngroups = 1;
    re_parser ps = {.s = pattern, .re = re};
    int root = parse_seq(&ps);
    if (ps.bad || *ps.s) {
        free(ps.nodes);
        lg_re_free(re);
        return NULL;
    }
    emit(re, OP_SAVE, 0, 0);
    gen(re, ps.nodes, root);
    emit(re, OP_SAVE, 1, 0);
    emit(re, OP_MATCH, 0, 0);
    free(ps.nodes);
    compute_first(re);

    re->ncap = (size_t)re->ngroups * 2;
    for (int i = 0; i < 2; i++) {
        re->lists[i].pc = np_xcalloc(re->n_prog, sizeof(uint32_t));
        re->lists[i].caps = np_xcalloc(re->n_prog * re->ncap, sizeof(size_t));
    }
    re->mark = np_xcalloc(re->n_prog, sizeof(uint32_t));
    re->jobs = np_xcalloc(re->n_prog * 2 + 2, sizeof(re_job));
    re->work = np_xcalloc(re->ncap, sizeof(size_t));
    re->best = np_xcalloc(re->ncap, sizeof(size_t));
    return re;
}

void lg_re_free(lg_re *re)
{
    if (!re)
        return;
    free(re->prog);
    free(re->cls);
    for (int i = 0; i < 2; i++) {
        free(re->lists[i].pc);
        free(re->lists[i].caps);
    }
    free(re->mark);
    free(re->jobs);
    free(re->work);
    free(re->best);
    free(re->visited);
    free(re->bt);
    free(re);
}

int lg_re_ngroups(const lg_re *re)
{
    return re->ngroups;
}

static bool in_class(const lg_re *re, uint32_t cls, unsigned char c)
{
    return re->cls[cls].bits[c >> 3] >> (c & 7) & 1;
}

/* Follows empty transitions from pc in priority order, appending every CLASS/MATCH reached
 * (first arrival wins, which is what makes the search leftmost-first). caps is the working
 * capture set; SAVE changes are undone on the way back, as a backtracker would. */
static void add_thread(lg_re *re, re_list *l, uint32_t pc, size_t *caps, size_t pos, size_t len)
{
    size_t top = 0;
    re->jobs[top++] = (re_job){.pc = pc};
    while (top) {
        re_job j = re->jobs[--top];
        if (j.restore) {
            caps[j.pc] = j.val;
            continue;
        }
        if (re->mark[j.pc] == re->gen)
            continue;
        re->mark[j.pc] = re->gen;
        const re_inst *in = &re->prog[j.pc];
        switch (in->op) {
        case OP_JMP:
            re->jobs[top++] = (re_job){.pc = in->x};
            break;
        case OP_SPLIT:
            re->jobs[top++] = (re_job){.pc = in->y};
            re->jobs[top++] = (re_job){.pc = in->x};
            break;
        case OP_SAVE:
            re->jobs[top++] = (re_job){.pc = in->x, .restore = true, .val = caps[in->x]};
            caps[in->x] = pos;
            re->jobs[top++] = (re_job){.pc = j.pc + 1};
            break;
        case OP_BOL:
            if (pos == 0)
                re->jobs[top++] = (re_job){.pc = j.pc + 1};
            break;
        case OP_EOL:
            if (pos == len)
                re->jobs[top++] = (re_job){.pc = j.pc + 1};
            break;
        default: /* OP_CLASS, OP_MATCH */
            l->pc[l->n] = j.pc;
            memcpy(&l->caps[l->n * re->ncap], caps, re->ncap * sizeof *caps);
            l->n++;
            break;
        }
    }
}

/* Each pc is marked once per generation, so the explicit stack never exceeds 2 * n_prog and
 * the lists never exceed n_prog threads. */
static void next_gen(lg_re *re)
{
    if (++re->gen == 0) {
        memset(re->mark, 0, re->n_prog * sizeof *re->mark);
        re->gen = 1;
    }
}

static bool pike_find(lg_re *re, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    bool anchored = re->prog[1].op == OP_BOL;
    bool matched = false;
    re_list *cl = &re->lists[0], *nl = &re->lists[1];
    cl->n = 0;
    next_gen(re);
    for (size_t pos = 0;; pos++) {
        if (!matched && (!anchored || pos == 0) && may_start(re, u, pos, n)) {
            for (size_t i = 0; i < re->ncap; i++)
                re->work[i] = SIZE_MAX;
            add_thread(re, cl, 0, re->work, pos, n); /* lowest priority: starts latest */
        }
        if (cl->n == 0 && (matched || anchored))
            break; /* no thread left and none can start */
        next_gen(re);
        nl->n = 0;
        for (size_t t = 0; t < cl->n; t++) {
            const re_inst *in = &re->prog[cl->pc[t]];
            size_t *caps = &cl->caps[t * re->ncap];
            if (in->op == OP_MATCH) {
                memcpy(re->best, caps, re->ncap * sizeof *caps);
                matched = true;
                break; /* lower-priority threads can no longer win */
            }
            if (pos < n && in_class(re, in->x, u[pos]))
                add_thread(re, nl, cl->pc[t] + 1, caps, pos + 1, n);
        }
        re_list *tmp = cl;
        cl = nl;
        nl = tmp;
        if (pos >= n)
            break;
    }
    return matched;
}

static void bt_push(lg_re *re, size_t *top, re_job j)
{
    if (*top == re->cap_bt)
        np_grow(&re->bt, &re->cap_bt, *top + 1, sizeof *re->bt);
    re->bt[(*top)++] = j;
}

/* Depth-first search in priority order, so the first MATCH reached is Go's answer; each
 * (instruction, position) pair is tried at most once over the whole search, since a pair that
 * failed fails again whatever the captures. Pairs are numbered pc * (n + 1) + pos. */
static bool bitstate_find(lg_re *re, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t stride = n + 1, words = (re->n_prog * stride + 63) / 64;
    if (words > re->cap_visited) {
        free(re->visited);
        re->visited = np_xmalloc(words * sizeof *re->visited);
        re->cap_visited = words;
    }
    memset(re->visited, 0, words * sizeof *re->visited);
    bool anchored = re->prog[1].op == OP_BOL;
    size_t *caps = re->work;
    for (size_t start = 0; start <= n; start++) {
        if (anchored && start > 0)
            break;
        if (!may_start(re, u, start, n))
            continue;
        for (size_t i = 0; i < re->ncap; i++)
            caps[i] = SIZE_MAX;
        size_t top = 0;
        bt_push(re, &top, (re_job){.pc = 0, .val = start});
        while (top) {
            re_job j = re->bt[--top];
            if (j.restore) {
                caps[j.pc] = j.val;
                continue;
            }
            uint32_t pc = j.pc;
            size_t pos = j.val;
            for (;;) {
                size_t bit = pc * stride + pos;
                if (re->visited[bit / 64] >> (bit % 64) & 1)
                    break;
                re->visited[bit / 64] |= (uint64_t)1 << (bit % 64);
                const re_inst *in = &re->prog[pc];
                if (in->op == OP_CLASS) {
                    if (pos >= n || !in_class(re, in->x, u[pos]))
                        break;
                    pc++, pos++;
                } else if (in->op == OP_SPLIT) {
                    bt_push(re, &top, (re_job){.pc = in->y, .val = pos});
                    pc = in->x;
                } else if (in->op == OP_JMP) {
                    pc = in->x;
                } else if (in->op == OP_SAVE) {
                    bt_push(re, &top, (re_job){.pc = in->x, .restore = true, .val = caps[in->x]});
                    caps[in->x] = pos;
                    pc++;
                } else if (in->op == OP_BOL) {
                    if (pos != 0)
                        break;
                    pc++;
                } else if (in->op == OP_EOL) {
                    if (pos != n)
                        break;
                    pc++;
                } else { /* OP_MATCH */
                    memcpy(re->best, caps, re->ncap * sizeof *caps);
                    return true;
                }
            }
        }
    }
    return false;
}

bool lg_re_find(lg_re *re, const char *s, size_t n, lg_span *g)
{
    bool small = n < bitstate_limit / re->n_prog;
    if (!(small ? bitstate_find(re, s, n) : pike_find(re, s, n)))
        return false;
    for (int i = 0; i < re->ngroups; i++) {
        size_t a = re->best[2 * i], b = re->best[2 * i + 1];
        if (a == SIZE_MAX || b == SIZE_MAX || b < a)
            g[i] = (lg_span){s + n, 0};
        else
            g[i] = (lg_span){s + a, b - a};
    }
    return true;
}

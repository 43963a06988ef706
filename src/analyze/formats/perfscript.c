/* `perf script` text output read as a CPU profile: a header line per sample (comm, pid, time,
 * period, event), its call chain as indented "addr sym+off (dso)" lines, leaf first. */
#include "analyze/formats/legacy.h"

#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"

/* A byte range of the input: lines are never NUL-terminated, so the parser reads lengths. */
typedef struct ps_span {
    const char *p;
    size_t n;
} ps_span;

typedef struct ps_header {
    ps_span event;
    int64_t period;
    bool has_period;
    ps_span tail; /* what follows the event on the line: a frame when perf ran without -g */
} ps_header;

typedef struct ps_frame {
    uint64_t addr;
    ps_span sym, dso, file;
    int64_t line;
} ps_frame;

/* The profile being built, with its records keyed by content. */
typedef struct ps_builder {
    np_profile *p;
    np_hmap events, maps, funcs, locs;
    ps_frame *stack;
    size_t n_stack, cap_stack;
    struct ps_event {
        ps_span name;
        int64_t period; /* the first seen: the profile's period */
    } *events_v;
    size_t n_events, cap_events;
    int cur_event;
    int64_t cur_period;
    bool in_sample;
} ps_builder;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static ps_span trim(ps_span s)
{
    while (s.n && is_space(s.p[0]))
        s.p++, s.n--;
    while (s.n && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* The next white-space separated token of *s, consumed; empty at the end. */
static ps_span next_token(ps_span *s)
{
    *s = trim(*s);
    size_t i = 0;
    while (i < s->n && !is_space(s->p[i]))
        i++;
    ps_span t = {s->p, i};
    s->p += i;
    s->n -= i;
    return t;
}

static bool all_digits(ps_span s)
{
    for (size_t i = 0; i < s.n; i++)
        if (!is_digit(s.p[i]))
            return false;
    return s.n > 0 && s.n <= 18; /* fits int64 */
}

static int64_t to_int(ps_span s)
{
    int64_t v = 0;
    for (size_t i = 0; i < s.n; i++)
        v = v * 10 + (s.p[i] - '0');
    return v;
}

/* "12345.678901:", the time stamp that every default header carries. */
static bool is_time(ps_span t)
{
    if (t.n < 4 || t.p[t.n - 1] != ':')
        return false;
    const char *dot = memchr(t.p, '.', t.n);
    if (!dot || dot == t.p)
        return false;
    ps_span a = {t.p, (size_t)(dot - t.p)}, b = {dot + 1, t.n - 2 - (size_t)(dot - t.p)};
    return all_digits(a) && all_digits(b);
}

/* "cpu-clock:ppp" names the event "cpu-clock": the part after its last colon is dropped when
 * it is made of perf's event modifier letters only (a tracepoint's "sched:sched_switch" is not). */
static ps_span event_name(ps_span e)
{
    for (size_t i = e.n; i-- > 0;) {
        if (e.p[i] != ':')
            continue;
        bool mods = i + 1 < e.n;
        for (size_t j = i + 1; j < e.n; j++)
            mods = mods && strchr("ukhIGHpPSDWeb", e.p[j]) != NULL;
        if (mods)
            e.n = i;
        break;
    }
    return e;
}

/* A sample's header: "comm pid[/tid] [cpu] time: [period] event: [tail]". The command name may
 * hold spaces, so the time stamp anchors the line. */
static bool parse_header(ps_span line, ps_header *h)
{
    *h = (ps_header){0};
    ps_span rest = line, t;
    do
        t = next_token(&rest);
    while (t.n && !is_time(t));
    if (!t.n)
        return false;
    t = next_token(&rest);
    if (all_digits(t)) {
        h->period = to_int(t);
        h->has_period = true;
        t = next_token(&rest);
    }
    if (t.n < 2 || t.p[t.n - 1] != ':')
        return false;
    t.n--;
    h->event = event_name(t);
    h->tail = trim(rest);
    return true;
}

/* "addr sym+0xoff (dso)"; the symbol may hold spaces and parentheses (C++), so the dso is the
 * balanced group that ends the line. */
static bool parse_frame(ps_span line, ps_frame *f)
{
    *f = (ps_frame){0};
    ps_span rest = trim(line), a = next_token(&rest);
    if (!a.n || a.n > 16)
        return false;
    for (size_t i = 0; i < a.n; i++) {
        char c = a.p[i] | 0x20;
        if (!is_digit(a.p[i]) && !(c >= 'a' && c <= 'f'))
            return false;
        f->addr = f->addr << 4 | (uint64_t)(is_digit(a.p[i]) ? a.p[i] - '0' : c - 'a' + 10);
    }
    rest = trim(rest);
    if (!rest.n || rest.p[rest.n - 1] != ')')
        return false;
    size_t depth = 0, i = rest.n;
    while (i-- > 0) {
        depth += rest.p[i] == ')';
        depth -= rest.p[i] == '(';
        if (depth == 0)
            break;
    }
    if (depth != 0)
        return false;
    f->dso = (ps_span){rest.p + i + 1, rest.n - i - 2};
    f->sym = trim((ps_span){rest.p, i});
    return true;
}

/* Drops perf's "+0x1a" offset from a symbol. */
static ps_span strip_offset(ps_span s)
{
    for (size_t i = s.n; i-- > 0;) {
        if (s.p[i] == '+' && i + 2 < s.n && s.p[i + 1] == '0' && s.p[i + 2] == 'x') {
            s.n = i;
            break;
        }
        char c = s.p[i] | 0x20;
        if (!is_digit(s.p[i]) && !(c >= 'a' && c <= 'f') && c != 'x')
            break;
    }
    return s;
}

/* "  file.c:123", which -F +srcline prints under a frame. */
static bool parse_srcline(ps_span line, ps_span *file, int64_t *lineno)
{
    line = trim(line);
    const char *colon = NULL;
    for (size_t i = 0; i < line.n; i++)
        if (line.p[i] == ':')
            colon = line.p + i;
    if (!colon || colon == line.p || memchr(line.p, ' ', line.n))
        return false;
    ps_span num = {colon + 1, line.n - (size_t)(colon + 1 - line.p)};
    /* "??:0": perf found no line */
    if (!all_digits(num) || (colon - line.p == 2 && line.p[0] == '?' && line.p[1] == '?'))
        return false;
    *file = (ps_span){line.p, (size_t)(colon - line.p)};
    *lineno = to_int(num);
    return true;
}

/* ---- building the profile ---- */

/* Keys are the fields' bytes, each behind its length, so no two records share one. */
static void key_add(np_buf *key, ps_span s)
{
    uint64_t n = s.n;
    np_buf_add(key, &n, sizeof n);
    if (s.n) /* an absent field is a NULL span */
        np_buf_add(key, s.p, s.n);
}

static uint32_t intern(np_hmap *m, np_buf *key, uint32_t next, bool *found)
{
    uint32_t v = np_hmap_intern(m, key->data, key->len, next, found);
    np_buf_free(key);
    return v;
}

static uint32_t mapping_for(ps_builder *b, ps_span dso)
{
    if (!dso.n || (dso.n == 9 && memcmp(dso.p, "[unknown]", 9) == 0))
        return NP_NONE;
    bool found;
    np_buf key = {0};
    key_add(&key, dso);
    uint32_t i = intern(&b->maps, &key, (uint32_t)b->p->n_mapping, &found);
    if (!found) {
        np_mapping *m = np_profile_add_mapping(b->p);
        m->id = b->p->n_mapping;
        m->limit = UINT64_MAX;
        m->file = np_profile_strn(b->p, dso.p, dso.n);
        m->build_id = "";
        /* perf named the frames: the symbolizer leaves them alone unless forced */
        m->has_functions = true;
    }
    return i;
}

static uint32_t function_for(ps_builder *b, ps_span name, ps_span file)
{
    bool found;
    np_buf key = {0};
    key_add(&key, name);
    key_add(&key, file);
    uint32_t i = intern(&b->funcs, &key, (uint32_t)b->p->n_function, &found);
    if (!found) {
        np_function *f = np_profile_add_function(b->p);
        f->id = b->p->n_function;
        f->name = f->system_name = np_profile_strn(b->p, name.p, name.n);
        f->filename = file.n ? np_profile_strn(b->p, file.p, file.n) : "";
    }
    return i;
}

static uint32_t location_for(ps_builder *b, const ps_frame *f)
{
    ps_span sym = strip_offset(f->sym);
    bool found;
    np_buf key = {0};
    key_add(&key, f->dso);
    key_add(&key, sym);
    key_add(&key, f->file);
    np_buf_add(&key, &f->addr, sizeof f->addr);
    np_buf_add(&key, &f->line, sizeof f->line);
    uint32_t i = intern(&b->locs, &key, (uint32_t)b->p->n_location, &found);
    if (found)
        return i;
    np_location *l = np_profile_add_location(b->p);
    l->id = b->p->n_location;
    l->address = f->addr;
    l->mapping = mapping_for(b, f->dso);
    bool unknown = !sym.n || (sym.n == 9 && memcmp(sym.p, "[unknown]", 9) == 0);
    if (!unknown) {
        l->line = np_arena_alloc(&b->p->arena, sizeof *l->line);
        l->line[0] = (np_line){.func = function_for(b, sym, f->file), .line = f->line};
        l->n_line = 1;
    }
    return i;
}

/* The event's value column (after "samples"), created on first sight. */
static int event_for(ps_builder *b, ps_span e, int64_t period)
{
    bool found;
    np_buf key = {0};
    key_add(&key, e);
    uint32_t i = intern(&b->events, &key, (uint32_t)b->n_events, &found);
    if (!found)
        *NP_PUSH(b->events_v, b->n_events, b->cap_events) = (struct ps_event){e, period};
    return (int)i;
}

/* Ends the sample being read: its stack becomes locations, its period its event's value. */
static void flush_sample(ps_builder *b)
{
    if (!b->in_sample)
        return;
    b->in_sample = false;
    np_sample *s = np_profile_add_sample(b->p);
    s->n_loc = (uint32_t)b->n_stack;
    s->loc = np_arena_alloc(&b->p->arena, (b->n_stack ? b->n_stack : 1) * sizeof *s->loc);
    for (size_t i = 0; i < b->n_stack; i++)
        s->loc[i] = location_for(b, &b->stack[i]);
    /* values are laid out once every event is known (finish) */
    s->value = np_arena_alloc(&b->p->arena, 2 * sizeof *s->value);
    s->value[0] = b->cur_event;
    s->value[1] = b->cur_period;
    b->n_stack = 0;
}

/* A library or a pseudo-file such as "[kernel.kallsyms]" is not the program itself. */
static bool main_candidate(const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    return base[0] && base[0] != '[' && !strstr(base, ".so") && strncmp(base, "perf-", 5) != 0;
}

/* pprof reports the first mapping as the program ("File:"): the first one that is not a
 * library goes first. */
static void main_mapping_first(np_profile *p)
{
    size_t k = 0;
    while (k < p->n_mapping && !main_candidate(p->mapping[k].file))
        k++;
    if (k == 0 || k == p->n_mapping)
        return;
    np_mapping t = p->mapping[0];
    p->mapping[0] = p->mapping[k];
    p->mapping[k] = t;
    p->mapping[0].id = 1;
    p->mapping[k].id = k + 1;
    for (size_t i = 0; i < p->n_location; i++) {
        uint32_t *m = &p->location[i].mapping;
        *m = *m == 0 ? (uint32_t)k : *m == k ? 0 : *m;
    }
}

/* The value columns: samples, then one per event (CPU time for perf's clock events). */
static void finish(ps_builder *b)
{
    np_profile *p = b->p;
    size_t nt = 1 + b->n_events;
    np_value_type *t = np_xcalloc(nt, sizeof *t);
    t[0] = (np_value_type){"samples", "count"};
    for (size_t i = 0; i < b->n_events; i++) {
        ps_span e = b->events_v[i].name;
        bool clock = (e.n == 9 && memcmp(e.p, "cpu-clock", 9) == 0) ||
                     (e.n == 10 && memcmp(e.p, "task-clock", 10) == 0);
        t[i + 1] = clock ? (np_value_type){"cpu", "nanoseconds"}
                         : (np_value_type){np_profile_strn(p, e.p, e.n), "count"};
    }
    np_profile_set_sample_types(p, nt, t);
    p->period_type = t[nt - 1];
    p->period = b->events_v[b->n_events - 1].period;
    free(t);
    main_mapping_first(p);
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        int64_t ev = s->value[0], period = s->value[1];
        s->value = np_arena_alloc(&p->arena, nt * sizeof *s->value);
        memset(s->value, 0, nt * sizeof *s->value);
        s->value[0] = 1;
        s->value[1 + ev] = period;
    }
}

static void begin_sample(ps_builder *b, const ps_header *h)
{
    int64_t period = h->has_period ? h->period : 1;
    b->cur_event = event_for(b, h->event, period);
    b->cur_period = period;
    b->in_sample = true;
    ps_frame f;
    if (h->tail.n && parse_frame(h->tail, &f))
        *NP_PUSH(b->stack, b->n_stack, b->cap_stack) = f;
}

/* One line inside a sample: a frame, or the source line of the frame above it. */
static void sample_line(ps_builder *b, ps_span line)
{
    ps_frame f;
    if (parse_frame(line, &f)) {
        *NP_PUSH(b->stack, b->n_stack, b->cap_stack) = f;
        return;
    }
    ps_span file;
    int64_t lineno;
    if (b->n_stack && parse_srcline(line, &file, &lineno)) {
        b->stack[b->n_stack - 1].file = file;
        b->stack[b->n_stack - 1].line = lineno;
    }
}

/* Reads every line; LG-style result: 1 parsed, 0 not perf script output, -1 malformed. */
static int read_lines(ps_builder *b, const char *d, size_t len, np_err *err)
{
    size_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(d + pos, '\n', len - pos);
        ps_span line = {d + pos, nl ? (size_t)(nl - (d + pos)) : len - pos};
        pos += line.n + (nl != NULL);
        lineno++;
        ps_header h;
        if (!trim(line).n) {
            flush_sample(b);
        } else if (line.p[0] == '#' && !b->in_sample) {
            continue;
        } else if (parse_header(line, &h)) {
            /* without -g, perf right-aligns the command: headers may be indented too */
            flush_sample(b);
            begin_sample(b, &h);
        } else if (b->in_sample && is_space(line.p[0])) {
            sample_line(b, line);
        } else if (!b->p->n_sample && !b->in_sample) {
            return 0;
        } else if (!nl) {
            break; /* a file cut short: the samples before its last line still count */
        } else {
            return np_fail(err, "perf script: line %zu: not a sample header: %.*s", lineno,
                           (int)(line.n > 80 ? 80 : line.n), line.p);
        }
        /* The first sample decides the format: a header and at least one frame. */
        if (b->p->n_sample == 1 && b->p->sample[0].n_loc == 0)
            return 0;
    }
    flush_sample(b);
    return b->p->n_sample ? 1 : 0;
}

int np_perfscript_parse(const char *data, size_t len, np_profile **out, np_err *err)
{
    *out = NULL;
    ps_builder b = {.p = np_profile_new()};
    np_hmap_init(&b.events, 4);
    np_hmap_init(&b.maps, 16);
    np_hmap_init(&b.funcs, 256);
    np_hmap_init(&b.locs, 1024);
    int rc = read_lines(&b, data ? data : "", data ? len : 0, err);
    if (rc == 1) {
        finish(&b);
        *out = b.p;
    } else {
        np_profile_free(b.p);
    }
    np_hmap_free(&b.events);
    np_hmap_free(&b.maps);
    np_hmap_free(&b.funcs);
    np_hmap_free(&b.locs);
    free(b.stack);
    free(b.events_v);
    return rc;
}

/* Unit tests for the profile filters (filter_*.c) and the -tags report: hand-built profiles
 * for the exact rules, and real Go profiles compared with `go tool pprof -raw/-tags` output
 * (those comparisons are skipped when the go toolchain or the shared test data is missing). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/filter.h"
#include "core/gz.h"
#include "core/merge.h"
#include "analyze/report/tags.h"
#include "unit.h"

/* ---- hand-built profiles ---- */

/* Adds a function and a one-line location calling it; returns the location index. */
static uint32_t add_frame(np_profile *p, const char *name, const char *file)
{
    np_function *f = np_profile_add_function(p);
    f->id = p->n_function;
    f->name = np_profile_str(p, name);
    f->system_name = f->name;
    f->filename = np_profile_str(p, file);
    np_location *l = np_profile_add_location(p);
    l->id = p->n_location;
    l->address = 0x1000 + p->n_location;
    l->n_line = 1;
    l->line = np_arena_alloc(&p->arena, sizeof *l->line);
    l->line[0].func = (uint32_t)(p->n_function - 1);
    l->line[0].line = (int64_t)p->n_location;
    return (uint32_t)(p->n_location - 1);
}

/* Adds a sample with value v over frames given leaf first, ending with UINT32_MAX. */
static np_sample *add_sample(np_profile *p, int64_t v, ...)
{
    va_list ap;
    va_start(ap, v);
    uint32_t locs[32], n = 0;
    for (uint32_t x; (x = va_arg(ap, uint32_t)) != UINT32_MAX && n < 32;)
        locs[n++] = x;
    va_end(ap);
    np_sample *s = np_profile_add_sample(p);
    s->loc = np_arena_alloc(&p->arena, (n + 1) * sizeof *s->loc);
    memcpy(s->loc, locs, n * sizeof *locs);
    s->n_loc = n;
    s->value = np_arena_alloc(&p->arena, p->n_sample_type * sizeof *s->value);
    for (size_t i = 0; i < p->n_sample_type; i++)
        s->value[i] = v;
    return s;
}

static void add_label(np_profile *p, np_sample *s, const char *key, const char *str, int64_t num,
                      const char *unit)
{
    np_label *l = np_arena_alloc(&p->arena, (s->n_label + 1) * sizeof *l);
    if (s->n_label)
        memcpy(l, s->label, s->n_label * sizeof *l);
    l[s->n_label].key = np_profile_str(p, key);
    l[s->n_label].str = np_profile_str(p, str);
    l[s->n_label].num = num;
    l[s->n_label].num_unit = np_profile_str(p, unit);
    s->label = l;
    s->n_label++;
}

static np_profile *new_profile(void)
{
    np_profile *p = np_profile_new();
    np_value_type t = {"samples", "count"};
    np_profile_set_sample_types(p, 1, &t);
    return p;
}

#define END UINT32_MAX

static np_regex *rx(const char *pattern)
{
    np_err err;
    np_regex *r = np_regex_compile(pattern, &err);
    if (!r)
        fprintf(stderr, "bad test regexp %s: %s\n", pattern, err.msg);
    return r;
}

/* The sample's frames as "name name ..." leaf first (innermost line of each location). */
static const char *stack(const np_profile *p, const np_sample *s)
{
    static np_buf b;
    b.len = 0;
    bool first = true;
    for (uint32_t i = 0; i < s->n_loc; i++) {
        const np_location *l = &p->location[s->loc[i]];
        for (uint32_t j = 0; j < l->n_line; j++) {
            np_buf_printf(&b, "%s%s", first ? "" : " ", p->function[l->line[j].func].name);
            first = false;
        }
    }
    return np_buf_cstr(&b);
}

TEST(focus_ignore_drop_samples)
{
    np_profile *p = new_profile();
    uint32_t a = add_frame(p, "main.a", "a.go"), b = add_frame(p, "main.b", "b.go"),
             c = add_frame(p, "lib.c", "c.go");
    add_sample(p, 1, a, b, END);
    add_sample(p, 2, c, b, END);
    add_sample(p, 3, c, END);
    add_sample(p, 4, END); /* no frames: never focused, always dropped */
    np_regex *focus = rx("main\\.b"), *ignore = rx("^lib");
    bool fm, im, hm, hnm;
    np_filter_by_name(p, focus, ignore, NULL, NULL, &fm, &im, &hm, &hnm);
    CHECK(fm && im && !hm && !hnm);
    CHECK(p->n_sample == 1);
    CHECK(p->sample[0].value[0] == 1);
    /* Matching the file name also counts. */
    np_regex *file = rx("b\\.go");
    np_filter_by_name(p, file, NULL, NULL, NULL, &fm, NULL, NULL, NULL);
    CHECK(fm && p->n_sample == 1);
    np_regex_free(file);
    np_regex_free(focus);
    np_regex_free(ignore);
    np_profile_free(p);
}

TEST(hide_and_show_lines)
{
    np_profile *p = new_profile();
    uint32_t a = add_frame(p, "main.a", "a.go"), b = add_frame(p, "runtime.b", "b.go");
    /* A location with two lines (inlined runtime.x into main.y). */
    uint32_t c = add_frame(p, "runtime.x", "x.go");
    np_function *y = np_profile_add_function(p);
    y->id = p->n_function;
    y->name = "main.y";
    y->filename = "y.go";
    np_location *lc = &p->location[c];
    np_line *lines = np_arena_alloc(&p->arena, 2 * sizeof *lines);
    lines[0] = lc->line[0];
    lines[1].func = (uint32_t)(p->n_function - 1);
    lc->line = lines;
    lc->n_line = 2;
    add_sample(p, 1, a, b, c, END);
    add_sample(p, 2, b, END);
    bool hm, hnm;
    np_regex *hide = rx("^runtime\\.");
    np_filter_by_name(p, NULL, NULL, hide, NULL, NULL, NULL, &hm, &hnm);
    CHECK(hm && !hnm);
    CHECK(p->n_sample == 1); /* the second sample lost its only frame */
    CHECK_STR_EQ(stack(p, &p->sample[0]), "main.a main.y");
    np_regex *show = rx("main\\.a");
    np_filter_by_name(p, NULL, NULL, NULL, show, NULL, NULL, &hm, &hnm);
    CHECK(!hm && hnm);
    CHECK_STR_EQ(stack(p, &p->sample[0]), "main.a");
    np_regex_free(hide);
    np_regex_free(show);
    np_profile_free(p);
}

TEST(show_from_and_prune_from)
{
    np_profile *p = new_profile();
    uint32_t a = add_frame(p, "A", "f"), b = add_frame(p, "B", "f"), c = add_frame(p, "C", "f"),
             d = add_frame(p, "D", "f");
    /* Frames root to leaf [A B C B D] -> leaf first D B C B A. */
    add_sample(p, 1, d, b, c, b, a, END);
    add_sample(p, 2, a, END);
    np_regex *re = rx("^B$");
    CHECK(np_filter_show_from(p, re));
    CHECK(p->n_sample == 1);
    CHECK_STR_EQ(stack(p, &p->sample[0]), "D B C B");
    np_filter_prune_from(p, re);
    CHECK_STR_EQ(stack(p, &p->sample[0]), "B C B");
    CHECK(!np_filter_show_from(p, NULL));
    np_regex_free(re);
    np_profile_free(p);
}

TEST(prune_drop_frames)
{
    np_profile *p = new_profile();
    uint32_t m = add_frame(p, "main", "f"), al = add_frame(p, "operator new(unsigned long)", "f"),
             mal = add_frame(p, ".malloc", "f"), in = add_frame(p, "inner", "f"),
             anon = add_frame(p, "(anonymous namespace)::alloc(int)", "f");
    add_sample(p, 1, in, mal, al, m, END);   /* leaf first: inner <- malloc <- operator new <- main */
    add_sample(p, 2, mal, END);              /* root is pruned: nothing user above, kept */
    add_sample(p, 3, in, anon, m, END);
    p->drop_frames = "operator new|malloc|\\(anonymous namespace\\)::alloc";
    np_err err;
    CHECK(np_filter_remove_uninteresting(p, &err) == 0);
    CHECK_STR_EQ(stack(p, &p->sample[0]), "main");
    CHECK_STR_EQ(stack(p, &p->sample[1]), ".malloc");
    CHECK_STR_EQ(stack(p, &p->sample[2]), "main");
    p->drop_frames = "(";
    CHECK(np_filter_remove_uninteresting(p, &err) == -1);
    CHECK(strncmp(err.msg, "failed to compile regexp (: ", 28) == 0);
    np_profile_free(p);
}

TEST(prune_keeps_callers_of_inlined_match)
{
    np_profile *p = new_profile();
    uint32_t m = add_frame(p, "main", "f"), x = add_frame(p, "leaf", "f");
    /* Location x: lines [leaf, mallocgc, caller] (innermost first). */
    np_function *fs[2];
    const char *names[2] = {"mallocgc", "caller"};
    for (int i = 0; i < 2; i++) {
        fs[i] = np_profile_add_function(p);
        fs[i]->id = p->n_function;
        fs[i]->name = names[i];
    }
    np_location *l = &p->location[x];
    np_line *lines = np_arena_alloc(&p->arena, 3 * sizeof *lines);
    lines[0] = l->line[0];
    lines[1].func = (uint32_t)(p->n_function - 2);
    lines[2].func = (uint32_t)(p->n_function - 1);
    l->line = lines;
    l->n_line = 3;
    add_sample(p, 1, x, m, END);
    p->drop_frames = "mallocgc";
    p->keep_frames = "";
    np_err err;
    CHECK(np_filter_remove_uninteresting(p, &err) == 0);
    CHECK_STR_EQ(stack(p, &p->sample[0]), "caller main");
    np_profile_free(p);
}

TEST(tag_filters_and_units)
{
    np_profile *p = new_profile();
    uint32_t a = add_frame(p, "a", "f");
    np_sample *s1 = add_sample(p, 10, a, END), *s2 = add_sample(p, 20, a, END), *s3 = add_sample(p, 30, a, END);
    add_label(p, s1, "bytes", "", 1024, "bytes");
    add_label(p, s1, "tenant", "t1", 0, "");
    add_label(p, s2, "bytes", "", 4096, "");
    add_label(p, s2, "tenant", "t2", 0, "");
    add_label(p, s3, "request", "", 100, "");
    add_label(p, s3, "bytes", "", 8, "kilobytes");
    np_key_unit *units = np_num_label_units(p); /* warns: bytes also kilobytes */
    CHECK_STR_EQ(np_num_label_unit(units, "bytes"), "bytes");
    CHECK_STR_EQ(np_num_label_unit(units, "request"), "bytes");
    CHECK_STR_EQ(np_num_label_unit(units, "nope"), "");
    np_free_key_units(units);

    np_err err;
    struct {
        const char *value;
        int64_t want_sum;
    } cases[] = {
        {"1kb", 10},          {"2kb:", 20},      {":1kb", 10 + 30},  {"bytes=1kb:4kb", 10 + 20},
        {"tenant=t2", 20},    {"tenant=t1,t2", 30},   {"t1", 10},         {"tenant:t", 30},
        /* request's unit is bytes while "100" has none: units differ, nothing matches */
        {"request=100", 0},   {"request=64b:", 30},   {"nokey=t1", 0},
        /* the upper bound without unit takes the lower bound's: 1kB..2kB */
        {"1kb:2", 10},        {"1:2kb", 0},
        {"=t2", 20},          {"x1kb", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        np_tag_filter *f = np_tag_filter_compile("tagfocus", cases[i].value, p, &err);
        CHECK(f != NULL);
        if (!f)
            continue;
        int64_t sum = 0;
        for (size_t j = 0; j < p->n_sample; j++)
            sum += np_tag_filter_match(f, &p->sample[j]) ? p->sample[j].value[0] : 0;
        if (sum != cases[i].want_sum)
            fprintf(stderr, "  tagfocus=%s selects %lld, want %lld\n", cases[i].value, (long long)sum,
                    (long long)cases[i].want_sum);
        CHECK(sum == cases[i].want_sum);
        np_tag_filter_free(f);
    }
    CHECK(np_tag_filter_compile("tagfocus", "", p, &err) == NULL);
    CHECK(np_tag_filter_compile("tagignore", "a(", p, &err) == NULL);
    CHECK(strncmp(err.msg, "parsing tagignore regexp: ", 26) == 0);

    np_tag_filter *focus = np_tag_filter_compile("tagfocus", "tenant=t.", p, &err);
    np_tag_filter *ignore = np_tag_filter_compile("tagignore", "2kb:", p, &err);
    bool fm, im;
    np_filter_by_tag(p, focus, ignore, &fm, &im);
    CHECK(fm && im && p->n_sample == 1 && p->sample[0].value[0] == 10);
    np_tag_filter_free(focus);
    np_tag_filter_free(ignore);

    bool sm, hm;
    np_regex *show = rx("^(bytes|tenant)$"), *hide = rx("tenant");
    np_filter_tags_by_name(p, show, hide, &sm, &hm);
    CHECK(sm && hm && p->sample[0].n_label == 1);
    CHECK_STR_EQ(p->sample[0].label[0].key, "bytes");
    np_regex_free(show);
    np_regex_free(hide);
    np_profile_free(p);
}

TEST(scale_rounding_and_dropping)
{
    np_profile *p = np_profile_new();
    np_value_type t[2] = {{"a", "count"}, {"b", "count"}};
    np_profile_set_sample_types(p, 2, t);
    uint32_t a = add_frame(p, "a", "f");
    np_sample *s1 = add_sample(p, 5, a, END), *s2 = add_sample(p, 5, a, END);
    s1->value[0] = 5, s1->value[1] = 3;
    s2->value[0] = 7, s2->value[1] = 1;
    double r[2] = {1, 0.5};
    np_scale_n(p, r);
    /* 3*0.5 rounds half away from zero to 2; 1*0.5 to 1 (kept); only scaled values count. */
    CHECK(p->n_sample == 2 && p->sample[0].value[1] == 2 && p->sample[1].value[1] == 1);
    r[1] = 0.25;
    np_scale_n(p, r);
    /* 2*0.25 rounds to 1 and stays; 1*0.25 rounds to 0 and the sample goes despite its 7. */
    CHECK(p->n_sample == 1 && p->sample[0].value[0] == 5 && p->sample[0].value[1] == 1);
    np_scale(p, -1);
    CHECK(p->n_sample == 1 && p->sample[0].value[0] == -5 && p->sample[0].value[1] == -1);
    np_scale(p, 0);
    CHECK(p->n_sample == 0);
    np_profile_free(p);
}

TEST(normalize_and_set_label)
{
    np_profile *p = new_profile(), *base = new_profile();
    uint32_t a = add_frame(p, "a", "f");
    add_sample(p, 30, a, END);
    add_sample(p, 10, a, END);
    uint32_t b = add_frame(base, "b", "f");
    add_sample(base, 20, b, END);
    np_err err;
    CHECK(np_normalize(p, base, &err) == 0);
    CHECK(p->sample[0].value[0] == 15 && p->sample[1].value[0] == 5);
    np_set_label(base, "pprof::base", "true");
    CHECK(base->sample[0].n_label == 1);
    CHECK_STR_EQ(base->sample[0].label[0].str, "true");
    np_set_label(base, "pprof::base", "again");
    CHECK(base->sample[0].n_label == 1);
    CHECK_STR_EQ(base->sample[0].label[0].str, "again");
    base->period_type.type = "cpu";
    CHECK(np_normalize(p, base, &err) == -1);
    CHECK_STR_EQ(err.msg, "incompatible period types &{  0 0} and &{cpu  0 0}");
    np_profile_free(p);
    np_profile_free(base);
}

TEST(aggregate_blanks_fields)
{
    np_profile *p = new_profile();
    uint32_t a = add_frame(p, "a", "a.go");
    np_mapping *m = np_profile_add_mapping(p);
    m->has_functions = m->has_line_numbers = m->has_filenames = m->has_inline_frames = true;
    p->location[a].mapping = 0;
    np_aggregate(p, true, true, false, false, false);
    CHECK(p->location[a].address == 0 && p->location[a].line[0].line == 0);
    CHECK_STR_EQ(p->function[0].filename, "");
    CHECK_STR_EQ(p->function[0].name, "a");
    CHECK(m->has_functions && !m->has_filenames && !m->has_line_numbers && m->has_inline_frames);
    np_profile_free(p);
}

TEST(label_nodes)
{
    np_profile *p = new_profile();
    uint32_t a = add_frame(p, "a", "f");
    np_sample *s1 = add_sample(p, 1, a, END), *s2 = add_sample(p, 2, a, END);
    add_label(p, s1, "tenant", "t1", 0, "");
    add_label(p, s1, "bytes", "", 2048, "bytes");
    add_label(p, s2, "count", "", 5, ""); /* numbers without any unit are shown plainly */
    np_sample *s3 = add_sample(p, 3, a, END);
    add_label(p, s3, "tenant", "t1", 0, "");
    bool rm, lm;
    np_add_label_nodes(p, "tenant,,bytes", "count", "minimum", &rm, &lm);
    CHECK(rm && lm);
    /* Leaf first: the leaf key's frame, the stack, then root keys (the first key outermost). */
    CHECK_STR_EQ(stack(p, s1), " a 2kB t1");
    CHECK_STR_EQ(stack(p, s2), "5 a  ");
    /* Identical pseudo frames are shared; ids continue after the largest. */
    CHECK(s1->loc[0] == s3->loc[0] && s1->loc[3] == s3->loc[3] && s1->loc[2] != s3->loc[2]);
    CHECK(p->location[s1->loc[2]].id == 2 && p->function[p->location[s1->loc[2]].line[0].func].id == 2);
    CHECK(p->location[s1->loc[0]].id == 4);
    CHECK_STR_EQ(p->function[p->location[s1->loc[2]].line[0].func].filename, "bytes");
    CHECK_STR_EQ(p->function[p->location[s1->loc[3]].line[0].func].filename, "tenant");
    np_profile_free(p);
}

TEST(tags_report_layout)
{
    np_profile *p = new_profile();
    uint32_t a = add_frame(p, "a", "f");
    np_sample *s1 = add_sample(p, 150, a, END), *s2 = add_sample(p, 50, a, END);
    add_label(p, s1, "tenant", "alpha", 0, "");
    add_label(p, s2, "tenant", "b", 0, "");
    add_label(p, s2, "bytes", "", 1536, "bytes");
    np_key_unit *units = np_num_label_units(p);
    np_buf out = {0};
    np_tags_report(p, 0, NULL, NULL, units, &out);
    /* Each key is its own column block (the empty line ends it). */
    CHECK_STR_EQ(np_buf_cstr(&out), " bytes: Total 50.0\n"
                                    "        50.0 (  100%): 1.50kB\n"
                                    "\n"
                                    " tenant: Total 200.0\n"
                                    "         150.0 (75.00%): alpha\n"
                                    "          50.0 (25.00%): b\n"
                                    "\n");
    np_buf_free(&out);
    np_free_key_units(units);
    np_profile_free(p);
}

/* ---- real profiles against go tool pprof ---- */

static const char *testdata_dir(void)
{
    static const char *dirs[] = {"../shared/testdata/go/profiles"};
    const char *env = getenv("NP_GO_PROFILES");
    if (env)
        return env;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (access(dirs[i], R_OK) == 0)
            return dirs[i];
    return NULL;
}

static bool have_go(void)
{
    static int have = -1;
    if (have < 0)
        have = system("go version >/dev/null 2>&1") == 0;
    return have;
}


/* Profiles under tests/ are the repository's own; others are shared. */
static void profile_path(char *path, size_t cap, const char *rel)
{
    if (strncmp(rel, "tests/", 6) == 0)
        snprintf(path, cap, "%s", repo_file(rel));
    else
        snprintf(path, cap, "%s/%s", testdata_dir(), rel);
}

static np_profile *load(const char *rel)
{
    char path[512];
    profile_path(path, sizeof path, rel);
    np_buf raw = {0}, data = {0};
    np_err err;
    np_profile *p = NULL;
    if (np_read_file(path, &raw, &err) == 0 && np_gunzip(raw.data, raw.len, &data, &err) == 0 &&
        np_profile_decode(data.data, data.len, &p, &err) == 0)
        p = np_profile_compact(p); /* pprof merges every fetched profile */
    else
        fprintf(stderr, "load %s: %s\n", path, err.msg);
    np_buf_free(&raw);
    np_buf_free(&data);
    return p;
}

static char *run_pprof(const char *args, const char *rel)
{
    char cmd[2048], path[512];
    profile_path(path, sizeof path, rel);
    snprintf(cmd, sizeof cmd, "TZ=UTC go tool pprof %s %s 2>/dev/null", args, path);
    FILE *fp = popen(cmd, "r");
    if (!fp)
        return NULL;
    np_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        np_buf_add(&b, chunk, n);
    pclose(fp);
    np_buf_cstr(&b);
    return b.data;
}

typedef struct opts {
    const char *focus, *ignore, *hide, *show, *show_from, *tagfocus, *tagignore, *tagshow,
        *taghide, *prune_from, *sample_index, *unit, *tagroot, *tagleaf;
} opts;

static np_regex *opt_rx(const char *v)
{
    return v && v[0] ? rx(v) : NULL;
}

/* The driver's filtering as pprof's applyFocus orders it. */
static void apply_filters(np_profile *p, const opts *o)
{
    np_err err;
    np_regex *r[8] = {opt_rx(o->focus), opt_rx(o->ignore), opt_rx(o->hide), opt_rx(o->show),
                      opt_rx(o->show_from), opt_rx(o->tagshow), opt_rx(o->taghide), opt_rx(o->prune_from)};
    np_tag_filter *tf = np_tag_filter_compile("tagfocus", o->tagfocus, p, &err);
    np_tag_filter *ti = np_tag_filter_compile("tagignore", o->tagignore, p, &err);
    np_filter_by_name(p, r[0], r[1], r[2], r[3], NULL, NULL, NULL, NULL);
    np_filter_show_from(p, r[4]);
    np_filter_by_tag(p, tf, ti, NULL, NULL);
    np_filter_tags_by_name(p, r[5], r[6], NULL, NULL);
    np_filter_prune_from(p, r[7]);
    for (int i = 0; i < 8; i++)
        np_regex_free(r[i]);
    np_tag_filter_free(tf);
    np_tag_filter_free(ti);
}

static void add_flag(np_buf *b, const char *name, const char *v)
{
    if (!v || !v[0])
        return;
    np_buf_printf(b, " '-%s=", name);
    for (const char *c = v; *c; c++)
        np_buf_puts(b, *c == '\'' ? "'\\''" : (char[]){*c, 0});
    np_buf_putc(b, '\'');
}

static char *flags_of(const opts *o, const char *report)
{
    np_buf b = {0};
    np_buf_puts(&b, report);
    add_flag(&b, "focus", o->focus);
    add_flag(&b, "ignore", o->ignore);
    add_flag(&b, "hide", o->hide);
    add_flag(&b, "show", o->show);
    add_flag(&b, "show_from", o->show_from);
    add_flag(&b, "tagfocus", o->tagfocus);
    add_flag(&b, "tagignore", o->tagignore);
    add_flag(&b, "tagshow", o->tagshow);
    add_flag(&b, "taghide", o->taghide);
    add_flag(&b, "prune_from", o->prune_from);
    add_flag(&b, "sample_index", o->sample_index);
    add_flag(&b, "unit", o->unit);
    add_flag(&b, "tagroot", o->tagroot);
    add_flag(&b, "tagleaf", o->tagleaf);
    return (char *)np_buf_cstr(&b);
}

static size_t index_of(const np_profile *p, const char *name)
{
    if (!name && p->default_sample_type[0])
        name = p->default_sample_type;
    for (size_t i = 0; name && i < p->n_sample_type; i++)
        if (strcmp(p->sample_type[i].type, name) == 0)
            return i;
    return p->n_sample_type - 1; /* no default sample type: the last */
}

/* Runs one case both ways; returns false (after printing both) on a difference. */
static bool same_as_pprof(const char *rel, const char *report, const opts *o)
{
    np_profile *p = load(rel);
    if (!p)
        return false;
    np_err err;
    np_filter_remove_uninteresting(p, &err);
    np_key_unit *units = np_num_label_units(p);
    np_add_label_nodes(p, o->tagroot, o->tagleaf, o->unit ? o->unit : "minimum", NULL, NULL);
    apply_filters(p, o);
    np_buf got = {0};
    if (strcmp(report, "-raw") == 0)
        np_profile_raw(p, &got);
    else
        np_tags_report(p, index_of(p, o->sample_index), NULL, o->unit ? o->unit : "minimum", units, &got);
    char *flags = flags_of(o, report);
    char *want = run_pprof(flags, rel);
    bool same = want && strcmp(np_buf_cstr(&got), want) == 0;
    if (getenv("NP_TEST_VERBOSE"))
        fprintf(stderr, "  %s %s: %zu bytes, %s\n", flags, rel, got.len, same ? "same" : "DIFFERENT");
    if (!same) {
        fprintf(stderr, "  differs from go tool pprof %s %s\n--- nprof:\n%s--- pprof:\n%s", flags, rel,
                got.data, want ? want : "(none)");
    }
    free(flags);
    free(want);
    np_buf_free(&got);
    np_free_key_units(units);
    np_profile_free(p);
    return same;
}

#define NEED_PPROF()                                                                         \
    do {                                                                                     \
        if (!testdata_dir() || !have_go())                                                   \
            SKIP("needs go tool pprof and the shared Go profiles");                          \
        setenv("TZ", "UTC", 1);                                                              \
        tzset();                                                                             \
    } while (0)

TEST(raw_after_name_filters_matches_pprof)
{
    NEED_PPROF();
    static const struct {
        const char *file;
        opts o;
    } cases[] = {
        {"leaky/heap.pb.gz", {0}},
        {"leaky/heap.pb.gz", {.focus = "leaky"}},
        {"leaky/heap.pb.gz", {.ignore = "runtime", .hide = "main\\.handler"}},
        {"leaky/heap.pb.gz", {.show = "main\\.", .show_from = "main"}},
        {"cpuwork/cpu.pb.gz", {.focus = "sort", .ignore = "json"}},
        {"cpuwork/cpu.pb.gz", {.hide = "runtime\\.", .prune_from = "sort\\."}},
        {"cpuwork/cpu.pb.gz", {.show_from = "encoding/json", .show = "json|reflect"}},
        {"cpuwork/cpu.pb.gz", {.focus = "\\.go$", .hide = "^(main|sort)\\."}},
        {"allocs/allocs.pb.gz", {.prune_from = "^runtime\\.", .ignore = "fmt"}},
        {"goleak/goroutine.pb.gz", {.show = "^main\\.", .focus = "main"}},
        {"contention/mutex.pb.gz", {.hide = "sync", .show_from = "main\\."}},
        {"goleak/goroutine.pb.gz", {.tagroot = "tenant", .tagleaf = "leak,tenant", .focus = "t1"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(same_as_pprof(cases[i].file, "-raw", &cases[i].o));
}

TEST(raw_after_tag_filters_matches_pprof)
{
    NEED_PPROF();
    static const struct {
        const char *file;
        opts o;
    } cases[] = {
        {"goleak/goroutine.pb.gz", {.tagfocus = "tenant=t1", .taghide = "leak"}},
        {"goleak/goroutine.pb.gz", {.tagignore = "leak:mutex", .tagshow = "ten"}},
        {"goleak/goroutine.pb.gz", {.tagfocus = "t0,t2"}},
        {"leaky/heap.pb.gz", {.tagfocus = "500kb:"}},
        {"leaky/heap.pb.gz", {.tagfocus = "bytes=:1kb", .sample_index = "alloc_space"}},
        {"leaky/heap.pb.gz", {.tagignore = "96", .taghide = "bytes"}},
        {"cpuwork/cpu.pb.gz", {.tagfocus = "phase=json|sort", .tagignore = "phase=sort"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(same_as_pprof(cases[i].file, "-raw", &cases[i].o));
}

/* A hand-made profile (built with pprof's profile package): drop_frames/keep_frames with
 * C++ names, inlined frames, mapping files, frames without lines, mixed label units. */
TEST(synthetic_profile_matches_pprof)
{
    NEED_PPROF();
    const char *f = "tests/unit/testdata/synthetic.pb.gz";
    static const opts raw[] = {
        {0},
        {.focus = "libc"},
        {.hide = "libc\\.so"},
        {.show = "server"},
        {.show = "Handle", .hide = "helper"},
        {.ignore = "^\\.ppc", .show_from = "Handle|push"},
        {.prune_from = "^Foo::operator\\(\\)$"},
        {.prune_from = "push_back|Handle"},
        {.prune_from = "^(anonymous namespace)"},
        {.focus = "inlined_helper", .hide = "^leaf"},
        {.tagfocus = "timeout=1s:"},
        {.tagfocus = "bytes=1kb:3kb", .tagshow = "bytes"},
        {.tagfocus = "request=64b", .tagignore = "alignment=:4"},
        {.tagfocus = "op=put", .taghide = "op|tenant"},
        {.tagroot = "tenant,bytes", .tagleaf = "op"},
        {.tagroot = "timeout", .unit = "s"},
        {.tagleaf = "request,alignment,missing", .focus = "Pool"},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        CHECK(same_as_pprof(f, "-raw", &raw[i]));
    static const opts tags[] = {
        {0},
        {.sample_index = "alloc_space"},
        {.sample_index = "alloc_space", .unit = "mb"},
        {.sample_index = "alloc_space", .tagfocus = "weird=.", .taghide = "zz"},
        {.tagfocus = "tenant=a|b", .ignore = "read"},
        {.tagignore = "2kb:", .tagshow = "bytes|tenant"},
    };
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        CHECK(same_as_pprof(f, "-tags", &tags[i]));
}

TEST(tags_report_matches_pprof)
{
    NEED_PPROF();
    static const struct {
        const char *file;
        opts o;
    } cases[] = {
        {"goleak/goroutine.pb.gz", {0}},
        {"goleak/goroutine.pb.gz", {.tagfocus = "tenant=t1|t2"}},
        {"goleak/goroutine.pb.gz", {.tagshow = "leak"}},
        {"goleak/goroutine.pb.gz", {.taghide = "leak", .focus = "main"}},
        {"goleak/goroutine.pb.gz", {.tagignore = "watch"}},
        {"leaky/heap.pb.gz", {0}},
        {"leaky/heap.pb.gz", {.sample_index = "alloc_space"}},
        {"leaky/heap.pb.gz", {.sample_index = "inuse_objects", .tagfocus = "1kb:"}},
        {"leaky/heap.pb.gz", {.tagfocus = "bytes=96"}},
        {"leaky/heap.pb.gz", {.tagfocus = "bytes=96b"}},
        {"leaky/heap.pb.gz", {.unit = "kb"}},
        {"leaky/heap.pb.gz", {.unit = "gb", .sample_index = "alloc_objects"}},
        {"cpuwork/cpu.pb.gz", {.unit = "ms"}},
        {"goleak/goroutine.pb.gz", {.unit = "bytes"}},
        {"leaky/heap.pb.gz", {.tagshow = "nothing"}},
        {"allocs/allocs.pb.gz", {.sample_index = "alloc_objects"}},
        {"allocs/allocs.pb.gz", {.tagfocus = ":64"}},
        {"allocs/allocs.pb.gz", {.tagfocus = ":64b", .tagignore = "16b:32b"}},
        {"cpuwork/cpu.pb.gz", {0}},
        {"cpuwork/cpu.pb.gz", {.sample_index = "samples", .hide = "runtime"}},
        {"contention/block.pb.gz", {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(same_as_pprof(cases[i].file, "-tags", &cases[i].o));
}

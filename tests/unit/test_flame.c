/* Unit tests for the flame tree (analyze/flame.c): merging, name order, merged boxes, the box
 * cap, the depth limit, inlined frames, diff bases, and the root against the report total on
 * real encoded profiles (the synthetic one here and build/profiles when it is made). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/filter.h"
#include "analyze/flame.h"
#include "analyze/report/report.h"
#include "core/gz.h"
#include "unit.h"

/* A profile from text: each line "frame;frame;...;leaf VALUE", root first; a line starting
 * with '-' is a diff base sample (negated, labelled as -diff_base does). A frame written
 * "a+b" is one location whose inlined lines are a (outer) and b (inner). */
static uint32_t func_of(np_profile *p, const char *name, size_t n)
{
    for (size_t i = 0; i < p->n_function; i++)
        if (strlen(p->function[i].name) == n && memcmp(p->function[i].name, name, n) == 0)
            return (uint32_t)i;
    np_function *f = np_profile_add_function(p);
    f->id = p->n_function;
    f->name = f->system_name = np_profile_strn(p, name, n);
    f->filename = np_profile_str(p, "f.c");
    return (uint32_t)(p->n_function - 1);
}

static uint32_t loc_of(np_profile *p, const char *frame, size_t n)
{
    const char *plus = memchr(frame, '+', n);
    np_location *l = np_profile_add_location(p);
    l->id = p->n_location;
    l->address = 0x400000 + 16 * p->n_location;
    l->mapping = NP_NONE;
    l->n_line = plus ? 2 : 1;
    l->line = np_arena_alloc(&p->arena, 2 * sizeof *l->line);
    if (plus) { /* innermost first */
        l->line[0].func = func_of(p, plus + 1, n - (size_t)(plus + 1 - frame));
        l->line[1].func = func_of(p, frame, (size_t)(plus - frame));
    } else {
        l->line[0].func = func_of(p, frame, n);
    }
    return (uint32_t)(p->n_location - 1);
}

static np_profile *from_text(const char *text)
{
    np_profile *p = np_profile_new();
    np_value_type t[2] = {{"samples", "count"}, {"bytes", "bytes"}};
    np_profile_set_sample_types(p, 2, t);
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
        bool base = *line == '-';
        const char *sp = end;
        while (sp > line && sp[-1] != ' ')
            sp--;
        np_sample *s = np_profile_add_sample(p);
        s->value = np_arena_alloc(&p->arena, 2 * sizeof *s->value);
        s->value[0] = base ? -1 : 1;
        s->value[1] = s->value[0] * strtoll(sp, NULL, 10);
        s->loc = np_arena_alloc(&p->arena, 64 * sizeof *s->loc);
        uint32_t frames[64], n = 0;
        for (const char *f = line + base; f < sp - 1 && n < 64;) {
            const char *semi = memchr(f, ';', (size_t)(sp - 1 - f));
            size_t len = semi ? (size_t)(semi - f) : (size_t)(sp - 1 - f);
            frames[n++] = loc_of(p, f, len);
            f += len + 1;
        }
        for (uint32_t i = 0; i < n; i++) /* the sample lists its leaf first */
            s->loc[i] = frames[n - 1 - i];
        s->n_loc = n;
        if (base) {
            s->label = np_arena_alloc(&p->arena, sizeof *s->label);
            s->label[0].key = np_profile_str(p, "pprof::base");
            s->label[0].str = np_profile_str(p, "true");
            s->label[0].num_unit = "";
            s->n_label = 1;
        }
        line = nl ? nl + 1 : end;
    }
    np_aggregate(p, true, true, false, false, false); /* by function, as reports see it */
    return p;
}

static np_flame *tree(np_profile *p, double frac, size_t cap, int depth)
{
    np_flame_opts o = {1, -1, frac, cap, depth, {0, 0, 0}};
    return np_flame_build(p, &o);
}

/* The tree as text: "name total/self" per node in preorder, indented by depth. */
static char *dump(const np_flame *f)
{
    np_buf b = {0};
    for (size_t i = 0; i < f->n; i++) {
        np_buf_printf(&b, "%*s", (int)(2 * f->node[i].depth), "");
        np_flame_label(f, i, &b);
        np_buf_printf(&b, " %lld/%lld\n", (long long)f->node[i].total, (long long)f->node[i].self);
    }
    return (char *)np_buf_cstr(&b);
}

/* Every node's end encloses its children, and totals hold their children's. */
static bool well_formed(const np_flame *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const np_flame_node *n = &f->node[i];
        if (n->end <= i || n->end > f->n || (i > 0 && n->end > f->node[n->parent].end))
            return false;
        int64_t kids = 0;
        for (size_t k = i + 1; k < n->end; k = f->node[k].end) {
            if (f->node[k].parent != i || f->node[k].depth != n->depth + 1)
                return false;
            kids += f->node[k].total;
        }
        if (kids + n->self != n->total && !(n->end == i + 1))
            return false;
    }
    return true;
}

/* Builds the tree of `text` and compares its dump with want. */
static void expect_tree(const char *text, double frac, size_t cap, int depth, const char *want)
{
    np_profile *p = from_text(text);
    np_flame *f = tree(p, frac, cap, depth);
    char *d = dump(f);
    CHECK_STR_EQ(d, want);
    CHECK(well_formed(f));
    free(d);
    np_flame_free(f);
    np_profile_free(p);
}

static const char stacks[] = "main;a;x 5\n"
                             "main;b 2\n"
                             "main;a;y 3\n"
                             "main;a;x 1\n"
                             "main;a 4\n";

TEST(merges_equal_paths_in_name_order)
{
    np_profile *p = from_text(stacks);
    np_flame *f = tree(p, 0, 0, 0);
    char *d = dump(f);
    CHECK_STR_EQ(d, "root 15/0\n  main 15/0\n    a 13/4\n      x 6/6\n      y 3/3\n    b 2/2\n");
    CHECK(well_formed(f));
    CHECK(f->full_nodes == 6);
    CHECK(f->base == NULL && f->div == NULL);
    CHECK(f->node[2].end == 5 && f->node[0].end == 6);
    free(d);
    np_flame_free(f);
    np_profile_free(p);
}

TEST(light_children_merge_into_one_box_per_parent)
{
    /* cutoff 3.75: y (3) and b (2) go */
    expect_tree(stacks, 0.25, 0, 0, "root 15/0\n  main 15/0\n    a 13/4\n      x 6/6\n      [1 frames] 3/3\n"
                                    "    [1 frames] 2/2\n");
}

TEST(depth_limit_keeps_totals)
{
    expect_tree(stacks, 0, 0, 2, "root 15/0\n  main 15/0\n    a 13/4\n    b 2/2\n");
}

TEST(cap_bounds_a_wide_tree_and_keeps_the_heaviest)
{
    np_buf t = {0};
    for (int i = 1; i <= 3000; i++)
        np_buf_printf(&t, "main;f%04d;g 1\nmain;f%04d %d\n", i, i, i);
    np_profile *p = from_text(np_buf_cstr(&t));
    np_flame *f = tree(p, 0, 101, 0);
    CHECK(f->n <= 101);
    CHECK(f->full_nodes == 2 + 2 * 3000);
    CHECK(well_formed(f));
    CHECK(f->node[0].total == 3000 + 3000 * 3001 / 2);
    /* The kept frames are the heaviest, and the merged box holds all the rest. */
    int64_t kept = 0, merged = 0, lightest = 1 << 30;
    for (size_t i = 2; i < f->n; i = f->node[i].end) {
        if (f->node[i].merged)
            merged += f->node[i].total;
        else if (f->node[i].total < lightest)
            lightest = f->node[i].total;
        if (!f->node[i].merged)
            kept += f->node[i].total;
    }
    CHECK(kept + merged == f->node[1].total);
    CHECK(lightest > 2900);
    CHECK(f->node[f->node[1].end - 1].merged > 2900);
    np_flame_free(f);
    np_profile_free(p);
    np_buf_free(&t);
}

TEST(cap_holds_for_deep_chains)
{
    np_buf t = {0};
    for (int i = 0; i < 200; i++) {
        for (int k = 0; k < 300; k++)
            np_buf_printf(&t, "%sd%d_%d", k ? ";" : "", i % 7, k);
        np_buf_puts(&t, " 3\n");
    }
    np_profile *p = from_text(np_buf_cstr(&t));
    np_flame *f = tree(p, 0, 64, 0);
    CHECK(f->n <= 64);
    CHECK(well_formed(f));
    CHECK(f->node[0].total == 600);
    np_flame_free(f);
    np_profile_free(p);
    np_buf_free(&t);
}

TEST(inlined_lines_are_frames_outermost_first)
{
    expect_tree("main;outer+inner;leaf 7\n", 0, 0, 0,
                "root 7/0\n  main 7/0\n    outer 7/0\n      inner 7/0\n        leaf 7/7\n");
}

TEST(diff_base_kept_per_node)
{
    np_profile *p = from_text("main;grow 10\n-main;grow 4\nmain;same 5\n-main;same 5\n-main;gone 6\n");
    np_flame *f = tree(p, 0, 0, 0);
    char *d = dump(f);
    CHECK_STR_EQ(d, "root 0/0\n  main 0/0\n    gone -6/-6\n    grow 6/6\n    same 0/0\n");
    CHECK(f->base != NULL);
    /* base part, new part: gone 6 -> 0, grow 4 -> 10, same 5 -> 5 */
    CHECK(f->base[2].total == -6 && np_flame_new_total(f, 2) == 0);
    CHECK(f->base[3].total == -4 && np_flame_new_total(f, 3) == 10);
    CHECK(f->base[4].total == -5 && np_flame_new_total(f, 4) == 5);
    CHECK(f->base[0].total == -15 && np_flame_new_total(f, 0) == 15);
    np_flame_free(f);
    /* What vanished is as heavy as what it was: a 0.3 cutoff of 15 keeps "gone" (6). */
    f = tree(p, 0.3, 0, 0);
    CHECK(f->n == 5 && strcmp(f->node[2].name, "gone") == 0);
    free(d);
    np_flame_free(f);
    np_profile_free(p);
}

static void collect(void *ctx, const char *const *names, size_t depth, int64_t value, int64_t base,
                    int64_t div)
{
    (void)div;
    np_buf *b = ctx;
    for (size_t i = 0; i < depth; i++)
        np_buf_printf(b, "%s%s", i ? ";" : "", names[i]);
    np_buf_printf(b, " %lld %lld\n", (long long)value, (long long)base);
}

TEST(each_stack_sums_equal_stacks_in_tree_order)
{
    np_profile *p = from_text(stacks);
    np_flame_opts o = {1, -1, 0, 0, 0, {9, 0, 0}};
    np_buf b = {0};
    np_flame_each_stack(p, &o, collect, &b);
    CHECK_STR_EQ(np_buf_cstr(&b), " 9 0\nmain;a 4 0\nmain;a;x 6 0\nmain;a;y 3 0\nmain;b 2 0\n");
    np_buf_free(&b);
    np_flame *f = np_flame_build(p, &o);
    CHECK(f->node[0].total == 24 && f->node[0].self == 9);
    np_flame_free(f);
    np_profile_free(p);
}

/* Real profiles: the root holds the report total at every sample index, the tree is well
 * formed, and a cap of 200 boxes holds. */
static int check_real(const char *path)
{
    np_buf raw = {0}, data = {0};
    np_err e;
    np_profile *p = NULL;
    if (np_read_file(path, &raw, &e) < 0)
        return -1;
    if (np_is_gzip(raw.data, raw.len))
        CHECK(np_gunzip(raw.data, raw.len, &data, &e) == 0);
    else
        np_buf_add(&data, raw.data, raw.len);
    CHECK(np_profile_decode(data.data, data.len, &p, &e) == 0);
    if (p)
        np_aggregate(p, true, true, false, false, false);
    for (size_t vi = 0; p && vi < p->n_sample_type; vi++) {
        /* With negative samples the root is their net sum; pprof's total adds magnitudes. */
        int64_t net = 0;
        bool neg = false;
        for (size_t i = 0; i < p->n_sample; i++) {
            net += p->sample[i].value[vi];
            neg = neg || p->sample[i].value[vi] < 0;
        }
        np_flame_opts o = {(int)vi, -1, 0.001, 200, 0, {0, 0, 0}};
        np_flame *f = np_flame_build(p, &o);
        CHECK(f->node[0].total == (neg ? net : np_report_total(p, (int)vi, -1)));
        CHECK(f->n <= 200);
        CHECK(well_formed(f));
        np_flame_free(f);
    }
    np_profile_free(p);
    np_buf_free(&raw);
    np_buf_free(&data);
    return 0;
}

TEST(real_profiles_root_is_the_report_total)
{
    CHECK(check_real("tests/unit/testdata/synthetic.pb.gz") == 0);
    static const char *const more[] = {"heap.pb.gz", "cpu.pb.gz", "mutex.pb.gz", "goroutine.pb.gz",
                                       "threadcreate.pb.gz", "leak-b.pb.gz"};
    int found = 0;
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
        char path[256];
        snprintf(path, sizeof path, "build/profiles/%s", more[i]);
        found += check_real(path) == 0;
    }
    if (!found)
        printf("SKIP real_profiles: no build/profiles (tests/go/make-profiles.sh)\n");
}

/* Unit tests for measure.c: unit scaling, labels and percentages against a table produced by
 * pprof's own measurement package (testdata/measure_cases.tsv), plus ScaleProfiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/measure.h"
#include "unit.h"


/* Splits a tab-separated line in place; returns the number of fields. */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\n")] = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

/* One "S value from to label scale|unit" row: ScaledLabel and Scale. */
static int check_scale_row(char **f)
{
    long long v = strtoll(f[1], NULL, 10);
    np_buf got = {0};
    np_measure_scaled_label(&got, v, f[2], f[3]);
    int bad = strcmp(np_buf_cstr(&got), f[4]) != 0;
    if (bad)
        fprintf(stderr, "  ScaledLabel(%s, %s, %s) = %s, want %s\n", f[1], f[2], f[3], got.data, f[4]);
    char unit[64];
    double sv = np_measure_scale(v, f[2], f[3], unit, sizeof unit);
    char *bar = strchr(f[5], '|');
    double want = strtod(f[5], NULL);
    if (sv != want || !bar || strcmp(unit, bar + 1) != 0) {
        fprintf(stderr, "  Scale(%s, %s, %s) = %.17g|%s, want %s\n", f[1], f[2], f[3], sv, unit, f[5]);
        bad = 1;
    }
    np_buf_free(&got);
    return bad;
}

static int check_percent_row(char **f)
{
    np_buf got = {0};
    np_measure_percentage(&got, strtoll(f[1], NULL, 10), strtoll(f[2], NULL, 10));
    int bad = strcmp(np_buf_cstr(&got), f[3]) != 0;
    if (bad)
        fprintf(stderr, "  Percentage(%s, %s) = \"%s\", want \"%s\"\n", f[1], f[2], got.data, f[3]);
    np_buf_free(&got);
    return bad;
}

TEST(table_from_pprof)
{
    const char *path = getenv("NP_MEASURE_CASES");
    FILE *fp = fopen(path ? path : repo_file("tests/unit/testdata/measure_cases.tsv"), "r");
    CHECK(fp != NULL);
    if (!fp)
        return;
    char line[1024];
    int rows = 0, bad = 0;
    while (fgets(line, sizeof line, fp)) {
        char *f[8];
        int n = split_tabs(line, f, 8);
        if (line[0] == 'S' && n == 6)
            bad += check_scale_row(f);
        else if (line[0] == 'P' && n == 4)
            bad += check_percent_row(f);
        else
            continue;
        rows++;
    }
    fclose(fp);
    CHECK(rows > 1000);
    CHECK(bad == 0);
}

static const char *label(long long v, const char *unit)
{
    static np_buf b;
    b.len = 0;
    np_measure_label(&b, v, unit);
    return np_buf_cstr(&b);
}

static const char *scaled(long long v, const char *from, const char *to)
{
    static np_buf b;
    b.len = 0;
    np_measure_scaled_label(&b, v, from, to);
    return np_buf_cstr(&b);
}

static const char *percent(long long v, long long total)
{
    static np_buf b;
    b.len = 0;
    np_measure_percentage(&b, v, total);
    return np_buf_cstr(&b);
}

TEST(labels)
{
    CHECK_STR_EQ(label(1572864, "bytes"), "1.50MB");
    CHECK_STR_EQ(scaled(600000, "bytes", "MB"), "0.57MB");
    CHECK_STR_EQ(label(10000000, "nanoseconds"), "10ms");
    CHECK_STR_EQ(label(0, "bytes"), "0");
    CHECK_STR_EQ(label(-1536, "bytes"), "-1.50kB");
    CHECK_STR_EQ(label(42, "count"), "42");
    CHECK_STR_EQ(label(7200000000000LL, "ns"), "2hrs");
    CHECK_STR_EQ(scaled(1, "bytes", "minimum"), "1B");
    CHECK_STR_EQ(scaled(3, "widgets", "foo"), "3foo");
    CHECK_STR_EQ(scaled(1500, "ms", "s"), "1.50s");
    CHECK_STR_EQ(scaled(1, "milligcu", "auto"), "1m*GCU");
}

TEST(percentages)
{
    CHECK_STR_EQ(percent(1, 1), "  100%");
    CHECK_STR_EQ(percent(9996, 10000), "  100%");
    CHECK_STR_EQ(percent(1234, 10000), "12.34%");
    CHECK_STR_EQ(percent(1, 10000), " 0.01%");
    CHECK_STR_EQ(percent(5, 1000000), "0.0005%");
    CHECK_STR_EQ(percent(0, 100), "    0%");
    CHECK_STR_EQ(percent(5, 0), "    0%");
    CHECK_STR_EQ(percent(-50, 100), "50.00%");
}

TEST(scale_value_and_unit)
{
    char unit[16];
    CHECK(np_measure_scale(2048, "bytes", "kb", unit, sizeof unit) == 2.0);
    CHECK_STR_EQ(unit, "kB");
    CHECK(np_measure_scale(5, "count", "minimum", unit, sizeof unit) == 5.0);
    CHECK_STR_EQ(unit, "");
    CHECK(np_measure_scale(5, "count", "widgets", unit, sizeof unit) == 5.0);
    CHECK_STR_EQ(unit, "widgets");
    /* A target of another family falls back to the source family's default unit. */
    CHECK(np_measure_scale(3000000000LL, "ns", "kb", unit, sizeof unit) == 3.0);
    CHECK_STR_EQ(unit, "s");
}

static np_profile *typed_profile(const char *ptype, const char *punit, int64_t period,
                                 const char *stype, const char *sunit, int64_t v)
{
    np_profile *p = np_profile_new();
    np_value_type t = {stype, sunit};
    np_profile_set_sample_types(p, 1, &t);
    p->period_type.type = np_profile_str(p, ptype);
    p->period_type.unit = np_profile_str(p, punit);
    p->period = period;
    np_sample *s = np_profile_add_sample(p);
    s->value = np_arena_alloc(&p->arena, sizeof *s->value);
    s->value[0] = v;
    return p;
}

TEST(scale_profiles_to_finest_unit)
{
    np_profile *ps[2] = {typed_profile("cpu", "milliseconds", 10, "cpu", "milliseconds", 30),
                         typed_profile("cpu", "nanoseconds", 1000, "cpu", "nanoseconds", 2500000)};
    np_err err;
    CHECK(np_measure_scale_profiles(ps, 2, &err) == 0);
    /* The finest type is taken as spelled in its profile. */
    CHECK_STR_EQ(ps[0]->period_type.unit, "nanoseconds");
    CHECK(ps[0]->period == 10000000);
    CHECK_STR_EQ(ps[0]->sample_type[0].unit, "nanoseconds");
    CHECK(ps[0]->sample[0].value[0] == 30000000);
    CHECK_STR_EQ(ps[1]->sample_type[0].unit, "nanoseconds");
    CHECK(ps[1]->sample[0].value[0] == 2500000);
    np_profile_free(ps[0]);
    np_profile_free(ps[1]);
}

TEST(scale_profiles_errors)
{
    np_profile *ps[2] = {typed_profile("cpu", "nanoseconds", 1, "samples", "count", 1),
                         typed_profile("space", "bytes", 1, "samples", "count", 1)};
    np_err err;
    CHECK(np_measure_scale_profiles(ps, 2, &err) == -1);
    CHECK_STR_EQ(err.msg, "period type: incompatible types: {cpu nanoseconds 0 0} {space bytes 0 0}");
    ps[1]->period_type = ps[0]->period_type;
    ps[1]->sample_type[0].unit = "bytes";
    CHECK(np_measure_scale_profiles(ps, 2, &err) == -1);
    CHECK_STR_EQ(err.msg, "sample types: incompatible types: {samples count 0 0} {samples bytes 0 0}");
    /* Trailing 's' of type names is ignored; a single profile is left alone. */
    ps[1]->sample_type[0].type = "sample";
    ps[1]->sample_type[0].unit = "count";
    CHECK(np_measure_scale_profiles(ps, 2, &err) == 0);
    CHECK(np_measure_scale_profiles(ps, 1, &err) == 0);
    np_profile_free(ps[0]);
    np_profile_free(ps[1]);
}

/* Unit tests for the legacy-format parsers (legacy*.c): pprof's own test profiles compared
 * with their golden Profile.String() text, small cases whose expected text came from pprof,
 * and malformed input (truncated, garbage, absurd counts) that must fail cleanly. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gz.h"
#include "legacy.h"
#include "unit.h"

#define PPROF_TESTDATA "/usr/share/gocode/src/github.com/google/pprof/profile/testdata"

/* Parses data (gunzipped if needed); returns np_legacy_parse's result. */
static int parse(const char *data, size_t len, np_profile **p, np_err *err)
{
    np_buf raw = {0};
    if (np_is_gzip(data, len)) {
        if (np_gunzip(data, len, &raw, err) < 0)
            return -1;
        data = raw.data ? raw.data : "";
        len = raw.len;
    }
    int rc = np_legacy_parse(data, len, p, err);
    np_buf_free(&raw);
    return rc;
}

/* The -raw text of a parse, or "ERROR: msg" / "UNRECOGNIZED". */
static char *render(const char *data, size_t len)
{
    np_profile *p = NULL;
    np_err err = {{0}};
    int rc = parse(data, len, &p, &err);
    np_buf out = {0};
    if (rc > 0)
        np_profile_raw(p, &out);
    else if (rc == 0)
        np_buf_puts(&out, "UNRECOGNIZED");
    else
        np_buf_printf(&out, "ERROR: %s", err.msg);
    np_profile_free(p);
    np_buf_cstr(&out);
    return out.data;
}

/* Prints the first differing line of two texts, to keep failures readable. */
static void show_diff(const char *name, const char *got, const char *want)
{
    int line = 1;
    const char *g = got, *w = want;
    while (*g && *g == *w) {
        if (*g == '\n')
            line++;
        g++, w++;
    }
    while (g > got && g[-1] != '\n')
        g--, w--;
    fprintf(stderr, "  %s: first difference at line %d\n    got:  %.*s\n    want: %.*s\n", name, line,
            (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}

/* ---- pprof's testdata ---- */

static bool read_file(const char *path, np_buf *b)
{
    np_err err;
    b->len = 0;
    return np_read_file(path, b, &err) == 0;
}

TEST(pprof_testdata_golden)
{
    setenv("TZ", "UTC", 1);
    tzset();
    DIR *dir = opendir(PPROF_TESTDATA);
    if (!dir)
        SKIP(PPROF_TESTDATA " not found");
    int compared = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 8 || strcmp(e->d_name + n - 7, ".string") != 0)
            continue;
        char in_path[1024], gold_path[1024];
        snprintf(gold_path, sizeof gold_path, "%s/%s", PPROF_TESTDATA, e->d_name);
        snprintf(in_path, sizeof in_path, "%s/%.*s", PPROF_TESTDATA, (int)(n - 7), e->d_name);
        np_buf in = {0}, gold = {0};
        if (read_file(in_path, &in) && read_file(gold_path, &gold)) {
            char *got = render(in.data ? in.data : "", in.len);
            bool same = strcmp(got, np_buf_cstr(&gold)) == 0;
            CHECK(same);
            if (!same)
                show_diff(in_path, got, gold.data);
            free(got);
            compared++;
        }
        np_buf_free(&in);
        np_buf_free(&gold);
    }
    closedir(dir);
    CHECK(compared >= 14);
}

/* np_profile_clone as the web UI uses it: on a profile merged once, each clone is the profile
 * a fresh merge of it would be (same encoding), every report on a clone prints what a report
 * on such a merge printed, and changing or freeing a clone leaves the original as it was.
 * Real profiles: the repository's synthetic one, build/profiles, ../shared's when present. */
#include <dirent.h>
#include <stdbool.h>

#include "unit.h"
#include "analyze/config.h"
#include "analyze/driver.h"
#include "core/clone.h"
#include "core/gz.h"
#include "core/merge.h"

static np_profile *decode_file(const char *path)
{
    np_buf raw = {0}, data = {0};
    np_err err;
    np_profile *p = NULL;
    if (np_read_file(path, &raw, &err) < 0 || np_gunzip(raw.data, raw.len, &data, &err) < 0 ||
        np_profile_decode(data.data, data.len, &p, &err) < 0)
        p = NULL;
    np_buf_free(&raw);
    np_buf_free(&data);
    return p;
}

static bool same_encoding(const np_profile *a, const np_profile *b)
{
    np_buf ea = {0}, eb = {0};
    np_profile_encode(a, &ea);
    np_profile_encode(b, &eb);
    bool same = ea.len == eb.len && memcmp(ea.data, eb.data, ea.len) == 0;
    np_buf_free(&ea);
    np_buf_free(&eb);
    return same;
}

/* A report's text: on a merged copy of p (the old way) when clone is false, else on a clone. */
static char *report(np_profile *p, bool clone, const char *cmd, const char *option, const char *value)
{
    np_config c;
    np_config_default(&c);
    np_err err;
    if (option)
        np_config_set(&c, option, value, &err);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = clone ? np_generate_report_owned(np_profile_clone(p), np_command_find(cmd), NULL, &c, f, false, &err)
                   : np_generate_report(p, np_command_find(cmd), NULL, &c, f, false, &err);
    if (rc < 0)
        fprintf(f, "error: %s\n", err.msg);
    fclose(f);
    np_config_free(&c);
    return text;
}

static int checked;

static void check_profile(const char *path)
{
    np_profile *p = decode_file(path);
    if (!p)
        return; /* not a profile.proto (legacy text, garbage): nothing to clone */
    np_profile *canon = NULL, *again = NULL;
    np_err err;
    CHECK(np_profile_merge(&p, 1, &canon, &err) == 0);
    CHECK(np_profile_merge(&canon, 1, &again, &err) == 0);
    np_profile *c = np_profile_clone(canon);
    if (!same_encoding(c, again))
        fprintf(stderr, "%s: a clone differs from a merge\n", path);
    CHECK(same_encoding(c, again));
    np_profile_free(c);
    static const char *const cases[][3] = {
        {"top", NULL, NULL}, {"dot", NULL, NULL}, {"traces", NULL, NULL},
        {"top", "granularity", "lines"}, {"dot", "focus", "main|malloc"},
        {"top", "hide", "runtime"}, {"tags", NULL, NULL}, {"dot", "call_tree", "true"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *old = report(canon, false, cases[i][0], cases[i][1], cases[i][2]);
        char *new = report(canon, true, cases[i][0], cases[i][1], cases[i][2]);
        if (strcmp(old, new) != 0)
            fprintf(stderr, "%s: -%s %s=%s differs on a clone\n", path, cases[i][0],
                    cases[i][1] ? cases[i][1] : "", cases[i][2] ? cases[i][2] : "");
        CHECK(strcmp(old, new) == 0);
        free(old);
        free(new);
    }
    /* The reports above filtered and aggregated their clones: the original is untouched. */
    CHECK(same_encoding(canon, again));
    np_profile_free(p);
    np_profile_free(canon);
    np_profile_free(again);
    checked++;
}

static void check_dir(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = strlen(path);
        if (n > 6 && strcmp(path + n - 6, ".pb.gz") == 0)
            check_profile(path);
        else if (depth > 0)
            check_dir(path, depth - 1);
    }
    closedir(d);
}

TEST(clone_is_a_merge_of_a_merged_profile)
{
    check_profile(repo_file("tests/unit/testdata/synthetic.pb.gz"));
    check_dir("build/profiles", 0);
    check_dir("../shared/testdata/go/profiles", 2);
    CHECK(checked >= 1);
    printf("clone: %d profiles\n", checked);
}


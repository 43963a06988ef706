/* Unit tests for the shared core: wire codec, profile decode/encode, gzip, merge, Go-style
 * formatting and path cleaning. Round trips use every real profile the machine has. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "core/gofmt.h"
#include "core/gz.h"
#include "core/hmap.h"
#include "core/npmath.h"
#include "core/merge.h"
#include "analyze/pathutil.h"
#include "core/pb.h"
#include "core/profile.h"
#include "unit.h"

static const char *fmt_dur(int64_t ns)
{
    static np_buf b;
    b.len = 0;
    np_go_duration(&b, ns);
    return np_buf_cstr(&b);
}

static const char *fmt_g(double v)
{
    static np_buf b;
    b.len = 0;
    np_go_float_g(&b, v);
    return np_buf_cstr(&b);
}

TEST(go_durations)
{
    CHECK_STR_EQ(fmt_dur(0), "0s");
    CHECK_STR_EQ(fmt_dur(999), "999ns");
    CHECK_STR_EQ(fmt_dur(1500), "1.5\xc2\xb5s");
    CHECK_STR_EQ(fmt_dur(1500000), "1.5ms");
    CHECK_STR_EQ(fmt_dur(5150000000LL), "5.15s");
    CHECK_STR_EQ(fmt_dur(90000000000LL), "1m30s");
    CHECK_STR_EQ(fmt_dur(3600000000000LL), "1h0m0s");
    CHECK_STR_EQ(fmt_dur(-2000000000LL), "-2s");
}

TEST(go_floats)
{
    CHECK_STR_EQ(fmt_g(0.005), "0.005");
    CHECK_STR_EQ(fmt_g(1e6), "1e+06");
    CHECK_STR_EQ(fmt_g(3.618e6), "3.618e+06");
    CHECK_STR_EQ(fmt_g(123456), "123456");
    CHECK_STR_EQ(fmt_g(0.0001), "0.0001");
    CHECK_STR_EQ(fmt_g(0.00001), "1e-05");
    CHECK_STR_EQ(fmt_g(1), "1");
    CHECK_STR_EQ(fmt_g(-2.5), "-2.5");
    CHECK_STR_EQ(fmt_g(0.1 + 0.2), "0.30000000000000004");
}

static const char *clean(const char *p)
{
    static np_buf b;
    b.len = 0;
    np_path_clean(&b, p);
    return np_buf_cstr(&b);
}

TEST(path_clean)
{
    CHECK_STR_EQ(clean(""), ".");
    CHECK_STR_EQ(clean("a//b/./c/.."), "a/b");
    CHECK_STR_EQ(clean("/../a"), "/a");
    CHECK_STR_EQ(clean("../../x"), "../../x");
    CHECK_STR_EQ(clean("a/../.."), "..");
    CHECK_STR_EQ(clean("/"), "/");
    CHECK_STR_EQ(clean("x/"), "x");
}

/* The arena form answers as np_path_clean does, and shares a path that is already clean. */
TEST(path_clean_arena)
{
    const char *paths[] = {"", "/", "//", "a", "a/", "/a/b", "./a", "a/./b", "a/..", "..", ".",
                           "../a", "a//b", "/a/b/", "a/b/..", ".hidden/x", "a/.b", "a/..b", "...",
                           "/..", "/./", "x/.", "../../y/z"};
    np_arena a = {0};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const char *got = np_path_clean_arena(&a, paths[i]);
        CHECK_STR_EQ(got, clean(paths[i]));
        if (!strcmp(got, paths[i]))
            CHECK(got == paths[i]);
    }
    np_arena_free(&a);
}

TEST(varints)
{
    uint64_t vals[] = {0, 1, 127, 128, 300, UINT32_MAX, (uint64_t)-1};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        np_buf b = {0};
        np_pb_put_varint(&b, vals[i]);
        CHECK(b.len == np_pb_varint_size(vals[i]));
        np_pb_reader r;
        np_pb_reader_init(&r, b.data, b.data, b.len);
        uint64_t v = 0;
        np_err err;
        CHECK(np_pb_varint(&r, &v, &err) == 0 && v == vals[i]);
        np_buf_free(&b);
    }
    const uint8_t truncated[] = {0x80, 0x80};
    const uint8_t too_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    np_pb_reader r;
    np_err err;
    uint64_t v;
    np_pb_reader_init(&r, truncated, truncated, sizeof truncated);
    CHECK(np_pb_varint(&r, &v, &err) < 0 && strstr(err.msg, "bad varint at offset 0"));
    np_pb_reader_init(&r, too_long, too_long, sizeof too_long);
    CHECK(np_pb_varint(&r, &v, &err) < 0);
}

TEST(submessage_lengths)
{
    /* A submessage longer than 127 bytes needs its length slot widened after the fact. */
    np_buf b = {0};
    size_t m = np_pb_begin(&b, 2);
    for (int i = 0; i < 200; i++)
        np_pb_put_uint(&b, 1, 5);
    np_pb_end(&b, m);
    np_pb_reader r;
    np_pb_field f;
    np_err err;
    np_pb_reader_init(&r, b.data, b.data, b.len);
    CHECK(np_pb_next(&r, &f, &err) == 1 && f.num == 2 && f.len == 400);
    CHECK(np_pb_next(&r, &f, &err) == 0);
    np_buf_free(&b);
}

static np_profile *sample_profile(void)
{
    np_profile *p = np_profile_new();
    np_value_type t[2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"}};
    np_profile_set_sample_types(p, 2, t);
    p->period_type.type = np_profile_str(p, "space");
    p->period_type.unit = np_profile_str(p, "bytes");
    p->period = 524288;
    p->time_nanos = 1700000000123456789LL;
    p->duration_nanos = 5150000000LL;
    p->default_sample_type = np_profile_str(p, "alloc_space");
    np_profile_add_comment(p, "hello");
    np_mapping *m = np_profile_add_mapping(p);
    m->id = 1;
    m->start = 0x400000;
    m->limit = 0x500000;
    m->file = np_profile_str(p, "/usr/bin/server");
    m->build_id = np_profile_str(p, "abc123");
    m->has_functions = m->has_line_numbers = true;
    for (int i = 0; i < 2; i++) {
        np_function *f = np_profile_add_function(p);
        f->id = (uint64_t)i + 1;
        f->name = np_profile_str(p, i ? "caller" : "leaf");
        f->system_name = np_profile_str(p, i ? "_Z6callerv" : "leaf");
        f->filename = np_profile_str(p, "server.c");
        f->start_line = 10 * i;
    }
    np_location *l = np_profile_add_location(p);
    l->id = 7;
    l->address = 0x401234;
    l->mapping = 0;
    l->n_line = 2;
    l->line = np_arena_alloc(&p->arena, 2 * sizeof *l->line);
    l->line[0].func = 0;
    l->line[0].line = 42;
    l->line[1].func = 1;
    l->line[1].line = 12;
    np_sample *s = np_profile_add_sample(p);
    s->n_loc = 1;
    s->loc = np_arena_alloc(&p->arena, sizeof *s->loc);
    s->value = np_arena_alloc(&p->arena, 2 * sizeof *s->value);
    s->value[0] = 3;
    s->value[1] = -4096;
    s->n_label = 2;
    s->label = np_arena_alloc(&p->arena, 2 * sizeof *s->label);
    s->label[0] = (np_label){"bytes", "", "bytes", 1024};
    s->label[1] = (np_label){"thread", "worker-1", "", 0};
    return p;
}

static char *raw_of(const np_profile *p)
{
    np_buf b = {0};
    np_profile_raw(p, &b);
    return (char *)np_buf_cstr(&b);
}

TEST(encode_decode_round_trip)
{
    np_profile *p = sample_profile();
    np_buf enc = {0};
    np_profile_encode(p, &enc);
    np_profile *q = NULL;
    np_err err;
    CHECK(np_profile_decode(enc.data, enc.len, &q, &err) == 0);
    if (q) {
        char *a = raw_of(p), *b = raw_of(q);
        CHECK_STR_EQ(b, a);
        CHECK(q->location[0].line[1].line == 12 && q->sample[0].value[1] == -4096);
        free(a);
        free(b);
    }
    np_profile_free(q);
    np_profile_free(p);
    np_buf_free(&enc);
}

TEST(decode_rejects_bad_input)
{
    np_profile *p = sample_profile();
    np_buf enc = {0};
    np_profile_encode(p, &enc);
    np_err err;
    np_profile *q = NULL;
    /* Every truncation of a valid profile either decodes or fails cleanly. */
    for (size_t n = 0; n < enc.len; n++) {
        if (np_profile_decode(enc.data, n, &q, &err) == 0)
            np_profile_free(q);
        else
            CHECK(q == NULL && err.msg[0]);
    }
    /* A length larger than the input names its offset. */
    const uint8_t big[] = {0x12, 0xff, 0x01, 0x00};
    CHECK(np_profile_decode(big, sizeof big, &q, &err) < 0 && strstr(err.msg, "exceeds"));
    /* A string index past the table. */
    const uint8_t badstr[] = {0x0a, 0x02, 0x08, 0x05, 0x32, 0x00};
    CHECK(np_profile_decode(badstr, sizeof badstr, &q, &err) < 0 && strstr(err.msg, "out of range"));
    /* A sample naming a location that does not exist. */
    const uint8_t badloc[] = {0x0a, 0x00, 0x12, 0x04, 0x0a, 0x01, 0x09, 0x10, 0x32, 0x00};
    CHECK(np_profile_decode(badloc, sizeof badloc, &q, &err) < 0);
    np_profile_free(p);
    np_buf_free(&enc);
}

TEST(decode_empty_packed_fields)
{
    /* A sample whose location_id and value are empty packed runs, before anything else gave
     * those arrays storage (found by fuzz_decode: pointer arithmetic on NULL). */
    const uint8_t in[] = {0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x12, 0x05, 0x0a, 0x00, 0x12, 0x01, 0x07,
                          0x32, 0x00, 0x32, 0x01, 'a', 0x32, 0x01, 'b'};
    np_profile *q = NULL;
    np_err err;
    CHECK(np_profile_decode(in, sizeof in, &q, &err) == 0);
    CHECK(q && q->n_sample == 1 && q->sample[0].n_loc == 0 && q->sample[0].value[0] == 7);
    np_profile_free(q);
}

TEST(gzip_round_trip_and_errors)
{
    const char text[] = "a profile is mostly repeated text text text text";
    np_buf gz = {0}, out = {0};
    np_err err;
    CHECK(np_gzip(text, sizeof text, &gz, &err) == 0);
    CHECK(np_is_gzip(gz.data, gz.len));
    CHECK(np_gunzip(gz.data, gz.len, &out, &err) == 0 && out.len == sizeof text &&
          memcmp(out.data, text, sizeof text) == 0);
    out.len = 0;
    CHECK(np_gunzip(gz.data, gz.len - 6, &out, &err) < 0 && strstr(err.msg, "unexpected EOF"));
    gz.data[12] ^= 0x55;
    out.len = 0;
    CHECK(np_gunzip(gz.data, gz.len, &out, &err) < 0);
    np_buf_free(&gz);
    np_buf_free(&out);
}

TEST(merge_adds_identical_samples)
{
    np_profile *p = sample_profile();
    np_profile *two[2] = {p, p}, *m = NULL;
    np_err err;
    CHECK(np_profile_merge(two, 2, &m, &err) == 0);
    if (m) {
        CHECK(m->n_sample == 1 && m->sample[0].value[0] == 6 && m->sample[0].value[1] == -8192);
        CHECK(m->n_location == 1 && m->location[0].id == 1 && m->n_function == 2);
    }
    np_profile_free(m);
    /* Values that cancel out remove the sample. */
    np_profile *neg = sample_profile();
    neg->sample[0].value[0] = -3;
    neg->sample[0].value[1] = 4096;
    np_profile *pair[2] = {p, neg};
    CHECK(np_profile_merge(pair, 2, &m, &err) == 0 && m && m->n_sample == 0 && m->n_location == 0);
    np_profile_free(m);
    np_profile_free(neg);
    np_profile_free(p);
}

TEST(hmap_many_keys)
{
    np_hmap m;
    np_hmap_init(&m, 4);
    char key[32];
    for (uint32_t i = 0; i < 10000; i++) {
        int n = snprintf(key, sizeof key, "key-%u", i);
        bool found;
        CHECK(np_hmap_intern(&m, key, (size_t)n, i, &found) == i && !found);
    }
    for (uint32_t i = 0; i < 10000; i += 97) {
        int n = snprintf(key, sizeof key, "key-%u", i);
        CHECK(np_hmap_get(&m, key, (size_t)n) == i);
    }
    CHECK(np_hmap_get(&m, "nope", 4) == UINT32_MAX);
    np_hmap_free(&m);
}

/* Decoding then encoding every real profile around loses nothing: the re-decoded profile
 * prints the same -raw text. */
static int round_trip_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 6, ".pb.gz") != 0)
            continue;
        /* The generated set also holds deliberately broken inputs for error tests. */
        if (strstr(e->d_name, "truncated") || strstr(e->d_name, "empty") || strstr(e->d_name, "garbage"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        np_buf file = {0}, raw = {0}, enc = {0};
        np_err err;
        np_profile *p = NULL, *q = NULL;
        if (np_read_file(path, &file, &err) < 0 || np_gunzip(file.data, file.len, &raw, &err) < 0 ||
            np_profile_decode(raw.data, raw.len, &p, &err) < 0) {
            fprintf(stderr, "%s: %s\n", path, err.msg);
            CHECK(0);
        } else {
            np_profile_encode(p, &enc);
            CHECK(np_profile_decode(enc.data, enc.len, &q, &err) == 0);
            if (q) {
                char *a = raw_of(p), *b = raw_of(q);
                CHECK_STR_EQ(b, a);
                free(a);
                free(b);
            }
            n++;
        }
        np_profile_free(p);
        np_profile_free(q);
        np_buf_free(&file);
        np_buf_free(&raw);
        np_buf_free(&enc);
    }
    closedir(d);
    return n;
}

TEST(real_profiles_round_trip)
{
    static const char *const dirs[] = {
        "build/profiles", "../shared/testdata/go/profiles/leaky", "../shared/testdata/go/profiles/cpuwork",
        "../shared/testdata/go/profiles/goleak", "../shared/testdata/go/profiles/contention",
        "../shared/testdata/go/profiles/allocs", "tests/unit/testdata"};
    int n = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        n += round_trip_dir(dirs[i]);
    if (n == 0)
        SKIP("no real profiles found (run tests/go/make-profiles.sh build/profiles)");
}

/* Relative error of a against libm's b. */
static double rel_err(double a, double b)
{
    return b == 0 ? fabs(a) : fabs(a - b) / fabs(b);
}

TEST(table_free_log_matches_libm)
{
    double worst = 0;
    for (int i = 1; i <= 200000; i++) {
        double u = (double)i / 200000;                   /* the sampler's (0, 1] */
        double w = 1e-300 * (1 + i) * (double)(1u << (i % 31)); /* far from 1, both sides */
        worst = fmax(worst, rel_err(np_log(u), log(u)));
        worst = fmax(worst, rel_err(np_log(w), log(w)));
        worst = fmax(worst, rel_err(np_log(1 / u), log(1 / u)));
    }
    CHECK(np_log(1) == 0);
    CHECK(np_log(0x1p-53) == log(0x1p-53));
    CHECK(worst < 1e-14);
}

TEST(table_free_sampling_probability_matches_libm)
{
    double worst = 0;
    for (int i = 0; i <= 400000; i++) {
        double x = i < 200000 ? i * 1e-10 + 1e-300 : (i - 200000) * 2.5e-4; /* tiny and 0..50 */
        worst = fmax(worst, rel_err(np_one_minus_exp_neg(x), -expm1(-x)));
    }
    CHECK(np_one_minus_exp_neg(0) == 0);
    CHECK(np_one_minus_exp_neg(1e6) == 1);
    CHECK(worst < 1e-14);
}

/* Rules that once had several copies in the analyzer, which disagreed; these pin Go's. */
TEST(go_quote_escapes_control_characters_as_go)
{
    np_buf b = {0};
    np_go_quote(&b, "a\nb\t\"c\\\x01");
    CHECK_STR_EQ(np_buf_cstr(&b), "\"a\\nb\\t\\\"c\\\\\\x01\"");
    np_buf_free(&b);
}

TEST(go_errno_text_is_go_syscall_wording)
{
    np_buf b = {0};
    np_go_errno(&b, ENOENT);
    CHECK_STR_EQ(np_buf_cstr(&b), "no such file or directory");
    b.len = 0;
    np_go_errno(&b, EISDIR);
    CHECK_STR_EQ(np_buf_cstr(&b), "is a directory");
    b.len = 0;
    np_go_errno(&b, ESTALE);
    CHECK_STR_EQ(np_buf_cstr(&b), "stale NFS file handle");
    b.len = 0;
    np_go_error_text(&b, "SSL connect error"); /* a leading acronym keeps its case */
    CHECK_STR_EQ(np_buf_cstr(&b), "SSL connect error");
    b.len = 0;
    np_go_error_text(&b, "Couldn't resolve host name");
    CHECK_STR_EQ(np_buf_cstr(&b), "couldn't resolve host name");
    np_buf_free(&b);
}

TEST(go_rune_count_counts_invalid_bytes_one_each)
{
    CHECK(np_go_rune_count("abc", 3) == 3);
    CHECK(np_go_rune_count("\xc3\xa9t\xc3\xa9", 5) == 3); /* "été" */
    CHECK(np_go_rune_count("\x80\x80x", 3) == 3);         /* stray continuation bytes */
    CHECK(np_go_rune_count("\xe2\x82", 2) == 2);          /* truncated sequence */
    CHECK(np_go_rune_count("\xed\xa0\x80", 3) == 3);      /* a surrogate is invalid */
    CHECK(np_go_rune_count("\xf0\x9f\x98\x80", 4) == 1);  /* one emoji */
    np_buf b = {0};
    np_put_runes(&b, "\xc3\xa9\x80zz", 3);
    CHECK_STR_EQ(np_buf_cstr(&b), "\xc3\xa9\x80z");
    np_buf_free(&b);
}

TEST(sample_index_by_name_as_go)
{
    np_profile *p = np_profile_new();
    np_value_type t[2] = {{"alloc_space", "bytes"}, {"space", "bytes"}};
    np_profile_set_sample_types(p, 2, t);
    int i = -1;
    np_err err;
    CHECK(np_profile_sample_index(p, "", &i, &err) == 0 && i == 1);
    CHECK(np_profile_sample_index(p, "+0", &i, &err) == 0 && i == 0);
    CHECK(np_profile_sample_index(p, "inuse_space", &i, &err) == 0 && i == 1);
    /* strconv.Atoi reads 64 bits: a number past 32 bits is an index out of range, not a name. */
    CHECK(np_profile_sample_index(p, "3000000000", &i, &err) == -1);
    CHECK_STR_EQ(err.msg, "sample_index 3000000000 is outside the range [0..1]");
    CHECK(np_profile_sample_index(p, "a\tb", &i, &err) == -1);
    CHECK_STR_EQ(err.msg, "sample_index \"a\\tb\" must be one of: [alloc_space space]");
    np_profile_free(p);
}

TEST(go_path_clean_as_go_path_clean)
{
    static const char *const cases[][2] = {
        {"", "."}, {"abc", "abc"}, {"abc/", "abc"}, {"a//b", "a/b"}, {"/", "/"}, {"//abc//", "/abc"},
        {"./x.c", "x.c"}, {"a/./b/../c", "a/c"}, {"/../a", "/a"}, {"../../a", "../../a"},
        {"a/../..", ".."}, {"abc/../../../x", "../../x"}, {"/dir/./sub/../x.c", "/dir/x.c"}, {".", "."},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = np_go_path_clean(out, cases[i][0], strlen(cases[i][0]));
        CHECK_STR_EQ(out, cases[i][1]);
        CHECK(n == strlen(cases[i][1]));
    }
    char in_place[] = "/dir/./sub//../x.c";
    np_go_path_clean(in_place, in_place, strlen(in_place)); /* the symbolizer cleans in place */
    CHECK_STR_EQ(in_place, "/dir/x.c");
}

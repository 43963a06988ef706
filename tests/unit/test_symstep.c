/* Unit tests for the symbolization step: the symbol service's answers as pprof reads them
 * (its pattern's leftmost match, whole lines only, 64-bit addresses), the service's URL for a
 * profile's URL, and local symbolization of this test binary's own functions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/fetch.h"
#include "analyze/symstep.h"
#include "unit.h"

/* Parses text; returns the entries as "ADDR=name;" pairs in a static buffer, or the error. */
static const char *parsed(const char *text)
{
    static char out[1024];
    np_symbolz_entry *e;
    size_t n;
    np_err err;
    if (np_symbolz_parse(text, strlen(text), &e, &n, &err) < 0) {
        snprintf(out, sizeof out, "error: %s", err.msg);
        return out;
    }
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(out + k, sizeof out - k, "%llx=%.*s;", (unsigned long long)e[i].addr,
                              (int)e[i].name_len, e[i].name);
    free(e);
    return out;
}

TEST(symbolz_collector_answer)
{
    /* What the collector's /debug/pprof/symbol answers, and Go's net/http/pprof alike. */
    CHECK_STR_EQ(parsed("num_symbols: 1\n0x7f9f75c141f4 start_thread\n0x55b73410e317 wait_for_reply\n"),
                 "7f9f75c141f4=start_thread;55b73410e317=wait_for_reply;");
    CHECK_STR_EQ(parsed(""), "");
    CHECK_STR_EQ(parsed("num_symbols: 1\n"), "");
}

TEST(symbolz_lines_as_pprof_reads_them)
{
    /* A last line without "\n" is not read. */
    CHECK_STR_EQ(parsed("0x10 a\n0x20 b"), "10=a;");
    /* White space of any kind between address and name, all of it skipped; the rest is the
     * name, spaces and "\r" included. */
    CHECK_STR_EQ(parsed("0x10 \t name with spaces\r\n"), "10=name with spaces\r;");
    /* An address with nothing after it: the "\n" is the white space, the name is empty. */
    CHECK_STR_EQ(parsed("0x10\n"), "10=;");
    CHECK_STR_EQ(parsed("0x10 \n"), "10=;");
    /* The leftmost "0x<hex>" followed by white space, wherever it is in the line. */
    CHECK_STR_EQ(parsed("junk 0x0x1f f\n"), "1f=f;");
    CHECK_STR_EQ(parsed("0x12g 0xAbC name\n"), "abc=name;");
    CHECK_STR_EQ(parsed("0X10 upper\nno address\n0x name\n"), "");
    /* Leading zeros do not count against 64 bits; a 17th digit does, and fails the whole. */
    CHECK_STR_EQ(parsed("0x0000ffffffffffffffff a\n"), "ffffffffffffffff=a;");
    CHECK_STR_EQ(parsed("0x1ffffffffffffffff a\n"),
                 "error: unexpected parse failure 0x1ffffffffffffffff: strconv.ParseUint: parsing "
                 "\"0x1ffffffffffffffff\": value out of range");
    /* NUL bytes are data, not the end. */
    np_symbolz_entry *e;
    size_t n;
    np_err err;
    CHECK(np_symbolz_parse("0x1 a\0b\n", 8, &e, &n, &err) == 0 && n == 1 && e[0].name_len == 3);
    free(e);
}

static const char *symz(const char *source)
{
    static char out[512];
    char *u;
    if (!np_symbolz_url(source, &u))
        return "(none)";
    snprintf(out, sizeof out, "%s", u);
    free(u);
    return out;
}

TEST(symbolz_url_as_pprof)
{
    CHECK_STR_EQ(symz("http://127.0.0.1:6060/debug/pprof/goroutine?debug=1"),
                 "http://127.0.0.1:6060/debug/pprof/symbol");
    CHECK_STR_EQ(symz("http://h:1/debug/pprof/profile?seconds=30"), "http://h:1/debug/pprof/symbol");
    CHECK_STR_EQ(symz("https://h/x/debug/pprof/heap"), "https://h/x/debug/pprof/symbol");
    CHECK_STR_EQ(symz("http://h:1/pprof/heap"), "http://h:1/pprof/symbol");
    CHECK_STR_EQ(symz("http://h:1/other/path?a=b"), "http://h:1/symbolz");
    CHECK_STR_EQ(symz("/tmp/profile.txt"), "(none)");
}

/* A function of this binary whose address the test looks up. */
__attribute__((noinline)) int np_unit_symstep_target(int x)
{
    return x * 3 + 1;
}

/* The executable mapping of this binary, from /proc/self/maps. */
static int self_mapping(uint64_t *start, uint64_t *limit, uint64_t *off, char *path, size_t cap)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    uint64_t pc = (uint64_t)(uintptr_t)&np_unit_symstep_target;
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        unsigned long long s, l, o;
        char perm[8];
        int pos = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &l, perm, &o, &pos) < 4 || !pos)
            continue;
        if (pc >= s && pc < l && strchr(perm, 'x')) {
            *start = s, *limit = l, *off = o;
            snprintf(path, cap, "%s", line + pos);
            path[strcspn(path, "\n")] = 0;
            found = 1;
        }
    }
    if (f)
        fclose(f);
    return found;
}

TEST(local_names_this_binary)
{
    np_profile *p = np_profile_new();
    np_mapping *m = np_profile_add_mapping(p);
    char path[4096];
    CHECK(self_mapping(&m->start, &m->limit, &m->offset, path, sizeof path));
    m->id = 1;
    m->file = np_profile_str(p, path);
    np_location *l = np_profile_add_location(p);
    l->id = 1;
    l->mapping = 0;
    l->address = (uint64_t)(uintptr_t)&np_unit_symstep_target + 1;
    np_symstep_local(p, false);
    CHECK(l->n_line == 1);
    if (l->n_line == 1) {
        CHECK_STR_EQ(p->function[l->line[0].func].name, "np_unit_symstep_target");
        CHECK(strstr(p->function[l->line[0].func].filename, "test_symstep.c") != NULL);
        CHECK(l->line[0].line > 0);
    }
    CHECK(p->mapping[0].has_functions && p->mapping[0].has_filenames && p->mapping[0].has_line_numbers);
    /* Already symbolized: a second pass adds nothing. */
    size_t nf = p->n_function;
    np_symstep_local(p, false);
    CHECK(p->n_function == nf);
    np_profile_free(p);
}

TEST(local_skips_what_pprof_skips)
{
    np_profile *p = np_profile_new();
    const char *files[] = {"[vdso]", "http://127.0.0.1:1/debug/pprof/goroutine"};
    for (size_t i = 0; i < 2; i++) {
        np_mapping *m = np_profile_add_mapping(p);
        m->id = i + 1;
        m->start = 0x1000 * (i + 1);
        m->limit = m->start + 0x1000;
        m->file = np_profile_str(p, files[i]);
        np_location *l = np_profile_add_location(p);
        l->id = i + 1;
        l->mapping = (uint32_t)i;
        l->address = m->start + 0x10;
    }
    np_symstep_local(p, true);
    CHECK(p->location[0].n_line == 0 && p->location[1].n_line == 0 && p->n_function == 0);
    np_profile_free(p);
}

/* Unit tests for the Go line table reader (core/sym/gopcln.c): a small table of Go 1.18 layout
 * written here byte by byte, read as debug/gosym reads it (functions by [entry, end), lines
 * and files from the pc-value tables, -1 and "" past them), and damaged copies of it. */
#include <stdint.h>
#include <string.h>

#include "core/sym/gopcln.h"
#include "unit.h"

enum { TEXT = 0x401000, NAMES = 72, CUTAB = 96, FILES = 104, PCTAB = 120, FUNCS = 160 };

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* One _func record at rec: entry offset, name offset, pcfile and pcln tables, cu 0. */
static void put_func(uint8_t *t, size_t rec, uint32_t entry, uint32_t name, uint32_t pcfile,
                     uint32_t pcln)
{
    put32(t + rec, entry);
    put32(t + rec + 4, name);
    put32(t + rec + 4 + 4 * 4, pcfile);
    put32(t + rec + 4 + 5 * 4, pcln);
}

/* Two functions: main.a at TEXT (lines 10 then 12, a.go) and main.b at TEXT+0x10 (line 20,
 * b.go), ending at TEXT+0x20. Returns the table's length. */
static size_t build(uint8_t *t)
{
    memset(t, 0, 512);
    const uint8_t head[8] = {0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8};
    memcpy(t, head, 8);
    const uint64_t words[8] = {2, 2, TEXT, NAMES, CUTAB, FILES, PCTAB, FUNCS};
    for (int i = 0; i < 8; i++)
        put64(t + 8 + 8 * i, words[i]);
    memcpy(t + NAMES, "main.a\0main.b", 14);
    put32(t + CUTAB, 0);
    put32(t + CUTAB + 4, 5);
    memcpy(t + FILES, "a.go\0b.go", 10);
    /* pc-value tables: zig-zag value delta, pc delta, ..., 0 */
    const uint8_t pc[] = {0, 22, 8, 4, 8, 0, /* a lines */ 2, 16, 0, /* a file 0 */
                          42, 16, 0, /* b line */ 4, 16, 0 /* b file 1 */};
    memcpy(t + PCTAB, pc, sizeof pc);
    const uint32_t functab[5] = {0, 20, 0x10, 60, 0x20};
    for (int i = 0; i < 5; i++)
        put32(t + FUNCS + 4 * i, functab[i]);
    put_func(t, FUNCS + 20, 0, 0, 6, 1);
    put_func(t, FUNCS + 60, 0x10, 7, 12, 9);
    return FUNCS + 100;
}

TEST(gopcln_names_functions_files_and_lines)
{
    uint8_t t[512];
    size_t len = build(t);
    np_gopcln *g = np_gopcln_open(t, len, TEXT);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK(np_gopcln_count(g) == 2);
    const char *fn = NULL, *file = NULL;
    int64_t line = 0;
    CHECK(np_gopcln_lookup(g, TEXT + 3, &fn, &file, &line));
    CHECK_STR_EQ(fn, "main.a");
    CHECK_STR_EQ(file, "a.go");
    CHECK(line == 10);
    CHECK(np_gopcln_lookup(g, TEXT + 8, &fn, &file, &line) && line == 12);
    CHECK(np_gopcln_lookup(g, TEXT + 0x1f, &fn, &file, &line));
    CHECK_STR_EQ(fn, "main.b");
    CHECK_STR_EQ(file, "b.go");
    CHECK(line == 20);
    CHECK(!np_gopcln_lookup(g, TEXT + 0x20, &fn, &file, &line));
    CHECK(!np_gopcln_lookup(g, TEXT - 1, &fn, &file, &line));
    np_gopcln_close(g);
}

TEST(gopcln_past_a_pc_value_table_gives_no_line)
{
    uint8_t t[512];
    size_t len = build(t);
    t[PCTAB + 4] = 0; /* main.a's line table now ends at TEXT+8 */
    np_gopcln *g = np_gopcln_open(t, len, TEXT);
    const char *fn = NULL, *file = NULL;
    int64_t line = 0;
    CHECK(g && np_gopcln_lookup(g, TEXT + 9, &fn, &file, &line));
    CHECK(line == -1);
    CHECK_STR_EQ(file, "a.go");
    put32(t + CUTAB, UINT32_MAX); /* a file number without a name */
    CHECK(g && np_gopcln_lookup(g, TEXT + 9, &fn, &file, &line));
    CHECK_STR_EQ(file, "");
    np_gopcln_close(g);
}

TEST(gopcln_refuses_what_gosym_cannot_read)
{
    uint8_t t[512];
    size_t len = build(t);
    CHECK(np_gopcln_open(t, 15, TEXT) == NULL);
    CHECK(np_gopcln_open(t, FUNCS + 19, TEXT) == NULL); /* function table cut short */
    CHECK(np_gopcln_open(t, FUNCS + 62, TEXT) == NULL); /* last record cut short */
    t[0] = 0xf5;
    CHECK(np_gopcln_open(t, len, TEXT) == NULL);
    build(t);
    t[7] = 3;
    CHECK(np_gopcln_open(t, len, TEXT) == NULL);
    build(t);
    put32(t + FUNCS + 60 + 4, 400); /* a name outside the table */
    CHECK(np_gopcln_open(t, len, TEXT) == NULL);
    build(t);
    put64(t + 8, 1u << 30); /* more functions than bytes */
    CHECK(np_gopcln_open(t, len, TEXT) == NULL);
}

/* Every pc around the table, looked up through one cursor (ascending, then descending and
 * jumping) and from scratch, must get the same answer, also in damaged copies of the table. */
static int cursor_mismatches(const uint8_t *t, size_t len)
{
    np_gopcln *g = np_gopcln_open(t, len, TEXT);
    if (!g)
        return 0;
    int bad = 0;
    np_gopcln_cursor c = {0};
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < 0x24; i++) {
            int off = pass == 0 ? i : pass == 1 ? 0x21 - i : (i * 7) % 0x24;
            uint64_t pc = TEXT - 2 + (uint64_t)off;
            const char *fn = NULL, *file = NULL, *cfn = NULL, *cfile = NULL;
            int64_t line = 0, cline = 0;
            bool found = np_gopcln_lookup(g, pc, &fn, &file, &line);
            bad += np_gopcln_lookup_at(g, &c, pc, &cfn, &cfile, &cline) != found;
            bad += found && (fn != cfn || file != cfile || line != cline);
        }
    }
    np_gopcln_close(g);
    return bad;
}

TEST(gopcln_cursor_answers_as_a_lookup_from_scratch)
{
    uint8_t t[512];
    size_t len = build(t);
    CHECK(cursor_mismatches(t, len) == 0);
    static const uint8_t values[] = {0, 1, 2, 3, 4, 0x7f, 0x80, 0x81, 0xff};
    int bad = 0;
    for (size_t at = PCTAB; at < PCTAB + 15; at++) {
        for (size_t v = 0; v < sizeof values; v++) {
            build(t);
            t[at] = values[v];
            bad += cursor_mismatches(t, len);
        }
    }
    CHECK(bad == 0);
}

/* libFuzzer target: the reader of Go's line table (core/sym/gopcln.h), which reads the
 * .gopclntab of whatever binary a user names. The input is the table; pcs spread over the
 * first 64 KiB of text and pcs taken from the input are looked up, each also through a cursor
 * kept from the one before (ascending, then in the input's order), which must answer exactly
 * as the lookup from scratch. A name that is not "" must lie inside the input and end there;
 * a crash or sanitizer report is a bug. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "core/sym/gopcln.h"

enum { TEXT = 0x401000 };

static void check_name(const char *s, const uint8_t *data, size_t size, const char *what)
{
    if (!s)
        np_fuzz_die(what, "NULL");
    if (!s[0])
        return;
    const uint8_t *p = (const uint8_t *)s;
    if (p < data || p >= data + size || !memchr(p, 0, (size_t)(data + size - p)))
        np_fuzz_die(what, "outside the input");
}

static void probe(const np_gopcln *t, np_gopcln_cursor *c, uint64_t pc, const uint8_t *data,
                  size_t size)
{
    const char *fn = NULL, *file = NULL, *cfn = NULL, *cfile = NULL;
    int64_t line = 0, cline = 0;
    bool found = np_gopcln_lookup(t, pc, &fn, &file, &line);
    if (found) {
        check_name(fn, data, size, "function name");
        check_name(file, data, size, "file name");
    }
    if (np_gopcln_lookup_at(t, c, pc, &cfn, &cfile, &cline) != found)
        np_fuzz_die("cursor", "found differs");
    if (found && (cfn != fn || cfile != file || cline != line))
        np_fuzz_die("cursor", "answer differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_gopcln *t = np_gopcln_open(data, size, TEXT);
    if (!t)
        return 0;
    np_gopcln_cursor c = {0};
    for (uint64_t off = 0; off < 0x10000; off += 0x40)
        probe(t, &c, TEXT + off, data, size);
    for (size_t i = 0; i + 4 <= size && i < 256; i += 4) {
        uint32_t v;
        memcpy(&v, data + i, 4);
        probe(t, &c, TEXT + v, data, size);
        probe(t, &c, v, data, size);
    }
    np_gopcln_close(t);
    return 0;
}

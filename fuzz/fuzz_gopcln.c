/* libFuzzer target: the reader of Go's line table (core/sym/gopcln.h), which reads the
 * .gopclntab of whatever binary a user names. The input is the table; pcs spread over the
 * first 64 KiB of text and pcs taken from the input are looked up. A name that is not "" must
 * lie inside the input and end there; a crash or sanitizer report is a bug. */
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

static void probe(const np_gopcln *t, uint64_t pc, const uint8_t *data, size_t size)
{
    const char *fn, *file;
    int64_t line;
    if (np_gopcln_lookup(t, pc, &fn, &file, &line)) {
        check_name(fn, data, size, "function name");
        check_name(file, data, size, "file name");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_gopcln *t = np_gopcln_open(data, size, TEXT);
    if (!t)
        return 0;
    for (uint64_t off = 0; off < 0x10000; off += 0x40)
        probe(t, TEXT + off, data, size);
    for (size_t i = 0; i + 4 <= size && i < 256; i += 4) {
        uint32_t v;
        memcpy(&v, data + i, 4);
        probe(t, TEXT + v, data, size);
        probe(t, v, data, size);
    }
    np_gopcln_close(t);
    return 0;
}

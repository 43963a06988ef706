/* libFuzzer target: the parser of symbol-service answers (np_symbolz_parse), which reads what
 * a remote server sends back to a POST of addresses. Every entry must lie inside the input
 * and a non-empty one come from a complete line; an error must carry a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "analyze/symstep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    np_symbolz_entry *e = NULL;
    size_t n = 0;
    np_err err = {{0}};
    if (np_symbolz_parse(text, size, &e, &n, &err) < 0) {
        if (!err.msg[0])
            np_fuzz_die("np_symbolz_parse failed without an error message", NULL);
        return 0;
    }
    const char *last_nl = size ? memrchr(text, '\n', size) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (e[i].name < text || e[i].name + e[i].name_len > text + size)
            np_fuzz_die("np_symbolz_parse returned a name outside the input", NULL);
        /* An empty name may point just past its line's "\n". */
        if (!last_nl || (e[i].name_len && e[i].name + e[i].name_len > last_nl))
            np_fuzz_die("np_symbolz_parse read past the last complete line", NULL);
        if (memchr(e[i].name, '\n', e[i].name_len))
            np_fuzz_die("np_symbolz_parse returned a name spanning lines", NULL);
    }
    free(e);
    return 0;
}

/* libFuzzer target: the jemalloc heap dump parser ("heap_v2/<rate>"), reached through the legacy
 * entry np_legacy_parse as the CLI reaches it. Inputs without the header get one, so every input
 * exercises the dump's body and MAPPED_LIBRARIES section rather than the format sniffing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "analyze/formats/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char header[] = "heap_v2/524288\n";
    np_buf text = {0};
    bool own_header = size < 8 || memcmp(data, "heap_v2/", 8) != 0;
    if (own_header)
        np_buf_add(&text, header, sizeof header - 1);
    np_buf_add(&text, data, size);
    np_err err = {{0}};
    np_profile *p = NULL;
    int rc = np_legacy_parse(text.data, text.len, &p, &err);
    if (rc == 1) {
        if (!p)
            np_fuzz_die("np_legacy_parse succeeded without a profile", NULL);
        np_fuzz_roundtrip_parsed(p);
    } else if (rc == 0 && own_header) {
        np_fuzz_die("a jemalloc dump header was not recognized", NULL);
    } else if (rc != 0 && (rc != -1 || !err.msg[0])) {
        np_fuzz_die("np_legacy_parse failed without an error message", NULL);
    }
    np_buf_free(&text);
    return 0;
}

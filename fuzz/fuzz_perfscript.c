/* libFuzzer target: `perf script` text through np_perfscript_parse, as the CLI reads it when no
 * other format claims the input; gzip input is inflated first. A parsed profile must satisfy
 * the round-trip invariants of fuzz_common.h. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "analyze/formats/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_buf inflated = {0};
    const char *text = (const char *)data;
    size_t len = size;
    if (np_is_gzip(data, size)) {
        if (!np_fuzz_gunzip(data, size, &inflated)) {
            np_buf_free(&inflated);
            return 0;
        }
        text = inflated.data;
        len = inflated.len;
    }
    np_err err = {{0}};
    np_profile *p = NULL;
    int rc = np_perfscript_parse(text, len, &p, &err);
    if (rc == 1) {
        if (!p)
            np_fuzz_die("np_perfscript_parse succeeded without a profile", NULL);
        np_fuzz_roundtrip_parsed(p);
    } else {
        if (p)
            np_fuzz_die("np_perfscript_parse failed but returned a profile", NULL);
        if (rc != 0 && rc != -1)
            np_fuzz_die("np_perfscript_parse returned a value other than 1, 0, -1", NULL);
        if (rc == -1 && !err.msg[0])
            np_fuzz_die("np_perfscript_parse failed without an error message", NULL);
    }
    np_buf_free(&inflated);
    return 0;
}

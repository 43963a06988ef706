/* libFuzzer target: the profile.proto path (optional gzip, decode, then the round-trip
 * invariants of fuzz_common.h). Any error return is fine; a crash, leak, sanitizer report or
 * violated invariant is a bug. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_buf inflated = {0};
    const uint8_t *msg = data;
    size_t len = size;
    if (np_is_gzip(data, size)) {
        if (!np_fuzz_gunzip(data, size, &inflated)) {
            np_buf_free(&inflated);
            return 0;
        }
        msg = (const uint8_t *)inflated.data;
        len = inflated.len;
    }
    np_err err = {{0}};
    np_profile *p = NULL;
    if (np_profile_decode(msg, len, &p, &err) < 0) {
        if (p)
            np_fuzz_die("np_profile_decode failed but returned a profile", NULL);
        if (!err.msg[0])
            np_fuzz_die("np_profile_decode failed without an error message", NULL);
    } else {
        if (!p)
            np_fuzz_die("np_profile_decode succeeded without a profile", NULL);
        if (np_profile_check(p, &err) < 0) {
            /* Well-formed protobuf, inconsistent profile: the command reports it as
             * "malformed profile: ...", as pprof does. */
            if (!err.msg[0])
                np_fuzz_die("np_profile_check failed without an error message", NULL);
            np_profile_free(p);
        } else {
            np_fuzz_roundtrip_strict(p);
        }
    }
    np_buf_free(&inflated);
    return 0;
}

/* libFuzzer target: DOT text through the web UI's own drawing (np_svgdraw: the DOT reader, the
 * layout, the SVG). Any error return is fine, with a message; a crash, a hang, a leak or a
 * sanitizer report is a bug, and a drawing must be a whole SVG. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "analyze/report/svgdraw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_buf b = {0};
    /* The drawing reads a C string: a NUL inside ends the text, as it would for the server. */
    np_buf_add(&b, data, size);
    np_err err = {{0}};
    if (np_svgdraw(&b, &err) < 0) {
        if (!err.msg[0])
            np_fuzz_die("np_svgdraw failed without an error message", NULL);
    } else if (!strstr(np_buf_cstr(&b), "</svg>\n")) {
        np_fuzz_die("np_svgdraw succeeded without a whole SVG", NULL);
    }
    np_buf_free(&b);
    return 0;
}

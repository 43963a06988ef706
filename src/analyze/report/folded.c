/* -folded: folded stacks, one line per distinct call path ("root;caller;callee VALUE", leaf
 * last), the input of FlameGraph's flamegraph.pl, inferno and speedscope; with a diff base,
 * two values per line ("BASE NEW", as FlameGraph's difffolded.pl writes them). */
#include "analyze/report/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyze/flame.h"

#define FOLDED_CHUNK (1 << 20)

/* A frame name as one field of a folded line: ';' separates frames and a line ends the record,
 * so both become something harmless. */
static void put_frame(np_buf *out, const char *name)
{
    size_t n = strlen(name);
    np_buf_reserve(out, n);
    char *w = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        w[i] = ch == ';' ? ':' : (unsigned char)ch < ' ' ? ' ' : ch;
    }
    out->len += n;
}

typedef struct folded {
    np_report *r;
    np_buf *out;
    bool diff;
} folded;

static void put_stack(void *ctx, const char *const *names, size_t depth, int64_t value, int64_t base,
                      int64_t div)
{
    folded *fo = ctx;
    np_buf *out = fo->out;
    /* Samples without a frame keep their value under the name FlameGraph's tools use for
     * frames they cannot name, so the lines still add up to the profile's total. */
    if (depth == 0)
        np_buf_puts(out, "[unknown]");
    for (size_t i = 0; i < depth; i++) {
        if (i)
            np_buf_putc(out, ';');
        put_frame(out, names[i]);
    }
    if (fo->diff)
        np_buf_printf(out, " %" PRId64 " %" PRId64 "\n", np_report_scaled(fo->r, -base),
                      np_report_scaled(fo->r, value - base));
    else
        np_buf_printf(out, " %" PRId64 "\n", np_report_scaled(fo->r, div ? value / div : value));
    if (fo->r->stream && out->len >= FOLDED_CHUNK) {
        fwrite(out->data, 1, out->len, fo->r->stream);
        out->len = 0;
    }
}

int np_report_folded(np_report *r, np_buf *out, np_err *err)
{
    (void)err;
    np_flame_opts o = {r->value_index, r->mean_index, 0, 0, 0, r->frameless};
    folded fo = {r, out, np_flame_has_base(r->p)};
    np_flame_each_stack(r->p, &o, put_stack, &fo);
    return 0;
}

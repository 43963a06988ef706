/* The flame page's search keys: what -focus would match each frame name on (private to
 * src/analyze/report). */
#ifndef NP_REPORT_FLAMEMATCH_H
#define NP_REPORT_FLAMEMATCH_H

#include <stddef.h>

#include "analyze/flame.h"
#include "analyze/report/report.h"

/* Appends ,"keys":[...] and ,"match":[...] to the page data: per entry of names (the page's
 * name table), the strings -focus tests for the frames shown under that name, as references
 * into names and then keys. */
void np_flame_match_write(const np_report *r, const np_flame *f, const char *const *names, size_t n_names,
                          np_buf *out);

/* flamegraph.c: appends ,"key":[...], the strings as JSON that is safe inside <script>. */
void np_flame_put_strings(np_buf *out, const char *key, const char *const *s, size_t n);

#endif

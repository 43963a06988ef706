/* What the list report computes (per function and file: totals, then each shown source line
 * with its flat and cum values), handed to a sink so text and HTML views show the same lines. */
#ifndef NP_LIST_WALK_H
#define NP_LIST_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/report/report.h"

typedef struct np_list_sink {
    void *ctx;
    void (*begin)(void *ctx, int64_t total);
    /* A matching function whose nodes name no source file. */
    void (*no_source)(void *ctx, const char *name);
    /* One file of one function; error is pprof's text when the file cannot be read (then no
     * lines follow). */
    void (*file)(void *ctx, const char *name, const char *file, int64_t flat, int64_t cum,
                 const char *error);
    /* One source line: text is not NUL-terminated. */
    void (*line)(void *ctx, int64_t lineno, int64_t flat, int64_t cum, const char *text, size_t len);
} np_list_sink;

/* pprof's printSource walk over r (functions matching r->symbol, sorted by name; their files;
 * the lines around the sampled ones). -1 with err when no function matches. */
int np_list_walk(np_report *r, const np_list_sink *sink, np_err *err);

#endif

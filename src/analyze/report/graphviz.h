/* Graphviz, the one place that runs it: DOT text in, a picture out, through the `dot` command
 * or, in a long-lived process that asked for it, through Graphviz's libraries kept loaded. */
#ifndef NP_GRAPHVIZ_H
#define NP_GRAPHVIZ_H

#include <stdbool.h>

#include "core/util.h"

/* Whether Graphviz's dot is on $PATH (the graph pictures need it). */
bool np_graphviz_available(void);

/* Replaces the DOT text in data with its picture in format ("svg", "png", ...). Errors are
 * pprof's: dot missing from $PATH, or dot's exit status. Safe to call from several threads. */
int np_graphviz_render(const char *format, np_buf *data, np_err *err);

/* For a server that draws many graphs: from now on SVG is laid out in this process by libgvc,
 * loaded and warmed up on a background thread, instead of by one dot process per picture.
 * Does nothing when dot is not on $PATH or NPROF_GRAPHVIZ=process is set; any failure of the
 * libraries falls back to dot for that picture. */
void np_graphviz_keep_loaded(void);

#endif

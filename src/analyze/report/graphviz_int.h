/* Private to graphviz*.c: the worker that keeps Graphviz's libraries loaded for a server. */
#ifndef NP_GRAPHVIZ_INT_H
#define NP_GRAPHVIZ_INT_H

#include <sys/types.h>

#include "core/util.h"

/* Draws text (NUL-terminated DOT) as format through the worker: 0 with the picture appended
 * to img, or -1 when dot must draw it (no worker, a format it does not draw, any failure). */
int np_graphviz_worker_render(const char *format, const char *text, np_buf *img);

#endif

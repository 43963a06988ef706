/* The graph drawn as SVG in-process, without Graphviz: the web UI's Graph view. DOT text in (as
 * the graph reports write it), SVG out in the shape of Graphviz's (the same groups, classes,
 * ids and tooltips), so the same page script pans it and finds its nodes. */
#ifndef NP_SVGDRAW_H
#define NP_SVGDRAW_H

#include "core/util.h"

/* Replaces the DOT text in data with its drawing. Fails only on DOT text it cannot read. */
int np_svgdraw(np_buf *data, np_err *err);

#endif

/* The icicle drawing shared by -icicle and -tui (private to report/): a flame tree's subtree
 * as text rows exactly `width` columns wide. */
#ifndef NP_ICICLE_H
#define NP_ICICLE_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/flame.h"
#include "analyze/report/report.h"

enum { NP_ICICLE_SELECTED = 1, NP_ICICLE_MATCHED = 2 };

typedef struct np_icicle_view {
    size_t root;          /* the box drawn as the full width (a zoom) */
    int width;            /* columns */
    size_t max_rows;      /* 0: every row */
    bool color;           /* ANSI colours (a terminal) */
    const uint8_t *marks; /* per box, NP_ICICLE_* flags, or NULL */
} np_icicle_view;

/* Appends the rows, each ending in '\n'. */
void np_icicle_draw(np_report *r, const np_flame *f, const np_icicle_view *v, np_buf *out);
/* The columns an icicle takes by default: the terminal's, else $COLUMNS, else 120. */
int np_icicle_width(const np_report *r);

#endif

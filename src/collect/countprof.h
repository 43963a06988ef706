/* Go's count profiles (goroutine, threadcreate): stacks with how many things each holds, as
 * profile.proto (sample and period type NAME/count) or as Go's "NAME profile: total N" text. */
#ifndef NP_COUNTPROF_H
#define NP_COUNTPROF_H

#include <stdbool.h>
#include <stdint.h>

#include "core/profile.h"
#include "core/util.h"

/* One stack (innermost first; pcs[0] the interrupted instruction when leaf_exact) and its
 * count. Records with equal stacks are added together. */
typedef struct np_count_rec {
    const uintptr_t *pcs;
    int n;
    bool leaf_exact;
    int64_t count;
} np_count_rec;

/* The profile of recs (reordered in place); NULL when out of memory. */
np_profile *np_countprof_profile(const char *name, np_count_rec *recs, size_t n);
/* Go's debug=1 text of recs (reordered in place), most frequent stack first. */
void np_countprof_text(const char *name, np_count_rec *recs, size_t n, np_buf *out);

#endif

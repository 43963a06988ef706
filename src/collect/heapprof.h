/* Heap and allocs profiles from the sampled buckets: profile.proto (Go's sample types and
 * semantics, symbolized in-process) and Go's legacy heap text. */
#ifndef NP_HEAPPROF_H
#define NP_HEAPPROF_H

#include <stdbool.h>

#include "collect/heaptab.h"
#include "core/profile.h"
#include "core/util.h"

/* A copy of the bucket values at one moment (for delta profiles). */
typedef struct np_heap_snap {
    np_heap_rec *recs;
    size_t n;
    int64_t time_nanos;
} np_heap_snap;

void np_heap_snap_take(np_heap_snap *s);
void np_heap_snap_free(np_heap_snap *s);

/* Builds the profile: allocs selects Go's allocs profile (default sample type alloc_space).
 * NULL when out of memory. */
np_profile *np_heap_profile(const np_heap_snap *s, bool allocs, int64_t duration_nanos);
/* The kinds' entry points (kinds.h): heap and allocs now, the bucket count, Go's text. */
np_profile *np_heap_inuse_profile(void);
np_profile *np_heap_allocs_profile(void);
size_t np_heap_count(void);
void np_heap_text(np_buf *out, int debug);
/* Gzipped profile.proto of the current heap into out. */
int np_heap_write_proto(np_buf *out, bool allocs, np_err *err);
/* Go's `heap profile:` text (debug=1), with a memory map so pprof can symbolize it. */
void np_heap_write_text(np_buf *out);

#endif

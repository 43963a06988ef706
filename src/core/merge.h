/* pprof's Merge, Compact and Scale over the profile model. */
#ifndef NP_MERGE_H
#define NP_MERGE_H

#include "core/profile.h"

/* Checks that two profiles have the same period type and sample types. */
int np_profile_compatible(const np_profile *a, const np_profile *b, np_err *err);
/* Merges srcs into a new profile (sources are not modified). */
int np_profile_merge(np_profile *const *srcs, size_t n, np_profile **out, np_err *err);
/* The same for one profile that the caller gives up: src is consumed (freed, or taken over by
 * *out) on success; on failure it is left as it was. Saves copying its strings and samples,
 * whose arrays are rewritten in place: no two samples of src may share an array (none do as
 * the decoder and the legacy parsers make them). */
int np_profile_merge_take(np_profile *src, np_profile **out, np_err *err);
/* Returns a compacted copy of p and frees p. */
np_profile *np_profile_compact(np_profile *p);

/* Profile.Scale / ScaleN: values rounded half away from zero; ratios has one entry per sample
 * type; samples whose scaled values (those with ratio != 1) all become 0 are removed. */
void np_scale(np_profile *p, double ratio);
void np_scale_n(np_profile *p, const double *ratios);

#endif

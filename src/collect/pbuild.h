/* The one profile builder for every kind of profile the collector serves (heap, allocs and
 * the kinds to come): a profile.proto model from stacks of return addresses, symbolized in the
 * process, one module at a time, when it is finished. */
#ifndef NP_PBUILD_H
#define NP_PBUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/profile.h"
#include "core/util.h"

typedef struct np_pbuild np_pbuild;

/* A builder of a profile with these sample types and period; its first mapping is the
 * program's. NULL when out of memory. Call from a collector thread (it allocates). */
np_pbuild *np_pbuild_new(const np_value_type *types, size_t n_types, const char *period_type,
                         const char *period_unit, int64_t period);
/* The profile being built, for its other fields (time, duration, default sample type). */
np_profile *np_pbuild_profile(np_pbuild *b);
/* Adds a sample of stack pcs (innermost first; return addresses, except pcs[0] when
 * leaf_exact: the interrupted instruction itself) with one value per sample type. The sample is
 * valid until the next one is added. */
np_sample *np_pbuild_sample(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, const int64_t *values);
/* Adds a label to s: a string one when str is not NULL, else a number with its unit. */
void np_pbuild_label(np_pbuild *b, np_sample *s, const char *key, const char *str, int64_t num,
                     const char *num_unit);
/* Symbolizes everything added so far and returns the profile; the builder is gone. */
np_profile *np_pbuild_finish(np_pbuild *b);
/* Frees the builder and its profile. */
void np_pbuild_free(np_pbuild *b);

/* For Go's legacy text formats: declare every stack (np_pbuild_locate), symbolize once, then
 * print each stack's "#\t0x...\tfunc+0xoff\tfile:line" lines. */
void np_pbuild_locate(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact);
void np_pbuild_symbolize(np_pbuild *b);
void np_pbuild_frames_text(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, np_buf *out);
/* The same stack in the layout of Go's goroutine?debug=2 ("func(...)\n\tfile:line +0xoff"). */
void np_pbuild_frames_go(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, np_buf *out);

/* The rest of a legacy text record whose values the caller printed: " @ 0x... 0x...", a newline,
 * the "#" frame lines and an empty line. */
void np_pbuild_record_text(np_pbuild *b, const uintptr_t *pcs, int n, bool leaf_exact, np_buf *out);

/* The closing section of a legacy text: the process's memory map after the line sentinel (the
 * heap's "MAPPED_LIBRARIES:"; "--- Memory map: ---" where a record may not start with a letter),
 * with which pprof symbolizes the addresses from the binaries on this machine. */
void np_pbuild_maps_text(np_buf *out, const char *sentinel);

#endif

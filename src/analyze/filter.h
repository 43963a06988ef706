/* Profile transformations that pprof's driver applies before building a report: pruning of
 * drop_frames, name filters (focus/ignore/hide/show/show_from/prune_from), tag filters,
 * aggregation by granularity, scaling, normalization, base-profile labelling and label pseudo
 * frames. All work in place on the model, as pprof's do on its shared Location objects:
 * a location's line array is shortened in place for every sample using it, samples are
 * compacted in p->sample, and records may become unreferenced (not freed). */
#ifndef NP_FILTER_H
#define NP_FILTER_H

#include <stdbool.h>

#include "core/profile.h"
#include "analyze/regex.h"

/* Profile.FilterSamplesByName. Any regex may be NULL. Returns the four "matched" flags
 * (focus, ignore, hide, show) through the out pointers (which may be NULL). Samples without
 * any frame are always removed, even with no regex. */
void np_filter_by_name(np_profile *p, const np_regex *focus, const np_regex *ignore,
                       const np_regex *hide, const np_regex *show, bool *fm, bool *im,
                       bool *hm, bool *hnm);
/* Profile.ShowFrom / Profile.PruneFrom; show_from returns whether anything matched. */
bool np_filter_show_from(np_profile *p, const np_regex *re);
void np_filter_prune_from(np_profile *p, const np_regex *re);
/* Profile.RemoveUninteresting: drop_frames/keep_frames pruning. Returns -1 on a bad regex. */
int np_filter_remove_uninteresting(np_profile *p, np_err *err);
/* Profile.FilterTagsByName: removes labels whose keys do not match show / match hide. */
void np_filter_tags_by_name(np_profile *p, const np_regex *show, const np_regex *hide,
                            bool *sm, bool *hm);

/* Profile.NumLabelUnits: the unit of each numeric label key, as key/unit pairs ending with a
 * NULL key, in one heap block (free() it; it does not point into p). A key's unit is the first
 * one seen; keys without any get "bytes" for "alignment"/"request", else the key itself.
 * Keys seen with several units are reported on stderr, as pprof does. */
typedef struct np_key_unit {
    const char *key, *unit;
} np_key_unit;
np_key_unit *np_num_label_units(const np_profile *p);
void np_free_key_units(np_key_unit *units);
/* The unit for key, "" when absent (units may be NULL). */
const char *np_num_label_unit(const np_key_unit *units, const char *key);

/* A compiled -tagfocus/-tagignore value (driver_focus.go compileTagFilter semantics:
 * "regex", "key=regex,regex", numeric ranges "1mb:", ":2kb", "32kb:64kb", "key=1kb:").
 * p: the profile whose numeric label units (as np_num_label_units finds them, without
 * repeating its warnings) give the units of label values; only read during the call.
 * A value read as a range prints pprof's "<option>:Interpreted '...' as range, not regexp"
 * on stderr. NULL value or "" gives NULL without error; errors give NULL with err set. */
typedef struct np_tag_filter np_tag_filter;
np_tag_filter *np_tag_filter_compile(const char *option_name, const char *value,
                                     const np_profile *p, np_err *err);
void np_tag_filter_free(np_tag_filter *f);
/* Whether one sample is selected by the filter. */
bool np_tag_filter_match(const np_tag_filter *f, const np_sample *s);
/* Profile.FilterSamplesByTag (either filter may be NULL). */
void np_filter_by_tag(np_profile *p, const np_tag_filter *focus, const np_tag_filter *ignore,
                      bool *fm, bool *im);

/* Profile.Aggregate(inline, function, filename, linenumber, address): like pprof, only blanks
 * the fields not wanted (keeping a location's outermost line without inlines); locations that
 * become equal stay separate records. */
void np_aggregate(np_profile *p, bool inlines, bool function, bool filename, bool linenumber,
                  bool address);
/* Profile.Normalize(base): scales p so each value's total equals base's; -1 with pprof's
 * message when the profiles are incompatible. */
int np_normalize(np_profile *p, const np_profile *base, np_err *err);
/* Profile.SetLabel(key, [value]) on every sample, replacing that key's string values (numeric
 * labels stay). The model cannot hold an empty string label, so value "" only removes. */
void np_set_label(np_profile *p, const char *key, const char *value);
/* driver tagroot.go addLabelNodes for -tagroot/-tagleaf (comma separated keys, empty ones
 * ignored): adds "value1,value2" pseudo frames (function name = values, file = key) at the
 * root (first key outermost) and leaf (last key innermost) of every sample. output_unit is
 * -unit for numeric values. rootm/leafm (may be NULL): whether any sample had such a label. */
void np_add_label_nodes(np_profile *p, const char *root_keys, const char *leaf_keys,
                        const char *output_unit, bool *rootm, bool *leafm);

#endif

/* The in-memory profile model: every field of google/pprof's profile.proto, with string-table
 * indices resolved to strings and ids resolved to array indices. A profile owns all its memory
 * (arrays from the heap, strings and small arrays from its arena); np_profile_free releases it. */
#ifndef NP_PROFILE_H
#define NP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define NP_NONE UINT32_MAX /* "no mapping"/"no function" index */

typedef struct np_value_type {
    const char *type, *unit; /* never NULL ("" when absent) */
} np_value_type;

/* A label is a string label when str is non-empty, else numeric (num with optional unit). */
typedef struct np_label {
    const char *key, *str, *num_unit;
    int64_t num;
} np_label;

typedef struct np_sample {
    uint32_t *loc;     /* location indices, leaf first */
    int64_t *value;    /* one per sample type */
    np_label *label;
    uint32_t n_loc, n_label;
} np_sample;

typedef struct np_mapping {
    uint64_t id, start, limit, offset;
    const char *file, *build_id;
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
} np_mapping;

typedef struct np_line {
    uint32_t func; /* function index or NP_NONE */
    int64_t line, column;
} np_line;

typedef struct np_location {
    uint64_t id, address;
    uint32_t mapping; /* mapping index or NP_NONE */
    uint32_t n_line;
    np_line *line; /* innermost (inlined callee) first, as in profile.proto */
    bool is_folded;
} np_location;

typedef struct np_function {
    uint64_t id;
    const char *name, *system_name, *filename;
    int64_t start_line;
} np_function;

typedef struct np_profile {
    np_value_type *sample_type;
    size_t n_sample_type;
    np_sample *sample;
    size_t n_sample, cap_sample;
    np_mapping *mapping;
    size_t n_mapping, cap_mapping;
    np_location *location;
    size_t n_location, cap_location;
    np_function *function;
    size_t n_function, cap_function;
    const char **comment;
    size_t n_comment, cap_comment;
    const char *drop_frames, *keep_frames, *default_sample_type;
    int64_t time_nanos, duration_nanos, period;
    np_value_type period_type;
    np_arena arena;
} np_profile;

np_profile *np_profile_new(void);
void np_profile_free(np_profile *p);

/* Interns a copy of s in the profile's arena ("" for NULL). */
const char *np_profile_str(np_profile *p, const char *s);
const char *np_profile_strn(np_profile *p, const char *s, size_t n);

/* Appends zeroed records and returns them; ids are the caller's to set. */
np_sample *np_profile_add_sample(np_profile *p);
np_mapping *np_profile_add_mapping(np_profile *p);
np_location *np_profile_add_location(np_profile *p);
np_function *np_profile_add_function(np_profile *p);
void np_profile_add_comment(np_profile *p, const char *c);
void np_profile_set_sample_types(np_profile *p, size_t n, const np_value_type *types);

/* Decodes an uncompressed profile.proto message. */
int np_profile_decode(const void *data, size_t len, np_profile **out, np_err *err);
/* Encodes to an uncompressed profile.proto message appended to out. */
void np_profile_encode(const np_profile *p, np_buf *out);

/* Orders labels as pprof encodes and compares them: string labels first, then numeric, each
 * by key; stable, so repeated keys keep their order. */
void np_labels_sort(np_label *labels, uint32_t n);

/* Checks internal consistency (value counts, indices); 0 or -1 with err. */
int np_profile_check(const np_profile *p, np_err *err);

/* profile.SampleIndexByName: "" is the default sample type (else the last type); a decimal
 * integer (strconv.Atoi) is an index, checked against the range; otherwise a type name, with
 * "inuse_" ignored in front. -1 with pprof's message otherwise. */
int np_profile_sample_index(const np_profile *p, const char *name, int *out, np_err *err);

/* pprof's Profile.String() text, as printed by `-raw`. */
void np_profile_raw(const np_profile *p, np_buf *out);

#endif

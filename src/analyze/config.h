/* Report settings: pprof's configuration options (names, types, defaults, help), shared by
 * command-line flags and the interactive shell's name=value commands. */
#ifndef NP_CONFIG_H
#define NP_CONFIG_H

#include <stdbool.h>

#include "core/util.h"

typedef struct np_config {
    char *output;
    bool call_tree, relative_percentages, compact_labels, intel_syntax, mean, normalize;
    char *unit, *source_path, *trim_path, *sample_index, *sort, *tagroot, *tagleaf;
    double divide_by;
    bool drop_negative, trim, noinlines;
    int nodecount;
    double nodefraction, edgefraction;
    char *focus, *ignore, *prune_from, *hide, *show, *show_from;
    char *tagfocus, *tagignore, *tagshow, *taghide;
    char *granularity;
    int width, depth; /* -icicle's columns (0: the terminal's) and depth limit (0: none) */
} np_config;

enum np_opt_type { NP_OPT_BOOL, NP_OPT_INT, NP_OPT_FLOAT, NP_OPT_STRING, NP_OPT_CHOICE };

typedef struct np_option {
    const char *name;
    enum np_opt_type type;
    size_t offset;
    const char *help;            /* first line is the summary */
    const char *const *choices;  /* for NP_OPT_CHOICE */
} np_option;

extern const np_option np_options[];
extern const size_t np_n_options;

void np_config_default(np_config *c);
void np_config_copy(np_config *dst, const np_config *src);
void np_config_free(np_config *c);

/* The option named `name`, or the choice option one of whose choices is `name`. */
const np_option *np_option_find(const char *name, bool *is_choice);
/* Sets an option from text, with pprof's parsing and error messages. */
int np_config_set(np_config *c, const char *name, const char *value, np_err *err);
/* The current value as text (as the shell's `options` command shows it). */
void np_config_get(const np_config *c, const np_option *o, np_buf *out);
/* Go's strconv.ParseBool. */
int np_parse_bool(const char *s, bool *out);
/* The help text of a choice value (e.g. "lines"), or NULL. */
const char *np_choice_help(const char *choice);

#endif

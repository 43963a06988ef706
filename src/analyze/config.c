/* The table of pprof configuration options and typed access to np_config fields. */
#include "analyze/config.h"

#include "core/gofmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const sort_choices[] = {"cum", "flat", NULL};
static const char *const gran_choices[] = {"functions", "filefunctions", "files", "lines", "addresses", NULL};

#define OFF(f) offsetof(np_config, f)

/* In the order of pprof's config struct, which `options` output follows. */
const np_option np_options[] = {
    {"output", NP_OPT_STRING, OFF(output), "Output filename for file-based outputs", NULL},
    {"call_tree", NP_OPT_BOOL, OFF(call_tree), "Create a context-sensitive call tree\nTreat locations reached through different paths as separate.", NULL},
    {"relative_percentages", NP_OPT_BOOL, OFF(relative_percentages), "Show percentages relative to focused subgraph\nIf unset, percentages are relative to full graph before focusing\nto facilitate comparison with original graph.", NULL},
    {"unit", NP_OPT_STRING, OFF(unit), "Measurement units to display\nScale the sample values to this unit.\nFor time-based profiles, use seconds, milliseconds, nanoseconds, etc.\nFor memory profiles, use megabytes, kilobytes, bytes, etc.\nUsing auto will scale each value independently to the most natural unit.", NULL},
    {"compact_labels", NP_OPT_BOOL, OFF(compact_labels), "Show minimal headers", NULL},
    {"source_path", NP_OPT_STRING, OFF(source_path), "Search path for source files", NULL},
    {"trim_path", NP_OPT_STRING, OFF(trim_path), "Path to trim from source paths before search", NULL},
    {"intel_syntax", NP_OPT_BOOL, OFF(intel_syntax), "Show assembly in Intel syntax\nOnly applicable to commands `disasm` and `weblist`", NULL},
    {"mean", NP_OPT_BOOL, OFF(mean), "Average sample value over first value (count)\nFor memory profiles, report average memory per allocation.\nFor time-based profiles, report average time per event.", NULL},
    {"sample_index", NP_OPT_STRING, OFF(sample_index), "Sample value to report (0-based index or name)\nProfiles contain multiple values per sample.\nUse sample_index=i to select the ith value (starting at 0).", NULL},
    {"divide_by", NP_OPT_FLOAT, OFF(divide_by), "Ratio to divide all samples before visualization\nDivide all samples values by a constant, eg the number of processors or jobs.", NULL},
    {"normalize", NP_OPT_BOOL, OFF(normalize), "Scales profile based on the base profile.", NULL},
    {"sort", NP_OPT_CHOICE, OFF(sort), "", sort_choices},
    {"tagroot", NP_OPT_STRING, OFF(tagroot), "Adds pseudo stack frames for labels key/value pairs at the callstack root.\nA comma-separated list of label keys.\nThe first key creates frames at the new root.", NULL},
    {"tagleaf", NP_OPT_STRING, OFF(tagleaf), "Adds pseudo stack frames for labels key/value pairs at the callstack leaf.\nA comma-separated list of label keys.\nThe last key creates frames at the new leaf.", NULL},
    {"drop_negative", NP_OPT_BOOL, OFF(drop_negative), "Ignore negative differences\nDo not show any locations with values <0.", NULL},
    {"nodecount", NP_OPT_INT, OFF(nodecount), "Max number of nodes to show\nUses heuristics to limit the number of locations to be displayed.\nOn graphs, dotted edges represent paths through nodes that have been removed.", NULL},
    {"nodefraction", NP_OPT_FLOAT, OFF(nodefraction), "Hide nodes below <f>*total", NULL},
    {"edgefraction", NP_OPT_FLOAT, OFF(edgefraction), "Hide edges below <f>*total", NULL},
    {"trim", NP_OPT_BOOL, OFF(trim), "Honor nodefraction/edgefraction/nodecount defaults\nSet to false to get the full profile, without any trimming.", NULL},
    {"focus", NP_OPT_STRING, OFF(focus), "Restricts to samples going through a node matching regexp\nDiscard samples that do not include a node matching this regexp.\nMatching includes the function name, filename or object name.", NULL},
    {"ignore", NP_OPT_STRING, OFF(ignore), "Skips paths going through any nodes matching regexp\nIf set, discard samples that include a node matching this regexp.\nMatching includes the function name, filename or object name.", NULL},
    {"prune_from", NP_OPT_STRING, OFF(prune_from), "Drops any functions below the matched frame.\nIf set, any frames matching the specified regexp and any frames\nbelow it will be dropped from each sample.", NULL},
    {"hide", NP_OPT_STRING, OFF(hide), "Skips nodes matching regexp\nDiscard nodes that match this location.\nOther nodes from samples that include this location will be shown.\nMatching includes the function name, filename or object name.", NULL},
    {"show", NP_OPT_STRING, OFF(show), "Only show nodes matching regexp\nIf set, only show nodes that match this location.\nMatching includes the function name, filename or object name.", NULL},
    {"show_from", NP_OPT_STRING, OFF(show_from), "Drops functions above the highest matched frame.\nIf set, all frames above the highest match are dropped from every sample.\nMatching includes the function name, filename or object name.", NULL},
    {"tagfocus", NP_OPT_STRING, OFF(tagfocus), "Restricts to samples with tags in range or matched by regexp\nUse name=value syntax to limit the matching to a specific tag.\nNumeric tag filter examples: 1kb, 1kb:10kb, memory=32mb:\nString tag filter examples: foo, foo.*bar, mytag=foo.*bar", NULL},
    {"tagignore", NP_OPT_STRING, OFF(tagignore), "Discard samples with tags in range or matched by regexp\nUse name=value syntax to limit the matching to a specific tag.\nNumeric tag filter examples: 1kb, 1kb:10kb, memory=32mb:\nString tag filter examples: foo, foo.*bar, mytag=foo.*bar", NULL},
    {"tagshow", NP_OPT_STRING, OFF(tagshow), "Only consider tags matching this regexp\nDiscard tags that do not match this regexp", NULL},
    {"taghide", NP_OPT_STRING, OFF(taghide), "Skip tags matching this regexp\nDiscard tags that match this regexp", NULL},
    {"noinlines", NP_OPT_BOOL, OFF(noinlines), "Ignore inlines.\nAttributes inlined functions to their first out-of-line caller.", NULL},
    {"granularity", NP_OPT_CHOICE, OFF(granularity), "", gran_choices},
};
const size_t np_n_options = sizeof np_options / sizeof np_options[0];

static const struct {
    const char *name, *help;
} choice_help[] = {
    {"flat", "Sort entries based on own weight"},
    {"cum", "Sort entries based on cumulative weight"},
    {"functions", "Aggregate at the function level.\nIgnores the filename where the function was defined."},
    {"filefunctions", "Aggregate at the function level.\nTakes into account the filename where the function was defined."},
    {"files", "Aggregate at the file level."},
    {"lines", "Aggregate at the source code line level."},
    {"addresses", "Aggregate at the address level.\nIncludes functions' addresses in the output."},
};

const char *np_choice_help(const char *choice)
{
    for (size_t i = 0; i < sizeof choice_help / sizeof choice_help[0]; i++)
        if (strcmp(choice_help[i].name, choice) == 0)
            return choice_help[i].help;
    return NULL;
}

static char **str_field(np_config *c, const np_option *o)
{
    return (char **)((char *)c + o->offset);
}

void np_config_default(np_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < np_n_options; i++) {
        const np_option *o = &np_options[i];
        if (o->type == NP_OPT_STRING || o->type == NP_OPT_CHOICE)
            *str_field(c, o) = np_xstrdup("");
    }
    free(c->unit);
    c->unit = np_xstrdup("minimum");
    free(c->sort);
    c->sort = np_xstrdup("flat");
    free(c->granularity);
    c->granularity = np_xstrdup("functions");
    c->nodecount = -1;
    c->nodefraction = 0.005;
    c->edgefraction = 0.001;
    c->trim = true;
    c->divide_by = 1.0;
}

void np_config_copy(np_config *dst, const np_config *src)
{
    *dst = *src;
    for (size_t i = 0; i < np_n_options; i++) {
        const np_option *o = &np_options[i];
        if (o->type == NP_OPT_STRING || o->type == NP_OPT_CHOICE)
            *str_field(dst, o) = np_xstrdup(*str_field((np_config *)src, o));
    }
}

void np_config_free(np_config *c)
{
    for (size_t i = 0; i < np_n_options; i++) {
        const np_option *o = &np_options[i];
        if (o->type == NP_OPT_STRING || o->type == NP_OPT_CHOICE) {
            free(*str_field(c, o));
            *str_field(c, o) = NULL;
        }
    }
}

const np_option *np_option_find(const char *name, bool *is_choice)
{
    if (is_choice)
        *is_choice = false;
    for (size_t i = 0; i < np_n_options; i++) {
        const np_option *o = &np_options[i];
        if (strcmp(o->name, name) == 0)
            return o;
        for (const char *const *ch = o->choices; ch && *ch; ch++) {
            if (strcmp(*ch, name) == 0) {
                if (is_choice)
                    *is_choice = true;
                return o;
            }
        }
    }
    return NULL;
}

int np_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* Fails with fmt (a format holding one %s) applied to Go's %q of value, as strconv's errors. */
static int fail_quoted(np_err *err, const char *fmt, const char *value)
{
    np_buf q = {0};
    np_go_quote(&q, value);
    np_fail(err, fmt, np_buf_cstr(&q));
    np_buf_free(&q);
    return -1;
}

int np_config_set(np_config *c, const char *name, const char *value, np_err *err)
{
    const np_option *o = np_option_find(name, NULL);
    if (!o)
        return np_fail(err, "invalid config field: %s", name);
    void *field = (char *)c + o->offset;
    char *end;
    switch (o->type) {
    case NP_OPT_BOOL:
        if (np_parse_bool(value, field) < 0)
            return fail_quoted(err, "strconv.ParseBool: parsing %s: invalid syntax", value);
        return 0;
    case NP_OPT_INT: {
        errno = 0;
        long v = strtol(value, &end, 10);
        if (!*value || *end)
            return fail_quoted(err, "strconv.Atoi: parsing %s: invalid syntax", value);
        if (errno || v > 2147483647L || v < -2147483647L - 1)
            return fail_quoted(err, "strconv.Atoi: parsing %s: value out of range", value);
        *(int *)field = (int)v;
        return 0;
    }
    case NP_OPT_FLOAT: {
        double v = strtod(value, &end);
        if (!*value || *end || isspace((unsigned char)*value))
            return fail_quoted(err, "strconv.ParseFloat: parsing %s: invalid syntax", value);
        *(double *)field = v;
        return 0;
    }
    case NP_OPT_CHOICE: {
        for (const char *const *ch = o->choices; *ch; ch++) {
            if (strcmp(*ch, value) == 0) {
                free(*str_field(c, o));
                *str_field(c, o) = np_xstrdup(value);
                return 0;
            }
        }
    {
        np_buf q = {0};
        np_go_quote(&q, o->name);
        np_buf_putc(&q, ' ');
        np_buf_puts(&q, "value ");
        np_go_quote(&q, value);
        np_fail(err, "invalid %s", np_buf_cstr(&q));
        np_buf_free(&q);
        return -1;
    }
    }
    case NP_OPT_STRING:
        free(*str_field(c, o));
        *str_field(c, o) = np_xstrdup(value);
        return 0;
    }
    return 0;
}

void np_config_get(const np_config *c, const np_option *o, np_buf *out)
{
    const void *field = (const char *)c + o->offset;
    switch (o->type) {
    case NP_OPT_BOOL:
        np_buf_puts(out, *(const bool *)field ? "true" : "false");
        break;
    case NP_OPT_INT:
        np_buf_printf(out, "%d", *(const int *)field);
        break;
    case NP_OPT_FLOAT:
        np_go_float_g(out, *(const double *)field);
        break;
    case NP_OPT_STRING:
    case NP_OPT_CHOICE:
        np_buf_puts(out, *(char *const *)field);
        break;
    }
}

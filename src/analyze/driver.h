/* pprof's driver: fetch and combine sources and bases, then run one report command with a
 * configuration (used by the command line, the interactive shell and the web UI alike). */
#ifndef NP_DRIVER_H
#define NP_DRIVER_H

#include <stdbool.h>
#include <stdio.h>

#include "analyze/config.h"
#include "core/profile.h"

typedef struct np_sources {
    char **sources;
    size_t n_sources;
    char **bases;
    size_t n_bases;
    bool diff_base, normalize;
    int seconds, timeout;
    const char *comment;  /* -add_comment */
    const char *buildid;  /* -buildid */
    const char *exec_name; /* a local binary named before the sources */
    const char *symbolize; /* -symbolize */
} np_sources;

/* fetchProfiles: every source and base, merged; bases subtracted (-base) or kept as a diff
 * base (-diff_base); drop_frames pruning; validity check. Warnings go to stderr. */
int np_fetch_profiles(const np_sources *s, np_profile **out, np_err *err);

/* The report commands pprof knows, as on its command line and in its shell. */
typedef struct np_command {
    const char *name;
    int format;        /* enum np_format */
    bool has_param;
    bool to_file;      /* binary/graph output kept away from a terminal */
    const char *dot_format; /* for image formats rendered by Graphviz, else NULL */
    const char *description;
} np_command;

/* The dot_format of an SVG drawn by nprof's own layout (report/svgdraw.h) instead of Graphviz:
 * the web UI's Graph view. */
#define NP_FORMAT_SVG_DRAWN "svg-drawn"

const np_command *np_command_find(const char *name);
/* The shell's flamegraph: -flamegraph's page, opened in a browser as -web's is. */
extern const np_command np_flamegraph_web;
extern const np_command np_commands[];
extern const size_t np_n_commands;

/* generateReport: runs `cmd` (with its regexp argument or NULL) on a copy of p. Output goes to
 * cfg->output if set, else to `out`. interactive marks shell use (binary outputs then go to a
 * file, as in pprof). */
int np_generate_report(const np_profile *p, const np_command *cmd, const char *arg,
                       const np_config *cfg, FILE *out, bool interactive, np_err *err);
/* The same on p itself, which it consumes (frees) whatever the outcome: for a one-shot report
 * (the command line), where copying the profile first would only cost time and memory. */
int np_generate_report_owned(np_profile *p, const np_command *cmd, const char *arg,
                             const np_config *cfg, FILE *out, bool interactive, np_err *err);
/* Called once a report's settings are checked and its filters applied, before its costly part
 * (the graph, Graphviz): from there on it fails only on internal errors. The web UI starts
 * sending its page at that point. */
typedef struct np_report_hook {
    void (*settled)(void *ctx);
    void *ctx;
} np_report_hook;
/* np_generate_report_owned (not interactive) with a hook. */
int np_generate_report_hooked(np_profile *p, const np_command *cmd, const char *arg,
                              const np_config *cfg, FILE *out, const np_report_hook *hook,
                              np_err *err);

#endif

/* The face of the report family: the state one report needs (pprof's report.Options and
 * Report), one entry that renders any format through a table of renderers, and the helpers the
 * renderers share. Each renderer appends its output to a buffer. */
#ifndef NP_REPORT_H
#define NP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/config.h"
#include "analyze/filter.h"
#include "analyze/flame.h"
#include "analyze/graph.h"
#include "core/profile.h"
#include "analyze/regex.h"

enum np_format {
    NP_FMT_CALLGRIND, NP_FMT_COMMENTS, NP_FMT_DIS, NP_FMT_DOT, NP_FMT_LIST, NP_FMT_PROTO,
    NP_FMT_RAW, NP_FMT_TAGS, NP_FMT_TEXT, NP_FMT_TOPPROTO, NP_FMT_TRACES, NP_FMT_TREE,
    NP_FMT_WEBLIST,
    NP_FMT_FOLDED, NP_FMT_ICICLE, NP_FMT_TUI,
    NP_FMT_FLAMEGRAPH, NP_FMT_FLAMEDATA,
    NP_FMT_TOPTABLE
};

typedef struct np_report {
    np_profile *p;
    enum np_format format;
    bool cum_sort, call_tree, drop_negative, compact_labels;
    double ratio;               /* 1/divide_by */
    const char *title;          /* base name of the main binary, or "" */
    char **active_filters;      /* "focus=..." etc. */
    size_t n_active_filters;
    np_key_unit *num_label_units;
    int nodecount;
    double nodefraction, edgefraction;
    int value_index, mean_index; /* mean_index -1 unless -mean */
    char *sample_type;          /* with "mean_" prefix under -mean */
    char *sample_unit;
    char output_unit[64];
    np_regex *symbol;           /* -list/-peek/-disasm argument */
    const char *source_path, *trim_path;
    int64_t total;
    FILE *stream; /* when set, long text reports may write their output so far to it and
                   * empty the buffer as they go (the buffer's rest follows at the end) */
    int width, depth; /* -icicle: columns (0: the terminal's) and depth limit (0: none) */
    np_flame_extra frameless; /* samples without frames, which the filters drop (flame.h) */
    const char **match_names; /* per function: its name and file before aggregation (two a
                               * function), what -focus matched, for the flame page's search */
    bool intel_syntax; /* -disasm and -weblist's assembly in Intel syntax (objdump -M intel) */
} np_report;

/* pprof's computeTotal: the sum of |value| at value_index (over the -diff_base samples when
 * there are any), divided by the sum at mean_index unless that is -1 or the sum is 0. */
int64_t np_report_total(const np_profile *p, int value_index, int mean_index);
/* v with -divide_by applied, truncated to an integer as pprof does before formatting. */
int64_t np_report_scaled(const np_report *r, int64_t v);
/* Formats a value in the report's output unit (with -divide_by applied). */
void np_report_format_value(const np_report *r, int64_t v, np_buf *out);
/* The same as a string that stays valid until slot is reused (several slots let one printf
 * take several values). */
const char *np_report_fmt(const np_report *r, int64_t v, np_buf *slot);
/* Graph options for this report (kept may be NULL). */
void np_report_graph_opts(const np_report *r, np_graph_opts *o, const np_nodeset *kept);
/* newTrimmedGraph: the graph after node/edge trimming. */
np_graph *np_report_trimmed_graph(np_report *r, int *orig_count, int *dropped_nodes, int *dropped_edges);
/* selectOutputUnit for "minimum". */
void np_report_select_unit(np_report *r, np_graph *g);
/* The header lines: File/Build ID/comments/Type/Time/Duration. */
void np_report_profile_labels(const np_report *r, np_buf *out);
/* Header lines for graph reports (reportLabels), each terminated by '\n'. */
void np_report_labels(np_report *r, np_graph *g, int orig_count, int dropped_nodes,
                      int dropped_edges, bool full_headers, np_buf *out);

/* One row of -top: its exact values and the text -top prints for them (valid during the
 * call only). sum is the flat values so far, the row's included. */
typedef struct np_top_row {
    int64_t flat, sum, cum;
    const char *flat_text, *flat_pct, *sum_pct, *cum_text, *cum_pct, *name, *inline_label;
} np_top_row;
typedef void (*np_top_row_fn)(void *ctx, const np_top_row *row);
/* -top as data: its header lines into legend (with the column titles if column_header), then
 * fn once per row, in -top's order. np_report_text prints them; the web UI tabulates them. */
void np_report_top_rows(np_report *r, np_buf *legend, bool column_header, np_top_row_fn fn, void *ctx);
/* toptable.c: -top as HTML, the legend lines then a table whose cells carry the exact values
 * (data-v) beside -top's text, for a page that sorts them. */
int np_report_top_table(np_report *r, np_buf *out, np_err *err);

/* The report of r->format into out: the one entry the driver and the shell use. -1 with err
 * for a format nprof cannot render. */
int np_report_generate(np_report *r, np_buf *out, np_err *err);
/* The renderers behind it, one per format (np_report_tags is in tags.h). */
int np_report_text(np_report *r, np_buf *out, np_err *err);
int np_report_traces(np_report *r, np_buf *out, np_err *err);
int np_report_tree(np_report *r, np_buf *out, np_err *err);
int np_report_comments(np_report *r, np_buf *out, np_err *err);
int np_report_topproto(np_report *r, np_buf *out, np_err *err);
int np_report_proto(np_report *r, np_buf *out, np_err *err);
/* Implemented in dot.c and list.c. */
int np_report_dot(np_report *r, np_buf *out, np_err *err);
int np_report_callgrind(np_report *r, np_buf *out, np_err *err);
int np_report_list(np_report *r, np_buf *out, np_err *err);
/* Graphviz's SVG made to pan and zoom in a browser (pprof's -svg and -web): the size fills the
 * window and the graph sits in a "viewport" group that an embedded script moves. Implemented in
 * svgpan.c. */
void np_report_svg_pan(np_buf *svg);
/* Text as HTML character data or a quoted attribute value (& < > " ' escaped, NUL replaced).
 * Implemented in weblist.c; the web UI's pages use it too. */
void np_report_html(np_buf *out, const char *s, size_t n);
/* -weblist: the list report as one HTML page. Implemented in weblist.c. */
int np_report_weblist(np_report *r, np_buf *out, np_err *err);
/* -disasm: the matching functions' instructions, from objdump over the profile's binaries,
 * with their values. Implemented in disasm.c. */
int np_report_disasm(np_report *r, np_buf *out, np_err *err);
/* pprof's newGraph first cleans r->p's function file names with trimPath (-trim_path, else the
 * -source_path heuristic, and /proc/self/cwd); every graph report shows the result. Call before
 * each np_graph_new of a report, as pprof does. */
void np_report_trim_paths(np_report *r);
/* Implemented in folded.c and icicle.c, on the flame tree (analyze/flame.h). */
int np_report_folded(np_report *r, np_buf *out, np_err *err);
int np_report_icicle(np_report *r, np_buf *out, np_err *err);
/* tui.c: draws on the terminal itself (nothing goes to out). */
int np_report_tui(np_report *r, np_buf *out, np_err *err);
/* flamegraph.c: -flamegraph, the flame tree as one self-contained HTML page (script and styles
 * compiled in, the tree as JSON inside). The pieces are separate so that a server can send the
 * same page and data: np_flame_for_page builds the tree the page draws (pruned to half a pixel
 * at 1200 px and capped in boxes), np_flame_data_write writes it as one JSON object (a string
 * table of names and flat preorder arrays), np_flame_data_json does both. */
int np_flame_html(np_report *r, np_buf *out, np_err *err);
int np_flame_data_json(np_report *r, np_buf *out, np_err *err);
np_flame *np_flame_for_page(np_report *r);
void np_flame_data_write(np_report *r, const np_flame *f, np_buf *out);
/* flamematch.c: keeps each function's name and file as -focus saw them (aggregation blanks
 * them) in r->match_names, for the flame page's search; freed by the report's owner. */
void np_report_keep_match_names(np_report *r);

#endif
